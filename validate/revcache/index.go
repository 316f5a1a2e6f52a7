package revcache

import (
	"container/heap"
	"time"
)

// expiryIndex is a min-heap of the stored keys by Expires, with a map to
// find a key's place. It is what bounds the cache: when full, the key that
// expires first is evicted. Every expired entry expires before every live
// one, so this evicts expired entries first and then the live entry
// closest to expiry, the one worth least. Each set is O(log n). Not safe
// for concurrent use: Cache.mu guards it.
type expiryIndex struct {
	h   expiryHeap
	pos map[string]*expiryNode
}

type expiryNode struct {
	key     string
	expires time.Time
	i       int // index in h
}

func newExpiryIndex() expiryIndex {
	return expiryIndex{pos: map[string]*expiryNode{}}
}

func (x *expiryIndex) len() int { return len(x.h) }

// set records that key expires at expires, first evicting the soonest
// expiring keys if a new key would exceed max. It returns the evicted keys.
func (x *expiryIndex) set(key string, expires time.Time, max int) []string {
	if n, ok := x.pos[key]; ok {
		n.expires = expires
		heap.Fix(&x.h, n.i)
		return nil
	}
	var evicted []string
	for len(x.h) > 0 && len(x.h) >= max {
		n := heap.Pop(&x.h).(*expiryNode)
		delete(x.pos, n.key)
		evicted = append(evicted, n.key)
	}
	n := &expiryNode{key: key, expires: expires}
	heap.Push(&x.h, n)
	x.pos[key] = n
	return evicted
}

// expiryHeap implements heap.Interface.
type expiryHeap []*expiryNode

func (h expiryHeap) Len() int           { return len(h) }
func (h expiryHeap) Less(i, j int) bool { return h[i].expires.Before(h[j].expires) }
func (h expiryHeap) Swap(i, j int) {
	h[i], h[j] = h[j], h[i]
	h[i].i, h[j].i = i, j
}

func (h *expiryHeap) Push(x any) {
	n := x.(*expiryNode)
	n.i = len(*h)
	*h = append(*h, n)
}

func (h *expiryHeap) Pop() any {
	old := *h
	n := old[len(old)-1]
	old[len(old)-1] = nil
	*h = old[:len(old)-1]
	return n
}
