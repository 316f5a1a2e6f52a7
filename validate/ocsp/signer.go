package ocspcheck

import (
	"bytes"
	"cmp"
	"crypto/sha1"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/asn1"
	"fmt"
	"slices"
	"time"

	"github.com/lienthong/lienthong/trust"
)

// sigAlgOIDs maps the signature algorithms OCSP responders use to
// crypto/x509's names. SHA-1 is here on purpose: Vietnamese responders
// still sign with SHA1withRSA, and trust.CheckSignatureWith verifies it
// where crypto/x509 refuses to. Whether SHA-1 is acceptable is the caller's
// algorithm policy (Result.SignatureAlgorithm tells it). MD2 and MD5 are
// not: a forged MD5 response is within reach.
var sigAlgOIDs = []struct {
	oid asn1.ObjectIdentifier
	alg x509.SignatureAlgorithm
}{
	{asn1.ObjectIdentifier{1, 2, 840, 113549, 1, 1, 5}, x509.SHA1WithRSA},
	{asn1.ObjectIdentifier{1, 2, 840, 113549, 1, 1, 11}, x509.SHA256WithRSA},
	{asn1.ObjectIdentifier{1, 2, 840, 113549, 1, 1, 12}, x509.SHA384WithRSA},
	{asn1.ObjectIdentifier{1, 2, 840, 113549, 1, 1, 13}, x509.SHA512WithRSA},
	{asn1.ObjectIdentifier{1, 2, 840, 10045, 4, 1}, x509.ECDSAWithSHA1},
	{asn1.ObjectIdentifier{1, 2, 840, 10045, 4, 3, 2}, x509.ECDSAWithSHA256},
	{asn1.ObjectIdentifier{1, 2, 840, 10045, 4, 3, 3}, x509.ECDSAWithSHA384},
	{asn1.ObjectIdentifier{1, 2, 840, 10045, 4, 3, 4}, x509.ECDSAWithSHA512},
	{asn1.ObjectIdentifier{1, 3, 101, 112}, x509.PureEd25519},
}

var (
	oidRSAPSS = asn1.ObjectIdentifier{1, 2, 840, 113549, 1, 1, 10}
	oidMGF1   = asn1.ObjectIdentifier{1, 2, 840, 113549, 1, 1, 8}
)

// pssParameters is RSASSA-PSS-params (RFC 4055 §3.1).
type pssParameters struct {
	Hash         pkix.AlgorithmIdentifier `asn1:"explicit,tag:0,optional"`
	MGF          pkix.AlgorithmIdentifier `asn1:"explicit,tag:1,optional"`
	SaltLength   int                      `asn1:"explicit,tag:2,optional,default:20"`
	TrailerField int                      `asn1:"optional,explicit,tag:3,default:1"`
}

// signatureAlgorithm names the response's signature algorithm. RSA-PSS is
// accepted with SHA-256/384/512, MGF1 of the same hash and a salt as long
// as the hash, the only form trust.CheckSignatureWith verifies.
func signatureAlgorithm(ai pkix.AlgorithmIdentifier) (x509.SignatureAlgorithm, error) {
	for _, s := range sigAlgOIDs {
		if ai.Algorithm.Equal(s.oid) {
			return s.alg, nil
		}
	}
	if !ai.Algorithm.Equal(oidRSAPSS) {
		return 0, fmt.Errorf("%w: unsupported signature algorithm %v", ErrSignature, ai.Algorithm)
	}
	var params pssParameters
	if _, err := asn1.Unmarshal(ai.Parameters.FullBytes, &params); err != nil {
		return 0, fmt.Errorf("%w: RSASSA-PSS parameters: %v", ErrSignature, err)
	}
	var mgfHash pkix.AlgorithmIdentifier
	if _, err := asn1.Unmarshal(params.MGF.Parameters.FullBytes, &mgfHash); err != nil ||
		!params.MGF.Algorithm.Equal(oidMGF1) || !mgfHash.Algorithm.Equal(params.Hash.Algorithm) ||
		params.TrailerField != 1 {
		return 0, fmt.Errorf("%w: unsupported RSASSA-PSS parameters", ErrSignature)
	}
	h := certIDHash(params.Hash)
	if h == 0 || params.SaltLength != h.Size() {
		return 0, fmt.Errorf("%w: unsupported RSASSA-PSS parameters", ErrSignature)
	}
	switch h.Size() {
	case 32:
		return x509.SHA256WithRSAPSS, nil
	case 48:
		return x509.SHA384WithRSAPSS, nil
	case 64:
		return x509.SHA512WithRSAPSS, nil
	}
	return 0, fmt.Errorf("%w: RSASSA-PSS with SHA-1 is not supported", ErrSignature)
}

// identifies reports whether the responderID names c: byName is c's exact
// subject, byKey the SHA-1 of c's subjectPublicKey (RFC 6960 §4.2.1).
func (p *parsed) identifies(c *x509.Certificate) bool {
	switch p.responderID.Tag {
	case 1:
		return bytes.Equal(p.responderID.Bytes, c.RawSubject)
	case 2:
		var keyHash []byte
		if _, err := asn1.Unmarshal(p.responderID.Bytes, &keyHash); err != nil {
			return false
		}
		bits, err := spkiBits(c.RawSubjectPublicKeyInfo)
		if err != nil {
			return false
		}
		sum := sha1.Sum(bits)
		return bytes.Equal(keyHash, sum[:])
	}
	return false
}

// signedBy reports whether pub verifies the response signature.
func (p *parsed) signedBy(pub any) bool {
	return trust.CheckSignatureWith(pub, p.sigAlg, p.tbs, p.signature) == nil
}

// checkSigner finds who signed the response and whether RFC 6960 §4.2.2.2
// authorises them: the issuer itself (nil is returned), or a delegated
// responder certificate from the response's certs field. Candidates the
// responderID names are tried first; the others after, since some
// responders send a responderID that names nobody useful, and the
// signature, not the responderID, is what proves the signer.
func (p *parsed) checkSigner(issuer *x509.Certificate, t time.Time) (*x509.Certificate, error) {
	issuerTried := false
	if p.identifies(issuer) {
		issuerTried = true
		if p.signedBy(issuer.PublicKey) {
			return nil, nil
		}
	}
	tried := make([]bool, len(p.certs))
	var authErr error
	try := func(i int) (*x509.Certificate, bool) {
		tried[i] = true
		c := p.certs[i]
		if !p.signedBy(c.PublicKey) {
			return nil, false
		}
		if err := authorised(c, issuer, t); err != nil {
			authErr = cmp.Or(authErr, err) // keep the first
			return nil, false
		}
		return c, true
	}
	for i, c := range p.certs {
		if p.identifies(c) {
			if d, ok := try(i); ok {
				return delegated(d, issuer), nil
			}
		}
	}
	if !issuerTried && p.signedBy(issuer.PublicKey) {
		return nil, nil
	}
	for i := range p.certs {
		if !tried[i] {
			if d, ok := try(i); ok {
				return delegated(d, issuer), nil
			}
		}
	}
	if authErr != nil {
		return nil, authErr
	}
	return nil, fmt.Errorf("%w: no key among the issuer's and %d embedded certificate(s) verifies the %v signature",
		ErrSignature, len(p.certs), p.sigAlg)
}

// delegated returns d, or nil when d is the issuer's own certificate
// (some responders embed it): then the issuer signed.
func delegated(d, issuer *x509.Certificate) *x509.Certificate {
	if bytes.Equal(d.RawSubjectPublicKeyInfo, issuer.RawSubjectPublicKeyInfo) {
		return nil
	}
	return d
}

// authorised checks a delegated responder certificate whose key verified
// the response (RFC 6960 §4.2.2.2): issued directly by the issuer (name
// chaining and a signature check that accepts SHA-1, which
// x509.CheckSignatureFrom refuses), id-kp-OCSPSigning explicitly in its
// EKU (anyExtendedKeyUsage does not count), and valid at t.
//
// It does not check the responder certificate's own revocation status:
// RFC 6960 §4.2.2.2.1 lets the CA exempt it (id-pkix-ocsp-nocheck), and the
// real responders in scope all do.
func authorised(c, issuer *x509.Certificate, t time.Time) error {
	if bytes.Equal(c.RawSubjectPublicKeyInfo, issuer.RawSubjectPublicKeyInfo) {
		return nil // the issuer's own certificate, embedded
	}
	if !trust.SameName(c.RawIssuer, issuer.RawSubject) { // RFC 5280 §7.1, as everywhere else
		return fmt.Errorf("%w: delegated responder %q is not issued by the certificate's issuer",
			ErrSignature, trust.DN(c.RawSubject))
	}
	if err := trust.CheckSignature(c, issuer); err != nil {
		return fmt.Errorf("%w: delegated responder %q: issuer's signature does not verify: %v",
			ErrSignature, trust.DN(c.RawSubject), err)
	}
	if !slices.Contains(c.ExtKeyUsage, x509.ExtKeyUsageOCSPSigning) {
		return fmt.Errorf("%w: delegated responder %q lacks id-kp-OCSPSigning",
			ErrSignature, trust.DN(c.RawSubject))
	}
	if t.Before(c.NotBefore) || t.After(c.NotAfter) {
		return fmt.Errorf("%w: delegated responder %q is not valid at %s (valid %s to %s)",
			ErrSignature, trust.DN(c.RawSubject), t.UTC().Format(time.RFC3339),
			c.NotBefore.UTC().Format(time.RFC3339), c.NotAfter.UTC().Format(time.RFC3339))
	}
	return nil
}
