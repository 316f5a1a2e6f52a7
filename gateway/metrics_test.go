package gateway

import (
	"crypto/x509"
	"net/http"
	"strings"
	"testing"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/testutil"

	"github.com/lienthong/lienthong/trust"
)

func TestMetricsFromStartUp(t *testing.T) {
	f := newFixture(t, Options{}, nil)
	rec := do(t, f.srv.Handler(), http.MethodGet, "/metrics", "", nil)
	if rec.Code != http.StatusOK {
		t.Fatalf("status %d: %s", rec.Code, rec.Body)
	}
	text := rec.Body.String()
	for _, want := range []string{
		`lienthong_trust_anchors{domain="public"} 2`,
		`lienthong_trust_anchors{domain="government"} 1`,
		`lienthong_trust_reloads_total{result="success"} 0`,
		`lienthong_trust_reloads_total{result="failure"} 0`,
		`# HELP lienthong_validations_total `,
		`# TYPE lienthong_validations_total counter`,
		`lienthong_validations_total{domain="government",format="pdf",indication="TOTAL_FAILED"} 0`,
		`lienthong_validations_total{domain="none",format="certificate",indication="INDETERMINATE"} 0`,
		`# HELP lienthong_validation_duration_seconds `,
		`# TYPE lienthong_validation_duration_seconds histogram`,
		`lienthong_validation_duration_seconds_count{format="xml"} 0`,
		`# HELP lienthong_http_requests_total `,
	} {
		if !strings.Contains(text, want) {
			t.Errorf("/metrics lacks %q", want)
		}
	}

	exp := `
# HELP lienthong_trust_reloads_total Trust store reloads by result (success: swapped in; failure: old store kept).
# TYPE lienthong_trust_reloads_total counter
lienthong_trust_reloads_total{result="failure"} 0
lienthong_trust_reloads_total{result="success"} 0
`
	if err := testutil.GatherAndCompare(f.reg, strings.NewReader(exp), "lienthong_trust_reloads_total"); err != nil {
		t.Error(err)
	}
	// 5 formats x (2 domains + none) x 3 indications.
	if n := testutil.CollectAndCount(f.srv.metrics.validations); n != 45 {
		t.Errorf("%d validations_total series at start-up, want 45", n)
	}
}

func TestHTTPMetricsUseRouteTemplates(t *testing.T) {
	f := newFixture(t, Options{}, nil)
	h := f.srv.Handler()
	do(t, h, http.MethodGet, "/healthz", "", nil)
	do(t, h, http.MethodGet, "/no/such/path/12345", "", nil)
	do(t, h, http.MethodGet, "/v1/trustx", "", nil)
	do(t, h, http.MethodPost, "/healthz", "", nil)
	for _, tc := range []struct {
		route, class string
		want         float64
	}{
		{"/healthz", "2xx", 1},
		{"/healthz", "4xx", 1},
		{"unmatched", "4xx", 2},
	} {
		if got := testutil.ToFloat64(f.srv.metrics.requests.WithLabelValues(tc.route, tc.class)); got != tc.want {
			t.Errorf("requests{%s,%s} = %v, want %v", tc.route, tc.class, got, tc.want)
		}
	}
	if n := testutil.CollectAndCount(f.srv.metrics.requests); n != 4*len(f.srv.routeLabels()) {
		t.Errorf("%d request series: raw paths leaked into labels?", n)
	}
}

func TestMetricsOnTheirOwnListener(t *testing.T) {
	f := newFixture(t, Options{MetricsListen: "127.0.0.1:0"}, nil)
	wantError(t, do(t, f.srv.Handler(), http.MethodGet, "/metrics", "", nil), http.StatusNotFound, "not_found")
	rec := do(t, f.srv.MetricsHandler(), http.MethodGet, "/metrics", "", nil)
	if rec.Code != http.StatusOK || !strings.Contains(rec.Body.String(), "lienthong_trust_anchors") {
		t.Fatalf("metrics handler: %d %s", rec.Code, rec.Body)
	}
	wantError(t, do(t, f.srv.MetricsHandler(), http.MethodGet, "/v1/trust", "", nil), http.StatusNotFound, "not_found")
}

func TestReloadInitialisesNewDomains(t *testing.T) {
	reg := prometheus.NewRegistry()
	pki := newTestPKI(t)
	specs := pki.specs()[:1]
	h, err := trust.NewHolder(func() (*trust.Store, error) { return trust.New(specs, nil) }, trust.HolderDeps{Registerer: reg})
	if err != nil {
		t.Fatal(err)
	}
	srv, err := New(Options{Listen: "127.0.0.1:0"}, Deps{Trust: h, Registerer: reg, Gatherer: reg, Clock: fixedClock{testNow}})
	if err != nil {
		t.Fatal(err)
	}
	before := testutil.CollectAndCount(srv.metrics.validations)
	specs = append(specs, trust.DomainSpec{Name: "other-ca", Hierarchy: trust.Other, Anchors: []*x509.Certificate{pki.govRoot.cert}})
	if err := h.Reload(); err != nil {
		t.Fatal(err)
	}
	if after := testutil.CollectAndCount(srv.metrics.validations); after != before+15 {
		t.Errorf("series %d -> %d after adding a domain, want +15", before, after)
	}
}

func TestNewRefuses(t *testing.T) {
	f := newFixture(t, Options{}, nil)
	deps := Deps{Trust: f.holder, Registerer: prometheus.NewRegistry(), Gatherer: f.reg, Clock: fixedClock{testNow}}
	tests := []struct {
		name string
		opts Options
		deps Deps
		want string
	}{
		{"no listen", Options{}, deps, "Listen"},
		{"negative body limit", Options{Listen: ":0", MaxBodyBytes: -1}, deps, "MaxBodyBytes"},
		{"negative timeout", Options{Listen: ":0", IdleTimeout: -1}, deps, "IdleTimeout"},
		{"write timeout within budget", Options{Listen: ":0", RequestBudget: 10e9, WriteTimeout: 5e9}, deps, "WriteTimeout"},
		{"no trust", Options{Listen: ":0"}, Deps{Registerer: deps.Registerer, Gatherer: f.reg}, "Trust"},
		{"no registerer", Options{Listen: ":0"}, Deps{Trust: f.holder, Gatherer: f.reg, Clock: fixedClock{testNow}}, "Registerer"},
		{"no clock", Options{Listen: ":0"}, Deps{Trust: f.holder, Registerer: prometheus.NewRegistry(), Gatherer: f.reg}, "Clock"},
		{"metrics registered twice", Options{Listen: ":0"}, Deps{Trust: f.holder, Registerer: f.reg, Gatherer: f.reg, Clock: fixedClock{testNow}}, "registering metrics"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			_, err := New(tc.opts, tc.deps)
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Fatalf("New: %v, want an error naming %q", err, tc.want)
			}
		})
	}
}

// TestKnownLabelValues keeps the per-validation membership tests in step
// with the label sets initialised at start-up.
func TestKnownLabelValues(t *testing.T) {
	for _, f := range formatValues() {
		if !knownFormat(f) {
			t.Errorf("format %q not known", f)
		}
	}
	for _, i := range indicationValues() {
		if !knownIndication(i) {
			t.Errorf("indication %q not known", i)
		}
	}
	if knownFormat("docx") || knownIndication("PASSED") {
		t.Error("unknown values accepted")
	}
}
