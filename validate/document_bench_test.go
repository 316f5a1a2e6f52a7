package validate

import (
	"bytes"
	"context"
	"crypto/x509"
	"testing"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/lienthong/lienthong/test/testsign"
	"github.com/lienthong/lienthong/trust"
)

// BenchmarkValidateDocument measures whole-document validation with warm
// caches (the first validation, before the timer, fills the signature and
// revocation caches): a one-signature CMS, a 1 MB PDF with one signature,
// an e-invoice-sized XML (about 20 KB, two signatures), a PDF with ten
// signatures, each with revocation off, and the CMS with OCSP answers
// already cached (hard-fail).
func BenchmarkValidateDocument(b *testing.B) {
	f := newDocFixture(b, Options{})
	cit, official := f.p.Public.Citizen, f.p.Gov.Official
	s := signer(cit)
	cmsDoc := buildCMS(b, testsign.CMS{Content: content, Signers: []testsign.Signer{s}, Certificates: []*x509.Certificate{cit.Cert}})
	bigPDF := mustBench(testsign.PDF{Content: bytes.Repeat([]byte("BT /F1 12 Tf 72 720 Td (Hoa don dien tu) Tj ET\n"), 1<<20/48),
		Signatures: []testsign.SignFunc{testsign.DetachedCMS(s)}}.Build())
	xmlDoc := mustBench(testsign.EInvoice{Items: 100, Signers: []testsign.XMLSigner{
		{Cert: cit.Cert, Key: cit.Key, SigningTime: "2026-03-01T16:00:00"},
		{Cert: official.Cert, Key: official.Key, SigningTime: "2026-03-01T16:05:00"},
	}}.Build())
	var ten []testsign.SignFunc
	for i := range 10 {
		l := cit
		if i%2 == 1 {
			l = official
		}
		ten = append(ten, testsign.DetachedCMS(signer(l)))
	}
	tenPDF := mustBench(testsign.PDF{Content: []byte("BT (Bien ban) Tj ET"), Signatures: ten}.Build())

	_, warm := newChecker(b, f.p, prometheus.NewRegistry(), revSetup{mode: RevocationHardFail})
	cases := []struct {
		name  string
		v     *Validator
		doc   []byte
		sigs  int
		bytes int
	}{
		{"cms-1sig", f.v, cmsDoc, 1, len(cmsDoc)},
		{"pdf-1MB-1sig", f.v, bigPDF, 1, len(bigPDF)},
		{"xml-einvoice-2sig", f.v, xmlDoc, 2, len(xmlDoc)},
		{"pdf-10sig", f.v, tenPDF, 10, len(tenPDF)},
		{"cms-1sig-warm-ocsp", warm, cmsDoc, 1, len(cmsDoc)},
	}
	for _, c := range cases {
		doc := Document{Data: c.doc, Time: t0}
		b.Run(c.name, func(b *testing.B) {
			benchValidate(b, c.v, f.store, doc, c.sigs) // warm the caches
			b.SetBytes(int64(c.bytes))
			b.ReportAllocs()
			b.ResetTimer()
			for b.Loop() {
				benchValidate(b, c.v, f.store, doc, c.sigs)
			}
			b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "validations/s")
		})
		if c.v != f.v {
			continue
		}
		// The baseline: the front end alone (parsing, digests, the
		// signatures' own verification), without trust decisions.
		b.Run(c.name+"/front-end-only", func(b *testing.B) {
			format, err := documentFormat(doc)
			if err != nil {
				b.Fatal(err)
			}
			b.SetBytes(int64(c.bytes))
			b.ReportAllocs()
			for b.Loop() {
				if sigs, err := frontEnd(format, doc); err != nil || len(sigs) != c.sigs {
					b.Fatalf("%v, %d signatures", err, len(sigs))
				}
			}
		})
	}
}

func benchValidate(b *testing.B, v *Validator, store *trust.Store, doc Document, sigs int) {
	r, err := v.ValidateDocument(context.Background(), store, doc)
	if err != nil || r.Indication != TotalPassed || len(r.Signatures) != sigs {
		b.Fatalf("%v: %s", err, verdicts(r))
	}
}

func mustBench(b []byte, err error) []byte {
	if err != nil {
		panic(err)
	}
	return b
}
