package validate

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"sync/atomic"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/lienthong/lienthong/validate/crl"
	"github.com/lienthong/lienthong/validate/fetch"
	ocspcheck "github.com/lienthong/lienthong/validate/ocsp"
	"github.com/lienthong/lienthong/validate/revcache"
)

// Revocation sources and statuses, as RevocationEntry and the metrics
// spell them (DESIGN.md "Precise points").
const (
	SourceOCSP = "ocsp"
	SourceCRL  = "crl"

	StatusGood        = "good"
	StatusRevoked     = "revoked"
	StatusUnknown     = "unknown"
	StatusUnavailable = "unavailable"
)

// Defaults of RevocationOptions.
const (
	// DefaultFetchTimeout bounds one shared upstream look-up (every URL of
	// a certificate's AIA or distribution point tried in turn). Each HTTP
	// request is also bounded by the fetcher's own timeout.
	DefaultFetchTimeout = 15 * time.Second
	// DefaultUnknownTTL caps how long an OCSP "unknown" answer is cached:
	// a responder may not know a certificate issued minutes ago yet.
	DefaultUnknownTTL = 5 * time.Minute
	// DefaultUnverifiedCRLTTL caps how long a CRL that the certificate's
	// issuer did not sign is cached. It may be an indirect CRL, which is
	// verified on every use, or garbage a hostile distribution point
	// serves; either way it must not stay for a whole nextUpdate period.
	DefaultUnverifiedCRLTTL = 5 * time.Minute
)

// MaxCachedCRLs bounds the CRL cache whatever CacheMaxEntries says: a CRL
// may be tens of megabytes, and a trust store has a few hundred CAs.
const MaxCachedCRLs = 1000

// Limits on what one certificate can make the checker fetch.
const (
	maxOCSPURLs = 4 // AIA id-ad-ocsp URLs tried per certificate
	maxCRLURLs  = 4 // distribution point URLs fetched per certificate
	maxDeltaURL = 4 // freshest CRL (delta) URLs fetched per certificate
	maxSigners  = 32
)

// Clock tells the time. Only cmd passes the real clock; tests pass a fake.
type Clock interface{ Now() time.Time }

// Fetcher performs one upstream request. *fetch.HTTPFetcher, with its SSRF
// guard, body caps, per-host limits and metrics, is the production one.
type Fetcher interface {
	Fetch(ctx context.Context, r fetch.Request) (*fetch.Response, error)
}

// RevocationOptions configure a RevocationChecker. The zero value is
// usable: OCSP first, no URL rewrites, the defaults of ocspcheck and
// revcache.
type RevocationOptions struct {
	// Prefer is the source tried first, SourceOCSP ("" too) or SourceCRL;
	// the other is the fallback when the first gives no proof.
	Prefer string
	// URLRewrites maps a URL prefix found in certificates to the prefix
	// fetched instead (revocation.url_rewrites); the longest matching
	// prefix wins. It applies to OCSP, CRL and AIA URLs.
	URLRewrites map[string]string
	// ClockSkew is the tolerance on OCSP thisUpdate and nextUpdate; zero
	// means ocspcheck.DefaultSkew, negative none.
	ClockSkew time.Duration
	// CacheMaxEntries bounds the OCSP cache, and the CRL cache up to
	// MaxCachedCRLs; 0 means revcache.DefaultMaxEntries.
	CacheMaxEntries int
	// MaxCacheTTL caps how long an answer is served from the cache,
	// whatever its nextUpdate; 0 means revcache.DefaultMaxTTL.
	MaxCacheTTL time.Duration
	// DefaultTTL is how long an answer without nextUpdate is cached; 0
	// means revcache.DefaultDefaultTTL.
	DefaultTTL time.Duration
	// RefreshAhead is how long before expiry a hot OCSP answer, or any CRL
	// used again, is refreshed in the background; 0 means revcache's
	// default (a tenth of the entry's life, at least 5 minutes).
	RefreshAhead time.Duration
	// FetchTimeout bounds one shared upstream look-up; 0 means
	// DefaultFetchTimeout.
	FetchTimeout time.Duration
	// SHA1Until is algorithms.sha1_until for revocation evidence: OCSP
	// responses and CRLs signed with SHA-1 are used before this instant
	// (judged at the clock's now), with a SHA1_REVOCATION_SIGNATURE
	// warning, and give no proof at or after it. The zero value refuses
	// SHA-1 at any time, as Options.SHA1Until does.
	SHA1Until time.Time
}

// RevocationDeps are a RevocationChecker's collaborators. Clock is
// required.
type RevocationDeps struct {
	// Fetcher performs OCSP requests and, unless CRLs is set, CRL
	// downloads. Nil disables both: only CRLs then gives evidence.
	Fetcher Fetcher
	// CRLs supplies CRLs; nil means the distribution points of each
	// certificate, fetched with Fetcher and cached.
	CRLs CRLSource
	// Clock judges freshness and drives the caches.
	Clock Clock
	// Registerer receives the revocation metrics; nil registers nothing.
	Registerer prometheus.Registerer
	// Logger receives upstream failures at debug level; nil discards.
	Logger *slog.Logger
}

// RevocationChecker gathers revocation evidence (RFC 6960 OCSP, RFC 5280
// CRLs) for the certificates of validated paths: one status per
// certificate, the anchor excluded, from the preferred source and, when it
// gives no proof, from the other. It caches OCSP answers by (issuer key
// hash, serial) and CRLs by (issuer key hash, distribution point URL),
// until their nextUpdate (capped), with singleflight and refresh-ahead, all
// on the injected clock.
//
// It gathers evidence; it does not judge. The Validator applies the
// revocation policy (hard-fail, soft-fail, off) and the ETSI EN 319 102-1
// mapping (see RevocationVerdict). It must only be given paths that already
// validated: the URLs it fetches come from the certificates, and only a
// certificate that chains to an anchor has had its URLs written by a CA.
//
// It is safe for concurrent use. Build it with NewRevocationChecker and
// stop it with Close.
type RevocationChecker struct {
	prefer       string
	sha1Until    time.Time
	rewrite      *urlRewriter
	skew         time.Duration
	fetchTimeout time.Duration
	fetcher      Fetcher
	crls         CRLSource
	httpCRLs     *httpCRLSource // nil when deps.CRLs was given
	ocsp         *revcache.Cache[ocspAnswer]
	clk          Clock
	metrics      *revocationMetrics
	log          *slog.Logger
	decisions    atomic.Pointer[cache[crlDecisionKey, crlDecision]]
}

// NewRevocationChecker checks opts and deps, registers the metrics and
// returns a checker with empty caches.
func NewRevocationChecker(opts RevocationOptions, deps RevocationDeps) (*RevocationChecker, error) {
	if deps.Clock == nil {
		return nil, errors.New("validate: RevocationDeps.Clock is required")
	}
	switch opts.Prefer {
	case "":
		opts.Prefer = SourceOCSP
	case SourceOCSP, SourceCRL:
	default:
		return nil, fmt.Errorf("validate: revocation prefer must be %q or %q, not %q", SourceOCSP, SourceCRL, opts.Prefer)
	}
	if opts.FetchTimeout < 0 {
		return nil, errors.New("validate: negative FetchTimeout")
	}
	rw, err := newURLRewriter(opts.URLRewrites)
	if err != nil {
		return nil, err
	}
	c := &RevocationChecker{
		prefer:       opts.Prefer,
		sha1Until:    opts.SHA1Until,
		rewrite:      rw,
		skew:         opts.ClockSkew,
		fetchTimeout: cmpOr(opts.FetchTimeout, DefaultFetchTimeout),
		fetcher:      deps.Fetcher,
		crls:         deps.CRLs,
		clk:          deps.Clock,
		log:          deps.Logger,
	}
	if c.log == nil {
		c.log = slog.New(slog.DiscardHandler)
	}
	c.decisions.Store(newCache[crlDecisionKey, crlDecision](maxDecisions))
	copts := revcache.Options{MaxEntries: opts.CacheMaxEntries, MaxTTL: opts.MaxCacheTTL,
		DefaultTTL: opts.DefaultTTL, RefreshAhead: opts.RefreshAhead}
	if c.ocsp, err = revcache.New[ocspAnswer](copts, deps.Clock); err != nil {
		return nil, fmt.Errorf("validate: OCSP cache: %w", err)
	}
	if c.crls == nil {
		// A CRL is worth refreshing ahead as soon as it is used twice: it
		// serves every certificate of its CA.
		copts.HotHits = 1
		copts.MaxEntries = min(cmpOr(copts.MaxEntries, revcache.DefaultMaxEntries), MaxCachedCRLs)
		crlCache, err := revcache.New[*crl.CRL](copts, deps.Clock)
		if err != nil {
			c.ocsp.Close()
			return nil, fmt.Errorf("validate: CRL cache: %w", err)
		}
		c.httpCRLs = &httpCRLSource{fetcher: deps.Fetcher, cache: crlCache, clk: deps.Clock,
			rewrite: rw, timeout: c.fetchTimeout, skew: opts.ClockSkew, lookup: func(string) {}}
		c.crls = c.httpCRLs
	}
	if c.metrics, err = newRevocationMetrics(deps.Registerer); err != nil {
		c.Close()
		return nil, fmt.Errorf("validate: registering revocation metrics: %w", err)
	}
	if c.httpCRLs != nil {
		c.httpCRLs.lookup = func(result string) { c.metrics.lookup(SourceCRL, result) }
	}
	return c, nil
}

func cmpOr[T comparable](v, def T) T {
	var zero T
	if v == zero {
		return def
	}
	return v
}

// Purge drops every cached OCSP answer and CRL and the CRL metric series,
// for a trust store reload (trust.Holder.OnSwap). Fetches in flight finish
// for their callers but are not cached.
func (c *RevocationChecker) Purge() {
	c.ocsp.Purge()
	if c.httpCRLs != nil {
		c.httpCRLs.cache.Purge()
	}
	c.decisions.Store(newCache[crlDecisionKey, crlDecision](maxDecisions))
	c.metrics.purge()
}

// Close cancels fetches in flight and background refreshes and waits for
// them. Afterwards answers not cached are unavailable. Close may be called
// more than once.
func (c *RevocationChecker) Close() {
	c.ocsp.Close()
	if c.httpCRLs != nil {
		c.httpCRLs.cache.Close()
	}
}

// sha1Note is the warning on evidence signed with SHA-1 before the
// cut-off.
func (c *RevocationChecker) sha1Note(r *certRevocation, what string) {
	r.notes = append(r.notes, Message{Level: LevelWarning, Code: CodeSHA1RevocationSignature,
		Text: fmt.Sprintf("the %s is signed with SHA-1, accepted until %s", what, stamp(c.sha1Until))})
}

// timePtr returns a pointer to t in UTC, nil for the zero time.
func timePtr(t time.Time) *time.Time {
	if t.IsZero() {
		return nil
	}
	u := t.UTC()
	return &u
}

// reasonName is the report's name of a CRLReason; an absent reason is
// "unspecified" (RFC 5280 §5.3.1).
func reasonName(code int) string {
	if code == crl.ReasonAbsent {
		code = crl.ReasonUnspecified
	}
	return crl.ReasonName(code)
}

// effectiveSkew reads RevocationOptions.ClockSkew as ocspcheck does: zero
// means ocspcheck.DefaultSkew, negative means none.
func effectiveSkew(d time.Duration) time.Duration {
	switch {
	case d == 0:
		return ocspcheck.DefaultSkew
	case d < 0:
		return 0
	}
	return d
}

// contextFromDeadline returns ctx with its deadline brought forward by
// margin, so that a caller waiting on it still has margin left to build a
// report. Without a deadline ctx is returned as is.
func contextFromDeadline(ctx context.Context, margin time.Duration) (context.Context, context.CancelFunc) {
	d, ok := ctx.Deadline()
	if !ok || margin <= 0 {
		return context.WithCancel(ctx)
	}
	return context.WithDeadline(ctx, d.Add(-margin))
}
