package validate

import (
	"context"
	"crypto/rand"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/asn1"
	"encoding/json"
	"math/big"
	"reflect"
	"testing"
	"time"

	"github.com/lienthong/lienthong/test/testpki"
)

func TestIdentifiers(t *testing.T) {
	uid := func(v any) pkix.AttributeTypeAndValue { return pkix.AttributeTypeAndValue{Type: oidUID, Value: v} }
	cn := pkix.AttributeTypeAndValue{Type: asn1.ObjectIdentifier{2, 5, 4, 3}, Value: "MST:999"}
	tests := []struct {
		name  string
		names []pkix.AttributeTypeAndValue
		want  map[string]string
	}{
		{"none", nil, map[string]string{}},
		{"citizen", []pkix.AttributeTypeAndValue{uid("CCCD:001099012345")}, map[string]string{"CCCD": "001099012345"}},
		{"several UIDs", []pkix.AttributeTypeAndValue{uid("CMND:012345678"), uid("MST:0101234567")},
			map[string]string{"CMND": "012345678", "MST": "0101234567"}},
		{"branch tax code and spaces", []pkix.AttributeTypeAndValue{uid(" mst : 0101234567-001 ")}, map[string]string{"MST": "0101234567-001"}},
		{"passport and budget unit", []pkix.AttributeTypeAndValue{uid("HC:B1234567"), uid("MNS:1234567")},
			map[string]string{"HC": "B1234567", "MNS": "1234567"}},
		{"first of a repeated key kept", []pkix.AttributeTypeAndValue{uid("MST:1"), uid("MST:2")}, map[string]string{"MST": "1"}},
		{"not KEY:VALUE", []pkix.AttributeTypeAndValue{uid("0101234567"), uid("MST:"), uid("M1:5"), uid("X:1")}, map[string]string{}},
		{"UID only, not other attributes", []pkix.AttributeTypeAndValue{cn}, map[string]string{}},
		{"non-string value ignored", []pkix.AttributeTypeAndValue{uid(42)}, map[string]string{}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := Identifiers(pkix.Name{Names: tt.names})
			if !reflect.DeepEqual(got, tt.want) {
				t.Errorf("Identifiers = %v, want %v", got, tt.want)
			}
		})
	}
}

func TestValidateCertificate(t *testing.T) {
	p := newPKI(t, false)
	store := bothDomains(t, p)
	serverOnly, err := p.Public.CA.IssueLeaf(pkix.Name{CommonName: "www.example.vn"}, testpki.WithMutate(func(c *x509.Certificate) {
		c.ExtKeyUsage = []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth}
		c.KeyUsage = x509.KeyUsageDigitalSignature
	}))
	if err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name     string
		mode     RevocationMode
		req      CertificateRequest
		ind      Indication
		sub      SubIndication
		domain   string
		chainLen int
		code     string
		ids      map[string]string
	}{
		{"citizen, revocation off", RevocationOff, CertificateRequest{Certificate: p.Public.Citizen.Cert},
			TotalPassed, "", "public", 3, CodeRevocationNotChecked, map[string]string{"CCCD": testpki.CitizenUID[len("CCCD:"):]}},
		{"official, revocation off", RevocationOff, CertificateRequest{Certificate: p.Gov.Official.Cert},
			TotalPassed, "", "government", 3, CodeRevocationNotChecked, nil},
		{"hard-fail without revocation support is never TOTAL_PASSED", RevocationHardFail, CertificateRequest{Certificate: p.Public.Business.Cert},
			Indeterminate, TryLater, "public", 3, CodeRevocationNotChecked, map[string]string{"MST": testpki.BusinessUID[len("MST:"):]}},
		{"soft-fail is not TOTAL_PASSED either yet", RevocationSoftFail, CertificateRequest{Certificate: p.Public.Business.Cert},
			Indeterminate, TryLater, "public", 3, CodeRevocationNotChecked, nil},
		{"serverAuth-only leaf refused for signing", RevocationOff, CertificateRequest{Certificate: serverOnly.Cert},
			Indeterminate, ChainConstraintsFailure, "", 0, string(ChainConstraintsFailure), nil},
		{"serverAuth-only leaf accepted with purpose any", RevocationOff, CertificateRequest{Certificate: serverOnly.Cert, Purpose: PurposeAny},
			TotalPassed, "", "public", 3, CodeRevocationNotChecked, nil},
		{"no certificate", RevocationOff, CertificateRequest{}, TotalFailed, FormatFailure, "", 0, string(FormatFailure), nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			v, err := NewValidator(newEngine(t, Options{}), ValidatorOptions{Revocation: tt.mode})
			if err != nil {
				t.Fatal(err)
			}
			if tt.req.Time.IsZero() {
				tt.req.Time = t0
			}
			rep := v.ValidateCertificate(context.Background(), store, tt.req)
			if rep.Format != FormatCertificate || rep.TrustStore != store.Digest() || !rep.ValidationTime.Equal(t0) || len(rep.Signatures) != 1 {
				t.Fatalf("report header = %+v", rep)
			}
			s := rep.Signatures[0]
			if rep.Indication != tt.ind || s.Indication != tt.ind || s.SubIndication != tt.sub {
				t.Errorf("indication = %s / %s/%s, want %s/%s", rep.Indication, s.Indication, s.SubIndication, tt.ind, tt.sub)
			}
			if s.ID != "certificate" || s.Domain != tt.domain || len(s.Chain) != tt.chainLen {
				t.Errorf("id %q domain %q chain %d, want domain %q chain %d", s.ID, s.Domain, len(s.Chain), tt.domain, tt.chainLen)
			}
			found := false
			for _, m := range s.Messages {
				found = found || m.Code == tt.code
			}
			if !found {
				t.Errorf("messages %+v lack %s", s.Messages, tt.code)
			}
			if tt.ids != nil && !reflect.DeepEqual(s.Signer.Identifiers, tt.ids) {
				t.Errorf("identifiers = %v, want %v", s.Signer.Identifiers, tt.ids)
			}
			if _, err := json.Marshal(rep); err != nil {
				t.Fatal(err)
			}
		})
	}
}

func TestWorst(t *testing.T) {
	r := func(i Indication) SignatureReport { return SignatureReport{Indication: i} }
	for _, tt := range []struct {
		in   []SignatureReport
		want Indication
	}{
		{nil, TotalFailed},
		{[]SignatureReport{r(TotalPassed), r(TotalPassed)}, TotalPassed},
		{[]SignatureReport{r(TotalPassed), r(Indeterminate)}, Indeterminate},
		{[]SignatureReport{r(Indeterminate), r(TotalFailed), r(TotalPassed)}, TotalFailed},
	} {
		if got := Worst(tt.in); got != tt.want {
			t.Errorf("Worst(%v) = %s, want %s", tt.in, got, tt.want)
		}
	}
}

// TestAnchorLookalikeCopy: a certificate with an anchor's name and key that
// is not the anchor's own certificate is checked like any other (here: an
// expired re-issue), while the anchor's own certificate passes alone.
func TestAnchorLookalikeCopy(t *testing.T) {
	p := newPKI(t, false)
	store := bothDomains(t, p)
	root := p.Public.Root
	tmpl := *root.Cert
	tmpl.SerialNumber = big.NewInt(4242)
	tmpl.NotBefore, tmpl.NotAfter = t0.Add(-48*time.Hour), t0.Add(-24*time.Hour)
	der, err := x509.CreateCertificate(rand.Reader, &tmpl, &tmpl, root.Cert.PublicKey, root.Key)
	if err != nil {
		t.Fatal(err)
	}
	expiredCopy, err := x509.ParseCertificate(der)
	if err != nil {
		t.Fatal(err)
	}
	e := newEngine(t, Options{})
	if path, fail := verify(t, e, store, PathRequest{Target: root.Cert, Purpose: PurposeAny}); fail != nil || len(path.Chain) != 1 {
		t.Fatalf("anchor itself: %v %v", path, fail)
	}
	_, fail := verify(t, e, store, PathRequest{Target: expiredCopy, Purpose: PurposeAny})
	if fail == nil || fail.SubIndication != OutOfBoundsNoPOE {
		t.Fatalf("expired copy of the anchor: %v, want OUT_OF_BOUNDS_NO_POE", fail)
	}
	if got := Worst([]SignatureReport{{Indication: TotalPassed}, {}}); got != TotalFailed {
		t.Errorf("Worst with an unset indication = %s, want TOTAL_FAILED (fail closed)", got)
	}
}

func TestValidateWithoutStore(t *testing.T) {
	p := newPKI(t, false)
	v, err := NewValidator(newEngine(t, Options{}), ValidatorOptions{Revocation: RevocationOff})
	if err != nil {
		t.Fatal(err)
	}
	rep := v.ValidateCertificate(context.Background(), nil, CertificateRequest{Certificate: p.Public.Citizen.Cert, Time: t0})
	if rep.Indication != Indeterminate || rep.Signatures[0].SubIndication != NoCertificateChainFound {
		t.Errorf("nil store: %s/%s", rep.Indication, rep.Signatures[0].SubIndication)
	}
	if _, err := v.ValidateDocument(context.Background(), nil, Document{Time: t0, Data: []byte("<a/>")}); err == nil {
		t.Error("ValidateDocument with a nil store: no error")
	}
}
