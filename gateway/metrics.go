package gateway

import (
	"net/http"
	"slices"
	"strconv"
	"time"

	"github.com/labstack/echo/v4"
	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/promhttp"

	"github.com/lienthong/lienthong/trust"
	"github.com/lienthong/lienthong/validate"
)

// Label values. DESIGN.md "Precise points" fixes the formats and the
// indications; "none" is the domain of a report whose chain reached no trust
// domain, "unmatched" the route of a request no route matched.
// The formats are validate's (validate.FormatPDF …).
const (
	noDomain       = "none"
	unmatchedRoute = "unmatched"
)

// Bounded label sets, as functions so that no package state can change them.
func formatValues() []string {
	return []string{validate.FormatPDF, validate.FormatXML, validate.FormatCMS, validate.FormatRaw, validate.FormatCertificate}
}
func indicationValues() []string { return []string{"TOTAL_PASSED", "TOTAL_FAILED", "INDETERMINATE"} }

// knownFormat and knownIndication test membership without building the
// sets (they run once per validation).
func knownFormat(f string) bool {
	switch f {
	case validate.FormatPDF, validate.FormatXML, validate.FormatCMS, validate.FormatRaw, validate.FormatCertificate:
		return true
	}
	return false
}

func knownIndication(i string) bool {
	return i == "TOTAL_PASSED" || i == "TOTAL_FAILED" || i == "INDETERMINATE"
}
func classValues() []string { return []string{"2xx", "3xx", "4xx", "5xx"} }

// metrics are the gateway's collectors, registered once in New.
type metrics struct {
	validations *prometheus.CounterVec   // lienthong_validations_total{format,domain,indication}
	duration    *prometheus.HistogramVec // lienthong_validation_duration_seconds{format}
	requests    *prometheus.CounterVec   // lienthong_http_requests_total{route,class}
	latency     *prometheus.HistogramVec // lienthong_http_request_duration_seconds{route}
}

// newMetrics registers the gateway's families with reg and initialises every
// known label combination to 0, so that each family is exported from
// start-up. Domains come from the trust store; domains that appear in a
// later store are initialised when it is swapped in.
func newMetrics(reg prometheus.Registerer, routes []string, holder *trust.Holder) (*metrics, error) {
	m := &metrics{
		validations: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "lienthong_validations_total",
			Help: "Validations that ran to a report, by format, trust domain reached (none: no chain) and top-level indication.",
		}, []string{"format", "domain", "indication"}),
		duration: prometheus.NewHistogramVec(prometheus.HistogramOpts{
			Name:    "lienthong_validation_duration_seconds",
			Help:    "Time spent validating one request, by format.",
			Buckets: []float64{.005, .01, .025, .05, .1, .25, .5, 1, 2.5, 5, 10, 30},
		}, []string{"format"}),
		requests: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "lienthong_http_requests_total",
			Help: "HTTP requests answered by the API listener, by route template (unmatched: no route) and status class.",
		}, []string{"route", "class"}),
		latency: prometheus.NewHistogramVec(prometheus.HistogramOpts{
			Name:    "lienthong_http_request_duration_seconds",
			Help:    "Time to answer an HTTP request on the API listener, by route template.",
			Buckets: prometheus.DefBuckets,
		}, []string{"route"}),
	}
	var done []prometheus.Collector
	for _, c := range []prometheus.Collector{m.validations, m.duration, m.requests, m.latency} {
		if err := reg.Register(c); err != nil {
			for _, d := range done { // leave the registry as it was, so New can be retried
				reg.Unregister(d)
			}
			return nil, err
		}
		done = append(done, c)
	}
	for _, f := range formatValues() {
		m.duration.WithLabelValues(f)
	}
	m.initDomains(holder.Current())
	holder.OnSwap(func(_, s *trust.Store) { m.initDomains(s) })
	for _, r := range routes {
		m.latency.WithLabelValues(r)
		for _, cl := range classValues() {
			m.requests.WithLabelValues(r, cl)
		}
	}
	return m, nil
}

func (m *metrics) initDomains(s *trust.Store) {
	domains := []string{noDomain}
	for _, d := range s.Domains() {
		domains = append(domains, d.Name)
	}
	for _, f := range formatValues() {
		for _, d := range domains {
			for _, ind := range indicationValues() {
				m.validations.WithLabelValues(f, d, ind)
			}
		}
	}
}

// observeValidation counts one report. Label values are clamped to the
// bounded sets: an unknown domain becomes "none", an unknown indication
// "INDETERMINATE", so that a buggy validator cannot grow the series.
func (m *metrics) observeValidation(store *trust.Store, format, domain, indication string, took time.Duration) {
	if !knownFormat(format) {
		format = validate.FormatRaw
	}
	if domain == "" || store.Domain(domain) == nil {
		domain = noDomain
	}
	if !knownIndication(indication) {
		indication = "INDETERMINATE"
	}
	m.duration.WithLabelValues(format).Observe(took.Seconds())
	m.validations.WithLabelValues(format, domain, indication).Inc()
}

// routeLabels are the route templates of the API router plus "unmatched".
func (s *Server) routeLabels() []string {
	out := []string{unmatchedRoute}
	for _, r := range s.api.Routes() {
		if !slices.Contains(out, r.Path) {
			out = append(out, r.Path)
		}
	}
	return out
}

// observe is the API router's outermost middleware: it lets the error
// handler write the answer, then counts it by route template (never the raw
// path, which the caller chooses) and status class.
func (s *Server) observe(next echo.HandlerFunc) echo.HandlerFunc {
	return func(c echo.Context) error {
		start := s.clock.Now()
		if err := next(c); err != nil {
			c.Error(err)
		}
		status := c.Response().Status
		route := c.Path()
		if status == http.StatusNotFound || !s.routes[route] {
			route = unmatchedRoute
		}
		class := "5xx"
		if status >= 200 && status < 500 {
			class = strconv.Itoa(status/100) + "xx"
		}
		s.metrics.requests.WithLabelValues(route, class).Inc()
		s.metrics.latency.WithLabelValues(route).Observe(s.clock.Now().Sub(start).Seconds())
		return nil
	}
}

// serveMetrics is GET /metrics: the Prometheus text exposition of
// Deps.Gatherer (never the default registry).
func (s *Server) serveMetrics() echo.HandlerFunc {
	h := promhttp.HandlerFor(s.deps.Gatherer, promhttp.HandlerOpts{
		ErrorLog:      slogPrintln{s},
		ErrorHandling: promhttp.ContinueOnError,
	})
	return echo.WrapHandler(h)
}

// slogPrintln adapts the logger to promhttp's ErrorLog.
type slogPrintln struct{ s *Server }

func (p slogPrintln) Println(v ...any) { p.s.log.Error("serving metrics", "error", v) }
