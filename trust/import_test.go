package trust_test

import (
	"crypto/x509"
	"crypto/x509/pkix"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"testing"

	"github.com/lienthong/lienthong/trust"
)

func pinOf(name string, h trust.Hierarchy, c *x509.Certificate, urls ...string) trust.Pin {
	return trust.Pin{Name: name, Subject: c.Subject.CommonName, Hierarchy: h, SHA256: fpHex(c), URLs: urls, Note: "generated in test"}
}

func inputsOf(t *testing.T, files ...vnReal) []trust.Input {
	t.Helper()
	out := make([]trust.Input, len(files))
	for i, f := range files {
		out[i] = trust.Input{Name: f.file, Data: pemOf(f.cert)}
	}
	return out
}

// dirFiles lists the regular files of dir/sub (nil if absent).
func dirFiles(t *testing.T, dir, sub string) []string {
	t.Helper()
	es, err := os.ReadDir(filepath.Join(dir, sub))
	if os.IsNotExist(err) {
		return nil
	}
	if err != nil {
		t.Fatal(err)
	}
	var out []string
	for _, e := range es {
		out = append(out, e.Name())
	}
	sort.Strings(out)
	return out
}

func keptNames(ks []trust.Kept) []string {
	var out []string
	for _, k := range ks {
		out = append(out, k.Name)
	}
	sort.Strings(out)
	return out
}

func refusedBy(rs []trust.Refusal) map[string][]trust.Refusal {
	out := map[string][]trust.Refusal{}
	for _, r := range rs {
		out[r.Source] = append(out[r.Source], r)
	}
	return out
}

// TestImportRealCertificates imports every real certificate (roots, sub-CAs,
// look-alikes and end entities) into an empty trust folder with the built-in
// pins, then reads the folder back into a store.
func TestImportRealCertificates(t *testing.T) {
	cas := loadVNReal(t, "*.pem")
	neg := loadVNReal(t, "samples/negative/*.pem")
	ees := loadVNReal(t, "samples/ee-certs/*.pem")
	var pinned, subs []vnReal
	for _, r := range cas {
		if _, ok := trust.PinFor(trust.Pins, fp(r.cert)); ok {
			pinned = append(pinned, r)
		} else {
			subs = append(subs, r)
		}
	}
	if len(pinned) != 10 {
		t.Fatalf("%d pinned roots among the vn-real files, want 10", len(pinned))
	}
	dir := t.TempDir()
	f := trust.Folder{Dir: dir, Pins: trust.Pins}
	inputs := inputsOf(t, append(append(append([]vnReal(nil), cas...), neg...), ees...)...)
	res, err := f.Import(inputs)
	if err != nil {
		t.Fatalf("Import: %v", err)
	}
	refused := refusedBy(res.Refused)

	var wantSubs []string
	for _, s := range subs {
		wantSubs = append(wantSubs, fpHex(s.cert))
	}
	sort.Strings(wantSubs)

	tests := []struct {
		name string
		run  func(t *testing.T)
	}{
		{"all ten pinned roots kept", func(t *testing.T) {
			var want []string
			for _, p := range trust.Pins {
				want = append(want, p.Name)
			}
			sort.Strings(want)
			if got := keptNames(res.Roots); strings.Join(got, " ") != strings.Join(want, " ") {
				t.Errorf("roots kept = %v, want %v", got, want)
			}
			for _, k := range res.Roots {
				p, _ := trust.PinFor(trust.Pins, mustFP(t, k.SHA256))
				if p.Name != k.Name || !strings.HasSuffix(k.Source, ".pem") {
					t.Errorf("root %s: pin %s, source %q", k.Name, p.Name, k.Source)
				}
			}
			var files []string
			for _, n := range want {
				files = append(files, n+".pem")
			}
			sort.Strings(files)
			if got := dirFiles(t, dir, trust.RootsDir); strings.Join(got, " ") != strings.Join(files, " ") {
				t.Errorf("roots/ = %v, want %v", got, files)
			}
		}},
		{"every sub-CA chaining to a pinned root kept as intermediate", func(t *testing.T) {
			if got := keptNames(res.Intermediates); strings.Join(got, " ") != strings.Join(wantSubs, " ") {
				t.Errorf("intermediates kept: %d, want %d", len(got), len(wantSubs))
				for _, s := range subs {
					if len(refused[s.file]) > 0 {
						t.Errorf("  %s refused: %s", s.file, refused[s.file][0].Reason)
					}
				}
			}
			for _, prefix := range []string{"vgca-subca-g1-co-quan-chung-thuc-so-bo-tai-chinh", "vnpt-ca-sha2-2024", "neac-vietnam-national-ca-lta", "vgca-ca-phuc-vu-cac-co-quan-dang-g2", "viettel-ca-sha1-2015"} {
				s := vnRealByPrefix(t, subs, prefix)
				found := false
				for _, k := range res.Intermediates {
					if k.SHA256 == fpHex(s.cert) && k.Source == s.file && k.Name == k.SHA256 {
						found = true
					}
				}
				if !found {
					t.Errorf("%s not kept as intermediate", s.file)
				}
			}
			var files []string
			for _, h := range wantSubs {
				files = append(files, h+".pem")
			}
			if got := dirFiles(t, dir, trust.IntermediatesDir); strings.Join(got, " ") != strings.Join(files, " ") {
				t.Errorf("intermediates/ holds %d files, want %d", len(got), len(files))
			}
		}},
		{"both look-alikes refused as look-alikes", func(t *testing.T) {
			for _, n := range neg {
				rs := refused[n.file]
				if len(rs) != 1 {
					t.Errorf("%s: %d refusals, want 1", n.file, len(rs))
					continue
				}
				if r := rs[0]; !strings.Contains(strings.ToLower(r.Reason), "look-alike") || r.SHA256 != fpHex(n.cert) {
					t.Errorf("%s: reason %q, sha256 %s", n.file, r.Reason, r.SHA256)
				}
			}
			mic := vnRealByPrefix(t, neg, "LOOKALIKE-mic-national-root-ca")
			if r := refused[mic.file]; len(r) == 1 && (!strings.Contains(r[0].Reason, "LOOK-ALIKE") || !strings.Contains(r[0].Reason, "micnrca")) {
				t.Errorf("%s: reason %q should name the pin micnrca", mic.file, r[0].Reason)
			}
		}},
		{"end-entity certificates refused", func(t *testing.T) {
			for _, e := range ees {
				rs := refused[e.file]
				if len(rs) != 1 || !strings.Contains(rs[0].Reason, "not a CA") {
					t.Errorf("%s: refusals %d, want one saying not a CA", e.file, len(rs))
				}
			}
		}},
		{"nothing else refused", func(t *testing.T) {
			if got, want := len(res.Refused), len(neg)+len(ees); got != want {
				t.Errorf("%d refusals, want %d", got, want)
			}
		}},
		{"folder reads back into a store", func(t *testing.T) {
			st, err := f.Read()
			if err != nil {
				t.Fatal(err)
			}
			if len(st.Roots) != 10 || len(st.Intermediates) != len(subs) || len(st.Ignored) != 0 {
				t.Fatalf("Read: %d roots, %d intermediates, %d ignored; want 10, %d, 0", len(st.Roots), len(st.Intermediates), len(st.Ignored), len(subs))
			}
			specs := st.DomainSpecs(trust.Pins)
			if len(specs) != 2 {
				t.Fatalf("%d domain specs, want 2", len(specs))
			}
			wantSpecs := []struct {
				name    string
				h       trust.Hierarchy
				anchors int
				prefix  string // file-name prefix of its intermediates
			}{{"public", trust.Public, 8, ""}, {"government", trust.Government, 2, "vgca-"}}
			for i, w := range wantSpecs {
				sp := specs[i]
				if sp.Name != w.name || sp.Hierarchy != w.h || len(sp.Anchors) != w.anchors {
					t.Errorf("spec %d: %s %s with %d anchors; want %s %s with %d", i, sp.Name, sp.Hierarchy, len(sp.Anchors), w.name, w.h, w.anchors)
				}
				wantInter := 0
				for _, s := range subs {
					if strings.HasPrefix(s.file, "vgca-") == (w.prefix != "") {
						wantInter++
					}
				}
				if len(sp.Intermediates) != wantInter {
					t.Errorf("spec %s: %d intermediates, want %d", sp.Name, len(sp.Intermediates), wantInter)
				}
			}
			s, err := trust.New(specs, nil)
			if err != nil {
				t.Fatalf("New: %v", err)
			}
			if s.Len() != len(cas) {
				t.Errorf("store Len = %d, want %d", s.Len(), len(cas))
			}
			for _, n := range neg {
				if s.ByFingerprint(fp(n.cert)) != nil {
					t.Errorf("%s is in the store", n.file)
				}
			}
		}},
		{"importing again changes nothing", func(t *testing.T) {
			before := dirFiles(t, dir, trust.IntermediatesDir)
			res2, err := f.Import(inputs)
			if err != nil {
				t.Fatal(err)
			}
			if len(res2.Roots) != len(res.Roots) || len(res2.Intermediates) != len(res.Intermediates) || len(res2.Refused) != len(res.Refused) {
				t.Errorf("second import: %d/%d/%d, first %d/%d/%d", len(res2.Roots), len(res2.Intermediates), len(res2.Refused), len(res.Roots), len(res.Intermediates), len(res.Refused))
			}
			if after := dirFiles(t, dir, trust.IntermediatesDir); strings.Join(after, " ") != strings.Join(before, " ") {
				t.Error("intermediates/ changed")
			}
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, tt.run)
	}
}

func TestImportRealNegativeOnly(t *testing.T) {
	neg := loadVNReal(t, "samples/negative/*.pem")
	dir := t.TempDir()
	res, err := trust.Folder{Dir: dir, Pins: trust.Pins}.Import(inputsOf(t, neg...))
	if err != nil {
		t.Fatal(err)
	}
	if len(res.Roots) != 0 || len(res.Intermediates) != 0 || len(res.Refused) != len(neg) {
		t.Errorf("kept %d roots, %d intermediates, refused %d; want 0, 0, %d", len(res.Roots), len(res.Intermediates), len(res.Refused), len(neg))
	}
	for _, r := range res.Refused {
		if !strings.Contains(strings.ToLower(r.Reason), "look-alike") {
			t.Errorf("%s: reason %q", r.Source, r.Reason)
		}
	}
	if got := append(dirFiles(t, dir, trust.RootsDir), dirFiles(t, dir, trust.IntermediatesDir)...); len(got) != 0 {
		t.Errorf("files written: %v", got)
	}
	st, err := trust.Folder{Dir: dir, Pins: trust.Pins}.Read()
	if err != nil {
		t.Fatal(err)
	}
	if len(st.Roots) != 0 || st.DomainSpecs(trust.Pins) != nil {
		t.Errorf("an empty folder gives %d roots and specs %v", len(st.Roots), st.DomainSpecs(trust.Pins))
	}
}

// TestImportRealInTwoSteps imports the sub-CAs after the roots: they chain
// to roots already in the folder.
func TestImportRealInTwoSteps(t *testing.T) {
	cas := loadVNReal(t, "*.pem")
	var roots, subs []vnReal
	for _, r := range cas {
		if _, ok := trust.PinFor(trust.Pins, fp(r.cert)); ok {
			roots = append(roots, r)
		} else {
			subs = append(subs, r)
		}
	}
	f := trust.Folder{Dir: t.TempDir(), Pins: trust.Pins}
	res, err := f.Import(inputsOf(t, subs...))
	if err != nil {
		t.Fatal(err)
	}
	if len(res.Intermediates) != 0 || len(res.Refused) != len(subs) {
		t.Fatalf("sub-CAs without roots: kept %d, refused %d", len(res.Intermediates), len(res.Refused))
	}
	for _, r := range res.Refused {
		if !strings.Contains(r.Reason, "not present") {
			t.Errorf("%s: reason %q should say the root is not present", r.Source, r.Reason)
		}
	}
	if _, err := f.Import(inputsOf(t, roots...)); err != nil {
		t.Fatal(err)
	}
	res, err = f.Import(inputsOf(t, subs...))
	if err != nil {
		t.Fatal(err)
	}
	if len(res.Intermediates) != len(subs) || len(res.Refused) != 0 {
		t.Errorf("sub-CAs after roots: kept %d, refused %d; want %d, 0", len(res.Intermediates), len(res.Refused), len(subs))
	}
}

// genPKI is a small generated PKI with two pinned roots.
type genPKI struct {
	pub, gov, unpinned, lookalike     *tcert
	pubSub, pubSubSub, govSub, ee     *tcert
	unpinnedSub, lookalikeSub, pubEE2 *tcert
	pins                              []trust.Pin
}

func newGenPKI(t *testing.T) *genPKI {
	t.Helper()
	g := &genPKI{}
	pubName := pkix.Name{CommonName: "Gen National Root CA", Organization: []string{"Gen NEAC"}, Country: []string{"VN"}}
	g.pub = mkCert(t, certSpec{subject: &pubName})
	g.gov = root(t, "Gen RootCA chuyên dùng")
	g.unpinned = root(t, "Gen Unpinned Root")
	g.lookalike = mkCert(t, certSpec{subject: &pubName}) // same DER name, other key
	g.pubSub = subCA(t, "Gen Sub CA", g.pub)
	g.pubSubSub = subCA(t, "Gen Sub Sub CA", g.pubSub)
	g.govSub = subCA(t, "Gen Gov Sub CA", g.gov)
	g.ee = leaf(t, "Gen End Entity", g.pubSubSub)
	g.pubEE2 = leaf(t, "Gen End Entity 2", g.pub)
	g.unpinnedSub = subCA(t, "Gen Unpinned Sub CA", g.unpinned)
	g.lookalikeSub = subCA(t, "Gen Sub CA", g.lookalike) // names the real root as issuer
	g.pins = []trust.Pin{pinOf("gen-public", trust.Public, g.pub.cert), pinOf("gen-gov", trust.Government, g.gov.cert)}
	return g
}

func TestImport(t *testing.T) {
	g := newGenPKI(t)
	tests := []struct {
		name     string
		inputs   func() []trust.Input
		roots    []string
		inter    []*x509.Certificate
		refused  map[string]string // input name → part of the reason
		setupDir func(t *testing.T, dir string)
	}{
		{
			name: "PKCS#7 bundle, sub-CAs before their issuer",
			inputs: func() []trust.Input {
				return []trust.Input{{Name: "bundle.p7b", Data: p7(t, g.pubSubSub.cert, g.ee.cert, g.pubSub.cert, g.pub.cert)}}
			},
			roots:   []string{"gen-public"},
			inter:   []*x509.Certificate{g.pubSubSub.cert, g.pubSub.cert},
			refused: map[string]string{"bundle.p7b": "not a CA"},
		},
		{
			name: "PEM bundle of both hierarchies",
			inputs: func() []trust.Input {
				return []trust.Input{
					{Name: "gov.pem", Data: pemOf(g.govSub.cert, g.gov.cert)},
					{Name: "pub.der", Data: g.pub.cert.Raw},
					{Name: "sub.cer", Data: wrap76(g.pubSub.cert.Raw)},
				}
			},
			roots: []string{"gen-gov", "gen-public"},
			inter: []*x509.Certificate{g.govSub.cert, g.pubSub.cert},
		},
		{
			name: "look-alike root and its sub-CA",
			inputs: func() []trust.Input {
				return []trust.Input{
					{Name: "real.pem", Data: pemOf(g.pub.cert)},
					{Name: "fake-root.pem", Data: pemOf(g.lookalike.cert)},
					{Name: "fake-sub.pem", Data: pemOf(g.lookalikeSub.cert)},
				}
			},
			roots:   []string{"gen-public"},
			refused: map[string]string{"fake-root.pem": "LOOK-ALIKE", "fake-sub.pem": "look-alike"},
		},
		{
			name: "unpinned root and its sub-CA",
			inputs: func() []trust.Input {
				return []trust.Input{{Name: "other.pem", Data: pemOf(g.unpinned.cert)}, {Name: "other-sub.pem", Data: pemOf(g.unpinnedSub.cert)}}
			},
			refused: map[string]string{"other.pem": "not in the pinned list", "other-sub.pem": "does not chain by signature"},
		},
		{
			name: "end entities",
			inputs: func() []trust.Input {
				return []trust.Input{{Name: "ee.pem", Data: pemOf(g.pubEE2.cert)}, {Name: "root.pem", Data: pemOf(g.pub.cert)}}
			},
			roots:   []string{"gen-public"},
			refused: map[string]string{"ee.pem": "not a CA"},
		},
		{
			name: "unreadable input",
			inputs: func() []trust.Input {
				return []trust.Input{{Name: "junk.pem", Data: []byte("junk")}, {Name: "root.pem", Data: pemOf(g.pub.cert)}}
			},
			roots:   []string{"gen-public"},
			refused: map[string]string{"junk.pem": "unreadable"},
		},
		{
			name: "duplicates across inputs are handled once",
			inputs: func() []trust.Input {
				return []trust.Input{
					{Name: "a.pem", Data: pemOf(g.pub.cert, g.pubSub.cert, g.pubEE2.cert)},
					{Name: "b.p7b", Data: p7(t, g.pubSub.cert, g.pub.cert, g.pubEE2.cert)},
				}
			},
			roots:   []string{"gen-public"},
			inter:   []*x509.Certificate{g.pubSub.cert},
			refused: map[string]string{"a.pem": "not a CA"},
		},
		{
			name: "sub-CA of a root already in the folder",
			setupDir: func(t *testing.T, dir string) {
				writeFile(t, filepath.Join(dir, trust.RootsDir, "gen-public.pem"), pemOf(g.pub.cert))
			},
			inputs: func() []trust.Input {
				return []trust.Input{{Name: "sub.pem", Data: pemOf(g.pubSub.cert)}}
			},
			inter: []*x509.Certificate{g.pubSub.cert},
		},
		{
			name: "sub-CA of an intermediate already in the folder",
			setupDir: func(t *testing.T, dir string) {
				writeFile(t, filepath.Join(dir, trust.RootsDir, "gen-public.pem"), pemOf(g.pub.cert))
				writeFile(t, filepath.Join(dir, trust.IntermediatesDir, fpHex(g.pubSub.cert)+".pem"), pemOf(g.pubSub.cert))
			},
			inputs: func() []trust.Input {
				return []trust.Input{{Name: "subsub.pem", Data: pemOf(g.pubSubSub.cert)}}
			},
			inter: []*x509.Certificate{g.pubSubSub.cert},
		},
		{
			name: "a pinned root planted under the wrong file name still counts",
			setupDir: func(t *testing.T, dir string) {
				writeFile(t, filepath.Join(dir, trust.RootsDir, "whatever.crt"), g.pub.cert.Raw)
			},
			inputs: func() []trust.Input {
				return []trust.Input{{Name: "sub.pem", Data: pemOf(g.pubSub.cert)}}
			},
			inter: []*x509.Certificate{g.pubSub.cert},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			dir := t.TempDir()
			if tt.setupDir != nil {
				tt.setupDir(t, dir)
			}
			f := trust.Folder{Dir: dir, Pins: g.pins}
			res, err := f.Import(tt.inputs())
			if err != nil {
				t.Fatalf("Import: %v", err)
			}
			if got := keptNames(res.Roots); strings.Join(got, ",") != strings.Join(tt.roots, ",") {
				t.Errorf("roots kept = %v, want %v", got, tt.roots)
			}
			for _, n := range tt.roots {
				cs, err := trust.ReadFile(filepath.Join(dir, trust.RootsDir, n+".pem"))
				if err != nil || len(cs) != 1 {
					t.Errorf("roots/%s.pem: %d certificates, %v", n, len(cs), err)
				}
			}
			var wantInter []string
			for _, c := range tt.inter {
				wantInter = append(wantInter, fpHex(c))
			}
			sort.Strings(wantInter)
			if got := keptNames(res.Intermediates); strings.Join(got, ",") != strings.Join(wantInter, ",") {
				t.Errorf("intermediates kept = %v, want %v", got, wantInter)
			}
			for _, h := range wantInter {
				if _, err := os.Stat(filepath.Join(dir, trust.IntermediatesDir, h+".pem")); err != nil {
					t.Errorf("intermediate file: %v", err)
				}
			}
			refused := refusedBy(res.Refused)
			if len(refused) != len(tt.refused) {
				t.Errorf("refused from %d inputs, want %d: %v", len(refused), len(tt.refused), res.Refused)
			}
			for src, want := range tt.refused {
				rs := refused[src]
				if len(rs) != 1 || !strings.Contains(rs[0].Reason, want) {
					t.Errorf("%s: refusals %v, want one containing %q", src, rs, want)
				}
			}
			// Nothing refused was written, and the folder reads back.
			st, err := f.Read()
			if err != nil {
				t.Fatal(err)
			}
			if len(st.Ignored) != 0 {
				t.Errorf("Read ignored %v", st.Ignored)
			}
			for _, c := range []*x509.Certificate{g.lookalike.cert, g.lookalikeSub.cert, g.unpinned.cert, g.unpinnedSub.cert, g.ee.cert, g.pubEE2.cert} {
				if _, err := os.Stat(filepath.Join(dir, trust.IntermediatesDir, fpHex(c)+".pem")); err == nil {
					t.Errorf("%s was written", c.Subject.CommonName)
				}
			}
		})
	}
}

func TestImportFolderNotWritable(t *testing.T) {
	g := newGenPKI(t)
	dir := t.TempDir()
	file := filepath.Join(dir, "file")
	writeFile(t, file, []byte("a file, not a folder"))
	_, err := trust.Folder{Dir: file, Pins: g.pins}.Import([]trust.Input{{Name: "root.pem", Data: pemOf(g.pub.cert)}})
	if err == nil {
		t.Error("Import into a folder that cannot exist succeeded")
	}
}

func TestFolderRead(t *testing.T) {
	g := newGenPKI(t)
	dir := t.TempDir()
	roots := filepath.Join(dir, trust.RootsDir)
	inter := filepath.Join(dir, trust.IntermediatesDir)
	writeFile(t, filepath.Join(roots, "gen-public.pem"), pemOf(g.pub.cert))
	writeFile(t, filepath.Join(roots, "gen-gov.der"), g.gov.cert.Raw)
	writeFile(t, filepath.Join(roots, "stray.pem"), pemOf(g.unpinned.cert))
	writeFile(t, filepath.Join(roots, "lookalike.pem"), pemOf(g.lookalike.cert))
	writeFile(t, filepath.Join(roots, "broken.pem"), []byte("broken"))
	writeFile(t, filepath.Join(roots, ".tmp-123"), []byte("half-written"))
	writeFile(t, filepath.Join(roots, "sub", "x.pem"), pemOf(g.unpinned.cert))
	writeFile(t, filepath.Join(inter, "pubsubsub.pem"), pemOf(g.pubSubSub.cert)) // sorts before its issuer
	writeFile(t, filepath.Join(inter, "pubsub.pem"), pemOf(g.pubSub.cert))
	writeFile(t, filepath.Join(inter, "govsub.pem"), pemOf(g.govSub.cert))
	writeFile(t, filepath.Join(inter, "unchained.pem"), pemOf(g.unpinnedSub.cert))
	writeFile(t, filepath.Join(inter, "lookalike-sub.pem"), pemOf(g.lookalikeSub.cert))
	writeFile(t, filepath.Join(inter, "ee.pem"), pemOf(g.pubEE2.cert))

	st, err := trust.Folder{Dir: dir, Pins: g.pins}.Read()
	if err != nil {
		t.Fatal(err)
	}
	t.Run("roots by pin", func(t *testing.T) {
		if len(st.Roots) != 2 || st.Roots["gen-public"] == nil || st.Roots["gen-gov"] == nil {
			t.Fatalf("Roots = %v", st.Roots)
		}
		if !st.Roots["gen-public"].Equal(g.pub.cert) || !st.Roots["gen-gov"].Equal(g.gov.cert) {
			t.Error("wrong certificate under a pin name")
		}
	})
	t.Run("intermediates that chain", func(t *testing.T) {
		var got []string
		for _, c := range st.Intermediates {
			got = append(got, c.Subject.CommonName)
		}
		sort.Strings(got)
		want := []string{"Gen Gov Sub CA", "Gen Sub CA", "Gen Sub Sub CA"}
		if strings.Join(got, ",") != strings.Join(want, ",") {
			t.Errorf("Intermediates = %v, want %v", got, want)
		}
		for _, c := range st.Intermediates {
			if c.Equal(g.lookalikeSub.cert) {
				t.Error("the look-alike's sub-CA (same name as a real sub-CA) was kept")
			}
		}
	})
	t.Run("ignored with reasons", func(t *testing.T) {
		want := map[string]string{
			filepath.Join(roots, "stray.pem"):         "not a pinned root",
			filepath.Join(roots, "lookalike.pem"):     "not a pinned root",
			filepath.Join(roots, "broken.pem"):        "broken.pem",
			filepath.Join(inter, "unchained.pem"):     "does not chain",
			filepath.Join(inter, "lookalike-sub.pem"): "does not chain",
			filepath.Join(inter, "ee.pem"):            "does not chain",
		}
		got := refusedBy(st.Ignored)
		if len(got) != len(want) {
			t.Errorf("Ignored = %v", st.Ignored)
		}
		for src, reason := range want {
			if rs := got[src]; len(rs) != 1 || !strings.Contains(rs[0].Reason, reason) {
				t.Errorf("%s: %v, want one refusal containing %q", filepath.Base(src), rs, reason)
			}
		}
		if r := got[filepath.Join(roots, "stray.pem")]; len(r) == 1 && (r[0].SHA256 != fpHex(g.unpinned.cert) || r[0].Subject == "") {
			t.Errorf("refusal %v lacks subject or fingerprint", r[0])
		}
		if !strings.Contains(got[filepath.Join(roots, "stray.pem")][0].String(), fpHex(g.unpinned.cert)) {
			t.Error("Refusal.String does not show the fingerprint")
		}
	})
	t.Run("domain specs", func(t *testing.T) {
		specs := st.DomainSpecs(g.pins)
		if len(specs) != 2 {
			t.Fatalf("%d specs", len(specs))
		}
		if specs[0].Name != "public" || specs[0].Hierarchy != trust.Public || len(specs[0].Anchors) != 1 || len(specs[0].Intermediates) != 2 {
			t.Errorf("public spec: %s %s %d anchors %d intermediates", specs[0].Name, specs[0].Hierarchy, len(specs[0].Anchors), len(specs[0].Intermediates))
		}
		if specs[1].Name != "government" || specs[1].Hierarchy != trust.Government || len(specs[1].Anchors) != 1 || len(specs[1].Intermediates) != 1 || !specs[1].Intermediates[0].Equal(g.govSub.cert) {
			t.Errorf("government spec: %s %s %d anchors %d intermediates", specs[1].Name, specs[1].Hierarchy, len(specs[1].Anchors), len(specs[1].Intermediates))
		}
		if _, err := trust.New(specs, nil); err != nil {
			t.Errorf("New: %v", err)
		}
		// Only the public pin: no government domain.
		if specs := st.DomainSpecs(g.pins[:1]); len(specs) != 1 || specs[0].Name != "public" {
			t.Errorf("specs with the public pin only: %d", len(specs))
		}
	})
	t.Run("missing folder is empty", func(t *testing.T) {
		st, err := trust.Folder{Dir: filepath.Join(dir, "nowhere"), Pins: g.pins}.Read()
		if err != nil || len(st.Roots) != 0 || len(st.Intermediates) != 0 || len(st.Ignored) != 0 {
			t.Errorf("Read = %v, %v", st, err)
		}
	})
}
