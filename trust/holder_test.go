package trust_test

import (
	"bytes"
	"errors"
	"fmt"
	"log/slog"
	"path/filepath"
	"sort"
	"strings"
	"sync"
	"sync/atomic"
	"testing"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/testutil"

	"github.com/lienthong/lienthong/trust"
)

// wantMetrics compares the holder's metrics in reg with the expected values.
func wantMetrics(t *testing.T, reg *prometheus.Registry, success, failure float64, anchors map[string]float64) {
	t.Helper()
	var b strings.Builder
	fmt.Fprintf(&b, "# HELP lienthong_trust_reloads_total Trust store reloads by result (success: swapped in; failure: old store kept).\n")
	fmt.Fprintf(&b, "# TYPE lienthong_trust_reloads_total counter\n")
	fmt.Fprintf(&b, "lienthong_trust_reloads_total{result=\"failure\"} %g\n", failure)
	fmt.Fprintf(&b, "lienthong_trust_reloads_total{result=\"success\"} %g\n", success)
	if len(anchors) > 0 {
		fmt.Fprintf(&b, "# HELP lienthong_trust_anchors Trust anchors in the current trust store, by domain.\n")
		fmt.Fprintf(&b, "# TYPE lienthong_trust_anchors gauge\n")
		names := make([]string, 0, len(anchors))
		for n := range anchors {
			names = append(names, n)
		}
		sort.Strings(names)
		for _, n := range names {
			fmt.Fprintf(&b, "lienthong_trust_anchors{domain=%q} %g\n", n, anchors[n])
		}
	}
	if err := testutil.GatherAndCompare(reg, strings.NewReader(b.String()), "lienthong_trust_reloads_total", "lienthong_trust_anchors"); err != nil {
		t.Error(err)
	}
}

// scriptedLoader returns its results in turn, then repeats the last one.
type scriptedLoader struct {
	mu      sync.Mutex
	results []loadResult
	calls   int
}

type loadResult struct {
	s   *trust.Store
	err error
}

func (l *scriptedLoader) load() (*trust.Store, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	r := l.results[min(l.calls, len(l.results)-1)]
	l.calls++
	return r.s, r.err
}

func script(rs ...loadResult) trust.Loader {
	l := &scriptedLoader{results: rs}
	return l.load
}

func okLoad(s *trust.Store) loadResult { return loadResult{s: s} }
func failLoad(err error) loadResult    { return loadResult{err: err} }

// holderStores builds two different stores: s1 with public (2 anchors) and
// government (1 anchor), s2 with public (1 anchor) only.
func holderStores(t *testing.T) (s1, s2 *trust.Store) {
	t.Helper()
	p1, p2, g := root(t, "Holder Public 1"), root(t, "Holder Public 2"), root(t, "Holder Gov")
	var err error
	s1, err = trust.New([]trust.DomainSpec{
		{Name: "public", Hierarchy: trust.Public, Anchors: certsOf(p1, p2)},
		{Name: "government", Hierarchy: trust.Government, Anchors: certsOf(g)},
	}, nil)
	if err != nil {
		t.Fatal(err)
	}
	s2, err = trust.New([]trust.DomainSpec{{Name: "public", Hierarchy: trust.Public, Anchors: certsOf(p1)}}, nil)
	if err != nil {
		t.Fatal(err)
	}
	if s1.Digest() == s2.Digest() {
		t.Fatal("test setup: the stores have the same digest")
	}
	return s1, s2
}

type swapCall struct{ old, new *trust.Store }

func TestHolder(t *testing.T) {
	s1, s2 := holderStores(t)
	errBroken := errors.New("trust bundle broken")
	anchors1 := map[string]float64{"public": 2, "government": 1}
	anchors2 := map[string]float64{"public": 1}

	tests := []struct {
		name string
		run  func(t *testing.T, reg *prometheus.Registry)
	}{
		{"serves the first store, both counters at zero", func(t *testing.T, reg *prometheus.Registry) {
			h, err := trust.NewHolder(script(okLoad(s1)), trust.HolderDeps{Registerer: reg})
			if err != nil {
				t.Fatal(err)
			}
			if h.Current() != s1 {
				t.Error("Current is not the loaded store")
			}
			wantMetrics(t, reg, 0, 0, anchors1)
		}},
		{"reload success swaps", func(t *testing.T, reg *prometheus.Registry) {
			h, err := trust.NewHolder(script(okLoad(s1), okLoad(s2)), trust.HolderDeps{Registerer: reg})
			if err != nil {
				t.Fatal(err)
			}
			var calls []string
			var got []swapCall
			h.OnSwap(func(old, new *trust.Store) { calls = append(calls, "first"); got = append(got, swapCall{old, new}) })
			h.OnSwap(func(old, new *trust.Store) { calls = append(calls, "second") })
			before := h.Current().Digest()
			if err := h.Reload(); err != nil {
				t.Fatalf("Reload: %v", err)
			}
			if h.Current() != s2 || h.Current().Digest() == before {
				t.Errorf("Current digest %s, want the new store's %s", h.Current().Digest(), s2.Digest())
			}
			if len(got) != 1 || got[0].old != s1 || got[0].new != s2 {
				t.Errorf("OnSwap calls = %v, want one (s1, s2)", got)
			}
			if strings.Join(calls, ",") != "first,second" {
				t.Errorf("OnSwap order = %v", calls)
			}
			// The government gauge goes away with its domain.
			wantMetrics(t, reg, 1, 0, anchors2)
		}},
		{"reload failure keeps the old store", func(t *testing.T, reg *prometheus.Registry) {
			h, err := trust.NewHolder(script(okLoad(s1), failLoad(errBroken)), trust.HolderDeps{Registerer: reg})
			if err != nil {
				t.Fatal(err)
			}
			swapped := false
			h.OnSwap(func(_, _ *trust.Store) { swapped = true })
			err = h.Reload()
			if !errors.Is(err, errBroken) {
				t.Errorf("Reload = %v, want %v", err, errBroken)
			}
			if h.Current() != s1 || h.Current().Digest() != s1.Digest() {
				t.Error("Current changed after a failed reload")
			}
			if swapped {
				t.Error("OnSwap called after a failed reload")
			}
			wantMetrics(t, reg, 0, 1, anchors1)
		}},
		{"failures and successes are counted", func(t *testing.T, reg *prometheus.Registry) {
			h, err := trust.NewHolder(script(okLoad(s1), failLoad(errBroken), okLoad(s2), failLoad(errBroken), okLoad(s1)), trust.HolderDeps{Registerer: reg})
			if err != nil {
				t.Fatal(err)
			}
			var swaps []swapCall
			h.OnSwap(func(old, new *trust.Store) { swaps = append(swaps, swapCall{old, new}) })
			for i, want := range []*trust.Store{s1, s2, s2, s1} {
				_ = h.Reload()
				if h.Current() != want {
					t.Errorf("after reload %d: Current digest %s, want %s", i+1, h.Current().Digest(), want.Digest())
				}
			}
			if len(swaps) != 2 || swaps[0] != (swapCall{s1, s2}) || swaps[1] != (swapCall{s2, s1}) {
				t.Errorf("OnSwap calls = %v", swaps)
			}
			wantMetrics(t, reg, 2, 2, anchors1)
		}},
		{"reload to the same content still counts as a success", func(t *testing.T, reg *prometheus.Registry) {
			h, err := trust.NewHolder(script(okLoad(s1)), trust.HolderDeps{Registerer: reg})
			if err != nil {
				t.Fatal(err)
			}
			if err := h.Reload(); err != nil {
				t.Fatal(err)
			}
			wantMetrics(t, reg, 1, 0, anchors1)
		}},
		{"loader returning no store and no error is a failure", func(t *testing.T, reg *prometheus.Registry) {
			h, err := trust.NewHolder(script(okLoad(s1), loadResult{}), trust.HolderDeps{Registerer: reg})
			if err != nil {
				t.Fatal(err)
			}
			if err := h.Reload(); err == nil {
				t.Error("Reload with a nil store succeeded")
			}
			if h.Current() != s1 {
				t.Error("Current changed")
			}
			wantMetrics(t, reg, 0, 1, anchors1)
		}},
		{"first load returning no store", func(t *testing.T, reg *prometheus.Registry) {
			if h, err := trust.NewHolder(script(loadResult{}), trust.HolderDeps{Registerer: reg}); err == nil {
				t.Errorf("NewHolder = %v, nil; want an error (Current must never be nil)", h)
			}
		}},
		{"first load fails, the registry stays usable", func(t *testing.T, reg *prometheus.Registry) {
			h, err := trust.NewHolder(script(failLoad(errBroken)), trust.HolderDeps{Registerer: reg})
			if !errors.Is(err, errBroken) || h != nil {
				t.Errorf("NewHolder = %v, %v; want nil, %v", h, err, errBroken)
			}
			if _, err := trust.NewHolder(script(okLoad(s1)), trust.HolderDeps{Registerer: reg}); err != nil {
				t.Fatalf("NewHolder after a failed one: %v", err)
			}
			wantMetrics(t, reg, 0, 0, anchors1)
		}},
		{"registration conflict leaves nothing registered", func(t *testing.T, reg *prometheus.Registry) {
			// Something else already owns the anchors gauge's name.
			other := prometheus.NewGaugeVec(prometheus.GaugeOpts{Name: "lienthong_trust_anchors", Help: "Trust anchors in the current trust store, by domain."}, []string{"domain"})
			reg.MustRegister(other)
			if _, err := trust.NewHolder(script(okLoad(s1)), trust.HolderDeps{Registerer: reg}); err == nil {
				t.Fatal("NewHolder succeeded despite the conflict")
			}
			reg.Unregister(other)
			if _, err := trust.NewHolder(script(okLoad(s1)), trust.HolderDeps{Registerer: reg}); err != nil {
				t.Fatalf("NewHolder after the conflict is gone: %v", err)
			}
		}},
		{"nil loader", func(t *testing.T, reg *prometheus.Registry) {
			if _, err := trust.NewHolder(nil, trust.HolderDeps{Registerer: reg}); err == nil {
				t.Error("NewHolder(nil) succeeded")
			}
		}},
		{"no registerer and no logger", func(t *testing.T, _ *prometheus.Registry) {
			h, err := trust.NewHolder(script(okLoad(s1), failLoad(errBroken), okLoad(s2)), trust.HolderDeps{})
			if err != nil {
				t.Fatal(err)
			}
			if err := h.Reload(); err == nil {
				t.Error("want the scripted failure")
			}
			if err := h.Reload(); err != nil || h.Current() != s2 {
				t.Errorf("Reload = %v, Current %s", err, h.Current().Digest())
			}
		}},
		{"two holders on one registry", func(t *testing.T, reg *prometheus.Registry) {
			if _, err := trust.NewHolder(script(okLoad(s1)), trust.HolderDeps{Registerer: reg}); err != nil {
				t.Fatal(err)
			}
			if _, err := trust.NewHolder(script(okLoad(s1)), trust.HolderDeps{Registerer: reg}); err == nil {
				t.Error("second NewHolder on the same registry succeeded")
			}
		}},
		{"failure and success are logged", func(t *testing.T, reg *prometheus.Registry) {
			var buf bytes.Buffer
			log := slog.New(slog.NewTextHandler(&buf, nil))
			h, err := trust.NewHolder(script(okLoad(s1), failLoad(errBroken), okLoad(s2)), trust.HolderDeps{Registerer: reg, Logger: log})
			if err != nil {
				t.Fatal(err)
			}
			_ = h.Reload()
			_ = h.Reload()
			out := buf.String()
			for _, want := range []string{"level=ERROR", errBroken.Error(), s1.Digest(), "level=INFO", s2.Digest()} {
				if !strings.Contains(out, want) {
					t.Errorf("log does not contain %q:\n%s", want, out)
				}
			}
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			tt.run(t, prometheus.NewRegistry())
		})
	}
}

// TestHolderReloadFromFiles reloads from a file that got broken: the old
// store stays in service until the file is good again.
func TestHolderReloadFromFiles(t *testing.T) {
	r1, r2 := root(t, "File Root 1"), root(t, "File Root 2")
	dir := t.TempDir()
	path := filepath.Join(dir, "anchors.pem")
	writeFile(t, path, pemOf(r1.cert))
	load := func() (*trust.Store, error) {
		cs, err := trust.LoadFiles([]string{filepath.Join(dir, "*.pem")})
		if err != nil {
			return nil, err
		}
		return trust.New([]trust.DomainSpec{{Name: "public", Hierarchy: trust.Public, Anchors: cs}}, nil)
	}
	reg := prometheus.NewRegistry()
	h, err := trust.NewHolder(load, trust.HolderDeps{Registerer: reg})
	if err != nil {
		t.Fatal(err)
	}
	first := h.Current()

	steps := []struct {
		name    string
		content []byte
		wantErr string
		want    func() *trust.Store // nil: a new store
		anchors float64
	}{
		{"file overwritten with garbage", []byte("garbage\x00\x01"), "anchors.pem", func() *trust.Store { return first }, 1},
		{"file truncated", pemOf(r1.cert)[:100], "anchors.pem", func() *trust.Store { return first }, 1},
		{"file holding an end entity", pemOf(leaf(t, "File Leaf", r1).cert), "not a CA", func() *trust.Store { return first }, 1},
		{"file fixed with two roots", pemOf(r1.cert, r2.cert), "", nil, 2},
	}
	var success, failure float64
	for _, st := range steps {
		t.Run(st.name, func(t *testing.T) {
			writeFile(t, path, st.content)
			before := h.Current()
			err := h.Reload()
			if st.wantErr != "" {
				failure++
				if err == nil || !strings.Contains(err.Error(), st.wantErr) {
					t.Errorf("Reload = %v, want an error containing %q", err, st.wantErr)
				}
				if h.Current() != st.want() {
					t.Error("the old store was not kept")
				}
			} else {
				success++
				if err != nil {
					t.Fatalf("Reload: %v", err)
				}
				if h.Current() == before || h.Current().Digest() == first.Digest() {
					t.Error("the store was not swapped")
				}
			}
			wantMetrics(t, reg, success, failure, map[string]float64{"public": st.anchors})
		})
	}
}

// TestHolderConcurrentReaders runs readers against reloads; run it with
// -race. Every reader must always get a complete store, one of the two.
func TestHolderConcurrentReaders(t *testing.T) {
	s1, s2 := holderStores(t)
	var n atomic.Int64
	load := func() (*trust.Store, error) {
		switch n.Add(1) % 3 {
		case 0:
			return nil, errors.New("every third reload fails")
		case 1:
			return s1, nil
		default:
			return s2, nil
		}
	}
	reg := prometheus.NewRegistry()
	h, err := trust.NewHolder(load, trust.HolderDeps{Registerer: reg})
	if err != nil {
		t.Fatal(err)
	}
	var swaps atomic.Int64
	h.OnSwap(func(old, new *trust.Store) {
		if old == nil || new == nil {
			t.Errorf("OnSwap(%p, %p)", old, new)
		}
		swaps.Add(1)
	})
	digests := map[string]bool{s1.Digest(): true, s2.Digest(): true}
	const readers, reloads = 8, 200
	var wg sync.WaitGroup
	stop := make(chan struct{})
	for range readers {
		wg.Go(func() {
			for {
				select {
				case <-stop:
					return
				default:
				}
				s := h.Current()
				if s == nil {
					t.Error("Current returned nil")
					return
				}
				if !digests[s.Digest()] {
					t.Errorf("unexpected digest %s", s.Digest())
					return
				}
				// A store is internally consistent: its domains and
				// entries belong together.
				if d := s.Domain("public"); d == nil || len(d.Anchors) == 0 || s.Len() < len(d.Anchors) {
					t.Error("inconsistent store")
					return
				}
			}
		})
	}
	var reloaders sync.WaitGroup
	var failures atomic.Int64
	for range 2 {
		reloaders.Go(func() {
			for range reloads / 2 {
				if err := h.Reload(); err != nil {
					failures.Add(1)
				}
			}
		})
	}
	reloaders.Wait()
	close(stop)
	wg.Wait()
	if got := failures.Load(); got == 0 || got == reloads {
		t.Errorf("%d of %d reloads failed; the loader fails every third", got, reloads)
	}
	success := float64(reloads - failures.Load())
	if got := float64(swaps.Load()); got != success {
		t.Errorf("OnSwap ran %v times, want %v", got, success)
	}
	if err := testutil.GatherAndCompare(reg, strings.NewReader(fmt.Sprintf(`
# HELP lienthong_trust_reloads_total Trust store reloads by result (success: swapped in; failure: old store kept).
# TYPE lienthong_trust_reloads_total counter
lienthong_trust_reloads_total{result="failure"} %d
lienthong_trust_reloads_total{result="success"} %g
`, failures.Load(), success)), "lienthong_trust_reloads_total"); err != nil {
		t.Error(err)
	}
}
