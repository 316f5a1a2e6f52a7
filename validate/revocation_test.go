package validate

import (
	"context"
	"crypto/x509"
	"encoding/json"
	"strings"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"golang.org/x/crypto/ocsp"

	"github.com/lienthong/lienthong/test/testpki"
	"github.com/lienthong/lienthong/trust"
	"github.com/lienthong/lienthong/validate/fetch"
)

// revFixture is a test PKI of both hierarchies with its OCSP responder and
// CRL server, a store of both domains, the real HTTP fetcher on loopback
// and a Validator with a RevocationChecker, all on a fresh registry.
type revFixture struct {
	p       *testpki.PKI
	store   *trust.Store
	reg     *prometheus.Registry
	checker *RevocationChecker
	v       *Validator
}

type revSetup struct {
	mode  RevocationMode
	ropts RevocationOptions
	fopts fetch.Options
	// private disallows private networks (SSRF tests); by default the
	// fetcher may reach the loopback servers of testpki.
	noPrivate bool
}

func newRevFixture(t testing.TB, s revSetup) *revFixture {
	t.Helper()
	f := &revFixture{p: newPKI(t, false), reg: prometheus.NewRegistry()}
	f.store = bothDomains(t, f.p)
	f.checker, f.v = newChecker(t, f.p, f.reg, s)
	return f
}

// newChecker builds the fetcher, checker and validator of a fixture.
func newChecker(t testing.TB, p *testpki.PKI, reg *prometheus.Registry, s revSetup) (*RevocationChecker, *Validator) {
	t.Helper()
	s.fopts.AllowPrivateNetworks = !s.noPrivate
	fetcher, err := fetch.New(s.fopts, fetch.Deps{Registerer: reg, Now: time.Now})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(fetcher.CloseIdleConnections)
	checker, err := NewRevocationChecker(s.ropts, RevocationDeps{Fetcher: fetcher, Clock: p.Clock, Registerer: reg})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(checker.Close)
	v, err := NewValidator(newEngine(t, Options{}), ValidatorOptions{Revocation: s.mode, Checker: checker})
	if err != nil {
		t.Fatal(err)
	}
	return checker, v
}

// validate validates leaf alone at t0 with a background context.
func (f *revFixture) validate(t testing.TB, leaf *x509.Certificate) SignatureReport {
	t.Helper()
	return f.validateAt(t, context.Background(), leaf, t0)
}

func (f *revFixture) validateAt(t testing.TB, ctx context.Context, leaf *x509.Certificate, at time.Time) SignatureReport {
	t.Helper()
	rep := f.v.ValidateCertificate(ctx, f.store, CertificateRequest{Certificate: leaf, Time: at})
	if len(rep.Signatures) != 1 {
		t.Fatalf("report has %d signatures", len(rep.Signatures))
	}
	if _, err := json.Marshal(rep); err != nil {
		t.Fatal(err)
	}
	return rep.Signatures[0]
}

func hasCode(s SignatureReport, level, code string) bool {
	for _, m := range s.Messages {
		if m.Code == code && (level == "" || m.Level == level) {
			return true
		}
	}
	return false
}

func verdict(s SignatureReport) string {
	if s.SubIndication == "" {
		return string(s.Indication)
	}
	return string(s.Indication) + "/" + string(s.SubIndication)
}

// entryStatuses renders the revocation array as "ocsp:good crl:revoked".
func entryStatuses(s SignatureReport) string {
	var parts []string
	for _, e := range s.Revocation {
		parts = append(parts, e.Source+":"+e.Status)
	}
	return strings.Join(parts, " ")
}

func TestRevocation(t *testing.T) {
	hard := revSetup{mode: RevocationHardFail}
	crlFirst := revSetup{mode: RevocationHardFail, ropts: RevocationOptions{Prefer: SourceCRL}}
	soft := revSetup{mode: RevocationSoftFail}
	revokeCitizen := func(p *testpki.PKI) {
		p.Revoke(p.Public.CA, p.Public.Citizen.Cert.SerialNumber, t0.Add(-30*time.Minute), ocsp.KeyCompromise)
	}
	ocspOnly := func(m testpki.Mode) func(p *testpki.PKI) {
		return func(p *testpki.PKI) { p.OCSP.SetMode(m); p.CRL.SetMode(testpki.Down) }
	}
	tests := []struct {
		name    string
		setup   revSetup
		prepare func(p *testpki.PKI)
		verdict string
		entries string
		code    string // a message code the report must carry
	}{
		{"good via OCSP", hard, nil, "TOTAL_PASSED", "ocsp:good ocsp:good", ""},
		{"good via CRL", crlFirst, nil, "TOTAL_PASSED", "crl:good crl:good", ""},
		{"revoked leaf via OCSP", hard, revokeCitizen, "TOTAL_FAILED/REVOKED", "ocsp:revoked ocsp:good", "REVOKED"},
		{"revoked leaf via CRL", crlFirst, revokeCitizen, "TOTAL_FAILED/REVOKED", "crl:revoked crl:good", "REVOKED"},
		{"revoked leaf via CRL after OCSP failed", hard, func(p *testpki.PKI) { revokeCitizen(p); p.OCSP.SetMode(testpki.HTTPError) },
			"TOTAL_FAILED/REVOKED", "crl:revoked crl:good", CodeRevocationNote},
		{"revoked intermediate", hard, func(p *testpki.PKI) {
			p.Revoke(p.Public.Root, p.Public.CA.Cert.SerialNumber, t0.Add(-time.Minute), ocsp.CACompromise)
		}, "INDETERMINATE/REVOKED_CA_NO_POE", "ocsp:good ocsp:revoked", "REVOKED_CA_NO_POE"},
		{"revoked intermediate via CRL", crlFirst, func(p *testpki.PKI) {
			p.Revoke(p.Public.Root, p.Public.CA.Cert.SerialNumber, t0.Add(-time.Minute), ocsp.CACompromise)
		}, "INDETERMINATE/REVOKED_CA_NO_POE", "crl:good crl:revoked", "REVOKED_CA_NO_POE"},
		{"unknown, CRL down", hard, func(p *testpki.PKI) {
			p.OCSP.SetUnknown(p.Public.Citizen.Cert.SerialNumber)
			p.CRL.SetMode(testpki.Down)
		}, "INDETERMINATE/TRY_LATER", "ocsp:unknown ocsp:good", CodeRevocationUnavailable},
		{"unknown, CRL says good", hard, func(p *testpki.PKI) { p.OCSP.SetUnknown(p.Public.Citizen.Cert.SerialNumber) },
			"TOTAL_PASSED", "crl:good ocsp:good", CodeRevocationNote},
		{"expired OCSP response", hard, ocspOnly(testpki.Expired), "INDETERMINATE/TRY_LATER", "ocsp:unavailable ocsp:unavailable", "TRY_LATER"},
		{"OCSP thisUpdate in the future", hard, ocspOnly(testpki.FutureThisUpdate), "INDETERMINATE/TRY_LATER", "ocsp:unavailable ocsp:unavailable", "TRY_LATER"},
		{"OCSP signed by a wrong key", hard, ocspOnly(testpki.WrongKey), "INDETERMINATE/TRY_LATER", "ocsp:unavailable ocsp:unavailable", "TRY_LATER"},
		{"delegated responder", hard, ocspOnly(testpki.Delegated), "TOTAL_PASSED", "ocsp:good ocsp:good", ""},
		{"delegated responder without OCSPSigning", hard, ocspOnly(testpki.DelegatedNoEKU), "INDETERMINATE/TRY_LATER", "ocsp:unavailable ocsp:unavailable", "TRY_LATER"},
		{"responder tryLater", hard, ocspOnly(testpki.TryLater), "INDETERMINATE/TRY_LATER", "ocsp:unavailable ocsp:unavailable", "TRY_LATER"},
		{"garbage OCSP answer", hard, ocspOnly(testpki.Garbage), "INDETERMINATE/TRY_LATER", "ocsp:unavailable ocsp:unavailable", "TRY_LATER"},
		{"oversized OCSP answer", hard, ocspOnly(testpki.Oversized), "INDETERMINATE/TRY_LATER", "ocsp:unavailable ocsp:unavailable", "TRY_LATER"},
		{"responder down, hard-fail", hard, ocspOnly(testpki.Down), "INDETERMINATE/TRY_LATER", "ocsp:unavailable ocsp:unavailable", CodeRevocationUnavailable},
		{"responder down, soft-fail", soft, ocspOnly(testpki.Down), "TOTAL_PASSED", "ocsp:unavailable ocsp:unavailable", CodeRevocationUnavailable},
		{"CRL signed by another key", crlFirst, func(p *testpki.PKI) { p.CRL.SetMode(testpki.WrongKey); p.OCSP.SetMode(testpki.Down) },
			"INDETERMINATE/TRY_LATER", "crl:unavailable crl:unavailable", "TRY_LATER"},
		{"expired CRL", crlFirst, func(p *testpki.PKI) { p.CRL.SetMode(testpki.Expired); p.OCSP.SetMode(testpki.Down) },
			"INDETERMINATE/TRY_LATER", "crl:unavailable crl:unavailable", "TRY_LATER"},
		{"CRL from the future", crlFirst, func(p *testpki.PKI) { p.CRL.SetMode(testpki.FutureThisUpdate); p.OCSP.SetMode(testpki.Down) },
			"INDETERMINATE/TRY_LATER", "crl:unavailable crl:unavailable", "TRY_LATER"},
		{"garbage CRL", crlFirst, func(p *testpki.PKI) { p.CRL.SetMode(testpki.Garbage); p.OCSP.SetMode(testpki.Down) },
			"INDETERMINATE/TRY_LATER", "crl:unavailable crl:unavailable", "TRY_LATER"},
		{"oversized CRL", revSetup{mode: RevocationHardFail, ropts: RevocationOptions{Prefer: SourceCRL}, fopts: fetch.Options{MaxCRLBytes: 1 << 20}},
			func(p *testpki.PKI) { p.CRL.SetOversized(2 << 20); p.OCSP.SetMode(testpki.Down) },
			"INDETERMINATE/TRY_LATER", "crl:unavailable crl:unavailable", "TRY_LATER"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f := newRevFixture(t, tt.setup)
			if tt.prepare != nil {
				tt.prepare(f.p)
			}
			s := f.validate(t, f.p.Public.Citizen.Cert)
			if got := verdict(s); got != tt.verdict {
				t.Errorf("verdict %s, want %s; messages %+v", got, tt.verdict, s.Messages)
			}
			if got := entryStatuses(s); got != tt.entries {
				t.Errorf("revocation %q, want %q", got, tt.entries)
			}
			if tt.code != "" && !hasCode(s, "", tt.code) {
				t.Errorf("messages %+v lack %s", s.Messages, tt.code)
			}
			for i, e := range s.Revocation {
				if e.SHA256 != s.Chain[i].SHA256 {
					t.Errorf("entry %d is for %s, chain has %s", i, e.SHA256, s.Chain[i].SHA256)
				}
				if e.Status == StatusRevoked && (e.RevocationTime == nil || e.Reason == "") {
					t.Errorf("revoked entry %d without time or reason: %+v", i, e)
				}
				if (e.Status == StatusGood || e.Status == StatusRevoked) && (e.ThisUpdate == nil || e.NextUpdate == nil || e.URL == "") {
					t.Errorf("entry %d lacks evidence: %+v", i, e)
				}
				if e.Source == SourceOCSP && e.Status == StatusGood && e.ProducedAt == nil {
					t.Errorf("OCSP entry %d without produced_at", i)
				}
				if e.Cached || e.AgeSeconds != nil {
					t.Errorf("first look-up reported cached: %+v", e)
				}
			}
		})
	}
}

func TestRevocationEvidence(t *testing.T) {
	f := newRevFixture(t, revSetup{mode: RevocationHardFail})
	revokedAt := t0.Add(-20 * time.Minute).Truncate(time.Second)
	f.p.Revoke(f.p.Public.CA, f.p.Public.Citizen.Cert.SerialNumber, revokedAt, ocsp.KeyCompromise)
	s := f.validate(t, f.p.Public.Citizen.Cert)
	e := s.Revocation[0]
	if e.Status != StatusRevoked || !e.RevocationTime.Equal(revokedAt) || e.Reason != "keyCompromise" ||
		!strings.HasPrefix(e.URL, f.p.Public.CA.OCSPURL) || !e.ThisUpdate.Equal(t0) || !e.NextUpdate.Equal(t0.Add(time.Hour)) ||
		!e.ProducedAt.Equal(t0) {
		t.Errorf("entry %+v", e)
	}
	if e.SHA256 != NewSigner(f.p.Public.Citizen.Cert).SHA256 {
		t.Errorf("entry for %s", e.SHA256)
	}

	t.Run("revoked after the validation time", func(t *testing.T) {
		s := f.validateAt(t, context.Background(), f.p.Public.Citizen.Cert, t0.Add(-40*time.Minute))
		if verdict(s) != "TOTAL_PASSED" || s.Revocation[0].Status != StatusGood || s.Revocation[0].RevocationTime == nil ||
			!hasCode(s, LevelInfo, CodeRevokedAfterValidationTime) {
			t.Errorf("%s %+v %+v", verdict(s), s.Revocation[0], s.Messages)
		}
	})
	t.Run("revoked after the validation time, from the CRL", func(t *testing.T) {
		g := newRevFixture(t, revSetup{mode: RevocationHardFail, ropts: RevocationOptions{Prefer: SourceCRL}})
		g.p.Revoke(g.p.Public.CA, g.p.Public.Citizen.Cert.SerialNumber, revokedAt, ocsp.Superseded)
		s := g.validateAt(t, context.Background(), g.p.Public.Citizen.Cert, t0.Add(-40*time.Minute))
		if verdict(s) != "TOTAL_PASSED" || s.Revocation[0].Status != StatusGood || s.Revocation[0].Reason != "superseded" ||
			!hasCode(s, LevelInfo, CodeRevokedAfterValidationTime) {
			t.Errorf("%s %+v %+v", verdict(s), s.Revocation[0], s.Messages)
		}
	})
}

func TestRevocationModeOff(t *testing.T) {
	f := newRevFixture(t, revSetup{mode: RevocationOff})
	s := f.validate(t, f.p.Public.Citizen.Cert)
	if verdict(s) != "TOTAL_PASSED" || len(s.Revocation) != 0 || s.Revocation == nil || !hasCode(s, LevelInfo, CodeRevocationNotChecked) {
		t.Errorf("%s %+v %+v", verdict(s), s.Revocation, s.Messages)
	}
	if n := f.p.OCSP.Requests() + f.p.CRL.Requests(); n != 0 {
		t.Errorf("%d upstream requests with revocation off", n)
	}
}

func TestRevocationAnchorAlone(t *testing.T) {
	f := newRevFixture(t, revSetup{mode: RevocationHardFail})
	rep := f.v.ValidateCertificate(context.Background(), f.store, CertificateRequest{Certificate: f.p.Public.Root.Cert, Time: t0, Purpose: PurposeAny})
	if s := rep.Signatures[0]; verdict(s) != "TOTAL_PASSED" || len(s.Revocation) != 0 {
		t.Errorf("%s %+v", verdict(s), s.Revocation)
	}
}

// TestRevocationBudget: a responder and a CRL server that never answer in
// time; the request budget (ctx deadline) ends the wait and the report is
// TRY_LATER, not an error and not a hang.
func TestRevocationBudget(t *testing.T) {
	f := newRevFixture(t, revSetup{mode: RevocationHardFail})
	f.p.OCSP.SetSlow(time.Minute)
	f.p.CRL.SetSlow(time.Minute)
	ctx, cancel := context.WithTimeout(context.Background(), 300*time.Millisecond)
	defer cancel()
	// The responder never answers within the budget: returning at all
	// (rather than hanging until go test's timeout) is the property.
	s := f.validateAt(t, ctx, f.p.Public.Citizen.Cert, t0)
	if verdict(s) != "INDETERMINATE/TRY_LATER" || entryStatuses(s) != "ocsp:unavailable ocsp:unavailable" {
		t.Errorf("%s %s %+v", verdict(s), entryStatuses(s), s.Messages)
	}
}

// TestRevocationSSRF: with private networks disallowed, URLs pointing at
// loopback or at the cloud metadata address are never connected to.
func TestRevocationSSRF(t *testing.T) {
	f := newRevFixture(t, revSetup{mode: RevocationHardFail, noPrivate: true})
	meta, err := f.p.Public.CA.IssueLeaf(name("METADATA"), testpki.WithMutate(func(c *x509.Certificate) {
		c.OCSPServer = []string{"http://169.254.169.254/latest/meta-data/"}
		c.CRLDistributionPoints = []string{"http://169.254.169.254/latest/meta-data/x.crl"}
	}))
	if err != nil {
		t.Fatal(err)
	}
	for _, leaf := range []*x509.Certificate{f.p.Public.Citizen.Cert, meta.Cert} {
		s := f.validate(t, leaf)
		if verdict(s) != "INDETERMINATE/TRY_LATER" {
			t.Errorf("%s: %s %+v", leaf.Subject.CommonName, verdict(s), s.Messages)
		}
	}
	if n := f.p.OCSP.Requests() + f.p.CRL.Requests(); n != 0 {
		t.Errorf("%d requests reached the loopback servers", n)
	}
	if n := metricValue(t, f.reg, "lienthong_upstream_requests_total", map[string]string{"source": "ocsp", "outcome": "blocked"}); n < 2 {
		t.Errorf("blocked OCSP requests counted %v, want at least 2", n)
	}
}

func TestRevocationVerdict(t *testing.T) {
	at := t0.Add(-time.Hour)
	before, after := at.Add(-time.Minute), at.Add(time.Minute)
	tests := []struct {
		name string
		ca   bool
		rev  time.Time
		obj  *SignedObject
		want string
	}{
		{"certificate alone, revoked before t", false, at, nil, "TOTAL_FAILED/REVOKED"},
		{"certificate alone, revoked after t", false, t0.Add(time.Minute), nil, "/"},
		{"CA revoked before t", true, at, nil, "INDETERMINATE/REVOKED_CA_NO_POE"},
		{"CA revoked, POE before", true, at, &SignedObject{POE: &before}, "/"},
		{"signature without POE", false, at, &SignedObject{}, "INDETERMINATE/REVOKED_NO_POE"},
		{"signature with POE before revocation", false, at, &SignedObject{POE: &before}, "/"},
		{"signature with POE after revocation", false, at, &SignedObject{POE: &after}, "INDETERMINATE/REVOKED_NO_POE"},
		{"signature with POE at revocation", false, at, &SignedObject{POE: &at}, "INDETERMINATE/REVOKED_NO_POE"},
		{"CA revoked before the POE", true, at, &SignedObject{POE: &after}, "INDETERMINATE/REVOKED_CA_NO_POE"},
		{"revoked at t exactly", false, t0, nil, "TOTAL_FAILED/REVOKED"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			ind, sub := RevocationVerdict(tt.ca, tt.rev, t0, tt.obj)
			if got := string(ind) + "/" + string(sub); got != tt.want {
				t.Errorf("got %s, want %s", got, tt.want)
			}
		})
	}
}

func TestNewRevocationCheckerValidates(t *testing.T) {
	clk := testpki.NewClock(t0)
	for name, c := range map[string]struct {
		o RevocationOptions
		d RevocationDeps
	}{
		"no clock":         {RevocationOptions{}, RevocationDeps{}},
		"bad prefer":       {RevocationOptions{Prefer: "ldap"}, RevocationDeps{Clock: clk}},
		"bad rewrite":      {RevocationOptions{URLRewrites: map[string]string{"ldap://x": "http://y"}}, RevocationDeps{Clock: clk}},
		"negative timeout": {RevocationOptions{FetchTimeout: -1}, RevocationDeps{Clock: clk}},
		"negative cache":   {RevocationOptions{CacheMaxEntries: -1}, RevocationDeps{Clock: clk}},
	} {
		if _, err := NewRevocationChecker(c.o, c.d); err == nil {
			t.Errorf("%s: accepted", name)
		}
	}
	reg := prometheus.NewRegistry()
	c, err := NewRevocationChecker(RevocationOptions{}, RevocationDeps{Clock: clk, Registerer: reg})
	if err != nil {
		t.Fatal(err)
	}
	c.Close()
	if _, err := NewRevocationChecker(RevocationOptions{}, RevocationDeps{Clock: clk, Registerer: reg}); err == nil {
		t.Error("registered the same metrics twice")
	}
}

func TestURLRewrites(t *testing.T) {
	rw, err := newURLRewriter(map[string]string{
		"http://ocsp.ca.ptc":         "http://ocsp.ca.gov.vn",
		"http://ocsp.ca.ptc/special": "https://special.example.vn/x",
	})
	if err != nil {
		t.Fatal(err)
	}
	for in, want := range map[string]string{
		"http://ocsp.ca.ptc/ocsp":         "http://ocsp.ca.gov.vn/ocsp",
		"http://ocsp.ca.ptc/special/ocsp": "https://special.example.vn/x/ocsp",
		"http://other.vn/ocsp":            "http://other.vn/ocsp",
	} {
		if got := rw.apply(in); got != want {
			t.Errorf("apply(%s) = %s, want %s", in, got, want)
		}
	}
	got := rw.urls([]string{"ldap://dir.ca.vn/cn=crl", "http://ocsp.ca.ptc/a", "http://ocsp.ca.gov.vn/a", "HTTPS://x.vn/b", "http:///nohost", "http://c/d"}, 2)
	if strings.Join(got, " ") != "http://ocsp.ca.gov.vn/a https://x.vn/b" && strings.Join(got, " ") != "http://ocsp.ca.gov.vn/a HTTPS://x.vn/b" {
		t.Errorf("urls = %v", got)
	}
}

// TestRevocationURLRewrite: a certificate naming an old OCSP host is
// checked at the host the rewrite names.
func TestRevocationURLRewrite(t *testing.T) {
	p := newPKI(t, false)
	oldHost := "http://ocsp.ca.ptc.invalid"
	leaf, err := p.Public.CA.IssueLeaf(name("OLD HOST"), testpki.WithMutate(func(c *x509.Certificate) {
		c.OCSPServer = []string{strings.Replace(p.Public.CA.OCSPURL, p.OCSP.URL(), oldHost, 1)}
		c.CRLDistributionPoints = nil
	}))
	if err != nil {
		t.Fatal(err)
	}
	f := &revFixture{p: p, reg: prometheus.NewRegistry(), store: bothDomains(t, p)}
	f.checker, f.v = newChecker(t, p, f.reg, revSetup{mode: RevocationHardFail,
		ropts: RevocationOptions{URLRewrites: map[string]string{oldHost: p.OCSP.URL()}}})
	s := f.validate(t, leaf.Cert)
	if verdict(s) != "TOTAL_PASSED" || !strings.HasPrefix(s.Revocation[0].URL, p.OCSP.URL()) {
		t.Errorf("%s %+v %+v", verdict(s), s.Revocation, s.Messages)
	}
}

// metricValue returns the value of the counter or gauge name{labels} in
// reg, failing the test when there is no such series.
func metricValue(t testing.TB, reg *prometheus.Registry, name string, labels map[string]string) float64 {
	t.Helper()
	v, ok := findMetric(t, reg, name, labels)
	if !ok {
		t.Fatalf("no series %s%v", name, labels)
	}
	return v
}

func findMetric(t testing.TB, reg *prometheus.Registry, name string, labels map[string]string) (float64, bool) {
	t.Helper()
	mfs, err := reg.Gather()
	if err != nil {
		t.Fatal(err)
	}
	for _, mf := range mfs {
		if mf.GetName() != name {
			continue
		}
	next:
		for _, m := range mf.GetMetric() {
			got := map[string]string{}
			for _, l := range m.GetLabel() {
				got[l.GetName()] = l.GetValue()
			}
			for k, v := range labels {
				if got[k] != v {
					continue next
				}
			}
			switch {
			case m.Counter != nil:
				return m.Counter.GetValue(), true
			case m.Gauge != nil:
				return m.Gauge.GetValue(), true
			}
		}
	}
	return 0, false
}
