package validate

import (
	"context"
	"crypto/rand"
	"crypto/x509"
	"crypto/x509/pkix"
	"math/big"
	"strings"
	"testing"
	"time"

	"github.com/lienthong/lienthong/test/testpki"
	"github.com/lienthong/lienthong/trust"
)

// t0 is the fake "now" of every test PKI.
var t0 = time.Date(2026, 3, 1, 10, 0, 0, 0, time.UTC)

// sha1Cutoff is the config default of algorithms.sha1_until.
var sha1Cutoff = time.Date(2030, 12, 31, 23, 59, 59, 0, time.UTC)

func newPKI(tb testing.TB, cross bool) *testpki.PKI {
	tb.Helper()
	p, err := testpki.New(testpki.Options{Now: t0, Cross: cross})
	if err != nil {
		tb.Fatal(err)
	}
	tb.Cleanup(p.Close)
	return p
}

// bothDomains is the usual store: the public root and CA in domain
// "public", the government root and CA in domain "government".
func bothDomains(tb testing.TB, p *testpki.PKI) *trust.Store {
	tb.Helper()
	return newStore(tb, nil,
		trust.DomainSpec{Name: "public", Hierarchy: trust.Public,
			Anchors: []*x509.Certificate{p.Public.Root.Cert}, Intermediates: []*x509.Certificate{p.Public.CA.Cert}},
		trust.DomainSpec{Name: "government", Hierarchy: trust.Government,
			Anchors: []*x509.Certificate{p.Gov.Root.Cert}, Intermediates: []*x509.Certificate{p.Gov.CA.Cert}})
}

func newStore(tb testing.TB, cross []*x509.Certificate, specs ...trust.DomainSpec) *trust.Store {
	tb.Helper()
	s, err := trust.New(specs, cross)
	if err != nil {
		tb.Fatal(err)
	}
	return s
}

// oneDomain is a store with a single domain "test" anchored at root.
func oneDomain(tb testing.TB, root *x509.Certificate, policies ...string) *trust.Store {
	tb.Helper()
	return newStore(tb, nil, trust.DomainSpec{Name: "test", Hierarchy: trust.Other,
		Anchors: []*x509.Certificate{root}, Policies: policies})
}

func newEngine(tb testing.TB, opts Options) *Engine {
	tb.Helper()
	if opts.SHA1Until.IsZero() {
		opts.SHA1Until = sha1Cutoff
	}
	e, err := NewEngine(opts, Deps{})
	if err != nil {
		tb.Fatal(err)
	}
	return e
}

func verify(tb testing.TB, e *Engine, s *trust.Store, req PathRequest) (*Path, *Failure) {
	tb.Helper()
	if req.Time.IsZero() {
		req.Time = t0
	}
	return e.VerifyPath(context.Background(), s, req)
}

// chainString renders a path as "CN=leaf -> CN=int -> CN=root".
func chainString(p *Path) string {
	parts := make([]string, len(p.Chain))
	for i, c := range p.Chain {
		parts[i] = "CN=" + c.X509.Subject.CommonName
	}
	return strings.Join(parts, " -> ")
}

func name(cn string) pkix.Name { return pkix.Name{CommonName: cn, Country: []string{"VN"}} }

func must[T any](tb testing.TB) func(T, error) T {
	return func(v T, err error) T {
		tb.Helper()
		if err != nil {
			tb.Fatal(err)
		}
		return v
	}
}

// corrupt returns c with the last byte of its signature changed.
func corrupt(tb testing.TB, c *x509.Certificate) *x509.Certificate {
	tb.Helper()
	der := append([]byte(nil), c.Raw...)
	der[len(der)-1] ^= 0x01
	out, err := x509.ParseCertificate(der)
	if err != nil {
		tb.Fatal(err)
	}
	return out
}

// issueWithoutAKI issues a leaf under is whose authority key identifier is
// absent: crypto/x509 copies the parent's subject key identifier, so the
// parent is presented without one.
func issueWithoutAKI(tb testing.TB, is *testpki.Issuer) *x509.Certificate {
	tb.Helper()
	parent := *is.Cert
	parent.SubjectKeyId = nil
	tmpl := &x509.Certificate{
		SerialNumber:          big.NewInt(42),
		Subject:               name("NO AKI LEAF"),
		NotBefore:             t0.Add(-time.Hour),
		NotAfter:              t0.AddDate(1, 0, 0),
		KeyUsage:              x509.KeyUsageDigitalSignature,
		BasicConstraintsValid: true,
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, &parent, is.Key.Public(), is.Key)
	if err != nil {
		tb.Fatal(err)
	}
	c, err := x509.ParseCertificate(der)
	if err != nil {
		tb.Fatal(err)
	}
	if len(c.AuthorityKeyId) != 0 {
		tb.Fatal("leaf still has an authority key identifier")
	}
	return c
}
