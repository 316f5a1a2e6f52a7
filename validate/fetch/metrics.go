package fetch

import (
	"time"

	"github.com/prometheus/client_golang/prometheus"
)

// Sources: the kinds of upstream document, and the only values of the
// source label. Request.Source must be one of them.
const (
	// SourceOCSP is an OCSP request to a responder (RFC 6960 Appendix A,
	// RFC 5019 §5).
	SourceOCSP = "ocsp"
	// SourceCRL is a CRL from a distribution point (RFC 5280 §4.2.1.13).
	SourceCRL = "crl"
	// SourceAIA is an issuer certificate from an AIA caIssuers URL
	// (RFC 5280 §4.2.2.1).
	SourceAIA = "aia"
)

var sources = []string{SourceOCSP, SourceCRL, SourceAIA}

// Outcome label values of lienthong_upstream_requests_total.
const (
	outcomeSuccess  = "success"   // 2xx, body within the cap
	outcomeError    = "error"     // network or TLS error, or the caller cancelled
	outcomeTimeout  = "timeout"   // deadline exceeded (ours or the caller's)
	outcomeBlocked  = "blocked"   // refused by the SSRF guard: nothing was sent
	outcomeTooLarge = "too_large" // body over the cap
	outcomeStatus   = "status"    // non-2xx, or too many redirects
	outcomeBackoff  = "backoff"   // host backing off: nothing was sent
)

var outcomes = []string{outcomeSuccess, outcomeError, outcomeTimeout, outcomeBlocked, outcomeTooLarge, outcomeStatus, outcomeBackoff}

type metrics struct {
	requests *prometheus.CounterVec
	duration *prometheus.HistogramVec
}

// newMetrics builds the fetcher's metrics, registers them on reg (if
// non-nil) and initialises every label combination, so that every family is
// exported from start-up.
func newMetrics(reg prometheus.Registerer) (*metrics, error) {
	m := &metrics{
		requests: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "lienthong_upstream_requests_total",
			Help: "Upstream OCSP, CRL and AIA requests by source and outcome (success, error, timeout, blocked, too_large, status, backoff).",
		}, []string{"source", "outcome"}),
		duration: prometheus.NewHistogramVec(prometheus.HistogramOpts{
			Name: "lienthong_upstream_request_duration_seconds",
			Help: "Duration of upstream requests that were sent (not blocked, backing off or still queued for a per-host slot), by source, redirects and body read included.",
			// Up to a minute: a large CRL over a slow link is legitimate.
			Buckets: []float64{.005, .01, .025, .05, .1, .25, .5, 1, 2.5, 5, 10, 30, 60},
		}, []string{"source"}),
	}
	if reg != nil {
		for _, c := range []prometheus.Collector{m.requests, m.duration} {
			if err := reg.Register(c); err != nil {
				return nil, err
			}
		}
	}
	for _, s := range sources {
		for _, o := range outcomes {
			m.requests.WithLabelValues(s, o)
		}
		m.duration.WithLabelValues(s)
	}
	return m, nil
}

// observe counts one request. sent says whether it reached the transport;
// only those are timed.
func (m *metrics) observe(source, outcome string, sent bool, d time.Duration) {
	m.requests.WithLabelValues(source, outcome).Inc()
	if sent {
		m.duration.WithLabelValues(source).Observe(d.Seconds())
	}
}
