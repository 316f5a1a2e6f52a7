package validate

import (
	"context"
	"crypto/x509"
	"math/big"
	"strings"
	"testing"

	"github.com/lienthong/lienthong/test/testpki"
)

// TestCRLSignerRevocation: a CRL signed by a separate CRL-signing key is
// used only while that key's certificate is itself proven not revoked (RFC
// 5280 §6.3.3 (f) asks for a validated path to the CRL issuer, and §6.1.3
// (a)(3) makes revocation part of it; NIST PKITS 4.4.21).
func TestCRLSignerRevocation(t *testing.T) {
	p := newPKI(t, false)
	store := bothDomains(t, p)
	leaf := p.Public.Citizen.Cert
	signer := crlSignerFor(t, p.Public.Root, p.Public.CA)
	tests := []struct {
		name string
		crls StaticCRLs
		want string
		text string // in an error message
	}{
		{"signer good, leaf not listed", StaticCRLs{newCRL(t, p.Public.CA, signer, big.NewInt(7)), newCRL(t, p.Public.Root, nil)},
			"TOTAL_PASSED", ""},
		{"signer good, leaf listed", StaticCRLs{newCRL(t, p.Public.CA, signer, leaf.SerialNumber), newCRL(t, p.Public.Root, nil)},
			"TOTAL_FAILED/REVOKED", ""},
		{"signer revoked, leaf not listed", StaticCRLs{newCRL(t, p.Public.CA, signer, big.NewInt(7)), newCRL(t, p.Public.Root, nil, signer.Cert.SerialNumber)},
			"INDETERMINATE/TRY_LATER", "the CRL signer's certificate was revoked"},
		{"signer revoked, leaf listed", StaticCRLs{newCRL(t, p.Public.CA, signer, leaf.SerialNumber), newCRL(t, p.Public.Root, nil, signer.Cert.SerialNumber)},
			"INDETERMINATE/TRY_LATER", "the CRL signer's certificate was revoked"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s := staticValidator(t, p, tt.crls).ValidateCertificate(context.Background(), store, CertificateRequest{Certificate: leaf,
				Intermediates: []*x509.Certificate{signer.Cert}, Time: t0}).Signatures[0]
			if got := verdict(s); got != tt.want {
				t.Fatalf("verdict %s, want %s; %s; %+v", got, tt.want, entryStatuses(s), s.Messages)
			}
			if tt.text != "" {
				found := false
				for _, m := range s.Messages {
					found = found || (m.Level == LevelError && strings.Contains(m.Text, tt.text))
				}
				if !found {
					t.Errorf("no error message mentions %q: %+v", tt.text, s.Messages)
				}
			}
		})
	}
	if p.OCSP.Requests()+p.CRL.Requests() != 0 {
		t.Error("a static source fetched")
	}
}

// TestCRLSignerDepth: past maxCRLSignerDepth no separate CRL signer is
// accepted, so signers vouching for each other cannot recurse.
func TestCRLSignerDepth(t *testing.T) {
	p := newPKI(t, false)
	store := bothDomains(t, p)
	v := staticValidator(t, p, nil)
	anchor := store.Domain("public").Anchors[0]
	for d := 1; d <= maxCRLSignerDepth; d++ {
		if v.crlSignerVerifier(store, anchor, nil, nil, d) == nil {
			t.Errorf("depth %d: no verifier", d)
		}
	}
	if v.crlSignerVerifier(store, anchor, nil, nil, maxCRLSignerDepth+1) != nil {
		t.Error("a verifier past maxCRLSignerDepth")
	}
}

// staticValidator is a hard-fail Validator whose checker uses crls alone.
func staticValidator(t *testing.T, p *testpki.PKI, crls StaticCRLs) *Validator {
	t.Helper()
	return staticValidatorWith(t, p, crls, RevocationOptions{})
}

// staticValidatorWith is staticValidator with the checker's options.
func staticValidatorWith(t *testing.T, p *testpki.PKI, crls StaticCRLs, opts RevocationOptions) *Validator {
	t.Helper()
	checker, err := NewRevocationChecker(opts, RevocationDeps{CRLs: crls, Clock: p.Clock})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(checker.Close)
	v, err := NewValidator(newEngine(t, Options{}), ValidatorOptions{Checker: checker})
	if err != nil {
		t.Fatal(err)
	}
	return v
}
