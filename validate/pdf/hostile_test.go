package pdf

import (
	"bytes"
	"errors"
	"fmt"
	"strings"
	"testing"

	"github.com/lienthong/lienthong/validate/signed"
)

// unsignedDoc is a minimal valid PDF whose catalog carries extra entries
// and whose revision adds objs.
func unsignedDoc(catalogExtra string, objs map[int]string) []byte {
	w := newTestPDF()
	w.Obj(1, "<< /Type /Catalog /Pages 2 0 R "+catalogExtra+" >>")
	w.Obj(2, "<< /Type /Pages /Kids [] /Count 0 >>")
	for n, body := range objs {
		w.Obj(n, body)
	}
	w.XRefTable()
	return w.bytes()
}

// appendSection appends an empty incremental update whose trailer
// carries extra (for instance a /Prev), and returns its offset.
func appendSection(data []byte, extra func(off int) string) []byte {
	off := len(data)
	return fmt.Appendf(data, "xref\n0 0\ntrailer\n<< /Size 3 /Root 1 0 R %s >>\nstartxref\n%d\n%%%%EOF\n", extra(off), off)
}

func TestVerifyHostile(t *testing.T) {
	f := newFixture(t)
	signedPDF := func(t *testing.T) []byte { return signedDoc(t, f, 1, "ETSI.CAdES.detached", []byte(pageText)).bytes() }
	deep := strings.Repeat("[", 100000) + strings.Repeat("]", 100000)
	tests := []struct {
		name string
		data func(t *testing.T) []byte
		// sigs is the number of signatures expected, -1 for ErrMalformed.
		sigs int
	}{
		{"xref /Prev pointing to itself", func(t *testing.T) []byte {
			return appendSection(signedPDF(t), func(off int) string { return fmt.Sprintf("/Prev %d", off) })
		}, 1},
		{"xref /Prev loop of two sections", func(t *testing.T) []byte {
			data := signedPDF(t)
			first := len(data)
			data = appendSection(data, func(int) string { return fmt.Sprintf("/Prev %d", first+200) })
			data = append(data, bytes.Repeat([]byte(" "), first+200-len(data))...)
			return appendSection(data, func(int) string { return fmt.Sprintf("/Prev %d", first) })
		}, 1},
		{"xref /Prev past the end", func(t *testing.T) []byte {
			return appendSection(signedPDF(t), func(int) string { return "/Prev 99999999999" })
		}, 1},
		{"deeply nested arrays", func(t *testing.T) []byte {
			return unsignedDoc("/AcroForm << /Fields 5 0 R >>", map[int]string{5: deep})
		}, 0},
		{"deeply nested dictionaries", func(t *testing.T) []byte {
			return unsignedDoc("/AcroForm 5 0 R", map[int]string{5: strings.Repeat("<< /A ", 5000) + strings.Repeat(">> ", 5000)})
		}, 0},
		{"huge /Count and object numbers", func(t *testing.T) []byte {
			return unsignedDoc("/AcroForm << /Fields [2147483646 0 R 99999999999 0 R 5 0 R] >>", map[int]string{
				5: "<< /FT /Sig /T (X) /V 2147483647 0 R /Kids [2147483000 65535 R] >>"})
		}, 0},
		{"huge xref subsection", func(t *testing.T) []byte {
			data := unsignedDoc("", nil)
			return appendSection(append(data, "xref\n2147483000 2000000000\n0000000009 00000 n \n"...),
				func(int) string { return "" })
		}, 0},
		{"field and page cycles", func(t *testing.T) []byte {
			w := newTestPDF()
			w.Obj(1, "<< /Type /Catalog /Pages 2 0 R /AcroForm << /Fields [5 0 R] >> >>")
			w.Obj(2, "<< /Type /Pages /Kids [2 0 R 3 0 R] /Count 1 >>")
			w.Obj(3, "<< /Type /Page /Parent 2 0 R /Annots [6 0 R] >>")
			w.Obj(5, "<< /T (A) /Kids [5 0 R 6 0 R] >>")
			w.Obj(6, "<< /Subtype /Widget /Parent 6 0 R /Kids [5 0 R] >>")
			w.Obj(7, "<< /Length 7 0 R >>\nstream\nabc\nendstream")
			w.XRefTable()
			return w.bytes()
		}, 0},
		{"stream /Length referring to itself", func(t *testing.T) []byte {
			return unsignedDoc("/DSS << /Certs [5 0 R] >>", map[int]string{5: "<< /Length 5 0 R >>\nstream\nxyz\nendstream"})
		}, 0},
		{"xref stream with a huge /Index", func(t *testing.T) []byte {
			data := unsignedDoc("", nil)
			off := len(data)
			return fmt.Appendf(data, "9 0 obj\n<< /Type /XRef /Size 2000000000 /Index [0 2000000000] /W [1 8 8] /Root 1 0 R /Length 3 >>\nstream\nabc\nendstream\nendobj\nstartxref\n%d\n%%%%EOF\n", off)
		}, 0},
		{"thousands of objects opening strings that never end", func(t *testing.T) []byte {
			w := newTestPDF()
			var refs []string
			for i := 10; i < 20010; i++ {
				refs = append(refs, fmt.Sprintf("%d 0 R", i))
			}
			w.Obj(1, "<< /Type /Catalog /Pages 2 0 R /AcroForm << /Fields ["+strings.Join(refs, " ")+"] >> >>")
			w.Obj(2, "<< /Type /Pages /Kids [] /Count 0 >>")
			for i := 10; i < 20010; i++ {
				w.Obj(i, "<< /FT /Sig /V (never closed")
			}
			w.XRefTable()
			return w.bytes()
		}, -1},
		{"unterminated strings", func(t *testing.T) []byte {
			return unsignedDoc("/AcroForm 5 0 R", map[int]string{5: "<< /Fields [(unterminated <abc >>"})
		}, 0},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			data := tc.data(t)
			// Bounded work is what these inputs test; a regression shows as
			// a test that never returns (go test -timeout), not as a timing.
			sigs, err := Verify(data, Options{})
			switch {
			case tc.sigs < 0 && !errors.Is(err, ErrMalformed):
				t.Errorf("got %v, want ErrMalformed", err)
			case tc.sigs >= 0 && err != nil:
				t.Errorf("Verify: %v", err)
			case tc.sigs >= 0 && len(sigs) != tc.sigs:
				t.Errorf("got %s, want %d signatures", describe(sigs), tc.sigs)
			}
			for _, s := range sigs {
				if s.Integrity != signed.Intact {
					t.Errorf("got %s", describe(sigs))
				}
			}
		})
	}
}

func TestVerifyLimits(t *testing.T) {
	f := newFixture(t)
	t.Run("xref chain cut at MaxXRefChain", func(t *testing.T) {
		data := signedDoc(t, f, 1, "ETSI.CAdES.detached", []byte(pageText)).bytes()
		prev := bytes.LastIndex(data, []byte("\nxref\n")) + 1
		for range 20 {
			p := prev
			prev = len(data)
			data = appendSection(data, func(int) string { return fmt.Sprintf("/Prev %d", p) })
		}
		s := only(t, verifyOpts(t, data, Options{MaxXRefChain: 5}))
		if s.Integrity != signed.Intact || !hasCode(s, CodeLimitsReached) || s.Coverage != coveragePartial {
			t.Errorf("got %s", describe([]*signed.Signature{s}))
		}
		if !strings.HasPrefix(s.CoverageNote, "at least 5 incremental updates") {
			t.Errorf("note %q", s.CoverageNote)
		}
	})
	t.Run("too many signatures", func(t *testing.T) {
		sigs := verifyOpts(t, signedDoc(t, f, 3, "ETSI.CAdES.detached", []byte(pageText)).bytes(), Options{MaxSignatures: 2})
		if len(sigs) != 3 || sigs[2].Integrity != signed.Malformed || !strings.Contains(sigs[2].Problem, "more than the 2 verified") {
			t.Errorf("got %s", describe(sigs))
		}
	})
	t.Run("object budget", func(t *testing.T) {
		objs := map[int]string{}
		var kids []string
		for i := 10; i < 2010; i++ {
			objs[i] = fmt.Sprintf("<< /FT /Tx /T (f%d) >>", i)
			kids = append(kids, fmt.Sprintf("%d 0 R", i))
		}
		data := unsignedDoc("/AcroForm << /Fields ["+strings.Join(kids, " ")+"] >>", objs)
		if _, err := Verify(data, Options{MaxObjects: 500}); !errors.Is(err, ErrMalformed) {
			t.Errorf("got %v, want ErrMalformed (limits reached before any signature)", err)
		}
		if sigs, err := Verify(data, Options{}); err != nil || len(sigs) != 0 {
			t.Errorf("default limits: got %v, %v", sigs, err)
		}
	})
}

func verifyOpts(t *testing.T, data []byte, opts Options) []*signed.Signature {
	t.Helper()
	sigs, err := Verify(data, opts)
	if err != nil {
		t.Fatal(err)
	}
	return sigs
}

// zlibZeros is a zlib stream of n zero bytes, made without holding them.
func zlibZeros(n int) []byte {
	zeros := make([]byte, 1<<20)
	var out bytes.Buffer
	zw, _ := zlibWriterLevel(&out)
	for n > 0 {
		k := min(n, len(zeros))
		zw.Write(zeros[:k])
		n -= k
	}
	zw.Close()
	return out.Bytes()
}

func TestFlateBomb(t *testing.T) {
	bomb := zlibZeros(100 << 20) // about 127 KB
	t.Run("decode stops at the limit", func(t *testing.T) {
		d := &document{opts: Options{}.withDefaults()}
		_, err := d.decode(&stream{dict: dict{"Filter": name("FlateDecode")}, raw: bomb})
		if !errors.Is(err, errBomb) {
			t.Fatalf("got %v, want errBomb", err)
		}
		if limit := int64(max(inflateFloor, len(bomb)*inflateRatio)); d.inflated > limit+1 {
			t.Errorf("inflated %d bytes, limit %d", d.inflated, limit)
		}
	})
	t.Run("document total", func(t *testing.T) {
		d := &document{opts: Options{}.withDefaults()}
		chunk := zlibZeros(3 << 20)
		var err error
		for i := 0; i < 40 && err == nil; i++ {
			_, err = d.decode(&stream{dict: dict{"Filter": name("FlateDecode")}, raw: chunk})
		}
		if !(errors.Is(err, errBudget) || errors.Is(err, errBomb)) || d.inflated > maxInflateTotal+1 {
			t.Errorf("got %v after %d bytes", err, d.inflated)
		}
	})
	t.Run("bomb in the DSS of a signed document", func(t *testing.T) {
		f := newFixture(t)
		w := signedDoc(t, f, 1, "ETSI.CAdES.detached", []byte(pageText))
		w.Obj(1, "<< /Type /Catalog /Pages 2 0 R /AcroForm 4 0 R /DSS << /Certs [40 0 R 40 0 R] >> >>")
		w.Stream(40, "/Filter /FlateDecode", bomb)
		w.XRefTable()
		s := only(t, mustVerify(t, w.bytes()))
		if s.Integrity != signed.Intact || s.Coverage != coveragePartial {
			t.Errorf("got %s", describe([]*signed.Signature{s}))
		}
	})
}
