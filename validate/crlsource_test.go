package validate

import (
	"bytes"
	"context"
	"crypto"
	"crypto/md5"
	"crypto/rand"
	"crypto/rsa"
	"crypto/x509"
	"math/big"
	"testing"
	"time"

	"golang.org/x/crypto/ocsp"

	"github.com/lienthong/lienthong/test/testpki"
	"github.com/lienthong/lienthong/trust"
	"github.com/lienthong/lienthong/validate/crl"
)

// newCRL returns a CRL of is, signed by signer (is when nil), listing the
// given serials as revoked an hour before t0.
func newCRL(t *testing.T, is *testpki.Issuer, signer *testpki.Issuer, serials ...*big.Int) *crl.CRL {
	t.Helper()
	if signer == nil {
		signer = is
	}
	var entries []x509.RevocationListEntry
	for _, s := range serials {
		entries = append(entries, x509.RevocationListEntry{SerialNumber: s, RevocationTime: t0.Add(-time.Hour), ReasonCode: ocsp.KeyCompromise})
	}
	der, err := x509.CreateRevocationList(rand.Reader, &x509.RevocationList{
		Number: big.NewInt(1), ThisUpdate: t0.Add(-time.Minute), NextUpdate: t0.Add(24 * time.Hour),
		RevokedCertificateEntries: entries,
	}, signer.Cert, signer.Key)
	if err != nil {
		t.Fatal(err)
	}
	c, err := crl.Parse(der)
	if err != nil {
		t.Fatal(err)
	}
	return c
}

// crlSignerFor issues, under parent, a certificate with the subject of ca
// and a key of its own that may only sign CRLs: a separate CRL-signing key
// of that CA (RFC 5280 §6.3.3 (f)).
func crlSignerFor(t *testing.T, parent, ca *testpki.Issuer) *testpki.Issuer {
	t.Helper()
	s, err := parent.IssueCA("crl signer", testpki.WithName("crl-signer"), testpki.WithMutate(func(c *x509.Certificate) {
		c.RawSubject = ca.Cert.RawSubject
		c.IsCA, c.MaxPathLen = false, -1
		c.KeyUsage = x509.KeyUsageCRLSign
	}))
	if err != nil {
		t.Fatal(err)
	}
	return s
}

// TestStaticCRLs checks a fixed CRL source (as the PKITS harness uses)
// with a CRL signed by a separate CRL-signing key, whose own path is
// validated by Engine.VerifyCRLSigner and must end at the same anchor.
func TestStaticCRLs(t *testing.T) {
	p := newPKI(t, false)
	store := bothDomains(t, p)
	leaf := p.Public.Citizen.Cert
	goodSigner := crlSignerFor(t, p.Public.Root, p.Public.CA)
	otherAnchor := crlSignerFor(t, p.Gov.Root, p.Public.CA)
	rootCRL := newCRL(t, p.Public.Root, nil)
	tests := []struct {
		name          string
		crls          StaticCRLs
		intermediates []*x509.Certificate
		want          string
	}{
		{"CA's own CRL", StaticCRLs{newCRL(t, p.Public.CA, nil, leaf.SerialNumber), rootCRL}, nil, "TOTAL_FAILED/REVOKED"},
		{"CA's own CRL, not listed", StaticCRLs{newCRL(t, p.Public.CA, nil, big.NewInt(7)), rootCRL}, nil, "TOTAL_PASSED"},
		{"separate CRL signer under the same anchor", StaticCRLs{newCRL(t, p.Public.CA, goodSigner, leaf.SerialNumber), rootCRL},
			[]*x509.Certificate{goodSigner.Cert}, "TOTAL_FAILED/REVOKED"},
		{"separate CRL signer not offered", StaticCRLs{newCRL(t, p.Public.CA, goodSigner, leaf.SerialNumber), rootCRL},
			nil, "INDETERMINATE/TRY_LATER"},
		{"CRL signer under another anchor", StaticCRLs{newCRL(t, p.Public.CA, otherAnchor, leaf.SerialNumber), rootCRL},
			[]*x509.Certificate{otherAnchor.Cert}, "INDETERMINATE/TRY_LATER"},
		{"no CRL for the CA certificate", StaticCRLs{newCRL(t, p.Public.CA, nil)}, nil, "INDETERMINATE/TRY_LATER"},
		{"no CRL at all", nil, nil, "INDETERMINATE/TRY_LATER"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			v := staticValidator(t, p, tt.crls)
			rep := v.ValidateCertificate(context.Background(), store, CertificateRequest{Certificate: leaf, Intermediates: tt.intermediates, Time: t0})
			s := rep.Signatures[0]
			if got := verdict(s); got != tt.want {
				t.Errorf("verdict %s, want %s; %s; %+v", got, tt.want, entryStatuses(s), s.Messages)
			}
			for _, e := range s.Revocation {
				if e.Source != SourceCRL || e.Cached {
					t.Errorf("entry %+v", e)
				}
			}
		})
	}
	if p.OCSP.Requests()+p.CRL.Requests() != 0 {
		t.Error("a static source fetched")
	}
}

func TestVerifyCRLSigner(t *testing.T) {
	p := newPKI(t, false)
	store := bothDomains(t, p)
	e := newEngine(t, Options{})
	pubRoot := store.Domain("public").Anchors[0]
	govRoot := store.Domain("government").Anchors[0]
	signer := crlSignerFor(t, p.Public.Root, p.Public.CA)
	under := func(parent *testpki.Issuer) *x509.Certificate {
		l, err := parent.IssueLeaf(name("CRL SIGNER LEAF"), testpki.WithMutate(func(c *x509.Certificate) {
			c.KeyUsage, c.ExtKeyUsage = x509.KeyUsageCRLSign, nil
		}))
		if err != nil {
			t.Fatal(err)
		}
		return l.Cert
	}
	ctx := context.Background()
	tests := []struct {
		name   string
		signer *x509.Certificate
		anchor *trust.Cert
		pool   []*x509.Certificate
		ok     bool
	}{
		{"issued by the anchor", signer.Cert, pubRoot, nil, true},
		{"below an intermediate of the store", under(p.Public.CA), pubRoot, nil, true},
		{"path ends at another anchor", signer.Cert, govRoot, nil, false},
		{"government signer for the public anchor", under(p.Gov.CA), pubRoot, nil, false},
		{"the anchor itself", p.Public.Root.Cert, pubRoot, nil, true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := e.VerifyCRLSigner(ctx, store, tt.signer, tt.anchor, tt.pool, t0)
			if (err == nil) != tt.ok {
				t.Errorf("VerifyCRLSigner = %v, want ok=%v", err, tt.ok)
			}
		})
	}
	if err := e.VerifyCRLSigner(ctx, store, nil, pubRoot, nil, t0); err == nil {
		t.Error("nil signer accepted")
	}
}

// weakCRLFixture is a leaf under an RSA CA, and that CA's empty CRL signed
// with SHA-1 (which Go still signs).
func weakCRLFixture(t *testing.T) (p *testpki.PKI, store *trust.Store, rsaCA *testpki.Issuer, leaf *testpki.Leaf, der []byte) {
	t.Helper()
	p = newPKI(t, false)
	store = bothDomains(t, p)
	rsaCA, err := p.Public.Root.IssueCA("Test RSA CA", testpki.WithRSA(2048))
	if err != nil {
		t.Fatal(err)
	}
	if leaf, err = rsaCA.IssueLeaf(name("WEAK CRL LEAF")); err != nil {
		t.Fatal(err)
	}
	der, err = x509.CreateRevocationList(rand.Reader, &x509.RevocationList{
		Number: big.NewInt(1), ThisUpdate: t0.Add(-time.Minute), NextUpdate: t0.Add(time.Hour),
		SignatureAlgorithm: x509.SHA1WithRSA,
	}, rsaCA.Cert, rsaCA.Key)
	if err != nil {
		t.Fatalf("cannot make a SHA-1 CRL: %v", err)
	}
	return p, store, rsaCA, leaf, der
}

// weakCRLVerdict validates leaf with the CRLs alone (the root's own CRL
// added), under the given SHA-1 cut-off.
func weakCRLVerdict(t *testing.T, p *testpki.PKI, store *trust.Store, rsaCA *testpki.Issuer, leaf *testpki.Leaf, weak *crl.CRL, sha1Until time.Time) SignatureReport {
	t.Helper()
	v := staticValidatorWith(t, p, StaticCRLs{weak, newCRL(t, p.Public.Root, nil)}, RevocationOptions{SHA1Until: sha1Until})
	return v.ValidateCertificate(context.Background(), store, CertificateRequest{Certificate: leaf.Cert,
		Intermediates: []*x509.Certificate{rsaCA.Cert}, Time: t0}).Signatures[0]
}

// TestSHA1CRL: a CRL signed with SHA-1 is used before algorithms.sha1_until,
// with a warning, and gives no proof after it.
func TestSHA1CRL(t *testing.T) {
	p, store, rsaCA, leaf, der := weakCRLFixture(t)
	sha1CRL, err := crl.Parse(der)
	if err != nil {
		t.Fatal(err)
	}
	for _, tt := range []struct {
		until time.Time
		want  string
	}{{t0.AddDate(1, 0, 0), "TOTAL_PASSED"}, {t0.Add(-time.Second), "INDETERMINATE/TRY_LATER"}} {
		s := weakCRLVerdict(t, p, store, rsaCA, leaf, sha1CRL, tt.until)
		if verdict(s) != tt.want || (tt.want == "TOTAL_PASSED") != hasCode(s, LevelWarning, CodeSHA1RevocationSignature) {
			t.Errorf("sha1_until %s: %s %+v", tt.until, verdict(s), s.Messages)
		}
	}
}

// TestMD5CRL: a CRL signed with MD5 gives no proof, at any time (as MD5
// OCSP answers and signatures). Go will not sign with MD5, so the SHA-1
// CRL's algorithm identifiers (same length) are rewritten and re-signed.
func TestMD5CRL(t *testing.T) {
	p, store, rsaCA, leaf, der := weakCRLFixture(t)
	sha1OID := []byte{0x06, 0x09, 0x2a, 0x86, 0x48, 0x86, 0xf7, 0x0d, 0x01, 0x01, 0x05}
	md5OID := []byte{0x06, 0x09, 0x2a, 0x86, 0x48, 0x86, 0xf7, 0x0d, 0x01, 0x01, 0x04}
	der = bytes.ReplaceAll(der, sha1OID, md5OID)
	parsed, err := x509.ParseRevocationList(der)
	if err != nil {
		t.Fatal(err)
	}
	sum := md5.Sum(parsed.RawTBSRevocationList)
	sig, err := rsa.SignPKCS1v15(nil, rsaCA.Key.(*rsa.PrivateKey), crypto.MD5, sum[:])
	if err != nil {
		t.Fatal(err)
	}
	der = append(der[:len(der)-len(sig)], sig...) // the signature BIT STRING ends the CRL
	md5CRL, err := crl.Parse(der)
	if err != nil {
		t.Fatal(err)
	}
	if md5CRL.SignatureAlgorithm() != x509.MD5WithRSA || md5CRL.CheckSignatureFrom(rsaCA.Cert) != nil {
		t.Fatalf("test CRL: algorithm %v, signature %v", md5CRL.SignatureAlgorithm(), md5CRL.CheckSignatureFrom(rsaCA.Cert))
	}
	if s := weakCRLVerdict(t, p, store, rsaCA, leaf, md5CRL, t0.AddDate(1, 0, 0)); verdict(s) != "INDETERMINATE/TRY_LATER" {
		t.Errorf("MD5 CRL: %s %+v", verdict(s), s.Messages)
	}
}
