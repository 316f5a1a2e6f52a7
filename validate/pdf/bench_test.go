package pdf

import "testing"

// BenchmarkVerify measures Verify on generated documents: the PDF reading
// and the two SHA-256 passes over the signed ranges dominate.
func BenchmarkVerify(b *testing.B) {
	f := newFixture(b)
	cases := []struct {
		name string
		data []byte
	}{
		{"1MB-one-signature", signedDoc(b, f, 1, "adbe.pkcs7.detached", bigContent(1<<20)).bytes()},
		{"ten-signatures", signedDoc(b, f, 10, "ETSI.CAdES.detached", []byte(pageText)).bytes()},
	}
	for _, tc := range cases {
		b.Run(tc.name, func(b *testing.B) {
			b.ReportAllocs()
			b.SetBytes(int64(len(tc.data)))
			for b.Loop() {
				sigs, err := Verify(tc.data, Options{})
				if err != nil || len(sigs) == 0 {
					b.Fatal(sigs, err)
				}
			}
		})
	}
}
