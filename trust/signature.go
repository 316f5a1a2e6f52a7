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

// CheckSignatureWith verifies signature over signed with pub, for the
// x509.SignatureAlgorithm algo (as crypto/x509 parsed it from a certificate,
// CRL or OCSP response).
func CheckSignatureWith(pub any, algo x509.SignatureAlgorithm, signed, signature []byte) error {
	var h crypto.Hash
	var kind string
	switch algo {
	case x509.MD5WithRSA:
		h, kind = crypto.MD5, "rsa"
	case x509.SHA1WithRSA:
		h, kind = crypto.SHA1, "rsa"
	case x509.SHA256WithRSA:
		h, kind = crypto.SHA256, "rsa"
	case x509.SHA384WithRSA:
		h, kind = crypto.SHA384, "rsa"
	case x509.SHA512WithRSA:
		h, kind = crypto.SHA512, "rsa"
	case x509.SHA256WithRSAPSS:
		h, kind = crypto.SHA256, "pss"
	case x509.SHA384WithRSAPSS:
		h, kind = crypto.SHA384, "pss"
	case x509.SHA512WithRSAPSS:
		h, kind = crypto.SHA512, "pss"
	case x509.ECDSAWithSHA1:
		h, kind = crypto.SHA1, "ecdsa"
	case x509.ECDSAWithSHA256:
		h, kind = crypto.SHA256, "ecdsa"
	case x509.ECDSAWithSHA384:
		h, kind = crypto.SHA384, "ecdsa"
	case x509.ECDSAWithSHA512:
		h, kind = crypto.SHA512, "ecdsa"
	case x509.PureEd25519:
		kind = "ed25519"
	case x509.DSAWithSHA1:
		h, kind = crypto.SHA1, "dsa"
	case x509.DSAWithSHA256:
		h, kind = crypto.SHA256, "dsa"
	default:
		return fmt.Errorf("%w: %v", ErrUnsupportedAlgorithm, algo)
	}
	var digest []byte
	if h != 0 {
		hh := h.New()
		hh.Write(signed)
		digest = hh.Sum(nil)
	}
	switch kind {
	case "rsa", "pss":
		k, ok := pub.(*rsa.PublicKey)
		if !ok {
			return fmt.Errorf("signature algorithm %v does not match the issuer's %T key", algo, pub)
		}
		if kind == "rsa" {
			return rsa.VerifyPKCS1v15(k, h, digest, signature)
		}
		return rsa.VerifyPSS(k, h, digest, signature, &rsa.PSSOptions{SaltLength: rsa.PSSSaltLengthEqualsHash})
	case "ecdsa":
		k, ok := pub.(*ecdsa.PublicKey)
		if !ok {
			return fmt.Errorf("signature algorithm %v does not match the issuer's %T key", algo, pub)
		}
		if !ecdsa.VerifyASN1(k, digest, signature) {
			return errors.New("ECDSA verification failure")
		}
		return nil
	case "dsa":
		k, ok := pub.(*dsa.PublicKey)
		if !ok {
			return fmt.Errorf("signature algorithm %v does not match the issuer's %T key", algo, pub)
		}
		var sig struct{ R, S *big.Int }
		if rest, err := asn1.Unmarshal(signature, &sig); err != nil || len(rest) != 0 {
			return errors.New("malformed DSA signature")
		}
		if sig.R.Sign() <= 0 || sig.S.Sign() <= 0 {
			return errors.New("DSA signature contained zero or negative values")
		}
		// FIPS 186-3 §4.6: the digest is truncated to the bit length of q.
		if n := k.Q.BitLen() / 8; len(digest) > n {
			digest = digest[:n]
		}
		if !dsa.Verify(k, digest, sig.R, sig.S) { //nolint:staticcheck // DSA is legacy but PKITS tests it
			return errors.New("DSA verification failure")
		}
		return nil
	default: // ed25519
		k, ok := pub.(ed25519.PublicKey)
		if !ok {
			return fmt.Errorf("signature algorithm %v does not match the issuer's %T key", algo, pub)
		}
		if !ed25519.Verify(k, signed, signature) {
			return errors.New("Ed25519 verification failure")
		}
		return nil
	}
}
