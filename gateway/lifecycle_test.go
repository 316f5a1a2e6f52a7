package gateway

import (
	"context"
	"io"
	"net"
	"net/http"
	"strings"
	"testing"
	"time"
)

func get(t *testing.T, url string) (int, string) {
	t.Helper()
	resp, err := http.Get(url)
	if err != nil {
		t.Fatalf("GET %s: %v", url, err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, string(b)
}

func waitReady(t *testing.T, s *Server) {
	t.Helper()
	deadline := time.Now().Add(5 * time.Second)
	for !s.Ready() {
		if time.Now().After(deadline) {
			t.Fatal("server never became ready")
		}
		time.Sleep(5 * time.Millisecond)
	}
}

func TestRunServesAndShutsDown(t *testing.T) {
	f := newFixture(t, Options{MetricsListen: "127.0.0.1:0", ShutdownGrace: 2 * time.Second}, nil)
	if err := f.srv.Listen(); err != nil {
		t.Fatal(err)
	}
	if err := f.srv.Listen(); err == nil {
		t.Error("second Listen succeeded")
	}
	api, mets := "http://"+f.srv.Addr().String(), "http://"+f.srv.MetricsAddr().String()
	if api == mets {
		t.Fatalf("metrics share the API address %s", api)
	}
	ctx, cancel := context.WithCancel(t.Context())
	done := make(chan error, 1)
	go func() { done <- f.srv.Run(ctx) }()
	waitReady(t, f.srv)

	if code, body := get(t, api+"/healthz"); code != 200 || !strings.Contains(body, `"ok"`) {
		t.Errorf("healthz: %d %s", code, body)
	}
	if code, _ := get(t, api+"/readyz"); code != 200 {
		t.Errorf("readyz while serving: %d", code)
	}
	if code, body := get(t, mets+"/metrics"); code != 200 || !strings.Contains(body, "lienthong_trust_anchors") {
		t.Errorf("metrics: %d", code)
	}
	if err := f.srv.Run(ctx); err == nil {
		t.Error("second Run succeeded")
	}

	cancel()
	select {
	case err := <-done:
		if err != nil {
			t.Fatalf("Run: %v", err)
		}
	case <-time.After(5 * time.Second):
		t.Fatal("Run did not return after cancel")
	}
	if f.srv.Ready() {
		t.Error("ready after shutdown")
	}
	f.srv.SetReady(true)
	if f.srv.Ready() {
		t.Error("SetReady(true) after shutdown made the server ready")
	}
	if _, err := http.Get(api + "/healthz"); err == nil {
		t.Error("API still answers after shutdown")
	}
}

func TestRunReportsListenErrors(t *testing.T) {
	busy, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer busy.Close()
	g := newFixture(t, Options{Listen: busy.Addr().String()}, nil)
	if err := g.srv.Run(t.Context()); err == nil || !strings.Contains(err.Error(), "listening on") {
		t.Fatalf("Run on a busy address: %v", err)
	}
}
