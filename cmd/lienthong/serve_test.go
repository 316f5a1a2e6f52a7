package main

import (
	"context"
	"encoding/json"
	"io"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/lienthong/lienthong/gateway"
)

// started is a serve running in the background.
type started struct {
	base   string // http://host:port of the API
	cancel context.CancelFunc
	done   chan int
	hup    chan os.Signal
	tio    *testIO
}

// startServe runs `lienthong args...` (a serve) until the test stops it.
func startServe(t *testing.T, tio *testIO, args ...string) *started {
	t.Helper()
	s := &started{done: make(chan int, 1), hup: make(chan os.Signal, 1), tio: tio}
	addrs := make(chan net.Addr, 1)
	tio.h.Reload = func() (<-chan os.Signal, func()) { return s.hup, func() {} }
	tio.h.Listening = func(api, _ net.Addr) { addrs <- api }
	ctx, cancel := context.WithCancel(t.Context())
	s.cancel = cancel
	go func() { s.done <- run(ctx, args, tio.h) }()
	select {
	case a := <-addrs:
		s.base = "http://" + a.String()
	case code := <-s.done:
		t.Fatalf("serve exited %d before listening\n%s", code, tio.stderr)
	case <-time.After(10 * time.Second):
		t.Fatal("serve did not start listening")
	}
	t.Cleanup(cancel)
	return s
}

// stop cancels serve and returns its exit status.
func (s *started) stop(t *testing.T) int {
	t.Helper()
	s.cancel()
	select {
	case code := <-s.done:
		return code
	case <-time.After(10 * time.Second):
		t.Fatal("serve did not stop")
		return -1
	}
}

func (s *started) get(t *testing.T, path string) (int, string) {
	t.Helper()
	resp, err := http.Get(s.base + path)
	if err != nil {
		t.Fatalf("GET %s: %v", path, err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, string(b)
}

func (s *started) trust(t *testing.T) gateway.TrustResponse {
	t.Helper()
	code, body := s.get(t, "/v1/trust")
	var tr gateway.TrustResponse
	if code != 200 || json.Unmarshal([]byte(body), &tr) != nil {
		t.Fatalf("/v1/trust: %d %s", code, body)
	}
	return tr
}

// waitMetric polls /metrics until it holds line.
func (s *started) waitMetric(t *testing.T, line string) {
	t.Helper()
	deadline := time.Now().Add(5 * time.Second)
	for {
		_, body := s.get(t, "/metrics")
		if strings.Contains(body, line) {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("/metrics never showed %q:\n%s", line, body)
		}
		time.Sleep(10 * time.Millisecond)
	}
}

func TestServeWithoutRootsExits2(t *testing.T) {
	tio := newHost(t, nil)
	code := run(t.Context(), []string{"serve", "--trust-dir", t.TempDir(), "--listen", "127.0.0.1:0"}, tio.h)
	if code != exitStartup {
		t.Fatalf("exit %d, want 2\n%s", code, tio.stderr)
	}
	msg := tio.stderr.String()
	for _, want := range []string{"lienthong trust import FILE...", "--config", "rootca.gov.vn", "network disabled in tests"} {
		if !strings.Contains(msg, want) {
			t.Errorf("message lacks %q:\n%s", want, msg)
		}
	}
}

func TestServeWithConfigAndReload(t *testing.T) {
	dir := t.TempDir()
	pubFile := filepath.Join(dir, "anchors", "public.pem")
	writePEM(t, pubFile, newCA(t, "Serve Public Root"))
	writePEM(t, filepath.Join(dir, "anchors", "gov.pem"), newCA(t, "Serve Government Root"))
	cfg := filepath.Join(dir, "lienthong.yaml")
	writeFile(t, cfg, []byte(`listen: 127.0.0.1:1   # overridden by --listen
metrics_listen: ""
domains:
  - name: public
    hierarchy: public
    anchors: [anchors/public.pem]
  - name: government
    hierarchy: government
    anchors: [anchors/gov.pem]
`))
	s := startServe(t, newHost(t, nil), "serve", "--config", cfg, "--listen", "127.0.0.1:0")
	if strings.HasSuffix(s.base, ":1") {
		t.Fatalf("--listen did not override listen: %s", s.base)
	}
	if code, body := s.get(t, "/healthz"); code != 200 || !strings.Contains(body, `"ok"`) {
		t.Fatalf("healthz: %d %s", code, body)
	}
	before := s.trust(t)
	if len(before.Anchors) != 2 || before.Anchors[0].Domain != "public" || before.Anchors[1].Domain != "government" {
		t.Fatalf("anchors: %+v", before.Anchors)
	}
	s.waitMetric(t, `lienthong_trust_reloads_total{result="failure"} 0`)

	// A reload with a broken file keeps the old store.
	writeFile(t, pubFile, []byte("-----BEGIN CERTIFICATE-----\nbroken\n-----END CERTIFICATE-----\n"))
	s.hup <- syscall.SIGHUP
	s.waitMetric(t, `lienthong_trust_reloads_total{result="failure"} 1`)
	if got := s.trust(t); got.Digest != before.Digest {
		t.Errorf("failed reload changed the store: %s -> %s", before.Digest, got.Digest)
	}

	// A good reload swaps the store in.
	writePEM(t, pubFile, newCA(t, "Serve Public Root G2"))
	s.hup <- syscall.SIGHUP
	s.waitMetric(t, `lienthong_trust_reloads_total{result="success"} 1`)
	after := s.trust(t)
	if after.Digest == before.Digest || !strings.Contains(after.Anchors[0].Subject, "Serve Public Root G2") {
		t.Errorf("reload not in service: %+v", after)
	}

	if code := s.stop(t); code != exitOK {
		t.Errorf("exit %d after cancel, want 0\n%s", code, s.tio.stderr)
	}
	logs := s.tio.stderr.String()
	for _, want := range []string{`"msg":"lienthong listening"`, `"msg":"trust store reload failed; keeping the current store"`, `"msg":"gateway stopped"`} {
		if !strings.Contains(logs, want) {
			t.Errorf("JSON logs lack %s:\n%s", want, logs)
		}
	}
}

func TestServeBuiltInDefault(t *testing.T) {
	dir := t.TempDir()
	importReal(t, dir)
	tio := newHost(t, map[string]string{"LIENTHONG_TRUST_DIR": dir})
	s := startServe(t, tio, "serve", "--listen", "127.0.0.1:0", "--metrics-listen", "")
	got := map[string]int{}
	for _, a := range s.trust(t).Anchors {
		got[a.Domain+"/"+a.Hierarchy]++
	}
	if got["public/public"] != 8 || got["government/government"] != 2 || len(got) != 2 {
		t.Errorf("anchors by domain: %v", got)
	}
	s.waitMetric(t, `lienthong_trust_anchors{domain="government"} 2`)
	if code, body := s.get(t, "/v1/validate"); code != http.StatusMethodNotAllowed || !strings.Contains(body, "method_not_allowed") {
		t.Errorf("GET /v1/validate: %d %s", code, body)
	}
	if code := s.stop(t); code != exitOK {
		t.Errorf("exit %d", code)
	}
	if strings.Contains(tio.stderr.String(), "downloading") {
		t.Error("fetched although the folder holds roots")
	}
}

func TestServeStartupErrors(t *testing.T) {
	dir := t.TempDir()
	writePEM(t, filepath.Join(dir, "root.pem"), newCA(t, "Startup Root"))
	cfg := func(body string) string {
		p := filepath.Join(t.TempDir(), "c.yaml")
		writeFile(t, p, []byte(body))
		return p
	}
	anchors := "domains: [{name: public, hierarchy: public, anchors: [" + filepath.Join(dir, "root.pem") + "]}]\n"
	busy, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer busy.Close()
	tests := []struct {
		name string
		args []string
		code int
		msg  string
	}{
		{"unknown config key", []string{"--config", cfg(anchors + "lisen: x\n")}, exitStartup, `unknown key "lisen"`},
		{"missing config", []string{"--config", filepath.Join(dir, "none.yaml")}, exitStartup, "none.yaml"},
		{"anchor glob matches nothing", []string{"--config", cfg("domains: [{name: public, hierarchy: public, anchors: [nothing/*.pem]}]\n")}, exitStartup, "no such file"},
		{"bad --listen", []string{"--config", cfg(anchors), "--listen", "nonsense"}, exitStartup, "listen"},
		{"address in use", []string{"--config", cfg(anchors), "--listen", busy.Addr().String(), "--metrics-listen", ""}, exitStartup, "listening on"},
		{"positional argument", []string{"extra"}, exitUsage, "unexpected argument"},
		{"unknown flag", []string{"--nope"}, exitUsage, "nope"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			tio := newHost(t, nil)
			if code := run(t.Context(), append([]string{"serve"}, tc.args...), tio.h); code != tc.code {
				t.Fatalf("exit %d, want %d\n%s", code, tc.code, tio.stderr)
			}
			if !strings.Contains(tio.stderr.String(), tc.msg) {
				t.Errorf("stderr lacks %q:\n%s", tc.msg, tio.stderr)
			}
		})
	}
}
