package trust_test

import (
	"bytes"
	"context"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/lienthong/lienthong/trust"
)

// fetchServer is a loopback server of root bundles that counts requests.
type fetchServer struct {
	*httptest.Server
	mu   sync.Mutex
	hits map[string]int
}

func newFetchServer(t *testing.T, routes map[string]func(w http.ResponseWriter)) *fetchServer {
	t.Helper()
	fs := &fetchServer{hits: map[string]int{}}
	fs.Server = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		fs.mu.Lock()
		fs.hits[r.URL.Path]++
		fs.mu.Unlock()
		if r.Method != http.MethodGet {
			t.Errorf("%s %s, want GET", r.Method, r.URL.Path)
		}
		h, ok := routes[r.URL.Path]
		if !ok {
			http.NotFound(w, r)
			return
		}
		h(w)
	}))
	t.Cleanup(fs.Close)
	return fs
}

func (fs *fetchServer) hit(path string) int {
	fs.mu.Lock()
	defer fs.mu.Unlock()
	return fs.hits[path]
}

func serve(contentType string, body []byte) func(w http.ResponseWriter) {
	return func(w http.ResponseWriter) {
		w.Header().Set("Content-Type", contentType)
		_, _ = w.Write(body)
	}
}

func TestFetch(t *testing.T) {
	alphaName := "Alpha National Root CA"
	alpha := root(t, alphaName)
	impostor := root(t, alphaName) // same name, other key
	beta, gamma, delta, eps, zeta, eta := root(t, "Beta Root"), root(t, "Gamma Root"), root(t, "Delta Root"), root(t, "Epsilon Root"), root(t, "Zeta Root"), root(t, "Eta Root")
	deltaSub := subCA(t, "Delta Sub CA", delta)

	srv := newFetchServer(t, map[string]func(http.ResponseWriter){
		"/alpha.p7b":       serve("application/pkcs7-mime", p7(t, impostor.cert, alpha.cert)),
		"/gamma.p7b":       serve("application/pkcs7-mime", bytes.Repeat([]byte{0x30}, trust.MaxFetchBytes+1)),
		"/delta.pem":       serve("application/x-pem-file", pemOf(deltaSub.cert, delta.cert)),
		"/delta-again.crt": serve("application/pkix-cert", delta.cert.Raw),
		"/eps.crt":         serve("text/html", []byte("<html>maintenance</html>")),
		"/eps-limit.crt":   serve("application/pkix-cert", bytes.Repeat([]byte{'A'}, trust.MaxFetchBytes)),
		"/zeta.crt":        serve("application/pkix-cert", impostor.cert.Raw),
		"/zeta-2.crt":      serve("application/pkix-cert", zeta.cert.Raw),
		"/error.crt": func(w http.ResponseWriter) {
			http.Error(w, "down for maintenance", http.StatusServiceUnavailable)
		},
	})
	u := func(p string) string { return srv.URL + p }
	// A closed loopback port: the connection is refused.
	closed := httptest.NewServer(http.NotFoundHandler())
	closedURL := closed.URL + "/eta.crt"
	closed.Close()

	pins := []trust.Pin{
		pinOf("alpha", trust.Public, alpha.cert, u("/alpha.p7b")),
		pinOf("beta", trust.Government, beta.cert, u("/beta.crt")),
		pinOf("gamma", trust.Public, gamma.cert, u("/gamma.p7b")),
		pinOf("delta", trust.Public, delta.cert, u("/missing.crt"), u("/delta.pem"), u("/delta-again.crt")),
		pinOf("eps", trust.Public, eps.cert, u("/eps.crt"), u("/eps-limit.crt")),
		pinOf("zeta", trust.Government, zeta.cert, u("/zeta.crt"), u("/error.crt"), u("/zeta-2.crt")),
		pinOf("eta", trust.Public, eta.cert, closedURL),
	}
	dir := t.TempDir()
	f := trust.Folder{Dir: dir, Pins: pins}
	res, err := f.Fetch(context.Background(), srv.Client())
	if err != nil {
		t.Fatalf("Fetch: %v", err)
	}
	refused := refusedBy(res.Refused)

	tests := []struct {
		name string
		run  func(t *testing.T)
	}{
		{"only pinned certificates kept", func(t *testing.T) {
			if got := keptNames(res.Roots); strings.Join(got, ",") != "alpha,delta,zeta" {
				t.Errorf("roots = %v, want alpha, delta, zeta", got)
			}
			if got := dirFiles(t, dir, trust.RootsDir); strings.Join(got, ",") != "alpha.pem,delta.pem,zeta.pem" {
				t.Errorf("roots/ = %v", got)
			}
			if got := dirFiles(t, dir, trust.IntermediatesDir); got != nil {
				t.Errorf("intermediates/ = %v, want none", got)
			}
			for name, c := range map[string]*tcert{"alpha": alpha, "delta": delta, "zeta": zeta} {
				cs, err := trust.ReadFile(filepath.Join(dir, trust.RootsDir, name+".pem"))
				if err != nil || len(cs) != 1 || !cs[0].Equal(c.cert) {
					t.Errorf("roots/%s.pem: %d certificates, %v", name, len(cs), err)
				}
			}
			for _, k := range res.Roots {
				if k.SHA256 != fpHex(map[string]*tcert{"alpha": alpha, "delta": delta, "zeta": zeta}[k.Name].cert) || !strings.HasPrefix(k.Source, srv.URL) {
					t.Errorf("kept %+v", k)
				}
			}
		}},
		{"impostor in the bundle refused", func(t *testing.T) {
			rs := refused[u("/alpha.p7b")]
			if len(rs) != 1 || rs[0].SHA256 != fpHex(impostor.cert) || !strings.Contains(rs[0].Reason, `pin of "alpha"`) {
				t.Errorf("refusals from alpha.p7b = %v", rs)
			}
		}},
		{"404 refused", func(t *testing.T) {
			for _, p := range []string{"/beta.crt", "/missing.crt"} {
				if rs := refused[u(p)]; len(rs) != 1 || !strings.Contains(rs[0].Reason, "404") {
					t.Errorf("%s: %v", p, rs)
				}
			}
		}},
		{"other HTTP errors refused", func(t *testing.T) {
			if rs := refused[u("/error.crt")]; len(rs) != 1 || !strings.Contains(rs[0].Reason, "503") {
				t.Errorf("error.crt: %v", rs)
			}
		}},
		{"oversize refused", func(t *testing.T) {
			if rs := refused[u("/gamma.p7b")]; len(rs) != 1 || !strings.Contains(rs[0].Reason, "larger than 1 MiB") {
				t.Errorf("gamma.p7b: %v", rs)
			}
		}},
		{"a body of exactly MaxFetchBytes is read, then fails to parse", func(t *testing.T) {
			if rs := refused[u("/eps-limit.crt")]; len(rs) != 1 || !strings.Contains(rs[0].Reason, "unreadable") {
				t.Errorf("eps-limit.crt: %v", rs)
			}
		}},
		{"not a certificate refused", func(t *testing.T) {
			if rs := refused[u("/eps.crt")]; len(rs) != 1 || !strings.Contains(rs[0].Reason, "unreadable") {
				t.Errorf("eps.crt: %v", rs)
			}
		}},
		{"other certificate at the pin's address refused", func(t *testing.T) {
			if rs := refused[u("/zeta.crt")]; len(rs) != 1 || !strings.Contains(rs[0].Reason, `pin of "zeta"`) {
				t.Errorf("zeta.crt: %v", rs)
			}
		}},
		{"sub-CA in a root bundle refused", func(t *testing.T) {
			if rs := refused[u("/delta.pem")]; len(rs) != 1 || rs[0].SHA256 != fpHex(deltaSub.cert) {
				t.Errorf("delta.pem: %v", rs)
			}
		}},
		{"unreachable address refused", func(t *testing.T) {
			if rs := refused[closedURL]; len(rs) != 1 || rs[0].Reason == "" {
				t.Errorf("%s: %v", closedURL, rs)
			}
		}},
		{"addresses tried in order until the pin is found", func(t *testing.T) {
			for p, want := range map[string]int{"/missing.crt": 1, "/delta.pem": 1, "/delta-again.crt": 0, "/zeta.crt": 1, "/error.crt": 1, "/zeta-2.crt": 1, "/eps.crt": 1, "/eps-limit.crt": 1} {
				if got := srv.hit(p); got != want {
					t.Errorf("%s fetched %d times, want %d", p, got, want)
				}
			}
		}},
		{"no other refusal", func(t *testing.T) {
			if len(res.Refused) != 10 {
				t.Errorf("%d refusals, want 10:", len(res.Refused))
				for _, r := range res.Refused {
					t.Log(r)
				}
			}
		}},
		{"the folder reads back", func(t *testing.T) {
			st, err := f.Read()
			if err != nil {
				t.Fatal(err)
			}
			if len(st.Roots) != 3 || len(st.Ignored) != 0 {
				t.Errorf("Read: %d roots, ignored %v", len(st.Roots), st.Ignored)
			}
			specs := st.DomainSpecs(pins)
			if len(specs) != 2 || len(specs[0].Anchors) != 2 || len(specs[1].Anchors) != 1 {
				t.Fatalf("specs: %d", len(specs))
			}
			if _, err := trust.New(specs, nil); err != nil {
				t.Error(err)
			}
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, tt.run)
	}
}

func TestFetchFailures(t *testing.T) {
	r := root(t, "Fetch Root")
	srv := newFetchServer(t, map[string]func(http.ResponseWriter){
		"/r.crt": serve("application/pkix-cert", r.cert.Raw),
	})
	pins := []trust.Pin{pinOf("r", trust.Public, r.cert, srv.URL+"/r.crt")}

	t.Run("cancelled context: refused, no error", func(t *testing.T) {
		ctx, cancel := context.WithCancel(context.Background())
		cancel()
		dir := t.TempDir()
		res, err := trust.Folder{Dir: dir, Pins: pins}.Fetch(ctx, srv.Client())
		if err != nil {
			t.Fatal(err)
		}
		if len(res.Roots) != 0 || len(res.Refused) != 1 || !strings.Contains(res.Refused[0].Reason, "context canceled") {
			t.Errorf("roots %d, refused %v", len(res.Roots), res.Refused)
		}
		if got := dirFiles(t, dir, trust.RootsDir); got != nil {
			t.Errorf("roots/ = %v", got)
		}
	})
	t.Run("malformed URL: refused", func(t *testing.T) {
		bad := []trust.Pin{pinOf("r", trust.Public, r.cert, "http://[::1")}
		res, err := trust.Folder{Dir: t.TempDir(), Pins: bad}.Fetch(context.Background(), srv.Client())
		if err != nil || len(res.Refused) != 1 {
			t.Errorf("Fetch = %v, %v", res, err)
		}
	})
	t.Run("folder not writable: error", func(t *testing.T) {
		file := filepath.Join(t.TempDir(), "file")
		writeFile(t, file, []byte("x"))
		if _, err := (trust.Folder{Dir: file, Pins: pins}).Fetch(context.Background(), srv.Client()); err == nil {
			t.Error("Fetch into a file succeeded")
		}
	})
	t.Run("client timeout: refused", func(t *testing.T) {
		slow := newFetchServer(t, map[string]func(http.ResponseWriter){
			"/slow.crt": func(w http.ResponseWriter) { time.Sleep(300 * time.Millisecond) },
		})
		c := slow.Client()
		c.Timeout = 50 * time.Millisecond
		p := []trust.Pin{pinOf("r", trust.Public, r.cert, slow.URL+"/slow.crt")}
		res, err := trust.Folder{Dir: t.TempDir(), Pins: p}.Fetch(context.Background(), c)
		if err != nil || len(res.Refused) != 1 || len(res.Roots) != 0 {
			t.Errorf("Fetch = %+v, %v", res, err)
		}
	})
	t.Run("success writes nothing but roots", func(t *testing.T) {
		dir := t.TempDir()
		res, err := trust.Folder{Dir: dir, Pins: pins}.Fetch(context.Background(), srv.Client())
		if err != nil || len(res.Roots) != 1 || len(res.Refused) != 0 {
			t.Fatalf("Fetch = %+v, %v", res, err)
		}
		// No temporary file left behind.
		es, err := os.ReadDir(filepath.Join(dir, trust.RootsDir))
		if err != nil || len(es) != 1 || es[0].Name() != "r.pem" {
			t.Errorf("roots/ = %v, %v", es, err)
		}
	})
}
