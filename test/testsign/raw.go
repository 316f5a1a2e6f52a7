package testsign

import (
	"crypto"
	"crypto/ecdsa"
	"crypto/ed25519"
	"crypto/rand"
	"crypto/rsa"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/asn1"
	"errors"

	"github.com/lienthong/lienthong/test/testpki"
)

// RawScheme is how RawSignature encodes a bare signature value.
type RawScheme int

// Schemes of bare signature values, as remote and mobile signing services
// return them.
const (
	RawPKCS1     RawScheme = iota + 1 // RSA PKCS #1 v1.5 (RFC 8017 §8.2)
	RawPSS                            // RSASSA-PSS, salt length = hash length
	RawECDSAASN1                      // ECDSA, ASN.1 SEQUENCE {r, s}
	RawECDSARaw                       // ECDSA, r||s
	RawEd25519                        // Ed25519 over the data itself
)

// RawSignature signs data, or its precomputed digest when digest is true
// (data is then the digest), with scheme and hash h.
func RawSignature(key crypto.Signer, h crypto.Hash, scheme RawScheme, data []byte, digest bool) ([]byte, error) {
	if scheme == RawEd25519 {
		if digest {
			return nil, errors.New("testsign: Ed25519 signs the data itself")
		}
		return key.Sign(nil, data, crypto.Hash(0))
	}
	sum := data
	if !digest {
		sum = Sum(h, data)
	}
	var opts crypto.SignerOpts = h
	if scheme == RawPSS {
		opts = &rsa.PSSOptions{SaltLength: rsa.PSSSaltLengthEqualsHash, Hash: h}
	}
	sig, err := key.Sign(rand.Reader, sum, opts)
	if err != nil {
		return nil, err
	}
	if scheme == RawECDSARaw {
		pub, ok := key.Public().(*ecdsa.PublicKey)
		if !ok {
			return nil, errors.New("testsign: r||s needs an ECDSA key")
		}
		return ecdsaRaw(pub, sig)
	}
	if _, ok := key.Public().(ed25519.PublicKey); ok {
		return nil, errors.New("testsign: use RawEd25519 for an Ed25519 key")
	}
	return sig, nil
}

// TimestampingCertOption makes a testpki certificate a TSA certificate:
// keyUsage digitalSignature and a critical extended key usage extension
// holding id-kp-timeStamping alone (RFC 3161 §2.3; crypto/x509 would write
// it non-critical).
func TimestampingCertOption() testpki.CertOption {
	// SEQUENCE { OBJECT IDENTIFIER 1.3.6.1.5.5.7.3.8 }
	eku := []byte{0x30, 0x0a, 0x06, 0x08, 0x2b, 0x06, 0x01, 0x05, 0x05, 0x07, 0x03, 0x08}
	return testpki.WithMutate(func(c *x509.Certificate) {
		c.ExtKeyUsage, c.UnknownExtKeyUsage = nil, nil
		c.KeyUsage = x509.KeyUsageDigitalSignature
		c.ExtraExtensions = append(c.ExtraExtensions, pkix.Extension{
			Id: asn1.ObjectIdentifier{2, 5, 29, 37}, Critical: true, Value: eku})
	})
}
