// PKITS 4.4.14/4.4.15 use a negative serial number, which crypto/x509
// refuses since Go 1.23 unless this setting restores the old behaviour; it
// only affects this test binary.
//
//go:debug x509negativeserial=1

package crl_test

import (
	"bytes"
	"crypto/x509"
	"encoding/asn1"
	"errors"
	"fmt"
	"path/filepath"
	"testing"
	"time"

	"github.com/lienthong/lienthong/test/shared"
	"github.com/lienthong/lienthong/trust"
	"github.com/lienthong/lienthong/validate/crl"
)

// TestPKITS runs the CRL side of every PKITS entry whose verdict hinges on
// revocation (sections 4.4, 4.5, 4.14, 4.15 and 4.7.4/4.7.5): for each
// certificate of the given chain, Determine with the entry's CRLs; the entry
// is valid when every certificate is Good. The path itself (signatures,
// validity, policies) is the path engine's business; the only path rule
// applied here is the one 4.5.8 needs (an intermediate must be a CA with
// keyCertSign), reported separately.
func TestPKITS(t *testing.T) {
	pk := shared.LoadPKITS(t)
	certs := map[string]*x509.Certificate{}
	cert := func(name string) *x509.Certificate {
		if c, ok := certs[name]; ok {
			return c
		}
		c, err := crl.ParseCertificate(pk.CertDER(t, name))
		if err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		certs[name] = c
		return c
	}
	type parsed struct {
		c   *crl.CRL
		err error
	}
	crls := map[string]parsed{}
	var passed, total int
	var failures []string
	for _, e := range pk.Tests {
		if !e.RevocationFocus {
			continue
		}
		total++
		name := e.Label()
		env := &pkitsEnv{time: pk.ValidationTime, active: map[*x509.Certificate]bool{}}
		for _, f := range e.Chain {
			env.chain = append(env.chain, cert(f))
		}
		env.anchor = env.chain[0]
		for _, f := range append(append([]string{}, e.Certs...), e.ExtraCerts...) {
			env.pool = append(env.pool, cert(f))
		}
		var notes []string
		for _, f := range e.CRLs {
			p, ok := crls[f]
			if !ok {
				p.c, p.err = crl.Parse(pk.CRLDER(t, f))
				crls[f] = p
			}
			if p.err != nil {
				notes = append(notes, fmt.Sprintf("%s unusable: %v", f, p.err))
				continue
			}
			env.crls = append(env.crls, p.c)
		}
		t.Run(name, func(t *testing.T) {
			valid, why := env.run()
			got := "invalid"
			if valid {
				got = "valid"
			}
			t.Logf("%s %s: %s (%s)", e.ID, e.Name, got, why)
			for _, n := range notes {
				t.Logf("  %s", n)
			}
			if got != e.Expected {
				t.Errorf("%s %s: got %s, want %s: %s", e.ID, e.Name, got, e.Expected, why)
				failures = append(failures, fmt.Sprintf("%s (%s): got %s: %s", e.ID, e.Name, got, why))
				return
			}
			passed++
		})
	}
	t.Logf("PKITS revocation entries: %d/%d passed", passed, total)
	for _, f := range failures {
		t.Logf("  FAIL %s", f)
	}
	if total != 76 {
		t.Errorf("expected.json has %d revocation entries, want 76", total)
	}
}

// TestPKITSCRLsParse parses all 173 PKITS CRLs and compares every entry
// with crypto/x509's parser. Only the CRLs PKITS made unusable on purpose
// are refused.
func TestPKITSCRLsParse(t *testing.T) {
	pk := shared.LoadPKITS(t)
	files, err := filepath.Glob(filepath.Join(pk.Dir, "crls", "*.crl"))
	if err != nil || len(files) != 173 {
		t.Fatalf("%d CRL files, %v", len(files), err)
	}
	refused := map[string]error{
		"BadCRLSignatureCACRL.crl":          crl.ErrMalformed, // signature BIT STRING with an unused bit
		"UnknownCRLEntryExtensionCACRL.crl": crl.ErrUnrecognizedCritical,
		"UnknownCRLExtensionCACRL.crl":      crl.ErrUnrecognizedCritical,
	}
	for _, f := range files {
		name := filepath.Base(f)
		der := pk.CRLDER(t, name)
		c, err := crl.Parse(der)
		if want := refused[name]; want != nil || err != nil {
			if !errors.Is(err, want) || want == nil {
				t.Errorf("%s: Parse error %v, want %v", name, err, want)
			}
			continue
		}
		ref, err := x509.ParseRevocationList(der)
		if err != nil {
			t.Errorf("%s: crypto/x509: %v", name, err)
			continue
		}
		if !c.ThisUpdate().Equal(ref.ThisUpdate) || !c.NextUpdate().Equal(ref.NextUpdate) ||
			(ref.Number != nil) != (c.Number() != nil) || (ref.Number != nil && ref.Number.Cmp(c.Number()) != 0) {
			t.Errorf("%s: times or number differ", name)
		}
		if c.Len() != len(ref.RevokedCertificateEntries) {
			t.Errorf("%s: %d entries, crypto/x509 %d", name, c.Len(), len(ref.RevokedCertificateEntries))
		}
		issuer := c.RawIssuer()
		for _, e := range ref.RevokedCertificateEntries {
			for _, x := range e.Extensions {
				if x.Id.Equal(asn1.ObjectIdentifier{2, 5, 29, 29}) {
					issuer = certIssuerName(x.Value) // in effect from here on (RFC 5280 §5.3.3)
				}
			}
			got, ok := c.LookupIssuer(issuer, e.SerialNumber)
			if !ok || !got.RevocationTime.Equal(e.RevocationTime) {
				t.Errorf("%s: serial %v: %+v %v", name, e.SerialNumber, got, ok)
			}
		}
	}
}

// certIssuerName returns the directoryName of a certificate issuer
// extension value.
func certIssuerName(v []byte) []byte {
	var names []asn1.RawValue
	if _, err := asn1.Unmarshal(v, &names); err != nil {
		return nil
	}
	for _, n := range names {
		if n.Tag == 4 {
			return n.Bytes
		}
	}
	return nil
}

// pkitsEnv is one PKITS entry: its chain (anchor first), every certificate
// it lists (the candidate CRL signers) and its parsed CRLs.
type pkitsEnv struct {
	time   time.Time
	anchor *x509.Certificate
	chain  []*x509.Certificate
	pool   []*x509.Certificate
	crls   []*crl.CRL
	active map[*x509.Certificate]bool // CRL signers being validated (cycle guard)
}

// run determines the status of every non-anchor certificate of the chain.
func (env *pkitsEnv) run() (bool, string) {
	for i := 1; i < len(env.chain); i++ {
		r := env.determine(env.chain[i], env.chain[i-1])
		if r.Status != crl.Good {
			return false, fmt.Sprintf("%s is %s: %s", subject(env.chain[i]), r.Status, r.Reason)
		}
	}
	// The one path rule the CRL statuses cannot see (PKITS 4.5.8: the CRL
	// signing key certificate used as an intermediate).
	for _, c := range env.chain[1 : len(env.chain)-1] {
		if err := caOK(c); err != nil {
			return false, fmt.Sprintf("path check (path engine's job, not CRL): %s: %v; CRL statuses: all good", subject(c), err)
		}
	}
	return true, "all certificates good"
}

func (env *pkitsEnv) determine(c, issuer *x509.Certificate) crl.Result {
	return crl.Determine(crl.Check{
		Cert:             c,
		Issuer:           issuer,
		Time:             env.time,
		CRLs:             env.crls,
		CandidateSigners: env.pool,
		VerifyCRLIssuer:  env.verifyCRLIssuer,
	})
}

// verifyCRLIssuer is a minimal path validation for a CRL signer outside
// the path, enough for PKITS: it must chain by name and signature, through
// valid CA certificates of the entry, to the trust anchor, and every
// certificate on the way must be Good itself.
func (env *pkitsEnv) verifyCRLIssuer(c *x509.Certificate) error {
	if env.active[c] {
		return errors.New("cycle in CRL issuer validation")
	}
	env.active[c] = true
	defer delete(env.active, c)
	if env.time.Before(c.NotBefore) || env.time.After(c.NotAfter) {
		return errors.New("not valid at the validation time")
	}
	return env.chainToAnchor(c, 0)
}

func (env *pkitsEnv) chainToAnchor(c *x509.Certificate, depth int) error {
	if bytes.Equal(c.Raw, env.anchor.Raw) {
		return nil
	}
	if depth > 8 {
		return errors.New("path too long")
	}
	last := fmt.Errorf("no issuer found for %s", subject(c))
	for _, p := range env.pool {
		if p == c || !trust.SameName(p.RawSubject, c.RawIssuer) || trust.CheckSignature(c, p) != nil {
			continue
		}
		if !bytes.Equal(p.Raw, env.anchor.Raw) {
			if err := caOK(p); err != nil {
				last = err
				continue
			}
			if env.time.Before(p.NotBefore) || env.time.After(p.NotAfter) {
				last = errors.New("issuer not valid at the validation time")
				continue
			}
		}
		if r := env.determine(c, p); r.Status != crl.Good {
			last = fmt.Errorf("%s is %s: %s", subject(c), r.Status, r.Reason)
			continue
		}
		if err := env.chainToAnchor(p, depth+1); err != nil {
			last = err
			continue
		}
		return nil
	}
	return last
}

// caOK checks RFC 5280 §6.1.4 (k) and (n) for an intermediate.
func caOK(c *x509.Certificate) error {
	if !c.BasicConstraintsValid || !c.IsCA {
		return errors.New("not a CA certificate")
	}
	for _, ext := range c.Extensions {
		if ext.Id.String() == "2.5.29.15" && c.KeyUsage&x509.KeyUsageCertSign == 0 {
			return errors.New("key usage lacks keyCertSign")
		}
	}
	return nil
}

func subject(c *x509.Certificate) string { return c.Subject.String() }
