package testpki

import (
	"sync"
	"time"
)

// Clock is a fake clock that every certificate, OCSP response and CRL of a
// PKI takes its time from. It is safe for concurrent use.
//
// A stopped clock (NewClock) returns the same instant until Set or Advance
// moves it, which is what tests want. A running clock (NewRunningClock)
// advances with real time from its starting instant, which is what a
// long-lived demo wants: its OCSP responses and CRLs keep being fresh.
//
// The zero value is a stopped clock at the zero time.
type Clock struct {
	mu      sync.Mutex
	t       time.Time // fake time at anchor (running) or always (stopped)
	anchor  time.Time // real time at which t was last set; running clocks only
	running bool
}

// NewClock returns a stopped clock that reads t until Set or Advance moves
// it. The monotonic reading of t, if any, is dropped.
func NewClock(t time.Time) *Clock {
	return &Clock{t: t.Round(0)}
}

// NewRunningClock returns a clock that reads t now and then advances with
// real time. Set and Advance still move it. It exists for the demo command;
// tests should prefer NewClock.
func NewRunningClock(t time.Time) *Clock {
	return &Clock{t: t.Round(0), anchor: time.Now(), running: true}
}

// Now returns the clock's current time.
func (c *Clock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.nowLocked()
}

func (c *Clock) nowLocked() time.Time {
	if c.running {
		return c.t.Add(time.Since(c.anchor))
	}
	return c.t
}

// Set moves the clock to t. A running clock keeps running from t.
func (c *Clock) Set(t time.Time) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.t = t.Round(0)
	if c.running {
		c.anchor = time.Now()
	}
}

// Advance moves the clock by d, which may be negative.
func (c *Clock) Advance(d time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.running {
		c.t = c.nowLocked()
		c.anchor = time.Now()
	}
	c.t = c.t.Add(d)
}
