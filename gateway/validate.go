package gateway

import (
	"context"
	"crypto/x509"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"mime"
	"net/http"
	"strings"
	"time"

	"github.com/labstack/echo/v4"

	"github.com/lienthong/lienthong/trust"
	"github.com/lienthong/lienthong/validate"
)

// CertificateValidator validates a certificate alone for POST /v1/validate.
// It is the seam between the gateway and the path engine: cmd wires an
// adapter over the engine; the gateway only decodes requests and encodes
// answers.
type CertificateValidator interface {
	// ValidateCertificate validates req against store (the one store of this
	// request) and returns the report. A problem of the caller's request is
	// an *Error; any other error is answered 500 internal_error, or 504 when
	// ctx's deadline (Options.RequestBudget) passed.
	ValidateCertificate(ctx context.Context, store *trust.Store, req CertificateRequest) (Outcome, error)
}

// DocumentValidator validates the signatures of a document for POST
// /v1/validate.
type DocumentValidator interface {
	// ValidateDocument validates doc (its Time already resolved) against
	// store and returns the report. A document that is not of its format
	// at all must be an *Error with code malformed_document (400); other
	// errors are handled as for ValidateCertificate.
	ValidateDocument(ctx context.Context, store *trust.Store, doc validate.Document) (Outcome, error)
}

// Validator answers every form of POST /v1/validate.
type Validator interface {
	CertificateValidator
	DocumentValidator
}

// CertificateRequest is the JSON form that carries a certificate alone
// ("certificate" and optional "intermediates"; DESIGN.md "Precise points").
type CertificateRequest struct {
	Certificate   *x509.Certificate
	Intermediates []*x509.Certificate // offered to path building, in the order sent
	// Purpose is PurposeDocumentSigning (the default) or PurposeAny.
	Purpose string
	// ValidationTime is in UTC: the caller's validation_time, else now.
	ValidationTime time.Time
}

// Purposes of a CertificateRequest.
const (
	PurposeDocumentSigning = "document_signing"
	PurposeAny             = "any"
)

// Outcome is a validator's answer: the report sent as the 200 body, and the
// labels it is counted under in lienthong_validations_total.
type Outcome struct {
	Report     any    // DESIGN.md report object, encoded as JSON
	Indication string // top-level indication: TOTAL_PASSED, TOTAL_FAILED or INDETERMINATE
	Domain     string // trust domain the (first signature's) chain reached; "" for none
	Format     string // the report's format; "" means the one the gateway decoded
}

// Limits of the request forms; the body limit bounds the rest.
const (
	maxIntermediates = 64
	// maxParts bounds the parts of a multipart/form-data body, and
	// maxFieldBytes the small text fields (validation_time).
	maxParts      = 16
	maxFieldBytes = 256
)

// Media types of POST /v1/validate bodies.
const (
	mediaJSON      = "application/json"
	mediaMultipart = "multipart/form-data"
)

// documentFormats maps the document media types (DESIGN.md "HTTP API") to
// report formats. The x- spellings are the older registrations, still
// sent by S/MIME software.
var documentFormats = map[string]string{
	"application/pdf":               validate.FormatPDF,
	"application/xml":               validate.FormatXML,
	"text/xml":                      validate.FormatXML,
	"application/pkcs7-signature":   validate.FormatCMS,
	"application/pkcs7-mime":        validate.FormatCMS,
	"application/x-pkcs7-signature": validate.FormatCMS,
	"application/x-pkcs7-mime":      validate.FormatCMS,
}

// validateRequest is one decoded POST /v1/validate: exactly one of cert
// (a certificate alone) and doc is set.
type validateRequest struct {
	cert *CertificateRequest
	doc  *validate.Document
}

// validateJSON is the application/json body of POST /v1/validate.
type validateJSON struct {
	Document       *string     `json:"document"`
	Signature      *string     `json:"signature"`
	Certificate    string      `json:"certificate"`
	Intermediates  []string    `json:"intermediates"`
	Digest         *digestJSON `json:"digest"`
	ValidationTime string      `json:"validation_time"`
	Purpose        string      `json:"purpose"`
}

type digestJSON struct {
	Algorithm string `json:"algorithm"`
	Value     string `json:"value"`
}

func badRequest(code, format string, args ...any) *Error {
	return &Error{Status: http.StatusBadRequest, Code: code, Message: fmt.Sprintf(format, args...)}
}

func notImplemented(what string) *Error {
	return &Error{Status: http.StatusNotImplemented, Code: "not_implemented", Message: what + " is not available in this version of the gateway"}
}

// validate is POST /v1/validate: it decodes the request in any of the
// forms of DESIGN.md ("HTTP API"), runs the validator on the current trust
// store within the request budget, counts the outcome and answers 200 with
// the report whatever the verdict.
func (s *Server) validate(c echo.Context) error {
	if s.deps.Validator == nil {
		return notImplemented("validation")
	}
	req := c.Request()
	mt, params, err := mime.ParseMediaType(req.Header.Get(echo.HeaderContentType))
	if err != nil {
		mt = ""
	}
	query := c.QueryParam("validation_time")
	now := s.clock.Now()
	var vr validateRequest
	switch format, isDocument := documentFormats[mt]; {
	case mt == mediaJSON:
		body, err := io.ReadAll(req.Body)
		if err != nil {
			return fmt.Errorf("reading the request body: %w", err)
		}
		if vr, err = decodeValidateJSON(body, query, now); err != nil {
			return err
		}
	case isDocument:
		body, err := io.ReadAll(req.Body)
		if err != nil {
			return fmt.Errorf("reading the request body: %w", err)
		}
		t, err := resolveValidationTime("", query, now)
		if err != nil {
			return err
		}
		vr.doc = &validate.Document{Format: format, Data: body, Time: t}
	case mt == mediaMultipart:
		if vr, err = decodeMultipart(req.Body, params["boundary"], query, now); err != nil {
			return err
		}
	default:
		return &Error{Status: http.StatusUnsupportedMediaType, Code: "unsupported_media_type",
			Message: "Content-Type must be application/pdf, application/xml, text/xml, application/pkcs7-signature, application/pkcs7-mime, multipart/form-data or application/json"}
	}
	return s.runValidation(c, vr)
}

// runValidation validates vr on the current trust store and answers.
func (s *Server) runValidation(c echo.Context, vr validateRequest) error {
	store := s.deps.Trust.Current()
	ctx := c.Request().Context()
	if s.opts.RequestBudget > 0 {
		var cancel context.CancelFunc
		ctx, cancel = context.WithTimeout(ctx, s.opts.RequestBudget)
		defer cancel()
	}
	start := s.clock.Now()
	var (
		out    Outcome
		err    error
		format string
	)
	if vr.cert != nil {
		format = validate.FormatCertificate
		out, err = s.deps.Validator.ValidateCertificate(ctx, store, *vr.cert)
	} else {
		format = vr.doc.Format
		out, err = s.deps.Validator.ValidateDocument(ctx, store, *vr.doc)
	}
	if err != nil {
		return err
	}
	if out.Report == nil {
		return errors.New("validator returned no report")
	}
	if out.Format != "" {
		format = out.Format
	}
	s.metrics.observeValidation(store, format, out.Domain, out.Indication, s.clock.Now().Sub(start))
	return c.JSON(http.StatusOK, out.Report)
}

// decodeValidateJSON decodes the application/json form:
//
//   - only "certificate" (+ "intermediates", "purpose"): the certificate
//     alone;
//   - "signature" and "certificate": a bare signature value (format raw)
//     over "document" or "digest";
//   - "signature" without "certificate": a detached CMS over "document"
//     or "digest";
//   - "document" alone: a PDF, an XML document or an attached CMS, told
//     apart by its content.
//
// "intermediates" are offered to path building in every form. Every
// problem is a 400 *Error; it never panics (FuzzDecodeValidateJSON).
func decodeValidateJSON(body []byte, queryTime string, now time.Time) (validateRequest, error) {
	var in validateJSON
	if err := json.Unmarshal(body, &in); err != nil {
		return validateRequest{}, badRequest("malformed_request", "the body is not a valid JSON request: %v", jsonProblem(err))
	}
	if in.Document == nil && in.Signature == nil && in.Digest == nil {
		r, err := certificateRequest(in, queryTime, now)
		if err != nil {
			return validateRequest{}, err
		}
		return validateRequest{cert: &r}, nil
	}
	doc, err := documentRequest(in, queryTime, now)
	if err != nil {
		return validateRequest{}, err
	}
	return validateRequest{doc: doc}, nil
}

// documentRequest checks the JSON document forms.
func documentRequest(in validateJSON, queryTime string, now time.Time) (*validate.Document, error) {
	switch {
	case in.Purpose != "" && in.Purpose != PurposeDocumentSigning:
		return nil, badRequest("malformed_request", `"purpose" %q applies to a certificate alone; documents are validated for %q`, in.Purpose, PurposeDocumentSigning)
	case in.Digest != nil && in.Signature == nil:
		return nil, badRequest("malformed_request", `"digest" needs a "signature" (a detached CMS or a bare signature value)`)
	case in.Digest != nil && in.Document != nil:
		return nil, badRequest("malformed_request", `give "document" or "digest", not both`)
	case in.Signature == nil && strings.TrimSpace(in.Certificate) != "":
		return nil, badRequest("malformed_request", `"certificate" with a "document" needs the "signature" it verifies; send the certificate alone to validate it`)
	case len(in.Intermediates) > maxIntermediates:
		return nil, badRequest("malformed_request", "at most %d intermediates are accepted", maxIntermediates)
	}
	doc := &validate.Document{}
	var err error
	if doc.Time, err = resolveValidationTime(in.ValidationTime, queryTime, now); err != nil {
		return nil, err
	}
	if in.Document != nil {
		if doc.Data, err = decodeBase64(*in.Document); err != nil {
			return nil, badRequest("malformed_request", `"document" is not base64`)
		}
	}
	if in.Signature != nil {
		if doc.Signature, err = decodeBase64(*in.Signature); err != nil {
			return nil, badRequest("malformed_request", `"signature" is not base64`)
		}
		doc.Format = validate.FormatCMS
		if strings.TrimSpace(in.Certificate) != "" {
			doc.Format = validate.FormatRaw
			if doc.Certificate, err = parseCertificate(in.Certificate); err != nil {
				return nil, badRequest("malformed_document", "certificate: %v", err)
			}
		}
	}
	if in.Digest != nil {
		if doc.Digest, err = parseDigest(*in.Digest); err != nil {
			return nil, err
		}
	}
	for i, s := range in.Intermediates {
		c, err := parseCertificate(s)
		if err != nil {
			return nil, badRequest("malformed_document", "intermediates[%d]: %v", i, err)
		}
		doc.Intermediates = append(doc.Intermediates, c)
	}
	return doc, nil
}

// parseDigest reads {"algorithm": "SHA-256", "value": B64}.
func parseDigest(d digestJSON) (*validate.Digest, error) {
	h, ok := hashNames[strings.ToUpper(strings.ReplaceAll(strings.TrimSpace(d.Algorithm), "_", "-"))]
	if !ok {
		return nil, badRequest("malformed_request", `"digest.algorithm" must be SHA-1, SHA-256, SHA-384 or SHA-512`)
	}
	v, err := decodeBase64(d.Value)
	if err != nil {
		return nil, badRequest("malformed_request", `"digest.value" is not base64`)
	}
	if len(v) != h.Size() {
		return nil, badRequest("malformed_request", `"digest.value" has %d bytes; a %v digest has %d`, len(v), h, h.Size())
	}
	return &validate.Digest{Algorithm: h, Value: v}, nil
}

// certificateRequest checks the JSON certificate-alone form.
func certificateRequest(in validateJSON, queryTime string, now time.Time) (CertificateRequest, error) {
	var r CertificateRequest
	if strings.TrimSpace(in.Certificate) == "" {
		return r, badRequest("malformed_request", `give "certificate" (a certificate alone), "document" or "signature"`)
	}
	if len(in.Intermediates) > maxIntermediates {
		return r, badRequest("malformed_request", "at most %d intermediates are accepted", maxIntermediates)
	}
	switch in.Purpose {
	case "", PurposeDocumentSigning:
		r.Purpose = PurposeDocumentSigning
	case PurposeAny:
		r.Purpose = PurposeAny
	default:
		return r, badRequest("malformed_request", `"purpose" must be %q or %q`, PurposeDocumentSigning, PurposeAny)
	}
	var err error
	if r.ValidationTime, err = resolveValidationTime(in.ValidationTime, queryTime, now); err != nil {
		return r, err
	}
	if r.Certificate, err = parseCertificate(in.Certificate); err != nil {
		return r, badRequest("malformed_document", "certificate: %v", err)
	}
	for i, s := range in.Intermediates {
		c, err := parseCertificate(s)
		if err != nil {
			return r, badRequest("malformed_document", "intermediates[%d]: %v", i, err)
		}
		r.Intermediates = append(r.Intermediates, c)
	}
	return r, nil
}

// resolveValidationTime picks the body's or the query's validation_time
// (they must agree when both are given), else now; a time more than 5
// minutes ahead is refused because revocation cannot be known for the
// future.
func resolveValidationTime(body, query string, now time.Time) (time.Time, error) {
	now = now.UTC()
	if body != "" && query != "" && body != query {
		return time.Time{}, badRequest("bad_validation_time", "validation_time is given in the body and the query with different values")
	}
	v := body
	if v == "" {
		v = query
	}
	if v == "" {
		return now, nil
	}
	t, err := time.Parse(time.RFC3339, v)
	if err != nil {
		return time.Time{}, badRequest("bad_validation_time", "validation_time %.64q is not an RFC 3339 time such as 2026-11-22T10:00:00Z", v)
	}
	if validate.ValidationTimeInFuture(t, now) {
		return time.Time{}, badRequest("validation_time_in_future", "validation_time %s is more than 5 minutes in the future: revocation cannot be known for the future", t.UTC().Format(time.RFC3339))
	}
	return t.UTC(), nil
}

// decodeBase64 reads standard or URL-safe base64, padded or not, with
// white space (line breaks) anywhere.
func decodeBase64(s string) ([]byte, error) {
	clean := strings.Map(func(r rune) rune {
		if r == ' ' || r == '\t' || r == '\r' || r == '\n' {
			return -1
		}
		return r
	}, s)
	enc := base64.StdEncoding
	if strings.ContainsAny(clean, "-_") {
		enc = base64.URLEncoding
	}
	if !strings.HasSuffix(clean, "=") && len(clean)%4 != 0 {
		enc = enc.WithPadding(base64.NoPadding)
	}
	b, err := enc.DecodeString(clean)
	if err != nil {
		return nil, err
	}
	if b == nil {
		b = []byte{}
	}
	return b, nil
}

// parseCertificate reads one certificate given as a JSON string: PEM, or
// base64 (standard or URL-safe, padded or not) of DER.
func parseCertificate(s string) (*x509.Certificate, error) {
	s = strings.TrimSpace(s)
	if strings.Contains(s, "-----BEGIN") {
		return parseCertificateDER([]byte(s))
	}
	der, err := decodeBase64(s)
	if err != nil {
		return nil, errors.New("neither PEM nor base64 of a DER certificate")
	}
	return parseCertificateDER(der)
}

// parseCertificateDER reads exactly one certificate from DER or PEM bytes
// (as a multipart part may carry it), with the trust store's parser.
func parseCertificateDER(b []byte) (*x509.Certificate, error) {
	cs, err := trust.ParseCertificates(b)
	if err != nil {
		return nil, fmt.Errorf("not a valid X.509 certificate: %w", err)
	}
	if len(cs) != 1 {
		return nil, fmt.Errorf("%d certificates where one is expected (give the others as intermediates)", len(cs))
	}
	return cs[0], nil
}

// jsonProblem keeps the caller-useful part of a JSON decoding error.
func jsonProblem(err error) string {
	var se *json.SyntaxError
	var te *json.UnmarshalTypeError
	switch {
	case errors.As(err, &se):
		return fmt.Sprintf("syntax error at byte %d", se.Offset)
	case errors.As(err, &te):
		return fmt.Sprintf("field %q must be %s", te.Field, te.Type)
	}
	return "unreadable JSON"
}
