package pdf

import (
	"bytes"
	"compress/flate"
	"compress/zlib"
	"errors"
	"fmt"
	"io"
)

// Decompression limits. Only structural streams are ever decoded
// (cross-reference streams, object streams, DSS certificates), never page
// content, so these bounds are generous for real files and tight for
// bombs.
const (
	// maxInflateTotal bounds the bytes decompressed for one document.
	maxInflateTotal = 64 << 20
	// maxInflateStream bounds one stream.
	maxInflateStream = 64 << 20
	// inflateRatio and inflateFloor: past inflateFloor bytes, a stream
	// may not expand more than inflateRatio times its encoded size.
	inflateRatio = 200
	inflateFloor = 4 << 20
)

var errBomb = errors.New("decompressed stream exceeds its size limit")

// decode applies the stream's filters (§7.4): FlateDecode with an
// optional PNG or TIFF predictor, the only filter structural streams use
// in practice.
func (d *document) decode(st *stream) ([]byte, error) {
	filters := []object{}
	parms := []object{}
	switch f := d.resolve(st.dict["Filter"]).(type) {
	case name:
		filters = append(filters, f)
		parms = append(parms, st.dict["DecodeParms"])
	case array:
		filters = f
		if pa, ok := d.resolve(st.dict["DecodeParms"]).(array); ok {
			parms = pa
		}
	}
	out := st.raw
	for i, f := range filters {
		var p dict
		if i < len(parms) {
			p = d.dictOf(parms[i])
		}
		switch d.nameOf(f) {
		case "FlateDecode", "Fl":
			var err error
			if out, err = d.inflate(out); err != nil {
				return nil, err
			}
			if out, err = unpredict(out, p); err != nil {
				return nil, err
			}
		default:
			return nil, fmt.Errorf("unsupported stream filter /%s", d.nameOf(f))
		}
	}
	return out, nil
}

// inflate decompresses zlib data within the per-stream, per-document and
// ratio limits. A damaged tail (bad checksum, truncated data) keeps what
// was decoded, as other readers do.
func (d *document) inflate(in []byte) ([]byte, error) {
	limit := int64(maxInflateStream)
	limit = min(limit, maxInflateTotal-d.inflated, max(int64(inflateFloor), int64(len(in))*inflateRatio))
	if limit <= 0 {
		return nil, errBudget
	}
	var r io.ReadCloser
	zr, err := zlib.NewReader(bytes.NewReader(in))
	if err != nil {
		r = flate.NewReader(bytes.NewReader(in)) // raw deflate without header
	} else {
		r = zr
	}
	defer r.Close()
	var buf bytes.Buffer
	n, err := buf.ReadFrom(io.LimitReader(r, limit+1))
	d.inflated += n
	if n > limit {
		return nil, errBomb
	}
	if err != nil && buf.Len() == 0 {
		return nil, fmt.Errorf("FlateDecode: %w", err)
	}
	return buf.Bytes(), nil
}

// unpredict undoes a /Predictor from /DecodeParms (§7.4.4.4): 2 (TIFF)
// and 10–15 (PNG), for 8-bit components.
func unpredict(in []byte, p dict) ([]byte, error) {
	pred, _ := p["Predictor"].(int64)
	if pred <= 1 {
		return in, nil
	}
	colors, bpc, columns := int64(1), int64(8), int64(1)
	if v, ok := p["Colors"].(int64); ok {
		colors = v
	}
	if v, ok := p["BitsPerComponent"].(int64); ok {
		bpc = v
	}
	if v, ok := p["Columns"].(int64); ok {
		columns = v
	}
	if colors < 1 || colors > 32 || bpc != 8 || columns < 1 || colors*columns > 1<<16 {
		return nil, fmt.Errorf("unsupported predictor parameters")
	}
	bpp := int(colors)
	rowLen := int(colors * columns)
	if pred == 2 {
		out := bytes.Clone(in)
		for r := 0; r+rowLen <= len(out); r += rowLen {
			for i := bpp; i < rowLen; i++ {
				out[r+i] += out[r+i-bpp]
			}
		}
		return out, nil
	}
	if pred < 10 || pred > 15 {
		return nil, fmt.Errorf("unsupported predictor %d", pred)
	}
	out := make([]byte, 0, len(in)/(rowLen+1)*rowLen+rowLen)
	prev := make([]byte, rowLen)
	for r := 0; r < len(in); r += rowLen + 1 {
		ft := in[r]
		base := len(out)
		out = append(out, in[r+1:min(r+1+rowLen, len(in))]...)
		row := out[base:]
		for i := range row {
			var left, upLeft byte
			if i >= bpp {
				left, upLeft = row[i-bpp], prev[i-bpp]
			}
			up := prev[i]
			switch ft {
			case 1:
				row[i] += left
			case 2:
				row[i] += up
			case 3:
				row[i] += byte((int(left) + int(up)) / 2)
			case 4:
				row[i] += paeth(left, up, upLeft)
			}
		}
		prev = row
	}
	return out, nil
}

func paeth(a, b, c byte) byte {
	p := int(a) + int(b) - int(c)
	pa, pb, pc := abs(p-int(a)), abs(p-int(b)), abs(p-int(c))
	switch {
	case pa <= pb && pa <= pc:
		return a
	case pb <= pc:
		return b
	}
	return c
}

func abs(x int) int {
	if x < 0 {
		return -x
	}
	return x
}

// objStream is a decoded object stream (§7.5.7): the objects' numbers and
// their offsets in data.
type objStream struct {
	data []byte
	nums []int
	offs []int
}

// objStream decodes object stream num once.
func (d *document) objStream(num int) (*objStream, error) {
	if s, ok := d.objstms[num]; ok {
		if s == nil {
			return nil, fmt.Errorf("object stream %d is unreadable", num)
		}
		return s, nil
	}
	d.objstms[num] = nil
	st, ok := d.resolveRef(ref{num: num}).(*stream)
	if !ok || typeOf(st.dict) != "ObjStm" {
		return nil, fmt.Errorf("object %d is not an object stream", num)
	}
	n, ok1 := st.dict["N"].(int64)
	first, ok2 := st.dict["First"].(int64)
	if !ok1 || !ok2 || n < 0 || first < 0 || n > int64(d.opts.MaxObjects) {
		return nil, fmt.Errorf("object stream %d: bad /N or /First", num)
	}
	raw, err := d.decode(st)
	if err != nil {
		return nil, err
	}
	if first > int64(len(raw)) || n > int64(len(raw))/2+1 {
		return nil, fmt.Errorf("object stream %d: /N or /First beyond its data", num)
	}
	s := &objStream{data: raw, nums: make([]int, 0, n), offs: make([]int, 0, n)}
	lx := lexer{buf: raw[:first]}
	for range n {
		a, err1 := lx.next()
		b, err2 := lx.next()
		if err1 != nil || err2 != nil || a.kind != tInt || b.kind != tInt || a.i < 0 || b.i < 0 ||
			a.i > maxObjNum || first+b.i >= int64(len(raw)) {
			break
		}
		s.nums = append(s.nums, int(a.i))
		s.offs = append(s.offs, int(first+b.i))
	}
	d.objstms[num] = s
	return s, nil
}

// fromObjStm reads object num, expected at index idx of object stream stm.
func (d *document) fromObjStm(stm, idx, num int) (object, error) {
	s, err := d.objStream(stm)
	if err != nil {
		return nil, err
	}
	if idx < 0 || idx >= len(s.nums) || s.nums[idx] != num {
		idx = -1
		for i, n := range s.nums {
			if n == num {
				idx = i
				break
			}
		}
		if idx < 0 {
			return nil, fmt.Errorf("object %d is not in object stream %d", num, stm)
		}
	}
	d.parsed++
	if d.parsed > d.opts.MaxObjects || d.work > d.maxWork {
		d.exhausted = true
		return nil, errBudget
	}
	p := &parser{lex: lexer{buf: s.data, pos: s.offs[idx]}, doc: d}
	defer func() { d.spend(p.lex.pos - s.offs[idx]) }()
	return p.parseObject(0)
}
