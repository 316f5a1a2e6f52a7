package pdf

import (
	"errors"
	"strings"
	"testing"
)

// FuzzVerify checks that no input makes Verify panic, loop or fail with
// anything but ErrMalformed. It calls verify without the panic guard, so
// a panic anywhere in the reader surfaces.
func FuzzVerify(f *testing.F) {
	fx := newFixture(f)
	doc := signedDoc(f, fx, 2, "ETSI.CAdES.detached", []byte(pageText)).bytes()
	f.Add(doc)
	f.Add(doc[:len(doc)/2])
	f.Add(doc[:len(doc)-10])
	f.Add([]byte("%PDF-1.7\ngarbage startxref 0 %%EOF"))
	f.Add([]byte("not a pdf"))
	w := newTestPDF()
	w.ObjStm(20, map[int]string{
		1:  "<< /Type /Catalog /Pages 2 0 R /AcroForm << /Fields [12 0 R] >> >>",
		2:  "<< /Type /Pages /Kids [] /Count 0 >>",
		12: "<< /FT /Sig /T (S) /V 13 0 R >>",
	})
	w.SigDict(13, "adbe.pkcs7.sha1", "/M (D:2026)")
	w.XRefStream(21)
	w.sign(f, fx.sha1Attached)
	f.Add(w.bytes())
	f.Fuzz(func(t *testing.T, data []byte) {
		sigs, err := verify(data, Options{MaxObjects: 20000}, false)
		if err != nil && !errors.Is(err, ErrMalformed) {
			t.Fatalf("error %v is not ErrMalformed", err)
		}
		if err == nil && sigs == nil {
			t.Fatal("nil slice without error")
		}
		for _, s := range sigs {
			if s.Integrity == 0 {
				t.Fatalf("signature %q without integrity", s.ID)
			}
			if strings.Contains(s.Problem, "recovered panic") { // inside validate/cms, which recovers
				t.Fatalf("signature %q: %s", s.ID, s.Problem)
			}
		}
	})
}
