package cms_test

import (
	"crypto"
	"strings"
	"testing"

	"github.com/lienthong/lienthong/test/testsign"
	"github.com/lienthong/lienthong/validate/cms"
	"github.com/lienthong/lienthong/validate/signed"
)

// seeds returns valid CMS of several shapes, BER, a truncated one and
// garbage, for both fuzz targets.
func seeds(tb testing.TB, f *fixture) [][]byte {
	data := []byte("fuzz content")
	token := buildToken(tb, tstSpec{tsa: f.tsa, imprint: testsign.Sum(crypto.SHA256, data)})
	withTS := buildCMS(tb, cmsSpec{content: data, certs: ders(f.p256.Cert, f.tsa.Cert),
		signers: []signerSpec{{cert: f.p256.Cert, key: f.p256.Key, signingTime: &t0, essV2: f.p256.Cert,
			unsigned: func(sig []byte) []attr {
				return []attr{{oidTimestampAttr, [][]byte{buildToken(tb, tstSpec{tsa: f.tsa, imprint: testsign.Sum(crypto.SHA256, sig)})}}}
			}}}})
	detachedRSA := buildCMS(tb, cmsSpec{content: data, detached: true, certs: ders(f.rsa.Cert),
		signers: []signerSpec{{cert: f.rsa.Cert, key: f.rsa.Key, pss: true, useSKI: true}}})
	noAttrs := buildCMS(tb, cmsSpec{content: data, certs: ders(f.p384.Cert),
		signers: []signerSpec{{cert: f.p384.Cert, key: f.p384.Key, hash: crypto.SHA384, noAttrs: true}}})
	return [][]byte{
		token, withTS, detachedRSA, noAttrs,
		toBER(tb, withTS), toBER(tb, token),
		withTS[:len(withTS)/2],
		[]byte("\xff garbage \x30\x84\x7f\xff\xff\xff"),
		{0x30, 0x80, 0x30, 0x80, 0x00, 0x00, 0x00, 0x00},
		{},
	}
}

// FuzzVerify feeds hostile bytes to Verify: no panic, an error or
// signatures (never both), and Intact only with a signer.
func FuzzVerify(f *testing.F) {
	fx := newFixture(f)
	for _, s := range seeds(f, fx) {
		f.Add(s)
	}
	content := &cms.Content{Segments: [][]byte{[]byte("fuzz "), []byte("content")}}
	f.Fuzz(func(t *testing.T, der []byte) {
		sigs, err := cms.Verify(der, content, cms.Options{})
		// Verify recovers panics so that the gateway survives them; a
		// fuzzer must still see them.
		if err != nil && strings.Contains(err.Error(), "recovered panic") {
			t.Fatalf("panic: %v", err)
		}
		for _, s := range sigs {
			if strings.Contains(s.Problem, "recovered panic") {
				t.Fatalf("panic: %s", s.Problem)
			}
			for _, ts := range s.Timestamps {
				if strings.Contains(ts.Problem, "recovered panic") {
					t.Fatalf("panic in timestamp: %s", ts.Problem)
				}
			}
		}
		if err != nil {
			if sigs != nil {
				t.Fatalf("signatures with error %v", err)
			}
			return
		}
		for _, s := range sigs {
			if s.Integrity < signed.Intact || s.Integrity > signed.SignerMismatch {
				t.Fatalf("Integrity %d", s.Integrity)
			}
			if s.Integrity == signed.Intact && (s.Signer == nil || s.Problem != "") {
				t.Fatalf("intact without signer or with problem %q", s.Problem)
			}
			for _, ts := range s.Timestamps {
				if ts.Integrity == signed.Intact && ts.TSA == nil {
					t.Fatal("intact timestamp without TSA")
				}
			}
		}
	})
}

// FuzzParseTimestamp feeds hostile bytes to ParseTimestamp.
func FuzzParseTimestamp(f *testing.F) {
	fx := newFixture(f)
	for _, s := range seeds(f, fx) {
		f.Add(s)
	}
	data := [][]byte{[]byte("fuzz content")}
	f.Fuzz(func(t *testing.T, token []byte) {
		ts, err := cms.ParseTimestamp(token, "signature", data, nil)
		if err != nil && strings.Contains(err.Error(), "recovered panic") {
			t.Fatalf("panic: %v", err)
		}
		if (err == nil) == (ts == nil) {
			t.Fatalf("timestamp %+v with error %v", ts, err)
		}
		if ts != nil && ts.Integrity == signed.Intact && (ts.TSA == nil || ts.GenTime.IsZero() || ts.DigestAlgorithm == 0) {
			t.Fatalf("intact timestamp %+v", ts)
		}
	})
}
