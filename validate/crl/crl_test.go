package crl_test

import (
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/asn1"
	"errors"
	"fmt"
	"math/big"
	"strings"
	"sync"
	"testing"
	"time"

	"golang.org/x/crypto/cryptobyte"
	cbasn1 "golang.org/x/crypto/cryptobyte/asn1"

	"github.com/lienthong/lienthong/validate/crl"
)

// now is the validation time of the unit tests.
var now = time.Date(2025, 6, 1, 12, 0, 0, 0, time.UTC)

// ca is a test CA: its certificate and key.
type ca struct {
	cert *x509.Certificate
	key  *ecdsa.PrivateKey
}

var serialCounter int64 = 1000

// newCert issues a certificate named cn by parent (self-signed when parent
// is nil); mutate adjusts the template.
func newCert(t testing.TB, cn string, parent *ca, isCA bool, mutate func(*x509.Certificate)) *ca {
	t.Helper()
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	serialCounter++
	tmpl := &x509.Certificate{
		SerialNumber:          big.NewInt(serialCounter),
		Subject:               pkix.Name{CommonName: cn, Organization: []string{"Lienthong test"}},
		NotBefore:             now.AddDate(-1, 0, 0),
		NotAfter:              now.AddDate(1, 0, 0),
		BasicConstraintsValid: true,
		IsCA:                  isCA,
		KeyUsage:              x509.KeyUsageDigitalSignature,
	}
	if isCA {
		tmpl.KeyUsage = x509.KeyUsageCertSign | x509.KeyUsageCRLSign
	}
	if mutate != nil {
		mutate(tmpl)
	}
	signer, parentCert := key, tmpl
	if parent != nil {
		signer, parentCert = parent.key, parent.cert
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, parentCert, &key.PublicKey, signer)
	if err != nil {
		t.Fatal(err)
	}
	c, err := x509.ParseCertificate(der)
	if err != nil {
		t.Fatal(err)
	}
	return &ca{cert: c, key: key}
}

// revoked is a shorthand for a CRL entry.
func revoked(serial int64, reason int, at time.Time) x509.RevocationListEntry {
	return x509.RevocationListEntry{SerialNumber: big.NewInt(serial), RevocationTime: at, ReasonCode: reason}
}

// crlTemplate returns a current CRL template numbered n.
func crlTemplate(n int64, entries ...x509.RevocationListEntry) *x509.RevocationList {
	return &x509.RevocationList{
		Number:                    big.NewInt(n),
		ThisUpdate:                now.Add(-time.Hour),
		NextUpdate:                now.Add(24 * time.Hour),
		RevokedCertificateEntries: entries,
	}
}

// sign creates and parses the CRL of tmpl, signed by signer's key under
// signer's name.
func sign(t testing.TB, tmpl *x509.RevocationList, signer *ca) *crl.CRL {
	t.Helper()
	c, err := crl.Parse(signDER(t, tmpl, signer))
	if err != nil {
		t.Fatal(err)
	}
	return c
}

func signDER(t testing.TB, tmpl *x509.RevocationList, signer *ca) []byte {
	t.Helper()
	issuer := *signer.cert
	issuer.KeyUsage |= x509.KeyUsageCRLSign // CreateRevocationList insists; Determine checks the real one
	if len(issuer.SubjectKeyId) == 0 {
		issuer.SubjectKeyId = []byte{1, 2, 3, 4}
	}
	der, err := x509.CreateRevocationList(rand.Reader, tmpl, &issuer, signer.key)
	if err != nil {
		t.Fatal(err)
	}
	return der
}

func ext(oid asn1.ObjectIdentifier, critical bool, value []byte) pkix.Extension {
	return pkix.Extension{Id: oid, Critical: critical, Value: value}
}

var (
	oidIDP        = asn1.ObjectIdentifier{2, 5, 29, 28}
	oidDelta      = asn1.ObjectIdentifier{2, 5, 29, 27}
	oidCertIssuer = asn1.ObjectIdentifier{2, 5, 29, 29}
	oidInvalidity = asn1.ObjectIdentifier{2, 5, 29, 24}
	oidUnknown    = asn1.ObjectIdentifier{1, 3, 6, 1, 4, 1, 99999, 1}
)

// idp builds an issuing distribution point: optional fullName URI, then
// IMPLICIT BOOLEANs for the given context tags (1 onlyContainsUserCerts,
// 2 onlyContainsCACerts, 4 indirectCRL, 5 onlyContainsAttributeCerts).
func idp(uri string, flags ...int) []byte {
	var b cryptobyte.Builder
	b.AddASN1(cbasn1.SEQUENCE, func(b *cryptobyte.Builder) {
		if uri != "" {
			b.AddASN1(cbasn1.Tag(0).Constructed().ContextSpecific(), func(b *cryptobyte.Builder) {
				b.AddASN1(cbasn1.Tag(0).Constructed().ContextSpecific(), func(b *cryptobyte.Builder) {
					b.AddASN1(cbasn1.Tag(6).ContextSpecific(), func(b *cryptobyte.Builder) { b.AddBytes([]byte(uri)) })
				})
			})
		}
		for _, f := range flags {
			b.AddASN1(cbasn1.Tag(f).ContextSpecific(), func(b *cryptobyte.Builder) { b.AddUint8(0xff) })
		}
	})
	return b.BytesOrPanic()
}

// dirNames is a GeneralNames holding one directoryName.
func dirNames(rawName []byte) []byte {
	var b cryptobyte.Builder
	b.AddASN1(cbasn1.SEQUENCE, func(b *cryptobyte.Builder) {
		b.AddASN1(cbasn1.Tag(4).Constructed().ContextSpecific(), func(b *cryptobyte.Builder) { b.AddBytes(rawName) })
	})
	return b.BytesOrPanic()
}

func mustMarshal(v any) []byte {
	b, err := asn1.Marshal(v)
	if err != nil {
		panic(err)
	}
	return b
}

func TestParseAndLookup(t *testing.T) {
	root := newCert(t, "Root", nil, true, nil)
	big1 := new(big.Int).Lsh(big.NewInt(1), 159) // 20 octets, top bit set: 21-octet encoding
	inv := now.AddDate(0, -2, 0).Truncate(time.Second)
	entries := []x509.RevocationListEntry{
		revoked(1, crl.ReasonKeyCompromise, now.AddDate(0, -1, 0)),
		revoked(2, 0, now.AddDate(0, -1, 0)), // no reason code extension
		{SerialNumber: big1, RevocationTime: now.AddDate(0, 0, -1), ReasonCode: crl.ReasonSuperseded,
			ExtraExtensions: []pkix.Extension{ext(oidInvalidity, false, mustMarshal(inv))}},
		{SerialNumber: big.NewInt(-5), RevocationTime: now.AddDate(0, 0, -1)},
		{SerialNumber: big.NewInt(128), RevocationTime: now.AddDate(0, 0, -1), // unknown non-critical: ignored
			ExtraExtensions: []pkix.Extension{ext(oidUnknown, false, []byte{5, 0})}},
		revoked(1, crl.ReasonCACompromise, now), // duplicate: the first one is kept
	}
	for r := 1; r <= 10; r++ {
		if r != 7 {
			entries = append(entries, revoked(int64(100+r), r, now.AddDate(0, 0, -r)))
		}
	}
	der := signDER(t, crlTemplate(42, entries...), root)
	c, err := crl.Parse(der)
	if err != nil {
		t.Fatal(err)
	}
	if c.Number().Int64() != 42 || c.IsDelta() || c.Len() != len(entries)-1 || c.Duplicates() != 1 {
		t.Errorf("number %v delta %v len %d dups %d", c.Number(), c.IsDelta(), c.Len(), c.Duplicates())
	}
	if !c.ThisUpdate().Equal(now.Add(-time.Hour)) || !c.NextUpdate().Equal(now.Add(24*time.Hour)) {
		t.Errorf("thisUpdate %v nextUpdate %v", c.ThisUpdate(), c.NextUpdate())
	}
	if string(c.RawIssuer()) != string(root.cert.RawSubject) || c.SignatureAlgorithm() != x509.ECDSAWithSHA256 {
		t.Errorf("issuer or algorithm wrong: %v", c.SignatureAlgorithm())
	}
	if err := c.CheckSignatureFrom(root.cert); err != nil {
		t.Errorf("signature: %v", err)
	}

	// Cross-check every entry against crypto/x509's parser.
	ref, err := x509.ParseRevocationList(der)
	if err != nil {
		t.Fatal(err)
	}
	for i, want := range ref.RevokedCertificateEntries {
		got, ok := c.Lookup(want.SerialNumber)
		if !ok {
			t.Errorf("entry %d (serial %v) not found", i, want.SerialNumber)
			continue
		}
		if i == 5 { // the duplicate: the first entry wins
			want = ref.RevokedCertificateEntries[0]
		}
		wantReason := want.ReasonCode
		if wantReason == 0 {
			wantReason = crl.ReasonAbsent
		}
		if !got.RevocationTime.Equal(want.RevocationTime) || got.Reason != wantReason ||
			string(got.CertificateIssuer) != string(root.cert.RawSubject) {
			t.Errorf("serial %v: got %+v, want time %v reason %d", want.SerialNumber, got, want.RevocationTime, wantReason)
		}
	}
	if e, _ := c.Lookup(big1); !e.InvalidityDate.Equal(inv) {
		t.Errorf("invalidity date %v, want %v", e.InvalidityDate, inv)
	}
	for _, s := range []int64{0, 3, 5, -1, 127, -128, 255, 256} {
		if _, ok := c.Lookup(big.NewInt(s)); ok {
			t.Errorf("serial %d found but not listed", s)
		}
	}
	if e, ok := c.LookupIssuer(root.cert.RawSubject, big.NewInt(-5)); !ok || e.Reason != crl.ReasonAbsent {
		t.Errorf("LookupIssuer(-5) = %+v, %v", e, ok)
	}
	n := 0
	for serial, e := range c.All() {
		if len(serial) == 0 || e.RevocationTime.IsZero() {
			t.Errorf("All yielded %x %+v", serial, e)
		}
		n++
	}
	if n != c.Len() {
		t.Errorf("All yielded %d entries, want %d", n, c.Len())
	}
}

func TestParseRejects(t *testing.T) {
	root := newCert(t, "Root", nil, true, nil)
	good := signDER(t, crlTemplate(1, revoked(1, 1, now)), root)
	tests := []struct {
		name string
		der  func() []byte
		want error
	}{
		{"unknown critical CRL extension", func() []byte {
			tmpl := crlTemplate(1)
			tmpl.ExtraExtensions = []pkix.Extension{ext(oidUnknown, true, []byte{5, 0})}
			return signDER(t, tmpl, root)
		}, crl.ErrUnrecognizedCritical},
		{"unknown critical entry extension", func() []byte {
			e := revoked(1, 1, now)
			e.ExtraExtensions = []pkix.Extension{ext(oidUnknown, true, []byte{5, 0})}
			return signDER(t, crlTemplate(1, revoked(9, 1, now), e), root)
		}, crl.ErrUnrecognizedCritical},
		{"reason code 7", func() []byte { return signDER(t, crlTemplate(1, revoked(1, 7, now)), root) }, crl.ErrMalformed},
		{"reason code 11", func() []byte { return signDER(t, crlTemplate(1, revoked(1, 11, now)), root) }, crl.ErrMalformed},
		{"certificate issuer in a direct CRL", func() []byte {
			e := revoked(1, 1, now)
			e.ExtraExtensions = []pkix.Extension{ext(oidCertIssuer, true, dirNames(root.cert.RawSubject))}
			return signDER(t, crlTemplate(1, e), root)
		}, crl.ErrMalformed},
		{"duplicate CRL extension", func() []byte {
			tmpl := crlTemplate(1)
			tmpl.ExtraExtensions = []pkix.Extension{ext(oidIDP, true, idp("", 1)), ext(oidIDP, true, idp("", 1))}
			return signDER(t, tmpl, root)
		}, crl.ErrMalformed},
		{"two only-contains flags", func() []byte {
			tmpl := crlTemplate(1)
			tmpl.ExtraExtensions = []pkix.Extension{ext(oidIDP, true, idp("", 1, 2))}
			return signDER(t, tmpl, root)
		}, crl.ErrMalformed},
		{"truncated", func() []byte { return good[:len(good)-1] }, crl.ErrMalformed},
		{"trailing data", func() []byte { return append(append([]byte{}, good...), 0) }, crl.ErrMalformed},
		{"empty", func() []byte { return nil }, crl.ErrMalformed},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			_, err := crl.Parse(tc.der())
			if !errors.Is(err, tc.want) {
				t.Errorf("Parse error %v, want %v", err, tc.want)
			}
		})
	}
}

// fixture is a root, a CA under it, an end entity and a CA certificate
// issued by that CA, for Determine tests.
type fixture struct {
	root, ca, ee, subCA *ca
}

func newFixture(t testing.TB, mutateCA func(*x509.Certificate)) *fixture {
	f := &fixture{root: newCert(t, "Root", nil, true, nil)}
	f.ca = newCert(t, "Issuing CA", f.root, true, mutateCA)
	f.ee = newCert(t, "End entity", f.ca, false, func(c *x509.Certificate) { c.SerialNumber = big.NewInt(5) })
	f.subCA = newCert(t, "Sub CA", f.ca, true, func(c *x509.Certificate) { c.SerialNumber = big.NewInt(6) })
	return f
}

func (f *fixture) check(cert *ca, crls ...*crl.CRL) crl.Check {
	return crl.Check{Cert: cert.cert, Issuer: f.ca.cert, Time: now, CRLs: crls}
}

func TestDetermine(t *testing.T) {
	tests := []struct {
		name   string
		run    func(t *testing.T) crl.Result
		want   crl.Status
		reason int    // expected Entry.Reason when Revoked
		substr string // expected in Reason or Notes
	}{
		{"not listed", func(t *testing.T) crl.Result {
			f := newFixture(t, nil)
			return crl.Determine(f.check(f.ee, sign(t, crlTemplate(1, revoked(9, 1, now.AddDate(0, -1, 0))), f.ca)))
		}, crl.Good, 0, "not revoked"},
		{"revoked keyCompromise", func(t *testing.T) crl.Result {
			f := newFixture(t, nil)
			return crl.Determine(f.check(f.ee, sign(t, crlTemplate(1, revoked(5, 1, now.AddDate(0, -1, 0))), f.ca)))
		}, crl.Revoked, crl.ReasonKeyCompromise, "keyCompromise"},
		{"revoked without reason code", func(t *testing.T) crl.Result {
			f := newFixture(t, nil)
			return crl.Determine(f.check(f.ee, sign(t, crlTemplate(1, revoked(5, 0, now.AddDate(0, -1, 0))), f.ca)))
		}, crl.Revoked, crl.ReasonAbsent, "absent"},
		{"on hold", func(t *testing.T) crl.Result {
			f := newFixture(t, nil)
			return crl.Determine(f.check(f.ee, sign(t, crlTemplate(1, revoked(5, crl.ReasonCertificateHold, now.AddDate(0, -1, 0))), f.ca)))
		}, crl.Revoked, crl.ReasonCertificateHold, "certificateHold"},
		{"revoked after the validation time", func(t *testing.T) crl.Result {
			f := newFixture(t, nil)
			return crl.Determine(f.check(f.ee, sign(t, crlTemplate(1, revoked(5, 1, now.Add(30*time.Minute))), f.ca)))
		}, crl.Good, 0, "after the validation time"},
		{"expired nextUpdate", func(t *testing.T) crl.Result {
			f := newFixture(t, nil)
			tmpl := crlTemplate(1)
			tmpl.ThisUpdate, tmpl.NextUpdate = now.AddDate(0, 0, -10), now.AddDate(0, 0, -1)
			return crl.Determine(f.check(f.ee, sign(t, tmpl, f.ca)))
		}, crl.Undetermined, 0, "before the validation time"},
		{"thisUpdate in the future", func(t *testing.T) crl.Result {
			f := newFixture(t, nil)
			tmpl := crlTemplate(1)
			tmpl.ThisUpdate, tmpl.NextUpdate = now.Add(time.Minute), now.AddDate(0, 0, 7)
			return crl.Determine(f.check(f.ee, sign(t, tmpl, f.ca)))
		}, crl.Undetermined, 0, "issued after the validation time"},
		{"wrong signer key", func(t *testing.T) crl.Result {
			f := newFixture(t, nil)
			impostor := newCert(t, "Issuing CA", nil, true, nil) // same name, other key
			return crl.Determine(f.check(f.ee, sign(t, crlTemplate(1), impostor)))
		}, crl.Undetermined, 0, "signature does not verify"},
		{"issuer lacks cRLSign", func(t *testing.T) crl.Result {
			f := newFixture(t, func(c *x509.Certificate) { c.KeyUsage = x509.KeyUsageCertSign })
			return crl.Determine(f.check(f.ee, sign(t, crlTemplate(1), f.ca)))
		}, crl.Undetermined, 0, "lacks cRLSign"},
		{"separate CRL signing key accepted", func(t *testing.T) crl.Result {
			f := newFixture(t, nil)
			crlKey := newCert(t, "Issuing CA", f.root, false, func(c *x509.Certificate) { c.KeyUsage = x509.KeyUsageCRLSign })
			ch := f.check(f.ee, sign(t, crlTemplate(1, revoked(5, 1, now.AddDate(0, -1, 0))), crlKey))
			ch.CandidateSigners = []*x509.Certificate{f.root.cert, crlKey.cert}
			ch.VerifyCRLIssuer = func(c *x509.Certificate) error { return c.CheckSignatureFrom(f.root.cert) }
			return crl.Determine(ch)
		}, crl.Revoked, crl.ReasonKeyCompromise, ""},
		{"separate CRL signing key refused by the path check", func(t *testing.T) crl.Result {
			f := newFixture(t, nil)
			crlKey := newCert(t, "Issuing CA", f.root, false, func(c *x509.Certificate) { c.KeyUsage = x509.KeyUsageCRLSign })
			ch := f.check(f.ee, sign(t, crlTemplate(1), crlKey))
			ch.CandidateSigners = []*x509.Certificate{crlKey.cert}
			ch.VerifyCRLIssuer = func(*x509.Certificate) error { return errors.New("revoked CRL signer") }
			return crl.Determine(ch)
		}, crl.Undetermined, 0, "revoked CRL signer"},
		{"separate CRL signing key without callback", func(t *testing.T) crl.Result {
			f := newFixture(t, nil)
			crlKey := newCert(t, "Issuing CA", f.root, false, func(c *x509.Certificate) { c.KeyUsage = x509.KeyUsageCRLSign })
			ch := f.check(f.ee, sign(t, crlTemplate(1), crlKey))
			ch.CandidateSigners = []*x509.Certificate{crlKey.cert}
			return crl.Determine(ch)
		}, crl.Undetermined, 0, "no VerifyCRLIssuer"},
		{"candidate signer without cRLSign", func(t *testing.T) crl.Result {
			f := newFixture(t, nil)
			crlKey := newCert(t, "Issuing CA", f.root, false, func(c *x509.Certificate) { c.KeyUsage = x509.KeyUsageDigitalSignature })
			ch := f.check(f.ee, sign(t, crlTemplate(1), crlKey))
			ch.CandidateSigners = []*x509.Certificate{crlKey.cert}
			ch.VerifyCRLIssuer = func(*x509.Certificate) error { return nil }
			return crl.Determine(ch)
		}, crl.Undetermined, 0, "lacks cRLSign"},
		{"onlyContainsCACerts CRL and an end entity", func(t *testing.T) crl.Result {
			f := newFixture(t, nil)
			tmpl := crlTemplate(1)
			tmpl.ExtraExtensions = []pkix.Extension{ext(oidIDP, true, idp("", 2))}
			return crl.Determine(f.check(f.ee, sign(t, tmpl, f.ca)))
		}, crl.Undetermined, 0, "only CA certificates"},
		{"onlyContainsCACerts CRL and a CA", func(t *testing.T) crl.Result {
			f := newFixture(t, nil)
			tmpl := crlTemplate(1, revoked(6, crl.ReasonCACompromise, now.AddDate(0, 0, -1)))
			tmpl.ExtraExtensions = []pkix.Extension{ext(oidIDP, true, idp("", 2))}
			return crl.Determine(f.check(f.subCA, sign(t, tmpl, f.ca)))
		}, crl.Revoked, crl.ReasonCACompromise, ""},
		{"onlyContainsUserCerts CRL and a CA", func(t *testing.T) crl.Result {
			f := newFixture(t, nil)
			tmpl := crlTemplate(1)
			tmpl.ExtraExtensions = []pkix.Extension{ext(oidIDP, true, idp("", 1))}
			return crl.Determine(f.check(f.subCA, sign(t, tmpl, f.ca)))
		}, crl.Undetermined, 0, "only end-entity"},
		{"partitioned CRL by URI: matching distribution point", func(t *testing.T) crl.Result {
			f := newFixture(t, nil)
			ee := newCert(t, "EE", f.ca, false, func(c *x509.Certificate) { c.CRLDistributionPoints = []string{"HTTP://CRL.Example/part1.crl"} })
			tmpl := crlTemplate(1)
			tmpl.ExtraExtensions = []pkix.Extension{ext(oidIDP, true, idp("http://crl.example/part1.crl"))}
			return crl.Determine(f.check(ee, sign(t, tmpl, f.ca)))
		}, crl.Good, 0, ""},
		{"partitioned CRL by URI: other partition", func(t *testing.T) crl.Result {
			f := newFixture(t, nil)
			ee := newCert(t, "EE", f.ca, false, func(c *x509.Certificate) { c.CRLDistributionPoints = []string{"http://crl.example/part2.crl"} })
			tmpl := crlTemplate(1)
			tmpl.ExtraExtensions = []pkix.Extension{ext(oidIDP, true, idp("http://crl.example/part1.crl"))}
			return crl.Determine(f.check(ee, sign(t, tmpl, f.ca)))
		}, crl.Undetermined, 0, "does not match"},
		{"newest CRL wins", func(t *testing.T) crl.Result {
			f := newFixture(t, nil)
			old := crlTemplate(1)
			old.ThisUpdate = now.AddDate(0, 0, -2)
			newer := crlTemplate(2, revoked(5, 1, now.AddDate(0, 0, -1)))
			return crl.Determine(f.check(f.ee, sign(t, old, f.ca), sign(t, newer, f.ca)))
		}, crl.Revoked, crl.ReasonKeyCompromise, "#2"},
		{"CRL of another issuer", func(t *testing.T) crl.Result {
			f := newFixture(t, nil)
			return crl.Determine(f.check(f.ee, sign(t, crlTemplate(1, revoked(5, 1, now)), f.root)))
		}, crl.Undetermined, 0, "none of the 1 CRL"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			r := tc.run(t)
			if r.Status != tc.want {
				t.Fatalf("status %v, want %v: %s %v", r.Status, tc.want, r.Reason, r.Notes)
			}
			if tc.want == crl.Revoked && r.Entry.Reason != tc.reason {
				t.Errorf("reason %d, want %d", r.Entry.Reason, tc.reason)
			}
			if all := r.Reason + " | " + strings.Join(r.Notes, " | "); !strings.Contains(all, tc.substr) {
				t.Errorf("reason/notes %q lack %q", all, tc.substr)
			}
		})
	}
}

func TestDeltaCRL(t *testing.T) {
	f := newFixture(t, nil)
	past := now.AddDate(0, -1, 0)
	complete := func(n int64, entries ...x509.RevocationListEntry) *x509.RevocationList {
		tmpl := crlTemplate(n, entries...)
		tmpl.ThisUpdate = now.AddDate(0, 0, -7)
		return tmpl
	}
	delta := func(base, n int64, entries ...x509.RevocationListEntry) *x509.RevocationList {
		tmpl := crlTemplate(n, entries...)
		tmpl.ExtraExtensions = []pkix.Extension{ext(oidDelta, true, mustMarshal(big.NewInt(base)))}
		return tmpl
	}
	tests := []struct {
		name      string
		crls      []*x509.RevocationList
		want      crl.Status
		wantDelta bool // Result.Delta set
		substr    string
	}{
		{"delta revokes", []*x509.RevocationList{complete(10), delta(10, 11, revoked(5, 1, past))}, crl.Revoked, true, "delta CRL #11"},
		{"delta removes from CRL", []*x509.RevocationList{complete(10, revoked(5, crl.ReasonCertificateHold, past)),
			delta(10, 11, revoked(5, crl.ReasonRemoveFromCRL, past))}, crl.Good, true, "removed from CRL"},
		{"delta overrides hold with keyCompromise", []*x509.RevocationList{complete(10, revoked(5, crl.ReasonCertificateHold, past)),
			delta(10, 11, revoked(5, crl.ReasonKeyCompromise, past))}, crl.Revoked, true, "keyCompromise"},
		{"delta with base newer than the complete CRL is ignored", []*x509.RevocationList{complete(10),
			delta(11, 12, revoked(5, 1, past))}, crl.Good, false, ""},
		{"delta older than the complete CRL is ignored", []*x509.RevocationList{complete(10),
			delta(8, 9, revoked(5, 1, past))}, crl.Good, false, ""},
		{"delta alone", []*x509.RevocationList{delta(10, 11)}, crl.Undetermined, false, "without an applicable complete CRL"},
		{"stale complete with current delta", []*x509.RevocationList{func() *x509.RevocationList {
			c := complete(10)
			c.NextUpdate = now.AddDate(0, 0, -1)
			c.ExtraExtensions = []pkix.Extension{ext(asn1.ObjectIdentifier{2, 5, 29, 46}, false, mustMarshal([]int{}))}
			return c
		}(), delta(10, 11)}, crl.Good, true, ""},
		{"stale complete without delta", []*x509.RevocationList{func() *x509.RevocationList {
			c := complete(10)
			c.NextUpdate = now.AddDate(0, 0, -1)
			return c
		}()}, crl.Undetermined, false, "no current delta"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			var crls []*crl.CRL
			for _, tmpl := range tc.crls {
				crls = append(crls, sign(t, tmpl, f.ca))
			}
			r := crl.Determine(f.check(f.ee, crls...))
			if r.Status != tc.want || (r.Delta != nil) != tc.wantDelta {
				t.Fatalf("status %v delta %v, want %v delta %v: %s %v", r.Status, r.Delta != nil, tc.want, tc.wantDelta, r.Reason, r.Notes)
			}
			if all := r.Reason + " | " + strings.Join(r.Notes, " | "); !strings.Contains(all, tc.substr) {
				t.Errorf("reason/notes %q lack %q", all, tc.substr)
			}
		})
	}
}

// TestIndirectCRL checks that a certificate issuer entry extension applies
// to its entry and the following ones (RFC 5280 §5.3.3).
func TestIndirectCRL(t *testing.T) {
	f := newFixture(t, nil)
	other := newCert(t, "Other CA", f.root, true, nil)
	withIssuer := func(serial int64, issuer []byte) x509.RevocationListEntry {
		e := revoked(serial, 1, now.AddDate(0, 0, -1))
		e.ExtraExtensions = []pkix.Extension{ext(oidCertIssuer, true, dirNames(issuer))}
		return e
	}
	tmpl := crlTemplate(1,
		revoked(1, 1, now.AddDate(0, 0, -1)), // the CRL issuer's (f.ca)
		withIssuer(2, other.cert.RawSubject), // Other CA's
		revoked(3, 1, now.AddDate(0, 0, -1)), // still Other CA's
		withIssuer(4, f.ca.cert.RawSubject),  // back to the CRL issuer
		revoked(5, 1, now.AddDate(0, 0, -1)), // the CRL issuer's
		withIssuer(5, other.cert.RawSubject), // same serial, Other CA: not a duplicate
	)
	tmpl.ExtraExtensions = []pkix.Extension{ext(oidIDP, true, idp("", 4))}
	c := sign(t, tmpl, f.ca)
	for _, tc := range []struct {
		issuer []byte
		serial int64
		want   bool
	}{
		{f.ca.cert.RawSubject, 1, true}, {other.cert.RawSubject, 1, false},
		{f.ca.cert.RawSubject, 2, false}, {other.cert.RawSubject, 2, true},
		{f.ca.cert.RawSubject, 3, false}, {other.cert.RawSubject, 3, true},
		{f.ca.cert.RawSubject, 4, true}, {f.ca.cert.RawSubject, 5, true},
		{other.cert.RawSubject, 5, true}, {other.cert.RawSubject, 4, false},
	} {
		e, ok := c.LookupIssuer(tc.issuer, big.NewInt(tc.serial))
		if ok != tc.want || (ok && string(e.CertificateIssuer) != string(tc.issuer)) {
			t.Errorf("LookupIssuer(%s, %d) = %v %x, want %v", displayCN(tc.issuer), tc.serial, ok, e.CertificateIssuer, tc.want)
		}
	}
	if c.Duplicates() != 0 || c.Len() != 6 {
		t.Errorf("len %d dups %d", c.Len(), c.Duplicates())
	}
	// Other CA's certificate 3, through a distribution point naming f.ca as
	// cRLIssuer, is revoked by the indirect CRL.
	ee := newCert(t, "EE of Other CA", other, false, func(c *x509.Certificate) {
		c.SerialNumber = big.NewInt(3)
		c.ExtraExtensions = []pkix.Extension{ext(asn1.ObjectIdentifier{2, 5, 29, 31}, false, crldpWithCRLIssuer(f.ca.cert.RawSubject))}
	})
	r := crl.Determine(crl.Check{Cert: ee.cert, Issuer: other.cert, Time: now, CRLs: []*crl.CRL{c},
		CandidateSigners: []*x509.Certificate{f.ca.cert}, VerifyCRLIssuer: func(*x509.Certificate) error { return nil }})
	if r.Status != crl.Revoked {
		t.Errorf("indirect: %v %s", r.Status, r.Reason)
	}
}

// crldpWithCRLIssuer is a CRL distribution points extension with one
// distribution point holding only a cRLIssuer directoryName.
func crldpWithCRLIssuer(name []byte) []byte {
	var b cryptobyte.Builder
	b.AddASN1(cbasn1.SEQUENCE, func(b *cryptobyte.Builder) {
		b.AddASN1(cbasn1.SEQUENCE, func(b *cryptobyte.Builder) {
			b.AddASN1(cbasn1.Tag(2).Constructed().ContextSpecific(), func(b *cryptobyte.Builder) {
				b.AddASN1(cbasn1.Tag(4).Constructed().ContextSpecific(), func(b *cryptobyte.Builder) { b.AddBytes(name) })
			})
		})
	})
	return b.BytesOrPanic()
}

func displayCN(raw []byte) string {
	var seq pkix.RDNSequence
	if _, err := asn1.Unmarshal(raw, &seq); err != nil {
		return fmt.Sprintf("%x", raw)
	}
	var n pkix.Name
	n.FillFromRDNSequence(&seq)
	return n.CommonName
}

// TestConcurrentDetermine shares CRLs between goroutines (run with -race).
func TestConcurrentDetermine(t *testing.T) {
	f := newFixture(t, nil)
	c := sign(t, crlTemplate(1, revoked(5, 1, now.AddDate(0, 0, -1))), f.ca)
	var wg sync.WaitGroup
	for range 8 {
		wg.Go(func() {
			for range 20 {
				if r := crl.Determine(f.check(f.ee, c)); r.Status != crl.Revoked {
					t.Errorf("status %v", r.Status)
				}
				if r := crl.Determine(f.check(f.subCA, c)); r.Status != crl.Good {
					t.Errorf("status %v", r.Status)
				}
			}
		})
	}
	wg.Wait()
}
