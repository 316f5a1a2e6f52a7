// Package vnreal runs the validate path engine on real Vietnamese CA
// certificates and end-entity certificates from shared/testdata/vn-real
// (read there, never copied into the repository).
//
// Several of those certificates carry personal data of real people: the
// tests log file names, fingerprints and indications only, never subjects.
package vnreal

import (
	"context"
	"crypto/x509"
	"errors"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/lienthong/lienthong/test/shared"
	"github.com/lienthong/lienthong/trust"
	"github.com/lienthong/lienthong/validate"
)

// sha1Until is the config default of algorithms.sha1_until.
var sha1Until = time.Date(2030, 12, 31, 23, 59, 59, 0, time.UTC)

// Anchors of the two domains, by file name in vn-real/.
var (
	publicAnchors = []string{
		"neac-vietnam-national-root-ca-sha256-2014.pem",
		"neac-vietnam-national-root-ca-g3-2024.pem",
		"neac-vietnam-national-root-ca-ema-2026.pem",
		"neac-vietnam-national-root-ca-rs-2025.pem",
		"neac-vietnam-national-root-ca-mobilepki-2025.pem",
		"neac-vietnam-national-root-ca-tsa-2025.pem",
		"neac-vietnam-national-root-ca-usbtoken-2025.pem",
		"neac-mic-national-root-ca-sha1-2008.pem",
	}
	governmentAnchors = []string{
		"vgca-rootca-g1-co-quan-chung-thuc-so-chuyen-dung-chinh-phu-2010.pem",
		"vgca-rootca-chuyen-dung-chinh-phu-g2.pem",
	}
)

// fixture is the data of vn-real loaded once per test.
type fixture struct {
	dir           string
	store         *trust.Store
	intermediates []*x509.Certificate // every CA certificate that is not an anchor
	caFiles       map[*x509.Certificate]string
	anchorFile    map[trust.Fingerprint]string
}

func load(t *testing.T) *fixture {
	t.Helper()
	dir := shared.Path(t, "vn-real")
	f := &fixture{dir: dir, caFiles: map[*x509.Certificate]string{}, anchorFile: map[trust.Fingerprint]string{}}
	anchors := map[string]bool{}
	for _, n := range append(append([]string(nil), publicAnchors...), governmentAnchors...) {
		anchors[n] = true
	}
	files, err := filepath.Glob(filepath.Join(dir, "*.pem"))
	if err != nil || len(files) == 0 {
		t.Fatalf("no CA certificates in %s: %v", dir, err)
	}
	byName := map[string]*x509.Certificate{}
	for _, file := range files {
		c := readOne(t, file)
		name := filepath.Base(file)
		byName[name] = c
		if anchors[name] {
			tc, err := trust.NewCert(c)
			if err != nil {
				t.Fatal(err)
			}
			f.anchorFile[tc.SHA256] = name
			continue
		}
		f.intermediates = append(f.intermediates, c)
		f.caFiles[c] = name
	}
	pick := func(names []string) []*x509.Certificate {
		var out []*x509.Certificate
		for _, n := range names {
			c := byName[n]
			if c == nil {
				t.Fatalf("anchor %s missing from %s", n, dir)
			}
			out = append(out, c)
		}
		return out
	}
	f.store, err = trust.New([]trust.DomainSpec{
		{Name: "public", Hierarchy: trust.Public, Anchors: pick(publicAnchors)},
		{Name: "government", Hierarchy: trust.Government, Anchors: pick(governmentAnchors)},
	}, nil)
	if err != nil {
		t.Fatal(err)
	}
	return f
}

func readOne(t *testing.T, file string) *x509.Certificate {
	t.Helper()
	cs, err := trust.ReadFile(file)
	if err != nil || len(cs) != 1 {
		t.Fatalf("%s: %v (%d certificates)", filepath.Base(file), err, len(cs))
	}
	return cs[0]
}

func engine(t testing.TB, opts validate.Options) *validate.Engine {
	t.Helper()
	if opts.SHA1Until.IsZero() {
		opts.SHA1Until = sha1Until
	}
	e, err := validate.NewEngine(opts, validate.Deps{})
	if err != nil {
		t.Fatal(err)
	}
	return e
}

func midpoint(c *x509.Certificate) time.Time {
	return c.NotBefore.Add(c.NotAfter.Sub(c.NotBefore) / 2)
}

func fp(c *x509.Certificate) string {
	tc, err := trust.NewCert(c)
	if err != nil {
		return "?"
	}
	return tc.SHA256.Hex()[:16]
}

// legacyRSA lets 1024-bit RSA keys through, as a domain serving pre-2020
// archives would have to.
var legacyRSA = map[string]validate.DomainOptions{"public": {MinRSABits: 1024}, "government": {MinRSABits: 1024}}

// TestEndEntities builds and validates every end-entity sample at the
// midpoint of its validity, for document signing with the default EKU set
// and the strict profile.
func TestEndEntities(t *testing.T) {
	f := load(t)
	type want struct {
		domain, anchor string // on success
		sha1           bool   // SHA1_CERTIFICATE_SIGNATURE expected
		profile        bool   // PROFILE_NONCONFORMANCE expected
		sub            validate.SubIndication
	}
	cases := []struct {
		file    string
		domains map[string]validate.DomainOptions
		want    want
	}{
		// Chain complete with the CA certificates of vn-real/.
		{"easyca-ee-person-cmnd-mst-2020.pem", nil, want{domain: "public", anchor: "neac-vietnam-national-root-ca-sha256-2014.pem"}},
		{"fastca-ee-person-cccd-2023.pem", nil, want{domain: "public", anchor: "neac-vietnam-national-root-ca-sha256-2014.pem"}},
		// Its keyUsage asserts keyCertSign without cA (RFC 5280
		// §4.2.1.9): tolerated with a warning by the strict profile.
		{"fpt-ca-ee-org-mst0100231226-tong-cuc-thue-2019-sha1.pem", nil, want{domain: "public", anchor: "neac-mic-national-root-ca-sha1-2008.pem", sha1: true, profile: true}},
		{"viettel-ca-rs-ee-org-mst0107074780-2024.pem", nil, want{domain: "public", anchor: "neac-vietnam-national-root-ca-sha256-2014.pem"}},
		{"vnpt-ca-ee-org-mst0100112437-vietcombank-2017-sha1.pem", nil, want{domain: "public", anchor: "neac-mic-national-root-ca-sha1-2008.pem", sha1: true}},
		{"vnpt-smartca-rs-ee-person-cccd-2025.pem", nil, want{domain: "public", anchor: "neac-vietnam-national-root-ca-sha256-2014.pem"}},
		{"vgca-btc-ee-org-chi-cuc-thue-2019.pem", nil, want{domain: "government", anchor: "vgca-rootca-g1-co-quan-chung-thuc-so-chuyen-dung-chinh-phu-2010.pem", sha1: true}},
		{"vgca-btc-ee-person-tax-official-2021.pem", nil, want{domain: "government", anchor: "vgca-rootca-g1-co-quan-chung-thuc-so-chuyen-dung-chinh-phu-2010.pem", sha1: true}},
		{"vgca-g2-ee-org-cuc-thue-bo-tai-chinh-2025.pem", nil, want{domain: "government", anchor: "vgca-rootca-chuyen-dung-chinh-phu-g2.pem"}},
		{"vgca-g1-cp-ee-TEST-mobile-test-03-2016-sha1.pem", nil, want{domain: "government", anchor: "vgca-rootca-g1-co-quan-chung-thuc-so-chuyen-dung-chinh-phu-2010.pem", sha1: true}},
		// 1024-bit RSA end entities: refused under the default
		// MinRSABits 2048, accepted by a legacy domain setting.
		{"viettel-ca-ee-org-mst0108342249-2018-sha1.pem", nil, want{sub: validate.CryptoConstraintsFailure}},
		{"viettel-ca-ee-org-mst0108342249-2018-sha1.pem", legacyRSA, want{domain: "public", anchor: "neac-mic-national-root-ca-sha1-2008.pem", sha1: true}},
		{"vnpt-ca-ee-org-mst0302345459-2020-sha1.pem", nil, want{sub: validate.CryptoConstraintsFailure}},
		// Issued in 2020 under the VNPT CA key after its 2009-2019
		// certificate expired; the re-issued CA certificate is not in
		// vn-real, so the only path has an expired CA.
		{"vnpt-ca-ee-org-mst0302345459-2020-sha1.pem", legacyRSA, want{sub: validate.OutOfBoundsNoPOE}},
		// Issuer absent from vn-real.
		{"cyberlotus-ca-TEST-tong-cuc-thue-test01-2021.pem", nil, want{sub: validate.NoCertificateChainFound}},
		{"safe-ca-sha256-2020-ee-org-TEST-mst0106324653-2021.pem", nil, want{sub: validate.NoCertificateChainFound}},
		{"smartsign-ee-org-TEST-mst0313032391-2021-rsa1024.pem", nil, want{sub: validate.NoCertificateChainFound}},
		{"viettel-ca-ee-org-mst0105987432-2020-sha1.pem", nil, want{sub: validate.NoCertificateChainFound}},
		{"viettel-ca-sha2-ee-org-mst3502422593-2025.pem", nil, want{sub: validate.NoCertificateChainFound}},
		{"mobileid-test-ee-org-mst0313994173-under-lookalike-fpt-2022.pem", nil, want{sub: validate.NoCertificateChainFound}},
	}
	for _, tc := range cases {
		name := strings.TrimSuffix(tc.file, ".pem")
		if tc.domains != nil {
			name += "/legacy-rsa"
		}
		t.Run(name, func(t *testing.T) {
			leaf := readOne(t, filepath.Join(f.dir, "samples", "ee-certs", tc.file))
			at := midpoint(leaf)
			p, fail := engine(t, validate.Options{Domains: tc.domains}).VerifyPath(context.Background(), f.store,
				validate.PathRequest{Target: leaf, Intermediates: f.intermediates, Time: at})
			if tc.want.sub != "" {
				if fail == nil {
					t.Fatalf("%s (sha256 %s…) at %s: valid path to %s, want %s", tc.file, fp(leaf), at.Format(time.DateOnly), p.Domain.Name, tc.want.sub)
				}
				if fail.SubIndication != tc.want.sub {
					t.Fatalf("%s (sha256 %s…): %s/%s, want %s", tc.file, fp(leaf), fail.Indication, fail.SubIndication, tc.want.sub)
				}
				t.Logf("%s (sha256 %s…) at %s: %s/%s as expected", tc.file, fp(leaf), at.Format(time.DateOnly), fail.Indication, fail.SubIndication)
				return
			}
			if fail != nil {
				t.Fatalf("%s (sha256 %s…) at %s: %s/%s, want a valid path to %s", tc.file, fp(leaf), at.Format(time.DateOnly), fail.Indication, fail.SubIndication, tc.want.domain)
			}
			if p.Domain.Name != tc.want.domain {
				t.Errorf("domain %s, want %s", p.Domain.Name, tc.want.domain)
			}
			anchor := p.Chain[len(p.Chain)-1]
			if got := f.anchorFile[anchor.SHA256]; got != tc.want.anchor {
				t.Errorf("anchor %s, want %s", got, tc.want.anchor)
			}
			if got := hasWarning(p, validate.CodeSHA1CertificateSignature); got != tc.want.sha1 {
				t.Errorf("SHA1_CERTIFICATE_SIGNATURE warning %v, want %v (messages %v)", got, tc.want.sha1, p.Messages)
			}
			if got := hasWarning(p, validate.CodeProfileNonconformance); got != tc.want.profile {
				t.Errorf("PROFILE_NONCONFORMANCE warning %v, want %v", got, tc.want.profile)
			}
			var files []string
			for _, c := range p.Chain[1 : len(p.Chain)-1] {
				files = append(files, f.caFiles[c.X509])
			}
			t.Logf("%s (sha256 %s…) at %s: %s via %v to %s", tc.file, fp(leaf), at.Format(time.DateOnly), p.Domain.Name, files, f.anchorFile[anchor.SHA256])
		})
	}
}

func hasWarning(p *validate.Path, code string) bool {
	for _, m := range p.Messages {
		if m.Code == code && m.Level == validate.LevelWarning {
			return true
		}
	}
	return false
}

// TestSHA1CutOff: the same SHA-1 government chain is refused once the
// validation time reaches algorithms.sha1_until.
func TestSHA1CutOff(t *testing.T) {
	f := load(t)
	leaf := readOne(t, filepath.Join(f.dir, "samples", "ee-certs", "vgca-btc-ee-person-tax-official-2021.pem"))
	at := midpoint(leaf)
	e := engine(t, validate.Options{SHA1Until: at.Add(-time.Hour)})
	_, fail := e.VerifyPath(context.Background(), f.store, validate.PathRequest{Target: leaf, Intermediates: f.intermediates, Time: at})
	if fail == nil || fail.SubIndication != validate.CryptoConstraintsFailure {
		t.Fatalf("got %v, want CRYPTO_CONSTRAINTS_FAILURE", fail)
	}
}

// TestLookAlike: the Mobile-ID test PKI re-uses the names of the real MIC
// root and FPT CA with other keys. Offered with its look-alike chain and
// every real CA certificate, it must never reach a trusted anchor.
func TestLookAlike(t *testing.T) {
	f := load(t)
	neg := filepath.Join(f.dir, "samples", "negative")
	fakeFPT := readOne(t, filepath.Join(neg, "LOOKALIKE-fpt-certification-authority-mobileid-test-2020.pem"))
	fakeMIC := readOne(t, filepath.Join(neg, "LOOKALIKE-mic-national-root-ca-mobileid-test-2019.pem"))
	leaf := readOne(t, filepath.Join(f.dir, "samples", "ee-certs", "mobileid-test-ee-org-mst0313994173-under-lookalike-fpt-2022.pem"))
	pool := append([]*x509.Certificate{fakeFPT, fakeMIC}, f.intermediates...)
	cases := []struct {
		name    string
		target  *x509.Certificate
		purpose validate.Purpose
	}{
		{"mobileid-ee", leaf, validate.PurposeDocumentSigning},
		{"lookalike-fpt-ca", fakeFPT, validate.PurposeAny},
		{"lookalike-mic-root", fakeMIC, validate.PurposeAny},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			for _, at := range []time.Time{midpoint(tc.target), midpoint(fakeFPT)} {
				p, fail := engine(t, validate.Options{}).VerifyPath(context.Background(), f.store,
					validate.PathRequest{Target: tc.target, Intermediates: pool, Time: at, Purpose: tc.purpose})
				if p != nil {
					t.Fatalf("look-alike chain reached anchor %s of domain %s", f.anchorFile[p.Chain[len(p.Chain)-1].SHA256], p.Domain.Name)
				}
				if fail.SubIndication != validate.NoCertificateChainFound {
					t.Fatalf("got %s/%s, want NO_CERTIFICATE_CHAIN_FOUND", fail.Indication, fail.SubIndication)
				}
			}
		})
	}
}

// TestCACertificatesStrict validates every non-anchor CA certificate of
// vn-real with the strict profile (RFC 5280 §4.2 MUSTs), purpose any, at
// the midpoint of its validity clipped to its issuer's: all real
// Vietnamese CA certificates conform.
func TestCACertificatesStrict(t *testing.T) {
	f := load(t)
	e := engine(t, validate.Options{})
	for _, c := range f.intermediates {
		name := f.caFiles[c]
		t.Run(strings.TrimSuffix(name, ".pem"), func(t *testing.T) {
			at := midpoint(c)
			p, fail := e.VerifyPath(context.Background(), f.store,
				validate.PathRequest{Target: c, Intermediates: f.intermediates, Time: at, Purpose: validate.PurposeAny})
			if fail != nil {
				t.Fatalf("%s (sha256 %s…) at %s: %s/%s", name, fp(c), at.Format(time.DateOnly), fail.Indication, fail.SubIndication)
			}
			t.Logf("%s: strict profile ok, domain %s, %d certificate(s) to %s", name, p.Domain.Name, len(p.Chain), f.anchorFile[p.Chain[len(p.Chain)-1].SHA256])
		})
	}
}

// TestReportedFailureIsTyped checks that failures unwrap to something
// errors.As can find, as the gateway's error handler expects.
func TestReportedFailureIsTyped(t *testing.T) {
	f := load(t)
	leaf := readOne(t, filepath.Join(f.dir, "samples", "ee-certs", "viettel-ca-sha2-ee-org-mst3502422593-2025.pem"))
	_, fail := engine(t, validate.Options{}).VerifyPath(context.Background(), f.store,
		validate.PathRequest{Target: leaf, Intermediates: f.intermediates, Time: midpoint(leaf)})
	var err error = fail
	var got *validate.Failure
	if !errors.As(err, &got) || got.Indication != validate.Indeterminate {
		t.Fatalf("errors.As failed on %v", err)
	}
}
