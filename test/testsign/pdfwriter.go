package testsign

import (
	"bytes"
	"compress/zlib"
	"encoding/hex"
	"fmt"
	"maps"
	"slices"
	"strings"
)

// PDFWriter writes a PDF revision by revision: objects, a classic,
// stream or hybrid cross-reference section per revision, and signature
// dictionaries whose /ByteRange and /Contents placeholders Sign fills once
// the revision is complete. PDF.Build uses it; tests that need documents
// PDF does not describe (object streams, broken structures, byte ranges
// set by hand) use it directly.
type PDFWriter struct {
	buf      bytes.Buffer
	rev      map[int]int    // objects written in this revision: offset
	comp     map[int][2]int // objects compressed in this revision: stream, index
	prevXref int
	size     int
	ph       []Placeholder
	room     int
	// trailerExtra is added to the next classic trailer.
	trailerExtra string
}

// Placeholder is where a signature dictionary's /ByteRange and /Contents
// values are in the file.
type Placeholder struct {
	// ByteRangeAt is the offset of the /ByteRange array.
	ByteRangeAt int
	// ContentsAt and ContentsEnd delimit the /Contents hex string, angle
	// brackets included.
	ContentsAt, ContentsEnd int
}

const brPlaceholder = "[0 0000000000 0000000000 0000000000]"

// NewPDFWriter returns a writer that has written the PDF header and
// reserves contentsHex hex digits for each signature value (0 means
// 16384).
func NewPDFWriter(contentsHex int) *PDFWriter {
	if contentsHex == 0 {
		contentsHex = 16384
	}
	w := &PDFWriter{rev: map[int]int{}, comp: map[int][2]int{}, prevXref: -1, room: contentsHex}
	w.buf.WriteString("%PDF-1.7\n%\xe2\xe3\xcf\xd3\n")
	return w
}

// Bytes returns the file written so far; changes to it change the file.
func (w *PDFWriter) Bytes() []byte { return w.buf.Bytes() }

// Len is the size of the file written so far.
func (w *PDFWriter) Len() int { return w.buf.Len() }

// Placeholder returns the placeholder of the i-th signature dictionary
// written (from 0).
func (w *PDFWriter) Placeholder(i int) Placeholder { return w.ph[i] }

// Obj writes indirect object num with the given body.
func (w *PDFWriter) Obj(num int, body string) {
	w.rev[num] = w.buf.Len()
	fmt.Fprintf(&w.buf, "%d 0 obj\n%s\nendobj\n", num, body)
	w.size = max(w.size, num+1)
}

// Stream writes stream object num: dict (without /Length, may be empty)
// and data as is.
func (w *PDFWriter) Stream(num int, dict string, data []byte) {
	w.rev[num] = w.buf.Len()
	if dict != "" {
		dict += " "
	}
	fmt.Fprintf(&w.buf, "%d 0 obj\n<< %s/Length %d >>\nstream\n", num, dict, len(data))
	w.buf.Write(data)
	w.buf.WriteString("\nendstream\nendobj\n")
	w.size = max(w.size, num+1)
}

// SigDict writes signature dictionary num (/Type /DocTimeStamp for the
// ETSI.RFC3161 subfilter, /Sig otherwise) with /ByteRange and /Contents
// placeholders, then the entries of extra (may be empty).
func (w *PDFWriter) SigDict(num int, subFilter, extra string) {
	w.rev[num] = w.buf.Len()
	typ := "Sig"
	if subFilter == "ETSI.RFC3161" {
		typ = "DocTimeStamp"
	}
	fmt.Fprintf(&w.buf, "%d 0 obj\n<< /Type /%s /Filter /Adobe.PPKLite /SubFilter /%s /ByteRange ", num, typ, subFilter)
	p := Placeholder{ByteRangeAt: w.buf.Len()}
	w.buf.WriteString(brPlaceholder + " /Contents ")
	p.ContentsAt = w.buf.Len()
	w.buf.WriteString("<" + strings.Repeat("0", w.room) + ">")
	p.ContentsEnd = w.buf.Len()
	if extra != "" {
		w.buf.WriteString(" " + extra)
	}
	w.buf.WriteString(" >>\nendobj\n")
	w.ph = append(w.ph, p)
	w.size = max(w.size, num+1)
}

// XRefTable ends the revision with a classic cross-reference table and
// trailer (with /Prev after the first revision).
func (w *PDFWriter) XRefTable() {
	off := w.buf.Len()
	nums := slices.Sorted(maps.Keys(w.rev))
	w.buf.WriteString("xref\n")
	if w.prevXref < 0 {
		w.buf.WriteString("0 1\n0000000000 65535 f \n")
	}
	for i := 0; i < len(nums); {
		j := i
		for j+1 < len(nums) && nums[j+1] == nums[j]+1 {
			j++
		}
		fmt.Fprintf(&w.buf, "%d %d\n", nums[i], j-i+1)
		for k := i; k <= j; k++ {
			fmt.Fprintf(&w.buf, "%010d 00000 n \n", w.rev[nums[k]])
		}
		i = j + 1
	}
	fmt.Fprintf(&w.buf, "trailer\n<< /Size %d /Root 1 0 R", w.size)
	if w.prevXref >= 0 {
		fmt.Fprintf(&w.buf, " /Prev %d", w.prevXref)
	}
	if w.trailerExtra != "" {
		w.buf.WriteString(" " + w.trailerExtra)
	}
	fmt.Fprintf(&w.buf, " >>\nstartxref\n%d\n%%%%EOF\n", off)
	w.prevXref = off
	w.rev, w.comp, w.trailerExtra = map[int]int{}, map[int][2]int{}, ""
}

// Deflate returns b zlib-compressed, for /FlateDecode streams.
func Deflate(b []byte) []byte {
	var out bytes.Buffer
	zw := zlib.NewWriter(&out)
	zw.Write(b)
	zw.Close()
	return out.Bytes()
}

// ObjStm writes object stream num holding objs (number: body).
func (w *PDFWriter) ObjStm(num int, objs map[int]string) {
	var head, body bytes.Buffer
	for i, n := range slices.Sorted(maps.Keys(objs)) {
		fmt.Fprintf(&head, "%d %d ", n, body.Len())
		body.WriteString(objs[n] + "\n")
		w.comp[n] = [2]int{num, i}
		w.size = max(w.size, n+1)
	}
	data := append(head.Bytes(), body.Bytes()...)
	w.Stream(num, fmt.Sprintf("/Type /ObjStm /N %d /First %d /Filter /FlateDecode", len(objs), head.Len()), Deflate(data))
}

// XRefStream ends the revision with cross-reference stream num (/W [1 4
// 2], PNG Up predictor).
func (w *PDFWriter) XRefStream(num int) {
	off := w.writeXRefStream(num, true)
	fmt.Fprintf(&w.buf, "startxref\n%d\n%%%%EOF\n", off)
	w.prevXref = off
	w.rev, w.comp = map[int]int{}, map[int][2]int{}
}

// HybridXRef ends the revision as a hybrid-reference file (ISO 32000-1
// §7.5.8.4): a classic table for the uncompressed objects whose trailer's
// /XRefStm names cross-reference stream num for the compressed ones.
func (w *PDFWriter) HybridXRef(num int) {
	w.trailerExtra = fmt.Sprintf("/XRefStm %d", w.writeXRefStream(num, false))
	w.XRefTable()
}

// writeXRefStream writes cross-reference stream num for the compressed
// objects and, with all, the uncompressed ones, and returns its offset.
func (w *PDFWriter) writeXRefStream(num int, all bool) int {
	off := w.buf.Len()
	w.rev[num] = off
	w.size = max(w.size, num+1)
	var rows [][]byte
	var index []string
	listed := map[int]bool{}
	for n := range w.rev {
		listed[n] = all
	}
	for n := range w.comp {
		listed[n] = true
	}
	var nums []int
	for _, n := range slices.Sorted(maps.Keys(listed)) {
		if listed[n] {
			nums = append(nums, n)
		}
	}
	for _, n := range nums {
		row := make([]byte, 7)
		if c, ok := w.comp[n]; ok {
			row[0] = 2
			row[1], row[2], row[3], row[4] = byte(c[0]>>24), byte(c[0]>>16), byte(c[0]>>8), byte(c[0])
			row[5], row[6] = byte(c[1]>>8), byte(c[1])
		} else {
			o := w.rev[n]
			row[0] = 1
			row[1], row[2], row[3], row[4] = byte(o>>24), byte(o>>16), byte(o>>8), byte(o)
		}
		rows = append(rows, row)
		index = append(index, fmt.Sprintf("%d 1", n))
	}
	var enc []byte
	prev := make([]byte, 7)
	for _, r := range rows {
		enc = append(enc, 2)
		for i := range r {
			enc = append(enc, r[i]-prev[i])
		}
		prev = r
	}
	data := Deflate(enc)
	dict := fmt.Sprintf("/Type /XRef /Size %d /Root 1 0 R /W [1 4 2] /Index [%s] /Filter /FlateDecode /DecodeParms << /Predictor 12 /Columns 7 >>",
		w.size, strings.Join(index, " "))
	if w.prevXref >= 0 {
		dict += fmt.Sprintf(" /Prev %d", w.prevXref)
	}
	fmt.Fprintf(&w.buf, "%d 0 obj\n<< %s /Length %d >>\nstream\n", num, dict, len(data))
	w.buf.Write(data)
	w.buf.WriteString("\nendstream\nendobj\n")
	return off
}

// Sign fills the latest placeholder: /ByteRange covers the file as it
// is, around /Contents, and mk makes the signature value over it.
func (w *PDFWriter) Sign(mk SignFunc) error {
	if len(w.ph) == 0 {
		return fmt.Errorf("testsign: no signature dictionary to sign")
	}
	p := w.ph[len(w.ph)-1]
	data := w.buf.Bytes()
	b, c := p.ContentsAt, p.ContentsEnd
	if err := w.SetByteRangeText(len(w.ph)-1, fmt.Sprintf("[0 %d %d %d]", b, c, len(data)-c)); err != nil {
		return err
	}
	v, err := mk([][]byte{data[:b], data[c:]})
	if err != nil {
		return err
	}
	h := hex.EncodeToString(v)
	if len(h) > w.room {
		return fmt.Errorf("signature of %d hex digits does not fit the %d reserved", len(h), w.room)
	}
	copy(data[b+1:], strings.ToUpper(h))
	return nil
}

// SetByteRange overwrites the /ByteRange of placeholder i.
func (w *PDFWriter) SetByteRange(i int, v [4]int) error {
	return w.SetByteRangeText(i, fmt.Sprintf("[%d %d %d %d]", v[0], v[1], v[2], v[3]))
}

// SetByteRangeText overwrites the /ByteRange of placeholder i with text
// (padded with spaces), which need not be a well-formed array.
func (w *PDFWriter) SetByteRangeText(i int, text string) error {
	if len(text) > len(brPlaceholder) {
		return fmt.Errorf("testsign: ByteRange %q too long", text)
	}
	copy(w.buf.Bytes()[w.ph[i].ByteRangeAt:], fmt.Sprintf("%-*s", len(brPlaceholder), text))
	return nil
}
