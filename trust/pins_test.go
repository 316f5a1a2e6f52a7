package trust_test

import (
	"encoding/hex"
	"net/url"
	"os"
	"path/filepath"
	"regexp"
	"sort"
	"testing"

	"github.com/lienthong/lienthong/test/shared"
	"github.com/lienthong/lienthong/trust"
)

var (
	pinHex  = regexp.MustCompile(`^[0-9a-f]{64}$`)
	pinName = regexp.MustCompile(`^[a-z0-9][a-z0-9-]*$`) // a file name in roots/
)

// TestPinsWellFormed checks the built-in pin table, on which
// Pin.Fingerprint relies not to panic.
func TestPinsWellFormed(t *testing.T) {
	if len(trust.Pins) != 10 {
		t.Errorf("%d pins, want 10 (8 public, 2 government)", len(trust.Pins))
	}
	names := map[string]bool{}
	fps := map[string]bool{}
	subjects := map[string]bool{}
	perHierarchy := map[trust.Hierarchy]int{}
	for _, p := range trust.Pins {
		t.Run(p.Name, func(t *testing.T) {
			if !pinName.MatchString(p.Name) {
				t.Errorf("name %q is not a safe file name [a-z0-9-]", p.Name)
			}
			if names[p.Name] {
				t.Errorf("name %q used twice", p.Name)
			}
			names[p.Name] = true
			if !pinHex.MatchString(p.SHA256) {
				t.Errorf("SHA256 %q is not 64 lower-case hex characters", p.SHA256)
			}
			if fps[p.SHA256] {
				t.Errorf("fingerprint %s pinned twice", p.SHA256)
			}
			fps[p.SHA256] = true
			if p.Subject == "" || subjects[p.Subject] {
				t.Errorf("subject %q empty or used twice", p.Subject)
			}
			subjects[p.Subject] = true
			if p.Hierarchy != trust.Public && p.Hierarchy != trust.Government {
				t.Errorf("hierarchy %q, want public or government", p.Hierarchy)
			}
			perHierarchy[p.Hierarchy]++
			if p.Note == "" {
				t.Error("no note")
			}
			if len(p.URLs) == 0 {
				t.Error("no URL")
			}
			for _, u := range p.URLs {
				pu, err := url.Parse(u)
				if err != nil || (pu.Scheme != "http" && pu.Scheme != "https") || pu.Host == "" || pu.User != nil {
					t.Errorf("URL %q is not a plain http(s) URL", u)
				}
			}
			if pinHex.MatchString(p.SHA256) {
				f, err := p.Fingerprint()
				if err != nil {
					t.Fatal(err)
				}
				if hex.EncodeToString(f[:]) != p.SHA256 || f.Hex() != p.SHA256 {
					t.Errorf("Fingerprint() = %s", f.Hex())
				}
				if got, ok := trust.PinFor(trust.Pins, f); !ok || got.Name != p.Name {
					t.Errorf("PinFor(own fingerprint) = %q, %v", got.Name, ok)
				}
			}
		})
	}
	if perHierarchy[trust.Public] != 8 || perHierarchy[trust.Government] != 2 {
		t.Errorf("pins per hierarchy = %v, want 8 public, 2 government", perHierarchy)
	}
}

func TestPinFor(t *testing.T) {
	pins := []trust.Pin{
		{Name: "a", SHA256: "0000000000000000000000000000000000000000000000000000000000000001"},
		{Name: "b", SHA256: "ff00000000000000000000000000000000000000000000000000000000000000"},
	}
	var fa, fb, fz trust.Fingerprint
	fa[31], fb[0], fz[5] = 1, 0xff, 7
	tests := []struct {
		name   string
		pins   []trust.Pin
		fp     trust.Fingerprint
		want   string
		wantOK bool
	}{
		{"first", pins, fa, "a", true},
		{"second (hex is lower-case)", pins, fb, "b", true},
		{"absent", pins, fz, "", false},
		{"empty table", nil, fa, "", false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, ok := trust.PinFor(tt.pins, tt.fp)
			if ok != tt.wantOK || got.Name != tt.want {
				t.Errorf("PinFor = %q, %v; want %q, %v", got.Name, ok, tt.want, tt.wantOK)
			}
		})
	}
	t.Run("malformed pin is an error", func(t *testing.T) {
		if _, err := (trust.Pin{Name: "bad", SHA256: "abc"}).Fingerprint(); err == nil {
			t.Error("no error for a 3-digit fingerprint")
		}
	})
}

// TestPinsMatchRealCertificates checks every pin against the real root
// certificates in shared/testdata/vn-real: the fingerprint is the SHA-256
// of one file's DER, the subject is its common name, and it is a
// self-signed CA. Conversely every self-signed CA there is pinned.
func TestPinsMatchRealCertificates(t *testing.T) {
	dir := filepath.Join(shared.TestData(t), "vn-real")
	files, err := filepath.Glob(filepath.Join(dir, "*.pem"))
	if err != nil {
		t.Fatal(err)
	}
	if len(files) == 0 {
		t.Fatalf("no PEM file in %s", dir)
	}
	sort.Strings(files)
	byFP := map[string]vnReal{}
	for _, f := range files {
		data, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		cs, err := trust.ParseCertificates(data)
		if err != nil || len(cs) != 1 {
			t.Fatalf("%s: %d certificates, %v", filepath.Base(f), len(cs), err)
		}
		byFP[fpHex(cs[0])] = vnReal{file: filepath.Base(f), cert: cs[0]}
	}
	for _, p := range trust.Pins {
		t.Run(p.Name, func(t *testing.T) {
			r, ok := byFP[p.SHA256]
			if !ok {
				t.Fatalf("no file in vn-real has SHA-256 %s", p.SHA256)
			}
			c := r.cert
			if c.Subject.CommonName != p.Subject {
				t.Errorf("%s: subject CN differs from the pin's Subject %q", r.file, p.Subject)
			}
			if !c.BasicConstraintsValid || !c.IsCA {
				t.Errorf("%s: not a CA", r.file)
			}
			if !trust.SameName(c.RawSubject, c.RawIssuer) {
				t.Errorf("%s: not self-issued", r.file)
			}
			if err := trust.CheckSignature(c, c); err != nil {
				t.Errorf("%s: not self-signed: %v", r.file, err)
			}
		})
	}
	t.Run("every self-signed CA is pinned", func(t *testing.T) {
		for h, r := range byFP {
			c := r.cert
			selfSigned := trust.SameName(c.RawSubject, c.RawIssuer) && trust.CheckSignature(c, c) == nil
			if _, pinned := trust.PinFor(trust.Pins, mustFP(t, h)); selfSigned != pinned {
				t.Errorf("%s (sha256 %s): self-signed %v, pinned %v", r.file, h, selfSigned, pinned)
			}
		}
	})
}

func mustFP(t *testing.T, h string) trust.Fingerprint {
	t.Helper()
	var f trust.Fingerprint
	b, err := hex.DecodeString(h)
	if err != nil || len(b) != len(f) {
		t.Fatalf("bad fingerprint %q", h)
	}
	copy(f[:], b)
	return f
}
