package pdf

import (
	"bytes"
	"errors"
	"fmt"
)

// The PDF object model (ISO 32000-1 §7.3), as Go values. An object is one
// of: nil (null), bool, int64, float64, name, *pdfString, array, dict, ref,
// *stream.
type object any

// name is a PDF name without its slash.
type name string

// pdfString is a literal or hexadecimal string. start and end locate it,
// delimiters included, in the file; both are -1 when the string was read
// from a decoded stream (an object stream), where no file offset exists.
type pdfString struct {
	b          []byte
	hex        bool
	start, end int
}

// array is a PDF array.
type array []object

// dict is a PDF dictionary; a null value is the same as an absent key.
type dict map[name]object

// ref is an indirect reference "num gen R".
type ref struct{ num, gen int }

// stream is a stream object: its dictionary and its raw (still encoded)
// bytes, a sub-slice of the file.
type stream struct {
	dict dict
	raw  []byte
}

// Limits of one parse. They bound memory and time on hostile input.
const (
	// maxDepth bounds the nesting of arrays and dictionaries.
	maxDepth = 64
	// maxContainer bounds the elements of one array or dictionary.
	maxContainer = 1 << 18
)

var (
	// errBudget is returned once a document has used up its object or
	// decompression budget; nothing further is parsed.
	errBudget = errors.New("PDF processing budget exhausted")
	errDepth  = errors.New("PDF objects nested too deeply")
)

// parser reads objects from one buffer: the file itself (inFile) or a
// decoded object stream.
type parser struct {
	lex    lexer
	doc    *document
	inFile bool
}

// spend counts n bytes read; past maxWork the document is exhausted.
// Together with the other budgets it keeps hostile files, such as
// thousands of objects each opening a string that never ends, from
// making the reader quadratic.
func (d *document) spend(n int) {
	d.work += n
	if d.work > d.maxWork {
		d.exhausted = true
	}
}

func (p *parser) charge() error {
	if p.doc == nil {
		return nil
	}
	p.doc.values++
	if p.doc.values > p.doc.maxValues {
		return errBudget
	}
	return nil
}

// parseObject reads one direct object.
func (p *parser) parseObject(depth int) (object, error) {
	t, err := p.lex.next()
	if err != nil {
		return nil, err
	}
	return p.objectFrom(t, depth)
}

// objectFrom builds the object that begins with token t.
func (p *parser) objectFrom(t token, depth int) (object, error) {
	if err := p.charge(); err != nil {
		return nil, err
	}
	switch t.kind {
	case tInt:
		if t.i >= 0 {
			if r, ok := p.tryRef(t.i); ok {
				return r, nil
			}
		}
		return t.i, nil
	case tReal:
		return t.f, nil
	case tName:
		return name(t.s), nil
	case tString, tHex:
		s := &pdfString{b: t.s, hex: t.kind == tHex, start: -1, end: -1}
		if p.inFile {
			s.start, s.end = t.start, t.end
		}
		return s, nil
	case tArrOpen:
		return p.parseArray(depth + 1)
	case tDictOpen:
		return p.parseDict(depth + 1)
	case tKeyword:
		switch string(t.s) {
		case "true":
			return true, nil
		case "false":
			return false, nil
		case "null":
			return nil, nil
		}
		return nil, fmt.Errorf("%w at offset %d: unexpected keyword %.20q", errSyntax, t.start, t.s)
	case tEOF:
		return nil, fmt.Errorf("%w: unexpected end of data", errSyntax)
	}
	return nil, fmt.Errorf("%w at offset %d: unexpected token", errSyntax, t.start)
}

// maxObjNum bounds object numbers; ISO 32000-1 Annex C allows 8 388 607,
// real files stay far below, and larger numbers are hostile.
const maxObjNum = 1<<31 - 1

// tryRef reads "gen R" after the integer num; it restores the position
// when the tokens are not a reference. A reference to an impossible
// object number is read as null (nil), as a reference to a missing object.
func (p *parser) tryRef(num int64) (object, bool) {
	save := p.lex.pos
	t1, err := p.lex.next()
	if err == nil && t1.kind == tInt && t1.i >= 0 {
		t2, err := p.lex.next()
		if err == nil && t2.isKeyword("R") {
			if num > maxObjNum || t1.i > 65535 {
				return nil, true
			}
			return ref{num: int(num), gen: int(t1.i)}, true
		}
	}
	p.lex.pos = save
	return nil, false
}

func (p *parser) parseArray(depth int) (object, error) {
	if depth > maxDepth {
		return nil, errDepth
	}
	var a array
	for {
		t, err := p.lex.next()
		if err != nil {
			return nil, err
		}
		if t.kind == tArrClose {
			return a, nil
		}
		if len(a) >= maxContainer {
			return nil, fmt.Errorf("%w: array longer than %d elements", errSyntax, maxContainer)
		}
		v, err := p.objectFrom(t, depth)
		if err != nil {
			return nil, err
		}
		a = append(a, v)
	}
}

func (p *parser) parseDict(depth int) (object, error) {
	if depth > maxDepth {
		return nil, errDepth
	}
	d := dict{}
	for {
		t, err := p.lex.next()
		if err != nil {
			return nil, err
		}
		if t.kind == tDictClose {
			return d, nil
		}
		if t.kind != tName {
			return nil, fmt.Errorf("%w at offset %d: dictionary key is not a name", errSyntax, t.start)
		}
		if len(d) >= maxContainer {
			return nil, fmt.Errorf("%w: dictionary longer than %d entries", errSyntax, maxContainer)
		}
		key := name(t.s)
		vt, err := p.lex.next()
		if err != nil {
			return nil, err
		}
		if vt.kind == tDictClose { // a key without value: tolerated as null
			return d, nil
		}
		v, err := p.objectFrom(vt, depth)
		if err != nil {
			return nil, err
		}
		d[key] = v
	}
}

// parseIndirect reads "num gen obj <object> [stream…endstream] endobj"
// at offset off of the file and returns the object number and the object.
func (d *document) parseIndirect(off int) (int, object, error) {
	if off < 0 || off >= len(d.data) {
		return 0, nil, fmt.Errorf("%w: object offset %d outside the file", errSyntax, off)
	}
	d.parsed++
	if d.parsed > d.opts.MaxObjects || d.work > d.maxWork {
		d.exhausted = true
		return 0, nil, errBudget
	}
	p := &parser{lex: lexer{buf: d.data, pos: off}, doc: d, inFile: true}
	defer func() { d.spend(p.lex.pos - off) }()
	num, err := p.lex.next()
	if err != nil || num.kind != tInt || num.i < 0 || num.i > maxObjNum {
		return 0, nil, fmt.Errorf("%w at offset %d: no object header", errSyntax, off)
	}
	gen, err := p.lex.next()
	if err != nil || gen.kind != tInt {
		return 0, nil, fmt.Errorf("%w at offset %d: no object header", errSyntax, off)
	}
	kw, err := p.lex.next()
	if err != nil || !kw.isKeyword("obj") {
		return 0, nil, fmt.Errorf("%w at offset %d: no object header", errSyntax, off)
	}
	obj, err := p.parseObject(0)
	if err != nil {
		return 0, nil, err
	}
	h, ok := obj.(dict)
	if !ok {
		return int(num.i), obj, nil
	}
	save := p.lex.pos
	t, err := p.lex.next()
	if err != nil || !t.isKeyword("stream") {
		p.lex.pos = save
		return int(num.i), obj, nil
	}
	raw, err := d.streamData(h, p.lex.pos)
	if err != nil {
		return 0, nil, err
	}
	return int(num.i), &stream{dict: h, raw: raw}, nil
}

var endstream = []byte("endstream")

// streamData locates the bytes of a stream whose "stream" keyword ends at
// pos (§7.3.8.1). /Length is trusted only when "endstream" follows it;
// otherwise, as real writers get /Length wrong, the data runs to the next
// "endstream".
func (d *document) streamData(h dict, pos int) ([]byte, error) {
	data := d.data
	if pos < len(data) && data[pos] == '\r' {
		pos++
	}
	if pos < len(data) && data[pos] == '\n' {
		pos++
	}
	if n, ok := d.resolve(h["Length"]).(int64); ok && n >= 0 && n <= int64(len(data)-pos) {
		end := pos + int(n)
		q := end
		for q < len(data) && isWhite(data[q]) && q < end+4 {
			q++
		}
		if bytes.HasPrefix(data[q:], endstream) {
			return data[pos:end], nil
		}
	}
	i := bytes.Index(data[pos:], endstream)
	if i < 0 {
		d.spend(len(data) - pos)
		return nil, fmt.Errorf("%w at offset %d: stream without endstream", errSyntax, pos)
	}
	d.spend(i)
	end := pos + i
	if end > pos && data[end-1] == '\n' {
		end--
	}
	if end > pos && data[end-1] == '\r' {
		end--
	}
	return data[pos:end], nil
}

// Accessors. They resolve references and return the zero value when the
// object is absent or of another type, which is how ISO 32000 treats
// malformed optional entries.

// resolve follows o when it is a reference; other objects are returned
// as they are.
func (d *document) resolve(o object) object {
	if r, ok := o.(ref); ok {
		return d.resolveRef(r)
	}
	return o
}

func (d *document) dictOf(o object) dict {
	switch v := d.resolve(o).(type) {
	case dict:
		return v
	case *stream:
		return v.dict
	}
	return nil
}

func (d *document) arrayOf(o object) array {
	a, _ := d.resolve(o).(array)
	return a
}

func (d *document) nameOf(o object) name {
	n, _ := d.resolve(o).(name)
	return n
}

func (d *document) stringOf(o object) *pdfString {
	s, _ := d.resolve(o).(*pdfString)
	return s
}

// typeOf returns the /Type of a dictionary or stream dictionary.
func typeOf(h dict) name {
	n, _ := h["Type"].(name)
	return n
}
