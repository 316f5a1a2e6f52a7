package cms_test

import (
	"bytes"
	"crypto"
	"crypto/sha1"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/asn1"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/digitorus/pkcs7"

	"github.com/lienthong/lienthong/test/testpki"
	"github.com/lienthong/lienthong/test/testsign"
	"github.com/lienthong/lienthong/validate/cms"
	"github.com/lienthong/lienthong/validate/signed"
)

var document = bytes.Repeat([]byte("Công văn số 123/UBND — nội dung được ký. "), 40)

// TestVerifyRoundTrip signs in the test and verifies, for every key type
// and digest, attached and detached (segments and precomputed digest),
// with and without signed attributes.
func TestVerifyRoundTrip(t *testing.T) {
	f := newFixture(t)
	algs := []struct {
		name string
		leaf *testpki.Leaf
		hash crypto.Hash
		pss  bool
		want x509.SignatureAlgorithm
	}{
		{"RSA2048-SHA1", f.rsa, crypto.SHA1, false, x509.SHA1WithRSA},
		{"RSA2048-SHA256", f.rsa, crypto.SHA256, false, x509.SHA256WithRSA},
		{"RSA2048-SHA384", f.rsa, crypto.SHA384, false, x509.SHA384WithRSA},
		{"RSA2048-SHA512", f.rsa, crypto.SHA512, false, x509.SHA512WithRSA},
		{"RSAPSS-SHA256", f.rsa, crypto.SHA256, true, x509.SHA256WithRSAPSS},
		{"P256-SHA256", f.p256, crypto.SHA256, false, x509.ECDSAWithSHA256},
		{"P256-SHA384", f.p256, crypto.SHA384, false, x509.ECDSAWithSHA384},
		{"P384-SHA256", f.p384, crypto.SHA256, false, x509.ECDSAWithSHA256},
		{"P384-SHA384", f.p384, crypto.SHA384, false, x509.ECDSAWithSHA384},
		{"Ed25519-SHA512", f.ed25519, crypto.SHA512, false, x509.PureEd25519},
	}
	modes := []string{"attached", "detached-segments", "detached-digest"}
	for _, a := range algs {
		for _, mode := range modes {
			for _, noAttrs := range []bool{false, true} {
				name := fmt.Sprintf("%s/%s/attrs=%v", a.name, mode, !noAttrs)
				if a.leaf == f.ed25519 && noAttrs && mode == "detached-digest" {
					continue // Ed25519 signs the content itself: see TestVerifyProblems
				}
				t.Run(name, func(t *testing.T) {
					st := t0.Add(-time.Minute)
					si := signerSpec{cert: a.leaf.Cert, key: a.leaf.Key, hash: a.hash, pss: a.pss, noAttrs: noAttrs}
					if !noAttrs {
						si.signingTime = &st
					}
					spec := cmsSpec{content: document, detached: mode != "attached",
						certs: ders(a.leaf.Cert, a.leaf.Issuer.Cert), signers: []signerSpec{si}}
					var c *cms.Content
					switch mode {
					case "detached-segments":
						c = &cms.Content{Segments: [][]byte{document[:100], document[100:]}}
					case "detached-digest":
						c = &cms.Content{Digest: testsign.Sum(a.hash, document), DigestAlgorithm: a.hash}
					}
					sigs, err := cms.Verify(buildCMS(t, spec), c, cms.Options{})
					if err != nil {
						t.Fatalf("Verify: %v", err)
					}
					if len(sigs) != 1 {
						t.Fatalf("%d signatures, want 1", len(sigs))
					}
					s := sigs[0]
					if s.Integrity != signed.Intact || s.Problem != "" {
						t.Fatalf("Integrity = %v (%s), want intact", s.Integrity, s.Problem)
					}
					if s.ID != "signer-1" || s.Signer == nil || !s.Signer.Equal(a.leaf.Cert) {
						t.Errorf("ID %q, signer %v", s.ID, s.Signer)
					}
					if s.DigestAlgorithm != a.hash || s.SignatureAlgorithm != a.want {
						t.Errorf("algorithms %v / %v, want %v / %v", s.DigestAlgorithm, s.SignatureAlgorithm, a.hash, a.want)
					}
					if len(s.Certificates) != 2 {
						t.Errorf("%d certificates, want 2", len(s.Certificates))
					}
					switch {
					case noAttrs && s.ClaimedSigningTime != nil:
						t.Errorf("ClaimedSigningTime %v without signed attributes", s.ClaimedSigningTime)
					case !noAttrs && (s.ClaimedSigningTime == nil || !s.ClaimedSigningTime.Equal(st)):
						t.Errorf("ClaimedSigningTime = %v, want %v", s.ClaimedSigningTime, st)
					}
					if len(s.Messages) != 0 {
						t.Errorf("messages %+v", s.Messages)
					}
				})
			}
		}
	}
}

// verifyCase builds one CMS and the content to verify it with.
type verifyCase struct {
	name    string
	build   func(t *testing.T, f *fixture) ([]byte, *cms.Content)
	opts    cms.Options
	want    []signed.Integrity
	problem string // substring of the first non-intact Problem
	check   func(t *testing.T, f *fixture, sigs []*signed.Signature)
}

func detached(content []byte) *cms.Content { return &cms.Content{Segments: [][]byte{content}} }

// simple builds a detached CMS over document with one P-256 signer
// modified by mod.
func simple(mod func(f *fixture, s *signerSpec, c *cmsSpec)) func(t *testing.T, f *fixture) ([]byte, *cms.Content) {
	return func(t *testing.T, f *fixture) ([]byte, *cms.Content) {
		s := signerSpec{cert: f.p256.Cert, key: f.p256.Key}
		c := cmsSpec{content: document, detached: true, certs: ders(f.p256.Cert)}
		if mod != nil {
			mod(f, &s, &c)
		}
		c.signers = append([]signerSpec{s}, c.signers...)
		return buildCMS(t, c), detached(document)
	}
}

func TestVerifyProblems(t *testing.T) {
	f := newFixture(t)
	intact := []signed.Integrity{signed.Intact}
	cases := []verifyCase{
		{name: "ess-v2-matching", want: intact,
			build: simple(func(f *fixture, s *signerSpec, _ *cmsSpec) { s.essV2 = f.p256.Cert })},
		{name: "ess-v2-sha512-matching", want: intact,
			build: simple(func(f *fixture, s *signerSpec, _ *cmsSpec) { s.essV2, s.essV2Hash = f.p256.Cert, crypto.SHA512 })},
		{name: "ess-v1-matching", want: intact,
			build: simple(func(f *fixture, s *signerSpec, _ *cmsSpec) { s.essV1 = f.p256.Cert })},
		{name: "ess-v2-other-cert", want: []signed.Integrity{signed.SignerMismatch}, problem: "signingCertificateV2",
			build: simple(func(f *fixture, s *signerSpec, _ *cmsSpec) { s.essV2 = f.other.Cert })},
		{name: "ess-v1-other-cert", want: []signed.Integrity{signed.SignerMismatch}, problem: "signingCertificate ",
			build: simple(func(f *fixture, s *signerSpec, _ *cmsSpec) { s.essV1 = f.other.Cert })},
		{name: "two-signers-one-bad", want: []signed.Integrity{signed.Intact, signed.BadSignature},
			build: simple(func(f *fixture, _ *signerSpec, c *cmsSpec) {
				c.certs = ders(f.p256.Cert, f.rsa.Cert)
				c.signers = []signerSpec{{cert: f.rsa.Cert, key: f.rsa.Key, tamperSig: true}}
			}),
			check: func(t *testing.T, f *fixture, sigs []*signed.Signature) {
				if sigs[1].ID != "signer-2" || !sigs[1].Signer.Equal(f.rsa.Cert) {
					t.Errorf("second signature %q signed by %v", sigs[1].ID, sigs[1].Signer.Subject)
				}
			}},
		{name: "tampered-detached-content", want: []signed.Integrity{signed.HashMismatch}, problem: "message-digest",
			build: func(t *testing.T, f *fixture) ([]byte, *cms.Content) {
				d, _ := simple(nil)(t, f)
				changed := bytes.Clone(document)
				changed[7] ^= 1
				return d, detached(changed)
			}},
		{name: "tampered-attached-content", want: []signed.Integrity{signed.HashMismatch},
			build: func(t *testing.T, f *fixture) ([]byte, *cms.Content) {
				d, _ := simple(func(_ *fixture, _ *signerSpec, c *cmsSpec) { c.detached = false })(t, f)
				i := bytes.Index(d, document)
				d[i+3] ^= 1
				return d, nil
			}},
		{name: "attached-with-same-content", want: intact,
			build: func(t *testing.T, f *fixture) ([]byte, *cms.Content) {
				d, _ := simple(func(_ *fixture, _ *signerSpec, c *cmsSpec) { c.detached = false })(t, f)
				return d, &cms.Content{Segments: [][]byte{document[:5], document[5:]}}
			}},
		{name: "attached-with-other-content", want: []signed.Integrity{signed.HashMismatch}, problem: "differs from the content it encapsulates",
			build: func(t *testing.T, f *fixture) ([]byte, *cms.Content) {
				d, _ := simple(func(_ *fixture, _ *signerSpec, c *cmsSpec) { c.detached = false })(t, f)
				return d, &cms.Content{Digest: testsign.Sum(crypto.SHA256, []byte("other")), DigestAlgorithm: crypto.SHA256}
			}},
		{name: "tampered-signature", want: []signed.Integrity{signed.BadSignature}, problem: "does not verify",
			build: simple(func(_ *fixture, s *signerSpec, _ *cmsSpec) { s.tamperSig = true })},
		{name: "tampered-signature-no-attrs", want: []signed.Integrity{signed.BadSignature},
			build: simple(func(_ *fixture, s *signerSpec, _ *cmsSpec) { s.tamperSig, s.noAttrs = true, true })},
		{name: "detached-without-content", want: []signed.Integrity{signed.NoSignedData}, problem: "detached",
			build: func(t *testing.T, f *fixture) ([]byte, *cms.Content) {
				d, _ := simple(nil)(t, f)
				return d, nil
			}},
		{name: "detached-without-content-no-attrs", want: []signed.Integrity{signed.NoSignedData},
			build: func(t *testing.T, f *fixture) ([]byte, *cms.Content) {
				d, _ := simple(func(_ *fixture, s *signerSpec, _ *cmsSpec) { s.noAttrs = true })(t, f)
				return d, &cms.Content{}
			}},
		{name: "digest-of-other-algorithm", want: []signed.Integrity{signed.NoSignedData}, problem: "SHA-384 digest",
			build: func(t *testing.T, f *fixture) ([]byte, *cms.Content) {
				d, _ := simple(nil)(t, f)
				return d, &cms.Content{Digest: testsign.Sum(crypto.SHA384, document), DigestAlgorithm: crypto.SHA384}
			}},
		{name: "signer-cert-missing", want: []signed.Integrity{signed.NoSigner}, problem: "not among the CMS certificates",
			build: simple(func(f *fixture, _ *signerSpec, c *cmsSpec) { c.certs = ders(f.other.Cert) })},
		{name: "no-certificates", want: []signed.Integrity{signed.NoSigner},
			build: simple(func(_ *fixture, _ *signerSpec, c *cmsSpec) { c.certs = nil })},
		{name: "subject-key-identifier", want: intact,
			build: simple(func(_ *fixture, s *signerSpec, _ *cmsSpec) { s.useSKI = true })},
		{name: "subject-key-identifier-without-extension", want: intact,
			build: func(t *testing.T, f *fixture) ([]byte, *cms.Content) {
				l, err := f.p.Public.CA.IssueLeaf(pkix.Name{CommonName: "NO SKI"},
					testpki.WithMutate(func(c *x509.Certificate) { c.SubjectKeyId = nil }))
				if err != nil || len(l.Cert.SubjectKeyId) != 0 {
					t.Fatalf("IssueLeaf: %v, SKI %x", err, l.Cert.SubjectKeyId)
				}
				var spki struct {
					Algorithm pkix.AlgorithmIdentifier
					Key       asn1.BitString
				}
				if _, err := asn1.Unmarshal(l.Cert.RawSubjectPublicKeyInfo, &spki); err != nil {
					t.Fatal(err)
				}
				keyID := sha1.Sum(spki.Key.Bytes)
				return buildCMS(t, cmsSpec{content: document, certs: ders(f.p256.Cert, l.Cert),
					signers: []signerSpec{{cert: l.Cert, key: l.Key, useSKI: true, ski: keyID[:]}}}), nil
			}},
		{name: "subject-key-identifier-unknown", want: []signed.Integrity{signed.NoSigner}, problem: "subject key identifier",
			build: simple(func(f *fixture, s *signerSpec, c *cmsSpec) { s.useSKI = true; c.certs = ders(f.other.Cert) })},
		{name: "content-type-attribute-differs", want: []signed.Integrity{signed.Malformed}, problem: "content-type",
			build: simple(func(_ *fixture, s *signerSpec, _ *cmsSpec) { s.contentType = oidTSTInfo })},
		{name: "message-digest-missing", want: []signed.Integrity{signed.Malformed}, problem: "message-digest",
			build: simple(func(_ *fixture, s *signerSpec, _ *cmsSpec) { s.noDigestAttr = true })},
		{name: "unknown-signature-algorithm", want: []signed.Integrity{signed.Malformed}, problem: "unsupported signature algorithm 1.2.3.4",
			build: simple(func(_ *fixture, s *signerSpec, _ *cmsSpec) { s.sigOID = asn1.ObjectIdentifier{1, 2, 3, 4} })},
		{name: "unknown-digest-algorithm", want: []signed.Integrity{signed.Malformed}, problem: "unsupported digest algorithm",
			build: simple(func(_ *fixture, s *signerSpec, _ *cmsSpec) { s.digestOID = asn1.ObjectIdentifier{1, 2, 3, 5} })},
		{name: "algorithm-does-not-fit-key", want: []signed.Integrity{signed.BadSignature}, problem: "does not match",
			build: simple(func(f *fixture, s *signerSpec, c *cmsSpec) {
				s.cert, s.key, s.sigOID = f.rsa.Cert, f.rsa.Key, oidECDSASHA256
				c.certs = ders(f.rsa.Cert)
			})},
		{name: "sha256WithRSAEncryption", want: intact,
			build: simple(func(f *fixture, s *signerSpec, c *cmsSpec) {
				s.cert, s.key, s.sigOID = f.rsa.Cert, f.rsa.Key, oidSHA256WithRSA
				c.certs = ders(f.rsa.Cert)
			})},
		{name: "sha1WithRSA-named-sha256-digest", want: intact,
			build: simple(func(f *fixture, s *signerSpec, c *cmsSpec) {
				s.cert, s.key, s.sigOID = f.rsa.Cert, f.rsa.Key, oidSHA1WithRSA
				c.certs = ders(f.rsa.Cert)
			}),
			check: wantMessage(cms.CodeAlgorithmMismatch)},
		{name: "md5-verified-policy-elsewhere", want: intact,
			build: simple(func(f *fixture, s *signerSpec, c *cmsSpec) {
				s.cert, s.key, s.hash = f.rsa.Cert, f.rsa.Key, crypto.MD5
				c.certs = ders(f.rsa.Cert)
			}),
			check: func(t *testing.T, _ *fixture, sigs []*signed.Signature) {
				if sigs[0].DigestAlgorithm != crypto.MD5 || sigs[0].SignatureAlgorithm != x509.MD5WithRSA {
					t.Errorf("algorithms %v %v", sigs[0].DigestAlgorithm, sigs[0].SignatureAlgorithm)
				}
			}},
		{name: "unparsable-certificate-skipped", want: intact,
			build: simple(func(f *fixture, _ *signerSpec, c *cmsSpec) {
				c.certs = append(c.certs, []byte{0x30, 0x03, 0x02, 0x01, 0x01}, []byte{0xa1, 0x00}, f.p256.Cert.Raw)
			}),
			check: func(t *testing.T, f *fixture, sigs []*signed.Signature) {
				wantMessage(cms.CodeCertificateSkipped)(t, f, sigs)
				if len(sigs[0].Certificates) != 1 || len(sigs[0].Messages) != 2 {
					t.Errorf("%d certificates, messages %+v", len(sigs[0].Certificates), sigs[0].Messages)
				}
			}},
		{name: "no-signed-attributes-over-non-data", want: []signed.Integrity{signed.Malformed}, problem: "RFC 5652 §5.3",
			build: simple(func(_ *fixture, s *signerSpec, c *cmsSpec) { s.noAttrs = true; c.eContentType = oidTSTInfo })},
		{name: "pkcs7-content-not-in-octet-string", want: intact,
			build: func(t *testing.T, f *fixture) ([]byte, *cms.Content) {
				raw := der(t, func(b *cryptobyteBuilder) { b.AddASN1OctetString([]byte("inner")) })
				inner := []byte{0x30, byte(len(raw))}
				inner = append(inner, raw...)
				d := buildCMS(t, cmsSpec{content: raw, rawContent: inner, eContentType: asn1.ObjectIdentifier{1, 2, 3, 9},
					certs:   ders(f.p256.Cert),
					signers: []signerSpec{{cert: f.p256.Cert, key: f.p256.Key}}})
				return d, nil
			}},
		{name: "empty-econtent-with-content-given", want: intact,
			build: simple(func(_ *fixture, _ *signerSpec, c *cmsSpec) { c.detached, c.rawContent = false, []byte{0x04, 0x00} })},
		{name: "empty-econtent-wrapper", want: intact,
			build: simple(func(_ *fixture, _ *signerSpec, c *cmsSpec) { c.detached, c.rawContent = false, []byte{} })},
		{name: "empty-econtent-alone", want: []signed.Integrity{signed.HashMismatch},
			build: func(t *testing.T, f *fixture) ([]byte, *cms.Content) {
				d, _ := simple(func(_ *fixture, _ *signerSpec, c *cmsSpec) { c.detached, c.rawContent = false, []byte{0x04, 0x00} })(t, f)
				return d, nil
			}},
		{name: "too-many-attributes", want: []signed.Integrity{signed.Malformed}, problem: "more than 3 attributes",
			opts:  cms.Options{MaxAttributes: 3},
			build: simple(func(f *fixture, s *signerSpec, _ *cmsSpec) { s.essV1, s.essV2 = f.p256.Cert, f.p256.Cert })},
		{name: "signing-time-unreadable", want: intact,
			build: simple(func(_ *fixture, s *signerSpec, _ *cmsSpec) {
				s.extraSigned = []attr{{oidSigningTime, [][]byte{{0x17, 0x03, 'a', 'b', 'c'}}}}
			}),
			check: wantMessage(cms.CodeSigningTimeUnreadable)},
		{name: "signed-attributes-not-in-der-order", want: intact,
			build: simple(func(_ *fixture, s *signerSpec, _ *cmsSpec) { s.signingTime, s.unsorted = &t0, true })},
		{name: "pss-salt-20-from-parameters", want: intact,
			build: simple(func(f *fixture, s *signerSpec, c *cmsSpec) {
				s.cert, s.key, s.pss, s.pssSalt = f.rsa.Cert, f.rsa.Key, true, 20
				c.certs = ders(f.rsa.Cert)
			})},
		{name: "pss-salt-differs-from-parameters", want: []signed.Integrity{signed.BadSignature}, problem: "verification error",
			build: simple(func(f *fixture, s *signerSpec, c *cmsSpec) {
				s.cert, s.key, s.pss, s.pssSalt, s.pssDeclared = f.rsa.Cert, f.rsa.Key, true, 20, 32
				c.certs = ders(f.rsa.Cert)
			})},
		{name: "ed25519-no-attrs-digest-only", want: []signed.Integrity{signed.NoSignedData}, problem: "Ed25519",
			build: func(t *testing.T, f *fixture) ([]byte, *cms.Content) {
				d, _ := simple(func(f *fixture, s *signerSpec, c *cmsSpec) {
					s.cert, s.key, s.hash, s.noAttrs = f.ed25519.Cert, f.ed25519.Key, crypto.SHA512, true
					c.certs = ders(f.ed25519.Cert)
				})(t, f)
				return d, &cms.Content{Digest: testsign.Sum(crypto.SHA512, document), DigestAlgorithm: crypto.SHA512}
			}},
		{name: "zero-signers", want: nil,
			build: func(t *testing.T, f *fixture) ([]byte, *cms.Content) {
				return buildCMS(t, cmsSpec{content: document, certs: ders(f.p256.Cert)}), nil
			}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			d, c := tc.build(t, f)
			sigs, err := cms.Verify(d, c, tc.opts)
			if err != nil {
				t.Fatalf("Verify: %v", err)
			}
			checkIntegrity(t, sigs, tc.want, tc.problem)
			if tc.check != nil && !t.Failed() {
				tc.check(t, f, sigs)
			}
		})
	}
}

func checkIntegrity(t *testing.T, sigs []*signed.Signature, want []signed.Integrity, problem string) {
	t.Helper()
	if len(sigs) != len(want) {
		t.Fatalf("%d signatures, want %d", len(sigs), len(want))
	}
	seen := false
	for i, s := range sigs {
		if s.Integrity != want[i] {
			t.Errorf("signature %d: Integrity = %v (%s), want %v", i+1, s.Integrity, s.Problem, want[i])
		}
		if s.ID != fmt.Sprintf("signer-%d", i+1) {
			t.Errorf("signature %d: ID %q", i+1, s.ID)
		}
		if (s.Integrity == signed.Intact) != (s.Problem == "") {
			t.Errorf("signature %d: Integrity %v with Problem %q", i+1, s.Integrity, s.Problem)
		}
		if s.Integrity != signed.Intact && !seen {
			seen = true
			if !strings.Contains(s.Problem, problem) {
				t.Errorf("Problem %q does not contain %q", s.Problem, problem)
			}
		}
	}
}

func wantMessage(code string) func(t *testing.T, f *fixture, sigs []*signed.Signature) {
	return func(t *testing.T, _ *fixture, sigs []*signed.Signature) {
		t.Helper()
		for _, m := range sigs[0].Messages {
			if m.Code == code && m.Text != "" && (m.Level == "warning" || m.Level == "info") {
				return
			}
		}
		t.Errorf("no %s message in %+v", code, sigs[0].Messages)
	}
}

// TestVerifyErrors: input that is not a CMS SignedData at all, or beyond
// the limits, is an error, never a panic.
func TestVerifyErrors(t *testing.T) {
	f := newFixture(t)
	good := buildCMS(t, cmsSpec{content: document, certs: ders(f.p256.Cert, f.other.Cert),
		signers: []signerSpec{{cert: f.p256.Cert, key: f.p256.Key}, {cert: f.p256.Cert, key: f.p256.Key}}})
	dataCI := der(t, func(b *cryptobyteBuilder) {
		b.AddASN1(0x30, func(b *cryptobyteBuilder) {
			addOID(b, oidData)
			b.AddASN1(0xa0, func(b *cryptobyteBuilder) { b.AddASN1OctetString([]byte("x")) })
		})
	})
	cases := []struct {
		name string
		der  []byte
		opts cms.Options
		want string
	}{
		{"empty", nil, cms.Options{}, "not a BER/DER"},
		{"garbage", []byte("%PDF-1.7 this is not CMS at all"), cms.Options{}, "not a BER/DER"},
		{"garbage-sequence", []byte{0x30, 0x03, 0x01, 0x01, 0xff}, cms.Options{}, "malformed ContentInfo"},
		{"id-data-contentinfo", dataCI, cms.Options{}, "is not SignedData"},
		{"truncated", good[:len(good)-10], cms.Options{}, "truncated"},
		{"trailing-garbage", append(bytes.Clone(good), 1, 2, 3), cms.Options{}, "trailing data"},
		{"too-many-signers", good, cms.Options{MaxSigners: 1}, "more than 1 SignerInfos"},
		{"too-many-certificates", good, cms.Options{MaxCertificates: 1}, "more than 1 certificates"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			sigs, err := cms.Verify(tc.der, detached(document), tc.opts)
			if err == nil || sigs != nil {
				t.Fatalf("Verify = %v, %v; want an error", sigs, err)
			}
			if !strings.Contains(err.Error(), tc.want) {
				t.Errorf("error %q does not contain %q", err, tc.want)
			}
		})
	}
	t.Run("every-prefix", func(t *testing.T) {
		for n := range len(good) {
			if sigs, err := cms.Verify(good[:n], nil, cms.Options{}); err == nil {
				t.Fatalf("prefix of %d bytes: %d signatures, no error", n, len(sigs))
			}
		}
	})
	t.Run("trailing-zero-padding", func(t *testing.T) {
		sigs, err := cms.Verify(append(bytes.Clone(good), make([]byte, 100)...), nil, cms.Options{})
		if err != nil {
			t.Fatal(err)
		}
		checkIntegrity(t, sigs, []signed.Integrity{signed.Intact, signed.Intact}, "")
	})
}

// TestVerifyDigitorus checks CMS made by another implementation.
func TestVerifyDigitorus(t *testing.T) {
	f := newFixture(t)
	for _, detach := range []bool{false, true} {
		t.Run(fmt.Sprintf("detached=%v", detach), func(t *testing.T) {
			sd, err := pkcs7.NewSignedData(document)
			if err != nil {
				t.Fatal(err)
			}
			sd.SetDigestAlgorithm(pkcs7.OIDDigestAlgorithmSHA256)
			if err := sd.AddSigner(f.p256.Cert, f.p256.Key, pkcs7.SignerInfoConfig{}); err != nil {
				t.Fatal(err)
			}
			if detach {
				sd.Detach()
			}
			d, err := sd.Finish()
			if err != nil {
				t.Fatal(err)
			}
			var c *cms.Content
			if detach {
				c = detached(document)
			}
			before := time.Now().Add(-time.Minute)
			sigs, err := cms.Verify(d, c, cms.Options{})
			if err != nil {
				t.Fatal(err)
			}
			checkIntegrity(t, sigs, []signed.Integrity{signed.Intact}, "")
			if st := sigs[0].ClaimedSigningTime; st == nil || st.Before(before) {
				t.Errorf("ClaimedSigningTime = %v", st)
			}
		})
	}
}

// TestVerifyBER converts a DER CMS to BER (indefinite lengths everywhere,
// the content in 100-byte chunks) and verifies it.
func TestVerifyBER(t *testing.T) {
	f := newFixture(t)
	for _, detach := range []bool{false, true} {
		t.Run(fmt.Sprintf("detached=%v", detach), func(t *testing.T) {
			d := buildCMS(t, cmsSpec{content: document, detached: detach, certs: ders(f.rsa.Cert),
				signers: []signerSpec{{cert: f.rsa.Cert, key: f.rsa.Key, signingTime: &t0}}})
			ber := toBER(t, d)
			if bytes.Equal(ber, d) {
				t.Fatal("toBER changed nothing")
			}
			sigs, err := cms.Verify(ber, detached(document), cms.Options{})
			if err != nil {
				t.Fatal(err)
			}
			checkIntegrity(t, sigs, []signed.Integrity{signed.Intact}, "")
			ct, content, err := cms.EncapsulatedContent(ber)
			if err != nil || !ct.Equal(oidData) || (content != nil) == detach || (!detach && !bytes.Equal(content, document)) {
				t.Errorf("EncapsulatedContent = %v, %d bytes, %v", ct, len(content), err)
			}
		})
	}
}

func TestEncapsulatedContent(t *testing.T) {
	f := newFixture(t)
	d := buildCMS(t, cmsSpec{content: document, signers: []signerSpec{{cert: f.p256.Cert, key: f.p256.Key}}})
	ct, content, err := cms.EncapsulatedContent(d)
	if err != nil || !ct.Equal(oidData) || !bytes.Equal(content, document) {
		t.Errorf("EncapsulatedContent = %v, %d bytes, %v", ct, len(content), err)
	}
	if _, _, err := cms.EncapsulatedContent([]byte("garbage")); err == nil {
		t.Error("EncapsulatedContent(garbage): no error")
	}
}
