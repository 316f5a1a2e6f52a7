package validate

import (
	"bytes"
	"context"
	"crypto"
	"crypto/x509"
	"encoding/base64"
	"encoding/pem"
	"errors"
	"fmt"
	"time"

	"github.com/lienthong/lienthong/trust"
	"github.com/lienthong/lienthong/validate/cms"
	"github.com/lienthong/lienthong/validate/pdf"
	"github.com/lienthong/lienthong/validate/signed"
	"github.com/lienthong/lienthong/validate/xmldsig"
)

// Document is one document to validate (DESIGN.md "HTTP API").
type Document struct {
	// Format is FormatPDF, FormatXML, FormatCMS, FormatRaw or
	// FormatCertificate; "" detects it: Signature and Certificate set is
	// raw, Signature alone a detached CMS, otherwise Data is sniffed
	// (%PDF- is pdf, '<' after a byte order mark or white space is xml, a
	// DER SEQUENCE or a PEM PKCS7/CMS block is cms).
	Format string
	// Data is the document (PDF, XML, attached CMS) or, with Signature
	// set, the signed content. Nil means absent; a non-nil empty slice is
	// an empty content.
	Data []byte
	// Signature is a detached CMS (format cms) or a bare signature value
	// (format raw).
	Signature []byte
	// Digest is a precomputed digest of the signed content, given
	// instead of Data (detached cms, raw).
	Digest *Digest
	// Certificate is the signer certificate of format raw, and the
	// certificate of format certificate.
	Certificate *x509.Certificate
	// Intermediates are offered to path building for every signature
	// (after the certificates the signature carries).
	Intermediates []*x509.Certificate
	// Time is the validation time (required; reported in UTC).
	Time time.Time
}

// Digest is a precomputed digest of signed content.
type Digest struct {
	Algorithm crypto.Hash
	Value     []byte
}

// ErrMalformedDocument wraps front-end "not this format at all" errors:
// input that is not a PDF, an XML document (or one with a DTD or
// entities), a CMS SignedData, nor any format ValidateDocument can detect.
// Callers answer 400 malformed_document. A broken signature inside a
// well-formed document is never this error: it is that signature's
// TOTAL_FAILED/FORMAT_FAILURE in the report.
var ErrMalformedDocument = errors.New("malformed document")

// Message codes of document validation (stable, DESIGN.md "Message
// codes").
const (
	// CodeNoSignature (error, top level): the document is well-formed but
	// holds no signature; the report is TOTAL_FAILED/FORMAT_FAILURE.
	CodeNoSignature = "NO_SIGNATURE"
	// CodeSigningTimeClaimed (info): the signer claims a signing time
	// (reported as signing_time); a claim is not a proof of existence.
	CodeSigningTimeClaimed = "SIGNING_TIME_CLAIMED_ONLY"
	// CodePartialCoverage: the signature does not cover the whole
	// document; the text says what it leaves out (warning for PDF, where
	// bytes were added after signing; info for XML, whose signatures
	// cover the elements they reference).
	CodePartialCoverage = "PARTIAL_COVERAGE"
	// CodeSHA1Signature (warning): the signature itself uses SHA-1,
	// accepted because it is judged before algorithms.sha1_until.
	CodeSHA1Signature = "SHA1_SIGNATURE"
	// CodeTimestampPOE (info): a signature timestamp validated; the
	// signature is judged at its genTime (proof of existence).
	CodeTimestampPOE = "TIMESTAMP_POE"
	// CodeTimestampInvalid (warning): a timestamp of the signature could
	// not serve as proof of existence; the text says why.
	CodeTimestampInvalid = "TIMESTAMP_INVALID"
	// CodeRawScheme (info): how a bare signature value verified (scheme
	// and hash), for format raw.
	CodeRawScheme = "RAW_SIGNATURE_SCHEME"
)

// Limits the front ends apply per document (see their Options).
const (
	maxDocumentSignatures = 64
)

// ValidateDocument finds every signature of doc with the front end of its
// format (package pdf, xmldsig, cms, or the raw verifier) and judges each
// the same way (see judgeSignature): integrity, algorithm policy,
// timestamps, certification path and revocation. It returns the report
// with one entry per signature, in document order; the top-level
// indication is the worst. A well-formed document without a signature is
// a TOTAL_FAILED/FORMAT_FAILURE report with a NO_SIGNATURE message and no
// entries, not an error.
//
// The error is ErrMalformedDocument (wrapped) when doc is not of its
// format at all, and another error only for a request ValidateDocument
// cannot run (no validation time). Like ValidateCertificate, it never
// hangs past ctx's deadline: what is not answered then is TRY_LATER.
func (v *Validator) ValidateDocument(ctx context.Context, store *trust.Store, doc Document) (*Report, error) {
	if doc.Time.IsZero() {
		return nil, errors.New("validate: ValidateDocument needs a validation time")
	}
	if store == nil {
		return nil, errors.New("validate: ValidateDocument needs a trust store")
	}
	t := doc.Time.UTC()
	format, err := documentFormat(doc)
	if err != nil {
		return nil, err
	}
	if format == FormatCertificate {
		if doc.Certificate == nil {
			return nil, fmt.Errorf("%w: no certificate given", ErrMalformedDocument)
		}
		return v.ValidateCertificate(ctx, store, CertificateRequest{
			Certificate: doc.Certificate, Intermediates: doc.Intermediates, Time: t}), nil
	}
	sigs, err := frontEnd(format, doc)
	if err != nil {
		return nil, err
	}
	rep := &Report{Format: format, ValidationTime: t, TrustStore: store.Digest(), Signatures: make([]SignatureReport, 0, len(sigs))}
	for _, s := range sigs {
		rep.Signatures = append(rep.Signatures, v.judgeSignature(ctx, store, t, format, s, doc.Intermediates))
	}
	rep.Indication, rep.SubIndication = worstOf(rep.Signatures)
	if len(sigs) == 0 {
		rep.Messages = []Message{{Level: LevelError, Code: CodeNoSignature,
			Text: fmt.Sprintf("the %s document holds no signature", formatName(format))}}
	}
	return rep, nil
}

// documentFormat resolves doc.Format.
func documentFormat(doc Document) (string, error) {
	switch doc.Format {
	case FormatPDF, FormatXML, FormatCMS, FormatCertificate:
		return doc.Format, nil
	case FormatRaw:
		if doc.Signature == nil {
			return "", fmt.Errorf("%w: format raw needs a signature value", ErrMalformedDocument)
		}
		return FormatRaw, nil
	case "":
	default:
		return "", fmt.Errorf("validate: unknown document format %q", doc.Format)
	}
	switch {
	case doc.Signature != nil && doc.Certificate != nil:
		return FormatRaw, nil
	case doc.Signature != nil:
		return FormatCMS, nil
	}
	if f := sniff(doc.Data); f != "" {
		return f, nil
	}
	return "", fmt.Errorf("%w: not a PDF, an XML document or a CMS signature", ErrMalformedDocument)
}

// sniff names the format of data from its first bytes, "" when unknown.
func sniff(data []byte) string {
	b := bytes.TrimPrefix(data, []byte("\xef\xbb\xbf"))
	b = bytes.TrimLeft(b, " \t\r\n")
	switch {
	case len(b) > 0 && b[0] == '<':
		return FormatXML
	case bytes.Contains(data[:min(len(data), 1024)], []byte("%PDF-")):
		// ISO 32000-1 §7.5.2: readers accept the header anywhere in the
		// first 1024 bytes, and so does package pdf.
		return FormatPDF
	case len(data) > 1 && data[0] == 0x30:
		return FormatCMS
	case bytes.HasPrefix(b, []byte("-----BEGIN PKCS7-----")), bytes.HasPrefix(b, []byte("-----BEGIN CMS-----")),
		bytes.HasPrefix(b, []byte("-----BEGIN PKCS #7 SIGNED DATA-----")):
		return FormatCMS
	}
	return ""
}

func formatName(f string) string {
	switch f {
	case FormatPDF:
		return "PDF"
	case FormatXML:
		return "XML"
	case FormatCMS:
		return "CMS"
	}
	return f
}

// malformedError is a front end's "not this format" error: it is
// ErrMalformedDocument and says what the front end said.
type malformedError struct{ err error }

func (e malformedError) Error() string        { return e.err.Error() }
func (e malformedError) Unwrap() error        { return e.err }
func (e malformedError) Is(target error) bool { return target == ErrMalformedDocument }

func malformed(err error) error { return malformedError{err} }

// frontEnd runs the front end of format over doc.
func frontEnd(format string, doc Document) ([]*signed.Signature, error) {
	switch format {
	case FormatPDF:
		sigs, err := pdf.Verify(doc.Data, pdf.Options{MaxSignatures: maxDocumentSignatures})
		if err != nil {
			return nil, malformed(err)
		}
		return sigs, nil
	case FormatXML:
		sigs, err := xmldsig.Verify(doc.Data, xmldsig.Options{})
		if err != nil {
			return nil, malformed(err)
		}
		return sigs, nil
	case FormatCMS:
		return verifyCMS(doc)
	case FormatRaw:
		return []*signed.Signature{VerifyRaw(RawSignature{
			Value: doc.Signature, Certificate: doc.Certificate, Data: doc.Data, Digest: doc.Digest})}, nil
	}
	return nil, fmt.Errorf("validate: no front end for format %q", format)
}

// verifyCMS verifies an attached CMS (doc.Data, with doc.Digest when
// given) or a detached one (doc.Signature over doc.Data or doc.Digest).
func verifyCMS(doc Document) ([]*signed.Signature, error) {
	der, content := doc.Data, &cms.Content{}
	if doc.Signature != nil {
		der = doc.Signature
		if doc.Data != nil {
			content.Segments = [][]byte{doc.Data}
		}
	}
	if doc.Digest != nil && content.Segments == nil {
		content.Digest, content.DigestAlgorithm = doc.Digest.Value, doc.Digest.Algorithm
	}
	der = cmsDER(der)
	sigs, err := cms.Verify(der, content, cms.Options{MaxSigners: maxDocumentSignatures})
	if err != nil {
		return nil, malformed(err)
	}
	return sigs, nil
}

// cmsDER accepts a CMS as DER or BER, as PEM (PKCS7, CMS) or as bare
// base64, as files and form fields carry it; anything else is returned as
// is for the CMS parser to refuse.
func cmsDER(b []byte) []byte {
	t := bytes.TrimSpace(b)
	if len(t) == 0 || t[0] == 0x30 {
		return b
	}
	if bytes.HasPrefix(t, []byte("-----BEGIN")) {
		if block, _ := pem.Decode(t); block != nil {
			return block.Bytes
		}
		return b
	}
	clean := bytes.Map(func(r rune) rune {
		if r == ' ' || r == '\t' || r == '\r' || r == '\n' {
			return -1
		}
		return r
	}, t)
	for _, enc := range []*base64.Encoding{base64.StdEncoding, base64.RawStdEncoding} {
		if d, err := enc.DecodeString(string(clean)); err == nil && len(d) > 0 && d[0] == 0x30 {
			return d
		}
	}
	return b
}
