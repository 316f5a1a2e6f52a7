package gateway

import (
	"crypto"
	_ "crypto/sha1" // the digest algorithms callers may name
	_ "crypto/sha256"
	_ "crypto/sha512"
	"errors"
	"io"
	"mime"
	"mime/multipart"
	"net/http"
	"strings"
	"time"

	"github.com/lienthong/lienthong/validate"
)

// hashNames are the digest algorithm names of the JSON "digest" object,
// upper-cased with '_' read as '-'.
var hashNames = map[string]crypto.Hash{
	"SHA-1": crypto.SHA1, "SHA1": crypto.SHA1,
	"SHA-256": crypto.SHA256, "SHA256": crypto.SHA256,
	"SHA-384": crypto.SHA384, "SHA384": crypto.SHA384,
	"SHA-512": crypto.SHA512, "SHA512": crypto.SHA512,
}

// formParts is what a multipart/form-data body carried.
type formParts struct {
	document, signature         []byte
	documentType, signatureType string
	certificate                 []byte
	intermediates               [][]byte
	validationTime              string
}

// decodeMultipart decodes the multipart/form-data form: a "document" part
// and, for a detached CMS, a "signature" part; optional "certificate"
// (with "signature": a bare signature value, format raw),
// "intermediates" (repeatable) and "validation_time" parts. Other parts
// are read and ignored. The body is already bounded by max_body_bytes (a
// *http.MaxBytesError is returned as is, for the 413); the part count is
// bounded by maxParts.
//
// The format is the signature part's (a detached CMS; raw with a
// certificate), else the document part's Content-Type (application/pdf,
// XML or PKCS #7), else detected from the content.
func decodeMultipart(body io.Reader, boundary, queryTime string, now time.Time) (validateRequest, error) {
	if boundary == "" {
		return validateRequest{}, badRequest("malformed_request", "multipart/form-data without a boundary")
	}
	var f formParts
	mr := multipart.NewReader(body, boundary)
	for n := 0; ; n++ {
		p, err := mr.NextPart()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			return validateRequest{}, multipartError(err)
		}
		if n == maxParts {
			return validateRequest{}, badRequest("malformed_request", "more than %d parts", maxParts)
		}
		if err := f.read(p); err != nil {
			return validateRequest{}, err
		}
	}
	return f.request(queryTime, now)
}

// read stores one part.
func (f *formParts) read(p *multipart.Part) error {
	defer p.Close()
	name := p.FormName()
	if name == "validation_time" {
		b, err := io.ReadAll(io.LimitReader(p, maxFieldBytes+1))
		if err != nil {
			return multipartError(err)
		}
		if len(b) > maxFieldBytes {
			return badRequest("bad_validation_time", "validation_time is longer than %d bytes", maxFieldBytes)
		}
		f.validationTime = strings.TrimSpace(string(b))
		return nil
	}
	switch name {
	case "document", "signature", "certificate", "intermediates":
	default: // unknown parts are skipped without holding them in memory
		if _, err := io.Copy(io.Discard, p); err != nil {
			return multipartError(err)
		}
		return nil
	}
	b, err := io.ReadAll(p)
	if err != nil {
		return multipartError(err)
	}
	ct, _, _ := mime.ParseMediaType(p.Header.Get("Content-Type"))
	dup := func() error { return badRequest("malformed_request", "the %q part is given twice", name) }
	switch name {
	case "document":
		if f.document != nil {
			return dup()
		}
		f.document, f.documentType = b, ct
	case "signature":
		if f.signature != nil {
			return dup()
		}
		f.signature, f.signatureType = b, ct
	case "certificate":
		if f.certificate != nil {
			return dup()
		}
		f.certificate = b
	case "intermediates":
		if len(f.intermediates) == maxIntermediates {
			return badRequest("malformed_request", "at most %d intermediates are accepted", maxIntermediates)
		}
		f.intermediates = append(f.intermediates, b)
	}
	return nil
}

// request turns the parts into a document request.
func (f *formParts) request(queryTime string, now time.Time) (validateRequest, error) {
	if f.document == nil {
		return validateRequest{}, badRequest("malformed_request", `multipart/form-data needs a "document" part`)
	}
	t, err := resolveValidationTime(f.validationTime, queryTime, now)
	if err != nil {
		return validateRequest{}, err
	}
	doc := &validate.Document{Data: f.document, Time: t}
	switch {
	case f.signature != nil && f.certificate != nil:
		doc.Format, doc.Signature = validate.FormatRaw, f.signature
		if doc.Certificate, err = parseCertificateDER(f.certificate); err != nil {
			return validateRequest{}, badRequest("malformed_document", "certificate: %v", err)
		}
	case f.signature != nil:
		if format, ok := documentFormats[f.signatureType]; ok && format != validate.FormatCMS {
			return validateRequest{}, badRequest("malformed_request", "the signature part is %s; a detached signature is application/pkcs7-signature", f.signatureType)
		}
		doc.Format, doc.Signature = validate.FormatCMS, f.signature
	case f.certificate != nil:
		return validateRequest{}, badRequest("malformed_request", `a "certificate" part needs the "signature" it verifies`)
	default:
		doc.Format = documentFormats[f.documentType] // "" (detect) for other types
	}
	for i, b := range f.intermediates {
		c, err := parseCertificateDER(b)
		if err != nil {
			return validateRequest{}, badRequest("malformed_document", "intermediates[%d]: %v", i, err)
		}
		doc.Intermediates = append(doc.Intermediates, c)
	}
	return validateRequest{doc: doc}, nil
}

// multipartError keeps a body over the limit a 413 and makes any other
// multipart problem a 400.
func multipartError(err error) error {
	var mbe *http.MaxBytesError
	if errors.As(err, &mbe) {
		return err
	}
	return badRequest("malformed_request", "unreadable multipart/form-data body: %v", oneLine(err.Error()))
}

func oneLine(s string) string {
	s = strings.Join(strings.Fields(s), " ")
	if len(s) > 200 {
		s = s[:200] + "…"
	}
	return s
}
