package pdf

import (
	"bytes"
	"errors"
	"fmt"
	"sort"
)

// resolveRef returns the object r names, or nil when it is free, missing,
// unreadable, or part of a reference cycle. Each object is parsed once.
func (d *document) resolveRef(r ref) object {
	if o, ok := d.cache[r.num]; ok {
		return o
	}
	if d.resolving[r.num] {
		return nil // a cycle, e.g. a /Length that refers to its own stream
	}
	d.resolving[r.num] = true
	defer delete(d.resolving, r.num)
	o, err := d.load(r.num)
	if errors.Is(err, errBudget) || errors.Is(err, errBomb) {
		d.exhausted = true
	}
	d.cache[r.num] = o
	return o
}

// load parses object num from its cross-reference entry; when that entry
// is missing or wrong, it falls back to the scan of object headers.
func (d *document) load(num int) (object, error) {
	if d.exhausted {
		return nil, errBudget
	}
	e, ok := d.xref[num]
	var err error
	switch {
	case ok && e.kind == 1:
		var n int
		var o object
		n, o, err = d.parseIndirect(e.off)
		if err == nil && n == num {
			return o, nil
		}
	case ok && e.kind == 2:
		var o object
		if o, err = d.fromObjStm(e.off, e.idx, num); err == nil {
			return o, nil
		}
	case ok: // free: a reference to a deleted object is null (§7.3.10)
		return nil, nil
	}
	if errors.Is(err, errBudget) || errors.Is(err, errBomb) {
		return nil, err
	}
	d.buildScan()
	if off, ok := d.scan[num]; ok {
		n, o, err := d.parseIndirect(off)
		if err == nil && n == num {
			d.repaired = true
			return o, nil
		}
		return nil, err
	}
	return nil, err
}

var objKeyword = []byte("obj")

// buildScan indexes the "num gen obj" headers of the whole file once, the
// last definition of a number winning, at most MaxObjects headers.
func (d *document) buildScan() {
	if d.scanned {
		return
	}
	d.scanned = true
	d.scan = map[int]int{}
	data := d.data
	count := 0
	for pos := 0; pos < len(data); {
		i := bytes.Index(data[pos:], objKeyword)
		if i < 0 {
			break
		}
		at := pos + i
		pos = at + len(objKeyword)
		if pos < len(data) && isRegular(data[pos]) {
			continue
		}
		num, start, ok := headerBefore(data, at)
		if !ok {
			continue
		}
		if count++; count > d.opts.MaxObjects {
			d.exhausted = true
			break
		}
		d.scan[num] = start
	}
}

// headerBefore reads "num gen " backwards from the "obj" keyword at at.
func headerBefore(data []byte, at int) (num, start int, ok bool) {
	j := at
	digits := func(maxLen int) (int, bool) {
		for j > 0 && isWhite(data[j-1]) {
			j--
		}
		end := j
		for j > 0 && data[j-1] >= '0' && data[j-1] <= '9' && end-j < maxLen {
			j--
		}
		if j == end {
			return 0, false
		}
		v := 0
		for _, c := range data[j:end] {
			v = v*10 + int(c-'0')
		}
		return v, true
	}
	if at == 0 || !isWhite(data[at-1]) {
		return 0, 0, false
	}
	if _, ok := digits(5); !ok || j == 0 || !isWhite(data[j-1]) {
		return 0, 0, false
	}
	n, ok := digits(10)
	if !ok || n > maxObjNum || (j > 0 && isRegular(data[j-1])) {
		return 0, 0, false
	}
	return n, j, true
}

// rebuild rebuilds the document from a scan when the cross-reference
// chain is unusable (§7.5 cannot be followed): objects are found by their
// headers, compressed objects through the object streams found, and the
// catalog through the last trailer, cross-reference stream or /Catalog.
func (d *document) rebuild() error {
	d.sections, d.trailer = nil, nil
	d.xref = map[int]xrefEntry{}
	d.cache, d.objstms = map[int]object{}, map[int]*objStream{}
	d.repaired, d.recovered, d.scanned = true, true, false
	d.buildScan()
	if len(d.scan) == 0 {
		return fmt.Errorf("%w: no objects found", ErrMalformed)
	}
	starts := make([]int, 0, len(d.scan))
	byStart := make(map[int]int, len(d.scan))
	for n, off := range d.scan {
		starts = append(starts, off)
		byStart[off] = n
	}
	sort.Ints(starts)
	// containing returns the object whose header precedes pos.
	containing := func(pos int) (int, bool) {
		i := sort.SearchInts(starts, pos+1) - 1
		if i < 0 {
			return 0, false
		}
		n := byStart[starts[i]]
		return n, d.scan[n] == starts[i]
	}
	for _, n := range d.objectsWith([]byte("/ObjStm"), containing) {
		s, err := d.objStream(n)
		if err != nil {
			continue
		}
		for i, m := range s.nums {
			if _, ok := d.scan[m]; !ok {
				d.xref[m] = xrefEntry{kind: 2, off: n, idx: i}
			}
		}
	}
	d.trailer = d.findTrailer(containing)
	if _, ok := d.resolve(d.trailer["Root"]).(dict); !ok {
		return fmt.Errorf("%w: no document catalog found", ErrMalformed)
	}
	return nil
}

// objectsWith returns, once each, the numbers of the scanned objects
// whose text holds marker, last in the file first.
func (d *document) objectsWith(marker []byte, containing func(int) (int, bool)) []int {
	var out []int
	seen := map[int]bool{}
	for end := len(d.data); end > 0 && len(out) < 4096; {
		i := bytes.LastIndex(d.data[:end], marker)
		if i < 0 {
			break
		}
		end = i
		if n, ok := containing(i); ok && !seen[n] {
			seen[n] = true
			out = append(out, n)
		}
	}
	return out
}

// findTrailer returns the newest usable trailer: a "trailer" dictionary,
// a cross-reference stream's dictionary, or a catalog found by its /Type.
func (d *document) findTrailer(containing func(int) (int, bool)) dict {
	kw := []byte("trailer")
	for end := len(d.data); end > 0; {
		i := bytes.LastIndex(d.data[:end], kw)
		if i < 0 {
			break
		}
		end = i
		if d.work > d.maxWork {
			break
		}
		p := &parser{lex: lexer{buf: d.data, pos: i + len(kw)}, doc: d, inFile: true}
		h, err := p.parseObject(0)
		d.spend(p.lex.pos - i)
		if err == nil {
			if t, ok := h.(dict); ok {
				if _, ok := d.resolve(t["Root"]).(dict); ok {
					return t
				}
			}
		}
	}
	for _, n := range d.objectsWith([]byte("/XRef"), containing) {
		if st, ok := d.resolveRef(ref{num: n}).(*stream); ok && typeOf(st.dict) == "XRef" {
			if _, ok := d.resolve(st.dict["Root"]).(dict); ok {
				return st.dict
			}
		}
	}
	for _, n := range d.objectsWith([]byte("/Catalog"), containing) {
		if h, ok := d.resolveRef(ref{num: n}).(dict); ok && typeOf(h) == "Catalog" {
			return dict{"Root": ref{num: n}}
		}
	}
	return nil
}
