package testsign_test

import (
	"crypto"
	"crypto/ecdsa"
	"crypto/ed25519"
	"crypto/rand"
	"crypto/rsa"
	"crypto/x509/pkix"
	"strings"
	"testing"
	"time"

	"github.com/lienthong/lienthong/test/testpki"
	"github.com/lienthong/lienthong/test/testsign"
	"github.com/lienthong/lienthong/validate/cms"
	"github.com/lienthong/lienthong/validate/pdf"
	"github.com/lienthong/lienthong/validate/signed"
	"github.com/lienthong/lienthong/validate/xmldsig"
)

var t0 = time.Date(2026, 3, 1, 10, 0, 0, 0, time.UTC)

func pki(t *testing.T) *testpki.PKI {
	t.Helper()
	p, err := testpki.New(testpki.Options{Now: t0})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(p.Close)
	return p
}

func leaf(t *testing.T, p *testpki.PKI, cn string, opts ...testpki.CertOption) *testpki.Leaf {
	t.Helper()
	l, err := p.Public.CA.IssueLeaf(pkix.Name{CommonName: cn, Country: []string{"VN"}}, opts...)
	if err != nil {
		t.Fatal(err)
	}
	return l
}

func intact(t *testing.T, what string, sigs []*signed.Signature, err error, want int) {
	t.Helper()
	if err != nil {
		t.Fatalf("%s: %v", what, err)
	}
	if len(sigs) != want {
		t.Fatalf("%s: %d signatures, want %d", what, len(sigs), want)
	}
	for _, s := range sigs {
		if s.Integrity != signed.Intact {
			t.Errorf("%s: %s is %v: %s", what, s.ID, s.Integrity, s.Problem)
		}
	}
}

func TestBuildersVerify(t *testing.T) {
	p := pki(t)
	rsaKey, err := rsa.GenerateKey(rand.Reader, 2048)
	if err != nil {
		t.Fatal(err)
	}
	_, edKey, _ := ed25519.GenerateKey(rand.Reader)
	signers := map[string]*testpki.Leaf{
		"p256":    p.Public.Citizen,
		"rsa":     leaf(t, p, "RSA", testpki.WithKey(rsaKey)),
		"ed25519": leaf(t, p, "ED", testpki.WithKey(edKey)),
	}
	tsaLeaf := leaf(t, p, "TSA", testsign.TimestampingCertOption())
	tsa := testsign.TSA{Cert: tsaLeaf.Cert, Key: tsaLeaf.Key}
	content := []byte("hello, Việt Nam")
	for name, l := range signers {
		t.Run("cms "+name, func(t *testing.T) {
			for _, h := range []crypto.Hash{0, crypto.SHA1} {
				st := t0
				s := testsign.Signer{Cert: l.Cert, Key: l.Key, Hash: h, SigningTime: &st, Timestamp: tsa.SignatureTimestamp(t0)}
				if name == "ed25519" && h == crypto.SHA1 {
					continue
				}
				attached, err := testsign.CMS{Content: content, Signers: []testsign.Signer{s}, Certificates: l.Chain()}.Build()
				if err != nil {
					t.Fatal(err)
				}
				sigs, err := cms.Verify(attached, nil, cms.Options{})
				intact(t, "attached", sigs, err, 1)
				if len(sigs[0].Timestamps) != 1 || sigs[0].Timestamps[0].Integrity != signed.Intact || !sigs[0].Timestamps[0].GenTime.Equal(t0) {
					t.Errorf("timestamp %+v", sigs[0].Timestamps)
				}
				detached, err := testsign.CMS{Content: content, Detached: true, Signers: []testsign.Signer{s}}.Build()
				if err != nil {
					t.Fatal(err)
				}
				sigs, err = cms.Verify(detached, &cms.Content{Segments: [][]byte{content}}, cms.Options{})
				if err == nil && len(sigs) == 1 && sigs[0].Integrity != signed.NoSigner {
					t.Errorf("detached without certificates: %v", sigs[0].Integrity)
				}
			}
			if name != "rsa" {
				return
			}
			pss, err := testsign.CMS{Content: content, Signers: []testsign.Signer{{Cert: l.Cert, Key: l.Key, PSS: true}}, Certificates: l.Chain()}.Build()
			if err != nil {
				t.Fatal(err)
			}
			sigs, err := cms.Verify(pss, nil, cms.Options{})
			intact(t, "pss", sigs, err, 1)
		})
	}
	t.Run("pdf", func(t *testing.T) {
		l := p.Public.Citizen
		s := testsign.Signer{Cert: l.Cert, Key: l.Key}
		doc, err := testsign.PDF{Content: []byte(strings.Repeat("BT ET\n", 100)),
			Signatures:        []testsign.SignFunc{testsign.DetachedCMS(s, l.Issuer.Cert), testsign.DetachedCMS(s)},
			DocumentTimestamp: testsign.DocumentTimestamp(tsa, t0)}.Build()
		if err != nil {
			t.Fatal(err)
		}
		sigs, err := pdf.Verify(doc, pdf.Options{})
		intact(t, "pdf", sigs, err, 3)
		if sigs[0].Coverage != "partial" || sigs[2].Coverage != "whole_document" {
			t.Errorf("coverage %s %s", sigs[0].Coverage, sigs[2].Coverage)
		}
		unsigned, err := testsign.PDF{Content: []byte("BT ET")}.Build()
		if err != nil {
			t.Fatal(err)
		}
		sigs, err = pdf.Verify(unsigned, pdf.Options{})
		intact(t, "unsigned pdf", sigs, err, 0)
	})
	t.Run("xml", func(t *testing.T) {
		ec, err := ecdsa.GenerateKey(p.Public.Citizen.Key.Public().(*ecdsa.PublicKey).Curve, rand.Reader)
		if err != nil {
			t.Fatal(err)
		}
		ecLeaf := leaf(t, p, "EC", testpki.WithKey(ec))
		doc, err := testsign.EInvoice{Items: 3, Signers: []testsign.XMLSigner{
			{Cert: signers["rsa"].Cert, Key: signers["rsa"].Key, SigningTime: "2026-03-01T17:00:00"},
			{Cert: ecLeaf.Cert, Key: ecLeaf.Key, SHA1: true},
		}}.Build()
		if err != nil {
			t.Fatal(err)
		}
		sigs, err := xmldsig.Verify(doc, xmldsig.Options{})
		intact(t, "xml", sigs, err, 2)
		if sigs[0].ClaimedSigningTime == nil {
			t.Error("no signing time")
		}
	})
}
