package main

import (
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"github.com/lienthong/lienthong/test/shared"
	"github.com/lienthong/lienthong/trust"
)

// realCerts returns the CA certificates of shared/testdata/vn-real (roots
// of both hierarchies and their sub-CAs).
func realCerts(t *testing.T) []string {
	t.Helper()
	files, err := filepath.Glob(filepath.Join(shared.Path(t, "vn-real"), "*.pem"))
	if err != nil || len(files) == 0 {
		t.Fatalf("no certificates in vn-real: %v", err)
	}
	return files
}

// importReal fills dir with the real roots and sub-CAs.
func importReal(t *testing.T, dir string) {
	t.Helper()
	tio := newHost(t, nil)
	args := append([]string{"trust", "import", "--trust-dir", dir}, realCerts(t)...)
	if code := run(t.Context(), args, tio.h); code != exitOK {
		t.Fatalf("trust import: exit %d\n%s\n%s", code, tio.stdout, tio.stderr)
	}
}

func TestTrustImportRealRootsFillsBothHierarchies(t *testing.T) {
	dir := t.TempDir()
	tio := newHost(t, nil)
	args := append([]string{"trust", "import", "--trust-dir", dir}, realCerts(t)...)
	if code := run(t.Context(), args, tio.h); code != exitOK {
		t.Fatalf("exit %d\n%s\n%s", code, tio.stdout, tio.stderr)
	}
	out := tio.stdout.String()
	if !strings.Contains(out, "Kept roots (10)") || strings.Contains(out, "Kept intermediates (0)") {
		t.Errorf("import output:\n%s", out)
	}

	list := newHost(t, map[string]string{"LIENTHONG_TRUST_DIR": dir})
	if code := run(t.Context(), []string{"trust"}, list.h); code != exitOK {
		t.Fatalf("trust: exit %d\n%s", code, list.stderr)
	}
	table := list.stdout.String()
	for _, p := range trust.Pins {
		line := regexp.MustCompile(`(?m)^` + regexp.QuoteMeta(p.Name) + `\s+` + string(p.Hierarchy) + `\s.*\s(present|missing)\s`).FindStringSubmatch(table)
		if line == nil || line[1] != "present" {
			t.Errorf("pin %s (%s) not listed as present:\n%s", p.Name, p.Hierarchy, table)
		}
	}
	if !regexp.MustCompile(`intermediates: \d+ \(public [1-9]\d*, government [1-9]\d*\)`).MatchString(table) {
		t.Errorf("intermediate counts missing:\n%s", table)
	}

	// A second import of a sub-CA alone stores it but exits 1: DESIGN.md
	// says 0 only when a root was kept.
	again := newHost(t, nil)
	sub := filepath.Join(shared.Path(t, "vn-real"), "vnpt-ca-sha2-2024.pem")
	if code := run(t.Context(), []string{"trust", "import", sub, "--trust-dir", dir}, again.h); code != exitFailure ||
		!strings.Contains(again.stdout.String(), "Kept intermediates (1)") {
		t.Errorf("importing an intermediate into a filled folder: exit %d, want 1 with the sub-CA stored\n%s", code, again.stdout)
	}
}

func TestTrustImportRefusesLookAlikes(t *testing.T) {
	neg, err := filepath.Glob(filepath.Join(shared.Path(t, "vn-real", "samples", "negative"), "*.pem"))
	if err != nil || len(neg) == 0 {
		t.Fatalf("no look-alikes: %v", err)
	}
	dir := t.TempDir()
	tio := newHost(t, nil)
	code := run(t.Context(), append([]string{"trust", "import", "--trust-dir", dir}, neg...), tio.h)
	out := tio.stdout.String()
	if code != exitFailure {
		t.Errorf("exit %d, want 1\n%s", code, out)
	}
	if !strings.Contains(strings.ToLower(out), "look-alike") || !strings.Contains(out, "LOOK-ALIKE") {
		t.Errorf("refusals do not name the look-alikes:\n%s", out)
	}
	if !strings.Contains(out, "Kept roots (0)") || !strings.Contains(out, "Refused (2)") {
		t.Errorf("output:\n%s", out)
	}
	if entries, _ := os.ReadDir(filepath.Join(dir, trust.RootsDir)); len(entries) != 0 {
		t.Errorf("look-alike stored: %v", entries)
	}
}

func TestTrustImportArguments(t *testing.T) {
	root := filepath.Join(shared.Path(t, "vn-real"), "neac-vietnam-national-root-ca-sha256-2014.pem")
	tests := []struct {
		name string
		args []string
		code int
		out  string
	}{
		{"missing file is a refusal", []string{"missing.pem", root}, exitOK, "missing.pem: open missing.pem"},
		{"only a missing file", []string{"missing.pem"}, exitFailure, "Refused (1)"},
		{"a directory", []string{t.TempDir()}, exitFailure, "is a directory"},
		{"no file", nil, exitUsage, ""},
		{"bad flag", []string{"--nope", root}, exitUsage, ""},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			tio := newHost(t, nil)
			args := append([]string{"trust", "import", "--trust-dir", t.TempDir()}, tc.args...)
			if code := run(t.Context(), args, tio.h); code != tc.code {
				t.Errorf("exit %d, want %d\n%s\n%s", code, tc.code, tio.stdout, tio.stderr)
			}
			if !strings.Contains(tio.stdout.String(), tc.out) {
				t.Errorf("output lacks %q:\n%s", tc.out, tio.stdout)
			}
		})
	}
}

func TestTrustFetch(t *testing.T) {
	vn := shared.Path(t, "vn-real")
	t.Run("keeps the pinned roots served", func(t *testing.T) {
		dir := t.TempDir()
		tio := newHost(t, nil)
		tio.h.Client = serving(map[string]string{
			"https://rootca.gov.vn/crt/vnrca256.p7b": filepath.Join(vn, "neac-vietnam-national-root-ca-sha256-2014.pem"),
			// the first address of G2 fails, the second serves it
			"http://ca.dcs.vn/pki/pub/crt/rootcag2.crt": filepath.Join(vn, "vgca-rootca-chuyen-dung-chinh-phu-g2.pem"),
			// a wrong certificate at a pinned address is refused
			"https://rootca.gov.vn/crt/vnrca-g3.p7b": filepath.Join(vn, "vnpt-ca-sha2-2024.pem"),
		})
		if code := run(t.Context(), []string{"trust", "fetch", "--trust-dir", dir}, tio.h); code != exitOK {
			t.Fatalf("exit %d\n%s\n%s", code, tio.stdout, tio.stderr)
		}
		out := tio.stdout.String()
		for _, want := range []string{"Kept roots (2)", "vnrca256", "vgca-rootca-g2", "does not match the pin", "HTTP 404"} {
			if !strings.Contains(out, want) {
				t.Errorf("output lacks %q:\n%s", want, out)
			}
		}
		// Offline now, but the folder holds roots: still 0.
		again := newHost(t, nil)
		if code := run(t.Context(), []string{"trust", "fetch", "--trust-dir", dir}, again.h); code != exitOK {
			t.Errorf("offline fetch into a filled folder: exit %d", code)
		}
	})
	t.Run("offline into an empty folder", func(t *testing.T) {
		tio := newHost(t, nil)
		if code := run(t.Context(), []string{"trust", "fetch", "--trust-dir", t.TempDir()}, tio.h); code != exitFailure {
			t.Fatalf("exit %d, want 1", code)
		}
		if !strings.Contains(tio.stdout.String(), "network disabled in tests") || !strings.Contains(tio.stderr.String(), "trust import") {
			t.Errorf("stdout:\n%s\nstderr:\n%s", tio.stdout, tio.stderr)
		}
	})
}

func TestTrustListWithConfig(t *testing.T) {
	dir := t.TempDir()
	pub, gov, cross := newCA(t, "List Public Root"), newCA(t, "List Government Root"), newCA(t, "List Cross CA")
	inter := newCA(t, "List Public Sub CA")
	writePEM(t, filepath.Join(dir, "pub.pem"), pub)
	writePEM(t, filepath.Join(dir, "gov.pem"), gov)
	writePEM(t, filepath.Join(dir, "ca", "sub.pem"), inter)
	writePEM(t, filepath.Join(dir, "cross.pem"), cross)
	cfg := filepath.Join(dir, "lienthong.yaml")
	writeFile(t, cfg, []byte(`domains:
  - {name: public, hierarchy: public, anchors: [pub.pem], intermediates: ["ca/*.pem"]}
  - {name: government, hierarchy: government, anchors: [gov.pem]}
cross_certificates: [cross.pem]
`))
	tio := newHost(t, nil)
	if code := run(t.Context(), []string{"trust", "--config", cfg}, tio.h); code != exitOK {
		t.Fatalf("exit %d\n%s", code, tio.stderr)
	}
	out := tio.stdout.String()
	for _, want := range []string{
		`(?m)^trust store sha256:[0-9a-f]{64}: 2 domains, 4 certificates$`,
		`(?m)^public\s+public\s+anchor\s+CN=List Public Root,C=VN\s+[0-9a-f]{64}\s+2024-01-01 → 2044-01-01$`,
		`(?m)^public\s+public\s+intermediate\s+CN=List Public Sub CA`,
		`(?m)^government\s+government\s+anchor\s+CN=List Government Root`,
		`(?m)^-\s+-\s+cross\s+CN=List Cross CA`,
	} {
		if !regexp.MustCompile(want).MatchString(out) {
			t.Errorf("output does not match %s:\n%s", want, out)
		}
	}

	bad := newHost(t, nil)
	writeFile(t, filepath.Join(dir, "gov.pem"), []byte("not a certificate"))
	if code := run(t.Context(), []string{"trust", "--config", cfg}, bad.h); code != exitStartup {
		t.Errorf("broken anchor file: exit %d, want 2", code)
	}
	if !strings.Contains(bad.stderr.String(), "gov.pem") {
		t.Errorf("error does not name the file: %s", bad.stderr)
	}
}
