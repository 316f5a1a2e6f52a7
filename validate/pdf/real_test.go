package pdf

import (
	"os"
	"testing"

	"github.com/lienthong/lienthong/test/shared"
	"github.com/lienthong/lienthong/validate/signed"
)

// TestVerifyRealSamples reads real Vietnamese signed PDFs from
// ../shared/testdata (never copied into the repository). Only structural
// facts are logged or compared: the samples hold personal data.
func TestVerifyRealSamples(t *testing.T) {
	tests := []struct {
		file      string
		integrity signed.Integrity
	}{
		// messageDigest matches, the RSA signature over signedAttrs does
		// not (pdfsig: "Signature is Invalid").
		{"easyca-signed-pdf-adbe-pkcs7-detached-sha1-INVALID-sig.pdf", signed.BadSignature},
		// Linearized, cross-reference streams, fields in object streams.
		{"mobileid-test-cades-pdf-LOOKALIKE-MIC-root-chain.pdf", signed.Intact},
		{"mobileid-test-cades-pdf-selfsigned-test-root-cmnd.pdf", signed.Intact},
	}
	for _, tc := range tests {
		t.Run(tc.file, func(t *testing.T) {
			data, err := os.ReadFile(shared.Path(t, "vn-real", "samples", "signed", tc.file))
			if err != nil {
				t.Fatal(err)
			}
			sigs, err := Verify(data, Options{})
			if err != nil {
				t.Fatalf("Verify: %v", err)
			}
			if len(sigs) != 1 {
				t.Fatalf("got %d signatures, want 1", len(sigs))
			}
			s := sigs[0]
			if s.Integrity != tc.integrity || s.Coverage != coverageWhole || s.Signer == nil {
				t.Errorf("got integrity %v, coverage %q, signer present %v; want %v, whole_document",
					s.Integrity, s.Coverage, s.Signer != nil, tc.integrity)
			}
			t.Logf("integrity %v, digest %v, %d certificates, messages %v", s.Integrity, s.DigestAlgorithm, len(s.Certificates), codes(s))
		})
	}
}
