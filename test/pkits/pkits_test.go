// PKITS 4.4.14/4.4.15 ("Valid/Invalid Negative Serial Number") use
// negative serial numbers, which crypto/x509 refuses since Go 1.23 unless
// this setting restores the old behaviour; it only affects this test
// binary.
//
//go:debug x509negativeserial=1

// Package pkits runs NIST PKITS (Public Key Interoperability Test Suite,
// "Test Certificates 2011", PKITS.pdf §4.1-4.16) through lienthong's
// production validation path, as a table test over
// shared/testdata/pkits/expected.json: all 249 entries, revocation
// included.
//
// How each entry is run (shared/testdata/pkits/README.md):
//
//   - the trust anchor is TrustAnchorRootCertificate.crt, alone in a trust
//     domain "pkits" (hierarchy other); the target is the last certificate
//     of "certs"; every other certificate (extra_certs too: CRL signers,
//     rollover and indirect CRL issuer certificates) is offered, unordered,
//     as a request intermediate;
//   - the domain uses validate.ProfileRFC5280: PKITS tests RFC 5280 §6
//     only, and some certificates it expects valid break §4.2 MUSTs that
//     the strict profile of lienthong's real domains enforces (4.6.4
//     "Valid basicConstraints Not Critical");
//   - the initial policy settings come from the entry; the purpose is
//     "any" (PKITS end entities carry no signing key usage);
//   - the verdict is validate.Validator.ValidateCertificate's, with a
//     RevocationChecker in hard-fail mode whose CRL source is exactly the
//     entry's CRLs (validate.StaticCRLs), whose clock is pinned to the
//     validation time 2011-04-15T00:00:00Z (PKITS CRLs were issued in
//     2010/2011 and are judged current "now"), and whose fetcher fails
//     every call and must never be called (PKITS certificates name no
//     http(s) URL);
//   - expected valid ⇔ TOTAL_PASSED, with the user-constrained policy set
//     of the entry; expected invalid ⇔ anything else, and the
//     sub-indication must be of the right kind (path constraint, revoked,
//     no revocation proof; see wantKind).
package pkits

import (
	"context"
	"crypto/x509"
	"errors"
	"fmt"
	"os"
	"slices"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/lienthong/lienthong/test/shared"
	"github.com/lienthong/lienthong/trust"
	"github.com/lienthong/lienthong/validate"
	"github.com/lienthong/lienthong/validate/crl"
	"github.com/lienthong/lienthong/validate/fetch"
)

// summary is printed by TestMain after the run, where plain `go test`
// output shows it.
var summary string

func TestMain(m *testing.M) {
	code := m.Run()
	if summary != "" {
		fmt.Println(summary)
	}
	os.Exit(code)
}

// sha1Until accepts the dsaWithSHA1 certificates and CRLs of 4.1.4-4.1.6.
var sha1Until = time.Date(2030, 12, 31, 23, 59, 59, 0, time.UTC)

// pinnedClock is the revocation checker's clock: always the validation
// time.
type pinnedClock struct{ t time.Time }

func (c pinnedClock) Now() time.Time { return c.t }

// refusingFetcher fails every call and counts them: PKITS is offline.
type refusingFetcher struct{ calls atomic.Int64 }

func (f *refusingFetcher) Fetch(_ context.Context, r fetch.Request) (*fetch.Response, error) {
	f.calls.Add(1)
	return nil, fmt.Errorf("PKITS is offline: no fetch of %s", r.URL)
}

// kind is the class of verdict an invalid entry must get.
type kind string

const (
	kindPath    kind = "path"    // the path engine refuses the path
	kindRevoked kind = "revoked" // a certificate of the path is revoked
	kindNoProof kind = "noproof" // no proof of non-revocation (hard-fail TRY_LATER)
)

// wantKind is the verdict class of each invalid revocation-focus entry,
// from the PKITS.pdf description of the test: revoked when a certificate
// of the path is listed on a CRL that applies to it, no proof when no
// usable CRL covers a certificate. Every invalid entry that is not
// revocation-focused must be refused by the path engine itself (kindPath).
var wantKind = map[string]kind{
	"4.4.1":   kindNoProof, // Missing CRL: none for Good CA
	"4.4.2":   kindRevoked, // Revoked CA
	"4.4.3":   kindRevoked, // Revoked EE
	"4.4.4":   kindNoProof, // Bad CRL Signature
	"4.4.5":   kindNoProof, // Bad CRL Issuer Name
	"4.4.6":   kindNoProof, // Wrong CRL (another CA's)
	"4.4.8":   kindNoProof, // Unknown critical CRL entry extension: the CRL is unusable
	"4.4.9":   kindNoProof, // Unknown critical CRL extension (EE listed): the CRL is unusable
	"4.4.10":  kindNoProof, // Unknown critical CRL extension (EE not listed): the CRL is unusable
	"4.4.11":  kindNoProof, // Old CRL nextUpdate
	"4.4.12":  kindNoProof, // pre2000 CRL nextUpdate
	"4.4.15":  kindRevoked, // Negative Serial Number: EE listed
	"4.4.18":  kindRevoked, // Long Serial Number: EE listed
	"4.4.20":  kindRevoked, // Separate Certificate and CRL Keys: EE listed on the CRL-signing key's CRL
	"4.4.21":  kindNoProof, // Separate Certificate and CRL Keys: the CRL-signing certificate is revoked, so its CRL vouches for nothing
	"4.5.2":   kindRevoked, // Basic Self-Issued Old With New: EE listed
	"4.5.5":   kindRevoked, // Basic Self-Issued New With Old: EE listed
	"4.5.7":   kindRevoked, // Basic Self-Issued CRL Signing Key: EE listed
	"4.5.8":   kindPath,    // Basic Self-Issued CRL Signing Key: the CRL-signing certificate used as a CA
	"4.7.4":   kindNoProof, // keyUsage Critical cRLSign False: the CA cannot sign its CRL
	"4.7.5":   kindNoProof, // keyUsage Not Critical cRLSign False: the CA cannot sign its CRL
	"4.14.2":  kindRevoked, // distributionPoint: EE listed
	"4.14.3":  kindNoProof, // distributionPoint: the CRL's IDP does not match
	"4.14.6":  kindRevoked, // distributionPoint (nameRelativeToCRLIssuer): EE listed
	"4.14.8":  kindNoProof, // distributionPoint: the CRL's IDP does not match
	"4.14.9":  kindNoProof, // distributionPoint: the CRL's IDP does not match
	"4.14.11": kindNoProof, // onlyContainsUserCerts CRL for a CA
	"4.14.12": kindNoProof, // onlyContainsCACerts CRL for an EE
	"4.14.14": kindNoProof, // onlyContainsAttributeCerts CRL
	"4.14.15": kindRevoked, // onlySomeReasons: EE listed (keyCompromise)
	"4.14.16": kindRevoked, // onlySomeReasons: EE on hold
	"4.14.17": kindNoProof, // onlySomeReasons: the CRLs do not cover every reason
	"4.14.20": kindRevoked, // onlySomeReasons: EE listed (keyCompromise)
	"4.14.21": kindRevoked, // onlySomeReasons: EE listed (affiliationChanged)
	"4.14.23": kindRevoked, // IDP with indirectCRL: EE listed on the indirect CRL
	"4.14.26": kindNoProof, // IDP with indirectCRL: the EE names no cRLIssuer, the CRL is another CA's
	"4.14.27": kindNoProof, // cRLIssuer: no CRL from the named cRLIssuer
	"4.14.31": kindRevoked, // cRLIssuer: EE listed on the indirect CRL
	"4.14.32": kindRevoked, // cRLIssuer: EE listed on the indirect CRL
	"4.14.34": kindRevoked, // cRLIssuer: EE listed on the indirect CRL
	"4.14.35": kindNoProof, // cRLIssuer: the CRL's IDP does not match
	"4.15.1":  kindNoProof, // deltaCRLIndicator No Base: a delta CRL alone
	"4.15.3":  kindRevoked, // delta-CRL: EE listed on the complete CRL
	"4.15.4":  kindRevoked, // delta-CRL: EE listed on the delta CRL
	"4.15.6":  kindRevoked, // delta-CRL: EE on hold on the delta CRL
	"4.15.9":  kindRevoked, // delta-CRL: EE listed
	"4.15.10": kindNoProof, // delta-CRL: the complete CRL is stale and no current delta applies
}

// outcome is what one entry did.
type outcome struct {
	label, section string
	passed         bool
	note           string // why it failed
}

func TestPKITS(t *testing.T) {
	p := shared.LoadPKITS(t)
	at := p.ValidationTime
	h := &harness{p: p, fetcher: &refusingFetcher{}, certs: map[string]*x509.Certificate{}, crls: map[string]parsedCRL{}}

	var outcomes []outcome
	for _, e := range p.Tests {
		o := outcome{label: e.Label(), section: e.Section}
		ran := false
		t.Run(e.Label(), func(t *testing.T) {
			ran = true
			o.note = h.run(t, e, at)
			o.passed = !t.Failed()
		})
		if ran { // not filtered out by -run
			outcomes = append(outcomes, o)
		}
	}

	// Per-section summary, in expected.json's order.
	type tally struct{ pass, total int }
	var order []string
	bySection := map[string]*tally{}
	nPassed := 0
	var failed []string
	for _, o := range outcomes {
		s := bySection[o.section]
		if s == nil {
			s = &tally{}
			bySection[o.section] = s
			order = append(order, o.section)
		}
		s.total++
		if o.passed {
			s.pass++
			nPassed++
		} else {
			failed = append(failed, fmt.Sprintf("%s: %s", o.label, o.note))
		}
	}
	var lines []string
	for _, s := range order {
		lines = append(lines, fmt.Sprintf("%-5s %3d/%d", s, bySection[s].pass, bySection[s].total))
	}
	t.Logf("PKITS per section:\n  %s", strings.Join(lines, "\n  "))
	if len(failed) > 0 {
		t.Logf("failed entries (%d):\n  %s", len(failed), strings.Join(failed, "\n  "))
	}
	if n := h.fetcher.calls.Load(); n != 0 {
		t.Errorf("the fetcher was called %d times; PKITS must run offline", n)
	}
	for id := range wantKind {
		if !slices.ContainsFunc(p.Tests, func(e shared.PKITSEntry) bool { return e.ID == id && !e.Valid() }) {
			t.Errorf("wantKind names %s, which is not an invalid entry", id)
		}
	}
	if len(p.Tests) != 249 {
		t.Errorf("expected.json has %d entries, want 249", len(p.Tests))
	}
	summary = fmt.Sprintf("PKITS: %d/%d passed", nPassed, len(p.Tests))
}

// harness holds what the entries (run one after the other) share: parsed
// files and the offline fetcher.
type harness struct {
	p       *shared.PKITS
	fetcher *refusingFetcher
	certs   map[string]*x509.Certificate
	crls    map[string]parsedCRL
}

type parsedCRL struct {
	c   *crl.CRL
	err error
}

// run validates one entry and checks the verdict. On failure it returns
// the reason, for the summary.
func (h *harness) run(t *testing.T, e shared.PKITSEntry, at time.Time) string {
	fail := func(format string, args ...any) string {
		msg := fmt.Sprintf(format, args...)
		t.Error(msg)
		return msg
	}
	parsed, err := h.loadCerts(t, e.Certs)
	if err != nil {
		return fail("parsing the entry's certificates: %v", err)
	}
	anchor, target := parsed[0], parsed[len(parsed)-1]
	intermediates := slices.Clone(parsed[1 : len(parsed)-1])
	extra, err := h.loadCerts(t, e.ExtraCerts)
	if err != nil {
		return fail("parsing the entry's extra certificates: %v", err)
	}
	for _, x := range extra { // already in certs in expected.json; added in case
		if !slices.Contains(intermediates, x) {
			intermediates = append(intermediates, x)
		}
	}
	var crls validate.StaticCRLs
	for _, f := range e.CRLs {
		c, err := h.loadCRL(t, f)
		if err != nil {
			// A CRL the parser refuses on purpose (bad signature
			// encoding, unknown critical extension) is one no source
			// would deliver.
			t.Logf("CRL %s is unusable: %v", f, err)
			continue
		}
		crls = append(crls, c)
	}

	store, err := trust.New([]trust.DomainSpec{{Name: "pkits", Hierarchy: trust.Other,
		Anchors: []*x509.Certificate{anchor}}}, nil)
	if err != nil {
		t.Fatal(err)
	}
	eng, err := validate.NewEngine(validate.Options{
		SHA1Until: sha1Until,
		Domains: map[string]validate.DomainOptions{"pkits": {
			Profile: validate.ProfileRFC5280,
			Policy: validate.PolicySettings{
				InitialPolicySet:     e.Settings.InitialPolicySetOIDs,
				ExplicitPolicy:       e.Settings.InitialExplicitPolicy,
				PolicyMappingInhibit: e.Settings.InitialPolicyMappingInhibit,
				InhibitAnyPolicy:     e.Settings.InitialInhibitAnyPolicy,
			},
		}},
	}, validate.Deps{})
	if err != nil {
		t.Fatal(err)
	}
	checker, err := validate.NewRevocationChecker(
		validate.RevocationOptions{Prefer: validate.SourceCRL, SHA1Until: sha1Until},
		validate.RevocationDeps{Fetcher: h.fetcher, CRLs: crls, Clock: pinnedClock{at}})
	if err != nil {
		t.Fatal(err)
	}
	defer checker.Close()
	v, err := validate.NewValidator(eng, validate.ValidatorOptions{Revocation: validate.RevocationHardFail, Checker: checker})
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	fetches := h.fetcher.calls.Load()
	rep := v.ValidateCertificate(ctx, store, validate.CertificateRequest{
		Certificate: target, Intermediates: intermediates, Time: at, Purpose: validate.PurposeAny,
	})
	if len(rep.Signatures) != 1 {
		t.Fatalf("report has %d entries, want 1", len(rep.Signatures))
	}
	if n := h.fetcher.calls.Load() - fetches; n != 0 {
		return fail("%s: the checker tried %d network fetches; PKITS is offline", e.Label(), n)
	}
	sig := rep.Signatures[0]
	verdict := string(sig.Indication)
	if sig.SubIndication != "" {
		verdict += "/" + string(sig.SubIndication)
	}
	for _, m := range sig.Messages {
		t.Logf("  %s %s: %s", m.Level, m.Code, m.Text)
	}
	// The path alone, for the user-constrained policy set (which the
	// report does not carry) and to tell path failures from revocation
	// ones.
	path, pathFail := eng.VerifyPath(ctx, store, validate.PathRequest{
		Target: target, Intermediates: intermediates, Time: at, Purpose: validate.PurposeAny,
	})

	if e.Valid() {
		switch {
		case sig.Indication != validate.TotalPassed:
			return fail("%s (%s): expected valid, got %s: %s", e.Label(), e.Name, verdict, lastError(sig))
		case pathFail != nil:
			return fail("%s: the report passed but VerifyPath failed: %v", e.Label(), pathFail)
		case !samePolicies(path.Policies, e.ExpectedPolicySetOIDs):
			return fail("%s (%s): user-constrained policy set %v, expected %v", e.Label(), e.Name, path.Policies, e.ExpectedPolicySetOIDs)
		case len(sig.Revocation) != len(path.Chain)-1:
			return fail("%s: %d revocation entries for a path of %d certificates", e.Label(), len(sig.Revocation), len(path.Chain)-1)
		}
		for i, r := range sig.Revocation {
			if r.Source != validate.SourceCRL || r.Status != validate.StatusGood {
				return fail("%s: revocation entry %d is %s/%s, want crl/good", e.Label(), i, r.Source, r.Status)
			}
		}
		t.Logf("valid as expected (%s)", chainNames(path))
		return ""
	}

	if sig.Indication == validate.TotalPassed {
		return fail("%s (%s): expected invalid, got TOTAL_PASSED over %s", e.Label(), e.Name, chainNames(path))
	}
	want, ok := wantKind[e.ID]
	switch {
	case !ok && e.RevocationFocus:
		return fail("%s (%s): an invalid revocation entry needs its verdict class in wantKind", e.Label(), e.Name)
	case !ok:
		want = kindPath
	}
	var got kind
	switch {
	case pathFail != nil:
		got = kindPath
	case sig.SubIndication == validate.Revoked || sig.SubIndication == validate.RevokedCANoPOE:
		got = kindRevoked
	case sig.SubIndication == validate.TryLater:
		got = kindNoProof
	}
	if got != want {
		return fail("%s (%s): invalid as expected but for the wrong reason: %s (%s), want a %s failure: %s",
			e.Label(), e.Name, verdict, got, want, lastError(sig))
	}
	t.Logf("invalid as expected: %s (%s): %s", verdict, got, lastError(sig))
	return ""
}

// lastError is the text of the report's last error message.
func lastError(sig validate.SignatureReport) string {
	var texts []string
	for _, m := range sig.Messages {
		if m.Level == validate.LevelError {
			texts = append(texts, m.Text)
		}
	}
	return strings.Join(texts, "; ")
}

// loadCerts parses certificate files with crl.ParseCertificate (which
// also reads the relative distribution point names crypto/x509 refuses:
// 4.14.4-4.14.6, 4.14.29). A DSA key that inherits its parameters (4.1.5)
// gets them from an issuer among the same certificates whose key verifies
// its signature.
func (h *harness) loadCerts(t *testing.T, names []string) ([]*x509.Certificate, error) {
	out := make([]*x509.Certificate, len(names))
	raw := map[int][]byte{}
	for i, n := range names {
		if c := h.certs[n]; c != nil {
			out[i] = c
			continue
		}
		der := h.p.CertDER(t, n)
		c, err := crl.ParseCertificate(der)
		switch {
		case err == nil:
			h.certs[n], out[i] = c, c
		case strings.Contains(err.Error(), "invalid DSA parameters"):
			raw[i] = der
		default:
			return nil, fmt.Errorf("%s: %w", n, err)
		}
	}
	// Inherit DSA parameters until nothing more resolves (the inheriting
	// CA first, then its end entity).
	for progress := true; progress && len(raw) > 0; {
		progress = false
		for i, der := range raw {
			for _, is := range out {
				if is == nil {
					continue
				}
				c, err := validate.ParseCertificateInheritDSA(der, is)
				if err != nil || trust.CheckSignature(c, is) != nil {
					continue
				}
				h.certs[names[i]], out[i] = c, c
				delete(raw, i)
				progress = true
				break
			}
		}
	}
	for i := range raw {
		return nil, fmt.Errorf("%s: DSA parameters could not be inherited from any certificate of the entry", names[i])
	}
	return out, nil
}

func (h *harness) loadCRL(t *testing.T, name string) (*crl.CRL, error) {
	p, ok := h.crls[name]
	if !ok {
		p.c, p.err = crl.Parse(h.p.CRLDER(t, name))
		if p.err == nil && p.c == nil {
			p.err = errors.New("no CRL")
		}
		h.crls[name] = p
	}
	return p.c, p.err
}

func samePolicies(got, want []string) bool {
	g, w := slices.Clone(got), slices.Clone(want)
	slices.Sort(g)
	slices.Sort(w)
	return slices.Equal(g, w)
}

func chainNames(p *validate.Path) string {
	if p == nil {
		return "no path"
	}
	var names []string
	for _, c := range p.Chain {
		names = append(names, c.X509.Subject.CommonName)
	}
	return strings.Join(names, " -> ")
}
