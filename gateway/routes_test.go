package gateway

import (
	"bytes"
	"encoding/json"
	"flag"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

var update = flag.Bool("update", false, "rewrite the golden files in testdata/")

// golden compares got (JSON) with testdata/name after indenting both, or
// rewrites the file with -update.
func golden(t *testing.T, name string, got []byte) {
	t.Helper()
	var buf bytes.Buffer
	if err := json.Indent(&buf, got, "", "  "); err != nil {
		t.Fatalf("answer is not JSON: %v\n%s", err, got)
	}
	buf.WriteByte('\n')
	path := filepath.Join("testdata", name)
	if *update {
		if err := os.MkdirAll("testdata", 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(path, buf.Bytes(), 0o644); err != nil {
			t.Fatal(err)
		}
		return
	}
	want, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("%v (run go test ./gateway -run %s -update to create it)", err, t.Name())
	}
	if !bytes.Equal(buf.Bytes(), want) {
		t.Errorf("GET answer differs from %s (run with -update if the change is intended)\ngot:\n%s\nwant:\n%s", path, buf.Bytes(), want)
	}
}

func TestTrustGolden(t *testing.T) {
	f := newFixture(t, Options{}, nil)
	rec := do(t, f.srv.Handler(), http.MethodGet, "/v1/trust", "", nil)
	if rec.Code != http.StatusOK {
		t.Fatalf("status %d: %s", rec.Code, rec.Body)
	}
	golden(t, "trust.golden.json", rec.Body.Bytes())

	var got TrustResponse
	if err := json.Unmarshal(rec.Body.Bytes(), &got); err != nil {
		t.Fatal(err)
	}
	if got.Digest != f.holder.Current().Digest() {
		t.Errorf("digest %s, want the store's %s", got.Digest, f.holder.Current().Digest())
	}
	var order []string
	for _, a := range got.Anchors {
		order = append(order, a.Domain+"/"+a.Subject[:strings.Index(a.Subject, ",")])
	}
	want := "public/CN=Test Public Root public/CN=Test Public Root G2 government/CN=Test Government Root"
	if strings.Join(order, " ") != want {
		t.Errorf("anchor order %q, want %q (domain order, then store order; intermediates not listed)", order, want)
	}
}

func TestHealthAndReady(t *testing.T) {
	f := newFixture(t, Options{}, nil)
	h := f.srv.Handler()

	rec := do(t, h, http.MethodGet, "/healthz", "", nil)
	if rec.Code != http.StatusOK || strings.TrimSpace(rec.Body.String()) != `{"status":"ok"}` {
		t.Fatalf("healthz: %d %s", rec.Code, rec.Body)
	}
	steps := []struct {
		name  string
		ready bool
		want  int
	}{
		{"new server is not ready", false, http.StatusServiceUnavailable},
		{"SetReady(true)", true, http.StatusOK},
		{"SetReady(false)", false, http.StatusServiceUnavailable},
	}
	for i, st := range steps {
		t.Run(st.name, func(t *testing.T) {
			if i > 0 {
				f.srv.SetReady(st.ready)
			}
			rec := do(t, h, http.MethodGet, "/readyz", "", nil)
			if st.want == http.StatusOK {
				if rec.Code != http.StatusOK {
					t.Fatalf("readyz: %d %s", rec.Code, rec.Body)
				}
				return
			}
			wantError(t, rec, st.want, "not_ready")
		})
	}
}

func TestErrorShape(t *testing.T) {
	tests := []struct {
		name        string
		method      string
		target      string
		contentType string
		body        string
		status      int
		code        string
	}{
		{"unknown route", http.MethodGet, "/nope", "", "", http.StatusNotFound, "not_found"},
		{"unknown route under /v1", http.MethodGet, "/v1/other", "", "", http.StatusNotFound, "not_found"},
		{"wrong method on healthz", http.MethodPost, "/healthz", "", "", http.StatusMethodNotAllowed, "method_not_allowed"},
		{"wrong method on validate", http.MethodGet, "/v1/validate", "", "", http.StatusMethodNotAllowed, "method_not_allowed"},
		{"validate without validator", http.MethodPost, "/v1/validate", "application/pdf", "%PDF-1.7", http.StatusNotImplemented, "not_implemented"},
	}
	f := newFixture(t, Options{}, nil)
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			rec := do(t, f.srv.Handler(), tc.method, tc.target, tc.contentType, strings.NewReader(tc.body))
			wantError(t, rec, tc.status, tc.code)
			if tc.status == http.StatusMethodNotAllowed && rec.Header().Get("Allow") == "" {
				t.Error("405 without an Allow header")
			}
		})
	}
}

func TestBodyLimit(t *testing.T) {
	f := newFixture(t, Options{MaxBodyBytes: 64}, &fakeValidator{})
	big := strings.Repeat("x", 65)
	t.Run("Content-Length over the limit", func(t *testing.T) {
		rec := do(t, f.srv.Handler(), http.MethodPost, "/v1/validate", "application/json", strings.NewReader(big))
		wantError(t, rec, http.StatusRequestEntityTooLarge, "body_too_large")
	})
	t.Run("streamed body over the limit", func(t *testing.T) {
		req := httptestRequestNoLength(http.MethodPost, "/v1/validate", "application/json", big)
		rec := serve(f.srv.Handler(), req)
		wantError(t, rec, http.StatusRequestEntityTooLarge, "body_too_large")
	})
	t.Run("body at the limit is read", func(t *testing.T) {
		rec := do(t, f.srv.Handler(), http.MethodPost, "/v1/validate", "application/json", strings.NewReader(big[:64]))
		wantError(t, rec, http.StatusBadRequest, "malformed_request")
	})
}

func TestPanicIsInternalError(t *testing.T) {
	f := newFixture(t, Options{}, &fakeValidator{panicWith: "secret detail /etc/passwd"})
	rec := do(t, f.srv.Handler(), http.MethodPost, "/v1/validate", "application/json", strings.NewReader(certJSON(f.pki.pubCA.cert)))
	msg := wantError(t, rec, http.StatusInternalServerError, "internal_error")
	if strings.Contains(rec.Body.String(), "secret") {
		t.Errorf("internal detail leaked: %s (message %q)", rec.Body, msg)
	}
	// The server keeps answering after a panic.
	if rec := do(t, f.srv.Handler(), http.MethodGet, "/healthz", "", nil); rec.Code != http.StatusOK {
		t.Errorf("healthz after panic: %d", rec.Code)
	}
}
