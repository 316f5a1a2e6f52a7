package validate

import (
	"sync"

	"github.com/lienthong/lienthong/trust"
)

// sigKey identifies one signature verification: the child certificate was
// (or was not) signed by the key of the parent certificate. Both are
// SHA-256 fingerprints of the whole DER, so a changed byte anywhere is
// another key. (A DSA key that inherits its parameters depends on its
// issuer too; PKITS 4.1.5 is the only such chain, with one possible
// issuer.)
type sigKey struct {
	child, parent trust.Fingerprint
}

// certNames are the identifiers trust.NewCert computes for a certificate,
// remembered by fingerprint so that a warm request does not canonicalise
// the same names again (RFC 4518 preparation is most of a warm
// validation's cost).
type certNames struct {
	keyHash                          [32]byte
	subjectKey, issuerKey, subjectDN string
}

// cache is a bounded map safe for concurrent use: two generations of at
// most size/2 entries each; when the current generation is full it becomes
// the previous one and the old previous one is dropped, and a hit in the
// previous generation is copied into the current one. Entries used within
// the last generation therefore survive: an approximation of LRU without
// per-entry bookkeeping. The Engine keeps one for signature results
// (success and failure) and one for certificate names.
type cache[K comparable, V any] struct {
	mu       sync.RWMutex
	half     int
	cur, old map[K]V
}

func newCache[K comparable, V any](size int) *cache[K, V] {
	half := max(size/2, 1)
	return &cache[K, V]{half: half, cur: make(map[K]V, min(half, 1024))}
}

// get returns the remembered value and whether there was one.
func (c *cache[K, V]) get(k K) (V, bool) {
	c.mu.RLock()
	v, ok := c.cur[k]
	if ok {
		c.mu.RUnlock()
		return v, true
	}
	v, ok = c.old[k]
	c.mu.RUnlock()
	if ok {
		c.put(k, v) // promote, so that it survives the next rotation
	}
	return v, ok
}

// put remembers a value.
func (c *cache[K, V]) put(k K, v V) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if _, ok := c.cur[k]; !ok && len(c.cur) >= c.half {
		c.old, c.cur = c.cur, make(map[K]V, min(c.half, 1024))
	}
	c.cur[k] = v
}

// len returns the number of entries held (both generations; a promoted
// entry counts twice).
func (c *cache[K, V]) len() int {
	c.mu.RLock()
	defer c.mu.RUnlock()
	return len(c.cur) + len(c.old)
}
