package main

import (
	"bufio"
	"context"
	"crypto/x509"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/lienthong/lienthong/test/testpki"
	"github.com/lienthong/lienthong/test/testsign"
	"github.com/lienthong/lienthong/validate"
)

// validateFixture is a folder with a config over a test PKI (revocation
// off) and signed files of every kind.
type validateFixture struct {
	dir, config string
	at          string
}

func newValidateFixture(t *testing.T) *validateFixture {
	t.Helper()
	now := time.Date(2026, 3, 1, 10, 0, 0, 0, time.UTC)
	p, err := testpki.New(testpki.Options{Now: now})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(p.Close)
	dir := t.TempDir()
	writePEM(t, filepath.Join(dir, "trust", "public.pem"), p.Public.Root.Cert)
	writePEM(t, filepath.Join(dir, "trust", "public-ca.pem"), p.Public.CA.Cert)
	writePEM(t, filepath.Join(dir, "trust", "gov.pem"), p.Gov.Root.Cert)
	cfg := `domains:
  - name: public
    hierarchy: public
    anchors: [trust/public.pem]
    intermediates: [trust/public-ca.pem]
  - name: government
    hierarchy: government
    anchors: [trust/gov.pem]
revocation:
  mode: "off"
`
	writeFile(t, filepath.Join(dir, "lienthong.yaml"), []byte(cfg))

	leaf := p.Public.Citizen
	st := now.Add(-time.Minute)
	s := testsign.Signer{Cert: leaf.Cert, Key: leaf.Key, SigningTime: &st}
	content := []byte("Quyết định số 1\n")
	build := func(b interface{ Build() ([]byte, error) }) []byte {
		out, err := b.Build()
		if err != nil {
			t.Fatal(err)
		}
		return out
	}
	certs := []*x509.Certificate{leaf.Cert}
	writeFile(t, filepath.Join(dir, "signed.p7m"), build(testsign.CMS{Content: content, Signers: []testsign.Signer{s}, Certificates: certs}))
	writeFile(t, filepath.Join(dir, "decision.txt"), content)
	writeFile(t, filepath.Join(dir, "decision.txt.p7s"), build(testsign.CMS{Content: content, Detached: true, Signers: []testsign.Signer{s}, Certificates: certs}))
	writeFile(t, filepath.Join(dir, "lonely.p7s"), build(testsign.CMS{Content: content, Detached: true, Signers: []testsign.Signer{s}, Certificates: certs}))
	writeFile(t, filepath.Join(dir, "signed.pdf"), build(testsign.PDF{Content: []byte("BT ET"), Signatures: []testsign.SignFunc{testsign.DetachedCMS(s)}}))
	bad := s
	bad.Tamper = true
	writeFile(t, filepath.Join(dir, "tampered.pdf"), build(testsign.PDF{Content: []byte("BT ET"), Signatures: []testsign.SignFunc{testsign.DetachedCMS(bad)}}))
	writeFile(t, filepath.Join(dir, "unsigned.xml"), build(testsign.EInvoice{Items: 1}))
	writeFile(t, filepath.Join(dir, "noise.pdf"), []byte("this is not a PDF at all"))
	writePEM(t, filepath.Join(dir, "citizen.cer"), leaf.Cert, leaf.Issuer.Cert)
	writeFile(t, filepath.Join(dir, "sniffed.bin"), build(testsign.CMS{Content: content, Signers: []testsign.Signer{s}, Certificates: certs}))
	return &validateFixture{dir: dir, config: filepath.Join(dir, "lienthong.yaml"), at: now.Format(time.RFC3339)}
}

func (f *validateFixture) path(name string) string { return filepath.Join(f.dir, name) }

func TestValidateCommand(t *testing.T) {
	f := newValidateFixture(t)
	tests := []struct {
		name  string
		files []string
		code  int
		out   []string // substrings of stdout
	}{
		{"attached CMS", []string{"signed.p7m"}, 0, []string{"signed.p7m: TOTAL_PASSED (cms, 1 signature(s)", `signer-1: TOTAL_PASSED  domain public  signer "NGUYEN VAN A"`, "SIGNING_TIME_CLAIMED_ONLY"}},
		{"detached CMS with its content", []string{"decision.txt.p7s"}, 0, []string{"TOTAL_PASSED"}},
		{"detached CMS without content", []string{"lonely.p7s"}, 2, []string{"INDETERMINATE/SIGNED_DATA_NOT_FOUND"}},
		{"pdf", []string{"signed.pdf"}, 0, []string{"Signature1: TOTAL_PASSED"}},
		{"certificate alone", []string{"citizen.cer"}, 0, []string{"certificate: TOTAL_PASSED"}},
		{"sniffed", []string{"sniffed.bin"}, 0, []string{"(cms, 1 signature(s)"}},
		{"unsigned xml", []string{"unsigned.xml"}, 1, []string{"TOTAL_FAILED/FORMAT_FAILURE (xml, 0 signature(s)", "NO_SIGNATURE"}},
		{"failed beats indeterminate", []string{"lonely.p7s", "tampered.pdf", "signed.p7m"}, 1, []string{"SIG_CRYPTO_FAILURE"}},
		{"indeterminate beats passed", []string{"signed.p7m", "lonely.p7s"}, 2, nil},
		{"malformed file", []string{"noise.pdf", "signed.p7m"}, 3, []string{"signed.p7m: TOTAL_PASSED"}},
		{"missing file", []string{"missing.pdf"}, 3, nil},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			tio := newHost(t, nil)
			args := []string{"validate", "--config", f.config, "--at", f.at}
			for _, file := range tc.files {
				args = append(args, f.path(file))
			}
			code := run(context.Background(), args, tio.h)
			if code != tc.code {
				t.Fatalf("exit %d, want %d\nstdout:\n%s\nstderr:\n%s", code, tc.code, tio.stdout, tio.stderr)
			}
			for _, want := range tc.out {
				if !strings.Contains(tio.stdout.String(), want) {
					t.Errorf("stdout lacks %q:\n%s", want, tio.stdout)
				}
			}
		})
	}
}

func TestValidateCommandJSON(t *testing.T) {
	f := newValidateFixture(t)
	t.Run("one file: one report object", func(t *testing.T) {
		tio := newHost(t, nil)
		code := run(context.Background(), []string{"validate", "--json", "--config", f.config, "--at", f.at, f.path("signed.p7m")}, tio.h)
		if code != 0 {
			t.Fatalf("exit %d: %s", code, tio.stderr)
		}
		var rep validate.Report
		dec := json.NewDecoder(strings.NewReader(tio.stdout.String()))
		dec.DisallowUnknownFields()
		if err := dec.Decode(&rep); err != nil || rep.Format != validate.FormatCMS || rep.Indication != validate.TotalPassed {
			t.Fatalf("%v: %s", err, tio.stdout)
		}
		if rep.ValidationTime.Format(time.RFC3339) != f.at {
			t.Errorf("validation time %s", rep.ValidationTime)
		}
	})
	t.Run("several files: JSON Lines with file", func(t *testing.T) {
		tio := newHost(t, nil)
		files := []string{f.path("signed.p7m"), f.path("lonely.p7s"), f.path("noise.pdf")}
		code := run(context.Background(), append([]string{"validate", "--config", f.config, "--at", f.at, "--json"}, files...), tio.h)
		if code != 3 {
			t.Fatalf("exit %d: %s", code, tio.stderr)
		}
		sc := bufio.NewScanner(strings.NewReader(tio.stdout.String()))
		var lines []map[string]any
		for sc.Scan() {
			var m map[string]any
			if err := json.Unmarshal(sc.Bytes(), &m); err != nil {
				t.Fatalf("line %q: %v", sc.Text(), err)
			}
			lines = append(lines, m)
		}
		if len(lines) != 3 {
			t.Fatalf("%d lines: %s", len(lines), tio.stdout)
		}
		for i, m := range lines {
			if m["file"] != files[i] {
				t.Errorf("line %d file %v", i, m["file"])
			}
		}
		if lines[1]["indication"] != "INDETERMINATE" || lines[2]["error"].(map[string]any)["code"] != "malformed_document" {
			t.Errorf("lines %v", lines)
		}
	})
}

func TestValidateCommandUsage(t *testing.T) {
	f := newValidateFixture(t)
	emptyTrust := t.TempDir()
	tests := []struct {
		name   string
		args   []string
		stderr string
	}{
		{"no file", []string{"validate", "--config", f.config}, "no FILE"},
		{"bad --at", []string{"validate", "--config", f.config, "--at", "yesterday", f.path("signed.p7m")}, "--at"},
		{"--at in the future", []string{"validate", "--config", f.config, "--at", "2999-01-01", f.path("signed.p7m")}, "future"},
		{"unknown flag", []string{"validate", "--bogus", f.path("signed.p7m")}, "bogus"},
		{"bad config", []string{"validate", "--config", f.path("signed.p7m"), f.path("signed.p7m")}, "lienthong:"},
		{"built-in default without roots never fetches", []string{"validate", "--trust-dir", emptyTrust, f.path("signed.p7m")}, "holds no official root"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			tio := newHost(t, nil)
			if code := run(context.Background(), tc.args, tio.h); code != 3 {
				t.Fatalf("exit %d, want 3: %s", code, tio.stderr)
			}
			if !strings.Contains(tio.stderr.String(), tc.stderr) {
				t.Errorf("stderr lacks %q: %s", tc.stderr, tio.stderr)
			}
		})
	}
	if entries, _ := os.ReadDir(emptyTrust); len(entries) != 0 {
		t.Errorf("validate wrote into the trust folder: %v", entries)
	}
}
