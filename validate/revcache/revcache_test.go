package revcache_test

import (
	"context"
	"crypto/sha256"
	"errors"
	"fmt"
	"math/rand/v2"
	"testing"
	"time"

	"github.com/lienthong/lienthong/test/testpki"
	"github.com/lienthong/lienthong/validate/revcache"
)

var t0 = time.Date(2031, 5, 17, 9, 30, 15, 0, time.UTC)

func newCache(t *testing.T, opts revcache.Options) (*revcache.Cache[string], *testpki.Clock) {
	t.Helper()
	clk := testpki.NewClock(t0)
	c, err := revcache.New[string](opts, clk)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(c.Close)
	return c, clk
}

func key(issuer, serial string) revcache.Key {
	return revcache.Key{Source: revcache.SourceOCSP, IssuerKeyHash: sha256.Sum256([]byte(issuer)), Serial: serial}
}

func TestGetHitMissStale(t *testing.T) {
	c, clk := newCache(t, revcache.Options{})
	k := key("CA1", "01")
	c.Set(k, "good", t0.Add(time.Hour))

	if e, r := c.Get(k); r != revcache.Hit || e.Value != "good" || !e.Expires.Equal(t0.Add(time.Hour)) {
		t.Errorf("Get = %+v, %v; want hit", e, r)
	}
	misses := map[string]revcache.Key{
		"same serial, another issuer": key("CA2", "01"),
		"another serial":              key("CA1", "02"),
		"another source":              {Source: revcache.SourceCRL, IssuerKeyHash: k.IssuerKeyHash, Serial: "01"},
		"another scope":               {Source: revcache.SourceOCSP, IssuerKeyHash: k.IssuerKeyHash, Serial: "01", Scope: "x"},
	}
	for name, mk := range misses {
		if e, r := c.Get(mk); r != revcache.Miss || e.Value != "" {
			t.Errorf("%s: Get = %+v, %v; want miss", name, e, r)
		}
	}

	clk.Advance(time.Hour - time.Second)
	if _, r := c.Get(k); r != revcache.Hit {
		t.Errorf("a second before Expires: %v, want hit", r)
	}
	clk.Advance(time.Second) // at Expires: go-cache still holds it, the clock says no
	e, r := c.Get(k)
	if r != revcache.Stale || e.Value != "good" {
		t.Errorf("at Expires: Get = %+v, %v; want stale with the last value", e, r)
	}
	if c.Len() != 1 {
		t.Errorf("Len = %d, want the stale entry kept", c.Len())
	}
}

// TestKeysDoNotCollide checks that the key encoding is injective where a
// naive concatenation would not be.
func TestKeysDoNotCollide(t *testing.T) {
	c, _ := newCache(t, revcache.Options{})
	h := sha256.Sum256([]byte("CA"))
	keys := []revcache.Key{
		{Source: "ocsp", IssuerKeyHash: h, Serial: "ab"},
		{Source: "ocsp", IssuerKeyHash: h, Serial: "a", Scope: "b"},
		{Source: "ocs", IssuerKeyHash: h, Serial: "pab"},
		{Source: "crl", IssuerKeyHash: h, Scope: "ab"},
	}
	for i, k := range keys {
		c.Set(k, fmt.Sprint(i), t0.Add(time.Hour))
	}
	for i, k := range keys {
		if e, r := c.Get(k); r != revcache.Hit || e.Value != fmt.Sprint(i) {
			t.Errorf("key %d: %+v %v", i, e, r)
		}
	}
}

func TestTTL(t *testing.T) {
	opts := revcache.Options{MaxTTL: 24 * time.Hour, DefaultTTL: 2 * time.Hour}
	tests := []struct {
		name       string
		opts       revcache.Options
		nextUpdate time.Time
		want       time.Time // zero: not stored
	}{
		{"nextUpdate within MaxTTL", opts, t0.Add(time.Hour), t0.Add(time.Hour)},
		{"nextUpdate capped by MaxTTL", opts, t0.Add(72 * time.Hour), t0.Add(24 * time.Hour)},
		{"no nextUpdate: DefaultTTL", opts, time.Time{}, t0.Add(2 * time.Hour)},
		{"DefaultTTL capped by MaxTTL", revcache.Options{MaxTTL: time.Hour, DefaultTTL: 5 * time.Hour}, time.Time{}, t0.Add(time.Hour)},
		{"defaults", revcache.Options{}, time.Time{}, t0.Add(revcache.DefaultDefaultTTL)},
		{"nextUpdate passed: not stored", opts, t0.Add(-time.Minute), time.Time{}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c, _ := newCache(t, tt.opts)
			k := key("CA", "01")
			e := c.Set(k, "v", tt.nextUpdate)
			if !e.Fetched.Equal(t0) || !e.NextUpdate.Equal(tt.nextUpdate) {
				t.Errorf("entry %+v: want Fetched t0 and NextUpdate as given", e)
			}
			got, r := c.Get(k)
			if tt.want.IsZero() {
				if r != revcache.Miss || c.Len() != 0 {
					t.Errorf("Get = %v, Len %d; want an expired answer not stored", r, c.Len())
				}
				return
			}
			if r != revcache.Hit || !got.Expires.Equal(tt.want) || !e.Expires.Equal(tt.want) {
				t.Errorf("Expires = %v (%v), want %v", got.Expires, r, tt.want)
			}
		})
	}
}

func TestSizeBound(t *testing.T) {
	const max, n = 100, 10 * 100
	c, _ := newCache(t, revcache.Options{MaxEntries: max, MaxTTL: 1000 * time.Hour})
	expiry := rand.Perm(n) // entry i expires i+1 hours from now
	for _, i := range expiry {
		c.Set(key("CA", fmt.Sprint(i)), fmt.Sprint(i), t0.Add(time.Duration(i+1)*time.Hour))
		if c.Len() > max {
			t.Fatalf("Len = %d after inserting, bound %d", c.Len(), max)
		}
	}
	if c.Len() != max {
		t.Errorf("Len = %d, want %d", c.Len(), max)
	}
	// The entry just stored always survives: eviction happens before the
	// insert.
	last := expiry[n-1]
	if e, r := c.Get(key("CA", fmt.Sprint(last))); r != revcache.Hit || e.Value != fmt.Sprint(last) {
		t.Errorf("last inserted entry %d: %v", last, r)
	}
	hits := 0
	for i := range n {
		if _, r := c.Get(key("CA", fmt.Sprint(i))); r == revcache.Hit {
			hits++
		}
	}
	if hits != max {
		t.Errorf("%d entries answer, want %d", hits, max)
	}

	// Inserted in order of expiry, the survivors are the latest-expiring.
	c.Purge()
	for i := range n {
		c.Set(key("CA", fmt.Sprint(i)), fmt.Sprint(i), t0.Add(time.Duration(i+1)*time.Hour))
	}
	for i := range n {
		_, r := c.Get(key("CA", fmt.Sprint(i)))
		if want := i >= n-max; (r == revcache.Hit) != want {
			t.Fatalf("entry %d: %v, want present=%v", i, r, want)
		}
	}
}

func TestEvictsExpiredFirst(t *testing.T) {
	c, clk := newCache(t, revcache.Options{MaxEntries: 3})
	c.Set(key("CA", "a"), "a", t0.Add(10*time.Minute))
	c.Set(key("CA", "b"), "b", t0.Add(2*time.Hour))
	c.Set(key("CA", "c"), "c", t0.Add(3*time.Hour))
	clk.Advance(20 * time.Minute) // a is stale
	c.Set(key("CA", "d"), "d", t0.Add(time.Hour))
	if _, r := c.Get(key("CA", "a")); r != revcache.Miss {
		t.Errorf("stale a: %v, want evicted", r)
	}
	c.Set(key("CA", "e"), "e", t0.Add(4*time.Hour)) // d expires soonest
	for s, want := range map[string]revcache.Result{"b": revcache.Hit, "c": revcache.Hit, "d": revcache.Miss, "e": revcache.Hit} {
		if _, r := c.Get(key("CA", s)); r != want {
			t.Errorf("%s: %v, want %v", s, r, want)
		}
	}
}

func TestPurge(t *testing.T) {
	c, _ := newCache(t, revcache.Options{})
	for i := range 10 {
		c.Set(key("CA", fmt.Sprint(i)), "v", t0.Add(time.Hour))
	}
	c.Purge()
	if _, r := c.Get(key("CA", "1")); r != revcache.Miss || c.Len() != 0 {
		t.Errorf("after Purge: %v, Len %d", r, c.Len())
	}
	c.Set(key("CA", "1"), "w", t0.Add(time.Hour))
	if e, r := c.Get(key("CA", "1")); r != revcache.Hit || e.Value != "w" {
		t.Errorf("Set after Purge: %+v %v", e, r)
	}
}

func TestNewValidates(t *testing.T) {
	if _, err := revcache.New[int](revcache.Options{}, nil); err == nil {
		t.Error("nil clock accepted")
	}
	for _, o := range []revcache.Options{{MaxEntries: -1}, {MaxTTL: -1}, {DefaultTTL: -1},
		{RefreshAhead: -1}, {HotHits: -1}, {MaxRefreshes: -1}} {
		if _, err := revcache.New[int](o, testpki.NewClock(t0)); err == nil {
			t.Errorf("%+v accepted", o)
		}
	}
}

func TestResultString(t *testing.T) {
	for r, want := range map[revcache.Result]string{revcache.Hit: "hit", revcache.Miss: "miss", revcache.Stale: "stale"} {
		if r.String() != want {
			t.Errorf("%d: %q, want %q", int(r), r.String(), want)
		}
	}
}

func TestFetchErrorReturnsStale(t *testing.T) {
	c, clk := newCache(t, revcache.Options{})
	k := key("CA", "01")
	c.Set(k, "old", t0.Add(time.Hour))
	clk.Advance(2 * time.Hour)
	down := errors.New("responder down")
	e, r, err := c.GetOrFetch(context.Background(), k, func(context.Context) (string, time.Time, error) {
		return "", time.Time{}, down
	})
	if !errors.Is(err, down) || r != revcache.Stale || e.Value != "old" {
		t.Errorf("GetOrFetch = %+v, %v, %v; want the stale entry and the error", e, r, err)
	}
	if _, r := c.Get(k); r != revcache.Stale {
		t.Errorf("after a failed fetch: %v, want the stale entry kept", r)
	}
}

func TestFetchPanicIsAnError(t *testing.T) {
	c, _ := newCache(t, revcache.Options{})
	_, r, err := c.GetOrFetch(context.Background(), key("CA", "01"), func(context.Context) (string, time.Time, error) {
		panic("boom")
	})
	if err == nil || r != revcache.Miss {
		t.Errorf("GetOrFetch = %v, %v; want an error", r, err)
	}
}
