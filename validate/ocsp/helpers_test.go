package ocspcheck_test

import (
	"crypto"
	"crypto/x509"
	"crypto/x509/pkix"
	"math/big"
	"testing"
	"time"

	"golang.org/x/crypto/ocsp"

	"github.com/lienthong/lienthong/test/testpki"
	ocspcheck "github.com/lienthong/lienthong/validate/ocsp"
)

// t0 is far from the real time on purpose: anything that reads time.Now()
// instead of the time it is given shows up.
var t0 = time.Date(2031, 5, 17, 9, 30, 15, 0, time.UTC)

func newPKI(tb testing.TB) *testpki.PKI {
	tb.Helper()
	p, err := testpki.New(testpki.Options{Now: t0})
	if err != nil {
		tb.Fatalf("testpki.New: %v", err)
	}
	tb.Cleanup(p.Close)
	return p
}

// respond asks p's responder, in memory, about cert with a CertID of hash h
// (0 = SHA-1).
func respond(tb testing.TB, p *testpki.PKI, cert, issuer *x509.Certificate, h crypto.Hash) []byte {
	tb.Helper()
	req, err := ocsp.CreateRequest(cert, issuer, &ocsp.RequestOptions{Hash: h})
	if err != nil {
		tb.Fatal(err)
	}
	der, err := p.OCSP.Respond(req)
	if err != nil {
		tb.Fatal(err)
	}
	return der
}

// sign makes a response of the given status for cert with
// ocsp.CreateResponse, signed by signer as responder (embedded when it is
// not issuer's own certificate), with signature algorithm alg (0 =
// default for the key). A revoked status is dated an hour before t0.
func sign(tb testing.TB, issuer *x509.Certificate, cert *x509.Certificate, responder *x509.Certificate,
	key crypto.Signer, alg x509.SignatureAlgorithm, status int) []byte {
	tb.Helper()
	tmpl := ocsp.Response{
		Status:             status,
		SerialNumber:       cert.SerialNumber,
		ThisUpdate:         t0.Add(-time.Minute),
		NextUpdate:         t0.Add(time.Hour),
		SignatureAlgorithm: alg,
	}
	if status == ocsp.Revoked {
		tmpl.RevokedAt = t0.Add(-time.Hour)
	}
	if responder != issuer {
		tmpl.Certificate = responder
	}
	der, err := ocsp.CreateResponse(issuer, responder, tmpl, key)
	if err != nil {
		tb.Fatal(err)
	}
	return der
}

// delegate issues a delegated OCSP responder certificate from is, with
// the id-kp-OCSPSigning EKU.
func delegate(tb testing.TB, is *testpki.Issuer, opts ...testpki.CertOption) *testpki.Leaf {
	tb.Helper()
	opts = append(opts, testpki.WithMutate(func(c *x509.Certificate) {
		c.KeyUsage = x509.KeyUsageDigitalSignature
		c.ExtKeyUsage = []x509.ExtKeyUsage{x509.ExtKeyUsageOCSPSigning}
		c.OCSPServer, c.CRLDistributionPoints, c.IssuingCertificateURL = nil, nil, nil
	}))
	l, err := is.IssueLeaf(pkix.Name{CommonName: is.Cert.Subject.CommonName + " delegated OCSP"}, opts...)
	if err != nil {
		tb.Fatal(err)
	}
	return l
}

// withSerial gives a certificate a fixed serial.
func withSerial(n *big.Int) testpki.CertOption {
	return testpki.WithMutate(func(c *x509.Certificate) { c.SerialNumber = n })
}

func root(tb testing.TB, p *testpki.PKI, cn string, opts ...testpki.CertOption) *testpki.Issuer {
	tb.Helper()
	is, err := p.NewRoot(pkix.Name{CommonName: cn, Country: []string{"VN"}}, opts...)
	if err != nil {
		tb.Fatal(err)
	}
	return is
}

func leaf(tb testing.TB, is *testpki.Issuer, cn string, opts ...testpki.CertOption) *testpki.Leaf {
	tb.Helper()
	l, err := is.IssueLeaf(pkix.Name{CommonName: cn}, opts...)
	if err != nil {
		tb.Fatal(err)
	}
	return l
}

// modeCase is the citizen's response under mode m.
func modeCase(m testpki.Mode) func(t *testing.T, p *testpki.PKI) verifyCase {
	return func(t *testing.T, p *testpki.PKI) verifyCase {
		p.OCSP.SetMode(m)
		c := p.Public.Citizen
		return verifyCase{der: respond(t, p, c.Cert, c.Issuer.Cert, 0), cert: c.Cert, issuer: c.Issuer.Cert}
	}
}

func bytesCase(der []byte) func(t *testing.T, p *testpki.PKI) verifyCase {
	return func(t *testing.T, p *testpki.PKI) verifyCase {
		c := p.Public.Citizen
		return verifyCase{der: der, cert: c.Cert, issuer: c.Issuer.Cert}
	}
}

// sameSerial issues, from another CA made by other, a certificate with the
// citizen's serial and presents that CA's (correctly signed) answer as the
// citizen's: what a cache keyed by serial alone would do.
func sameSerial(other func(t *testing.T, p *testpki.PKI) *testpki.Issuer) func(t *testing.T, p *testpki.PKI) verifyCase {
	return func(t *testing.T, p *testpki.PKI) verifyCase {
		c := p.Public.Citizen
		ca := other(t, p)
		twin := leaf(t, ca, "NGUYEN VAN A", withSerial(new(big.Int).Set(c.Cert.SerialNumber)))
		der := respond(t, p, twin.Cert, ca.Cert, 0)
		if _, err := ocspcheck.Verify(der, twin.Cert, ca.Cert, t0, ocspcheck.Options{}); err != nil {
			t.Fatalf("the other CA's answer does not verify for its own certificate: %v", err)
		}
		return verifyCase{der: der, cert: c.Cert, issuer: c.Issuer.Cert}
	}
}

// sha1Case signs with SHA1withRSA, as Vietnamese responders still do:
// by the RSA issuer, or by a delegated responder whose certificate is
// itself SHA-1 signed (which x509.CheckSignatureFrom would refuse).
func sha1Case(delegated bool) func(t *testing.T, p *testpki.PKI) verifyCase {
	return func(t *testing.T, p *testpki.PKI) verifyCase {
		sha1 := testpki.WithSignatureAlgorithm(x509.SHA1WithRSA)
		ca := root(t, p, "Test RootCA G1", testpki.WithRSA(2048), sha1)
		c := leaf(t, ca, "LE VAN C", sha1)
		if !delegated {
			der := sign(t, ca.Cert, c.Cert, ca.Cert, ca.Key, x509.SHA1WithRSA, ocsp.Good)
			return verifyCase{der: der, cert: c.Cert, issuer: ca.Cert}
		}
		d := delegate(t, ca, testpki.WithRSA(2048), sha1)
		der := sign(t, ca.Cert, c.Cert, d.Cert, d.Key, x509.SHA1WithRSA, ocsp.Revoked)
		return verifyCase{der: der, cert: c.Cert, issuer: ca.Cert}
	}
}
