package pdf

import (
	"fmt"
	"sort"
	"strings"
	"unicode/utf16"
	"unicode/utf8"
)

// sigField is a signed signature field: its fully qualified name and its
// signature dictionary (/V).
type sigField struct {
	name string
	v    object // the /V value: a reference or a direct dictionary
	// order is the file position used to report signatures in document
	// order (the start of /Contents, else of the signature dictionary).
	order int
	// viaPages is set when the field was found through a page's
	// annotations but not through the AcroForm.
	viaPages bool
}

// maxFieldDepth bounds the field hierarchy (/Kids) and /Parent chains;
// real forms are a few levels deep.
const maxFieldDepth = 32

// fieldWalker collects signed signature fields, each field node and each
// signature dictionary once.
type fieldWalker struct {
	d        *document
	seen     map[int]bool // field and page-tree nodes visited
	seenV    map[int]bool // signature dictionaries collected
	nodes    int
	out      []sigField
	viaPages bool
}

// signatureFields returns the signed signature fields of the document in
// document order: those of the AcroForm's field tree (ISO 32000-1
// §12.7.3), or, when the AcroForm names none, the signature widgets found
// on the pages.
func (d *document) signatureFields() []sigField {
	cat := d.dictOf(d.trailer["Root"])
	w := &fieldWalker{d: d, seen: map[int]bool{}, seenV: map[int]bool{}}
	if af := d.dictOf(cat["AcroForm"]); af != nil {
		for _, f := range d.arrayOf(af["Fields"]) {
			w.walk(f, "", "", 0)
		}
	}
	if len(w.out) == 0 {
		w.viaPages = true
		w.pages(cat["Pages"], 0)
	}
	sort.SliceStable(w.out, func(i, j int) bool { return w.out[i].order < w.out[j].order })
	return w.out
}

// visit reports whether o may be visited: within the node budget and, for
// a reference, not seen before.
func (w *fieldWalker) visit(o object) bool {
	if w.nodes >= w.d.opts.MaxObjects {
		return false
	}
	w.nodes++
	if r, ok := o.(ref); ok {
		if w.seen[r.num] {
			return false
		}
		w.seen[r.num] = true
	}
	return true
}

// walk visits a field and its kids. The field type /FT is inherited
// (§12.7.3.1); a widget merged with its field carries /T, /FT and /V
// itself, a separate widget (no /T) is a kid of its field.
func (w *fieldWalker) walk(o object, parent string, ft name, depth int) {
	if depth > maxFieldDepth || !w.visit(o) {
		return
	}
	h := w.d.dictOf(o)
	if h == nil {
		return
	}
	fq := joinName(parent, w.d.stringOf(h["T"]))
	if v, ok := h["FT"]; ok {
		ft = w.d.nameOf(v)
	}
	if ft == "Sig" && h["V"] != nil {
		w.add(fq, h["V"])
	}
	for _, k := range w.d.arrayOf(h["Kids"]) {
		w.walk(k, fq, ft, depth+1)
	}
}

// pages visits the page tree for widgets of signature fields that the
// AcroForm does not list. It ignores /Count, which hostile files inflate.
func (w *fieldWalker) pages(o object, depth int) {
	if depth > maxDepth || !w.visit(o) {
		return
	}
	h := w.d.dictOf(o)
	if kids, ok := w.d.resolve(h["Kids"]).(array); ok {
		for _, k := range kids {
			w.pages(k, depth+1)
		}
		return
	}
	for _, a := range w.d.arrayOf(h["Annots"]) {
		ad := w.d.dictOf(a)
		if w.d.nameOf(ad["Subtype"]) != "Widget" {
			continue
		}
		w.widget(a)
	}
}

// widget climbs from a widget annotation through /Parent to collect the
// field's name, inherited /FT and /V.
func (w *fieldWalker) widget(o object) {
	var parts []string
	var ft name
	var v object
	seen := map[int]bool{}
	for depth := 0; o != nil && depth <= maxFieldDepth; depth++ {
		if r, ok := o.(ref); ok {
			if seen[r.num] {
				break
			}
			seen[r.num] = true
		}
		h := w.d.dictOf(o)
		if h == nil {
			break
		}
		if t := w.d.stringOf(h["T"]); t != nil {
			parts = append(parts, textString(t.b))
		}
		if ft == "" {
			ft = w.d.nameOf(h["FT"])
		}
		if v == nil {
			v = h["V"]
		}
		o = h["Parent"]
	}
	if ft != "Sig" || v == nil {
		return
	}
	for i, j := 0, len(parts)-1; i < j; i, j = i+1, j-1 {
		parts[i], parts[j] = parts[j], parts[i]
	}
	w.add(strings.Join(parts, "."), v)
}

// add records a signature field once per signature dictionary; a /V that
// resolves to null (a missing object) leaves the field unsigned.
func (w *fieldWalker) add(fq string, v object) {
	if w.d.resolve(v) == nil {
		return
	}
	order := 1<<62 + len(w.out)
	if r, ok := v.(ref); ok {
		if w.seenV[r.num] {
			return
		}
		w.seenV[r.num] = true
		if e, ok := w.d.xref[r.num]; ok && e.kind == 1 {
			order = e.off
		} else if off, ok := w.d.scan[r.num]; ok {
			order = off
		}
	}
	if c := w.d.stringOf(w.d.dictOf(v)["Contents"]); c != nil && c.start >= 0 {
		order = c.start
	}
	if fq == "" {
		fq = fmt.Sprintf("signature-%d", len(w.out)+1)
	}
	w.out = append(w.out, sigField{name: fq, v: v, order: order, viaPages: w.viaPages})
}

// maxNameLen bounds a reported field name.
const maxNameLen = 256

// joinName appends the partial name t to parent with a period (§12.7.3.2).
func joinName(parent string, t *pdfString) string {
	if t == nil {
		return parent
	}
	part := textString(t.b)
	if parent != "" {
		part = parent + "." + part
	}
	if len(part) > maxNameLen {
		part = strings.ToValidUTF8(part[:maxNameLen], "")
	}
	return part
}

// textString decodes a PDF text string (§7.9.2.2): UTF-16BE or UTF-8 with
// their byte order marks, else PDFDocEncoding.
func textString(b []byte) string {
	switch {
	case len(b) >= 2 && b[0] == 0xFE && b[1] == 0xFF:
		u := make([]uint16, 0, len(b)/2)
		for i := 2; i+1 < len(b); i += 2 {
			u = append(u, uint16(b[i])<<8|uint16(b[i+1]))
		}
		return string(utf16.Decode(u))
	case len(b) >= 3 && b[0] == 0xEF && b[1] == 0xBB && b[2] == 0xBF:
		return strings.ToValidUTF8(string(b[3:]), "\uFFFD")
	}
	var sb strings.Builder
	for _, c := range b {
		switch {
		case c >= 0x18 && c <= 0x1F:
			sb.WriteRune(pdfDocLow[c-0x18])
		case c >= 0x80 && c <= 0xA0:
			sb.WriteRune(pdfDocHigh[c-0x80])
		case c == 0xAD || c == 0x7F:
			sb.WriteRune(utf8.RuneError)
		default:
			sb.WriteRune(rune(c))
		}
	}
	return sb.String()
}

// PDFDocEncoding where it differs from Latin-1 (ISO 32000-1 Annex D.2).
var (
	pdfDocLow  = [8]rune{'˘', 'ˇ', 'ˆ', '˙', '˝', '˛', '˚', '˜'}
	pdfDocHigh = [33]rune{
		'•', '†', '‡', '…', '—', '–', 'ƒ', '⁄', '‹', '›', '−', '‰', '„', '“', '”', '‘',
		'’', '‚', '™', 'ﬁ', 'ﬂ', 'Ł', 'Œ', 'Š', 'Ÿ', 'Ž', 'ı', 'ł', 'œ', 'š', 'ž', utf8.RuneError,
		'€',
	}
)
