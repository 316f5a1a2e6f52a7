package fetch

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"sync"
	"sync/atomic"
	"testing"
	"time"
)

func TestBackoff(t *testing.T) {
	t.Run("exponential, reset by success", func(t *testing.T) {
		var mu sync.Mutex
		statuses := []int{503, 502, 200, 200, 500, 200}
		srv := newServer(t, func(w http.ResponseWriter, r *http.Request) {
			mu.Lock()
			code := 200
			if len(statuses) > 0 {
				code, statuses = statuses[0], statuses[1:]
			}
			mu.Unlock()
			w.WriteHeader(code)
		})
		fx := newFixture(t, Options{AllowPrivateNetworks: true, BackoffBase: time.Second, BackoffMax: 4 * time.Second})
		steps := []struct {
			advance time.Duration
			want    error // nil = success
			hits    int64
		}{
			{0, ErrStatus, 1},                       // 503: backoff 1s
			{0, ErrBackoff, 1},                      // fails fast
			{999 * time.Millisecond, ErrBackoff, 1}, // still backing off
			{time.Millisecond, ErrStatus, 2},        // 502: second failure, backoff 2s
			{time.Second, ErrBackoff, 2},
			{time.Second, nil, 3}, // recovered
			{0, nil, 4},           // reset: no backoff
			{0, ErrStatus, 5},     // 500: backoff back to 1s, not 4s
			{time.Second, nil, 6},
		}
		for i, st := range steps {
			fx.clock.Advance(st.advance)
			_, err := fx.get(t, SourceOCSP, srv.URL)
			if st.want == nil && err != nil || st.want != nil && !errors.Is(err, st.want) {
				t.Fatalf("step %d: err = %v, want %v", i, err, st.want)
			}
			if n := srv.hits.Load(); n != st.hits {
				t.Fatalf("step %d: hits = %d, want %d", i, n, st.hits)
			}
		}
		if got := fx.count(SourceOCSP, outcomeBackoff); got != 3 {
			t.Errorf("backoff count = %v, want 3", got)
		}
		if got := fx.count(SourceOCSP, outcomeStatus); got != 3 {
			t.Errorf("status count = %v, want 3", got)
		}
	})

	t.Run("network error backs off", func(t *testing.T) {
		srv := httptest.NewServer(okHandler("x"))
		u := srv.URL
		srv.Close() // connection refused from now on
		fx := newFixture(t, Options{AllowPrivateNetworks: true})
		_, err := fx.get(t, SourceCRL, u)
		if err == nil || errors.Is(err, ErrBlocked) || errors.Is(err, ErrBackoff) {
			t.Fatalf("first: %v, want a network error", err)
		}
		_, err = fx.get(t, SourceCRL, u)
		wantErrIs(t, err, ErrBackoff)
		if got := fx.count(SourceCRL, outcomeError); got != 1 {
			t.Errorf("error count = %v, want 1", got)
		}
	})

	t.Run("4xx does not back off", func(t *testing.T) {
		srv := newServer(t, http.NotFound)
		fx := newFixture(t, Options{AllowPrivateNetworks: true})
		for range 3 {
			_, err := fx.get(t, SourceAIA, srv.URL)
			wantErrIs(t, err, ErrStatus)
		}
		if n := srv.hits.Load(); n != 3 {
			t.Errorf("hits = %d, want 3", n)
		}
	})

	t.Run("per host", func(t *testing.T) {
		bad := newServer(t, func(w http.ResponseWriter, r *http.Request) { w.WriteHeader(500) })
		good := newServer(t, okHandler("x"))
		fx := newFixture(t, Options{AllowPrivateNetworks: true})
		fx.get(t, SourceCRL, bad.URL)
		if _, err := fx.get(t, SourceCRL, bad.URL); !errors.Is(err, ErrBackoff) {
			t.Fatalf("bad host: %v, want ErrBackoff", err)
		}
		if _, err := fx.get(t, SourceCRL, good.URL); err != nil {
			t.Fatalf("good host: %v", err)
		}
	})
}

func TestBackoffDelay(t *testing.T) {
	ht := newHostTable(newFakeClock().Now, 1, 10, time.Second, 5*time.Minute)
	for _, tt := range []struct {
		failures int
		want     time.Duration
	}{
		{1, time.Second}, {2, 2 * time.Second}, {3, 4 * time.Second}, {9, 256 * time.Second},
		{10, 5 * time.Minute}, {100, 5 * time.Minute}, {1 << 30, 5 * time.Minute},
	} {
		if got := ht.delay(tt.failures); got != tt.want {
			t.Errorf("delay(%d) = %s, want %s", tt.failures, got, tt.want)
		}
	}
}

func TestPerHostConcurrency(t *testing.T) {
	const limit, n = 2, 8
	var inside, peak atomic.Int64
	release := make(chan struct{})
	srv := newServer(t, func(w http.ResponseWriter, r *http.Request) {
		cur := inside.Add(1)
		defer inside.Add(-1)
		for {
			p := peak.Load()
			if cur <= p || peak.CompareAndSwap(p, cur) {
				break
			}
		}
		select {
		case <-release:
		case <-r.Context().Done():
		}
		io.WriteString(w, "ok")
	})
	other := newServer(t, okHandler("other"))
	fx := newFixture(t, Options{AllowPrivateNetworks: true, PerHostConcurrency: limit, Timeout: 20 * time.Second})

	var wg sync.WaitGroup
	errs := make(chan error, n)
	for range n {
		wg.Go(func() {
			_, err := fx.f.Fetch(t.Context(), Request{Source: SourceOCSP, URL: srv.URL})
			errs <- err
		})
	}
	deadline := time.Now().Add(5 * time.Second)
	for inside.Load() < limit && time.Now().Before(deadline) {
		time.Sleep(5 * time.Millisecond)
	}
	time.Sleep(100 * time.Millisecond) // room for a wrong implementation to overshoot
	if got := inside.Load(); got != limit {
		t.Errorf("inside = %d, want %d", got, limit)
	}
	// Another host is not held up by the saturated one.
	if _, err := fx.get(t, SourceOCSP, other.URL); err != nil {
		t.Errorf("other host: %v", err)
	}
	close(release)
	wg.Wait()
	close(errs)
	for err := range errs {
		if err != nil {
			t.Error(err)
		}
	}
	if p := peak.Load(); p != limit {
		t.Errorf("peak concurrency = %d, want %d", p, limit)
	}
	if h := srv.hits.Load(); h != n {
		t.Errorf("hits = %d, want %d", h, n)
	}
	if fx.f.hosts.len() != 0 {
		t.Errorf("host table has %d entries after all requests ended", fx.f.hosts.len())
	}
}

func TestConcurrencyWaitRespectsContext(t *testing.T) {
	release := make(chan struct{})
	srv := newServer(t, func(w http.ResponseWriter, r *http.Request) {
		select {
		case <-release:
		case <-r.Context().Done():
		}
	})
	fx := newFixture(t, Options{AllowPrivateNetworks: true, PerHostConcurrency: 1, Timeout: 20 * time.Second})
	first := make(chan error, 1)
	go func() {
		_, err := fx.f.Fetch(t.Context(), Request{Source: SourceCRL, URL: srv.URL})
		first <- err
	}()
	for srv.hits.Load() == 0 {
		time.Sleep(5 * time.Millisecond)
	}
	ctx, cancel := context.WithTimeout(t.Context(), 100*time.Millisecond)
	defer cancel()
	_, err := fx.f.Fetch(ctx, Request{Source: SourceCRL, URL: srv.URL})
	wantErrIs(t, err, context.DeadlineExceeded)
	if h := srv.hits.Load(); h != 1 {
		t.Errorf("hits = %d, want 1: the queued request must not be sent", h)
	}
	close(release)
	if err := <-first; err != nil {
		t.Fatalf("first: %v", err)
	}
	// Waiting in the queue is not the host's fault: no backoff.
	if _, err := fx.get(t, SourceCRL, srv.URL); err != nil {
		t.Fatalf("after queue timeout: %v", err)
	}
	if got := fx.count(SourceCRL, outcomeTimeout); got != 1 {
		t.Errorf("timeout count = %v, want 1", got)
	}
}

func TestHostTableBounded(t *testing.T) {
	clock := newFakeClock()
	ht := newHostTable(clock.Now, 2, 3, time.Second, time.Minute)
	ctx := t.Context()
	// Failing hosts are remembered, at most maxHosts of them.
	for i := range 10 {
		st, err := ht.acquire(ctx, fmt.Sprintf("h%d:80", i))
		if err != nil {
			t.Fatal(err)
		}
		ht.release(st, healthFailed)
		if ht.len() > 3 {
			t.Fatalf("after %d hosts: %d entries, want ≤ 3", i+1, ht.len())
		}
	}
	// The most recent ones are kept (still backing off), the oldest evicted.
	if _, err := ht.acquire(ctx, "h9:80"); !errors.Is(err, ErrBackoff) {
		t.Errorf("h9: %v, want ErrBackoff", err)
	}
	if st, err := ht.acquire(ctx, "h0:80"); err != nil {
		t.Errorf("h0 (evicted): %v, want a slot", err)
	} else {
		ht.release(st, healthOK)
	}
	// Busy entries are never evicted: the table exceeds maxHosts only by
	// hosts in flight, and shrinks back when they end.
	var busy []*hostState
	for i := range 5 {
		st, err := ht.acquire(ctx, fmt.Sprintf("busy%d:80", i))
		if err != nil {
			t.Fatal(err)
		}
		busy = append(busy, st)
	}
	if ht.len() != 5 {
		t.Errorf("%d entries with 5 in flight, want 5", ht.len())
	}
	for _, st := range busy {
		ht.release(st, healthOK)
	}
	if ht.len() > 3 {
		t.Errorf("%d entries after release, want ≤ 3", ht.len())
	}

	t.Run("parallel failures count once", func(t *testing.T) {
		ht := newHostTable(clock.Now, 2, 10, time.Second, time.Minute)
		a, _ := ht.acquire(ctx, "h:80")
		b, _ := ht.acquire(ctx, "h:80")
		ht.release(a, healthFailed)
		ht.release(b, healthFailed)
		clock.Advance(time.Second)
		if _, err := ht.acquire(ctx, "h:80"); err != nil {
			t.Errorf("after 1s: %v, want a slot (one failure, 1s backoff)", err)
		}
	})
}
