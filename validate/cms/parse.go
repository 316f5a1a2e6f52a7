package cms

import (
	"bytes"
	"crypto/x509"
	"encoding/asn1"
	"errors"
	"fmt"
	"math/big"

	"golang.org/x/crypto/cryptobyte"
	cbasn1 "golang.org/x/crypto/cryptobyte/asn1"

	"github.com/lienthong/lienthong/validate/signed"
)

// Context-specific tags of RFC 5652 §5.
var (
	tagCons0        = cbasn1.Tag(0).Constructed().ContextSpecific() // [0] constructed: EXPLICIT, or IMPLICIT SET
	tagCons1        = cbasn1.Tag(1).Constructed().ContextSpecific() // [1] constructed
	tagSKIdentifier = cbasn1.Tag(0).ContextSpecific()               // [0] IMPLICIT OCTET STRING
)

// signedData is a parsed SignedData (RFC 5652 §5.1) with its certificates.
type signedData struct {
	contentType asn1.ObjectIdentifier // eContentType
	content     []byte                // eContent; nil when detached
	attached    bool
	certs       []*x509.Certificate
	messages    []signed.Message // remarks about skipped certificates
	signers     []signerInfo
}

// signerInfo is one SignerInfo (RFC 5652 §5.3). A SignerInfo that does not
// parse keeps its position with err set: it becomes a Malformed signature.
type signerInfo struct {
	err        error
	sidIssuer  []byte   // issuerAndSerialNumber: the issuer Name DER
	sidSerial  *big.Int // issuerAndSerialNumber: the serial
	sidSKI     []byte   // subjectKeyIdentifier
	digestAlg  algorithmIdentifier
	signedRaw  []byte // the whole [0] IMPLICIT signedAttrs element, nil when absent
	signedAttr []attribute
	sigAlg     algorithmIdentifier
	signature  []byte
	unsigned   []attribute
}

// attribute is an Attribute (RFC 5652 §5.3) with the DER of each value.
type attribute struct {
	oid    asn1.ObjectIdentifier
	values []cryptobyte.String
}

// parseSignedData reads a ContentInfo holding a SignedData, BER or DER.
// Trailing zero bytes are accepted (a PDF pads /Contents with zeros);
// other trailing data is not. An error means the input is not a
// SignedData at all; problems inside one SignerInfo are kept in it.
func parseSignedData(der []byte, opts Options) (*signedData, error) {
	d, rest, err := toDER(der)
	if err != nil {
		return nil, fmt.Errorf("cms: not a BER/DER ContentInfo: %w", err)
	}
	for _, b := range rest {
		if b != 0 {
			return nil, errors.New("cms: trailing data after the ContentInfo")
		}
	}
	in := cryptobyte.String(d)
	var ci, inner cryptobyte.String
	var ct asn1.ObjectIdentifier
	if !in.ReadASN1(&ci, cbasn1.SEQUENCE) || !ci.ReadASN1ObjectIdentifier(&ct) {
		return nil, errors.New("cms: malformed ContentInfo")
	}
	if !ct.Equal(oidSignedData) {
		return nil, fmt.Errorf("cms: content type %v is not SignedData", ct)
	}
	if !ci.ReadASN1(&inner, tagCons0) || !ci.Empty() {
		return nil, errors.New("cms: malformed ContentInfo content")
	}
	var sd cryptobyte.String
	if !inner.ReadASN1(&sd, cbasn1.SEQUENCE) || !inner.Empty() {
		return nil, errors.New("cms: malformed SignedData")
	}
	return readSignedData(sd, opts)
}

// readSignedData reads the fields of the SignedData SEQUENCE.
func readSignedData(sd cryptobyte.String, opts Options) (*signedData, error) {
	out := &signedData{}
	var version int64
	var digestAlgs, eci, certs, signerInfos cryptobyte.String
	var hasCerts bool
	if !sd.ReadASN1Integer(&version) || !sd.ReadASN1(&digestAlgs, cbasn1.SET) ||
		!sd.ReadASN1(&eci, cbasn1.SEQUENCE) {
		return nil, errors.New("cms: malformed SignedData header")
	}
	if !eci.ReadASN1ObjectIdentifier(&out.contentType) {
		return nil, errors.New("cms: malformed encapContentInfo")
	}
	if !eci.Empty() {
		var explicit cryptobyte.String
		if !eci.ReadASN1(&explicit, tagCons0) || !eci.Empty() {
			return nil, errors.New("cms: malformed eContent")
		}
		var el cryptobyte.String
		var tag cbasn1.Tag
		switch {
		case explicit.Empty():
			// "[0] {}": some detached producers write an empty
			// wrapper; there is no eContent.
		case !explicit.ReadAnyASN1(&el, &tag) || !explicit.Empty():
			return nil, errors.New("cms: malformed eContent")
		default:
			// RFC 5652 §5.2.1: PKCS #7 (RFC 2315) signers may encode a
			// content other than id-data directly, not in an OCTET
			// STRING; its digest then covers the value octets, as here.
			out.content, out.attached = el, true
			if out.content == nil {
				out.content = []byte{}
			}
		}
	}
	if !sd.ReadOptionalASN1(&certs, &hasCerts, tagCons0) ||
		!sd.SkipOptionalASN1(tagCons1) || // crls: revocation data is fetched, not taken from here
		!sd.ReadASN1(&signerInfos, cbasn1.SET) || !sd.Empty() {
		return nil, errors.New("cms: malformed SignedData")
	}
	if hasCerts {
		if err := out.readCertificates(certs, opts.MaxCertificates); err != nil {
			return nil, err
		}
	}
	for !signerInfos.Empty() {
		if len(out.signers) == opts.MaxSigners {
			return nil, fmt.Errorf("cms: more than %d SignerInfos", opts.MaxSigners)
		}
		var el cryptobyte.String
		var tag cbasn1.Tag
		if !signerInfos.ReadAnyASN1Element(&el, &tag) {
			return nil, errors.New("cms: malformed SignerInfos")
		}
		si, err := readSignerInfo(el, opts.MaxAttributes)
		if err != nil {
			si = signerInfo{err: err}
		}
		out.signers = append(out.signers, si)
	}
	return out, nil
}

// readCertificates parses the CertificateSet. A certificate that does not
// parse, or another CertificateChoices (attribute certificates), is skipped
// with a message; duplicates are dropped.
func (out *signedData) readCertificates(certs cryptobyte.String, max int) error {
	for i := 1; !certs.Empty(); i++ {
		if i > max {
			return fmt.Errorf("cms: more than %d certificates", max)
		}
		var el cryptobyte.String
		var tag cbasn1.Tag
		if !certs.ReadAnyASN1Element(&el, &tag) {
			return errors.New("cms: malformed CertificateSet")
		}
		if tag != cbasn1.SEQUENCE {
			out.messages = append(out.messages, signed.Message{Level: levelInfo, Code: CodeCertificateSkipped,
				Text: fmt.Sprintf("CMS certificate %d is not an X.509 certificate (tag %#x) and was skipped", i, uint8(tag))})
			continue
		}
		c, err := x509.ParseCertificate(el)
		if err != nil {
			out.messages = append(out.messages, signed.Message{Level: levelWarning, Code: CodeCertificateSkipped,
				Text: fmt.Sprintf("CMS certificate %d could not be parsed and was skipped: %v", i, err)})
			continue
		}
		dup := false
		for _, o := range out.certs {
			if bytes.Equal(o.Raw, c.Raw) {
				dup = true
				break
			}
		}
		if !dup {
			out.certs = append(out.certs, c)
		}
	}
	return nil
}

// readSignerInfo parses one SignerInfo element.
func readSignerInfo(el cryptobyte.String, maxAttrs int) (signerInfo, error) {
	var si signerInfo
	var seq cryptobyte.String
	var version int64
	if !el.ReadASN1(&seq, cbasn1.SEQUENCE) || !el.Empty() || !seq.ReadASN1Integer(&version) {
		return si, errors.New("malformed SignerInfo")
	}
	switch {
	case seq.PeekASN1Tag(cbasn1.SEQUENCE):
		var ias cryptobyte.String
		var name cryptobyte.String
		si.sidSerial = new(big.Int)
		if !seq.ReadASN1(&ias, cbasn1.SEQUENCE) || !ias.ReadASN1Element(&name, cbasn1.SEQUENCE) ||
			!ias.ReadASN1Integer(si.sidSerial) || !ias.Empty() {
			return si, errors.New("malformed issuerAndSerialNumber")
		}
		si.sidIssuer = name
	case seq.PeekASN1Tag(tagSKIdentifier):
		if !seq.ReadASN1Bytes(&si.sidSKI, tagSKIdentifier) {
			return si, errors.New("malformed subjectKeyIdentifier")
		}
	default:
		return si, errors.New("malformed SignerIdentifier")
	}
	if !readAlgorithmIdentifier(&seq, &si.digestAlg) {
		return si, errors.New("malformed digestAlgorithm")
	}
	nAttrs := 0
	if seq.PeekASN1Tag(tagCons0) {
		var raw cryptobyte.String
		if !seq.ReadASN1Element(&raw, tagCons0) {
			return si, errors.New("malformed signedAttrs")
		}
		si.signedRaw = raw
		body := raw
		var set cryptobyte.String
		body.ReadASN1(&set, tagCons0) // cannot fail: the element was just read
		var err error
		if si.signedAttr, err = readAttributes(set, 0, maxAttrs); err != nil {
			return si, fmt.Errorf("signedAttrs: %w", err)
		}
		if len(si.signedAttr) == 0 {
			return si, errors.New("empty signedAttrs (RFC 5652 §5.3: SIZE (1..MAX))")
		}
		nAttrs = len(si.signedAttr)
	}
	if !readAlgorithmIdentifier(&seq, &si.sigAlg) || !seq.ReadASN1Bytes(&si.signature, cbasn1.OCTET_STRING) {
		return si, errors.New("malformed signatureAlgorithm or signature")
	}
	if seq.PeekASN1Tag(tagCons1) {
		var set cryptobyte.String
		if !seq.ReadASN1(&set, tagCons1) {
			return si, errors.New("malformed unsignedAttrs")
		}
		var err error
		if si.unsigned, err = readAttributes(set, nAttrs, maxAttrs); err != nil {
			return si, fmt.Errorf("unsignedAttrs: %w", err)
		}
	}
	if !seq.Empty() {
		return si, errors.New("trailing data in SignerInfo")
	}
	return si, nil
}

// readAttributes reads the contents of a SET OF Attribute: with the
// already attributes read before, at most max attributes, each with at
// most max values.
func readAttributes(set cryptobyte.String, already, max int) ([]attribute, error) {
	var attrs []attribute
	for !set.Empty() {
		if already+len(attrs) >= max {
			return nil, fmt.Errorf("more than %d attributes in the SignerInfo", max)
		}
		var a attribute
		var seq, values cryptobyte.String
		if !set.ReadASN1(&seq, cbasn1.SEQUENCE) || !seq.ReadASN1ObjectIdentifier(&a.oid) ||
			!seq.ReadASN1(&values, cbasn1.SET) || !seq.Empty() {
			return nil, errors.New("malformed Attribute")
		}
		for !values.Empty() {
			if len(a.values) >= max {
				return nil, fmt.Errorf("attribute %v has more than %d values", a.oid, max)
			}
			var v cryptobyte.String
			var tag cbasn1.Tag
			if !values.ReadAnyASN1Element(&v, &tag) {
				return nil, fmt.Errorf("malformed value of attribute %v", a.oid)
			}
			a.values = append(a.values, v)
		}
		attrs = append(attrs, a)
	}
	return attrs, nil
}

// EncapsulatedContent returns the eContentType and eContent of a CMS
// SignedData (DER or BER), for callers such as timestamp parsing that need
// what an attached CMS signs. content is nil for a detached CMS. It checks
// no signature: use Verify for that. The content may share memory with
// der.
//
// A PDF signature with SubFilter adbe.pkcs7.sha1 is such an attached CMS:
// its eContent is the SHA-1 of the ByteRange. Verify it with a nil
// Content, then compare EncapsulatedContent with that digest.
func EncapsulatedContent(der []byte) (contentType asn1.ObjectIdentifier, content []byte, err error) {
	defer func() {
		if r := recover(); r != nil {
			contentType, content, err = nil, nil, fmt.Errorf("cms: malformed input (recovered panic: %v)", r)
		}
	}()
	sd, err := parseSignedData(der, Options{}.withDefaults())
	if err != nil {
		return nil, nil, err
	}
	return sd.contentType, sd.content, nil
}
