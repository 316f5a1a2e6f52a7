package cms

import (
	"crypto"
	"crypto/dsa" //nolint:staticcheck // legacy DSA signers
	"crypto/rand"
	"crypto/sha1"
	"crypto/x509"
	"encoding/asn1"
	"math/big"
	"strings"
	"testing"
)

func TestVerifyDSA(t *testing.T) {
	var k dsa.PrivateKey
	if err := dsa.GenerateParameters(&k.Parameters, rand.Reader, dsa.L1024N160); err != nil { //nolint:staticcheck
		t.Fatal(err)
	}
	if err := dsa.GenerateKey(&k, rand.Reader); err != nil { //nolint:staticcheck
		t.Fatal(err)
	}
	digest := sha1.Sum([]byte("signed attributes"))
	r, s, err := dsa.Sign(rand.Reader, &k, digest[:]) //nolint:staticcheck
	if err != nil {
		t.Fatal(err)
	}
	sig, err := asn1.Marshal(struct{ R, S *big.Int }{r, s})
	if err != nil {
		t.Fatal(err)
	}
	sc, err := resolveScheme(crypto.SHA1, algorithmIdentifier{oid: asn1.ObjectIdentifier{1, 2, 840, 10040, 4, 3}})
	if err != nil {
		t.Fatal(err)
	}
	if sc.x509Algorithm() != x509.DSAWithSHA1 {
		t.Errorf("x509Algorithm = %v", sc.x509Algorithm())
	}
	if err := sc.verify(&k.PublicKey, digest[:], nil, sig); err != nil {
		t.Errorf("good DSA signature: %v", err)
	}
	digest[0] ^= 1
	if err := sc.verify(&k.PublicKey, digest[:], nil, sig); err == nil {
		t.Error("DSA signature over another digest verified")
	}
	if err := sc.verify(&k.PublicKey, digest[:], nil, []byte{0x30, 0x00}); err == nil {
		t.Error("malformed DSA signature verified")
	}
}

func TestResolveScheme(t *testing.T) {
	pss := func(params ...byte) algorithmIdentifier {
		ai := algorithmIdentifier{oid: oidRSAPSS}
		if params != nil {
			ai.params = params
		}
		return ai
	}
	sha256Hash := []byte{0xa0, 0x0f, 0x30, 0x0d, 0x06, 0x09, 0x60, 0x86, 0x48, 0x01, 0x65, 0x03, 0x04, 0x02, 0x01, 0x05, 0x00}
	cases := []struct {
		name    string
		digest  crypto.Hash
		alg     algorithmIdentifier
		want    x509.SignatureAlgorithm
		salt    int
		errPart string
	}{
		{name: "pss-defaults-sha1", digest: crypto.SHA1, alg: pss(), want: x509.UnknownSignatureAlgorithm, salt: 20},
		{name: "pss-empty-params", digest: crypto.SHA1, alg: pss(0x30, 0x00), want: x509.UnknownSignatureAlgorithm, salt: 20},
		{name: "pss-sha256-mgf1-sha1", digest: crypto.SHA256, alg: pss(append([]byte{0x30, 0x11}, sha256Hash...)...),
			errPart: "MGF1 hash SHA-1"},
		{name: "pss-hash-differs", digest: crypto.SHA384, alg: pss(), errPart: "differs from the digest algorithm"},
		{name: "pss-trailer-2", digest: crypto.SHA1, alg: pss(0x30, 0x05, 0xa3, 0x03, 0x02, 0x01, 0x02), errPart: "trailer"},
		{name: "pss-garbage", digest: crypto.SHA1, alg: pss(0x04, 0x00), errPart: "malformed"},
		{name: "ecPublicKey", digest: crypto.SHA512, alg: algorithmIdentifier{oid: oidECPublicKey}, want: x509.ECDSAWithSHA512},
		{name: "unknown", digest: crypto.SHA256, alg: algorithmIdentifier{oid: asn1.ObjectIdentifier{1, 2}}, errPart: "unsupported signature algorithm 1.2"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			sc, err := resolveScheme(tc.digest, tc.alg)
			if tc.errPart != "" {
				if err == nil || !strings.Contains(err.Error(), tc.errPart) {
					t.Fatalf("resolveScheme = %+v, %v; want error with %q", sc, err, tc.errPart)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if sc.x509Algorithm() != tc.want || sc.saltLength != tc.salt {
				t.Errorf("scheme %+v, x509 %v", sc, sc.x509Algorithm())
			}
		})
	}
}
