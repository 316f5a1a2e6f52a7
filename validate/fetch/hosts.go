package fetch

import (
	"container/list"
	"context"
	"fmt"
	"math"
	"sync"
	"time"
)

// hostTable holds per-host state: a semaphore bounding concurrent requests
// and the failure count driving exponential backoff. Hosts are keyed by
// "host:port" of the request's first URL (a redirect target is fetched under
// the key of the URL that led to it).
//
// The table stays bounded. An entry with no request in flight and no
// failures is deleted as soon as its last request ends, so only failing or
// busy hosts are kept; when the table is full, the least recently used idle
// entry is evicted (forgetting that host's backoff). Entries with requests
// in flight are never evicted, so the table can exceed maxHosts only by the
// number of hosts with a request in flight at that moment.
type hostTable struct {
	now       func() time.Time
	perHost   int
	base, max time.Duration
	maxHosts  int

	mu  sync.Mutex
	m   map[string]*list.Element // of *hostState
	lru list.List                // front: most recently used
}

type hostState struct {
	key      string
	sem      chan struct{}
	refs     int // requests holding or waiting for sem
	failures int // consecutive failures; 0 after a success
	until    time.Time
}

// outcome of one request, as far as host health is concerned.
type health int

const (
	healthNeutral health = iota // says nothing about the host (4xx, refused by policy, caller gave up)
	healthOK                    // the host answered: reset backoff
	healthFailed                // network error, timeout or 5xx: back off
)

func newHostTable(now func() time.Time, perHost, maxHosts int, base, max time.Duration) *hostTable {
	return &hostTable{now: now, perHost: perHost, maxHosts: maxHosts, base: base, max: max, m: map[string]*list.Element{}}
}

// acquire waits for a slot for key. It fails fast with ErrBackoff while the
// host is backing off, and returns ctx's error if ctx ends while waiting.
// A successful acquire must be paired with release.
func (t *hostTable) acquire(ctx context.Context, key string) (*hostState, error) {
	t.mu.Lock()
	st := t.get(key)
	if err := t.backoffErr(st); err != nil {
		t.mu.Unlock()
		return nil, err
	}
	st.refs++
	t.mu.Unlock()

	select {
	case st.sem <- struct{}{}:
	case <-ctx.Done():
		t.mu.Lock()
		st.refs--
		t.dropIfIdle(st)
		t.mu.Unlock()
		return nil, ctx.Err()
	}

	// Another request may have failed while this one waited.
	t.mu.Lock()
	defer t.mu.Unlock()
	if err := t.backoffErr(st); err != nil {
		<-st.sem
		st.refs--
		t.dropIfIdle(st)
		return nil, err
	}
	return st, nil
}

// release frees st's slot and records h. It reports whether this failure
// put the host into backoff, with the failure count and end of backoff.
func (t *hostTable) release(st *hostState, h health) (backoff bool, failures int, until time.Time) {
	t.mu.Lock()
	defer t.mu.Unlock()
	<-st.sem
	st.refs--
	switch h {
	case healthOK:
		st.failures, st.until = 0, time.Time{}
	case healthFailed:
		now := t.now()
		// Requests that were already in flight when the host started
		// backing off fail together; count that as one failure so that
		// four parallel requests do not quadruple the delay.
		if !now.Before(st.until) {
			st.failures++
			st.until = now.Add(t.delay(st.failures))
			backoff = true
		}
	}
	failures, until = st.failures, st.until
	t.dropIfIdle(st)
	return backoff, failures, until
}

// delay is base·2^(failures-1), capped at max.
func (t *hostTable) delay(failures int) time.Duration {
	d := t.base
	for i := 1; i < failures && d < t.max; i++ {
		if d > math.MaxInt64/2 {
			return t.max
		}
		d *= 2
	}
	return min(d, t.max)
}

// backoffErr reports ErrBackoff while st is backing off. t.mu is held.
func (t *hostTable) backoffErr(st *hostState) error {
	if st.failures == 0 || !t.now().Before(st.until) {
		return nil
	}
	return fmt.Errorf("%w: %s failed %d time(s), retrying after %s", ErrBackoff, st.key, st.failures, st.until.UTC().Format(time.RFC3339))
}

// get returns key's entry, creating it (and evicting if full). t.mu is held.
func (t *hostTable) get(key string) *hostState {
	if e, ok := t.m[key]; ok {
		t.lru.MoveToFront(e)
		return e.Value.(*hostState)
	}
	if len(t.m) >= t.maxHosts {
		for e := t.lru.Back(); e != nil; e = e.Prev() {
			if st := e.Value.(*hostState); st.refs == 0 {
				t.lru.Remove(e)
				delete(t.m, st.key)
				break
			}
		}
	}
	st := &hostState{key: key, sem: make(chan struct{}, t.perHost)}
	t.m[key] = t.lru.PushFront(st)
	return st
}

// dropIfIdle deletes st when nothing about it needs remembering. t.mu is held.
func (t *hostTable) dropIfIdle(st *hostState) {
	if st.refs != 0 || st.failures != 0 {
		return
	}
	if e, ok := t.m[st.key]; ok && e.Value.(*hostState) == st {
		t.lru.Remove(e)
		delete(t.m, st.key)
	}
}

// len is the number of entries, for tests.
func (t *hostTable) len() int {
	t.mu.Lock()
	defer t.mu.Unlock()
	return len(t.m)
}
