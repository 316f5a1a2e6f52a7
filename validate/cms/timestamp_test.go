package cms_test

import (
	"crypto"
	"math/big"
	"strings"
	"testing"
	"time"

	"github.com/digitorus/timestamp"
	"golang.org/x/crypto/cryptobyte"
	cbasn1 "golang.org/x/crypto/cryptobyte/asn1"

	"github.com/lienthong/lienthong/test/testsign"
	"github.com/lienthong/lienthong/validate/cms"
	"github.com/lienthong/lienthong/validate/signed"
)

func TestParseTimestamp(t *testing.T) {
	f := newFixture(t)
	data := []byte("the signature value being timestamped")
	good := tstSpec{tsa: f.tsa, imprint: testsign.Sum(crypto.SHA256, data), nonce: big.NewInt(99)}
	wantTime := time.Date(2026, 3, 1, 10, 0, 0, 125_000_000, time.UTC)
	cases := []struct {
		name    string
		token   func(t *testing.T) []byte
		data    [][]byte
		digest  []byte
		want    signed.Integrity
		problem string
		noTSA   bool // refused before the signer is looked at
	}{
		{name: "good-over-data", token: func(t *testing.T) []byte { return buildToken(t, good) },
			data: [][]byte{data[:5], data[5:]}, want: signed.Intact},
		{name: "good-over-digest", token: func(t *testing.T) []byte { return buildToken(t, good) },
			digest: testsign.Sum(crypto.SHA256, data), want: signed.Intact},
		{name: "sha512-imprint", token: func(t *testing.T) []byte {
			s := good
			s.hash, s.imprint = crypto.SHA512, testsign.Sum(crypto.SHA512, data)
			return buildToken(t, s)
		}, data: [][]byte{data}, want: signed.Intact},
		{name: "imprint-mismatch", token: func(t *testing.T) []byte { return buildToken(t, good) },
			data: [][]byte{[]byte("other data")}, want: signed.HashMismatch, problem: "message imprint"},
		{name: "bad-token-signature", token: func(t *testing.T) []byte {
			s := good
			s.tamperSig = true
			return buildToken(t, s)
		}, data: [][]byte{data}, want: signed.BadSignature, problem: "token signature"},
		{name: "ess-names-other-cert", token: func(t *testing.T) []byte {
			s := good
			s.essV2 = f.other.Cert
			return buildToken(t, s)
		}, data: [][]byte{data}, want: signed.SignerMismatch},
		{name: "no-data", token: func(t *testing.T) []byte { return buildToken(t, good) },
			want: signed.NoSignedData},
		{name: "not-tstinfo", token: func(t *testing.T) []byte {
			return buildCMS(t, cmsSpec{content: data, certs: ders(f.tsa.Cert),
				signers: []signerSpec{{cert: f.tsa.Cert, key: f.tsa.Key}}})
		}, data: [][]byte{data}, want: signed.Malformed, problem: "not id-ct-TSTInfo", noTSA: true},
		{name: "bad-gentime", token: func(t *testing.T) []byte {
			s := good
			s.genTime = "2026-03-01 10:00"
			return buildToken(t, s)
		}, data: [][]byte{data}, want: signed.Malformed, problem: "genTime"},
		{name: "bad-imprint-length", token: func(t *testing.T) []byte {
			s := good
			s.imprint = []byte{1, 2, 3}
			return buildToken(t, s)
		}, data: [][]byte{data}, want: signed.Malformed, problem: "messageImprint"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			ts, err := cms.ParseTimestamp(tc.token(t), "document", tc.data, tc.digest)
			if err != nil {
				t.Fatalf("ParseTimestamp: %v", err)
			}
			if ts.Integrity != tc.want || !strings.Contains(ts.Problem, tc.problem) {
				t.Fatalf("Integrity = %v (%q), want %v (%q)", ts.Integrity, ts.Problem, tc.want, tc.problem)
			}
			if ts.Kind != "document" || (!tc.noTSA && (ts.TSA == nil || !ts.TSA.Equal(f.tsa.Cert))) || len(ts.Certificates) != 1 {
				t.Errorf("Kind %q, TSA %v, %d certificates", ts.Kind, ts.TSA, len(ts.Certificates))
			}
			if tc.want == signed.Intact {
				if !ts.GenTime.Equal(wantTime) {
					t.Errorf("GenTime = %v, want %v", ts.GenTime, wantTime)
				}
				if ts.DigestAlgorithm == 0 || ts.Problem != "" {
					t.Errorf("DigestAlgorithm %v, Problem %q", ts.DigestAlgorithm, ts.Problem)
				}
			}
		})
	}
	for _, bad := range [][]byte{nil, []byte("garbage"), buildToken(t, good)[:100]} {
		if ts, err := cms.ParseTimestamp(bad, "document", [][]byte{data}, nil); err == nil {
			t.Errorf("ParseTimestamp(%d bytes) = %+v, no error", len(bad), ts)
		}
	}
}

// TestParseTimestampDigitorus checks a token made by digitorus/timestamp.
func TestParseTimestampDigitorus(t *testing.T) {
	f := newFixture(t)
	data := []byte("timestamped")
	ts := timestamp.Timestamp{
		HashAlgorithm:     crypto.SHA256,
		HashedMessage:     testsign.Sum(crypto.SHA256, data),
		Time:              t0,
		Accuracy:          time.Second + 5*time.Millisecond,
		Policy:            oidTSAPolicy,
		Nonce:             big.NewInt(7),
		AddTSACertificate: true,
	}
	resp, err := ts.CreateResponseWithOpts(f.tsa.Cert, f.tsa.Key, crypto.SHA256)
	if err != nil {
		t.Fatal(err)
	}
	token := tokenFromResponse(t, resp)
	got, err := cms.ParseTimestamp(token, "signature", [][]byte{data}, nil)
	if err != nil {
		t.Fatal(err)
	}
	if got.Integrity != signed.Intact || !got.GenTime.Equal(t0) || !got.TSA.Equal(f.tsa.Cert) || got.DigestAlgorithm != crypto.SHA256 {
		t.Errorf("got %v (%s), GenTime %v, TSA %v, %v", got.Integrity, got.Problem, got.GenTime, got.TSA.Subject, got.DigestAlgorithm)
	}
}

// tokenFromResponse extracts the TimeStampToken of a TimeStampResp.
func tokenFromResponse(tb testing.TB, resp []byte) []byte {
	in := cryptobyte.String(resp)
	var seq, token cryptobyte.String
	if !in.ReadASN1(&seq, cbasn1.SEQUENCE) || !seq.SkipASN1(cbasn1.SEQUENCE) || !seq.ReadASN1Element(&token, cbasn1.SEQUENCE) {
		tb.Fatal("malformed TimeStampResp")
	}
	return token
}

// TestVerifySignatureTimestamp: signature-timestamp unsigned attributes
// become Signature.Timestamps, each checked over the signature value.
func TestVerifySignatureTimestamp(t *testing.T) {
	f := newFixture(t)
	tokenOver := func(t *testing.T, sig []byte, tamper bool) []byte {
		return buildToken(t, tstSpec{tsa: f.tsa, imprint: testsign.Sum(crypto.SHA256, sig), tamperSig: tamper})
	}
	cases := []struct {
		name  string
		attrs func(t *testing.T, sig []byte) []attr
		want  []signed.Integrity
	}{
		{"good", func(t *testing.T, sig []byte) []attr {
			return []attr{{oidTimestampAttr, [][]byte{tokenOver(t, sig, false)}}}
		}, []signed.Integrity{signed.Intact}},
		{"two-tokens-one-over-other-data", func(t *testing.T, sig []byte) []attr {
			return []attr{{oidTimestampAttr, [][]byte{tokenOver(t, sig, false), tokenOver(t, []byte("x"), false)}}}
		}, []signed.Integrity{signed.Intact, signed.HashMismatch}},
		{"bad-token-signature", func(t *testing.T, sig []byte) []attr {
			return []attr{{oidTimestampAttr, [][]byte{tokenOver(t, sig, true)}}}
		}, []signed.Integrity{signed.BadSignature}},
		{"unreadable-token", func(t *testing.T, sig []byte) []attr {
			return []attr{{oidTimestampAttr, [][]byte{{0x30, 0x03, 0x02, 0x01, 0x01}}}}
		}, []signed.Integrity{signed.Malformed}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			d := buildCMS(t, cmsSpec{content: document, detached: true, certs: ders(f.p256.Cert),
				signers: []signerSpec{{cert: f.p256.Cert, key: f.p256.Key,
					unsigned: func(sig []byte) []attr { return tc.attrs(t, sig) }}}})
			sigs, err := cms.Verify(d, detached(document), cms.Options{})
			if err != nil {
				t.Fatal(err)
			}
			checkIntegrity(t, sigs, []signed.Integrity{signed.Intact}, "")
			if len(sigs[0].Timestamps) != len(tc.want) {
				t.Fatalf("%d timestamps, want %d", len(sigs[0].Timestamps), len(tc.want))
			}
			for i, ts := range sigs[0].Timestamps {
				if ts.Kind != "signature" || ts.Integrity != tc.want[i] {
					t.Errorf("timestamp %d: %q %v (%s), want %v", i, ts.Kind, ts.Integrity, ts.Problem, tc.want[i])
				}
			}
		})
	}
}
