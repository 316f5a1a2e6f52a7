package xmldsig

import (
	"crypto"
	"crypto/ecdsa"
	"crypto/x509"
	"encoding/asn1"
	"encoding/base64"
	"errors"
	"fmt"
	"math/big"
	"strings"

	"github.com/lienthong/lienthong/trust"
)

// dsigNS is the XML Signature namespace (XMLDSig 1.1 §4).
const dsigNS = "http://www.w3.org/2000/09/xmldsig#"

// sigMethod is a SignatureMethod this package verifies.
type sigMethod struct {
	alg  x509.SignatureAlgorithm
	hash crypto.Hash
}

func (m sigMethod) ecdsa() bool {
	switch m.alg {
	case x509.ECDSAWithSHA1, x509.ECDSAWithSHA256, x509.ECDSAWithSHA384, x509.ECDSAWithSHA512:
		return true
	}
	return false
}

// signatureMethodFor maps a SignatureMethod Algorithm URI (XMLDSig 1.1
// §6.4, RFC 6931 §2.3) to the x509 algorithm that package trust verifies.
// HMAC and DSA methods are not supported: they report false, which makes
// the signature Malformed.
func signatureMethodFor(uri string) (sigMethod, bool) {
	const more = "http://www.w3.org/2001/04/xmldsig-more#"
	const more07 = "http://www.w3.org/2007/05/xmldsig-more#"
	switch uri {
	case dsigNS + "rsa-sha1":
		return sigMethod{x509.SHA1WithRSA, crypto.SHA1}, true
	case more + "rsa-sha256":
		return sigMethod{x509.SHA256WithRSA, crypto.SHA256}, true
	case more + "rsa-sha384":
		return sigMethod{x509.SHA384WithRSA, crypto.SHA384}, true
	case more + "rsa-sha512":
		return sigMethod{x509.SHA512WithRSA, crypto.SHA512}, true
	case more + "ecdsa-sha1":
		return sigMethod{x509.ECDSAWithSHA1, crypto.SHA1}, true
	case more + "ecdsa-sha256":
		return sigMethod{x509.ECDSAWithSHA256, crypto.SHA256}, true
	case more + "ecdsa-sha384":
		return sigMethod{x509.ECDSAWithSHA384, crypto.SHA384}, true
	case more + "ecdsa-sha512":
		return sigMethod{x509.ECDSAWithSHA512, crypto.SHA512}, true
	// RSASSA-PSS without parameters (RFC 6931 §2.3.10): MGF1 with the
	// same hash, salt as long as the hash — what trust checks for PSS.
	case more07 + "sha256-rsa-MGF1":
		return sigMethod{x509.SHA256WithRSAPSS, crypto.SHA256}, true
	case more07 + "sha384-rsa-MGF1":
		return sigMethod{x509.SHA384WithRSAPSS, crypto.SHA384}, true
	case more07 + "sha512-rsa-MGF1":
		return sigMethod{x509.SHA512WithRSAPSS, crypto.SHA512}, true
	}
	return sigMethod{}, false
}

// digestMethodFor maps a DigestMethod Algorithm URI (XMLDSig 1.1 §6.2,
// RFC 6931 §2.1) to its hash.
func digestMethodFor(uri string) (crypto.Hash, bool) {
	switch uri {
	case dsigNS + "sha1":
		return crypto.SHA1, true
	case "http://www.w3.org/2001/04/xmldsig-more#sha224":
		return crypto.SHA224, true
	case "http://www.w3.org/2001/04/xmlenc#sha256":
		return crypto.SHA256, true
	case "http://www.w3.org/2001/04/xmldsig-more#sha384":
		return crypto.SHA384, true
	case "http://www.w3.org/2001/04/xmlenc#sha512":
		return crypto.SHA512, true
	}
	return 0, false
}

// weaker reports whether hash a is weaker than b (for reporting the
// weakest digest of a signature).
func weaker(a, b crypto.Hash) bool {
	rank := func(h crypto.Hash) int {
		switch h {
		case crypto.SHA1:
			return 1
		case crypto.SHA224:
			return 2
		case crypto.SHA256:
			return 3
		case crypto.SHA384:
			return 4
		case crypto.SHA512:
			return 5
		}
		return 6
	}
	return rank(a) < rank(b)
}

// checkSignature verifies value over signed (the canonical SignedInfo)
// with cert's key. XMLDSig writes an ECDSA signature as r||s, each half as
// long as the curve's order (RFC 4050 §3.3, XMLDSig 1.1 §6.4.3); package
// trust wants the ASN.1 form of RFC 3279, so it is re-encoded first.
func checkSignature(cert *x509.Certificate, m sigMethod, signed, value []byte) error {
	if m.ecdsa() {
		pub, ok := cert.PublicKey.(*ecdsa.PublicKey)
		if !ok {
			return fmt.Errorf("ECDSA signature method with a %T key", cert.PublicKey)
		}
		size := (pub.Curve.Params().N.BitLen() + 7) / 8
		if len(value) != 2*size {
			return errors.New("ECDSA signature value of the wrong length")
		}
		der, err := asn1.Marshal(struct{ R, S *big.Int }{
			new(big.Int).SetBytes(value[:size]), new(big.Int).SetBytes(value[size:]),
		})
		if err != nil {
			return err
		}
		value = der
	}
	return trust.CheckSignatureWith(cert.PublicKey, m.alg, signed, value)
}

// decodeBase64 decodes an XML Schema base64Binary value, which may be
// broken into lines.
func decodeBase64(s string) ([]byte, error) {
	s = strings.Map(func(r rune) rune {
		switch r {
		case ' ', '\t', '\r', '\n':
			return -1
		}
		return r
	}, s)
	return base64.StdEncoding.DecodeString(s)
}
