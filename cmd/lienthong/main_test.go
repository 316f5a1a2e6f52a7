package main

import (
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"runtime"
	"strings"
	"testing"
)

func TestUsage(t *testing.T) {
	tests := []struct {
		name   string
		args   []string
		code   int
		stderr string
	}{
		{"no command", nil, exitUsage, "Usage:"},
		{"unknown command", []string{"frobnicate"}, exitUsage, `unknown command "frobnicate"`},
		{"validate without trust roots", []string{"validate", "x.pdf"}, exitUsage, "holds no official root"},
		{"bad flag", []string{"trust", "--bogus"}, exitUsage, "bogus"},
		{"trust takes no argument", []string{"trust", "extra"}, exitUsage, "unexpected argument"},
		{"version takes no argument", []string{"version", "x"}, exitUsage, "unexpected argument"},
		{"help", []string{"help"}, exitOK, ""},
		{"-h on a command", []string{"serve", "-h"}, exitOK, "Usage: lienthong serve"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			tio := newHost(t, nil)
			if code := run(t.Context(), tc.args, tio.h); code != tc.code {
				t.Fatalf("exit %d, want %d\n%s", code, tc.code, tio.stderr)
			}
			if !strings.Contains(tio.stderr.String(), tc.stderr) {
				t.Errorf("stderr lacks %q:\n%s", tc.stderr, tio.stderr)
			}
		})
	}
	tio := newHost(t, nil)
	run(t.Context(), []string{"help"}, tio.h)
	for _, cmd := range []string{"serve", "validate", "trust", "trust fetch", "trust import", "health", "version"} {
		if !strings.Contains(tio.stdout.String(), "lienthong "+cmd+" ") && !strings.Contains(tio.stdout.String(), "lienthong "+cmd+"\n") {
			t.Errorf("usage does not list %q", cmd)
		}
	}
}

func TestVersion(t *testing.T) {
	tio := newHost(t, nil)
	if code := run(t.Context(), []string{"version"}, tio.h); code != exitOK {
		t.Fatalf("exit %d", code)
	}
	out := tio.stdout.String()
	for _, want := range []string{"lienthong " + version, "commit ", runtime.Version()} {
		if !strings.Contains(out, want) {
			t.Errorf("version output lacks %q:\n%s", want, out)
		}
	}
}

func TestHealth(t *testing.T) {
	ok := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { w.Write([]byte(`{"status":"ok"}`)) }))
	defer ok.Close()
	down := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { w.WriteHeader(503) }))
	defer down.Close()
	tests := []struct {
		name string
		args []string
		code int
	}{
		{"healthy", []string{"--url", ok.URL}, exitOK},
		{"503", []string{"--url", down.URL}, exitFailure},
		{"unreachable", []string{"--url", "http://127.0.0.1:1/healthz", "--timeout", "1s"}, exitFailure},
		{"bad URL", []string{"--url", "::"}, exitUsage},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			tio := newHost(t, nil)
			tio.h.Client = &http.Client{}
			if code := run(t.Context(), append([]string{"health"}, tc.args...), tio.h); code != tc.code {
				t.Errorf("exit %d, want %d\n%s", code, tc.code, tio.stderr)
			}
		})
	}
}

func TestTrustDir(t *testing.T) {
	tests := []struct {
		name string
		flag string
		env  map[string]string
		want string
	}{
		{"flag first", "/flag", map[string]string{"LIENTHONG_TRUST_DIR": "/env", "HOME": "/home/u"}, "/flag"},
		{"LIENTHONG_TRUST_DIR", "", map[string]string{"LIENTHONG_TRUST_DIR": "/env", "XDG_DATA_HOME": "/xdg"}, "/env"},
		{"XDG_DATA_HOME", "", map[string]string{"XDG_DATA_HOME": "/xdg", "HOME": "/home/u"}, "/xdg/lienthong/trust"},
		{"relative XDG_DATA_HOME is ignored", "", map[string]string{"XDG_DATA_HOME": "xdg", "HOME": "/home/u"}, "/home/u/.local/share/lienthong/trust"},
		{"HOME", "", map[string]string{"HOME": "/home/u"}, "/home/u/.local/share/lienthong/trust"},
		{"nothing", "", map[string]string{}, ""},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			got, err := trustDir(tc.flag, func(k string) string { return tc.env[k] })
			if tc.want == "" {
				if err == nil {
					t.Fatalf("got %q, want an error", got)
				}
				return
			}
			if err != nil || got != filepath.FromSlash(tc.want) {
				t.Errorf("got %q, %v; want %q", got, err, tc.want)
			}
		})
	}
}

func TestTrustWithoutFolder(t *testing.T) {
	tio := newHost(t, map[string]string{})
	if code := run(t.Context(), []string{"trust"}, tio.h); code != exitUsage {
		t.Errorf("exit %d, want 3", code)
	}
	if !strings.Contains(tio.stderr.String(), "--trust-dir") {
		t.Errorf("stderr: %s", tio.stderr)
	}
	empty := newHost(t, nil)
	if code := run(t.Context(), []string{"trust", "--trust-dir", t.TempDir()}, empty.h); code != exitOK {
		t.Errorf("listing an empty folder: exit %d", code)
	}
	if out := empty.stdout.String(); !strings.Contains(out, "0 of 10 pinned roots present") || !strings.Contains(out, "missing") {
		t.Errorf("output:\n%s", out)
	}
}
