package revcache

import (
	"context"
	"encoding/binary"
	"fmt"
	"sync"
	"time"
)

// refreshBackoff is the least time between two refresh-ahead attempts on
// one entry, and how long an entry that a refresh did not make live longer
// waits, so that a down or unchanging responder is not asked on every hot
// hit.
const refreshBackoff = 30 * time.Second

// FetchFunc fetches and verifies one answer. It returns the answer, its
// nextUpdate (zero when it has none) and an error. It runs on a context
// that the calling request's cancellation does not reach (the answer is
// shared), so it must set its own timeout; Close cancels it.
type FetchFunc[V any] func(ctx context.Context) (V, time.Time, error)

// GetOrFetch returns k's answer, fetching it on a Miss or Stale, and the
// Result of the lookup (for the cache metric: a successful fetch still
// reports Miss or Stale).
//
// Concurrent callers for one key share one fetch (singleflight): the first
// caller's fetch runs on context.WithoutCancel(ctx), and each caller waits
// for it or for its own ctx, whichever comes first (the model is
// lookupIPAddr in net/lookup.go). A caller whose ctx ends gets ctx.Err()
// at once while the fetch continues and fills the cache for the others.
//
// On a Hit the cached entry is returned at once. If the entry is hot (at
// least HotHits hits since it was fetched) and within RefreshAhead of
// Expires, one background refresh starts, bounded by MaxRefreshes; until it
// succeeds the old entry is served, and a failed refresh leaves it in
// place until it expires.
//
// On error, the Stale entry, if any, is returned with Result Stale, as the
// last known answer; it is not current. A successful fetch whose answer is
// already expired is returned but not cached.
func (c *Cache[V]) GetOrFetch(ctx context.Context, k Key, fetch FetchFunc[V]) (Entry[V], Result, error) {
	now := c.clk.Now()
	it, res := c.lookup(k, now)
	if res == Hit {
		if c.refreshDue(it, now) {
			c.refreshAhead(ctx, k, it, fetch)
		}
		return it.entry, Hit, nil
	}
	var stale Entry[V]
	if it != nil {
		stale = it.entry
	}
	if err := ctx.Err(); err != nil {
		return stale, res, err
	}
	gen := c.gen0()
	ch := c.flights.DoChan(flightKey(k, gen), func() (any, error) {
		return c.fetchAndPut(ctx, k, gen, fetch, it)
	})
	select {
	case <-ctx.Done():
		return stale, res, ctx.Err()
	case r := <-ch:
		if r.Err != nil {
			return stale, res, r.Err
		}
		return r.Val.(Entry[V]), res, nil
	}
}

// flightKey is the singleflight key: the cache key and the generation, so
// that callers after a Purge do not join a fetch started before it.
func flightKey(k Key, gen uint64) string {
	return string(binary.BigEndian.AppendUint64(appendKey(nil, k), gen))
}

// fetchAndPut runs the shared fetch and stores its answer. seen is the
// item the caller found (nil on a Miss): if another flight has replaced it
// with a live entry meanwhile (the caller missed just before that flight
// ended), that entry is the answer and nothing is fetched.
func (c *Cache[V]) fetchAndPut(ctx context.Context, k Key, gen uint64, fetch FetchFunc[V], seen *item[V]) (Entry[V], error) {
	if !c.life.begin() {
		return Entry[V]{}, ErrClosed
	}
	defer c.life.done()
	if cur := c.peek(k); cur != nil && cur != seen && c.clk.Now().Before(cur.entry.Expires) {
		return cur.entry, nil
	}
	fctx, cancel := context.WithCancel(context.WithoutCancel(ctx))
	defer cancel()
	defer context.AfterFunc(c.life.ctx, cancel)()
	v, next, err := safeFetch(fctx, fetch)
	if err != nil {
		return Entry[V]{}, err
	}
	e, _ := c.put(k, v, next, gen)
	return e, nil
}

// safeFetch calls fetch, turning a panic into an error: singleflight
// would re-panic it on a goroutine of its own and crash the process.
func safeFetch[V any](ctx context.Context, fetch FetchFunc[V]) (v V, next time.Time, err error) {
	defer func() {
		if r := recover(); r != nil {
			err = fmt.Errorf("revcache: fetch panicked: %v", r)
		}
	}()
	return fetch(ctx)
}

// refreshDue reports whether a hit on it at now should refresh it ahead.
func (c *Cache[V]) refreshDue(it *item[V], now time.Time) bool {
	if it.hits.Load() < int64(c.opts.HotHits) || now.UnixNano() < it.retryAt.Load() {
		return false
	}
	return !now.Before(it.entry.Expires.Add(-c.window(it.entry)))
}

// window is how long before Expires an entry is refreshed ahead.
func (c *Cache[V]) window(e Entry[V]) time.Duration {
	if c.opts.RefreshAhead > 0 {
		return c.opts.RefreshAhead
	}
	life := e.Expires.Sub(e.Fetched)
	return min(max(life/10, 5*time.Minute), life/2)
}

// refreshAhead starts one background refresh of it, unless one is running
// for it, MaxRefreshes are running, or the cache is closed.
func (c *Cache[V]) refreshAhead(ctx context.Context, k Key, it *item[V], fetch FetchFunc[V]) {
	if !it.refreshing.CompareAndSwap(false, true) {
		return
	}
	select {
	case c.sem <- struct{}{}:
	default:
		it.refreshing.Store(false)
		return
	}
	if !c.life.begin() {
		<-c.sem
		it.refreshing.Store(false)
		return
	}
	gen := c.gen0()
	// Attempts on one entry start at least refreshBackoff apart: if this
	// one fails, the old entry is served and the next hit after the
	// backoff tries again. On success the entry is replaced anyway.
	it.retryAt.Store(c.clk.Now().Add(refreshBackoff).UnixNano())
	go func() {
		defer c.life.done()
		defer func() { <-c.sem }()
		defer it.refreshing.Store(false)
		c.flights.Do(flightKey(k, gen), func() (any, error) {
			return c.fetchAndPut(ctx, k, gen, fetch, it)
		})
	}()
}

// Close cancels fetches in flight, stops background refreshes and waits
// for them to return. Afterwards Get and GetOrFetch hits still work, a
// GetOrFetch that needs to fetch returns ErrClosed, and no refresh starts.
// Close may be called more than once.
func (c *Cache[V]) Close() { c.life.close() }

// lifecycle tracks background work so that Close can stop and await it.
type lifecycle struct {
	ctx    context.Context // cancelled by close
	cancel context.CancelFunc
	mu     sync.Mutex
	closed bool
	wg     sync.WaitGroup
}

func (l *lifecycle) init() { l.ctx, l.cancel = context.WithCancel(context.Background()) }

// begin registers one piece of work; false once closed.
func (l *lifecycle) begin() bool {
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.closed {
		return false
	}
	l.wg.Add(1)
	return true
}

func (l *lifecycle) done() { l.wg.Done() }

func (l *lifecycle) close() {
	l.mu.Lock()
	l.closed = true
	l.mu.Unlock()
	l.cancel()
	l.wg.Wait()
}
