package gateway

import (
	"context"
	"crypto/x509"
	"encoding/base64"
	"encoding/json"
	"encoding/pem"
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

// CertificateValidator runs path validation for POST /v1/validate. It is the
// seam between the gateway and the path engine: cmd wires an adapter over
// the engine; the gateway only decodes requests and encodes answers.
type CertificateValidator interface {
	// ValidateCertificate validates req against store (the one store of this
	// request) and returns the report. A problem of the caller's request is
	// an *Error; any other error is answered 500 internal_error, or 504 when
	// ctx's deadline (Options.RequestBudget) passed.
	ValidateCertificate(ctx context.Context, store *trust.Store, req CertificateRequest) (Outcome, error)
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
	Indication string // TOTAL_PASSED, TOTAL_FAILED or INDETERMINATE
	Domain     string // trust domain the chain reached; "" for none
}

// Limits of the JSON form; the body limit bounds the rest.
const (
	maxIntermediates = 64
	maxFutureSkew    = 5 * time.Minute
)

// validateJSON is the application/json body of POST /v1/validate.
type validateJSON struct {
	Document       *string         `json:"document"`
	Signature      *string         `json:"signature"`
	Certificate    string          `json:"certificate"`
	Intermediates  []string        `json:"intermediates"`
	Digest         json.RawMessage `json:"digest"`
	ValidationTime string          `json:"validation_time"`
	Purpose        string          `json:"purpose"`
}

func badRequest(code, format string, args ...any) *Error {
	return &Error{Status: http.StatusBadRequest, Code: code, Message: fmt.Sprintf(format, args...)}
}

func notImplemented(what string) *Error {
	return &Error{Status: http.StatusNotImplemented, Code: "not_implemented", Message: what + " is not available in this version of the gateway"}
}

// validate is POST /v1/validate. Only the JSON certificate-alone form is
// decoded for now; the document forms are recognised and answered 501 until
// their engines are wired, and any other media type is 415.
func (s *Server) validate(c echo.Context) error {
	if s.deps.Validator == nil {
		return notImplemented("validation")
	}
	req := c.Request()
	mt, _, err := mime.ParseMediaType(req.Header.Get(echo.HeaderContentType))
	if err != nil {
		mt = ""
	}
	switch mt {
	case "application/json":
	case "application/pdf", "application/xml", "text/xml", "application/pkcs7-signature",
		"application/pkcs7-mime", "multipart/form-data":
		return notImplemented("validation of " + mt + " documents")
	default:
		return &Error{Status: http.StatusUnsupportedMediaType, Code: "unsupported_media_type",
			Message: "Content-Type must be application/pdf, application/xml, text/xml, application/pkcs7-signature, application/pkcs7-mime, multipart/form-data or application/json"}
	}
	body, err := io.ReadAll(req.Body)
	if err != nil {
		return fmt.Errorf("reading the request body: %w", err)
	}
	var in validateJSON
	if err := json.Unmarshal(body, &in); err != nil {
		return badRequest("malformed_request", "the body is not a valid JSON request: %v", jsonProblem(err))
	}
	if in.Document != nil || in.Signature != nil || len(in.Digest) > 0 {
		return notImplemented("validation of documents and signatures")
	}
	creq, err := s.certificateRequest(in, c.QueryParam("validation_time"))
	if err != nil {
		return err
	}
	store := s.deps.Trust.Current()
	ctx := req.Context()
	if s.opts.RequestBudget > 0 {
		var cancel context.CancelFunc
		ctx, cancel = context.WithTimeout(ctx, s.opts.RequestBudget)
		defer cancel()
	}
	start := time.Now()
	out, err := s.deps.Validator.ValidateCertificate(ctx, store, creq)
	if err != nil {
		return err
	}
	if out.Report == nil {
		return errors.New("validator returned no report")
	}
	s.metrics.observeValidation(store, validate.FormatCertificate, out.Domain, out.Indication, time.Since(start))
	return c.JSON(http.StatusOK, out.Report)
}

// certificateRequest checks the JSON certificate-alone form.
func (s *Server) certificateRequest(in validateJSON, queryTime string) (CertificateRequest, error) {
	var r CertificateRequest
	if strings.TrimSpace(in.Certificate) == "" {
		return r, badRequest("malformed_request", `"certificate" is required (document forms are not accepted yet)`)
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
	if r.ValidationTime, err = s.validationTime(in.ValidationTime, queryTime); err != nil {
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

// validationTime picks the body's or the query's validation_time (they must
// agree when both are given), else now; a time more than 5 minutes ahead is
// refused because revocation cannot be known for the future.
func (s *Server) validationTime(body, query string) (time.Time, error) {
	now := s.clock.Now().UTC()
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
		return time.Time{}, badRequest("bad_validation_time", "validation_time %q is not an RFC 3339 time such as 2026-11-22T10:00:00Z", v)
	}
	if t.After(now.Add(maxFutureSkew)) {
		return time.Time{}, badRequest("validation_time_in_future", "validation_time %s is more than 5 minutes in the future: revocation cannot be known for the future", t.UTC().Format(time.RFC3339))
	}
	return t.UTC(), nil
}

// parseCertificate reads one certificate as PEM or as base64 of DER.
func parseCertificate(s string) (*x509.Certificate, error) {
	s = strings.TrimSpace(s)
	var der []byte
	if strings.Contains(s, "-----BEGIN") {
		block, _ := pem.Decode([]byte(s))
		if block == nil || block.Type != "CERTIFICATE" {
			return nil, errors.New("no PEM CERTIFICATE block")
		}
		der = block.Bytes
	} else {
		var err error
		if der, err = base64.StdEncoding.DecodeString(strings.Join(strings.Fields(s), "")); err != nil {
			return nil, errors.New("neither PEM nor base64 of a DER certificate")
		}
	}
	c, err := x509.ParseCertificate(der)
	if err != nil {
		return nil, fmt.Errorf("not a valid X.509 certificate: %w", err)
	}
	return c, nil
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
