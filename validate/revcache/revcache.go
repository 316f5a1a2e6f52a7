// Package revcache is the revocation checker's cache of OCSP and CRL
// answers: typed, bounded, and driven by an injected clock, over
// github.com/patrickmn/go-cache.
//
// go-cache reads the wall clock itself and has no size bound. So every
// item goes into go-cache without expiration, each Entry carries its own
// Expires, checked against the injected Clock on every read, and the cache
// keeps its own expiry index to evict when MaxEntries is reached. Nothing
// here calls time.Now.
//
// The cache holds answers, not verdicts: callers store only answers they
// have verified (ocspcheck.Verify, CRL checks) for chains that already
// validated, and decide themselves what a Stale answer may still be used
// for. revcache records no metrics: Get and GetOrFetch return the Result
// the caller counts in lienthong_revocation_cache_requests_total.
package revcache

import (
	"crypto/sha256"
	"crypto/x509"
	"errors"
	"fmt"
	"sync"
	"sync/atomic"
	"time"

	gocache "github.com/patrickmn/go-cache"
	"golang.org/x/sync/singleflight"
)

// Clock tells the time. Production passes the real clock, tests a fake.
type Clock interface{ Now() time.Time }

// The Key sources, as the metrics' source label spells them.
const (
	// SourceOCSP keys an OCSP answer for one certificate.
	SourceOCSP = "ocsp"
	// SourceCRL keys a whole CRL (Serial "") of one issuer and scope.
	SourceCRL = "crl"
)

// Key names one cached answer. It includes the issuer's key, never the
// serial alone: serials are unique per issuer only, and a cache keyed by
// serial hands one CA's answer to another CA's certificate.
type Key struct {
	// Source is SourceOCSP or SourceCRL.
	Source string
	// IssuerKeyHash is the SHA-256 of the issuer's DER
	// SubjectPublicKeyInfo (IssuerKeyHash).
	IssuerKeyHash [32]byte
	// Serial is the certificate serial in lower-case hex
	// (big.Int.Text(16)); "" for whole-CRL entries.
	Serial string
	// Scope tells CRLs of one issuer apart: the distribution point URL or
	// a hash of the issuing distribution point. "" for OCSP.
	Scope string
}

// IssuerKeyHash returns the Key.IssuerKeyHash of issuer.
func IssuerKeyHash(issuer *x509.Certificate) [32]byte {
	return sha256.Sum256(issuer.RawSubjectPublicKeyInfo)
}

// OCSPKey returns the key of cert's OCSP answer.
func OCSPKey(cert, issuer *x509.Certificate) Key {
	return Key{Source: SourceOCSP, IssuerKeyHash: IssuerKeyHash(issuer), Serial: cert.SerialNumber.Text(16)}
}

// CRLKey returns the key of issuer's whole CRL for scope.
func CRLKey(issuer *x509.Certificate, scope string) Key {
	return Key{Source: SourceCRL, IssuerKeyHash: IssuerKeyHash(issuer), Scope: scope}
}

// Entry is one cached answer.
type Entry[V any] struct {
	// Value is the answer.
	Value V
	// Fetched is when it was stored, on the cache's clock.
	Fetched time.Time
	// NextUpdate is the answer's nextUpdate; zero when it had none.
	NextUpdate time.Time
	// Expires is when the cache stops serving it as a Hit:
	// min(NextUpdate, Fetched+MaxTTL), or Fetched+DefaultTTL without
	// NextUpdate. At and after Expires it is Stale.
	Expires time.Time
}

// Result says what the cache had for a key. The zero value is Miss.
type Result int

const (
	// Miss means nothing was cached.
	Miss Result = iota
	// Hit means a cached entry that has not expired.
	Hit
	// Stale means a cached entry past its Expires. It is returned for
	// information (the last known answer) and must never be reported as
	// current.
	Stale
)

// String returns "miss", "hit" or "stale", the metric label values.
func (r Result) String() string {
	switch r {
	case Miss:
		return "miss"
	case Hit:
		return "hit"
	case Stale:
		return "stale"
	}
	return fmt.Sprintf("Result(%d)", int(r))
}

// Defaults for zero Options fields.
const (
	// DefaultMaxEntries is the default Options.MaxEntries.
	DefaultMaxEntries = 10000
	// DefaultMaxTTL is the default Options.MaxTTL.
	DefaultMaxTTL = 24 * time.Hour
	// DefaultDefaultTTL is the default Options.DefaultTTL.
	DefaultDefaultTTL = time.Hour
	// DefaultHotHits is the default Options.HotHits.
	DefaultHotHits = 2
	// DefaultMaxRefreshes is the default Options.MaxRefreshes.
	DefaultMaxRefreshes = 8
)

// Options sizes the cache. The zero value uses the defaults above.
type Options struct {
	// MaxEntries bounds the number of entries, stale ones included.
	MaxEntries int
	// MaxTTL caps how long an entry is served, whatever its NextUpdate.
	MaxTTL time.Duration
	// DefaultTTL is how long an answer without NextUpdate is served
	// (capped by MaxTTL).
	DefaultTTL time.Duration
	// RefreshAhead is how long before Expires a hot entry is refreshed in
	// the background. Zero means 10% of the entry's lifetime (Expires −
	// Fetched) but at least 5 minutes, and never more than half the
	// lifetime.
	RefreshAhead time.Duration
	// HotHits is how many hits since it was fetched make an entry hot,
	// that is, worth refreshing ahead. Cold entries simply expire.
	HotHits int
	// MaxRefreshes bounds concurrent background refreshes; a refresh that
	// finds them all busy is dropped (the entry is still served, and a
	// later hit may try again).
	MaxRefreshes int
}

// ErrClosed is returned by GetOrFetch when it would have to fetch after
// Close.
var ErrClosed = errors.New("revcache: cache closed")

// Cache is a bounded cache of revocation answers of type V. Build it with
// New and stop it with Close. It is safe for concurrent use.
type Cache[V any] struct {
	clk  Clock
	opts Options

	// store holds encoded Key -> *item[V], never expiring by itself.
	// Reads go straight to it; every write also updates idx, under mu.
	store *gocache.Cache

	mu  sync.Mutex
	idx expiryIndex
	gen uint64 // bumped by Purge; fetches started before do not store

	flights singleflight.Group
	sem     chan struct{} // one token per running background refresh
	life    lifecycle
}

// item is what store holds: the entry and its refresh bookkeeping.
type item[V any] struct {
	entry      Entry[V]
	hits       atomic.Int64
	refreshing atomic.Bool
	retryAt    atomic.Int64 // UnixNano on the cache clock before which no refresh starts
}

// New returns an empty cache. It does not start any goroutine: go-cache's
// janitor is off, background work happens only for refreshes.
func New[V any](opts Options, clk Clock) (*Cache[V], error) {
	if clk == nil {
		return nil, errors.New("revcache: nil Clock")
	}
	if opts.MaxEntries < 0 || opts.MaxTTL < 0 || opts.DefaultTTL < 0 || opts.RefreshAhead < 0 ||
		opts.HotHits < 0 || opts.MaxRefreshes < 0 {
		return nil, fmt.Errorf("revcache: negative option in %+v", opts)
	}
	opts.MaxEntries = orDefault(opts.MaxEntries, DefaultMaxEntries)
	opts.MaxTTL = orDefault(opts.MaxTTL, DefaultMaxTTL)
	opts.DefaultTTL = min(orDefault(opts.DefaultTTL, DefaultDefaultTTL), opts.MaxTTL)
	opts.HotHits = orDefault(opts.HotHits, DefaultHotHits)
	opts.MaxRefreshes = orDefault(opts.MaxRefreshes, DefaultMaxRefreshes)
	c := &Cache[V]{
		clk:   clk,
		opts:  opts,
		store: gocache.New(gocache.NoExpiration, 0),
		idx:   newExpiryIndex(),
		sem:   make(chan struct{}, opts.MaxRefreshes),
	}
	c.life.init()
	return c, nil
}

func orDefault[T int | time.Duration](v, d T) T {
	if v == 0 {
		return d
	}
	return v
}

// Get returns the entry for k and whether it is a Hit, Stale or a Miss, at
// the cache clock's now. It never fetches. A Hit counts towards making the
// entry hot, but only GetOrFetch refreshes.
func (c *Cache[V]) Get(k Key) (Entry[V], Result) {
	it, res := c.lookup(k, c.clk.Now())
	if it == nil {
		return Entry[V]{}, Miss
	}
	return it.entry, res
}

// lookup finds k's item and judges it at now. It does not allocate: the
// key is encoded on the stack.
func (c *Cache[V]) lookup(k Key, now time.Time) (*item[V], Result) {
	it := c.peek(k)
	if it == nil {
		return nil, Miss
	}
	if !now.Before(it.entry.Expires) {
		return it, Stale
	}
	// Count hits only up to HotHits: beyond, the entry is hot anyway, and
	// not writing spares a shared cache line on every hit.
	if it.hits.Load() < int64(c.opts.HotHits) {
		it.hits.Add(1)
	}
	return it, Hit
}

// peek returns k's item without judging or counting it.
func (c *Cache[V]) peek(k Key) *item[V] {
	var buf [keyBufSize]byte
	if v, ok := c.store.Get(transientKey(appendKey(buf[:0], k))); ok {
		return v.(*item[V])
	}
	return nil
}

// Set stores v, fetched now, with the given nextUpdate (zero: none), and
// returns the entry as stored. An answer that is already expired
// (Expires not after now) is returned but not stored. The newest Set
// wins, even over an entry that would have lived longer.
func (c *Cache[V]) Set(k Key, v V, nextUpdate time.Time) Entry[V] {
	e, _ := c.put(k, v, nextUpdate, c.gen0())
	return e
}

// gen0 returns the current generation.
func (c *Cache[V]) gen0() uint64 {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.gen
}

// put stores an answer if the cache is still at generation gen (no Purge
// since the fetch started). It reports whether it stored.
func (c *Cache[V]) put(k Key, v V, nextUpdate time.Time, gen uint64) (Entry[V], bool) {
	c.mu.Lock()
	defer c.mu.Unlock()
	now := c.clk.Now()
	e := Entry[V]{Value: v, Fetched: now, NextUpdate: nextUpdate}
	if nextUpdate.IsZero() {
		e.Expires = now.Add(c.opts.DefaultTTL)
	} else {
		e.Expires = minTime(nextUpdate, now.Add(c.opts.MaxTTL))
	}
	if gen != c.gen || !e.Expires.After(now) {
		return e, false
	}
	skey := string(appendKey(nil, k))
	it := &item[V]{entry: e}
	if old, ok := c.store.Get(skey); ok && !e.Expires.After(old.(*item[V]).entry.Expires) {
		// A refresh that did not move Expires (the responder served the
		// same answer again) waits before trying again.
		it.retryAt.Store(now.Add(refreshBackoff).UnixNano())
	}
	for _, evicted := range c.idx.set(skey, e.Expires, c.opts.MaxEntries) {
		c.store.Delete(evicted)
	}
	c.store.Set(skey, it, gocache.NoExpiration)
	return e, true
}

func minTime(a, b time.Time) time.Time {
	if a.Before(b) {
		return a
	}
	return b
}

// Purge drops every entry, for instance when the trust store is
// reloaded. Fetches in flight when Purge runs return their answer to
// their callers but do not store it.
func (c *Cache[V]) Purge() {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.gen++
	c.store.Flush()
	c.idx = newExpiryIndex()
}

// Len returns the number of entries, stale ones included.
func (c *Cache[V]) Len() int {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.idx.len()
}
