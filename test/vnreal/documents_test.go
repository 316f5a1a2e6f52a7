package vnreal

import (
	"context"
	"crypto/x509"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/lienthong/lienthong/test/shared"
	"github.com/lienthong/lienthong/trust"
	"github.com/lienthong/lienthong/validate"
)

// Fingerprints of the government G1 root and its Bo Tai chinh sub-CA
// (vn-real README).
const (
	vgcaG1Root = "f7bc89054cec7f12730d7b8cd3eb7955b163835087e5eb873edfb584763b3f90"
	vgcaG1BTC  = "a262cfa489dbbe666f8b89fab832547809874d5a06fa9f7a38fc227ebdf40514"
)

// documentStore is the trust store of the document tests: the public
// roots (MIC 2008 included) and the government roots of vn-real as
// anchors, and every vn-real sub-CA as a store intermediate of its
// hierarchy (vgca-* government, the others public).
func documentStore(t *testing.T) *trust.Store {
	t.Helper()
	f := load(t)
	var pub, gov []*x509.Certificate
	for c, name := range f.caFiles {
		if strings.HasPrefix(name, "vgca-") {
			gov = append(gov, c)
		} else {
			pub = append(pub, c)
		}
	}
	read := func(names []string) []*x509.Certificate {
		var out []*x509.Certificate
		for _, n := range names {
			out = append(out, readOne(t, filepath.Join(f.dir, n)))
		}
		return out
	}
	s, err := trust.New([]trust.DomainSpec{
		{Name: "public", Hierarchy: trust.Public, Anchors: read(publicAnchors), Intermediates: pub},
		{Name: "government", Hierarchy: trust.Government, Anchors: read(governmentAnchors), Intermediates: gov},
	}, nil)
	if err != nil {
		t.Fatal(err)
	}
	return s
}

// TestRealDocuments validates the real signed samples of vn-real with
// revocation off, at times inside their signers' validity. Several hold
// personal data: failures print verdicts and message codes only.
func TestRealDocuments(t *testing.T) {
	store := documentStore(t)
	v, err := validate.NewValidator(engine(t, validate.Options{}), validate.ValidatorOptions{Revocation: validate.RevocationOff})
	if err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		file  string
		at    time.Time
		want  []string // per signature: INDICATION[/SUB]
		check func(t *testing.T, r *validate.Report)
	}{
		{
			// Production tax notice of 2022-01-04, signed twice with
			// government (VGCA G1, SHA-1 generation) certificates.
			file: "tax-notice-tbao-01TB-DKDT-signed-by-VGCA-btc-certs-VALID.xml",
			at:   time.Date(2022, 6, 1, 0, 0, 0, 0, time.UTC),
			want: []string{"TOTAL_PASSED", "TOTAL_PASSED"},
			check: func(t *testing.T, r *validate.Report) {
				for i, s := range r.Signatures {
					if s.Domain != "government" || s.Hierarchy != "government" || len(s.Chain) != 3 {
						t.Fatalf("signature %d: domain %s/%s, chain of %d", i, s.Domain, s.Hierarchy, len(s.Chain))
					}
					if s.Chain[2].SHA256 != vgcaG1Root || s.Chain[1].SHA256 != vgcaG1BTC {
						t.Errorf("signature %d: chain does not run through the G1 Bo Tai chinh sub-CA to the G1 root", i)
					}
					if !hasCode(s, "warning", validate.CodeSHA1CertificateSignature) || !hasCode(s, "info", validate.CodeRevocationNotChecked) ||
						!hasCode(s, "info", validate.CodeSigningTimeClaimed) || s.SigningTime == nil {
						t.Errorf("signature %d: messages %v", i, codes(s))
					}
				}
			},
		},
		{
			// Decree 123 e-invoice from the tax authority's test
			// environment: both signatures intact, issued by test CAs.
			file: "einvoice-tdiep202-nd123-seller-and-cqt-xmldsig-VALID.xml",
			at:   time.Date(2022, 6, 1, 0, 0, 0, 0, time.UTC),
			want: []string{"INDETERMINATE/NO_CERTIFICATE_CHAIN_FOUND", "INDETERMINATE/NO_CERTIFICATE_CHAIN_FOUND"},
			check: func(t *testing.T, r *validate.Report) {
				for i, s := range r.Signatures {
					if hasCode(s, "", string(validate.HashFailure)) || hasCode(s, "", string(validate.SigCryptoFailure)) || s.Signer == nil {
						t.Errorf("signature %d is not intact: %v", i, codes(s))
					}
				}
			},
		},
		{
			// A real hospital PDF whose RSA signature does not verify.
			file: "easyca-signed-pdf-adbe-pkcs7-detached-sha1-INVALID-sig.pdf",
			at:   time.Date(2022, 6, 1, 0, 0, 0, 0, time.UTC),
			want: []string{"TOTAL_FAILED/SIG_CRYPTO_FAILURE"},
		},
		{
			// Mobile-ID test PKI that copies the names of the real MIC
			// root and FPT CA with other keys.
			file: "mobileid-test-cades-pdf-LOOKALIKE-MIC-root-chain.pdf",
			at:   time.Date(2023, 6, 1, 0, 0, 0, 0, time.UTC),
			want: []string{"INDETERMINATE/NO_CERTIFICATE_CHAIN_FOUND"},
		},
		{
			file: "mobileid-test-cades-pdf-selfsigned-test-root-cmnd.pdf",
			at:   time.Date(2023, 6, 1, 0, 0, 0, 0, time.UTC),
			want: []string{"INDETERMINATE/NO_CERTIFICATE_CHAIN_FOUND"},
		},
	}
	for _, tc := range tests {
		t.Run(tc.file, func(t *testing.T) {
			data, err := os.ReadFile(shared.Path(t, "vn-real", "samples", "signed", tc.file))
			if err != nil {
				t.Fatal(err)
			}
			r, err := v.ValidateDocument(context.Background(), store, validate.Document{Data: data, Time: tc.at})
			if err != nil {
				t.Fatalf("ValidateDocument: %v", err)
			}
			if len(r.Signatures) != len(tc.want) {
				t.Fatalf("%d signatures, want %d", len(r.Signatures), len(tc.want))
			}
			for i, s := range r.Signatures {
				if got := verdict(s); got != tc.want[i] {
					t.Errorf("signature %d: %s, want %s (messages %v)", i, got, tc.want[i], codes(s))
				}
			}
			if tc.check != nil {
				tc.check(t, r)
			}
		})
	}
}

func verdict(s validate.SignatureReport) string {
	if s.SubIndication == "" {
		return string(s.Indication)
	}
	return string(s.Indication) + "/" + string(s.SubIndication)
}

// codes lists "level:CODE" of the messages: never their texts, which may
// quote a certificate.
func codes(s validate.SignatureReport) []string {
	out := make([]string, len(s.Messages))
	for i, m := range s.Messages {
		out[i] = m.Level + ":" + m.Code
	}
	return out
}

func hasCode(s validate.SignatureReport, level, code string) bool {
	for _, m := range s.Messages {
		if m.Code == code && (level == "" || m.Level == level) {
			return true
		}
	}
	return false
}
