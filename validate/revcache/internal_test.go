package revcache

import (
	"testing"
	"time"
)

type fixedClock struct{ t time.Time }

func (c fixedClock) Now() time.Time { return c.t }

// TestStaleWhileGoCacheHoldsIt shows that freshness comes from the
// injected clock, not from go-cache: the item is still in go-cache.
func TestStaleWhileGoCacheHoldsIt(t *testing.T) {
	clk := &fixedClock{t: time.Date(2031, 5, 17, 9, 30, 15, 0, time.UTC)}
	c, err := New[string](Options{}, clk)
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	k := Key{Source: SourceOCSP, Serial: "01"}
	c.Set(k, "good", clk.t.Add(time.Minute))
	clk.t = clk.t.Add(time.Hour)
	if _, ok := c.store.Get(string(appendKey(nil, k))); !ok {
		t.Fatal("go-cache dropped the item")
	}
	if _, r := c.Get(k); r != Stale {
		t.Errorf("Get = %v, want stale", r)
	}
}

func TestGetDoesNotAllocate(t *testing.T) {
	clk := fixedClock{t: time.Date(2031, 5, 17, 9, 30, 15, 0, time.UTC)}
	c, err := New[string](Options{}, clk)
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	k := Key{Source: SourceOCSP, Serial: "5d2f9a0c3b7e41a8e0f1c2d3b4a59687", Scope: ""}
	c.Set(k, "good", clk.t.Add(time.Hour))
	if n := testing.AllocsPerRun(100, func() { c.Get(k) }); n != 0 {
		t.Errorf("Get hit allocates %v times", n)
	}
}
