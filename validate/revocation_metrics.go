package validate

import (
	"sync"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/lienthong/lienthong/trust"
	"github.com/lienthong/lienthong/validate/crl"
)

// Label values of the revocation metrics. Every one of them is a constant:
// no label ever carries a serial, a URL or a subject from a request.
var (
	revocationSources  = []string{SourceOCSP, SourceCRL}
	revocationStatuses = []string{StatusGood, StatusRevoked, StatusUnknown, StatusUnavailable}
	cacheResults       = []string{"hit", "miss", "stale"}
)

// maxScopesPerIssuer bounds the CRL scopes (distribution point URLs)
// remembered per issuer label for the nextUpdate gauge.
const maxScopesPerIssuer = 16

// maxSeenCRLs bounds the memory of the CRLs last recorded (trust-store CAs
// times scopes, in practice a few hundred).
const maxSeenCRLs = 4096

// revocationMetrics are the checker's Prometheus families:
//
//   - lienthong_revocation_checks_total{source,status}: one per source
//     consulted for one certificate, by the status that source gave;
//   - lienthong_revocation_cache_requests_total{source,result}: one per
//     cache look-up (hit, miss or stale);
//   - lienthong_crl_next_update_seconds{issuer}: the nextUpdate (Unix
//     seconds) of the cached CRLs of each CA of the trust store, the
//     earliest when a CA has several scopes. Only CAs present in the trust
//     store get a series, so the label set is bounded by the store; a CA
//     gets its series when one of its CRLs is first used and loses it on
//     Purge (trust store reload). Having no meaningful zero, this gauge has
//     no series until then.
type revocationMetrics struct {
	checks  *prometheus.CounterVec
	cache   *prometheus.CounterVec
	crlNext *prometheus.GaugeVec

	mu     sync.Mutex
	scopes map[string]map[string]time.Time // issuer label -> scope -> nextUpdate
	seen   map[crlScope]*crl.CRL           // last CRL recorded per issuer and scope
}

// crlScope names one CRL of one trust-store CA.
type crlScope struct {
	issuer trust.Fingerprint
	scope  string
}

// newRevocationMetrics builds the families, registers them on reg when it
// is not nil (a failed registration unregisters what it registered, so the
// caller may retry on the same registry) and initialises every known label
// combination to 0.
func newRevocationMetrics(reg prometheus.Registerer) (*revocationMetrics, error) {
	m := &revocationMetrics{
		checks: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "lienthong_revocation_checks_total",
			Help: "Revocation status look-ups of one certificate from one source (ocsp, crl), by the status obtained (good, revoked, unknown, unavailable).",
		}, []string{"source", "status"}),
		cache: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "lienthong_revocation_cache_requests_total",
			Help: "Revocation cache look-ups by source (ocsp, crl) and result (hit, miss, stale).",
		}, []string{"source", "result"}),
		crlNext: prometheus.NewGaugeVec(prometheus.GaugeOpts{
			Name: "lienthong_crl_next_update_seconds",
			Help: "nextUpdate (Unix time) of the cached CRL of each trust-store CA, the earliest over its distribution points.",
		}, []string{"issuer"}),
		scopes: map[string]map[string]time.Time{},
		seen:   map[crlScope]*crl.CRL{},
	}
	if reg != nil {
		var done []prometheus.Collector
		for _, c := range []prometheus.Collector{m.checks, m.cache, m.crlNext} {
			if err := reg.Register(c); err != nil {
				for _, d := range done {
					reg.Unregister(d)
				}
				return nil, err
			}
			done = append(done, c)
		}
	}
	for _, s := range revocationSources {
		for _, st := range revocationStatuses {
			m.checks.WithLabelValues(s, st)
		}
		for _, r := range cacheResults {
			m.cache.WithLabelValues(s, r)
		}
	}
	return m, nil
}

// check counts one status obtained from one source.
func (m *revocationMetrics) check(source, status string) {
	m.checks.WithLabelValues(source, status).Inc()
}

// lookup counts one cache look-up; result is a revcache.Result's String.
func (m *revocationMetrics) lookup(source, result string) {
	m.cache.WithLabelValues(source, result).Inc()
}

// seenCRL reports whether c is the CRL last recorded for issuer and scope,
// and remembers it as such. Most checks hit the cache and find the same
// CRL: they skip recording it again (and naming the issuer).
func (m *revocationMetrics) seenCRL(issuer trust.Fingerprint, scope string, c *crl.CRL) bool {
	m.mu.Lock()
	defer m.mu.Unlock()
	k := crlScope{issuer, scope}
	if m.seen[k] == c {
		return true
	}
	if len(m.seen) < maxSeenCRLs {
		m.seen[k] = c
	}
	return false
}

// crlUsed records the nextUpdate of a CRL of issuer (a trust-store CA's
// label) for scope. CRLs without nextUpdate are not recorded.
func (m *revocationMetrics) crlUsed(issuer, scope string, next time.Time) {
	if next.IsZero() {
		return
	}
	m.mu.Lock()
	defer m.mu.Unlock()
	s := m.scopes[issuer]
	if s == nil {
		s = map[string]time.Time{}
		m.scopes[issuer] = s
	}
	if _, ok := s[scope]; !ok && len(s) >= maxScopesPerIssuer {
		return
	}
	s[scope] = next
	earliest := next
	for _, t := range s {
		if t.Before(earliest) {
			earliest = t
		}
	}
	m.crlNext.WithLabelValues(issuer).Set(float64(earliest.Unix()))
}

// purge forgets every CRL series, for a trust store reload: the CAs of the
// new store may differ.
func (m *revocationMetrics) purge() {
	m.mu.Lock()
	defer m.mu.Unlock()
	clear(m.scopes)
	clear(m.seen)
	m.crlNext.Reset()
}
