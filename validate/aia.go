package validate

import (
	"context"
	"crypto/sha256"
	"crypto/x509"
	"errors"
	"fmt"
	"log/slog"
	"sync"
	"time"

	"github.com/lienthong/lienthong/trust"
	"github.com/lienthong/lienthong/validate/fetch"
	"github.com/lienthong/lienthong/validate/revcache"
)

// Defaults of AIAOptions.
const (
	DefaultAIAMaxEntries = 1000
	DefaultAIATTL        = time.Hour
	DefaultAIAFailureTTL = 5 * time.Minute
)

// Bounds on what one certificate can make the AIA source fetch and return.
const (
	maxAIAURLs  = 2
	maxAIACerts = maxIssuerSourceResults
)

// AIAOptions configure an AIASource. The zero value is usable.
type AIAOptions struct {
	// URLRewrites is RevocationOptions.URLRewrites, applied to caIssuers
	// URLs as well.
	URLRewrites map[string]string
	// MaxEntries bounds both the cache of URL results and the cache of
	// fetched certificates (fetch.aia_cache_entries); 0 means
	// DefaultAIAMaxEntries.
	MaxEntries int
	// TTL is how long the certificates fetched from one URL are reused
	// before that URL is fetched again; 0 means DefaultAIATTL.
	TTL time.Duration
	// FailureTTL is how long a failed URL (refused, down, not
	// certificates) is not fetched again; 0 means DefaultAIAFailureTTL.
	// Caching failures is what stops documents that name a bad URL from
	// making the gateway fetch it on every request.
	FailureTTL time.Duration
	// FetchTimeout bounds one shared fetch; 0 means DefaultFetchTimeout.
	FetchTimeout time.Duration
}

// AIADeps are an AIASource's collaborators; Fetcher and Clock are
// required.
type AIADeps struct {
	Fetcher Fetcher
	Clock   Clock
	Logger  *slog.Logger
}

// AIASource is the IssuerSource that fetches the issuer certificates a
// certificate's AIA caIssuers extension points at (RFC 5280 §4.2.2.1):
// DER, PEM, or a PKCS#7 certs-only bundle. It is how a trust store of
// roots alone completes chains whose documents carry only the signer's
// certificate. What it returns is a candidate like any request
// certificate: trusted only through an anchor.
//
// Fetches go through the Fetcher (SSRF guard, body cap, per-host limits).
// Each URL's result, failures included, is cached for TTL (FailureTTL),
// with singleflight; fetched certificates are kept in a bounded cache by
// SHA-256, so that the same intermediate fetched from several URLs or
// again later is parsed once and is the same value for the path engine's
// caches. It is safe for concurrent use.
type AIASource struct {
	fetcher Fetcher
	clk     Clock
	rewrite *urlRewriter
	ttl     time.Duration
	failTTL time.Duration
	timeout time.Duration
	urls    *revcache.Cache[aiaResult]
	certs   *certCache
	log     *slog.Logger
}

var _ IssuerSource = (*AIASource)(nil)

// aiaResult is one URL's outcome.
type aiaResult struct {
	certs []*x509.Certificate
	err   error
}

// NewAIASource checks opts and deps and returns an empty AIASource.
func NewAIASource(opts AIAOptions, deps AIADeps) (*AIASource, error) {
	if deps.Fetcher == nil || deps.Clock == nil {
		return nil, errors.New("validate: AIADeps.Fetcher and Clock are required")
	}
	if opts.MaxEntries < 0 || opts.TTL < 0 || opts.FailureTTL < 0 || opts.FetchTimeout < 0 {
		return nil, errors.New("validate: negative AIA option")
	}
	rw, err := newURLRewriter(opts.URLRewrites)
	if err != nil {
		return nil, err
	}
	n := cmpOr(opts.MaxEntries, DefaultAIAMaxEntries)
	a := &AIASource{
		fetcher: deps.Fetcher,
		clk:     deps.Clock,
		rewrite: rw,
		ttl:     cmpOr(opts.TTL, DefaultAIATTL),
		failTTL: cmpOr(opts.FailureTTL, DefaultAIAFailureTTL),
		timeout: cmpOr(opts.FetchTimeout, DefaultFetchTimeout),
		certs:   newCertCache(n),
		log:     deps.Logger,
	}
	if a.log == nil {
		a.log = slog.New(slog.DiscardHandler)
	}
	// HotHits high: a result is never refreshed ahead, it simply expires.
	a.urls, err = revcache.New[aiaResult](revcache.Options{MaxEntries: n, MaxTTL: max(a.ttl, a.failTTL),
		DefaultTTL: a.ttl, HotHits: 1 << 30}, deps.Clock)
	if err != nil {
		return nil, fmt.Errorf("validate: AIA cache: %w", err)
	}
	return a, nil
}

// Issuers fetches (or finds in the cache) the certificates at c's http(s)
// caIssuers URLs, at most two URLs and maxIssuerSourceResults
// certificates. Failures are logged at debug level and give nothing.
func (a *AIASource) Issuers(ctx context.Context, c *x509.Certificate) []*x509.Certificate {
	var out []*x509.Certificate
	for _, u := range a.rewrite.urls(c.IssuingCertificateURL, maxAIAURLs) {
		key := revcache.Key{Source: fetch.SourceAIA, Scope: u}
		e, _, err := a.urls.GetOrFetch(ctx, key, func(fctx context.Context) (aiaResult, time.Time, error) {
			res := a.fetch(fctx, u)
			life := a.ttl
			if res.err != nil {
				life = a.failTTL
			}
			return res, a.clk.Now().Add(life), nil
		})
		switch {
		case err != nil:
			a.log.Debug("AIA caIssuers not fetched", "err", err)
		case e.Value.err != nil:
			a.log.Debug("AIA caIssuers failed", "err", e.Value.err)
		}
		for _, x := range e.Value.certs {
			if len(out) < maxAIACerts {
				out = append(out, x)
			}
		}
	}
	return out
}

// fetch gets and parses one URL. Its result, a failure too, is what the
// cache keeps, for TTL or FailureTTL.
func (a *AIASource) fetch(ctx context.Context, u string) aiaResult {
	ctx, cancel := context.WithTimeout(ctx, a.timeout)
	defer cancel()
	resp, err := a.fetcher.Fetch(ctx, fetch.Request{Source: fetch.SourceAIA, URL: u})
	if err != nil {
		return aiaResult{err: err}
	}
	certs, err := trust.ParseCertificates(resp.Body)
	if err != nil {
		return aiaResult{err: fmt.Errorf("caIssuers %s: %w", u, err)}
	}
	res := aiaResult{}
	for _, x := range certs[:min(len(certs), maxAIACerts)] {
		res.certs = append(res.certs, a.certs.intern(x))
	}
	return res
}

// Purge drops every cached result and certificate.
func (a *AIASource) Purge() {
	a.urls.Purge()
	a.certs.purge()
}

// Close cancels fetches in flight and waits for them.
func (a *AIASource) Close() { a.urls.Close() }

// certCache keeps fetched certificates by SHA-256, at most max, dropping
// the oldest first.
type certCache struct {
	mu    sync.Mutex
	max   int
	byFP  map[trust.Fingerprint]*x509.Certificate
	order []trust.Fingerprint
}

func newCertCache(max int) *certCache {
	return &certCache{max: max, byFP: map[trust.Fingerprint]*x509.Certificate{}}
}

// intern returns the cached certificate with x's fingerprint, or caches x.
func (c *certCache) intern(x *x509.Certificate) *x509.Certificate {
	fp := trust.Fingerprint(sha256.Sum256(x.Raw))
	c.mu.Lock()
	defer c.mu.Unlock()
	if old, ok := c.byFP[fp]; ok {
		return old
	}
	if len(c.order) >= c.max {
		delete(c.byFP, c.order[0])
		c.order = c.order[1:]
	}
	c.byFP[fp] = x
	c.order = append(c.order, fp)
	return x
}

func (c *certCache) purge() {
	c.mu.Lock()
	defer c.mu.Unlock()
	clear(c.byFP)
	c.order = nil
}

// len returns the number of cached certificates.
func (c *certCache) len() int {
	c.mu.Lock()
	defer c.mu.Unlock()
	return len(c.byFP)
}
