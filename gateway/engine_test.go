package gateway

import (
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/asn1"
	"encoding/json"
	"math/big"
	"net/http"
	"strings"
	"testing"

	"github.com/lienthong/lienthong/validate"
)

// newSigningLeaf issues a deterministic document-signing certificate for a
// citizen (UID CCCD:…) and a tax code (UID MST:…) under the public CA.
func newSigningLeaf(t *testing.T, p *testPKI) *x509.Certificate {
	t.Helper()
	key := seededKey("citizen leaf")
	uid := asn1.ObjectIdentifier{0, 9, 2342, 19200300, 100, 1, 1}
	tmpl := &x509.Certificate{
		SerialNumber: big.NewInt(1001),
		Subject: pkix.Name{CommonName: "NGUYEN VAN A", Country: []string{"VN"},
			ExtraNames: []pkix.AttributeTypeAndValue{{Type: uid, Value: "CCCD:001099012345"}, {Type: uid, Value: "MST:8000000000"}}},
		NotBefore:   fixedNotBefore,
		NotAfter:    fixedNotAfter,
		KeyUsage:    x509.KeyUsageDigitalSignature | x509.KeyUsageContentCommitment,
		ExtKeyUsage: []x509.ExtKeyUsage{x509.ExtKeyUsageClientAuth, x509.ExtKeyUsageEmailProtection},
	}
	der, err := x509.CreateCertificate(nil, tmpl, p.pubCA.cert, key.Public(), p.pubCA.key)
	if err != nil {
		t.Fatal(err)
	}
	c, err := x509.ParseCertificate(der)
	if err != nil {
		t.Fatal(err)
	}
	return c
}

func engineValidator(t testing.TB, mode validate.RevocationMode) EngineValidator {
	t.Helper()
	e, err := validate.NewEngine(validate.Options{}, validate.Deps{})
	if err != nil {
		t.Fatal(err)
	}
	v, err := validate.NewValidator(e, validate.ValidatorOptions{Revocation: mode})
	if err != nil {
		t.Fatal(err)
	}
	return EngineValidator{V: v}
}

// TestValidateCertificateEngine drives POST /v1/validate through the real
// engine: the DESIGN.md report for a certificate alone, golden.
func TestValidateCertificateEngine(t *testing.T) {
	f := newFixture(t, Options{}, engineValidator(t, validate.RevocationOff))
	leaf := newSigningLeaf(t, f.pki)
	rec := do(t, f.srv.Handler(), http.MethodPost, "/v1/validate?validation_time=2026-11-22T10:00:00Z", "application/json",
		strings.NewReader(certJSON(leaf)))
	if rec.Code != http.StatusOK {
		t.Fatalf("status %d: %s", rec.Code, rec.Body)
	}
	golden(t, "validate_certificate.golden.json", rec.Body.Bytes())

	t.Run("hard-fail without revocation is not TOTAL_PASSED", func(t *testing.T) {
		f := newFixture(t, Options{}, engineValidator(t, validate.RevocationHardFail))
		rec := do(t, f.srv.Handler(), http.MethodPost, "/v1/validate", "application/json", strings.NewReader(certJSON(leaf)))
		var rep validate.Report
		if err := json.Unmarshal(rec.Body.Bytes(), &rep); err != nil || rec.Code != http.StatusOK {
			t.Fatalf("status %d, %v: %s", rec.Code, err, rec.Body)
		}
		if rep.Indication != validate.Indeterminate || rep.Signatures[0].SubIndication != validate.TryLater {
			t.Errorf("got %s/%s", rep.Indication, rep.Signatures[0].SubIndication)
		}
	})
	t.Run("untrusted certificate", func(t *testing.T) {
		other := newTestCA(t, "Unknown Root", 99, nil)
		rec := do(t, f.srv.Handler(), http.MethodPost, "/v1/validate", "application/json",
			strings.NewReader(certJSON(other.cert, `"purpose":"any"`)))
		var rep validate.Report
		if err := json.Unmarshal(rec.Body.Bytes(), &rep); err != nil || rec.Code != http.StatusOK {
			t.Fatalf("status %d, %v: %s", rec.Code, err, rec.Body)
		}
		if rep.Indication != validate.Indeterminate || rep.Signatures[0].SubIndication != validate.NoCertificateChainFound {
			t.Errorf("got %s/%s", rep.Indication, rep.Signatures[0].SubIndication)
		}
	})
}
