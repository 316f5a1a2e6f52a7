package testsign

import (
	"bytes"
	"crypto/x509"
	"fmt"
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

// Build returns the PDF.
func (p PDF) Build() ([]byte, error) {
	w, err := p.Writer()
	if err != nil {
		return nil, err
	}
	return w.Bytes(), nil
}

// Writer writes the PDF and returns the writer, for tests that add
// revisions of their own after the ones p describes.
func (p PDF) Writer() (*PDFWriter, error) {
	w := NewPDFWriter(p.ContentsHex)
	sub := p.SubFilter
	if sub == "" {
		sub = "ETSI.CAdES.detached"
	}
	n := len(p.Signatures)
	total := n
	if p.DocumentTimestamp != nil {
		total++
	}
	if total == 0 {
		writeBase(w, nil, p.Content)
		w.XRefTable()
		return w, nil
	}
	for i := 1; i <= total; i++ {
		var fields []string
		for k := 1; k <= i; k++ {
			fields = append(fields, fmt.Sprintf("%d 0 R", 10+2*k))
		}
		if i == 1 {
			writeBase(w, fields, p.Content)
		} else {
			writePage(w, fields)
		}
		w.Obj(4, fmt.Sprintf("<< /Fields [%s] /SigFlags 3 >>", strings.Join(fields, " ")))
		name, sf, mk := fmt.Sprintf("Signature%d", i), sub, p.DocumentTimestamp
		if i <= n {
			mk = p.Signatures[i-1]
		} else {
			name, sf = "DocTimeStamp1", "ETSI.RFC3161"
		}
		w.Obj(10+2*i, fmt.Sprintf("<< /Type /Annot /Subtype /Widget /FT /Sig /T (%s) /V %d 0 R /Rect [0 0 0 0] /P 3 0 R /F 132 >>", name, 11+2*i))
		extra := "/M (D:20260301170000+07'00')"
		if sf == "ETSI.RFC3161" {
			extra = ""
		}
		w.SigDict(11+2*i, sf, extra)
		w.XRefTable()
		if err := w.Sign(mk); err != nil {
			return nil, fmt.Errorf("testsign: %s: %w", name, err)
		}
	}
	if p.AppendUnsigned {
		w.Obj(9, "<< /Type /Annot /Subtype /Text /Rect [10 10 20 20] /Contents (added after signing) >>")
		w.XRefTable()
	}
	return w, nil
}

// writeBase writes the catalog, the page tree, the page and its content.
func writeBase(w *PDFWriter, fields []string, content []byte) {
	w.Obj(1, "<< /Type /Catalog /Pages 2 0 R /AcroForm 4 0 R >>")
	w.Obj(2, "<< /Type /Pages /Kids [3 0 R] /Count 1 >>")
	writePage(w, fields)
	if fields == nil {
		w.Obj(4, "<< /Fields [] >>")
	}
	w.Stream(6, "", content)
}

func writePage(w *PDFWriter, annots []string) {
	w.Obj(3, fmt.Sprintf("<< /Type /Page /Parent 2 0 R /MediaBox [0 0 595 842] /Contents 6 0 R /Annots [%s] >>", strings.Join(annots, " ")))
}
