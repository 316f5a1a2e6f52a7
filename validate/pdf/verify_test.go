package pdf

import (
	"bytes"
	"crypto"
	"errors"
	"fmt"
	"strings"
	"testing"

	"github.com/digitorus/pkcs7"

	"github.com/lienthong/lienthong/test/testsign"
	"github.com/lienthong/lienthong/validate/signed"
)

// only returns the single signature of sigs.
func only(t *testing.T, sigs []*signed.Signature) *signed.Signature {
	t.Helper()
	if len(sigs) != 1 {
		t.Fatalf("got %d signatures, want 1: %s", len(sigs), describe(sigs))
	}
	return sigs[0]
}

func describe(sigs []*signed.Signature) string {
	var parts []string
	for _, s := range sigs {
		parts = append(parts, fmt.Sprintf("{%s %v %q %s %q %v}", s.ID, s.Integrity, s.Problem, s.Coverage, s.CoverageNote, codes(s)))
	}
	return strings.Join(parts, " ")
}

func codes(s *signed.Signature) []string {
	var out []string
	for _, m := range s.Messages {
		out = append(out, m.Code)
	}
	return out
}

func hasCode(s *signed.Signature, code string) bool {
	for _, m := range s.Messages {
		if m.Code == code {
			return true
		}
	}
	return false
}

func mustVerify(t *testing.T, data []byte) []*signed.Signature {
	t.Helper()
	sigs, err := Verify(data, Options{})
	if err != nil {
		t.Fatalf("Verify: %v", err)
	}
	return sigs
}

func wantIntactWhole(t *testing.T, s *signed.Signature, id string) {
	t.Helper()
	if s.ID != id || s.Integrity != signed.Intact || s.Coverage != coverageWhole || s.CoverageNote != "" {
		t.Fatalf("got %s, want %s intact whole_document", describe([]*signed.Signature{s}), id)
	}
	if s.Signer == nil || s.Signer.Subject.CommonName != "NGUYEN VAN A" {
		t.Fatalf("signer = %v", s.Signer)
	}
}

func TestVerify(t *testing.T) {
	f := newFixture(t)
	content := []byte(pageText)
	tests := []struct {
		name  string
		build func(t *testing.T) []byte
		check func(t *testing.T, sigs []*signed.Signature)
	}{{
		name:  "one signature covering the whole document",
		build: func(t *testing.T) []byte { return signedDoc(t, f, 1, "ETSI.CAdES.detached", content).bytes() },
		check: func(t *testing.T, sigs []*signed.Signature) {
			s := only(t, sigs)
			wantIntactWhole(t, s, "Signature1")
			if s.ClaimedSigningTime == nil || s.DigestAlgorithm != crypto.SHA256 || len(s.Certificates) != 2 {
				t.Errorf("time %v, digest %v, %d certificates", s.ClaimedSigningTime, s.DigestAlgorithm, len(s.Certificates))
			}
		},
	}, {
		name: "content tampered inside the signed range",
		build: func(t *testing.T) []byte {
			data := signedDoc(t, f, 1, "adbe.pkcs7.detached", content).bytes()
			i := bytes.Index(data, []byte("Hello"))
			data[i+1] = 'a'
			return data
		},
		check: func(t *testing.T, sigs []*signed.Signature) {
			if s := only(t, sigs); s.Integrity != signed.HashMismatch || s.Coverage != coverageWhole {
				t.Errorf("got %s, want hash_mismatch", describe(sigs))
			}
		},
	}, {
		name: "annotation added by an incremental update",
		build: func(t *testing.T) []byte {
			w := signedDoc(t, f, 1, "ETSI.CAdES.detached", content)
			w.Obj(3, "<< /Type /Page /Parent 2 0 R /MediaBox [0 0 595 842] /Contents 6 0 R /Annots [12 0 R 30 0 R] >>")
			w.Obj(30, "<< /Type /Annot /Subtype /Text /Rect [100 100 120 120] /Contents (note) /P 3 0 R >>")
			w.XRefTable()
			return w.bytes()
		},
		check: func(t *testing.T, sigs []*signed.Signature) {
			s := only(t, sigs)
			want := "1 incremental update after this signature: 1 annotation added or changed"
			if s.Integrity != signed.Intact || s.Coverage != coveragePartial || s.CoverageNote != want {
				t.Errorf("got %s, want intact partial %q", describe(sigs), want)
			}
		},
	}, {
		name: "page content replaced by an incremental update",
		build: func(t *testing.T) []byte {
			w := signedDoc(t, f, 1, "ETSI.CAdES.detached", content)
			w.Stream(6, "", []byte("BT /F1 12 Tf 72 720 Td (Goodbye) Tj ET"))
			w.XRefTable()
			return w.bytes()
		},
		check: func(t *testing.T, sigs []*signed.Signature) {
			s := only(t, sigs)
			want := "1 incremental update after this signature: 1 other existing object rewritten"
			if s.Integrity != signed.Intact || s.Coverage != coveragePartial || s.CoverageNote != want {
				t.Errorf("got %s, want intact partial %q", describe(sigs), want)
			}
		},
	}, {
		name: "open action added to the catalog by an incremental update",
		build: func(t *testing.T) []byte {
			w := signedDoc(t, f, 1, "ETSI.CAdES.detached", content)
			w.Obj(1, "<< /Type /Catalog /Pages 2 0 R /AcroForm 4 0 R /OpenAction 31 0 R >>")
			w.Obj(31, "<< /S /JavaScript /JS (app.alert(1)) >>")
			w.XRefTable()
			return w.bytes()
		},
		check: func(t *testing.T, sigs []*signed.Signature) {
			s := only(t, sigs)
			want := "1 incremental update after this signature: document catalog changed"
			if s.Integrity != signed.Intact || s.Coverage != coveragePartial || s.CoverageNote != want {
				t.Errorf("got %s, want intact partial %q", describe(sigs), want)
			}
		},
	}, {
		name:  "two signatures by incremental saves",
		build: func(t *testing.T) []byte { return signedDoc(t, f, 2, "ETSI.CAdES.detached", content).bytes() },
		check: func(t *testing.T, sigs []*signed.Signature) {
			if len(sigs) != 2 {
				t.Fatalf("got %s", describe(sigs))
			}
			want := "1 incremental update after this signature: 1 signature"
			if s := sigs[0]; s.ID != "Signature1" || s.Integrity != signed.Intact || s.Coverage != coveragePartial || s.CoverageNote != want {
				t.Errorf("first: got %s, want intact partial %q", describe(sigs[:1]), want)
			}
			wantIntactWhole(t, sigs[1], "Signature2")
		},
	}, {
		name: "cross-reference stream and object streams",
		build: func(t *testing.T) []byte {
			w := newTestPDF()
			w.ObjStm(20, map[int]string{
				1:  "<< /Type /Catalog /Pages 2 0 R /AcroForm 4 0 R >>",
				2:  "<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
				3:  "<< /Type /Page /Parent 2 0 R /MediaBox [0 0 595 842] /Contents 6 0 R /Annots [12 0 R] >>",
				4:  "<< /Fields [12 0 R] /SigFlags 3 >>",
				12: "<< /Type /Annot /Subtype /Widget /FT /Sig /T (Signature1) /V 13 0 R /Rect [0 0 0 0] /P 3 0 R >>",
			})
			w.Stream(6, "", content)
			w.SigDict(13, "ETSI.CAdES.detached", "")
			w.XRefStream(21)
			w.sign(t, f.detached)
			return w.bytes()
		},
		check: func(t *testing.T, sigs []*signed.Signature) { wantIntactWhole(t, only(t, sigs), "Signature1") },
	}, {
		name: "hybrid-reference file (/XRefStm)",
		build: func(t *testing.T) []byte {
			w := newTestPDF()
			w.ObjStm(20, map[int]string{
				3:  "<< /Type /Page /Parent 2 0 R /MediaBox [0 0 595 842] /Contents 6 0 R /Annots [12 0 R] >>",
				12: "<< /Type /Annot /Subtype /Widget /FT /Sig /T (Signature1) /V 13 0 R /Rect [0 0 0 0] /P 3 0 R >>",
			})
			w.Obj(1, "<< /Type /Catalog /Pages 2 0 R /AcroForm << /Fields [12 0 R] >> >>")
			w.Obj(2, "<< /Type /Pages /Kids [3 0 R] /Count 1 >>")
			w.Stream(6, "", content)
			w.SigDict(13, "ETSI.CAdES.detached", "")
			w.HybridXRef(21)
			w.sign(t, f.detached)
			return w.bytes()
		},
		check: func(t *testing.T, sigs []*signed.Signature) {
			s := only(t, sigs)
			wantIntactWhole(t, s, "Signature1")
			if hasCode(s, CodeXRefRepaired) {
				t.Errorf("compressed objects were found by scanning, not through /XRefStm: %v", codes(s))
			}
		},
	}, {
		name:  "adbe.pkcs7.sha1",
		build: func(t *testing.T) []byte { return signedDoc(t, f, 1, "adbe.pkcs7.sha1", content).bytes() },
		check: func(t *testing.T, sigs []*signed.Signature) {
			s := only(t, sigs)
			wantIntactWhole(t, s, "Signature1")
			if s.DigestAlgorithm != crypto.SHA1 || !hasCode(s, CodeSHA1DocumentDigest) {
				t.Errorf("got %s, digest %v", describe(sigs), s.DigestAlgorithm)
			}
		},
	}, {
		name: "adbe.pkcs7.sha1 tampered",
		build: func(t *testing.T) []byte {
			data := signedDoc(t, f, 1, "adbe.pkcs7.sha1", content).bytes()
			data[bytes.Index(data, []byte("Hello"))] = 'J'
			return data
		},
		check: func(t *testing.T, sigs []*signed.Signature) {
			if s := only(t, sigs); s.Integrity != signed.HashMismatch {
				t.Errorf("got %s, want hash_mismatch", describe(sigs))
			}
		},
	}, {
		name:  "1 MB document",
		build: func(t *testing.T) []byte { return signedDoc(t, f, 1, "adbe.pkcs7.detached", bigContent(1<<20)).bytes() },
		check: func(t *testing.T, sigs []*signed.Signature) { wantIntactWhole(t, only(t, sigs), "Signature1") },
	}, {
		name: "document timestamp and DSS after a signature",
		build: func(t *testing.T) []byte {
			w := signedDoc(t, f, 1, "ETSI.CAdES.detached", content)
			w.Obj(1, "<< /Type /Catalog /Pages 2 0 R /AcroForm 4 0 R /DSS 40 0 R >>")
			w.Obj(40, "<< /Certs [41 0 R] >>")
			w.Stream(41, "/Filter /FlateDecode", testsign.Deflate(f.pki.Public.Root.Cert.Raw))
			w.Obj(3, "<< /Type /Page /Parent 2 0 R /MediaBox [0 0 595 842] /Contents 6 0 R /Annots [12 0 R 14 0 R] >>")
			w.Obj(4, "<< /Fields [12 0 R 14 0 R] /SigFlags 3 >>")
			w.Obj(14, "<< /Type /Annot /Subtype /Widget /FT /Sig /T (Timestamp1) /V 15 0 R /Rect [0 0 0 0] /P 3 0 R >>")
			w.SigDict(15, "ETSI.RFC3161", "")
			w.XRefTable()
			w.sign(t, f.docTimestamp)
			return w.bytes()
		},
		check: func(t *testing.T, sigs []*signed.Signature) {
			if len(sigs) != 2 {
				t.Fatalf("got %s", describe(sigs))
			}
			want := "1 incremental update after this signature: 1 document timestamp (long-term validation), validation data (DSS, long-term validation)"
			if s := sigs[0]; s.Integrity != signed.Intact || s.CoverageNote != want {
				t.Errorf("signature: got %s, want note %q", describe(sigs[:1]), want)
			}
			ts := sigs[1]
			if ts.ID != "Timestamp1" || ts.Integrity != signed.Intact || ts.Coverage != coverageWhole ||
				!hasCode(ts, CodeDocumentTimestamp) || len(ts.Timestamps) != 1 || ts.Timestamps[0].Kind != "document" ||
				ts.Signer == nil || ts.Signer.Subject.CommonName != "Test TSA" || !ts.Timestamps[0].GenTime.Equal(f.now) {
				t.Errorf("document timestamp: got %s", describe(sigs[1:]))
			}
			for _, s := range sigs {
				if !containsCert(s, f.pki.Public.Root.Cert.Raw) {
					t.Errorf("%s: the DSS certificate is not among its certificates", s.ID)
				}
			}
		},
	}, {
		name: "signing time from /M without zone",
		build: func(t *testing.T) []byte {
			w := newTestPDF()
			w.Obj(1, "<< /Type /Catalog /Pages 2 0 R /AcroForm << /Fields [12 0 R] >> >>")
			w.Obj(2, "<< /Type /Pages /Kids [] /Count 0 >>")
			w.Obj(12, "<< /FT /Sig /T (Signature1) /V 13 0 R >>")
			w.SigDict(13, "adbe.pkcs7.detached", "/M (D:20260301170000)")
			w.XRefTable()
			w.sign(t, func(t testing.TB, segs [][]byte) []byte {
				sd, _ := pkcs7.NewSignedData(bytes.Join(segs, nil))
				sd.SetDigestAlgorithm(pkcs7.OIDDigestAlgorithmSHA256)
				if err := sd.SignWithoutAttr(f.leaf.Cert, f.leaf.Key, pkcs7.SignerInfoConfig{}); err != nil {
					t.Fatal(err)
				}
				sd.Detach()
				der, _ := sd.Finish()
				return der
			})
			return w.bytes()
		},
		check: func(t *testing.T, sigs []*signed.Signature) {
			s := only(t, sigs)
			if s.Integrity != signed.Intact || s.ClaimedSigningTime == nil || !s.ClaimedSigningTime.Equal(f.now) ||
				s.ClaimedSigningTimeText != "D:20260301170000" || !hasCode(s, CodeSigningTimeZoneAssumed) {
				t.Errorf("got %s, time %v %q", describe(sigs), s.ClaimedSigningTime, s.ClaimedSigningTimeText)
			}
		},
	}, {
		name: "field hierarchy and separate widget",
		build: func(t *testing.T) []byte {
			w := newTestPDF()
			w.Obj(1, "<< /Type /Catalog /Pages 2 0 R /AcroForm 4 0 R >>")
			w.Obj(2, "<< /Type /Pages /Kids [3 0 R] /Count 1 >>")
			w.Obj(3, "<< /Type /Page /Parent 2 0 R /MediaBox [0 0 595 842] /Annots [14 0 R] >>")
			w.Obj(4, "<< /Fields [10 0 R] >>")
			w.Obj(10, "<< /T (Form) /Kids [12 0 R] >>")
			w.Obj(12, "<< /T <FEFF004B00FD> /FT /Sig /Parent 10 0 R /V 13 0 R /Kids [14 0 R] >>")
			w.Obj(14, "<< /Type /Annot /Subtype /Widget /Parent 12 0 R /Rect [0 0 10 10] /P 3 0 R >>")
			w.SigDict(13, "adbe.pkcs7.detached", "")
			w.XRefTable()
			w.sign(t, f.detached)
			return w.bytes()
		},
		check: func(t *testing.T, sigs []*signed.Signature) { wantIntactWhole(t, only(t, sigs), "Form.Ký") },
	}, {
		name: "signature widget outside the AcroForm",
		build: func(t *testing.T) []byte {
			w := newTestPDF()
			w.Obj(1, "<< /Type /Catalog /Pages 2 0 R >>")
			w.Obj(2, "<< /Type /Pages /Kids [3 0 R] /Count 1 >>")
			w.Obj(3, "<< /Type /Page /Parent 2 0 R /MediaBox [0 0 595 842] /Annots [12 0 R] >>")
			w.Obj(12, "<< /Type /Annot /Subtype /Widget /FT /Sig /T (Signature1) /V 13 0 R /Rect [0 0 0 0] /P 3 0 R >>")
			w.SigDict(13, "adbe.pkcs7.detached", "")
			w.XRefTable()
			w.sign(t, f.detached)
			return w.bytes()
		},
		check: func(t *testing.T, sigs []*signed.Signature) {
			s := only(t, sigs)
			wantIntactWhole(t, s, "Signature1")
			if !hasCode(s, CodeFieldOutsideAcroForm) {
				t.Errorf("no %s: %v", CodeFieldOutsideAcroForm, codes(s))
			}
		},
	}, {
		name: "broken cross-reference offsets",
		build: func(t *testing.T) []byte {
			w := newTestPDF()
			w.Obj(1, "<< /Type /Catalog /Pages 2 0 R /AcroForm << /Fields [12 0 R] >> >>")
			w.Obj(2, "<< /Type /Pages /Kids [] /Count 0 >>")
			w.Obj(12, "<< /FT /Sig /T (Signature1) /V 13 0 R >>")
			w.SigDict(13, "ETSI.CAdES.detached", "")
			w.XRefTable()
			// Shift every offset by 3 bytes, as a CRLF conversion would.
			data := w.Bytes()
			x := bytes.LastIndex(data, []byte("\nxref\n"))
			for _, line := range bytes.Split(data[x:], []byte("\n")) {
				if len(line) == 19 && line[17] == 'n' {
					copy(line, fmt.Sprintf("%010d", atoi(line[:10])+3))
				}
			}
			w.sign(t, f.detached)
			return w.bytes()
		},
		check: func(t *testing.T, sigs []*signed.Signature) {
			s := only(t, sigs)
			if s.Integrity != signed.Intact || !hasCode(s, CodeXRefRepaired) {
				t.Errorf("got %s, want intact with %s", describe(sigs), CodeXRefRepaired)
			}
		},
	}, {
		name: "startxref pointing nowhere",
		build: func(t *testing.T) []byte {
			w := newTestPDF()
			w.Obj(1, "<< /Type /Catalog /Pages 2 0 R /AcroForm << /Fields [12 0 R] >> >>")
			w.Obj(2, "<< /Type /Pages /Kids [] /Count 0 >>")
			w.Obj(12, "<< /FT /Sig /T (Signature1) /V 13 0 R >>")
			w.SigDict(13, "ETSI.CAdES.detached", "")
			w.XRefTable()
			data := w.Bytes()
			i := bytes.LastIndex(data, []byte("startxref\n")) + len("startxref\n")
			data[i] = '9' // beyond the end of the file
			w.sign(t, f.detached)
			return w.bytes()
		},
		check: func(t *testing.T, sigs []*signed.Signature) {
			s := only(t, sigs)
			if s.Integrity != signed.Intact || !hasCode(s, CodeXRefRepaired) {
				t.Errorf("got %s, want intact with %s", describe(sigs), CodeXRefRepaired)
			}
		},
	}, {
		name: "prepared but unsigned field",
		build: func(t *testing.T) []byte {
			w := signedDoc(t, f, 1, "ETSI.CAdES.detached", content)
			w.Obj(4, "<< /Fields [12 0 R 14 0 R] /SigFlags 3 >>")
			w.Obj(14, "<< /FT /Sig /T (Signature2) /V 15 0 R >>")
			w.SigDict(15, "ETSI.CAdES.detached", "")
			w.XRefTable()
			return w.bytes()
		},
		check: func(t *testing.T, sigs []*signed.Signature) {
			if len(sigs) != 2 || sigs[1].Integrity != signed.Malformed || !strings.Contains(sigs[1].Problem, "never signed") {
				t.Errorf("got %s", describe(sigs))
			}
		},
	}, {
		name: "adbe.x509.rsa_sha1 is not supported",
		build: func(t *testing.T) []byte {
			return bytes.Replace(signedDoc(t, f, 1, "adbe.pkcs7.detached", content).bytes(),
				[]byte("/adbe.pkcs7.detached"), []byte("/adbe.x509.rsa_sha1"), 1)
		},
		check: func(t *testing.T, sigs []*signed.Signature) {
			if s := only(t, sigs); s.Integrity != signed.Malformed || !strings.Contains(s.Problem, "not supported") {
				t.Errorf("got %s", describe(sigs))
			}
		},
	}, {
		name: "unsigned document",
		build: func(t *testing.T) []byte {
			w := newTestPDF()
			w.Obj(1, "<< /Type /Catalog /Pages 2 0 R /AcroForm << /Fields [3 0 R] >> >>")
			w.Obj(2, "<< /Type /Pages /Kids [] /Count 0 >>")
			w.Obj(3, "<< /FT /Sig /T (Empty) >>")
			w.XRefTable()
			return w.bytes()
		},
		check: func(t *testing.T, sigs []*signed.Signature) {
			if sigs == nil || len(sigs) != 0 {
				t.Errorf("got %v, want an empty non-nil slice", sigs)
			}
		},
	}}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) { tc.check(t, mustVerify(t, tc.build(t))) })
	}
}

func atoi(b []byte) int {
	n := 0
	for _, c := range b {
		n = n*10 + int(c-'0')
	}
	return n
}

func containsCert(s *signed.Signature, raw []byte) bool {
	for _, c := range s.Certificates {
		if bytes.Equal(c.Raw, raw) {
			return true
		}
	}
	return false
}

// bigContent is a page content stream of about n bytes.
func bigContent(n int) []byte {
	var b bytes.Buffer
	for i := 0; b.Len() < n; i++ {
		fmt.Fprintf(&b, "BT /F1 10 Tf 72 %d Td (Dong %06d: noi dung van ban) Tj ET\n", 700-i%600, i)
	}
	return b.Bytes()
}

func TestVerifyByteRange(t *testing.T) {
	f := newFixture(t)
	tests := []struct {
		name    string
		br      func(b, c, d int) [4]int
		problem string
	}{
		{"not starting at 0", func(b, c, d int) [4]int { return [4]int{5, b - 5, c, d} }, "does not start at the beginning"},
		{"gap is not /Contents", func(b, c, d int) [4]int { return [4]int{0, b + 1, c, d} }, "is not a hexadecimal string"},
		{"gap shifted onto other delimiters", func(b, c, d int) [4]int { return [4]int{0, b, c + 10, d - 10} }, "is not a hexadecimal string"},
		{"overlapping ranges", func(b, c, d int) [4]int { return [4]int{0, c + 5, c, d} }, "overlap"},
		{"range past the end of the file", func(b, c, d int) [4]int { return [4]int{0, b, c, d + 100} }, "past the end of the file"},
		{"negative", func(b, c, d int) [4]int { return [4]int{0, b, c, -d} }, "negative"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			w := signedDoc(t, f, 1, "adbe.pkcs7.detached", []byte(pageText))
			p := w.Placeholder(0)
			w.setByteRange(t, 0, tc.br(p.ContentsAt, p.ContentsEnd, w.Len()-p.ContentsEnd))
			s := only(t, mustVerify(t, w.bytes()))
			if s.Integrity != signed.Malformed || !strings.Contains(s.Problem, tc.problem) {
				t.Errorf("got %s, want malformed %q", describe([]*signed.Signature{s}), tc.problem)
			}
		})
	}
	t.Run("wrong count", func(t *testing.T) {
		w := signedDoc(t, f, 1, "adbe.pkcs7.detached", []byte(pageText))
		if err := w.SetByteRangeText(0, "[0 1 2]"); err != nil {
			t.Fatal(err)
		}
		s := only(t, mustVerify(t, w.bytes()))
		if s.Integrity != signed.Malformed || !strings.Contains(s.Problem, "not 4") {
			t.Errorf("got %s", describe([]*signed.Signature{s}))
		}
	})
}

func TestVerifyNotAPDF(t *testing.T) {
	f := newFixture(t)
	signedPDF := signedDoc(t, f, 1, "adbe.pkcs7.detached", []byte(pageText)).bytes()
	tests := map[string][]byte{
		"empty":                  nil,
		"garbage":                []byte("hello, this is not a PDF at all"),
		"header only":            []byte("%PDF-1.7\n"),
		"truncated":              signedPDF[:len(signedPDF)/2],
		"no catalog":             []byte("%PDF-1.4\n1 0 obj\n<< /Foo 1 >>\nendobj\nstartxref\n9\n%%EOF\n"),
		"not PDF, has startxref": []byte("GIF89a startxref 0 %%EOF"),
	}
	for name, data := range tests {
		t.Run(name, func(t *testing.T) {
			sigs, err := Verify(data, Options{})
			if !errors.Is(err, ErrMalformed) || sigs != nil {
				t.Errorf("got %v, %v; want ErrMalformed", sigs, err)
			}
		})
	}
}
