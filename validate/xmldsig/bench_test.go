package xmldsig_test

import (
	"crypto/x509"
	"testing"

	"github.com/lienthong/lienthong/validate/signed"
	"github.com/lienthong/lienthong/validate/xmldsig"
)

// BenchmarkVerify verifies an e-invoice of about 20 KB with the seller's
// and the tax authority's signatures (RSA-2048, SHA-256, inclusive C14N),
// the common case at the gateway.
func BenchmarkVerify(b *testing.B) {
	seller := testSigner(b, "rsa-1")
	cqt := testSigner(b, "rsa-2")
	doc := invoice(75)
	signInto(b, at(doc, "DSCKS/NBan"), sigSpec{id: "NBan", key: seller.key, certs: []*x509.Certificate{seller.cert},
		signingTime: "2024-03-01T09:00:00", refs: []refSpec{{uri: "#data", enveloped: true}}})
	signInto(b, at(doc, "DSCKS/CQT"), sigSpec{id: "CQT", key: cqt.key, certs: []*x509.Certificate{cqt.cert},
		signingTime: "2024-03-01T09:05:00", refs: []refSpec{{uri: "#data"}, {uri: "#mccqt"}}})
	data := serialize(b, doc)
	b.Run("einvoice-2sig", func(b *testing.B) {
		b.ReportAllocs()
		b.SetBytes(int64(len(data)))
		for b.Loop() {
			sigs, err := xmldsig.Verify(data, xmldsig.Options{})
			if err != nil || len(sigs) != 2 || sigs[0].Integrity != signed.Intact || sigs[1].Integrity != signed.Intact {
				b.Fatalf("%v %v", sigs, err)
			}
		}
	})
}
