package trust_test

import (
	"crypto"
	"crypto/ecdsa"
	"crypto/ed25519"
	"crypto/rand"
	"crypto/rsa"
	"crypto/sha1"
	"crypto/sha256"
	"crypto/sha512"
	"crypto/x509"
	"errors"
	"strings"
	"sync"
	"testing"

	"github.com/lienthong/lienthong/test/shared"
	"github.com/lienthong/lienthong/trust"
)

var (
	rsaKeyOnce sync.Once
	rsaKey     *rsa.PrivateKey
)

// testRSAKey is one RSA-2048 key shared by the signature tests.
func testRSAKey(t *testing.T) *rsa.PrivateKey {
	t.Helper()
	rsaKeyOnce.Do(func() {
		k, err := rsa.GenerateKey(rand.Reader, 2048)
		if err != nil {
			panic(err)
		}
		rsaKey = k
	})
	return rsaKey
}

func TestCheckSignatureWith(t *testing.T) {
	msg := []byte("TBSCertificate bytes")
	rk := testRSAKey(t)
	ek := newKey(t)
	_, edPriv, err := ed25519.GenerateKey(rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	otherEC := newKey(t)

	digest := func(h crypto.Hash) []byte {
		switch h {
		case crypto.SHA1:
			d := sha1.Sum(msg)
			return d[:]
		case crypto.SHA256:
			d := sha256.Sum256(msg)
			return d[:]
		case crypto.SHA384:
			d := sha512.Sum384(msg)
			return d[:]
		case crypto.SHA512:
			d := sha512.Sum512(msg)
			return d[:]
		}
		hh := h.New()
		hh.Write(msg)
		return hh.Sum(nil)
	}
	pkcs1 := func(h crypto.Hash) []byte {
		s, err := rsa.SignPKCS1v15(nil, rk, h, digest(h))
		if err != nil {
			t.Fatal(err)
		}
		return s
	}
	pss := func(h crypto.Hash) []byte {
		s, err := rsa.SignPSS(rand.Reader, rk, h, digest(h), &rsa.PSSOptions{SaltLength: rsa.PSSSaltLengthEqualsHash})
		if err != nil {
			t.Fatal(err)
		}
		return s
	}
	ecSig := func(k *ecdsa.PrivateKey, h crypto.Hash) []byte {
		s, err := ecdsa.SignASN1(rand.Reader, k, digest(h))
		if err != nil {
			t.Fatal(err)
		}
		return s
	}
	flip := func(b []byte) []byte {
		c := append([]byte(nil), b...)
		c[len(c)/2] ^= 1
		return c
	}

	tests := []struct {
		name    string
		pub     any
		algo    x509.SignatureAlgorithm
		sig     []byte
		signed  []byte // nil: msg
		wantErr string // "" = valid
	}{
		{name: "RSA SHA-1 (legacy CA generations)", pub: &rk.PublicKey, algo: x509.SHA1WithRSA, sig: pkcs1(crypto.SHA1)},
		{name: "RSA MD5", pub: &rk.PublicKey, algo: x509.MD5WithRSA, sig: pkcs1(crypto.MD5)},
		{name: "RSA SHA-256", pub: &rk.PublicKey, algo: x509.SHA256WithRSA, sig: pkcs1(crypto.SHA256)},
		{name: "RSA SHA-384", pub: &rk.PublicKey, algo: x509.SHA384WithRSA, sig: pkcs1(crypto.SHA384)},
		{name: "RSA SHA-512", pub: &rk.PublicKey, algo: x509.SHA512WithRSA, sig: pkcs1(crypto.SHA512)},
		{name: "RSA-PSS SHA-256", pub: &rk.PublicKey, algo: x509.SHA256WithRSAPSS, sig: pss(crypto.SHA256)},
		{name: "RSA-PSS SHA-512", pub: &rk.PublicKey, algo: x509.SHA512WithRSAPSS, sig: pss(crypto.SHA512)},
		{name: "ECDSA SHA-1", pub: &ek.PublicKey, algo: x509.ECDSAWithSHA1, sig: ecSig(ek, crypto.SHA1)},
		{name: "ECDSA SHA-256", pub: &ek.PublicKey, algo: x509.ECDSAWithSHA256, sig: ecSig(ek, crypto.SHA256)},
		{name: "ECDSA SHA-384", pub: &ek.PublicKey, algo: x509.ECDSAWithSHA384, sig: ecSig(ek, crypto.SHA384)},
		{name: "Ed25519", pub: edPriv.Public(), algo: x509.PureEd25519, sig: ed25519.Sign(edPriv, msg)},

		{name: "RSA SHA-1 signature checked as SHA-256", pub: &rk.PublicKey, algo: x509.SHA256WithRSA, sig: pkcs1(crypto.SHA1), wantErr: "verification"},
		{name: "RSA PKCS#1 v1.5 signature checked as PSS", pub: &rk.PublicKey, algo: x509.SHA256WithRSAPSS, sig: pkcs1(crypto.SHA256), wantErr: "verification"},
		{name: "RSA tampered signature", pub: &rk.PublicKey, algo: x509.SHA256WithRSA, sig: flip(pkcs1(crypto.SHA256)), wantErr: "verification"},
		{name: "RSA other message", pub: &rk.PublicKey, algo: x509.SHA1WithRSA, sig: pkcs1(crypto.SHA1), signed: []byte("other"), wantErr: "verification"},
		{name: "ECDSA other key", pub: &otherEC.PublicKey, algo: x509.ECDSAWithSHA256, sig: ecSig(ek, crypto.SHA256), wantErr: "ECDSA verification failure"},
		{name: "ECDSA garbage signature", pub: &ek.PublicKey, algo: x509.ECDSAWithSHA256, sig: []byte{1, 2, 3}, wantErr: "ECDSA verification failure"},
		{name: "Ed25519 tampered", pub: edPriv.Public(), algo: x509.PureEd25519, sig: flip(ed25519.Sign(edPriv, msg)), wantErr: "Ed25519 verification failure"},
		{name: "RSA algorithm with an ECDSA key", pub: &ek.PublicKey, algo: x509.SHA256WithRSA, sig: pkcs1(crypto.SHA256), wantErr: "does not match"},
		{name: "ECDSA algorithm with an RSA key", pub: &rk.PublicKey, algo: x509.ECDSAWithSHA256, sig: ecSig(ek, crypto.SHA256), wantErr: "does not match"},
		{name: "Ed25519 algorithm with an ECDSA key", pub: &ek.PublicKey, algo: x509.PureEd25519, sig: ed25519.Sign(edPriv, msg), wantErr: "does not match"},
		{name: "DSA algorithm with an RSA key", pub: &rk.PublicKey, algo: x509.DSAWithSHA1, sig: []byte{0x30, 0}, wantErr: "does not match"},
		{name: "unknown algorithm", pub: &rk.PublicKey, algo: x509.UnknownSignatureAlgorithm, sig: pkcs1(crypto.SHA256), wantErr: "unsupported"},
		{name: "MD2 is not supported", pub: &rk.PublicKey, algo: x509.MD2WithRSA, sig: pkcs1(crypto.SHA256), wantErr: "unsupported"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			signed := tt.signed
			if signed == nil {
				signed = msg
			}
			err := trust.CheckSignatureWith(tt.pub, tt.algo, signed, tt.sig)
			if tt.wantErr == "" {
				if err != nil {
					t.Errorf("CheckSignatureWith: %v", err)
				}
				return
			}
			if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
				t.Errorf("CheckSignatureWith = %v, want an error containing %q", err, tt.wantErr)
			}
			if tt.wantErr == "unsupported" && !errors.Is(err, trust.ErrUnsupportedAlgorithm) {
				t.Errorf("error %v is not ErrUnsupportedAlgorithm", err)
			}
		})
	}
}

func TestCheckSignature(t *testing.T) {
	r := root(t, "Sig Root")
	lookalike := root(t, "Sig Root")
	sub := subCA(t, "Sig Sub", r)
	l := leaf(t, "Sig Leaf", sub)
	// An end entity that signs anyway: CheckSignature does not look at
	// basic constraints, that is the path validator's job.
	notCA := leaf(t, "Sig Not CA", r)
	underNotCA := mkCert(t, certSpec{cn: "Under Not CA", parent: notCA, notCA: true})
	tests := []struct {
		name          string
		child, parent *x509.Certificate
		ok            bool
	}{
		{"self-signed root", r.cert, r.cert, true},
		{"sub-CA by root", sub.cert, r.cert, true},
		{"leaf by sub-CA", l.cert, sub.cert, true},
		{"leaf by root (skipping a level)", l.cert, r.cert, false},
		{"sub-CA by a look-alike root", sub.cert, lookalike.cert, false},
		{"root by its sub-CA", r.cert, sub.cert, false},
		{"signed by a non-CA: only the cryptography is checked", underNotCA.cert, notCA.cert, true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := trust.CheckSignature(tt.child, tt.parent)
			if (err == nil) != tt.ok {
				t.Errorf("CheckSignature = %v, want ok %v", err, tt.ok)
			}
		})
	}
	t.Run("RSA SHA-1 certificate (crypto/x509 refuses it)", func(t *testing.T) {
		k := testRSAKey(t)
		tmpl := &x509.Certificate{SerialNumber: r.cert.SerialNumber, Subject: r.cert.Subject, NotBefore: testNotBefore, NotAfter: testNotAfter,
			BasicConstraintsValid: true, IsCA: true, SignatureAlgorithm: x509.SHA1WithRSA}
		der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &k.PublicKey, k)
		if err != nil {
			t.Skipf("crypto/x509 does not create SHA-1 certificates: %v", err)
		}
		c, err := x509.ParseCertificate(der)
		if err != nil {
			t.Fatal(err)
		}
		if err := c.CheckSignatureFrom(c); err == nil {
			t.Log("crypto/x509 accepted the SHA-1 signature")
		}
		if err := trust.CheckSignature(c, c); err != nil {
			t.Errorf("CheckSignature(SHA-1): %v", err)
		}
	})
}

// TestPKITSSignatures runs NIST PKITS §4.1 (signature verification, with
// RSA and DSA): every certificate of a valid path verifies with its
// predecessor's key; an invalid path has one that does not.
func TestPKITSSignatures(t *testing.T) {
	pk := shared.LoadPKITS(t)
	var n int
	for _, e := range pk.Section("4.1") {
		n++
		t.Run(e.ID+" "+e.Name, func(t *testing.T) {
			certs := make([]*x509.Certificate, len(e.Chain))
			for i, f := range e.Chain {
				der := pk.CertDER(t, f)
				c, err := x509.ParseCertificate(der)
				if err != nil && e.ID == "4.1.5" {
					// DSA keys inheriting their parameters from the
					// issuer need the path validator (test/pkits runs it).
					t.Skipf("%s: %v", f, err)
				}
				if err != nil {
					t.Fatalf("%s: %v", f, err)
				}
				certs[i] = c
			}
			valid := true
			for i := 1; i < len(certs); i++ {
				if err := trust.CheckSignature(certs[i], certs[i-1]); err != nil {
					valid = false
					t.Logf("%s by %s: %v", e.Chain[i], e.Chain[i-1], err)
				}
			}
			if want := e.Expected == "valid"; valid != want {
				t.Errorf("signatures valid = %v, want %v", valid, want)
			}
		})
	}
	if n != 6 {
		t.Errorf("%d PKITS 4.1 entries, want 6", n)
	}
}
