package validate

import (
	"context"
	"crypto/x509"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/lienthong/lienthong/test/testpki"
	"github.com/lienthong/lienthong/trust"
	"github.com/lienthong/lienthong/validate/fetch"
)

// aiaFixture is a store of the two roots alone, an AIASource over the real
// fetcher, and a Validator whose engine uses it.
type aiaFixture struct {
	p     *testpki.PKI
	store *trust.Store
	reg   *prometheus.Registry
	aia   *AIASource
	v     *Validator
}

func newAIAFixture(t *testing.T, private bool, mode RevocationMode) *aiaFixture {
	t.Helper()
	p := newPKI(t, false)
	f := &aiaFixture{p: p, reg: prometheus.NewRegistry()}
	f.store = newStore(t, nil,
		trust.DomainSpec{Name: "public", Hierarchy: trust.Public, Anchors: []*x509.Certificate{p.Public.Root.Cert}},
		trust.DomainSpec{Name: "government", Hierarchy: trust.Government, Anchors: []*x509.Certificate{p.Gov.Root.Cert}})
	fetcher, err := fetch.New(fetch.Options{AllowPrivateNetworks: private}, fetch.Deps{Registerer: f.reg, Now: time.Now})
	if err != nil {
		t.Fatal(err)
	}
	if f.aia, err = NewAIASource(AIAOptions{}, AIADeps{Fetcher: fetcher, Clock: p.Clock}); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(f.aia.Close)
	engine, err := NewEngine(Options{SHA1Until: sha1Cutoff}, Deps{Issuers: f.aia})
	if err != nil {
		t.Fatal(err)
	}
	opts := ValidatorOptions{Revocation: mode}
	if mode != RevocationOff {
		checker, err := NewRevocationChecker(RevocationOptions{}, RevocationDeps{Fetcher: fetcher, Clock: p.Clock, Registerer: f.reg})
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(checker.Close)
		opts.Checker = checker
	}
	if f.v, err = NewValidator(engine, opts); err != nil {
		t.Fatal(err)
	}
	return f
}

func (f *aiaFixture) validate(t *testing.T, leaf *x509.Certificate) SignatureReport {
	t.Helper()
	return f.v.ValidateCertificate(context.Background(), f.store, CertificateRequest{Certificate: leaf, Time: t0}).Signatures[0]
}

// TestAIACompletesChain: a leaf sent alone, against a store of roots only,
// validates through its caIssuers URL, fetched once.
func TestAIACompletesChain(t *testing.T) {
	f := newAIAFixture(t, true, RevocationHardFail)
	s := f.validate(t, f.p.Public.Citizen.Cert)
	if verdict(s) != "TOTAL_PASSED" || len(s.Chain) != 3 || len(s.Revocation) != 2 {
		t.Fatalf("%s chain %d revocation %s %+v", verdict(s), len(s.Chain), entryStatuses(s), s.Messages)
	}
	f.validate(t, f.p.Public.Business.Cert) // same CA, same URL: cached
	if s := f.validate(t, f.p.Gov.Official.Cert); verdict(s) != "TOTAL_PASSED" {
		t.Errorf("government leaf: %s %+v", verdict(s), s.Messages)
	}
	if got := f.p.CRL.CertRequests(); got != 2 {
		t.Errorf("%d caIssuers requests, want 2 (one per CA)", got)
	}
	if got := f.aia.certs.len(); got != 2 {
		t.Errorf("%d certificates cached, want 2", got)
	}
	f.p.Clock.Advance(DefaultAIATTL + time.Second)
	f.validate(t, f.p.Public.Citizen.Cert)
	if got := f.p.CRL.CertRequests(); got != 3 {
		t.Errorf("after the TTL: %d caIssuers requests, want 3", got)
	}
	f.aia.Purge()
	if f.aia.certs.len() != 0 {
		t.Error("Purge kept certificates")
	}
}

// TestAIAFailureCached: a caIssuers URL the policy refuses is not tried
// again on every request, and nothing is sent to it.
func TestAIAFailureCached(t *testing.T) {
	f := newAIAFixture(t, false, RevocationOff)
	for range 3 {
		if s := f.validate(t, f.p.Public.Citizen.Cert); verdict(s) != "INDETERMINATE/NO_CERTIFICATE_CHAIN_FOUND" {
			t.Fatalf("%s %+v", verdict(s), s.Messages)
		}
	}
	blocked := func() float64 {
		return metricValue(t, f.reg, "lienthong_upstream_requests_total", map[string]string{"source": "aia", "outcome": "blocked"})
	}
	if got := blocked(); got != 1 {
		t.Errorf("%v blocked caIssuers fetches, want 1 (the failure is cached)", got)
	}
	if f.p.CRL.CertRequests() != 0 {
		t.Error("a refused URL was connected to")
	}
	f.p.Clock.Advance(DefaultAIAFailureTTL + time.Second)
	f.validate(t, f.p.Public.Citizen.Cert)
	if got := blocked(); got != 2 {
		t.Errorf("after FailureTTL: %v blocked fetches, want 2", got)
	}
}

func TestAIANotCertificates(t *testing.T) {
	f := newAIAFixture(t, true, RevocationOff)
	leaf, err := f.p.Public.CA.IssueLeaf(name("BAD AIA"), testpki.WithMutate(func(c *x509.Certificate) {
		c.IssuingCertificateURL = []string{f.p.Public.CA.CRLURL, "ldap://dir.example.vn/cn=ca"}
	}))
	if err != nil {
		t.Fatal(err)
	}
	if s := f.validate(t, leaf.Cert); verdict(s) != "INDETERMINATE/NO_CERTIFICATE_CHAIN_FOUND" {
		t.Errorf("%s %+v", verdict(s), s.Messages)
	}
}

func TestNewAIASourceValidates(t *testing.T) {
	clk := testpki.NewClock(t0)
	fetcher, err := fetch.New(fetch.Options{}, fetch.Deps{Now: time.Now})
	if err != nil {
		t.Fatal(err)
	}
	for name, c := range map[string]struct {
		o AIAOptions
		d AIADeps
	}{
		"no fetcher":  {AIAOptions{}, AIADeps{Clock: clk}},
		"no clock":    {AIAOptions{}, AIADeps{Fetcher: fetcher}},
		"negative":    {AIAOptions{TTL: -1}, AIADeps{Fetcher: fetcher, Clock: clk}},
		"bad rewrite": {AIAOptions{URLRewrites: map[string]string{"x": "y"}}, AIADeps{Fetcher: fetcher, Clock: clk}},
	} {
		if _, err := NewAIASource(c.o, c.d); err == nil {
			t.Errorf("%s: accepted", name)
		}
	}
}

func TestCertCacheBound(t *testing.T) {
	p := newPKI(t, false)
	c := newCertCache(2)
	certs := []*x509.Certificate{p.Public.Root.Cert, p.Public.CA.Cert, p.Gov.Root.Cert}
	for _, x := range certs {
		if c.intern(x) != x {
			t.Fatal("first intern did not keep the certificate")
		}
	}
	if c.len() != 2 {
		t.Errorf("len %d, want 2", c.len())
	}
	dup, err := x509.ParseCertificate(p.Gov.Root.Cert.Raw)
	if err != nil {
		t.Fatal(err)
	}
	if c.intern(dup) != p.Gov.Root.Cert {
		t.Error("same DER not reused")
	}
}
