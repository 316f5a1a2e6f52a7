package testsign

import (
	"bytes"
	"crypto/x509"
	"encoding/hex"
	"fmt"
	"maps"
	"slices"
	"strings"
	"time"
)

// SignFunc makes the signature value (a detached CMS, or a time-stamp
// token for a document timestamp) over the byte ranges of a PDF.
type SignFunc func(segments [][]byte) ([]byte, error)

// DetachedCMS returns a SignFunc that signs the byte ranges with a
// detached CMS of one signer carrying the signer's certificate and certs.
func DetachedCMS(s Signer, certs ...*x509.Certificate) SignFunc {
	return func(segs [][]byte) ([]byte, error) {
		return CMS{Content: bytes.Join(segs, nil), Detached: true, Signers: []Signer{s},
			Certificates: append([]*x509.Certificate{s.Cert}, certs...)}.Build()
	}
}

// DocumentTimestamp returns a SignFunc that makes a time-stamp token of
// tsa at the given time over the byte ranges (ETSI.RFC3161).
func DocumentTimestamp(tsa TSA, at time.Time) SignFunc {
	return func(segs [][]byte) ([]byte, error) { return tsa.Token(at, segs...) }
}

// PDF describes a signed PDF: one page whose content stream is Content,
// then one incremental update per signature field (the first signature is
// in the original revision), then optionally a document timestamp and an
// unsigned update.
type PDF struct {
	// Content is the page's content stream, written as is; its size
	// sets the document's size.
	Content []byte
	// Signatures sign the fields Signature1, Signature2, … in order.
	Signatures []SignFunc
	// SubFilter of the signature fields; "" means ETSI.CAdES.detached.
	SubFilter string
	// DocumentTimestamp, when set, adds a last signed revision with an
	// ETSI.RFC3161 document timestamp field (DocTimeStamp1).
	DocumentTimestamp SignFunc
	// AppendUnsigned adds an incremental update after every signature
	// (a new annotation), so that the signatures cover part of the file.
	AppendUnsigned bool
	// ContentsHex is the room reserved for each signature value, in hex
	// digits; 0 means 16384.
	ContentsHex int
}

// pdfWriter writes a PDF revision by revision with classic
// cross-reference tables.
type pdfWriter struct {
	buf      bytes.Buffer
	rev      map[int]int // objects written in this revision: offset
	prevXref int
	size     int
	ph       placeholder
	room     int
}

type placeholder struct{ brAt, contentsAt, contentsEnd int }

const brPlaceholder = "[0 0000000000 0000000000 0000000000]"

// Build returns the PDF.
func (p PDF) Build() ([]byte, error) {
	w := &pdfWriter{rev: map[int]int{}, prevXref: -1, room: p.ContentsHex}
	if w.room == 0 {
		w.room = 16384
	}
	sub := p.SubFilter
	if sub == "" {
		sub = "ETSI.CAdES.detached"
	}
	w.buf.WriteString("%PDF-1.7\n%\xe2\xe3\xcf\xd3\n")
	n := len(p.Signatures)
	total := n
	if p.DocumentTimestamp != nil {
		total++
	}
	if total == 0 {
		w.base(nil, p.Content)
		w.xref()
		return w.buf.Bytes(), nil
	}
	for i := 1; i <= total; i++ {
		var fields []string
		for k := 1; k <= i; k++ {
			fields = append(fields, fmt.Sprintf("%d 0 R", 10+2*k))
		}
		if i == 1 {
			w.base(fields, p.Content)
		} else {
			w.page(fields)
		}
		w.obj(4, fmt.Sprintf("<< /Fields [%s] /SigFlags 3 >>", strings.Join(fields, " ")))
		name, sf, mk := fmt.Sprintf("Signature%d", i), sub, p.DocumentTimestamp
		if i <= n {
			mk = p.Signatures[i-1]
		} else {
			name, sf = "DocTimeStamp1", "ETSI.RFC3161"
		}
		w.obj(10+2*i, fmt.Sprintf("<< /Type /Annot /Subtype /Widget /FT /Sig /T (%s) /V %d 0 R /Rect [0 0 0 0] /P 3 0 R /F 132 >>", name, 11+2*i))
		w.sigDict(11+2*i, sf)
		w.xref()
		if err := w.sign(mk); err != nil {
			return nil, fmt.Errorf("testsign: %s: %w", name, err)
		}
	}
	if p.AppendUnsigned {
		w.obj(9, "<< /Type /Annot /Subtype /Text /Rect [10 10 20 20] /Contents (added after signing) >>")
		w.xref()
	}
	return w.buf.Bytes(), nil
}

// base writes the catalog, the page tree, the page and its content.
func (w *pdfWriter) base(fields []string, content []byte) {
	w.obj(1, "<< /Type /Catalog /Pages 2 0 R /AcroForm 4 0 R >>")
	w.obj(2, "<< /Type /Pages /Kids [3 0 R] /Count 1 >>")
	w.page(fields)
	if fields == nil {
		w.obj(4, "<< /Fields [] >>")
	}
	w.rev[6] = w.buf.Len()
	fmt.Fprintf(&w.buf, "6 0 obj\n<< /Length %d >>\nstream\n", len(content))
	w.buf.Write(content)
	w.buf.WriteString("\nendstream\nendobj\n")
	w.size = max(w.size, 7)
}

func (w *pdfWriter) page(annots []string) {
	w.obj(3, fmt.Sprintf("<< /Type /Page /Parent 2 0 R /MediaBox [0 0 595 842] /Contents 6 0 R /Annots [%s] >>", strings.Join(annots, " ")))
}

func (w *pdfWriter) obj(num int, body string) {
	w.rev[num] = w.buf.Len()
	fmt.Fprintf(&w.buf, "%d 0 obj\n%s\nendobj\n", num, body)
	w.size = max(w.size, num+1)
}

// sigDict writes signature dictionary num with /ByteRange and /Contents
// placeholders.
func (w *pdfWriter) sigDict(num int, subFilter string) {
	w.rev[num] = w.buf.Len()
	typ := "Sig"
	if subFilter == "ETSI.RFC3161" {
		typ = "DocTimeStamp"
	}
	fmt.Fprintf(&w.buf, "%d 0 obj\n<< /Type /%s /Filter /Adobe.PPKLite /SubFilter /%s /ByteRange ", num, typ, subFilter)
	w.ph = placeholder{brAt: w.buf.Len()}
	w.buf.WriteString(brPlaceholder + " /Contents ")
	w.ph.contentsAt = w.buf.Len()
	w.buf.WriteString("<" + strings.Repeat("0", w.room) + ">")
	w.ph.contentsEnd = w.buf.Len()
	if typ == "Sig" {
		w.buf.WriteString(" /M (D:20260301170000+07'00')")
	}
	w.buf.WriteString(" >>\nendobj\n")
	w.size = max(w.size, num+1)
}

// xref ends the revision with a cross-reference table and trailer.
func (w *pdfWriter) xref() {
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
	fmt.Fprintf(&w.buf, " >>\nstartxref\n%d\n%%%%EOF\n", off)
	w.prevXref = off
	w.rev = map[int]int{}
}

// sign fills the placeholder of the latest signature dictionary: the byte
// range is the whole buffer around /Contents.
func (w *pdfWriter) sign(mk SignFunc) error {
	p := w.ph
	data := w.buf.Bytes()
	b, c := p.contentsAt, p.contentsEnd
	br := fmt.Sprintf("[0 %d %d %d]", b, c, len(data)-c)
	copy(data[p.brAt:], br+strings.Repeat(" ", len(brPlaceholder)-len(br)))
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
