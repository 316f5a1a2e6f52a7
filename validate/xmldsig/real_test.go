package xmldsig_test

import (
	"bytes"
	"crypto/sha256"
	"crypto/x509"
	"encoding/hex"
	"encoding/pem"
	"os"
	"strings"
	"testing"

	"github.com/lienthong/lienthong/test/shared"
	"github.com/lienthong/lienthong/validate/signed"
	"github.com/lienthong/lienthong/validate/xmldsig"
)

// Real signed documents from Vietnamese systems, read from the shared test
// data (never copied into the repository). They hold names and tax codes:
// the tests log only certificate fingerprints, element paths and outcomes.

// realSample reads a signed sample, skipping when the test data is absent.
func realSample(t *testing.T, name string) []byte {
	t.Helper()
	b, err := os.ReadFile(shared.Path(t, "vn-real", "samples", "signed", name))
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// eeFingerprint returns the SHA-256 of the DER of an end-entity
// certificate of the shared test data.
func eeFingerprint(t *testing.T, name string) string {
	t.Helper()
	b, err := os.ReadFile(shared.Path(t, "vn-real", "samples", "ee-certs", name))
	if err != nil {
		t.Fatal(err)
	}
	block, _ := pem.Decode(b)
	if block == nil {
		t.Fatalf("%s: no PEM block", name)
	}
	sum := sha256.Sum256(block.Bytes)
	return hex.EncodeToString(sum[:])
}

// tamperAfter changes the first character of the text of the first
// element named elem after the first occurrence of marker: a change inside
// a signed element.
func tamperAfter(t *testing.T, data []byte, marker, elem string) []byte {
	t.Helper()
	i := bytes.Index(data, []byte(marker))
	if i < 0 {
		t.Fatalf("marker %s not found", marker)
	}
	j := bytes.Index(data[i:], []byte("<"+elem+">"))
	if j < 0 {
		t.Fatalf("element %s not found after %s", elem, marker)
	}
	out := bytes.Clone(data)
	k := i + j + len(elem) + 2
	if out[k] == '9' {
		out[k] = '8'
	} else {
		out[k] = '9'
	}
	return out
}

// flipFirstSignatureValue changes one base64 character of the first
// SignatureValue.
func flipFirstSignatureValue(t *testing.T, data []byte) []byte {
	t.Helper()
	i := bytes.Index(data, []byte("<SignatureValue>"))
	if i < 0 {
		t.Fatal("no SignatureValue")
	}
	out := bytes.Clone(data)
	k := i + len("<SignatureValue>") + 10
	if out[k] == 'A' {
		out[k] = 'B'
	} else {
		out[k] = 'A'
	}
	return out
}

func TestRealSamples(t *testing.T) {
	tests := []struct {
		file string
		// signers are the ee-certs files of the signers, in document
		// order; objects are path fragments of each signature's Object.
		signers []string
		objects []string
		// marker and elem locate a text inside data both signatures cover.
		marker, elem string
	}{
		{
			file:    "tax-notice-tbao-01TB-DKDT-signed-by-VGCA-btc-certs-VALID.xml",
			signers: []string{"vgca-btc-ee-person-tax-official-2021.pem", "vgca-btc-ee-org-chi-cuc-thue-2019.pem"},
			objects: []string{"TBao/DSCKS/TTCQT/Signature/Object", "TBao/DSCKS/CQT/Signature/Object"},
			marker:  "<DLTBao", elem: "PBan",
		},
		{
			file: "einvoice-tdiep202-nd123-seller-and-cqt-xmldsig-VALID.xml",
			signers: []string{"safe-ca-sha256-2020-ee-org-TEST-mst0106324653-2021.pem",
				"cyberlotus-ca-TEST-tong-cuc-thue-test01-2021.pem"},
			objects: []string{"/DSCKS[1]/NBan/Signature/Object", "/DSCKS[1]/CQT/Signature/Object"},
			marker:  "<DLHDon", elem: "PBan",
		},
	}
	for _, tc := range tests {
		t.Run(strings.SplitN(tc.file, "-", 3)[0]+"-"+strings.SplitN(tc.file, "-", 3)[1], func(t *testing.T) {
			data := realSample(t, tc.file)
			sigs, err := xmldsig.Verify(data, xmldsig.Options{})
			if err != nil {
				t.Fatalf("Verify: %v", err)
			}
			if len(sigs) != 2 {
				t.Fatalf("got %d signatures, want 2", len(sigs))
			}
			for i, s := range sigs {
				t.Logf("signature %d: %v, %v/%v, signer %s, covers %s", i+1, s.Integrity, s.SignatureAlgorithm,
					s.DigestAlgorithm, fingerprint(s.Signer), s.CoverageNote)
				if s.Integrity != signed.Intact {
					t.Errorf("signature %d: %v, want intact", i+1, s.Integrity)
					continue
				}
				if got, want := fingerprint(s.Signer), eeFingerprint(t, tc.signers[i]); got != want {
					t.Errorf("signature %d: signer %s, want %s (%s)", i+1, got, want, tc.signers[i])
				}
				if s.SignatureAlgorithm != x509.SHA256WithRSA {
					t.Errorf("signature %d: algorithm %v", i+1, s.SignatureAlgorithm)
				}
				if !strings.Contains(s.CoverageNote, tc.objects[i]) {
					t.Errorf("signature %d: coverage %q does not name %s", i+1, s.CoverageNote, tc.objects[i])
				}
				if s.ClaimedSigningTime == nil || s.ClaimedSigningTimeText == "" {
					t.Errorf("signature %d: no claimed signing time", i+1)
				} else if _, off := s.ClaimedSigningTime.Zone(); off != 7*3600 {
					t.Errorf("signature %d: signing time offset %d, want UTC+7", i+1, off)
				}
				if len(s.Messages) != 1 || s.Messages[0].Code != xmldsig.CodeSigningTimeZoneAssumed {
					t.Errorf("signature %d: messages %v", i+1, s.Messages)
				}
			}

			t.Run("signed text changed", func(t *testing.T) {
				sigs, err := xmldsig.Verify(tamperAfter(t, data, tc.marker, tc.elem), xmldsig.Options{})
				if err != nil {
					t.Fatal(err)
				}
				for i, s := range sigs {
					if s.Integrity != signed.HashMismatch || s.Signer == nil {
						t.Errorf("signature %d: %v (signer %s), want hash_mismatch with a signer", i+1, s.Integrity,
							fingerprint(s.Signer))
					}
				}
			})
			t.Run("signature value changed", func(t *testing.T) {
				sigs, err := xmldsig.Verify(flipFirstSignatureValue(t, data), xmldsig.Options{})
				if err != nil {
					t.Fatal(err)
				}
				if len(sigs) != 2 || sigs[0].Integrity != signed.BadSignature || sigs[1].Integrity != signed.Intact {
					t.Errorf("got %v and %v, want bad_signature and intact", sigs[0].Integrity, sigs[1].Integrity)
				}
			})
		})
	}
}
