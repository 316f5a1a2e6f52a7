package shared

import (
	"crypto/x509"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"sync"
	"testing"
	"time"
)

// PKITSValidationTime is the instant PKITS entries are validated at when
// expected.json does not say (BoringSSL's choice, the PKITS 2011
// publication date): most PKITS certificates and CRLs were issued in
// 2010/2011 and expire 2030-12-31, so the time must be pinned.
var PKITSValidationTime = time.Date(2011, 4, 15, 0, 0, 0, 0, time.UTC)

// PKITSSettings are the RFC 5280 §6.1.1 (c), (e), (f), (g) inputs of one
// PKITS entry.
type PKITSSettings struct {
	// InitialPolicySet holds the PKITS names (anyPolicy,
	// NIST-test-policy-1, ...); InitialPolicySetOIDs the same as dotted
	// OIDs.
	InitialPolicySet            []string `json:"initial_policy_set"`
	InitialPolicySetOIDs        []string `json:"initial_policy_set_oids"`
	InitialExplicitPolicy       bool     `json:"initial_explicit_policy"`
	InitialPolicyMappingInhibit bool     `json:"initial_policy_mapping_inhibit"`
	InitialInhibitAnyPolicy     bool     `json:"initial_inhibit_any_policy"`
}

// PKITSEntry is one entry of shared/testdata/pkits/expected.json (one PKITS
// test, or one subpart of a policy test run with several settings). File
// names are relative to the certs/ and crls/ folders (CertDER, CRLDER).
type PKITSEntry struct {
	ID          string `json:"id"`         // PKITS test number (4.10.1 is split into 4.10.1.1-4.10.1.3)
	PKITSTest   string `json:"pkits_test"` // PKITS.pdf test number
	Subpart     *int   `json:"subpart"`    // nil unless the test has several settings
	Section     string `json:"section"`    // "4.1" ... "4.16"
	SectionName string `json:"section_name"`
	Name        string `json:"name"`
	Expected    string `json:"expected"` // "valid" or "invalid"
	TrustAnchor string `json:"trust_anchor"`
	EndEntity   string `json:"end_entity"`
	// Chain is the certification path, trust anchor first, end entity
	// last.
	Chain []string `json:"chain"`
	// Certs are all certificates PKITS lists for the test, trust anchor
	// first, end entity last; a path builder gets Certs[1:len-1].
	Certs []string `json:"certs"`
	// ExtraCerts are the certificates of Certs that are not on the path
	// (CRL signers, rollover certificates, indirect CRL issuers).
	ExtraCerts []string `json:"extra_certs"`
	// CRLs are the CRL files to supply, the trust anchor's first.
	CRLs     []string      `json:"crls"`
	Settings PKITSSettings `json:"settings"`
	// ExpectedPolicySet is the user-constrained policy set of a valid path,
	// as PKITS names and as dotted OIDs.
	ExpectedPolicySet     []string `json:"expected_user_constrained_policy_set"`
	ExpectedPolicySetOIDs []string `json:"expected_user_constrained_policy_set_oids"`
	// RevocationFocus marks entries whose verdict hinges on CRL processing
	// (sections 4.4, 4.5, 4.14, 4.15 and 4.7.4/4.7.5).
	RevocationFocus bool `json:"revocation_focus"`
}

// Label names the entry uniquely: its ID, with ".subN" for a subpart.
func (e *PKITSEntry) Label() string {
	if e.Subpart != nil {
		return fmt.Sprintf("%s.sub%d", e.ID, *e.Subpart)
	}
	return e.ID
}

// Valid reports whether PKITS expects the path to validate.
func (e *PKITSEntry) Valid() bool { return e.Expected == "valid" }

// PKITS is the parsed expected.json with cached access to the certificate
// and CRL files. It is shared by every test of a process and safe for
// concurrent use; callers must not modify Tests nor the returned bytes.
type PKITS struct {
	// Dir is the absolute path of the pkits folder.
	Dir string
	// ValidationTime is defaults.validation_time (PKITSValidationTime when
	// absent).
	ValidationTime time.Time
	// PolicyOIDs maps PKITS policy names to dotted OIDs.
	PolicyOIDs map[string]string
	// Tests are the 249 entries, in file order.
	Tests []PKITSEntry

	mu    sync.Mutex
	files map[string][]byte            // key: "certs/x" or "crls/x"
	certs map[string]*x509.Certificate // parsed by Cert
}

var (
	pkitsMu     sync.Mutex
	pkitsByPath = map[string]*PKITS{}
)

// LoadPKITS returns the PKITS expectations of TestData(tb)/pkits, parsed
// once per process. Like TestData it skips the test when the data is absent
// and fails it instead when CI=true; a malformed expected.json fails it.
func LoadPKITS(tb testing.TB) *PKITS {
	tb.Helper()
	file := Path(tb, "pkits", "expected.json")
	pkitsMu.Lock()
	defer pkitsMu.Unlock()
	if p := pkitsByPath[file]; p != nil {
		return p
	}
	raw, err := os.ReadFile(file)
	switch {
	case os.IsNotExist(err) && os.Getenv("CI") != "true":
		tb.Skipf("PKITS data %s is absent (set %s or put shared/ beside the repository); skipping", file, EnvVar)
	case err != nil:
		tb.Fatalf("reading PKITS expectations: %v", err)
	}
	var doc struct {
		Defaults struct {
			ValidationTime time.Time `json:"validation_time"`
		} `json:"defaults"`
		PolicyOIDs map[string]string `json:"policy_oids"`
		Tests      []PKITSEntry      `json:"tests"`
	}
	if err := json.Unmarshal(raw, &doc); err != nil {
		tb.Fatalf("parsing %s: %v", file, err)
	}
	if len(doc.Tests) == 0 {
		tb.Fatalf("%s holds no test", file)
	}
	p := &PKITS{
		Dir:            filepath.Dir(file),
		ValidationTime: doc.Defaults.ValidationTime,
		PolicyOIDs:     doc.PolicyOIDs,
		Tests:          doc.Tests,
		files:          map[string][]byte{},
		certs:          map[string]*x509.Certificate{},
	}
	if p.ValidationTime.IsZero() {
		p.ValidationTime = PKITSValidationTime
	}
	pkitsByPath[file] = p
	return p
}

// Section returns the entries of section s ("4.13"), in file order.
func (p *PKITS) Section(s string) []PKITSEntry {
	var out []PKITSEntry
	for _, e := range p.Tests {
		if e.Section == s {
			out = append(out, e)
		}
	}
	return out
}

// CertDER returns the DER bytes of certs/name, read once per process.
func (p *PKITS) CertDER(tb testing.TB, name string) []byte {
	tb.Helper()
	return p.read(tb, "certs", name)
}

// CRLDER returns the DER bytes of crls/name, read once per process.
func (p *PKITS) CRLDER(tb testing.TB, name string) []byte {
	tb.Helper()
	return p.read(tb, "crls", name)
}

// Cert returns certs/name parsed by crypto/x509, parsed once per process;
// it fails the test when crypto/x509 refuses the certificate (4.1.5
// inherits DSA parameters, 4.14.4-4.14.6 and 4.14.29 use relative
// distribution point names, 4.4.14/4.4.15 negative serials without
// x509negativeserial=1: callers that need those parse CertDER themselves).
func (p *PKITS) Cert(tb testing.TB, name string) *x509.Certificate {
	tb.Helper()
	der := p.read(tb, "certs", name)
	p.mu.Lock()
	defer p.mu.Unlock()
	if c, ok := p.certs[name]; ok {
		return c
	}
	c, err := x509.ParseCertificate(der)
	if err != nil {
		tb.Fatalf("parsing PKITS certs/%s: %v", name, err)
	}
	p.certs[name] = c
	return c
}

func (p *PKITS) read(tb testing.TB, dir, name string) []byte {
	tb.Helper()
	if name == "" || filepath.Base(name) != name {
		tb.Fatalf("PKITS %s file name %q is not a plain file name", dir, name)
	}
	key := dir + "/" + name
	p.mu.Lock()
	defer p.mu.Unlock()
	if b, ok := p.files[key]; ok {
		return b
	}
	b, err := os.ReadFile(filepath.Join(p.Dir, dir, name))
	if err != nil {
		tb.Fatalf("reading PKITS %s: %v", key, err)
	}
	p.files[key] = b
	return b
}
