package crl

import (
	"crypto/ecdsa"
	"crypto/elliptic"
	crand "crypto/rand"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/asn1"
	"math/big"
	"math/rand/v2"
	"testing"
	"time"

	"golang.org/x/crypto/cryptobyte"
)

// TestAppendSerial checks the lookup key of a serial number against
// encoding/asn1's INTEGER encoding, negative numbers included.
func TestAppendSerial(t *testing.T) {
	r := rand.New(rand.NewPCG(1, 2))
	values := []*big.Int{big.NewInt(0), big.NewInt(1), big.NewInt(-1), big.NewInt(127), big.NewInt(128),
		big.NewInt(-128), big.NewInt(-129), big.NewInt(255), big.NewInt(256), big.NewInt(-256)}
	for range 2000 {
		b := make([]byte, 1+r.IntN(30))
		for i := range b {
			b[i] = byte(r.Uint32())
		}
		v := new(big.Int).SetBytes(b)
		if r.IntN(2) == 0 {
			v.Neg(v)
		}
		values = append(values, v)
	}
	for _, v := range values {
		der, err := asn1.Marshal(v)
		if err != nil {
			t.Fatal(err)
		}
		s := cryptobyte.String(der)
		var want cryptobyte.String
		if !s.ReadASN1(&want, 0x02) {
			t.Fatal("bad INTEGER")
		}
		if got := appendSerial(nil, v); string(got) != string(want) || !minimalInteger(got) {
			t.Errorf("appendSerial(%v) = %x, want %x", v, got, []byte(want))
		}
	}
}

// TestReadTime compares the hand-written time decoder with cryptobyte's.
func TestReadTime(t *testing.T) {
	r := rand.New(rand.NewPCG(3, 4))
	for range 5000 {
		tm := time.Unix(r.Int64N(8_000_000_000)-2_000_000_000, 0).UTC()
		for _, generalized := range []bool{false, true} {
			if !generalized && (tm.Year() < 1950 || tm.Year() > 2049) {
				continue
			}
			var body string
			var tag byte = 0x17
			if generalized {
				tag, body = 0x18, tm.Format("20060102150405Z")
			} else {
				body = tm.Format("060102150405Z")
			}
			der := cryptobyte.String(append([]byte{tag, byte(len(body))}, body...))
			got, ok := readTime(&der)
			if !ok || got != tm.Unix() || !der.Empty() {
				t.Fatalf("readTime(%s) = %d %v, want %d", body, got, ok, tm.Unix())
			}
		}
	}
	for _, bad := range []string{"991332000000Z", "990231000000Z", "990101240000Z", "9901010000a0Z", "990229000000Z"} {
		der := cryptobyte.String(append([]byte{0x17, byte(len(bad))}, bad...))
		if _, ok := readTime(&der); ok {
			t.Errorf("readTime(%s) accepted", bad)
		}
	}
	// Forms other than the two of RFC 5280 go through cryptobyte.
	der := cryptobyte.String(append([]byte{0x17, 11}, "9901010000Z"...))
	if got, ok := readTime(&der); !ok || got != time.Date(1999, 1, 1, 0, 0, 0, 0, time.UTC).Unix() {
		t.Errorf("minute-precision UTCTime: %d %v", got, ok)
	}
}

// FuzzParse checks that Parse never panics and, when both it and
// crypto/x509 accept a CRL, that every serial crypto/x509 sees is found.
func FuzzParse(f *testing.F) {
	f.Add([]byte{0x30, 0x00})
	key, err := ecdsa.GenerateKey(elliptic.P256(), crand.Reader)
	if err != nil {
		f.Fatal(err)
	}
	issuer := &x509.Certificate{Subject: pkix.Name{CommonName: "fuzz"}, SubjectKeyId: []byte{1}, KeyUsage: x509.KeyUsageCRLSign}
	der, err := x509.CreateRevocationList(crand.Reader, &x509.RevocationList{
		Number: big.NewInt(1), ThisUpdate: time.Unix(0, 0), NextUpdate: time.Unix(1e9, 0),
		RevokedCertificateEntries: []x509.RevocationListEntry{
			{SerialNumber: big.NewInt(1), RevocationTime: time.Unix(1, 0), ReasonCode: 1},
			{SerialNumber: big.NewInt(-300), RevocationTime: time.Unix(2, 0)},
		},
	}, issuer, key)
	if err != nil {
		f.Fatal(err)
	}
	f.Add(der)
	f.Fuzz(func(t *testing.T, der []byte) {
		c, err := Parse(der)
		if err != nil {
			return
		}
		ref, err := x509.ParseRevocationList(der)
		if err != nil {
			return
		}
		for _, e := range ref.RevokedCertificateEntries {
			if _, ok := c.Lookup(e.SerialNumber); !ok && !(c.idp != nil && c.idp.IndirectCRL) {
				t.Errorf("serial %v not found", e.SerialNumber)
			}
		}
	})
}
