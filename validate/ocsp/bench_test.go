package ocspcheck_test

import (
	"crypto/x509"
	"testing"

	"golang.org/x/crypto/ocsp"

	"github.com/lienthong/lienthong/test/testpki"
	ocspcheck "github.com/lienthong/lienthong/validate/ocsp"
)

// BenchmarkVerify verifies a good response: signed by a P-256 issuer,
// by a P-256 delegated responder, and SHA-1 RSA-2048 by the issuer.
func BenchmarkVerify(b *testing.B) {
	p := newPKI(b)
	c := p.Public.Citizen
	issuerSigned := respond(b, p, c.Cert, c.Issuer.Cert, 0)
	p.OCSP.SetMode(testpki.Delegated)
	delegated := respond(b, p, c.Cert, c.Issuer.Cert, 0)
	sha1 := testpki.WithSignatureAlgorithm(x509.SHA1WithRSA)
	rsaCA := root(b, p, "Test RootCA G1", testpki.WithRSA(2048), sha1)
	rsaLeaf := leaf(b, rsaCA, "LE VAN C", sha1)
	rsaDER := sign(b, rsaCA.Cert, rsaLeaf.Cert, rsaCA.Cert, rsaCA.Key, x509.SHA1WithRSA, ocsp.Good)
	for _, bc := range []struct {
		name         string
		der          []byte
		cert, issuer *x509.Certificate
	}{
		{"issuer-P256", issuerSigned, c.Cert, c.Issuer.Cert},
		{"delegated-P256", delegated, c.Cert, c.Issuer.Cert},
		{"issuer-RSA2048-SHA1", rsaDER, rsaLeaf.Cert, rsaCA.Cert},
	} {
		b.Run(bc.name, func(b *testing.B) {
			b.ReportAllocs()
			for b.Loop() {
				r, err := ocspcheck.Verify(bc.der, bc.cert, bc.issuer, t0, ocspcheck.Options{})
				if err != nil || r.Status != ocspcheck.Good {
					b.Fatalf("Verify = %v, %v", r, err)
				}
			}
		})
	}
}
