package validate

import (
	"context"
	"crypto/x509"
	"sync"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/lienthong/lienthong/test/testpki"
	"github.com/lienthong/lienthong/trust"
)

// waitFor polls cond in real time (it waits for goroutines, not for the
// fake clock) and fails the test after a few seconds.
func waitFor(t *testing.T, what string, cond func() bool) {
	t.Helper()
	for deadline := time.Now().Add(5 * time.Second); time.Now().Before(deadline); time.Sleep(2 * time.Millisecond) {
		if cond() {
			return
		}
	}
	t.Fatalf("timed out waiting for %s", what)
}

func TestRevocationCached(t *testing.T) {
	for _, prefer := range []string{SourceOCSP, SourceCRL} {
		t.Run(prefer, func(t *testing.T) {
			f := newRevFixture(t, revSetup{mode: RevocationHardFail, ropts: RevocationOptions{Prefer: prefer}})
			leaf := f.p.Public.Citizen.Cert
			f.validate(t, leaf)
			upstream := f.p.OCSP.Requests() + f.p.CRL.Requests()
			f.p.Clock.Advance(10 * time.Minute)
			s := f.validate(t, leaf)
			if verdict(s) != "TOTAL_PASSED" {
				t.Fatalf("%s %+v", verdict(s), s.Messages)
			}
			for i, e := range s.Revocation {
				if e.Source != prefer || !e.Cached || e.AgeSeconds == nil || *e.AgeSeconds != 600 {
					t.Errorf("entry %d: %+v, want cached with age 600", i, e)
				}
			}
			// Another leaf of the same CA: the CA's status is cached, and
			// with CRLs the leaf's too (one CRL serves the whole CA).
			f.validate(t, f.p.Public.Business.Cert)
			want := upstream
			if prefer == SourceOCSP {
				want++
			}
			if got := f.p.OCSP.Requests() + f.p.CRL.Requests(); got != want {
				t.Errorf("%d upstream requests, want %d", got, want)
			}
		})
	}
}

// TestRevocationSingleflight: 1,000 concurrent validations of one leaf
// whose status is not cached make exactly one OCSP request.
func TestRevocationSingleflight(t *testing.T) {
	f := newRevFixture(t, revSetup{mode: RevocationHardFail})
	// Warm the CA's own status with another leaf of the same CA, so that
	// only the leaf's status is missing.
	if s := f.validate(t, f.p.Public.Business.Cert); verdict(s) != "TOTAL_PASSED" {
		t.Fatalf("warm-up: %s %+v", verdict(s), s.Messages)
	}
	f.p.OCSP.ResetCount()
	const n = 1000
	var wg sync.WaitGroup
	start := make(chan struct{})
	verdicts := make([]string, n)
	for i := range n {
		wg.Go(func() {
			<-start
			verdicts[i] = verdict(f.validate(t, f.p.Public.Citizen.Cert))
		})
	}
	close(start)
	wg.Wait()
	if got := f.p.OCSP.Requests(); got != 1 {
		t.Errorf("%d OCSP requests for %d concurrent validations, want 1", got, n)
	}
	for i, v := range verdicts {
		if v != "TOTAL_PASSED" {
			t.Fatalf("validation %d: %s", i, v)
		}
	}
	if f.p.CRL.Requests() != 0 {
		t.Errorf("%d CRL requests", f.p.CRL.Requests())
	}
}

// TestRevocationPurgeOnTrustReload: cached answers are dropped when the
// trust store is swapped.
func TestRevocationPurgeOnTrustReload(t *testing.T) {
	f := newRevFixture(t, revSetup{mode: RevocationHardFail, ropts: RevocationOptions{Prefer: SourceCRL}})
	holder, err := trust.NewHolder(func() (*trust.Store, error) { return f.store, nil }, trust.HolderDeps{})
	if err != nil {
		t.Fatal(err)
	}
	holder.OnSwap(func(_, _ *trust.Store) { f.checker.Purge() })
	leaf := f.p.Public.Citizen.Cert
	f.validate(t, leaf)
	first := f.p.CRL.Requests()
	if first != 2 {
		t.Fatalf("%d CRL requests, want 2", first)
	}
	if _, ok := findMetric(t, f.reg, "lienthong_crl_next_update_seconds", nil); !ok {
		t.Error("no CRL nextUpdate series")
	}
	f.validate(t, leaf)
	if got := f.p.CRL.Requests(); got != first {
		t.Fatalf("cached CRLs fetched again: %d requests", got)
	}
	if err := holder.Reload(); err != nil {
		t.Fatal(err)
	}
	if _, ok := findMetric(t, f.reg, "lienthong_crl_next_update_seconds", nil); ok {
		t.Error("CRL nextUpdate series kept across a reload")
	}
	s := f.validate(t, leaf)
	if got := f.p.CRL.Requests(); got != 2*first {
		t.Errorf("after reload: %d CRL requests, want %d", got, 2*first)
	}
	if s.Revocation[0].Cached {
		t.Errorf("after reload: %+v", s.Revocation[0])
	}
}

// TestRevocationRefreshAhead: a hot answer near its nextUpdate is refreshed
// in the background while the cached one is served (cached: true, with its
// age), and the refreshed answer then replaces it.
func TestRevocationRefreshAhead(t *testing.T) {
	setup := revSetup{mode: RevocationHardFail, ropts: RevocationOptions{RefreshAhead: 10 * time.Minute}}
	warm := func(t *testing.T, f *revFixture) {
		t.Helper()
		for range 3 { // a miss, then two hits: hot
			f.validate(t, f.p.Public.Citizen.Cert)
		}
		if got := f.p.OCSP.Requests(); got != 2 {
			t.Fatalf("%d OCSP requests, want 2", got)
		}
		f.p.Clock.Advance(55 * time.Minute)
	}
	t.Run("served while refreshing", func(t *testing.T) {
		f := newRevFixture(t, setup)
		warm(t, f)
		f.p.OCSP.SetSlow(time.Minute) // the refresh cannot finish during the test
		s := f.validate(t, f.p.Public.Citizen.Cert)
		if verdict(s) != "TOTAL_PASSED" {
			t.Fatalf("%s %+v", verdict(s), s.Messages)
		}
		for i, e := range s.Revocation {
			if !e.Cached || e.AgeSeconds == nil || *e.AgeSeconds != 55*60 {
				t.Errorf("entry %d: %+v, want cached with age 3300", i, e)
			}
		}
		waitFor(t, "two background refreshes", func() bool { return f.p.OCSP.InFlight() == 2 })
		if s := f.validate(t, f.p.Public.Citizen.Cert); !s.Revocation[0].Cached || verdict(s) != "TOTAL_PASSED" {
			t.Errorf("while refreshing: %s %+v", verdict(s), s.Revocation[0])
		}
	})
	t.Run("refreshed answer replaces it", func(t *testing.T) {
		f := newRevFixture(t, setup)
		warm(t, f)
		f.validate(t, f.p.Public.Citizen.Cert)
		waitFor(t, "the refreshed answers", func() bool {
			s := f.validate(t, f.p.Public.Citizen.Cert)
			return s.Revocation[0].AgeSeconds != nil && *s.Revocation[0].AgeSeconds == 0 &&
				s.Revocation[1].AgeSeconds != nil && *s.Revocation[1].AgeSeconds == 0
		})
		if got := f.p.OCSP.Requests(); got != 4 {
			t.Errorf("%d OCSP requests, want 4 (two fetched, two refreshed)", got)
		}
		s := f.validate(t, f.p.Public.Citizen.Cert)
		if e := s.Revocation[0]; !e.NextUpdate.Equal(t0.Add(115*time.Minute)) || !e.Cached {
			t.Errorf("refreshed entry %+v", e)
		}
	})
}

// TestCRLBoundToIssuer: a CRL is cached for the issuer whose certificate
// named it; a certificate of another CA naming the same URL gets its own
// look-up, and the first CA's CRL does not decide its status.
func TestCRLBoundToIssuer(t *testing.T) {
	f := newRevFixture(t, revSetup{mode: RevocationHardFail, ropts: RevocationOptions{Prefer: SourceCRL}})
	f.validate(t, f.p.Public.Citizen.Cert)
	before := f.p.CRL.Requests()
	stray, err := f.p.Gov.CA.IssueLeaf(name("STRAY DP"), testpki.WithMutate(func(c *x509.Certificate) {
		c.CRLDistributionPoints = []string{f.p.Public.CA.CRLURL}
		c.OCSPServer = nil
	}))
	if err != nil {
		t.Fatal(err)
	}
	s := f.validate(t, stray.Cert)
	if verdict(s) != "INDETERMINATE/TRY_LATER" || s.Revocation[0].Status != StatusUnavailable {
		t.Errorf("%s %+v", verdict(s), s.Revocation)
	}
	if got := f.p.CRL.Requests(); got != before+2 { // vnpt-ca.crl for gov-ca, and gov-root.crl
		t.Errorf("%d CRL requests, want %d", got, before+2)
	}
}

func TestRevocationMetrics(t *testing.T) {
	p := newPKI(t, false)
	reg := prometheus.NewRegistry()
	_, v := newChecker(t, p, reg, revSetup{mode: RevocationHardFail, ropts: RevocationOptions{Prefer: SourceCRL}})
	for _, src := range revocationSources {
		for _, st := range revocationStatuses {
			if got := metricValue(t, reg, "lienthong_revocation_checks_total", map[string]string{"source": src, "status": st}); got != 0 {
				t.Errorf("checks %s/%s = %v at start-up", src, st, got)
			}
		}
		for _, r := range cacheResults {
			if got := metricValue(t, reg, "lienthong_revocation_cache_requests_total", map[string]string{"source": src, "result": r}); got != 0 {
				t.Errorf("cache %s/%s = %v at start-up", src, r, got)
			}
		}
	}
	// A store of roots alone: the CA comes with the request, so it is not
	// a store CA and its CRL gets no gauge series; the root's does.
	store := newStore(t, nil, trust.DomainSpec{Name: "public", Hierarchy: trust.Public, Anchors: []*x509.Certificate{p.Public.Root.Cert}})
	for range 2 {
		rep := v.ValidateCertificate(context.Background(), store, CertificateRequest{Certificate: p.Public.Citizen.Cert,
			Intermediates: []*x509.Certificate{p.Public.CA.Cert}, Time: t0})
		if rep.Indication != TotalPassed {
			t.Fatalf("%+v", rep.Signatures[0])
		}
	}
	if got := metricValue(t, reg, "lienthong_revocation_checks_total", map[string]string{"source": "crl", "status": "good"}); got != 4 {
		t.Errorf("crl good checks = %v, want 4", got)
	}
	for r, want := range map[string]float64{"miss": 2, "hit": 2} {
		if got := metricValue(t, reg, "lienthong_revocation_cache_requests_total", map[string]string{"source": "crl", "result": r}); got != want {
			t.Errorf("crl cache %s = %v, want %v", r, got, want)
		}
	}
	root := trust.DN(p.Public.Root.Cert.RawSubject)
	if got := metricValue(t, reg, "lienthong_crl_next_update_seconds", map[string]string{"issuer": root}); got != float64(t0.Add(24*time.Hour).Unix()) {
		t.Errorf("root CRL nextUpdate gauge = %v", got)
	}
	if _, ok := findMetric(t, reg, "lienthong_crl_next_update_seconds", map[string]string{"issuer": trust.DN(p.Public.CA.Cert.RawSubject)}); ok {
		t.Error("a CA outside the trust store got a gauge series")
	}
}
