package revcache_test

import (
	"context"
	"errors"
	"runtime"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/lienthong/lienthong/validate/revcache"
)

// waitFor polls cond (real time: it waits for goroutines, not for the
// cache clock) and fails the test after a few seconds.
func waitFor(t *testing.T, what string, cond func() bool) {
	t.Helper()
	for deadline := time.Now().Add(5 * time.Second); time.Now().Before(deadline); time.Sleep(time.Millisecond) {
		if cond() {
			return
		}
	}
	t.Fatalf("timed out waiting for %s", what)
}

// recv waits for one value from ch or fails the test.
func recv[T any](t *testing.T, ch <-chan T, what string) T {
	t.Helper()
	select {
	case v := <-ch:
		return v
	case <-time.After(5 * time.Second):
		t.Fatalf("timed out waiting for %s", what)
	}
	panic("unreachable")
}

// blockingFetch is a fetch that counts its calls, reports each start on
// started and returns value once release is closed (or its ctx ends).
type blockingFetch struct {
	calls   atomic.Int64
	started chan context.Context
	release chan struct{}
	value   string
	next    time.Time
	err     error
}

func newBlockingFetch(value string, next time.Time) *blockingFetch {
	return &blockingFetch{started: make(chan context.Context, 100), release: make(chan struct{}), value: value, next: next}
}

func (f *blockingFetch) fetch(ctx context.Context) (string, time.Time, error) {
	f.calls.Add(1)
	f.started <- ctx
	select {
	case <-f.release:
		return f.value, f.next, f.err
	case <-ctx.Done():
		return "", time.Time{}, ctx.Err()
	}
}

func TestSingleflight(t *testing.T) {
	c, _ := newCache(t, revcache.Options{})
	k := key("CA", "01")
	f := newBlockingFetch("good", t0.Add(time.Hour))
	const n = 1000
	var wg sync.WaitGroup
	var wrong atomic.Int64
	start := make(chan struct{})
	for range n {
		wg.Go(func() {
			<-start
			e, r, err := c.GetOrFetch(context.Background(), k, f.fetch)
			if err != nil || e.Value != "good" || r == revcache.Stale {
				wrong.Add(1)
			}
		})
	}
	close(start)
	recv(t, f.started, "the fetch to start")
	time.Sleep(20 * time.Millisecond) // let the others pile up on the flight
	close(f.release)
	wg.Wait()
	if got := f.calls.Load(); got != 1 {
		t.Errorf("fetch called %d times, want 1", got)
	}
	if wrong.Load() != 0 {
		t.Errorf("%d callers did not get the value", wrong.Load())
	}
}

func TestCallerCancelDoesNotCancelSharedFetch(t *testing.T) {
	c, _ := newCache(t, revcache.Options{})
	k := key("CA", "01")
	f := newBlockingFetch("good", t0.Add(time.Hour))

	ctxA, cancelA := context.WithCancel(context.Background())
	errA := make(chan error, 1)
	go func() {
		_, _, err := c.GetOrFetch(ctxA, k, f.fetch)
		errA <- err
	}()
	fetchCtx := recv(t, f.started, "the fetch to start")

	type result struct {
		e   revcache.Entry[string]
		err error
	}
	resB := make(chan result, 1)
	go func() {
		e, _, err := c.GetOrFetch(context.Background(), k, f.fetch)
		resB <- result{e, err}
	}()

	cancelA()
	if err := recv(t, errA, "the cancelled caller"); !errors.Is(err, context.Canceled) {
		t.Errorf("cancelled caller got %v, want context.Canceled", err)
	}
	if fetchCtx.Err() != nil {
		t.Fatalf("shared fetch's context ended with the caller's: %v", fetchCtx.Err())
	}
	close(f.release)
	if b := recv(t, resB, "the other caller"); b.err != nil || b.e.Value != "good" {
		t.Errorf("other caller got %+v, %v", b.e, b.err)
	}
	if e, r := c.Get(k); r != revcache.Hit || e.Value != "good" {
		t.Errorf("cache after the shared fetch: %+v %v", e, r)
	}
	if got := f.calls.Load(); got != 1 {
		t.Errorf("fetch called %d times, want 1", got)
	}
}

func TestCancelledBeforeFetch(t *testing.T) {
	c, _ := newCache(t, revcache.Options{})
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	f := newBlockingFetch("good", t0.Add(time.Hour))
	if _, r, err := c.GetOrFetch(ctx, key("CA", "01"), f.fetch); !errors.Is(err, context.Canceled) || r != revcache.Miss {
		t.Errorf("GetOrFetch = %v, %v", r, err)
	}
	if f.calls.Load() != 0 {
		t.Error("fetched for a caller already gone")
	}
}

// hotEntry stores k = "v1" expiring at t0+1h and hits it twice (HotHits).
func hotEntry(t *testing.T, c *revcache.Cache[string], k revcache.Key) {
	t.Helper()
	c.Set(k, "v1", t0.Add(time.Hour))
	for range 2 {
		if _, r := c.Get(k); r != revcache.Hit {
			t.Fatalf("Get = %v", r)
		}
	}
}

func TestRefreshAhead(t *testing.T) {
	c, clk := newCache(t, revcache.Options{RefreshAhead: 10 * time.Minute, HotHits: 2})
	k := key("CA", "01")
	hotEntry(t, c, k)
	f := newBlockingFetch("v2", t0.Add(2*time.Hour))

	clk.Advance(45 * time.Minute) // not yet within RefreshAhead
	if e, r, err := c.GetOrFetch(context.Background(), k, f.fetch); err != nil || r != revcache.Hit || e.Value != "v1" {
		t.Fatalf("GetOrFetch = %+v %v %v", e, r, err)
	}
	clk.Advance(10 * time.Minute) // 5 minutes before Expires
	for range 5 {
		e, r, err := c.GetOrFetch(context.Background(), k, f.fetch)
		if err != nil || r != revcache.Hit || e.Value != "v1" {
			t.Fatalf("while refreshing: GetOrFetch = %+v %v %v; want v1 from the cache", e, r, err)
		}
	}
	recv(t, f.started, "the background refresh")
	close(f.release)
	waitFor(t, "the refreshed entry", func() bool { e, _ := c.Get(k); return e.Value == "v2" })
	e, r, err := c.GetOrFetch(context.Background(), k, f.fetch)
	if err != nil || r != revcache.Hit || e.Value != "v2" || !e.Expires.Equal(t0.Add(2*time.Hour)) {
		t.Errorf("after refresh: %+v %v %v", e, r, err)
	}
	if got := f.calls.Load(); got != 1 {
		t.Errorf("fetch called %d times, want exactly one background refresh", got)
	}
}

func TestColdEntryIsNotRefreshed(t *testing.T) {
	c, clk := newCache(t, revcache.Options{RefreshAhead: 10 * time.Minute, HotHits: 5})
	k := key("CA", "01")
	c.Set(k, "v1", t0.Add(time.Hour))
	clk.Advance(55 * time.Minute)
	f := newBlockingFetch("v2", t0.Add(2*time.Hour))
	if _, r, _ := c.GetOrFetch(context.Background(), k, f.fetch); r != revcache.Hit {
		t.Fatalf("GetOrFetch = %v", r)
	}
	c.Close() // waits for any refresh
	if f.calls.Load() != 0 {
		t.Error("a cold entry was refreshed")
	}
}

func TestFailedRefreshKeepsEntry(t *testing.T) {
	c, clk := newCache(t, revcache.Options{RefreshAhead: 10 * time.Minute})
	k := key("CA", "01")
	hotEntry(t, c, k)
	f := newBlockingFetch("", time.Time{})
	f.err = errors.New("responder down")
	close(f.release)

	clk.Advance(55 * time.Minute)
	if e, r, err := c.GetOrFetch(context.Background(), k, f.fetch); err != nil || r != revcache.Hit || e.Value != "v1" {
		t.Fatalf("GetOrFetch = %+v %v %v", e, r, err)
	}
	recv(t, f.started, "the background refresh")
	// Until the backoff has passed, hits neither refresh again nor lose
	// the old entry.
	for range 20 {
		if e, r, err := c.GetOrFetch(context.Background(), k, f.fetch); err != nil || r != revcache.Hit || e.Value != "v1" {
			t.Fatalf("after a failed refresh: %+v %v %v", e, r, err)
		}
	}
	if got := f.calls.Load(); got != 1 {
		t.Errorf("fetch called %d times during the backoff, want 1", got)
	}
	clk.Advance(time.Minute) // past the backoff, still before Expires
	waitFor(t, "a second refresh after the backoff", func() bool {
		c.GetOrFetch(context.Background(), k, f.fetch) // a hit; refreshes once the first is over
		return f.calls.Load() == 2
	})
	c.Close()
	if e, r := c.Get(k); r != revcache.Hit || e.Value != "v1" {
		t.Errorf("before Expires: %+v %v; want the old entry", e, r)
	}
	clk.Advance(5 * time.Minute) // past Expires
	if e, r := c.Get(k); r != revcache.Stale || e.Value != "v1" {
		t.Errorf("after Expires: %+v %v; want it stale", e, r)
	}
}

func TestRefreshDroppedWhenBusy(t *testing.T) {
	c, clk := newCache(t, revcache.Options{RefreshAhead: 10 * time.Minute, MaxRefreshes: 1})
	k1, k2 := key("CA", "01"), key("CA", "02")
	hotEntry(t, c, k1)
	hotEntry(t, c, k2)
	clk.Advance(55 * time.Minute)
	f1, f2 := newBlockingFetch("v2", t0.Add(2*time.Hour)), newBlockingFetch("v2", t0.Add(2*time.Hour))
	c.GetOrFetch(context.Background(), k1, f1.fetch)
	recv(t, f1.started, "the first refresh")
	if e, r, err := c.GetOrFetch(context.Background(), k2, f2.fetch); err != nil || r != revcache.Hit || e.Value != "v1" {
		t.Errorf("GetOrFetch with refreshes busy = %+v %v %v", e, r, err)
	}
	close(f1.release)
	close(f2.release)
	c.Close()
	if f2.calls.Load() != 0 {
		t.Error("a refresh started beyond MaxRefreshes")
	}
}

func TestPurgeDuringFetch(t *testing.T) {
	c, _ := newCache(t, revcache.Options{})
	k := key("CA", "01")
	f := newBlockingFetch("old-store", t0.Add(time.Hour))
	res := make(chan string, 1)
	go func() {
		e, _, _ := c.GetOrFetch(context.Background(), k, f.fetch)
		res <- e.Value
	}()
	recv(t, f.started, "the fetch")
	c.Purge()
	close(f.release)
	if v := recv(t, res, "the caller"); v != "old-store" {
		t.Errorf("caller got %q", v)
	}
	if _, r := c.Get(k); r != revcache.Miss {
		t.Errorf("an answer fetched before Purge was stored after it: %v", r)
	}
}

func TestCloseStopsBackgroundWork(t *testing.T) {
	base := runtime.NumGoroutine()
	c, clk := newCache(t, revcache.Options{RefreshAhead: 10 * time.Minute})
	// Refreshes blocked until their context ends, and a shared fetch whose
	// only caller has gone.
	var fs []*blockingFetch
	for _, s := range []string{"01", "02", "03"} {
		k := key("CA", s)
		hotEntry(t, c, k)
		fs = append(fs, newBlockingFetch("v2", t0.Add(2*time.Hour)))
	}
	clk.Advance(55 * time.Minute)
	for i, s := range []string{"01", "02", "03"} {
		c.GetOrFetch(context.Background(), key("CA", s), fs[i].fetch)
	}
	orphan := newBlockingFetch("v", t0.Add(2*time.Hour))
	ctx, cancel := context.WithCancel(context.Background())
	go func() { <-orphan.started; cancel() }()
	if _, _, err := c.GetOrFetch(ctx, key("CA", "04"), orphan.fetch); !errors.Is(err, context.Canceled) {
		t.Fatalf("orphan caller: %v", err)
	}
	for _, f := range fs {
		recv(t, f.started, "a refresh")
	}

	done := make(chan struct{})
	go func() { c.Close(); close(done) }()
	recv(t, done, "Close to return")
	waitFor(t, "goroutines to settle", func() bool { return runtime.NumGoroutine() <= base })

	if e, r := c.Get(key("CA", "01")); r != revcache.Hit || e.Value != "v1" {
		t.Errorf("Get after Close: %+v %v", e, r)
	}
	f := newBlockingFetch("v", t0.Add(time.Hour))
	if _, _, err := c.GetOrFetch(context.Background(), key("CA", "05"), f.fetch); !errors.Is(err, revcache.ErrClosed) {
		t.Errorf("fetch after Close: %v, want ErrClosed", err)
	}
	if f.calls.Load() != 0 {
		t.Error("fetched after Close")
	}
	c.Close() // again
}
