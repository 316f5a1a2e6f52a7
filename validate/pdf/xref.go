package pdf

import (
	"bytes"
	"errors"
	"fmt"
)

// xrefEntry is one cross-reference entry (ISO 32000-1 §7.5.4, §7.5.8.3).
type xrefEntry struct {
	kind uint8 // 0 free, 1 in use at offset, 2 compressed in object stream
	off  int   // kind 1: byte offset; kind 2: object stream number
	idx  int   // kind 2: index in the object stream
}

// section is one cross-reference section with its trailer: one revision
// of the document (a hybrid file's /XRefStm belongs to the section that
// names it).
type section struct {
	offset  int
	entries map[int]xrefEntry
	trailer dict
}

// document is a PDF file opened for signature validation: its
// cross-reference sections, newest first, and the objects resolved so far.
type document struct {
	data []byte
	opts Options

	sections []*section        // newest first; empty when recovered by scanning
	xref     map[int]xrefEntry // merged view, newest section wins
	trailer  dict

	// repaired is set when the cross-reference data was broken and
	// objects were located by a linear scan; scan is that scan's index.
	// recovered is set when no cross-reference section was usable at all.
	// exhausted is set once a processing limit was reached.
	// chainCut is set when MaxXRefChain stopped the /Prev chain.
	repaired, recovered, exhausted, chainCut bool
	scan                                     map[int]int
	scanned                                  bool

	cache     map[int]object
	resolving map[int]bool
	objstms   map[int]*objStream
	changed   map[int]*changes // by section index, see sectionChanges

	catch bool // recover from panics per signature (false only in fuzzing)

	work, maxWork     int   // bytes read by the parser, bound
	values, maxValues int   // parsed values, bound
	parsed            int   // indirect objects parsed
	inflated          int64 // bytes decompressed so far
}

var (
	pdfHeader = []byte("%PDF-")
	startxref = []byte("startxref")
)

// open checks that data is a PDF and reads its cross-reference chain,
// falling back to a scan of object headers when that chain is broken.
func open(data []byte, opts Options) (*document, error) {
	head := data[:min(len(data), 1024)]
	if !bytes.Contains(head, pdfHeader) {
		return nil, fmt.Errorf("%w: no %%PDF- header", ErrMalformed)
	}
	d := &document{
		data: data, opts: opts,
		xref:      map[int]xrefEntry{},
		cache:     map[int]object{},
		resolving: map[int]bool{},
		objstms:   map[int]*objStream{},
		changed:   map[int]*changes{},
		maxValues: 2 * opts.MaxObjects,
		maxWork:   16*len(data) + 16<<20,
	}
	i := bytes.LastIndex(data, startxref)
	if i < 0 {
		return nil, fmt.Errorf("%w: no startxref (truncated file?)", ErrMalformed)
	}
	lx := lexer{buf: data, pos: i + len(startxref)}
	t, err := lx.next()
	if err == nil && t.kind == tInt {
		err = d.readChain(int(min(max(t.i, -1), int64(len(data)))))
	} else {
		err = fmt.Errorf("%w: startxref is not followed by an offset", errSyntax)
	}
	if err == nil {
		if _, ok := d.resolve(d.trailer["Root"]).(dict); !ok {
			err = errors.New("trailer /Root is not a dictionary")
		}
	}
	if err != nil {
		if errors.Is(err, errBudget) {
			return nil, fmt.Errorf("%w: %v", ErrMalformed, err)
		}
		if err := d.rebuild(); err != nil {
			return nil, err
		}
	}
	return d, nil
}

// readChain reads the cross-reference sections from off, following /Prev
// (and /XRefStm) at most MaxXRefChain times, each offset once.
func (d *document) readChain(off int) error {
	seen := map[int]bool{}
	total := 0
	for off >= 0 {
		if seen[off] {
			break // a /Prev loop: what was read so far stands
		}
		if len(seen) >= d.opts.MaxXRefChain {
			// Keep the newest sections; what only older ones define is
			// found by scanning.
			d.chainCut = true
			break
		}
		seen[off] = true
		s, err := d.readSection(off)
		if err != nil {
			if len(d.sections) > 0 && !errors.Is(err, errBudget) {
				// An older section is broken: keep the newer ones and
				// find what they do not define by scanning.
				d.repaired = true
				break
			}
			return err
		}
		if xs, ok := s.trailer["XRefStm"].(int64); ok && xs >= 0 && xs < int64(len(d.data)) && !seen[int(xs)] {
			seen[int(xs)] = true
			if hs, err := d.readXRefStream(int(xs)); err == nil {
				for n, e := range hs.entries {
					if old, ok := s.entries[n]; !ok || old.kind == 0 {
						s.entries[n] = e
					}
				}
			}
		}
		total += len(s.entries)
		if total > d.opts.MaxObjects {
			return fmt.Errorf("%w: more than %d cross-reference entries", errBudget, d.opts.MaxObjects)
		}
		d.sections = append(d.sections, s)
		for n, e := range s.entries {
			if _, ok := d.xref[n]; !ok {
				d.xref[n] = e
			}
		}
		if d.trailer == nil {
			d.trailer = s.trailer
		} else if d.trailer["Root"] == nil && s.trailer["Root"] != nil {
			d.trailer["Root"] = s.trailer["Root"]
		}
		prev, ok := s.trailer["Prev"].(int64)
		if !ok {
			break
		}
		if prev < 0 || prev >= int64(len(d.data)) {
			d.repaired = true // objects older sections held are found by scanning
			break
		}
		off = int(prev)
	}
	if len(d.sections) == 0 {
		return fmt.Errorf("%w: no cross-reference section", errSyntax)
	}
	return nil
}

// readSection reads a classic table or a cross-reference stream at off.
func (d *document) readSection(off int) (*section, error) {
	lx := lexer{buf: d.data, pos: off}
	t, err := lx.next()
	if err != nil {
		return nil, err
	}
	if t.isKeyword("xref") {
		return d.readTable(lx.pos, off)
	}
	return d.readXRefStream(off)
}

// readTable reads a classic "xref" table (§7.5.4) and its trailer.
func (d *document) readTable(pos, off int) (*section, error) {
	s := &section{offset: off, entries: map[int]xrefEntry{}}
	lx := lexer{buf: d.data, pos: pos}
	first := true
	for {
		t, err := lx.next()
		if err != nil {
			return nil, err
		}
		if t.isKeyword("trailer") {
			break
		}
		cnt, err := lx.next()
		if err != nil || t.kind != tInt || cnt.kind != tInt || t.i < 0 || cnt.i < 0 ||
			t.i > maxObjNum || cnt.i > int64(len(d.data)-lx.pos)/18+1 {
			return nil, fmt.Errorf("%w at offset %d: bad cross-reference subsection", errSyntax, t.start)
		}
		start := int(t.i)
		for k := 0; k < int(cnt.i); k++ {
			o, err1 := lx.next()
			g, err2 := lx.next()
			f, err3 := lx.next()
			if err1 != nil || err2 != nil || err3 != nil || o.kind != tInt || g.kind != tInt || f.kind != tKeyword {
				return nil, fmt.Errorf("%w at offset %d: bad cross-reference entry", errSyntax, o.start)
			}
			// A common writer bug: the table starts at 1 but its first
			// entry is the free head of the list, object 0.
			if first && k == 0 && start == 1 && f.isKeyword("f") && o.i == 0 && g.i == 65535 {
				start = 0
			}
			n := start + k
			if len(s.entries) >= d.opts.MaxObjects {
				return nil, fmt.Errorf("%w: cross-reference table too long", errBudget)
			}
			switch {
			case f.isKeyword("n") && o.i > 0 && o.i < int64(len(d.data)):
				s.entries[n] = xrefEntry{kind: 1, off: int(o.i)}
			case f.isKeyword("n"):
				// An in-use entry with offset 0 or past the end is how
				// some writers mark a deleted object: treat it as free.
				s.entries[n] = xrefEntry{}
			default:
				if _, ok := s.entries[n]; !ok {
					s.entries[n] = xrefEntry{}
				}
			}
		}
		first = false
	}
	p := &parser{lex: lx, doc: d, inFile: true}
	tr, err := p.parseObject(0)
	d.spend(p.lex.pos - off)
	if d.exhausted {
		return nil, errBudget
	}
	if err != nil {
		return nil, err
	}
	h, ok := tr.(dict)
	if !ok {
		return nil, fmt.Errorf("%w: trailer is not a dictionary", errSyntax)
	}
	s.trailer = h
	return s, nil
}

// readXRefStream reads a cross-reference stream (§7.5.8) at off.
func (d *document) readXRefStream(off int) (*section, error) {
	_, obj, err := d.parseIndirect(off)
	if err != nil {
		return nil, err
	}
	st, ok := obj.(*stream)
	if !ok || typeOf(st.dict) != "XRef" {
		return nil, fmt.Errorf("%w at offset %d: no cross-reference table or stream", errSyntax, off)
	}
	raw, err := d.decode(st)
	if err != nil {
		return nil, err
	}
	w := d.arrayOf(st.dict["W"])
	if len(w) != 3 {
		return nil, fmt.Errorf("%w: cross-reference stream /W is not 3 integers", errSyntax)
	}
	var ws [3]int
	width := 0
	for i, v := range w {
		n, ok := v.(int64)
		if !ok || n < 0 || n > 8 {
			return nil, fmt.Errorf("%w: cross-reference stream /W out of range", errSyntax)
		}
		ws[i] = int(n)
		width += int(n)
	}
	if width == 0 {
		return nil, fmt.Errorf("%w: cross-reference stream /W is all zero", errSyntax)
	}
	index := d.arrayOf(st.dict["Index"])
	if index == nil {
		size, _ := st.dict["Size"].(int64)
		index = array{int64(0), size}
	}
	s := &section{offset: off, entries: map[int]xrefEntry{}, trailer: st.dict}
	pos := 0
	for i := 0; i+1 < len(index); i += 2 {
		start, ok1 := index[i].(int64)
		cnt, ok2 := index[i+1].(int64)
		if !ok1 || !ok2 || start < 0 || cnt < 0 || start > maxObjNum {
			return nil, fmt.Errorf("%w: bad cross-reference stream /Index", errSyntax)
		}
		for k := int64(0); k < cnt; k++ {
			if pos+width > len(raw) {
				return s, nil // short stream: keep the entries it has
			}
			if len(s.entries) >= d.opts.MaxObjects {
				return nil, fmt.Errorf("%w: cross-reference stream too long", errBudget)
			}
			f := [3]int{1, 0, 0} // type defaults to 1 when its width is 0
			for j := range 3 {
				if ws[j] == 0 {
					continue
				}
				v := 0
				for _, b := range raw[pos : pos+ws[j]] {
					v = v<<8 | int(b)
				}
				f[j] = v
				pos += ws[j]
			}
			n := int(start + k)
			switch f[0] {
			case 1:
				if f[1] > 0 && f[1] < len(d.data) {
					s.entries[n] = xrefEntry{kind: 1, off: f[1]}
				} else {
					s.entries[n] = xrefEntry{}
				}
			case 2:
				s.entries[n] = xrefEntry{kind: 2, off: f[1], idx: f[2]}
			case 0:
				s.entries[n] = xrefEntry{}
			}
		}
	}
	return s, nil
}
