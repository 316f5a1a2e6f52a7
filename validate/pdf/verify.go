// Package pdf finds the signatures of a PDF document and verifies them as
// far as the document alone allows (ISO 32000-1 §12.8, ISO 32000-2
// §12.8, ETSI EN 319 142-1 PAdES): which bytes each signature covers, that
// its CMS verifies over exactly those bytes, what was appended after it,
// and the certificates the document carries for path building (the DSS).
//
// It is a front end: it reports a *signed.Signature per signature and
// decides no trust. It reads only what signature validation needs with
// its own small, bounded object reader — cross-reference tables and
// streams, object streams, the AcroForm field tree, signature
// dictionaries — and never renders, decodes page content or runs scripts.
package pdf

import (
	"bytes"
	"crypto"
	"crypto/sha1"
	"crypto/x509"
	"errors"
	"fmt"
	"time"

	"github.com/lienthong/lienthong/validate/cms"
	"github.com/lienthong/lienthong/validate/signed"
)

// Options bounds the work Verify does on hostile input. A zero field means
// its default. The size of data itself is the caller's to bound.
type Options struct {
	// MaxSignatures is the most signature fields verified (default 64);
	// a document with more gets one more entry, Malformed, saying so.
	MaxSignatures int
	// MaxObjects bounds the objects parsed, cross-reference entries read
	// and object headers scanned (default 1 000 000); the values parsed
	// (numbers, names, strings… inside objects) are bounded by twice as
	// many.
	MaxObjects int
	// MaxXRefChain is the most cross-reference sections (incremental
	// updates) followed through /Prev (default 256).
	MaxXRefChain int
}

func (o Options) withDefaults() Options {
	if o.MaxSignatures <= 0 {
		o.MaxSignatures = 64
	}
	if o.MaxObjects <= 0 {
		o.MaxObjects = 1_000_000
	}
	if o.MaxXRefChain <= 0 {
		o.MaxXRefChain = 256
	}
	return o
}

// ErrMalformed is returned, wrapped, when data is not a PDF at all: no
// %PDF- header, no startxref (a truncated file), no usable catalog even
// after scanning, or a document that exceeds the processing limits before
// its signatures could be found. The caller answers 400
// malformed_document. A broken signature inside a readable PDF is never
// this error but that signature's Integrity.
var ErrMalformed = errors.New("pdf: malformed document")

// Message codes of this package (signed.Message.Code), stable.
const (
	// CodeDocumentTimestamp: the entry is a document timestamp
	// (ETSI.RFC3161), not a signature; its Timestamps hold the token (info).
	CodeDocumentTimestamp = "DOCUMENT_TIMESTAMP"
	// CodeSigningTimeZoneAssumed: the /M signing time had no zone and
	// was read as UTC+7; ClaimedSigningTimeText keeps it as written (info).
	CodeSigningTimeZoneAssumed = "SIGNING_TIME_ZONE_ASSUMED"
	// CodeXRefRepaired: the cross-reference data is broken; objects were
	// located by scanning the file, as PDF readers do (warning).
	CodeXRefRepaired = "PDF_XREF_REPAIRED"
	// CodeFieldOutsideAcroForm: the signature field was found through a
	// page's annotations; the AcroForm does not list it (warning).
	CodeFieldOutsideAcroForm = "PDF_SIGNATURE_FIELD_OUTSIDE_ACROFORM"
	// CodeContentsTrailingData: non-zero bytes follow the CMS inside
	// /Contents; they are not part of the signature (warning).
	CodeContentsTrailingData = "PDF_CONTENTS_TRAILING_DATA"
	// CodeLimitsReached: a processing limit was reached; parts of the
	// document were not read (warning).
	CodeLimitsReached = "PDF_LIMITS_REACHED"
	// CodeSHA1DocumentDigest: adbe.pkcs7.sha1 binds the document through
	// a SHA-1 digest whatever the signer's own algorithm (warning).
	CodeSHA1DocumentDigest = "PDF_SHA1_DOCUMENT_DIGEST"
)

const (
	levelInfo    = "info"
	levelWarning = "warning"
)

// Verify finds every signed signature field of the PDF in data and
// verifies it, in document order; each result's ID is the field's fully
// qualified name. Coverage is "whole_document" when the signed bytes run
// to the end of the file, else "partial" with a CoverageNote on what the
// later incremental updates added.
//
// SubFilters adbe.pkcs7.detached and ETSI.CAdES.detached are verified
// with package cms over the two /ByteRange segments; adbe.pkcs7.sha1 as an
// attached CMS whose content must be the SHA-1 digest of those segments;
// ETSI.RFC3161 document timestamps are reported as entries whose
// Timestamps hold the token (message DOCUMENT_TIMESTAMP). The certificates
// of the document's DSS are added to every entry's Certificates.
//
// A well-formed PDF without signatures returns an empty slice and no
// error. Problems of one signature are its Integrity and Problem. The only
// error is ErrMalformed (wrapped). Verify checks no trust, validity,
// revocation or algorithm policy; results may share memory with data.
func Verify(data []byte, opts Options) (sigs []*signed.Signature, err error) {
	defer func() {
		if r := recover(); r != nil {
			sigs, err = nil, fmt.Errorf("%w: unreadable structure", ErrMalformed)
		}
	}()
	return verify(data, opts, true)
}

// verify is Verify; with catch false a panic reaches the caller (the fuzz
// test), instead of becoming ErrMalformed or a Malformed signature.
func verify(data []byte, opts Options, catch bool) ([]*signed.Signature, error) {
	opts = opts.withDefaults()
	d, err := open(data, opts)
	if err != nil {
		return nil, err
	}
	d.catch = catch
	fields := d.signatureFields()
	if len(fields) == 0 && d.exhausted {
		return nil, fmt.Errorf("%w: processing limits reached before any signature was found", ErrMalformed)
	}
	dss := d.dssCertificates()
	sigs := []*signed.Signature{}
	ids := map[string]int{}
	for i, f := range fields {
		// Broken forms may repeat a name; IDs stay unique.
		if ids[f.name]++; ids[f.name] > 1 {
			f.name = fmt.Sprintf("%s#%d", f.name, ids[f.name])
		}
		if i == opts.MaxSignatures {
			sigs = append(sigs, malformed(f.name, fmt.Sprintf(
				"not verified: the document has %d signatures, more than the %d verified", len(fields), opts.MaxSignatures)))
			break
		}
		for _, s := range d.verifyField(f) {
			d.finish(s, f, dss)
			sigs = append(sigs, s)
		}
	}
	return sigs, nil
}

// malformed is a signature entry that could not be verified.
func malformed(id, problem string) *signed.Signature {
	return &signed.Signature{ID: id, Integrity: signed.Malformed, Problem: problem}
}

// verifyField checks one signature dictionary and verifies its CMS or
// timestamp token. The signatures it returns lack the document-wide
// remarks that finish adds.
func (d *document) verifyField(f sigField) (out []*signed.Signature) {
	if d.catch {
		defer func() {
			if r := recover(); r != nil {
				out = []*signed.Signature{malformed(f.name, "the signature dictionary could not be read")}
			}
		}()
	}
	sd, ok := d.resolve(f.v).(dict)
	if !ok {
		return []*signed.Signature{malformed(f.name, "the field's /V is not a signature dictionary")}
	}
	sub := d.nameOf(sd["SubFilter"])
	switch sub {
	case "adbe.pkcs7.detached", "ETSI.CAdES.detached", "adbe.pkcs7.sha1", "ETSI.RFC3161":
	case "adbe.x509.rsa_sha1":
		return []*signed.Signature{malformed(f.name, "SubFilter adbe.x509.rsa_sha1 (a bare PKCS#1 signature) is not supported")}
	case "":
		return []*signed.Signature{malformed(f.name, "the signature dictionary has no /SubFilter")}
	default:
		return []*signed.Signature{malformed(f.name, fmt.Sprintf("unknown SubFilter %.64q", string(sub)))}
	}
	contents := d.stringOf(sd["Contents"])
	if contents != nil && len(bytes.Trim(contents.b, "\x00")) == 0 {
		return []*signed.Signature{malformed(f.name, "/Contents is empty: the field was prepared for signing but never signed")}
	}
	br, problem := checkByteRange(d.data, d.resolve(sd["ByteRange"]), contents)
	if problem != "" {
		return []*signed.Signature{malformed(f.name, problem)}
	}
	der, trailing, err := signatureValue(contents.b)
	if err != nil {
		return []*signed.Signature{malformed(f.name, "/Contents does not hold a CMS object: "+err.Error())}
	}
	segs := br.segments(d.data)
	switch sub {
	case "ETSI.RFC3161":
		out = []*signed.Signature{documentTimestamp(f.name, der, segs)}
	case "adbe.pkcs7.sha1":
		out = verifySHA1(f.name, der, segs)
	default:
		out = verifyDetached(f.name, der, segs)
	}
	cov, note := d.coverage(br.end())
	for i, s := range out {
		s.ID = f.name
		if len(out) > 1 {
			s.ID = fmt.Sprintf("%s/signer-%d", f.name, i+1)
		}
		s.Coverage, s.CoverageNote = cov, note
		if trailing {
			s.Messages = append(s.Messages, signed.Message{Level: levelWarning, Code: CodeContentsTrailingData,
				Text: "non-zero bytes follow the CMS inside /Contents; they are not signed data and were ignored"})
		}
		if sub != "ETSI.RFC3161" {
			d.claimedTime(s, sd["M"])
		}
	}
	return out
}

// verifyDetached verifies a detached CMS over the two byte ranges.
func verifyDetached(id string, der []byte, segs [][]byte) []*signed.Signature {
	sigs, err := cms.Verify(der, &cms.Content{Segments: segs}, cms.Options{})
	if err != nil {
		return []*signed.Signature{malformed(id, "/Contents is not a CMS SignedData: "+err.Error())}
	}
	if len(sigs) == 0 {
		return []*signed.Signature{malformed(id, "the CMS in /Contents has no signer")}
	}
	return sigs
}

// verifySHA1 verifies adbe.pkcs7.sha1: an attached CMS whose content is
// the SHA-1 digest of the byte ranges (ISO 32000-1 §12.8.3.3.1).
func verifySHA1(id string, der []byte, segs [][]byte) []*signed.Signature {
	_, content, err := cms.EncapsulatedContent(der)
	if err != nil {
		return []*signed.Signature{malformed(id, "/Contents is not a CMS SignedData: "+err.Error())}
	}
	if content == nil {
		return []*signed.Signature{malformed(id, "adbe.pkcs7.sha1 signature without encapsulated content (the SHA-1 digest of the document)")}
	}
	sigs, err := cms.Verify(der, nil, cms.Options{})
	if err != nil {
		return []*signed.Signature{malformed(id, "/Contents is not a CMS SignedData: "+err.Error())}
	}
	if len(sigs) == 0 {
		return []*signed.Signature{malformed(id, "the CMS in /Contents has no signer")}
	}
	h := sha1.New()
	for _, s := range segs {
		h.Write(s)
	}
	sum := h.Sum(nil)
	// Some writers wrap the digest in a further OCTET STRING.
	match := bytes.Equal(content, sum) ||
		(len(content) == 22 && content[0] == 0x04 && content[1] == 20 && bytes.Equal(content[2:], sum))
	for _, s := range sigs {
		if !match && s.Integrity == signed.Intact {
			s.Integrity = signed.HashMismatch
			s.Problem = "the SHA-1 digest the signature holds does not match the signed byte ranges"
		}
		s.DigestAlgorithm = crypto.SHA1
		s.Messages = append(s.Messages, signed.Message{Level: levelWarning, Code: CodeSHA1DocumentDigest,
			Text: "adbe.pkcs7.sha1: the document is bound to the signature by a SHA-1 digest"})
	}
	return sigs
}

// documentTimestamp reports an ETSI.RFC3161 document timestamp (ISO
// 32000-2 §12.8.5) as a signature entry whose signer is the TSA.
func documentTimestamp(id string, der []byte, segs [][]byte) *signed.Signature {
	ts, err := cms.ParseTimestamp(der, "document", segs, nil)
	if err != nil || ts == nil {
		p := "/Contents is not an RFC 3161 time-stamp token"
		if err != nil {
			p += ": " + err.Error()
		}
		return malformed(id, p)
	}
	return &signed.Signature{
		ID: id, Signer: ts.TSA, Certificates: ts.Certificates,
		Integrity: ts.Integrity, Problem: ts.Problem, DigestAlgorithm: ts.DigestAlgorithm,
		Timestamps: []*signed.Timestamp{ts},
		Messages: []signed.Message{{Level: levelInfo, Code: CodeDocumentTimestamp,
			Text: "document timestamp (ETSI.RFC3161) of " + ts.GenTime.UTC().Format(time.RFC3339) + ", not a signature"}},
	}
}

// claimedTime takes the signing time from /M when the CMS carried none.
func (d *document) claimedTime(s *signed.Signature, m object) {
	if s.ClaimedSigningTime != nil {
		return
	}
	str := d.stringOf(m)
	if str == nil || len(str.b) > 64 {
		return
	}
	text := textString(str.b)
	t, zoned, ok := parseDate(text)
	if !ok {
		return
	}
	s.ClaimedSigningTime = &t
	if !zoned {
		s.ClaimedSigningTimeText = text
		s.Messages = append(s.Messages, signed.Message{Level: levelInfo, Code: CodeSigningTimeZoneAssumed,
			Text: "the /M signing time has no time zone; it was read as UTC+7"})
	}
}

// finish adds the document-wide remarks and the DSS certificates.
func (d *document) finish(s *signed.Signature, f sigField, dss []*x509.Certificate) {
	for _, c := range dss {
		have := false
		for _, x := range s.Certificates {
			if bytes.Equal(x.Raw, c.Raw) {
				have = true
				break
			}
		}
		if !have {
			s.Certificates = append(s.Certificates, c)
		}
	}
	if d.repaired {
		s.Messages = append(s.Messages, signed.Message{Level: levelWarning, Code: CodeXRefRepaired,
			Text: "the cross-reference data is broken; objects were located by scanning the file"})
	}
	if f.viaPages {
		s.Messages = append(s.Messages, signed.Message{Level: levelWarning, Code: CodeFieldOutsideAcroForm,
			Text: "the signature field is on a page but not in the document's form (AcroForm)"})
	}
	if d.exhausted || d.chainCut {
		s.Messages = append(s.Messages, signed.Message{Level: levelWarning, Code: CodeLimitsReached,
			Text: "processing limits were reached; parts of the document were not read"})
	}
}

// maxDSSCerts bounds the DSS certificates read.
const maxDSSCerts = 256

// dssCertificates reads the certificates of the Document Security Store
// (ISO 32000-2 §12.8.4.3, ETSI EN 319 142-1 §5.4.2): candidates for path
// building, trusted for nothing by themselves.
func (d *document) dssCertificates() []*x509.Certificate {
	cat := d.dictOf(d.trailer["Root"])
	dss := d.dictOf(cat["DSS"])
	var out []*x509.Certificate
	for _, o := range d.arrayOf(dss["Certs"]) {
		if len(out) >= maxDSSCerts {
			break
		}
		st, ok := d.resolve(o).(*stream)
		if !ok {
			continue
		}
		der, err := d.decode(st)
		if err != nil {
			continue
		}
		if c, err := x509.ParseCertificate(der); err == nil {
			out = append(out, c)
		}
	}
	return out
}
