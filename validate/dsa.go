package validate

import (
	"crypto/dsa" //nolint:staticcheck // legacy DSA, NIST PKITS 4.1.4-4.1.6
	"crypto/x509"
	"encoding/asn1"
	"errors"
	"fmt"
	"math/big"

	"golang.org/x/crypto/cryptobyte"
	cbasn1 "golang.org/x/crypto/cryptobyte/asn1"
)

var oidDSA = asn1.ObjectIdentifier{1, 2, 840, 10040, 4, 1}

// ParseCertificateInheritDSA parses der, a certificate whose DSA subject
// public key omits its domain parameters, which RFC 3279 §2.3.2 then
// inherits from the issuer's key; crypto/x509 refuses such certificates
// ("invalid DSA parameters"). It inserts issuer's parameters into a copy of
// the SubjectPublicKeyInfo, parses that copy for the public key only, and
// returns a certificate whose Raw, RawTBSCertificate,
// RawSubjectPublicKeyInfo and Signature are the original bytes, so that its
// signature and fingerprint are those of der.
//
// issuer must carry a DSA public key (itself possibly inherited). It fails
// if der parses without help or its key is not DSA without parameters.
func ParseCertificateInheritDSA(der []byte, issuer *x509.Certificate) (*x509.Certificate, error) {
	ik, ok := issuer.PublicKey.(*dsa.PublicKey)
	if !ok {
		return nil, errors.New("validate: issuer key is not DSA")
	}
	params, err := asn1.Marshal(struct{ P, Q, G *big.Int }{ik.P, ik.Q, ik.G})
	if err != nil {
		return nil, err
	}
	in := cryptobyte.String(der)
	var cert, tbsFull, tbs cryptobyte.String
	if !in.ReadASN1(&cert, cbasn1.SEQUENCE) || !in.Empty() ||
		!cert.ReadASN1Element(&tbsFull, cbasn1.SEQUENCE) {
		return nil, errors.New("validate: malformed certificate")
	}
	rest := []byte(cert) // signatureAlgorithm and signatureValue, untouched
	tbsCopy := tbsFull
	if !tbsCopy.ReadASN1(&tbs, cbasn1.SEQUENCE) {
		return nil, errors.New("validate: malformed tbsCertificate")
	}
	var out cryptobyte.Builder
	var origSPKI []byte
	out.AddASN1(cbasn1.SEQUENCE, func(c *cryptobyte.Builder) {
		c.AddASN1(cbasn1.SEQUENCE, func(t *cryptobyte.Builder) {
			// version (optional), serial, signature, issuer, validity,
			// subject, then the SubjectPublicKeyInfo.
			for i := 0; ; i++ {
				var el cryptobyte.String
				var tag cbasn1.Tag
				if !tbs.ReadAnyASN1Element(&el, &tag) {
					t.SetError(errors.New("validate: truncated tbsCertificate"))
					return
				}
				if i == 0 && tag == cbasn1.Tag(0).Constructed().ContextSpecific() {
					t.AddBytes(el)
					i--
					continue
				}
				if i < 5 {
					t.AddBytes(el)
					continue
				}
				origSPKI = el
				spki, err := inheritParams(el, params)
				if err != nil {
					t.SetError(err)
					return
				}
				t.AddBytes(spki)
				t.AddBytes(tbs) // extensions and the rest
				return
			}
		})
		c.AddBytes(rest)
	})
	patched, err := out.Bytes()
	if err != nil {
		return nil, err
	}
	x, err := x509.ParseCertificate(patched)
	if err != nil {
		return nil, fmt.Errorf("validate: certificate with inherited DSA parameters: %w", err)
	}
	x.Raw = der
	x.RawTBSCertificate = []byte(tbsFull)
	x.RawSubjectPublicKeyInfo = origSPKI
	return x, nil
}

// inheritParams returns spki with DSA parameters params, refusing one that
// is not DSA or already has parameters.
func inheritParams(spki, params []byte) ([]byte, error) {
	s := cryptobyte.String(spki)
	var body, alg, key cryptobyte.String
	var oid asn1.ObjectIdentifier
	if !s.ReadASN1(&body, cbasn1.SEQUENCE) || !body.ReadASN1(&alg, cbasn1.SEQUENCE) ||
		!alg.ReadASN1ObjectIdentifier(&oid) || !body.ReadASN1Element(&key, cbasn1.BIT_STRING) {
		return nil, errors.New("validate: malformed SubjectPublicKeyInfo")
	}
	if !oid.Equal(oidDSA) {
		return nil, errors.New("validate: subject key is not DSA")
	}
	if !alg.Empty() && !alg.PeekASN1Tag(cbasn1.NULL) {
		return nil, errors.New("validate: DSA key already has parameters")
	}
	var b cryptobyte.Builder
	b.AddASN1(cbasn1.SEQUENCE, func(b *cryptobyte.Builder) {
		b.AddASN1(cbasn1.SEQUENCE, func(b *cryptobyte.Builder) {
			b.AddASN1ObjectIdentifier(oidDSA)
			b.AddBytes(params)
		})
		b.AddBytes(key)
	})
	return b.Bytes()
}
