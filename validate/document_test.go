package validate

import (
	"bytes"
	"context"
	"crypto"
	"crypto/ecdsa"
	"crypto/ed25519"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/rsa"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/base64"
	"encoding/json"
	"errors"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"golang.org/x/crypto/ocsp"

	"github.com/lienthong/lienthong/test/testpki"
	"github.com/lienthong/lienthong/test/testsign"
	"github.com/lienthong/lienthong/trust"
)

// docFixture is a test PKI of both hierarchies, a store of both domains, a
// TSA under the public CA and a Validator without revocation checks.
type docFixture struct {
	p     *testpki.PKI
	store *trust.Store
	tsa   testsign.TSA
	v     *Validator
}

func newDocFixture(tb testing.TB, opts Options) *docFixture {
	tb.Helper()
	f := &docFixture{p: newPKI(tb, false)}
	f.store = bothDomains(tb, f.p)
	tsa := must[*testpki.Leaf](tb)(f.p.Public.CA.IssueLeaf(pkix.Name{CommonName: "Test TSA", Country: []string{"VN"}},
		testsign.TimestampingCertOption()))
	f.tsa = testsign.TSA{Cert: tsa.Cert, Key: tsa.Key}
	v, err := NewValidator(newEngine(tb, opts), ValidatorOptions{Revocation: RevocationOff})
	if err != nil {
		tb.Fatal(err)
	}
	f.v = v
	return f
}

func (f *docFixture) validate(tb testing.TB, doc Document) *Report {
	tb.Helper()
	if doc.Time.IsZero() {
		doc.Time = t0
	}
	rep, err := f.v.ValidateDocument(context.Background(), f.store, doc)
	if err != nil {
		tb.Fatalf("ValidateDocument: %v", err)
	}
	if _, err := json.Marshal(rep); err != nil {
		tb.Fatal(err)
	}
	return rep
}

func signer(l *testpki.Leaf) testsign.Signer {
	st := t0.Add(-time.Minute)
	return testsign.Signer{Cert: l.Cert, Key: l.Key, SigningTime: &st}
}

func buildCMS(tb testing.TB, c testsign.CMS) []byte {
	tb.Helper()
	der, err := c.Build()
	if err != nil {
		tb.Fatal(err)
	}
	return der
}

// verdicts renders a report as "TOP | sig1 | sig2".
func verdicts(r *Report) string {
	parts := []string{string(r.Indication)}
	if r.SubIndication != "" {
		parts[0] += "/" + string(r.SubIndication)
	}
	for _, s := range r.Signatures {
		parts = append(parts, verdict(s))
	}
	return strings.Join(parts, " | ")
}

var content = []byte("Tờ khai hải quan số 1\n")

func TestValidateDocumentCMS(t *testing.T) {
	f := newDocFixture(t, Options{})
	cit := f.p.Public.Citizen
	rsaLeaf := must[*testpki.Leaf](t)(f.p.Public.CA.IssueLeaf(name("RSA SIGNER"), testpki.WithKey(testRSAKey())))
	official := f.p.Gov.Official
	sha256Digest := testsign.Sum(crypto.SHA256, content)
	tests := []struct {
		name  string
		doc   func() Document
		want  string
		check func(t *testing.T, r *Report)
	}{
		{"attached", func() Document {
			return Document{Data: buildCMS(t, testsign.CMS{Content: content, Signers: []testsign.Signer{signer(cit)}, Certificates: []*x509.Certificate{cit.Cert}})}
		}, "TOTAL_PASSED | TOTAL_PASSED", func(t *testing.T, r *Report) {
			s := r.Signatures[0]
			if r.Format != FormatCMS || s.ID != "signer-1" || s.Domain != "public" || s.Hierarchy != "public" || len(s.Chain) != 3 {
				t.Errorf("format %s id %s domain %s/%s chain %d", r.Format, s.ID, s.Domain, s.Hierarchy, len(s.Chain))
			}
			if s.Signer == nil || s.Signer.Identifiers["CCCD"] != "001099012345" {
				t.Errorf("signer %+v", s.Signer)
			}
			if s.SigningTime == nil || !s.SigningTime.Equal(t0.Add(-time.Minute)) || !hasCode(s, LevelInfo, CodeSigningTimeClaimed) {
				t.Errorf("signing time %v, messages %+v", s.SigningTime, s.Messages)
			}
			if s.Timestamp != nil || !hasCode(s, LevelInfo, CodeRevocationNotChecked) {
				t.Errorf("timestamp %v, messages %+v", s.Timestamp, s.Messages)
			}
		}},
		{"attached, government signer, chain from the store", func() Document {
			return Document{Format: FormatCMS, Data: buildCMS(t, testsign.CMS{Content: content, Signers: []testsign.Signer{signer(official)}, Certificates: []*x509.Certificate{official.Cert}})}
		}, "TOTAL_PASSED | TOTAL_PASSED", func(t *testing.T, r *Report) {
			if d := r.Signatures[0].Domain; d != "government" {
				t.Errorf("domain %s", d)
			}
		}},
		{"signer certificate only in the caller's intermediates", func() Document {
			return Document{Data: buildCMS(t, testsign.CMS{Content: content, Signers: []testsign.Signer{signer(cit)}})}
		}, "INDETERMINATE/NO_SIGNING_CERTIFICATE_FOUND | INDETERMINATE/NO_SIGNING_CERTIFICATE_FOUND", nil},
		{"detached with content", func() Document {
			return Document{Data: content, Signature: buildCMS(t, testsign.CMS{Content: content, Detached: true, Signers: []testsign.Signer{signer(cit)}, Certificates: []*x509.Certificate{cit.Cert}})}
		}, "TOTAL_PASSED | TOTAL_PASSED", nil},
		{"detached as PEM", func() Document {
			der := buildCMS(t, testsign.CMS{Content: content, Detached: true, Signers: []testsign.Signer{signer(cit)}, Certificates: []*x509.Certificate{cit.Cert}})
			return Document{Format: FormatCMS, Data: content, Signature: pemBlock("PKCS7", der)}
		}, "TOTAL_PASSED | TOTAL_PASSED", nil},
		{"detached without content", func() Document {
			return Document{Data: buildCMS(t, testsign.CMS{Content: content, Detached: true, Signers: []testsign.Signer{signer(cit)}, Certificates: []*x509.Certificate{cit.Cert}})}
		}, "INDETERMINATE/SIGNED_DATA_NOT_FOUND | INDETERMINATE/SIGNED_DATA_NOT_FOUND", nil},
		{"detached with other content", func() Document {
			return Document{Data: []byte("other"), Signature: buildCMS(t, testsign.CMS{Content: content, Detached: true, Signers: []testsign.Signer{signer(cit)}, Certificates: []*x509.Certificate{cit.Cert}})}
		}, "TOTAL_FAILED/HASH_FAILURE | TOTAL_FAILED/HASH_FAILURE", nil},
		{"digest only", func() Document {
			return Document{Digest: &Digest{crypto.SHA256, sha256Digest}, Signature: buildCMS(t, testsign.CMS{Content: content, Detached: true, Signers: []testsign.Signer{signer(cit)}, Certificates: []*x509.Certificate{cit.Cert}})}
		}, "TOTAL_PASSED | TOTAL_PASSED", nil},
		{"wrong digest", func() Document {
			return Document{Digest: &Digest{crypto.SHA256, make([]byte, 32)}, Signature: buildCMS(t, testsign.CMS{Content: content, Detached: true, Signers: []testsign.Signer{signer(cit)}, Certificates: []*x509.Certificate{cit.Cert}})}
		}, "TOTAL_FAILED/HASH_FAILURE | TOTAL_FAILED/HASH_FAILURE", nil},
		{"SHA-1 before the cut-off", func() Document {
			s := signer(rsaLeaf)
			s.Hash = crypto.SHA1
			return Document{Data: buildCMS(t, testsign.CMS{Content: content, Signers: []testsign.Signer{s}, Certificates: []*x509.Certificate{rsaLeaf.Cert}})}
		}, "TOTAL_PASSED | TOTAL_PASSED", func(t *testing.T, r *Report) {
			if !hasCode(r.Signatures[0], LevelWarning, CodeSHA1Signature) {
				t.Errorf("no SHA1_SIGNATURE warning: %+v", r.Signatures[0].Messages)
			}
		}},
		{"MD5", func() Document {
			s := signer(rsaLeaf)
			s.Hash = crypto.MD5
			return Document{Data: buildCMS(t, testsign.CMS{Content: content, Signers: []testsign.Signer{s}, Certificates: []*x509.Certificate{rsaLeaf.Cert}})}
		}, "INDETERMINATE/CRYPTO_CONSTRAINTS_FAILURE | INDETERMINATE/CRYPTO_CONSTRAINTS_FAILURE", nil},
		{"two signers, one bad", func() Document {
			bad := signer(official)
			bad.Tamper = true
			return Document{Data: buildCMS(t, testsign.CMS{Content: content, Signers: []testsign.Signer{signer(cit), bad},
				Certificates: []*x509.Certificate{cit.Cert, official.Cert}})}
		}, "TOTAL_FAILED/SIG_CRYPTO_FAILURE | TOTAL_PASSED | TOTAL_FAILED/SIG_CRYPTO_FAILURE", func(t *testing.T, r *Report) {
			s := r.Signatures[1]
			if s.Signer == nil || len(s.Chain) != 0 || s.Domain != "" || !hasCode(s, LevelError, string(SigCryptoFailure)) {
				t.Errorf("bad signer entry %+v", s)
			}
		}},
		{"no signer: a certificates-only bundle", func() Document {
			return Document{Data: buildCMS(t, testsign.CMS{Content: content, Certificates: []*x509.Certificate{cit.Cert}})}
		}, "TOTAL_FAILED/FORMAT_FAILURE", func(t *testing.T, r *Report) {
			b, _ := json.Marshal(r)
			if !bytes.Contains(b, []byte(`"signatures":[]`)) || len(r.Messages) != 1 || r.Messages[0].Code != CodeNoSignature {
				t.Errorf("report %s", b)
			}
		}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			r := f.validate(t, tc.doc())
			if got := verdicts(r); got != tc.want {
				t.Fatalf("got %s, want %s; %+v", got, tc.want, r.Signatures)
			}
			if tc.check != nil {
				tc.check(t, r)
			}
		})
	}
}

func TestValidateDocumentSHA1AfterCutoff(t *testing.T) {
	f := newDocFixture(t, Options{SHA1Until: t0.Add(-10 * time.Minute)})
	l := must[*testpki.Leaf](t)(f.p.Public.CA.IssueLeaf(name("RSA SIGNER"), testpki.WithKey(testRSAKey())))
	s := signer(l)
	s.Hash = crypto.SHA1
	der := buildCMS(t, testsign.CMS{Content: content, Signers: []testsign.Signer{s}, Certificates: []*x509.Certificate{l.Cert}})
	r := f.validate(t, Document{Data: der})
	if got := verdicts(r); got != "INDETERMINATE/CRYPTO_CONSTRAINTS_FAILURE | INDETERMINATE/CRYPTO_CONSTRAINTS_FAILURE" {
		t.Fatalf("got %s", got)
	}
	// A timestamp before the cut-off is a proof of existence: SHA-1 is
	// judged at its genTime.
	s.Timestamp = f.tsa.SignatureTimestamp(t0.Add(-30 * time.Minute))
	der = buildCMS(t, testsign.CMS{Content: content, Signers: []testsign.Signer{s}, Certificates: []*x509.Certificate{l.Cert}})
	r = f.validate(t, Document{Data: der})
	if got := verdicts(r); got != "TOTAL_PASSED | TOTAL_PASSED" || !hasCode(r.Signatures[0], LevelWarning, CodeSHA1Signature) {
		t.Fatalf("with an earlier timestamp: got %s, %+v", got, r.Signatures[0].Messages)
	}
}

var testRSAKey = sync.OnceValue(func() *rsa.PrivateKey {
	k, err := rsa.GenerateKey(rand.Reader, 2048)
	if err != nil {
		panic(err)
	}
	return k
})

func pemBlock(typ string, der []byte) []byte {
	var b bytes.Buffer
	b.WriteString("-----BEGIN " + typ + "-----\n")
	enc := []byte(base64.StdEncoding.EncodeToString(der))
	for len(enc) > 64 {
		b.Write(enc[:64])
		b.WriteByte('\n')
		enc = enc[64:]
	}
	b.Write(enc)
	b.WriteString("\n-----END " + typ + "-----\n")
	return b.Bytes()
}

// TestValidateDocumentTimestamps follows ETSI EN 319 102-1 past
// signature validation: a valid signature timestamp is a proof of
// existence, and the signer is judged at its genTime.
func TestValidateDocumentTimestamps(t *testing.T) {
	past := t0.AddDate(-3, 0, 0)
	p, err := testpki.New(testpki.Options{Now: past})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(p.Close)
	tsaLeaf := must[*testpki.Leaf](t)(p.Public.CA.IssueLeaf(name("Test TSA"), testsign.TimestampingCertOption(),
		testpki.WithValidity(past, t0.AddDate(1, 0, 0))))
	tsa := testsign.TSA{Cert: tsaLeaf.Cert, Key: tsaLeaf.Key}
	expired := p.Public.Citizen // valid from past-1h for a year
	current := func(cn string) *testpki.Leaf {
		return must[*testpki.Leaf](t)(p.Public.CA.IssueLeaf(name(cn), testpki.WithValidity(past, t0.AddDate(1, 0, 0))))
	}
	revokedLater, revokedEarlier, revokedNoTS, badTS := current("REVOKED LATER"), current("REVOKED EARLIER"), current("REVOKED NO TS"), current("BAD TS")
	p.Clock.Set(t0)
	p.Revoke(p.Public.CA, revokedLater.Cert.SerialNumber, t0.Add(-time.Hour), ocsp.KeyCompromise)
	p.Revoke(p.Public.CA, revokedEarlier.Cert.SerialNumber, t0.Add(-3*time.Hour), ocsp.KeyCompromise)
	p.Revoke(p.Public.CA, revokedNoTS.Cert.SerialNumber, t0.Add(-3*time.Hour), ocsp.KeyCompromise)
	p.Revoke(p.Public.CA, badTS.Cert.SerialNumber, t0.Add(-3*time.Hour), ocsp.KeyCompromise)
	// OCSP first. An OCSP "good" proves nothing for a certificate that has
	// expired by now (RFC 6960 §4.4.4), so the expired signer's proof comes
	// from the CRL, which says it keeps expired certificates' entries.
	p.CRL.SetExpiredCertsOnCRL(past)
	store := bothDomains(t, p)
	_, v := newChecker(t, p, prometheus.NewRegistry(), revSetup{mode: RevocationHardFail})
	selfTSA := selfSignedTSA(t)

	doc := func(l *testpki.Leaf, ts func([]byte) ([]byte, error)) Document {
		s := testsign.Signer{Cert: l.Cert, Key: l.Key, Timestamp: ts}
		return Document{Time: t0, Data: buildCMS(t, testsign.CMS{Content: content, Signers: []testsign.Signer{s},
			Certificates: []*x509.Certificate{l.Cert}})}
	}
	tests := []struct {
		name string
		doc  Document
		want string
		poe  bool
	}{
		{"expired after the timestamp", doc(expired, tsa.SignatureTimestamp(past.AddDate(0, 6, 0))), "TOTAL_PASSED", true},
		{"expired, no timestamp", doc(expired, nil), "INDETERMINATE/OUT_OF_BOUNDS_NO_POE", false},
		{"revoked after the timestamp", doc(revokedLater, tsa.SignatureTimestamp(t0.Add(-2*time.Hour))), "TOTAL_PASSED", true},
		{"revoked before the timestamp", doc(revokedEarlier, tsa.SignatureTimestamp(t0.Add(-2*time.Hour))), "INDETERMINATE/REVOKED_NO_POE", true},
		{"revoked, no timestamp", doc(revokedNoTS, nil), "INDETERMINATE/REVOKED_NO_POE", false},
		{"revoked, timestamp over other data", doc(badTS, func([]byte) ([]byte, error) {
			return tsa.Token(t0.Add(-4*time.Hour), []byte("something else"))
		}), "INDETERMINATE/REVOKED_NO_POE", false},
		{"revoked, timestamp of an untrusted TSA", doc(badTS, selfTSA.SignatureTimestamp(t0.Add(-4*time.Hour))), "INDETERMINATE/REVOKED_NO_POE", false},
		{"revoked, timestamp by a certificate not for timestamping", doc(badTS, testsign.TSA{Cert: revokedLater.Cert, Key: revokedLater.Key}.SignatureTimestamp(t0.Add(-4*time.Hour))),
			"INDETERMINATE/REVOKED_NO_POE", false},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			r, err := v.ValidateDocument(context.Background(), store, tc.doc)
			if err != nil {
				t.Fatal(err)
			}
			s := r.Signatures[0]
			if verdict(s) != tc.want {
				t.Fatalf("got %s, want %s; %+v", verdict(s), tc.want, s.Messages)
			}
			if hasCode(s, LevelInfo, CodeTimestampPOE) != tc.poe {
				t.Errorf("TIMESTAMP_POE %v, want %v: %+v", !tc.poe, tc.poe, s.Messages)
			}
			if tc.doc.Data != nil && s.Timestamp == nil && strings.Contains(tc.name, "timestamp") && !strings.Contains(tc.name, "no timestamp") {
				t.Errorf("no timestamp object")
			}
			if tc.poe && (s.Timestamp.Indication != TotalPassed || s.Timestamp.Domain != "public" || s.Timestamp.TSA == nil || s.Timestamp.GenTime == nil) {
				t.Errorf("timestamp %+v", s.Timestamp)
			}
			if !tc.poe && s.Timestamp != nil && (s.Timestamp.Indication == TotalPassed || !hasCode(s, LevelWarning, CodeTimestampInvalid)) {
				t.Errorf("timestamp %+v, messages %+v", s.Timestamp, s.Messages)
			}
		})
	}
	t.Run("timestamp token signed with SHA-1 after the cut-off is no proof", func(t *testing.T) {
		// The imprint is SHA-256; only the token's own signature uses
		// SHA-1, refused because the cut-off is before the validation time.
		sha1TSA := testsign.TSA{Cert: tsaLeaf.Cert, Key: tsaLeaf.Key, SignerHash: crypto.SHA1}
		strict, err := NewValidator(newEngine(t, Options{SHA1Until: t0.Add(-24 * time.Hour)}), ValidatorOptions{Revocation: RevocationOff})
		if err != nil {
			t.Fatal(err)
		}
		for _, c := range []struct {
			tsa  testsign.TSA
			want string
		}{{tsa, "TOTAL_PASSED"}, {sha1TSA, "INDETERMINATE/OUT_OF_BOUNDS_NO_POE"}} {
			r, err := strict.ValidateDocument(context.Background(), store, doc(expired, c.tsa.SignatureTimestamp(past.AddDate(0, 6, 0))))
			if err != nil {
				t.Fatal(err)
			}
			if got := verdict(r.Signatures[0]); got != c.want {
				t.Errorf("TSA signer hash %v: got %s, want %s; %+v", c.tsa.SignerHash, got, c.want, r.Signatures[0].Messages)
			}
		}
	})
	t.Run("expired after the timestamp, no proof that covers expired certificates", func(t *testing.T) {
		// Without expiredCertsOnCRL the CRL may have dropped the expired
		// certificate, and an OCSP "good" for it proves nothing either.
		p.CRL.SetExpiredCertsOnCRL(time.Time{})
		_, v := newChecker(t, p, prometheus.NewRegistry(), revSetup{mode: RevocationHardFail}) // fresh caches
		r, err := v.ValidateDocument(context.Background(), store, tests[0].doc)
		if err != nil {
			t.Fatal(err)
		}
		if got := verdict(r.Signatures[0]); got != "INDETERMINATE/TRY_LATER" {
			t.Fatalf("got %s, want INDETERMINATE/TRY_LATER; %+v", got, r.Signatures[0].Messages)
		}
	})
}

// selfSignedTSA is a TSA whose certificate chains to no anchor.
func selfSignedTSA(t *testing.T) testsign.TSA {
	t.Helper()
	p := newPKI(t, false)
	root := must[*testpki.Issuer](t)(p.NewRoot(name("Untrusted Root")))
	l := must[*testpki.Leaf](t)(root.IssueLeaf(name("Untrusted TSA"), testsign.TimestampingCertOption()))
	return testsign.TSA{Cert: l.Cert, Key: l.Key}
}

func TestValidateDocumentPDF(t *testing.T) {
	f := newDocFixture(t, Options{})
	cit, official := f.p.Public.Citizen, f.p.Gov.Official
	build := func(p testsign.PDF) []byte {
		b, err := p.Build()
		if err != nil {
			t.Fatal(err)
		}
		return b
	}
	doc := build(testsign.PDF{Content: []byte("BT /F1 12 Tf (Hello) Tj ET"),
		Signatures: []testsign.SignFunc{
			testsign.DetachedCMS(signer(cit)),
			testsign.DetachedCMS(signer(official), official.Issuer.Cert),
		},
		DocumentTimestamp: testsign.DocumentTimestamp(f.tsa, t0.Add(-time.Minute)),
		AppendUnsigned:    true,
	})
	r := f.validate(t, Document{Data: doc})
	if got := verdicts(r); got != "TOTAL_PASSED | TOTAL_PASSED | TOTAL_PASSED | TOTAL_PASSED" || r.Format != FormatPDF {
		t.Fatalf("got %s (%s)", got, r.Format)
	}
	for i, s := range r.Signatures {
		if s.Coverage != "partial" || !hasCode(s, LevelWarning, CodePartialCoverage) {
			t.Errorf("signature %d: coverage %q, messages %+v", i, s.Coverage, s.Messages)
		}
	}
	if ids := r.Signatures[0].ID + "," + r.Signatures[1].ID; ids != "Signature1,Signature2" {
		t.Errorf("ids %s", ids)
	}
	ts := r.Signatures[2]
	if ts.Timestamp == nil || ts.Timestamp.Indication != TotalPassed || ts.SigningTime != nil || ts.Domain != "public" ||
		!hasCode(ts, LevelInfo, "DOCUMENT_TIMESTAMP") {
		t.Errorf("document timestamp entry %+v / %+v", ts, ts.Timestamp)
	}

	t.Run("unsigned", func(t *testing.T) {
		r := f.validate(t, Document{Format: FormatPDF, Data: build(testsign.PDF{Content: []byte("BT ET")})})
		if got := verdicts(r); got != "TOTAL_FAILED/FORMAT_FAILURE" || len(r.Messages) != 1 || r.Messages[0].Code != CodeNoSignature {
			t.Errorf("got %s %+v", got, r.Messages)
		}
	})
	t.Run("tampered", func(t *testing.T) {
		d := bytes.Replace(build(testsign.PDF{Content: []byte("BT (Hello) Tj ET"), Signatures: []testsign.SignFunc{testsign.DetachedCMS(signer(cit))}}),
			[]byte("Hello"), []byte("Jello"), 1)
		if got := verdicts(f.validate(t, Document{Data: d})); got != "TOTAL_FAILED/HASH_FAILURE | TOTAL_FAILED/HASH_FAILURE" {
			t.Errorf("got %s", got)
		}
	})
}

func TestValidateDocumentXML(t *testing.T) {
	f := newDocFixture(t, Options{})
	rsaLeaf := must[*testpki.Leaf](t)(f.p.Public.CA.IssueLeaf(name("CONG TY BAN"), testpki.WithKey(testRSAKey())))
	official := f.p.Gov.Official
	build := func(e testsign.EInvoice) []byte {
		b, err := e.Build()
		if err != nil {
			t.Fatal(err)
		}
		return b
	}
	doc := build(testsign.EInvoice{Items: 5, Signers: []testsign.XMLSigner{
		{Cert: rsaLeaf.Cert, Key: rsaLeaf.Key, SigningTime: "2026-03-01T16:00:00"},
		{Cert: official.Cert, Key: official.Key},
	}})
	r := f.validate(t, Document{Data: doc})
	if got := verdicts(r); got != "TOTAL_PASSED | TOTAL_PASSED | TOTAL_PASSED" || r.Format != FormatXML {
		t.Fatalf("got %s (%s)", got, r.Format)
	}
	s := r.Signatures[0]
	if s.SigningTime == nil || !s.SigningTime.Equal(time.Date(2026, 3, 1, 9, 0, 0, 0, time.UTC)) || !hasCode(s, LevelInfo, CodePartialCoverage) {
		t.Errorf("signing time %v, messages %+v", s.SigningTime, s.Messages)
	}
	if r.Signatures[1].Domain != "government" {
		t.Errorf("domain %s", r.Signatures[1].Domain)
	}

	t.Run("SHA-1", func(t *testing.T) {
		r := f.validate(t, Document{Data: build(testsign.EInvoice{Items: 1, Signers: []testsign.XMLSigner{{Cert: rsaLeaf.Cert, Key: rsaLeaf.Key, SHA1: true}}})})
		if got := verdicts(r); got != "TOTAL_PASSED | TOTAL_PASSED" || !hasCode(r.Signatures[0], LevelWarning, CodeSHA1Signature) {
			t.Errorf("got %s %+v", got, r.Signatures[0].Messages)
		}
	})
	t.Run("tampered", func(t *testing.T) {
		r := f.validate(t, Document{Data: build(testsign.EInvoice{Items: 1, Signers: []testsign.XMLSigner{{Cert: rsaLeaf.Cert, Key: rsaLeaf.Key, Tamper: true}}})})
		if got := verdicts(r); got != "TOTAL_FAILED/HASH_FAILURE | TOTAL_FAILED/HASH_FAILURE" {
			t.Errorf("got %s", got)
		}
	})
	t.Run("unsigned", func(t *testing.T) {
		r := f.validate(t, Document{Data: build(testsign.EInvoice{Items: 1})})
		if got := verdicts(r); got != "TOTAL_FAILED/FORMAT_FAILURE" || len(r.Signatures) != 0 {
			t.Errorf("got %s", got)
		}
	})
}

func TestValidateDocumentMalformed(t *testing.T) {
	f := newDocFixture(t, Options{})
	random := make([]byte, 2048)
	if _, err := rand.Read(random); err != nil {
		t.Fatal(err)
	}
	random[0] = 0x01
	tests := []struct {
		name string
		doc  Document
	}{
		{"random bytes as pdf", Document{Format: FormatPDF, Data: random}},
		{"random bytes as xml", Document{Format: FormatXML, Data: random}},
		{"random bytes as cms", Document{Format: FormatCMS, Data: random}},
		{"random bytes, sniffed", Document{Data: random}},
		{"truncated PDF", Document{Data: []byte("%PDF-1.7\n1 0 obj\n<<")}},
		{"XML with a DOCTYPE", Document{Data: []byte(`<?xml version="1.0"?><!DOCTYPE a [<!ENTITY x "y">]><a>&x;</a>`)}},
		{"a DER SEQUENCE that is no CMS", Document{Data: []byte{0x30, 0x03, 0x02, 0x01, 0x01}}},
		{"raw without a signature value", Document{Format: FormatRaw, Data: content}},
		{"empty", Document{}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			tc.doc.Time = t0
			r, err := f.v.ValidateDocument(context.Background(), f.store, tc.doc)
			if !errors.Is(err, ErrMalformedDocument) || r != nil {
				t.Errorf("got %v, %v; want ErrMalformedDocument", r, err)
			}
		})
	}
	if _, err := f.v.ValidateDocument(context.Background(), f.store, Document{Data: content}); err == nil {
		t.Error("no validation time: no error")
	}
}

func TestSniff(t *testing.T) {
	tests := map[string]string{
		"%PDF-1.7\n":                    FormatPDF,
		"garbage\n%PDF-1.4\n":           FormatPDF,
		"\xef\xbb\xbf <?xml?><a/>":      FormatXML,
		"\n\t<HDon/>":                   FormatXML,
		"\x30\x82\x01\x00":              FormatCMS,
		"-----BEGIN PKCS7-----\nAA==\n": FormatCMS,
		"hello":                         "",
		"":                              "",
	}
	for in, want := range tests {
		if got := sniff([]byte(in)); got != want {
			t.Errorf("sniff(%q) = %q, want %q", in, got, want)
		}
	}
}

func TestValidateDocumentRaw(t *testing.T) {
	f := newDocFixture(t, Options{})
	rsaLeaf := must[*testpki.Leaf](t)(f.p.Public.CA.IssueLeaf(name("RSA"), testpki.WithKey(testRSAKey())))
	ecKey := must[*ecdsa.PrivateKey](t)(ecdsa.GenerateKey(elliptic.P384(), rand.Reader))
	ecLeaf := must[*testpki.Leaf](t)(f.p.Public.CA.IssueLeaf(name("EC"), testpki.WithKey(ecKey)))
	_, edKey, _ := ed25519.GenerateKey(rand.Reader)
	edLeaf := must[*testpki.Leaf](t)(f.p.Public.CA.IssueLeaf(name("ED"), testpki.WithKey(edKey)))
	sig := func(l *testpki.Leaf, h crypto.Hash, scheme testsign.RawScheme, data []byte, digest bool) []byte {
		return must[[]byte](t)(testsign.RawSignature(l.Key, h, scheme, data, digest))
	}
	doc := []byte(`<Envelope><Body>tờ khai</Body></Envelope>`)
	tests := []struct {
		name string
		d    Document
		want string
		alg  x509.SignatureAlgorithm
	}{
		{"PKCS#1 v1.5 SHA-256", Document{Signature: sig(rsaLeaf, crypto.SHA256, testsign.RawPKCS1, doc, false), Data: doc}, "TOTAL_PASSED", x509.SHA256WithRSA},
		{"PKCS#1 v1.5 SHA-512", Document{Signature: sig(rsaLeaf, crypto.SHA512, testsign.RawPKCS1, doc, false), Data: doc}, "TOTAL_PASSED", x509.SHA512WithRSA},
		{"PKCS#1 v1.5 SHA-1", Document{Signature: sig(rsaLeaf, crypto.SHA1, testsign.RawPKCS1, doc, false), Data: doc}, "TOTAL_PASSED", x509.SHA1WithRSA},
		{"PKCS#1 v1.5 MD5", Document{Signature: sig(rsaLeaf, crypto.MD5, testsign.RawPKCS1, doc, false), Data: doc}, "INDETERMINATE/CRYPTO_CONSTRAINTS_FAILURE", x509.MD5WithRSA},
		{"PSS SHA-256", Document{Signature: sig(rsaLeaf, crypto.SHA256, testsign.RawPSS, doc, false), Data: doc}, "TOTAL_PASSED", x509.SHA256WithRSAPSS},
		{"PSS SHA-384 digest", Document{Signature: sig(rsaLeaf, crypto.SHA384, testsign.RawPSS, testsign.Sum(crypto.SHA384, doc), true),
			Digest: &Digest{crypto.SHA384, testsign.Sum(crypto.SHA384, doc)}}, "TOTAL_PASSED", x509.SHA384WithRSAPSS},
		{"ECDSA ASN.1", Document{Signature: sig(ecLeaf, crypto.SHA384, testsign.RawECDSAASN1, doc, false), Data: doc}, "TOTAL_PASSED", x509.ECDSAWithSHA384},
		{"ECDSA r||s", Document{Signature: sig(ecLeaf, crypto.SHA256, testsign.RawECDSARaw, doc, false), Data: doc}, "TOTAL_PASSED", x509.ECDSAWithSHA256},
		{"ECDSA r||s digest", Document{Signature: sig(ecLeaf, crypto.SHA256, testsign.RawECDSARaw, testsign.Sum(crypto.SHA256, doc), true),
			Digest: &Digest{crypto.SHA256, testsign.Sum(crypto.SHA256, doc)}}, "TOTAL_PASSED", x509.ECDSAWithSHA256},
		{"Ed25519", Document{Signature: sig(edLeaf, 0, testsign.RawEd25519, doc, false), Data: doc}, "TOTAL_PASSED", x509.PureEd25519},
		{"Ed25519 with a digest only", Document{Signature: sig(edLeaf, 0, testsign.RawEd25519, doc, false), Digest: &Digest{crypto.SHA256, testsign.Sum(crypto.SHA256, doc)}},
			"INDETERMINATE/SIGNED_DATA_NOT_FOUND", 0},
		{"wrong document", Document{Signature: sig(rsaLeaf, crypto.SHA256, testsign.RawPKCS1, doc, false), Data: []byte("other")}, "TOTAL_FAILED/SIG_CRYPTO_FAILURE", 0},
		{"wrong document, ECDSA", Document{Signature: sig(ecLeaf, crypto.SHA256, testsign.RawECDSAASN1, doc, false), Data: []byte("other")}, "TOTAL_FAILED/SIG_CRYPTO_FAILURE", 0},
		{"document and a digest that differ", Document{Signature: sig(rsaLeaf, crypto.SHA256, testsign.RawPKCS1, doc, false), Data: doc,
			Digest: &Digest{crypto.SHA256, make([]byte, 32)}}, "TOTAL_FAILED/HASH_FAILURE", 0},
		{"digest of the wrong size", Document{Signature: sig(rsaLeaf, crypto.SHA256, testsign.RawPKCS1, doc, false), Digest: &Digest{crypto.SHA256, []byte{1}}},
			"TOTAL_FAILED/FORMAT_FAILURE", 0},
		{"ECDSA value of the wrong size", Document{Signature: []byte{1, 2, 3}, Data: doc, Certificate: ecLeaf.Cert}, "TOTAL_FAILED/FORMAT_FAILURE", 0},
		{"no document", Document{Format: FormatRaw, Signature: sig(rsaLeaf, crypto.SHA256, testsign.RawPKCS1, doc, false), Certificate: rsaLeaf.Cert}, "INDETERMINATE/SIGNED_DATA_NOT_FOUND", 0},
		{"no certificate", Document{Format: FormatRaw, Signature: []byte{1}, Data: doc}, "INDETERMINATE/NO_SIGNING_CERTIFICATE_FOUND", 0},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			if tc.d.Certificate == nil && tc.d.Format == "" {
				switch {
				case strings.HasPrefix(tc.name, "ECDSA"), strings.Contains(tc.name, "ECDSA"):
					tc.d.Certificate = ecLeaf.Cert
				case strings.HasPrefix(tc.name, "Ed25519"):
					tc.d.Certificate = edLeaf.Cert
				default:
					tc.d.Certificate = rsaLeaf.Cert
				}
			}
			r := f.validate(t, tc.d)
			if r.Format != FormatRaw || len(r.Signatures) != 1 || r.Signatures[0].ID != "signature" {
				t.Fatalf("format %s, %d signatures", r.Format, len(r.Signatures))
			}
			s := r.Signatures[0]
			if verdict(s) != tc.want {
				t.Fatalf("got %s, want %s: %+v", verdict(s), tc.want, s.Messages)
			}
			if tc.want == "TOTAL_PASSED" && (s.Domain != "public" || !hasCode(s, LevelInfo, CodeRawScheme)) {
				t.Errorf("domain %q, messages %+v", s.Domain, s.Messages)
			}
			if tc.alg != 0 {
				got := VerifyRaw(RawSignature{Value: tc.d.Signature, Certificate: tc.d.Certificate, Data: tc.d.Data, Digest: tc.d.Digest})
				if got.SignatureAlgorithm != tc.alg {
					t.Errorf("algorithm %v, want %v", got.SignatureAlgorithm, tc.alg)
				}
			}
		})
	}
}

func TestValidateDocumentCertificateFormat(t *testing.T) {
	f := newDocFixture(t, Options{})
	r := f.validate(t, Document{Format: FormatCertificate, Certificate: f.p.Public.Citizen.Cert})
	if verdicts(r) != "TOTAL_PASSED | TOTAL_PASSED" || r.Format != FormatCertificate || r.Signatures[0].ID != "certificate" {
		t.Errorf("got %s", verdicts(r))
	}
}
