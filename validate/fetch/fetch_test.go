package fetch

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"net/http/httptest"
	"net/netip"
	"net/url"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/testutil"
)

// These tests contact only httptest servers on 127.0.0.1. Every fixture
// wraps the guard's dialer so that a dial to any other address fails the
// test instead of leaving the machine, and records the dials it sees: an
// empty record proves that no connection was attempted.

type fakeClock struct {
	mu sync.Mutex
	t  time.Time
}

func newFakeClock() *fakeClock {
	return &fakeClock{t: time.Date(2026, 11, 22, 10, 0, 0, 0, time.UTC)}
}

func (c *fakeClock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.t
}

func (c *fakeClock) Advance(d time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.t = c.t.Add(d)
}

// fakeResolver answers from a fixed table and counts lookups.
type fakeResolver struct {
	hosts   map[string][]string
	lookups atomic.Int64
}

func (r *fakeResolver) LookupIPAddr(_ context.Context, host string) ([]net.IPAddr, error) {
	r.lookups.Add(1)
	addrs, ok := r.hosts[strings.TrimSuffix(strings.ToLower(host), ".")]
	if !ok {
		return nil, &net.DNSError{Err: "no such host", Name: host, IsNotFound: true}
	}
	var out []net.IPAddr
	for _, s := range addrs {
		a := netip.MustParseAddr(s)
		out = append(out, net.IPAddr{IP: a.AsSlice(), Zone: a.Zone()})
	}
	return out, nil
}

// testHosts maps test names to addresses. Nothing but 127.0.0.1 is ever
// dialled: the others exist to be refused.
var testHosts = map[string][]string{
	"a.test":        {"127.0.0.1"},
	"b.test":        {"127.0.0.1"},
	"loop.test":     {"127.0.0.1"},
	"ocsp.ca.test":  {"127.0.0.1"},
	"crl.ca.test":   {"127.0.0.1"},
	"ca.test":       {"127.0.0.1"},
	"x.y.ca.test":   {"127.0.0.1"},
	"evilca.test":   {"127.0.0.1"},
	"metadata.test": {"169.254.169.254"},
	"internal.test": {"10.0.0.1"},
	"mixed.test":    {"93.184.216.34", "10.0.0.1"},
	"mapped.test":   {"::ffff:10.0.0.1"},
	"nat64.test":    {"64:ff9b::a9fe:a9fe"},
	"ula.test":      {"fd00::1"},
	"cgnat.test":    {"100.64.0.1"},
	"zero.test":     {"0.0.0.0"},
}

type fixture struct {
	f     *HTTPFetcher
	reg   *prometheus.Registry
	clock *fakeClock
	res   *fakeResolver

	mu    sync.Mutex
	dials []string
}

func newFixture(t *testing.T, opts Options) *fixture {
	t.Helper()
	fx := &fixture{reg: prometheus.NewRegistry(), clock: newFakeClock(), res: &fakeResolver{hosts: testHosts}}
	f, err := New(opts, Deps{
		Registerer: fx.reg,
		Logger:     slog.New(slog.NewTextHandler(t.Output(), &slog.HandlerOptions{Level: slog.LevelDebug})),
		Now:        fx.clock.Now,
		Resolver:   fx.res,
	})
	if err != nil {
		t.Fatalf("New: %v", err)
	}
	loopback := netip.MustParseAddr("127.0.0.1")
	dial := f.guard.dial
	f.guard.dial = func(ctx context.Context, network, addr string) (net.Conn, error) {
		fx.mu.Lock()
		fx.dials = append(fx.dials, addr)
		fx.mu.Unlock()
		if ap, err := netip.ParseAddrPort(addr); err != nil || ap.Addr() != loopback {
			t.Errorf("dial to %q attempted: tests may contact 127.0.0.1 only", addr)
			return nil, errors.New("test: dial outside 127.0.0.1 refused")
		}
		return dial(ctx, network, addr)
	}
	fx.f = f
	t.Cleanup(f.CloseIdleConnections)
	return fx
}

func (fx *fixture) dialed() []string {
	fx.mu.Lock()
	defer fx.mu.Unlock()
	return append([]string(nil), fx.dials...)
}

func (fx *fixture) count(source, outcome string) float64 {
	return testutil.ToFloat64(fx.f.metrics.requests.WithLabelValues(source, outcome))
}

func (fx *fixture) get(t *testing.T, source, u string) (*Response, error) {
	t.Helper()
	return fx.f.Fetch(t.Context(), Request{Source: source, URL: u})
}

type server struct {
	*httptest.Server
	hits atomic.Int64
}

func newServer(t *testing.T, h http.HandlerFunc) *server {
	t.Helper()
	s := &server{}
	s.Server = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		s.hits.Add(1)
		h(w, r)
	}))
	t.Cleanup(s.Close)
	return s
}

func (s *server) port() string {
	return strconv.Itoa(s.Listener.Addr().(*net.TCPAddr).Port)
}

func okHandler(body string) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/pkix-crl")
		io.WriteString(w, body)
	}
}

// blockUntilDone holds a request until the client goes away.
func blockUntilDone(w http.ResponseWriter, r *http.Request) {
	select {
	case <-r.Context().Done():
	case <-time.After(10 * time.Second):
	}
}

func wantErrIs(t *testing.T, err, target error) {
	t.Helper()
	if !errors.Is(err, target) {
		t.Fatalf("err = %v, want errors.Is %v", err, target)
	}
}

func TestNew(t *testing.T) {
	now := newFakeClock().Now
	tests := []struct {
		name string
		opts Options
		deps Deps
		want string // error substring; "" = success
	}{
		{"nil clock", Options{}, Deps{}, "Deps.Now is required"},
		{"negative timeout", Options{Timeout: -1}, Deps{Now: now}, "negative"},
		{"negative redirects", Options{MaxRedirects: -1}, Deps{Now: now}, "negative"},
		{"negative concurrency", Options{PerHostConcurrency: -1}, Deps{Now: now}, "negative"},
		{"negative cap", Options{MaxCRLBytes: -1}, Deps{Now: now}, "negative"},
		{"base over max", Options{BackoffBase: time.Hour, BackoffMax: time.Minute}, Deps{Now: now}, "exceeds max"},
		{"allow_hosts with scheme", Options{AllowHosts: []string{"http://ca.vn"}}, Deps{Now: now}, "not a host name"},
		{"allow_hosts with port", Options{AllowHosts: []string{"ca.vn:80"}}, Deps{Now: now}, "not a host name"},
		{"allow_hosts wildcard", Options{AllowHosts: []string{"*.ca.vn"}}, Deps{Now: now}, "not a host name"},
		{"allow_hosts empty entry", Options{AllowHosts: []string{""}}, Deps{Now: now}, "not a host name"},
		{"allow_hosts path", Options{AllowHosts: []string{"ca.vn/crl"}}, Deps{Now: now}, "not a host name"},
		{"allow_hosts valid", Options{AllowHosts: []string{"OCSP.CA.VN.", ".gov.vn", "203.162.1.1", "2001:ee0::1"}}, Deps{Now: now}, ""},
		{"nil registerer", Options{}, Deps{Now: now}, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := New(tt.opts, tt.deps)
			if tt.want == "" {
				if err != nil {
					t.Fatalf("New: %v", err)
				}
				return
			}
			if err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Fatalf("New err = %v, want containing %q", err, tt.want)
			}
		})
	}

	t.Run("defaults", func(t *testing.T) {
		f, err := New(Options{}, Deps{Now: now})
		if err != nil {
			t.Fatal(err)
		}
		want := Options{
			Timeout: 5 * time.Second, MaxRedirects: 3, PerHostConcurrency: 4, MaxHosts: 4096,
			MaxOCSPBytes: 1 << 20, MaxCRLBytes: 64 << 20, MaxAIABytes: 1 << 20,
			BackoffBase: time.Second, BackoffMax: 5 * time.Minute,
		}
		if fmt.Sprint(f.opts) != fmt.Sprint(want) {
			t.Errorf("opts = %+v, want %+v", f.opts, want)
		}
		if f.transport.Proxy != nil {
			t.Error("transport uses a proxy: it would dial past the address check")
		}
	})

	t.Run("registering twice fails", func(t *testing.T) {
		reg := prometheus.NewRegistry()
		if _, err := New(Options{}, Deps{Now: now, Registerer: reg}); err != nil {
			t.Fatal(err)
		}
		if _, err := New(Options{}, Deps{Now: now, Registerer: reg}); err == nil {
			t.Fatal("second New on the same registry succeeded")
		}
	})
}

func TestInvalidRequest(t *testing.T) {
	srv := newServer(t, okHandler("x"))
	tests := []struct {
		name string
		req  Request
		want string
	}{
		{"empty source", Request{URL: srv.URL}, "unknown source"},
		{"unknown source", Request{Source: "ldap", URL: srv.URL}, "unknown source"},
		{"source case", Request{Source: "OCSP", URL: srv.URL}, "unknown source"},
		{"method PUT", Request{Source: SourceOCSP, URL: srv.URL, Method: "PUT"}, "not supported"},
		{"GET with body", Request{Source: SourceOCSP, URL: srv.URL, Body: []byte{1}}, "GET request with a body"},
		{"negative MaxBytes", Request{Source: SourceCRL, URL: srv.URL, MaxBytes: -1}, "negative MaxBytes"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			fx := newFixture(t, Options{AllowPrivateNetworks: true})
			_, err := fx.f.Fetch(t.Context(), tt.req)
			if err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Fatalf("err = %v, want containing %q", err, tt.want)
			}
			if errors.Is(err, ErrBlocked) {
				t.Errorf("invalid request reported as ErrBlocked: %v", err)
			}
			if n := srv.hits.Load(); n != 0 {
				t.Errorf("server hit %d times", n)
			}
			if n := testutil.CollectAndCount(fx.f.metrics.requests); n != 21 {
				t.Errorf("series = %d, want 21 (no new label values)", n)
			}
		})
	}
}

func TestAllowPrivateNetworks(t *testing.T) {
	srv := newServer(t, func(w http.ResponseWriter, r *http.Request) {
		switch r.URL.Path {
		case "/ca.crl":
			okHandler("crl-bytes")(w, r)
		case "/ocsp":
			body, _ := io.ReadAll(r.Body)
			if r.Method != http.MethodPost || r.Header.Get("Content-Type") != "application/ocsp-request" || string(body) != "req" {
				t.Errorf("OCSP request: %s %q %q", r.Method, r.Header.Get("Content-Type"), body)
			}
			if ua := r.Header.Get("User-Agent"); ua != userAgent {
				t.Errorf("User-Agent = %q", ua)
			}
			w.Header().Set("Content-Type", "application/ocsp-response")
			io.WriteString(w, "resp")
		default:
			http.NotFound(w, r)
		}
	})
	tests := []struct {
		name    string
		req     Request
		body    string
		ctype   string
		wantURL string
	}{
		{"literal loopback", Request{Source: SourceCRL, URL: srv.URL + "/ca.crl"}, "crl-bytes", "application/pkix-crl", srv.URL + "/ca.crl"},
		{"name resolving to loopback", Request{Source: SourceCRL, URL: "http://loop.test:" + srv.port() + "/ca.crl"}, "crl-bytes", "application/pkix-crl", "http://loop.test:" + srv.port() + "/ca.crl"},
		{"OCSP POST", Request{Source: SourceOCSP, URL: srv.URL + "/ocsp", Method: "POST", Body: []byte("req"), ContentType: "application/ocsp-request"}, "resp", "application/ocsp-response", srv.URL + "/ocsp"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			fx := newFixture(t, Options{AllowPrivateNetworks: true})
			resp, err := fx.f.Fetch(t.Context(), tt.req)
			if err != nil {
				t.Fatal(err)
			}
			if string(resp.Body) != tt.body || resp.ContentType != tt.ctype || resp.StatusCode != 200 || resp.URL != tt.wantURL {
				t.Errorf("resp = %+v", resp)
			}
			if got := fx.count(tt.req.Source, outcomeSuccess); got != 1 {
				t.Errorf("success count = %v", got)
			}
			if fx.f.hosts.len() != 0 {
				t.Error("idle healthy host kept in the table")
			}
		})
	}
}

func TestRedirects(t *testing.T) {
	// hop serves /hop/N -> /hop/N-1 -> ... -> /hop/0 (200), and
	// /to?u=TARGET -> TARGET.
	newServers := func(t *testing.T) *servers {
		s := &servers{}
		s.a = newServer(t, func(w http.ResponseWriter, r *http.Request) {
			if r.URL.Path == "/to" {
				http.Redirect(w, r, r.URL.Query().Get("u"), http.StatusFound)
				return
			}
			n, err := strconv.Atoi(strings.TrimPrefix(r.URL.Path, "/hop/"))
			if err != nil {
				http.NotFound(w, r)
				return
			}
			if n == 0 {
				s.finals.Add(1)
				io.WriteString(w, "final")
				return
			}
			http.Redirect(w, r, "/hop/"+strconv.Itoa(n-1), http.StatusMovedPermanently)
		})
		s.b = newServer(t, okHandler("from b"))
		return s
	}
	to := func(s *servers, host, target string) string {
		return "http://" + host + ":" + s.a.port() + "/to?u=" + url.QueryEscape(target)
	}
	tests := []struct {
		name string
		opts Options
		// url builds the first URL; setup adjusts the fixture.
		url   func(s *servers) string
		setup func(fx *fixture, s *servers)
		// want is nil for success, with the final URL ending in wantPath.
		want      error
		wantPath  string
		wantFinal int64 // hits on /hop/0
		wantB     int64 // hits on server b
	}{
		{name: "three hops by default", url: func(s *servers) string { return s.a.URL + "/hop/3" }, wantPath: "/hop/0", wantFinal: 1},
		{name: "four hops by default", url: func(s *servers) string { return s.a.URL + "/hop/4" }, want: ErrStatus},
		{name: "no redirects", opts: Options{NoRedirects: true}, url: func(s *servers) string { return s.a.URL + "/hop/1" }, want: ErrStatus},
		{name: "no redirects, none needed", opts: Options{NoRedirects: true}, url: func(s *servers) string { return s.a.URL + "/hop/0" }, wantPath: "/hop/0", wantFinal: 1},
		{name: "max 1 followed", opts: Options{MaxRedirects: 1}, url: func(s *servers) string { return s.a.URL + "/hop/1" }, wantPath: "/hop/0", wantFinal: 1},
		{name: "max 1 exceeded", opts: Options{MaxRedirects: 1}, url: func(s *servers) string { return s.a.URL + "/hop/2" }, want: ErrStatus},
		{name: "to ldap", url: func(s *servers) string {
			return to(s, "127.0.0.1", "ldap://ldap.ca.test/cn=CA?certificateRevocationList")
		}, want: ErrBlocked},
		{name: "to file", url: func(s *servers) string { return to(s, "127.0.0.1", "file:///etc/passwd") }, want: ErrBlocked},
		{name: "to userinfo", url: func(s *servers) string { return to(s, "127.0.0.1", "http://u:p@127.0.0.1:"+s.b.port()+"/") }, want: ErrBlocked},
		{name: "to metadata literal", url: func(s *servers) string {
			return to(s, "127.0.0.1", "http://169.254.169.254/latest/meta-data/")
		}, want: ErrBlocked},
		{name: "to metadata by name", url: func(s *servers) string { return to(s, "127.0.0.1", "http://metadata.test/latest/meta-data/") }, want: ErrBlocked},
		{name: "to host outside allow_hosts", opts: Options{AllowHosts: []string{"a.test"}},
			url: func(s *servers) string { return to(s, "a.test", "http://b.test:"+s.b.port()+"/") }, want: ErrBlocked},
		{name: "to host inside allow_hosts", opts: Options{AllowHosts: []string{".ca.test"}},
			url: func(s *servers) string { return to(s, "ocsp.ca.test", "http://crl.ca.test:"+s.b.port()+"/x") }, wantPath: "/x", wantB: 1},
		{name: "to refused address, literal", url: func(s *servers) string { return to(s, "127.0.0.1", "http://127.0.0.1:"+s.b.port()+"/") },
			setup: refusePort, want: ErrBlocked},
		{name: "to refused address, resolved at dial", url: func(s *servers) string { return to(s, "127.0.0.1", "http://b.test:"+s.b.port()+"/") },
			setup: refusePort, want: ErrBlocked},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s := newServers(t)
			opts := tt.opts
			opts.AllowPrivateNetworks = true
			fx := newFixture(t, opts)
			if tt.setup != nil {
				tt.setup(fx, s)
			}
			resp, err := fx.get(t, SourceCRL, tt.url(s))
			if tt.want == nil {
				if err != nil {
					t.Fatal(err)
				}
				if !strings.HasSuffix(resp.URL, tt.wantPath) {
					t.Errorf("final URL = %s, want …%s", resp.URL, tt.wantPath)
				}
			} else {
				wantErrIs(t, err, tt.want)
			}
			if n := s.finals.Load(); n != tt.wantFinal {
				t.Errorf("final hits = %d, want %d", n, tt.wantFinal)
			}
			if n := s.b.hits.Load(); n != tt.wantB {
				t.Errorf("server b hits = %d, want %d", n, tt.wantB)
			}
			for _, d := range fx.dialed() {
				if tt.wantB == 0 && strings.HasSuffix(d, ":"+s.b.port()) {
					t.Errorf("dialled server b at %s", d)
				}
			}
			if fx.f.hosts.len() != 0 {
				t.Error("redirect outcome left the host backing off")
			}
		})
	}
}

// servers are TestRedirects' fixtures: a redirects, b is the target.
type servers struct {
	a, b   *server
	finals atomic.Int64
}

// refusePort makes the address policy refuse server b's port (a and b both
// listen on 127.0.0.1): b stands for an internal address.
func refusePort(fx *fixture, s *servers) {
	check := fx.f.guard.check
	fx.f.guard.check = func(ap netip.AddrPort) error {
		if strconv.Itoa(int(ap.Port())) == s.b.port() {
			return fmt.Errorf("%w: test policy refuses %s", ErrBlocked, ap)
		}
		return check(ap)
	}
}

func TestBodyCap(t *testing.T) {
	srv := newServer(t, func(w http.ResponseWriter, r *http.Request) {
		n, _ := strconv.Atoi(r.URL.Query().Get("n"))
		chunk := make([]byte, 256)
		if r.URL.Path == "/cl" {
			w.Header().Set("Content-Length", strconv.Itoa(n))
		}
		for n > 0 {
			k := min(n, len(chunk))
			if _, err := w.Write(chunk[:k]); err != nil {
				return // client stopped reading
			}
			if r.URL.Path == "/chunked" {
				w.(http.Flusher).Flush()
			}
			n -= k
		}
	})
	opts := Options{AllowPrivateNetworks: true, MaxOCSPBytes: 100, MaxCRLBytes: 1000}
	tests := []struct {
		name    string
		source  string
		path    string
		n       int
		max     int64
		want    error
		wantMsg string
	}{
		{"CRL at cap, Content-Length", SourceCRL, "/cl", 1000, 0, nil, ""},
		{"CRL over cap, Content-Length", SourceCRL, "/cl", 1001, 0, ErrTooLarge, "Content-Length 1001"},
		{"CRL at cap, chunked", SourceCRL, "/chunked", 1000, 0, nil, ""},
		{"CRL over cap, chunked", SourceCRL, "/chunked", 1001, 0, ErrTooLarge, "body exceeds 1000"},
		{"CRL far over cap, chunked", SourceCRL, "/chunked", 16 << 20, 0, ErrTooLarge, "body exceeds 1000"},
		{"OCSP over cap", SourceOCSP, "/chunked", 101, 0, ErrTooLarge, "exceeds 100"},
		{"OCSP with larger MaxBytes", SourceOCSP, "/cl", 150, 200, nil, ""},
		{"CRL with smaller MaxBytes", SourceCRL, "/cl", 150, 100, ErrTooLarge, "Content-Length 150"},
		{"AIA default cap", SourceAIA, "/chunked", 5000, 0, nil, ""},
		{"empty body", SourceCRL, "/cl", 0, 0, nil, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			fx := newFixture(t, opts)
			u := srv.URL + tt.path + "?n=" + strconv.Itoa(tt.n)
			for range 2 { // twice: too large must not put the host in backoff
				resp, err := fx.f.Fetch(t.Context(), Request{Source: tt.source, URL: u, MaxBytes: tt.max})
				if tt.want == nil {
					if err != nil {
						t.Fatal(err)
					}
					if len(resp.Body) != tt.n {
						t.Fatalf("body %d bytes, want %d", len(resp.Body), tt.n)
					}
					continue
				}
				wantErrIs(t, err, tt.want)
				if !strings.Contains(err.Error(), tt.wantMsg) {
					t.Errorf("err = %v, want containing %q", err, tt.wantMsg)
				}
			}
			if tt.want != nil {
				if got := fx.count(tt.source, outcomeTooLarge); got != 2 {
					t.Errorf("too_large count = %v, want 2", got)
				}
			}
		})
	}
}

// endless is an io.Reader of zeros that counts what it hands out.
type endless struct{ n int64 }

func (e *endless) Read(p []byte) (int, error) {
	clear(p)
	e.n += int64(len(p))
	return len(p), nil
}

func TestReadCapped(t *testing.T) {
	t.Run("endless body", func(t *testing.T) {
		r := &endless{}
		_, err := readCapped(r, 1000, -1)
		wantErrIs(t, err, ErrTooLarge)
		if r.n > 1001 {
			t.Errorf("read %d bytes, want at most limit+1", r.n)
		}
	})
	for _, tt := range []struct {
		name        string
		size, limit int64
		hint        int64
		ok          bool
	}{
		{"empty", 0, 10, -1, true},
		{"at limit, no hint", 10, 10, -1, true},
		{"at limit, hint", 10, 10, 10, true},
		{"over limit", 11, 10, -1, false},
		{"over limit, hint lies", 11, 10, 5, false},
		{"large, hint", 1 << 20, 2 << 20, 1 << 20, true},
	} {
		t.Run(tt.name, func(t *testing.T) {
			b, err := readCapped(io.LimitReader(&endless{}, tt.size), tt.limit, tt.hint)
			if tt.ok && (err != nil || int64(len(b)) != tt.size) {
				t.Errorf("got %d bytes, %v; want %d", len(b), err, tt.size)
			}
			if !tt.ok && !errors.Is(err, ErrTooLarge) {
				t.Errorf("err = %v, want ErrTooLarge", err)
			}
		})
	}
}

func TestTimeout(t *testing.T) {
	slow := func(t *testing.T) *server { return newServer(t, blockUntilDone) }
	slowBody := func(t *testing.T) *server {
		return newServer(t, func(w http.ResponseWriter, r *http.Request) {
			w.Header().Set("Content-Length", "100")
			io.WriteString(w, "partial")
			w.(http.Flusher).Flush()
			blockUntilDone(w, r)
		})
	}
	tests := []struct {
		name       string
		srv        func(t *testing.T) *server
		timeout    time.Duration
		callerCtx  func(t *testing.T) (context.Context, context.CancelFunc)
		want       error
		outcome    string
		wantBackof bool
	}{
		{"slow headers, our timeout", slow, 200 * time.Millisecond, nil, context.DeadlineExceeded, outcomeTimeout, true},
		{"slow body, our timeout", slowBody, 200 * time.Millisecond, nil, context.DeadlineExceeded, outcomeTimeout, true},
		{"caller deadline first", slow, 10 * time.Second, func(t *testing.T) (context.Context, context.CancelFunc) {
			return context.WithTimeout(t.Context(), 200*time.Millisecond)
		}, context.DeadlineExceeded, outcomeTimeout, false},
		{"caller cancels", slow, 10 * time.Second, func(t *testing.T) (context.Context, context.CancelFunc) {
			ctx, cancel := context.WithCancel(t.Context())
			time.AfterFunc(200*time.Millisecond, cancel)
			return ctx, cancel
		}, context.Canceled, outcomeError, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			srv := tt.srv(t)
			fx := newFixture(t, Options{AllowPrivateNetworks: true, Timeout: tt.timeout})
			ctx := t.Context()
			if tt.callerCtx != nil {
				var cancel context.CancelFunc
				ctx, cancel = tt.callerCtx(t)
				defer cancel()
			}
			_, err := fx.f.Fetch(ctx, Request{Source: SourceOCSP, URL: srv.URL})
			wantErrIs(t, err, tt.want)
			if got := fx.count(SourceOCSP, tt.outcome); got != 1 {
				t.Errorf("%s count = %v, want 1", tt.outcome, got)
			}
			ctx2, cancel2 := context.WithTimeout(t.Context(), 100*time.Millisecond)
			defer cancel2()
			_, err = fx.f.Fetch(ctx2, Request{Source: SourceOCSP, URL: srv.URL})
			if got := errors.Is(err, ErrBackoff); got != tt.wantBackof {
				t.Errorf("next request: %v, want backoff %v", err, tt.wantBackof)
			}
			wantHits := int64(2)
			if tt.wantBackof {
				wantHits = 1
			}
			if h := srv.hits.Load(); h != wantHits {
				t.Errorf("hits = %d, want %d", h, wantHits)
			}
		})
	}
}

func TestMetrics(t *testing.T) {
	srv := newServer(t, func(w http.ResponseWriter, r *http.Request) {
		switch r.URL.Path {
		case "/ok":
			io.WriteString(w, "ok")
		case "/big":
			io.WriteString(w, strings.Repeat("x", 200))
		case "/404":
			http.NotFound(w, r)
		case "/500":
			w.WriteHeader(500)
		}
	})
	fx := newFixture(t, Options{AllowPrivateNetworks: true, MaxCRLBytes: 100})

	// Every family and every source×outcome is exported from start-up.
	mfs, err := fx.reg.Gather()
	if err != nil {
		t.Fatal(err)
	}
	series := map[string]int{}
	for _, mf := range mfs {
		series[mf.GetName()] = len(mf.GetMetric())
		for _, m := range mf.GetMetric() {
			for _, l := range m.GetLabel() {
				if l.GetName() != "source" && l.GetName() != "outcome" {
					t.Errorf("%s has label %q", mf.GetName(), l.GetName())
				}
			}
		}
	}
	if series["lienthong_upstream_requests_total"] != 21 || series["lienthong_upstream_request_duration_seconds"] != 3 {
		t.Fatalf("series at start-up = %v, want 21 counters and 3 histograms", series)
	}

	fetches := []struct{ source, url string }{
		{SourceCRL, srv.URL + "/ok"},
		{SourceCRL, srv.URL + "/big"},
		{SourceCRL, srv.URL + "/404"},
		{SourceCRL, "ldap://ldap.ca.test/"},
		{SourceCRL, "http://b.test:" + srv.port() + "/500"},
		{SourceCRL, "http://b.test:" + srv.port() + "/500"}, // backing off
		{SourceOCSP, srv.URL + "/ok"},
		{SourceAIA, "http://metadata.test/"},
	}
	for _, f := range fetches {
		fx.f.Fetch(t.Context(), Request{Source: f.source, URL: f.url})
	}
	want := map[[2]string]float64{
		{SourceCRL, outcomeSuccess}:  1,
		{SourceCRL, outcomeTooLarge}: 1,
		{SourceCRL, outcomeStatus}:   2,
		{SourceCRL, outcomeBlocked}:  1,
		{SourceCRL, outcomeBackoff}:  1,
		{SourceOCSP, outcomeSuccess}: 1,
		{SourceAIA, outcomeBlocked}:  1,
	}
	for _, s := range sources {
		for _, o := range outcomes {
			if got := fx.count(s, o); got != want[[2]string{s, o}] {
				t.Errorf("requests{source=%s,outcome=%s} = %v, want %v", s, o, got, want[[2]string{s, o}])
			}
		}
	}
	// Only sent requests are timed: 4 for crl (ok, big, 404, 500).
	mfs, _ = fx.reg.Gather()
	for _, mf := range mfs {
		if mf.GetName() != "lienthong_upstream_request_duration_seconds" {
			continue
		}
		for _, m := range mf.GetMetric() {
			wantN := map[string]uint64{SourceCRL: 4, SourceOCSP: 1, SourceAIA: 0}[m.GetLabel()[0].GetValue()]
			if got := m.GetHistogram().GetSampleCount(); got != wantN {
				t.Errorf("duration{%s} count = %d, want %d", m.GetLabel()[0].GetValue(), got, wantN)
			}
		}
	}
}
