package trust

import (
	"errors"
	"log/slog"
	"sync"
	"sync/atomic"

	"github.com/prometheus/client_golang/prometheus"
)

// Loader builds a fresh Store, for example by reading the config's files
// again. It must not modify the Store it replaces.
type Loader func() (*Store, error)

// Holder serves the current Store and replaces it atomically on Reload.
// Readers call Current and keep using the Store they got for the whole of a
// validation, so a reload never mixes two stores inside one report.
// A failed reload keeps the old store, is logged and is counted in
// lienthong_trust_reloads_total{result="failure"}.
type Holder struct {
	cur     atomic.Pointer[Store]
	load    Loader
	log     *slog.Logger
	mu      sync.Mutex // serialises reloads and swap subscribers
	onSwap  []func(old, new *Store)
	reloads *prometheus.CounterVec
	anchors *prometheus.GaugeVec
}

// HolderDeps are the collaborators of a Holder. Registerer may be nil (no
// metrics); Logger may be nil (slog.Default is not used: a nil logger
// discards).
type HolderDeps struct {
	Registerer prometheus.Registerer
	Logger     *slog.Logger
}

// NewHolder loads the first Store with load and returns a Holder serving it.
// It registers lienthong_trust_reloads_total{result} (both results
// initialised to 0) and lienthong_trust_anchors{domain}.
func NewHolder(load Loader, deps HolderDeps) (*Holder, error) {
	if load == nil {
		return nil, errors.New("trust: nil loader")
	}
	h := &Holder{load: load, log: deps.Logger}
	if h.log == nil {
		h.log = slog.New(slog.DiscardHandler)
	}
	h.reloads = prometheus.NewCounterVec(prometheus.CounterOpts{
		Name: "lienthong_trust_reloads_total",
		Help: "Trust store reloads by result (success: swapped in; failure: old store kept).",
	}, []string{"result"})
	h.anchors = prometheus.NewGaugeVec(prometheus.GaugeOpts{
		Name: "lienthong_trust_anchors",
		Help: "Trust anchors in the current trust store, by domain.",
	}, []string{"domain"})
	// Load before registering, so that a failed NewHolder leaves the
	// registry as it was and can be retried with it.
	s, err := h.loadStore()
	if err != nil {
		return nil, err
	}
	if deps.Registerer != nil {
		var done []prometheus.Collector
		for _, c := range []prometheus.Collector{h.reloads, h.anchors} {
			if err := deps.Registerer.Register(c); err != nil {
				for _, d := range done {
					deps.Registerer.Unregister(d)
				}
				return nil, err
			}
			done = append(done, c)
		}
	}
	h.reloads.WithLabelValues("success")
	h.reloads.WithLabelValues("failure")
	h.swap(s)
	return h, nil
}

// Current returns the Store in service. It never returns nil.
func (h *Holder) Current() *Store { return h.cur.Load() }

// OnSwap registers f to run after every successful swap (for example to drop
// caches bound to the old store). f runs with the reload lock held and must
// not call Reload.
func (h *Holder) OnSwap(f func(old, new *Store)) {
	h.mu.Lock()
	defer h.mu.Unlock()
	h.onSwap = append(h.onSwap, f)
}

// Reload builds a new Store and swaps it in. On error the current Store
// stays in service and the error is returned (and logged and counted).
func (h *Holder) Reload() error {
	h.mu.Lock()
	defer h.mu.Unlock()
	s, err := h.loadStore()
	if err != nil {
		h.reloads.WithLabelValues("failure").Inc()
		h.log.Error("trust store reload failed; keeping the current store",
			"error", err, "current", h.cur.Load().Digest())
		return err
	}
	old := h.swap(s)
	h.reloads.WithLabelValues("success").Inc()
	h.log.Info("trust store reloaded", "old", old.Digest(), "new", s.Digest(), "certificates", s.Len())
	for _, f := range h.onSwap {
		f(old, s)
	}
	return nil
}

// loadStore calls the loader and refuses a nil Store, which would break
// Current's promise never to return nil.
func (h *Holder) loadStore() (*Store, error) {
	s, err := h.load()
	if err == nil && s == nil {
		err = errors.New("trust: loader returned no store")
	}
	return s, err
}

func (h *Holder) swap(s *Store) *Store {
	old := h.cur.Swap(s)
	for _, d := range s.Domains() {
		h.anchors.WithLabelValues(d.Name).Set(float64(len(d.Anchors)))
	}
	if old != nil { // drop the series of domains that are gone, without a gap for the others
		for _, d := range old.Domains() {
			if s.Domain(d.Name) == nil {
				h.anchors.DeleteLabelValues(d.Name)
			}
		}
	}
	return old
}
