package trust

import (
	"crypto"
	"crypto/dsa" //nolint:staticcheck // legacy DSA (NIST PKITS 4.1.4-4.1.6)
	"crypto/ecdsa"
	"crypto/ed25519"
	"crypto/rsa"
	"crypto/x509"
	"encoding/asn1"
	"errors"
	"fmt"
	"math/big"

	_ "crypto/md5"  // registers crypto.MD5 for legacy signatures (refused by policy in validate)
	_ "crypto/sha1" // registers crypto.SHA1: SHA-1 CA generations sign until 2030
	_ "crypto/sha256"
	_ "crypto/sha512"
)

// ErrUnsupportedAlgorithm is returned by CheckSignature for signature
// algorithms it does not implement.
var ErrUnsupportedAlgorithm = errors.New("unsupported signature algorithm")

// CheckSignature reports whether the certificate child was signed by the
// private key belonging to parent's public key. It is the cryptographic
// primitive only: unlike (*x509.Certificate).CheckSignatureFrom it accepts
// SHA-1 and MD5 signatures and does not look at parent's basic constraints
// or key usage; deciding which algorithms and keys are acceptable, and when,
// is the path validator's algorithm policy.
func CheckSignature(child, parent *x509.Certificate) error {
	return CheckSignatureWith(parent.PublicKey, child.SignatureAlgorithm, child.RawTBSCertificate, child.Signature)
}

// Scheme is a signature scheme, independent of its hash.
type Scheme int

// Signature schemes of VerifyDigest.
const (
	SchemePKCS1v15 Scheme = iota + 1 // RSASSA-PKCS1-v1_5
	SchemePSS                        // RSASSA-PSS
	SchemeECDSA                      // ECDSA, ASN.1 Ecdsa-Sig-Value
	SchemeDSA                        // DSA, Dss-Sig-Value (legacy: NIST PKITS 4.1.4-4.1.6)
	SchemeEd25519                    // Ed25519, over the message itself
)

// ErrKeyMismatch is returned when the signature scheme does not fit the
// key's type.
var ErrKeyMismatch = errors.New("signature scheme does not match the key")

// schemes maps the x509 signature algorithms to scheme and hash.
var schemes = map[x509.SignatureAlgorithm]struct {
	scheme Scheme
	hash   crypto.Hash
}{
	x509.MD5WithRSA: {SchemePKCS1v15, crypto.MD5}, x509.SHA1WithRSA: {SchemePKCS1v15, crypto.SHA1},
	x509.SHA256WithRSA: {SchemePKCS1v15, crypto.SHA256}, x509.SHA384WithRSA: {SchemePKCS1v15, crypto.SHA384},
	x509.SHA512WithRSA:    {SchemePKCS1v15, crypto.SHA512},
	x509.SHA256WithRSAPSS: {SchemePSS, crypto.SHA256}, x509.SHA384WithRSAPSS: {SchemePSS, crypto.SHA384},
	x509.SHA512WithRSAPSS: {SchemePSS, crypto.SHA512},
	x509.ECDSAWithSHA1:    {SchemeECDSA, crypto.SHA1}, x509.ECDSAWithSHA256: {SchemeECDSA, crypto.SHA256},
	x509.ECDSAWithSHA384: {SchemeECDSA, crypto.SHA384}, x509.ECDSAWithSHA512: {SchemeECDSA, crypto.SHA512},
	x509.DSAWithSHA1: {SchemeDSA, crypto.SHA1}, x509.DSAWithSHA256: {SchemeDSA, crypto.SHA256},
	x509.PureEd25519: {SchemeEd25519, 0},
}

// CheckSignatureWith verifies signature over signed with pub, for the
// x509.SignatureAlgorithm algo (as crypto/x509 parsed it from a certificate,
// CRL or OCSP response). RSA-PSS salts are the hash length, as RFC 4055
// profiles them for certificates.
func CheckSignatureWith(pub any, algo x509.SignatureAlgorithm, signed, signature []byte) error {
	sc, ok := schemes[algo]
	if !ok {
		return fmt.Errorf("%w: %v", ErrUnsupportedAlgorithm, algo)
	}
	var digest []byte
	if sc.hash != 0 {
		hh := sc.hash.New()
		hh.Write(signed)
		digest = hh.Sum(nil)
	}
	return VerifyDigest(pub, sc.scheme, sc.hash, digest, signed, signature, rsa.PSSSaltLengthEqualsHash)
}

// VerifyDigest verifies sig made with pub's private key: over digest (h of
// the message) for RSA, ECDSA and DSA, over msg itself for Ed25519 (msg may
// be nil when only a digest is at hand: Ed25519 then fails). pssSalt is the
// RSA-PSS salt length (rsa.PSSSaltLengthAuto accepts any). It is the one
// signature primitive of lienthong: certificates, CRLs, OCSP answers, CMS
// and timestamps all go through it; which algorithms are acceptable, and
// when, is the caller's policy.
func VerifyDigest(pub any, scheme Scheme, h crypto.Hash, digest, msg, sig []byte, pssSalt int) error {
	mismatch := func() error { return fmt.Errorf("%w: %T key", ErrKeyMismatch, pub) }
	switch scheme {
	case SchemePKCS1v15, SchemePSS:
		k, ok := pub.(*rsa.PublicKey)
		if !ok {
			return mismatch()
		}
		if scheme == SchemePKCS1v15 {
			return rsa.VerifyPKCS1v15(k, h, digest, sig)
		}
		return rsa.VerifyPSS(k, h, digest, sig, &rsa.PSSOptions{SaltLength: pssSalt, Hash: h})
	case SchemeECDSA:
		k, ok := pub.(*ecdsa.PublicKey)
		if !ok {
			return mismatch()
		}
		if !ecdsa.VerifyASN1(k, digest, sig) {
			return errors.New("ECDSA verification failure")
		}
		return nil
	case SchemeDSA:
		k, ok := pub.(*dsa.PublicKey)
		if !ok {
			return mismatch()
		}
		var rs struct{ R, S *big.Int }
		if rest, err := asn1.Unmarshal(sig, &rs); err != nil || len(rest) != 0 {
			return errors.New("malformed DSA signature")
		}
		if rs.R.Sign() <= 0 || rs.S.Sign() <= 0 {
			return errors.New("DSA signature contained zero or negative values")
		}
		// FIPS 186-3 §4.6: the digest is truncated to the bit length of q.
		if n := k.Q.BitLen() / 8; len(digest) > n {
			digest = digest[:n]
		}
		if !dsa.Verify(k, digest, rs.R, rs.S) { //nolint:staticcheck // DSA is legacy but PKITS tests it
			return errors.New("DSA verification failure")
		}
		return nil
	case SchemeEd25519:
		k, ok := pub.(ed25519.PublicKey)
		if !ok {
			return mismatch()
		}
		if msg == nil {
			return errors.New("an Ed25519 signature needs the message itself, not its digest")
		}
		if !ed25519.Verify(k, msg, sig) {
			return errors.New("Ed25519 verification failure")
		}
		return nil
	}
	return fmt.Errorf("%w: scheme %d", ErrUnsupportedAlgorithm, scheme)
}

// digestOIDs are the hash algorithm identifiers lienthong reads (RFC 3279,
// RFC 5754); MD5 is listed so that callers can name it and refuse it.
var digestOIDs = []struct {
	oid  asn1.ObjectIdentifier
	hash crypto.Hash
}{
	{asn1.ObjectIdentifier{1, 2, 840, 113549, 2, 5}, crypto.MD5},
	{asn1.ObjectIdentifier{1, 3, 14, 3, 2, 26}, crypto.SHA1},
	{asn1.ObjectIdentifier{2, 16, 840, 1, 101, 3, 4, 2, 1}, crypto.SHA256},
	{asn1.ObjectIdentifier{2, 16, 840, 1, 101, 3, 4, 2, 2}, crypto.SHA384},
	{asn1.ObjectIdentifier{2, 16, 840, 1, 101, 3, 4, 2, 3}, crypto.SHA512},
}

// HashOf returns the hash a digest algorithm identifier names, or 0.
func HashOf(oid asn1.ObjectIdentifier) crypto.Hash {
	for _, d := range digestOIDs {
		if d.oid.Equal(oid) {
			return d.hash
		}
	}
	return 0
}
