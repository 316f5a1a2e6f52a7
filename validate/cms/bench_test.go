package cms_test

import (
	"bytes"
	"crypto"
	"testing"

	"github.com/lienthong/lienthong/test/testsign"
	"github.com/lienthong/lienthong/validate/cms"
	"github.com/lienthong/lienthong/validate/signed"
)

// BenchmarkVerify verifies a one-signer detached CMS over 1 MB of content,
// given as two segments (as a PDF's ByteRange) or as a precomputed
// SHA-256 digest, for a P-256 and an RSA-2048 signer.
func BenchmarkVerify(b *testing.B) {
	f := newFixture(b)
	content := bytes.Repeat([]byte{0x5a}, 1<<20)
	segments := [][]byte{content[:1000], content[1000:]}
	for _, signer := range []struct {
		name string
		spec signerSpec
	}{
		{"P256", signerSpec{cert: f.p256.Cert, key: f.p256.Key, signingTime: &t0, essV2: f.p256.Cert}},
		{"RSA2048", signerSpec{cert: f.rsa.Cert, key: f.rsa.Key, signingTime: &t0, essV2: f.rsa.Cert}},
	} {
		der := buildCMS(b, cmsSpec{content: content, detached: true,
			certs: ders(signer.spec.cert, f.p256.Issuer.Cert), signers: []signerSpec{signer.spec}})
		for _, c := range []struct {
			name    string
			content *cms.Content
		}{
			{"segments-1MB", &cms.Content{Segments: segments}},
			{"digest", &cms.Content{Digest: testsign.Sum(crypto.SHA256, content), DigestAlgorithm: crypto.SHA256}},
		} {
			b.Run(signer.name+"/"+c.name, func(b *testing.B) {
				b.ReportAllocs()
				for b.Loop() {
					sigs, err := cms.Verify(der, c.content, cms.Options{})
					if err != nil || sigs[0].Integrity != signed.Intact {
						b.Fatalf("Verify = %v, %v", sigs, err)
					}
				}
			})
		}
	}
}
