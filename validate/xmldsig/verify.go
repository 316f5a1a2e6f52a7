// Package xmldsig is the XML Signature front end of lienthong: it finds
// every ds:Signature element of a document (XML Signature Syntax and
// Processing 1.1, namespace http://www.w3.org/2000/09/xmldsig#) and checks
// it cryptographically, as Vietnamese e-invoices (Decree 123:
// HDon/DSCKS/NBan|NMua|CQT/Signature), tax notices (TBao/DSCKS/TTCQT|CQT),
// tax declarations (CKyDTu) and social-insurance files (Cky) use it:
// enveloped signatures anywhere in the tree, references by "" or "#id",
// the signing time in a SignatureProperty, the signer's certificate in
// KeyInfo/X509Data.
//
// It reports each signature as a *signed.Signature and decides nothing
// about trust: path validation, revocation and the algorithm policy are
// package validate's. It does no DTD or entity processing at all (a
// DOCTYPE is refused), follows no external reference, and bounds its work
// by Options.
package xmldsig

import (
	"bytes"
	"crypto/x509"
	"fmt"
	"strings"

	"github.com/lienthong/lienthong/validate/signed"
)

// maxCertificates bounds the X509Certificate elements of one KeyInfo; each
// costs a parse and a signature verification.
const maxCertificates = 32

// Verify parses data and verifies every ds:Signature element in it, in
// document order. A well-formed document without signatures gives an empty
// slice and no error (the caller reports TOTAL_FAILED/FORMAT_FAILURE).
// Input that is not a document this package reads gives ErrMalformed (see
// there); more than Options.MaxSignatures signatures too; input longer than
// a positive Options.MaxBytes gives ErrTooLarge.
//
// A signature is Intact only when every Reference's digest matches (not
// just the first, unlike many libraries) and the SignatureValue verifies
// over the canonical SignedInfo with the key of one of the KeyInfo
// certificates, which becomes Signer. Otherwise its Integrity says what
// failed, in this order: Malformed (unsupported or broken syntax, an id
// carried twice), HashMismatch, NoSignedData (a reference to something not
// in the document), NoSigner (no usable certificate), BadSignature.
//
// Each Signature also gets: SignatureAlgorithm from SignatureMethod;
// DigestAlgorithm, the weakest hash among SignatureMethod and the
// references' DigestMethods (a SHA-1 reference digest is as weak as a
// SHA-1 signature); every KeyInfo certificate in Certificates; Coverage
// "whole_document" when a reference digests the root element, else
// "partial" with the signed elements' paths in CoverageNote; the claimed
// signing time (see signingTime); ID, the Id attribute or the element's
// path ("HDon/DSCKS/NBan/Signature").
//
// Verify does not look at certificate validity, key usage or chains, nor
// at the signing time beyond reading the claim. It keeps no state between
// calls and is safe for concurrent use.
func Verify(data []byte, opts Options) ([]*signed.Signature, error) {
	opts = opts.withDefaults()
	if opts.MaxBytes > 0 && int64(len(data)) > opts.MaxBytes {
		return nil, fmt.Errorf("%w: %d bytes, at most %d", ErrTooLarge, len(data), opts.MaxBytes)
	}
	doc, err := parse(data, opts)
	if err != nil {
		return nil, err
	}
	if len(doc.signatures) > opts.MaxSignatures {
		return nil, malformed("%d signatures, at most %d", len(doc.signatures), opts.MaxSignatures)
	}
	v := &verifier{
		doc:  doc,
		opts: opts,
		// Canonicalization may visit each node of the document a few
		// times over (two or three signatures over the same invoice),
		// not once per reference of a crafted document.
		budget:  8*int64(doc.elements) + 1<<16,
		digests: map[digestKey][]byte{},
	}
	out := make([]*signed.Signature, 0, len(doc.signatures))
	for _, el := range doc.signatures {
		out = append(out, v.signature(el))
	}
	return out, nil
}

// verifier holds what the signatures of one document share: the tree, the
// work budget left and the digests already computed.
type verifier struct {
	doc     *document
	opts    Options
	budget  int64
	digests map[digestKey][]byte
}

// sigParts is a parsed Signature element.
type sigParts struct {
	signedInfo *node
	c14n       c14nMethod
	method     sigMethod
	refs       []*reference
	value      []byte
}

// signature checks one Signature element.
func (v *verifier) signature(el *node) (s *signed.Signature) {
	s = &signed.Signature{ID: signatureID(el)}
	defer func() {
		// Nothing below should panic; if something does, that one
		// signature is unreadable, not the whole request.
		if r := recover(); r != nil {
			*s = signed.Signature{ID: s.ID, Integrity: signed.Malformed,
				Problem: fmt.Sprintf("internal error while reading the signature: %v", r)}
		}
	}()
	fail := func(i signed.Integrity, problem string) *signed.Signature {
		s.Integrity, s.Problem = i, problem
		return s
	}

	p, rp := v.parseSignature(el)
	if rp != nil && rp.integrity == signed.Malformed {
		return fail(signed.Malformed, rp.text)
	}
	s.SignatureAlgorithm = p.method.alg
	s.DigestAlgorithm = p.method.hash
	for _, r := range p.refs {
		if weaker(r.hash, s.DigestAlgorithm) {
			s.DigestAlgorithm = r.hash
		}
	}
	certs, unreadable, err := keyInfoCertificates(el)
	if err != nil {
		return fail(signed.Malformed, err.Error())
	}
	s.Certificates = certs

	var si bytes.Buffer
	if err := canonicalize(&si, v.doc, p.signedInfo, nil, p.c14n, &v.budget); err != nil {
		return fail(signed.Malformed, "canonicalizing SignedInfo: "+err.Error())
	}
	for _, c := range certs {
		if checkSignature(c, p.method, si.Bytes(), p.value) == nil {
			s.Signer = c
			break
		}
	}
	for _, r := range p.refs {
		ok, err := v.check(r)
		if err != nil {
			return fail(signed.Malformed, fmt.Sprintf("reference %d: %v", r.index, err))
		}
		if !ok {
			return fail(signed.HashMismatch, fmt.Sprintf("reference %d (URI %q, %s): digest does not match",
				r.index, r.uri, describe(r)))
		}
	}
	if rp != nil {
		return fail(rp.integrity, rp.text)
	}
	s.Coverage, s.CoverageNote = coverage(p.refs)
	signingTime(el, p.refs, s)
	switch {
	case s.Signer != nil:
		s.Integrity = signed.Intact
	case len(certs) == 0 && len(unreadable) > 0:
		return fail(signed.NoSigner, "no usable X.509 certificate in KeyInfo: "+strings.Join(unreadable, "; "))
	case len(certs) == 0:
		return fail(signed.NoSigner, "no X.509 certificate in KeyInfo")
	case len(unreadable) > 0:
		return fail(signed.NoSigner, "no certificate in KeyInfo verifies the signature, and some could not be read: "+
			strings.Join(unreadable, "; "))
	default:
		return fail(signed.BadSignature, "the signature value does not verify with any certificate in KeyInfo")
	}
	return s
}

// describe names what a reference digests, for Problem texts.
func describe(r *reference) string {
	if r.apex == nil {
		return "the whole document"
	}
	return elementPath(r.apex)
}

// parseSignature reads the Signature element (XMLDSig 1.1 §4.1–4.4):
// SignedInfo, SignatureValue, then KeyInfo and Object elements, which
// are read elsewhere. A problem with any reference is returned with the
// parts read so far; a Malformed one wins over NoSignedData.
func (v *verifier) parseSignature(el *node) (*sigParts, *refProblem) {
	bad := func(format string, args ...any) (*sigParts, *refProblem) {
		return nil, &refProblem{signed.Malformed, fmt.Sprintf(format, args...)}
	}
	kids := elementChildren(el)
	if len(kids) < 2 || !isDS(kids[0], "SignedInfo") || !isDS(kids[1], "SignatureValue") {
		return bad("Signature must start with SignedInfo and SignatureValue")
	}
	for i, k := range kids[2:] {
		if !(isDS(k, "KeyInfo") && i == 0) && !isDS(k, "Object") {
			return bad("unexpected element %s in Signature", k.local)
		}
	}
	p := &sigParts{signedInfo: kids[0]}
	text, err := textContent(kids[1])
	if err != nil {
		return bad("SignatureValue: %v", err)
	}
	if p.value, err = decodeBase64(text); err != nil || len(p.value) == 0 {
		return bad("SignatureValue is not base64")
	}

	si := elementChildren(p.signedInfo)
	if len(si) < 3 || !isDS(si[0], "CanonicalizationMethod") || !isDS(si[1], "SignatureMethod") {
		return bad("SignedInfo must hold CanonicalizationMethod, SignatureMethod and at least one Reference")
	}
	alg := attrValue(si[0], "Algorithm")
	var ok bool
	if p.c14n, ok = c14nMethodFor(alg); !ok {
		return bad("unsupported canonicalization method %q", alg)
	}
	if p.c14n.exclusive {
		p.c14n.prefixes = inclusivePrefixes(si[0])
	}
	alg = attrValue(si[1], "Algorithm")
	if p.method, ok = signatureMethodFor(alg); !ok {
		return bad("unsupported signature method %q", alg)
	}
	if len(si)-2 > v.opts.MaxReferences {
		return bad("%d references, at most %d", len(si)-2, v.opts.MaxReferences)
	}
	var pending *refProblem
	for i, r := range si[2:] {
		if !isDS(r, "Reference") {
			return bad("unexpected element %s in SignedInfo", r.local)
		}
		ref, rp := parseReference(v.doc, el, r, i+1)
		switch {
		case rp != nil && rp.integrity == signed.Malformed:
			return p, rp
		case rp != nil:
			if pending == nil {
				pending = rp
			}
		default:
			p.refs = append(p.refs, ref)
		}
	}
	return p, pending
}

// keyInfoCertificates returns the certificates of KeyInfo/X509Data
// (XMLDSig 1.1 §4.5.4) that parse, and an error describing those that do
// not (a signature whose signer certificate does not parse has no signer,
// but is not malformed). KeyName, KeyValue and RetrievalMethod are not
// used: a bare key cannot be path-validated. The error is set only for
// more than maxCertificates certificates.
func keyInfoCertificates(sig *node) (certs []*x509.Certificate, unreadable []string, err error) {
	n := 0
	for _, ki := range elementChildren(sig) {
		if !isDS(ki, "KeyInfo") {
			continue
		}
		for _, xd := range elementChildren(ki) {
			if !isDS(xd, "X509Data") {
				continue
			}
			for _, xc := range elementChildren(xd) {
				if !isDS(xc, "X509Certificate") {
					continue
				}
				if n++; n > maxCertificates {
					return nil, nil, fmt.Errorf("more than %d certificates in KeyInfo", maxCertificates)
				}
				text, err := textContent(xc)
				if err != nil {
					unreadable = append(unreadable, fmt.Sprintf("certificate %d: %v", n, err))
					continue
				}
				der, err := decodeBase64(text)
				if err != nil {
					unreadable = append(unreadable, fmt.Sprintf("certificate %d is not base64", n))
					continue
				}
				c, err := x509.ParseCertificate(der)
				if err != nil {
					unreadable = append(unreadable, fmt.Sprintf("certificate %d: %v", n, err))
					continue
				}
				certs = append(certs, c)
			}
		}
	}
	return certs, unreadable, nil
}

// signatureID names a signature in the report: its Id attribute, else its
// path from the root.
func signatureID(el *node) string {
	for _, a := range el.attrs {
		if a.ns == "" && isIDName(a.local) && a.value != "" {
			return a.value
		}
	}
	return elementPath(el)
}
