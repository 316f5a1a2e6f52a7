package pdf

import (
	"errors"
	"fmt"
)

// byteRange is a checked /ByteRange [a b c d]: the signed bytes are
// data[a:a+b] and data[c:c+d], the gap [a+b, c) holds /Contents.
type byteRange struct{ a, b, c, d int }

// segments returns the two signed byte ranges of data.
func (br byteRange) segments(data []byte) [][]byte {
	return [][]byte{data[br.a : br.a+br.b], data[br.c : br.c+br.d]}
}

// end is the offset just past the signed bytes.
func (br byteRange) end() int { return br.c + br.d }

// checkByteRange checks /ByteRange against the file and against the
// signature dictionary's /Contents (ISO 32000-1 §12.8.1, ISO 32000-2
// §12.8.1: the gap must be exactly the /Contents hex string, delimiters
// included). It returns a precise problem for people when a check fails.
func checkByteRange(data []byte, o object, contents *pdfString) (byteRange, string) {
	a, ok := o.(array)
	if !ok {
		if o == nil {
			return byteRange{}, "the signature dictionary has no /ByteRange"
		}
		return byteRange{}, "/ByteRange is not an array"
	}
	if len(a) != 4 {
		return byteRange{}, fmt.Sprintf("/ByteRange has %d numbers, not 4", len(a))
	}
	var v [4]int64
	for i, x := range a {
		n, ok := x.(int64)
		if !ok {
			return byteRange{}, fmt.Sprintf("/ByteRange number %d is not an integer", i+1)
		}
		if n < 0 {
			return byteRange{}, fmt.Sprintf("/ByteRange number %d is negative (%d)", i+1, n)
		}
		if n > int64(len(data)) {
			return byteRange{}, fmt.Sprintf("/ByteRange number %d (%d) is larger than the file (%d bytes)", i+1, n, len(data))
		}
		v[i] = n
	}
	size := int64(len(data))
	switch {
	case v[0] != 0:
		return byteRange{}, fmt.Sprintf("/ByteRange does not start at the beginning of the file (starts at %d)", v[0])
	case v[2]+v[3] > size:
		return byteRange{}, fmt.Sprintf("/ByteRange reaches past the end of the file (%d > %d bytes)", v[2]+v[3], size)
	case v[0]+v[1] >= v[2]:
		return byteRange{}, fmt.Sprintf("/ByteRange ranges overlap or leave no gap for /Contents (first ends at %d, second starts at %d)", v[0]+v[1], v[2])
	}
	br := byteRange{a: int(v[0]), b: int(v[1]), c: int(v[2]), d: int(v[3])}
	gs, ge := br.a+br.b, br.c
	if data[gs] != '<' || data[ge-1] != '>' {
		return byteRange{}, fmt.Sprintf("the /ByteRange gap [%d, %d) is not a hexadecimal string", gs, ge)
	}
	switch {
	case contents == nil:
		return byteRange{}, "the signature dictionary has no /Contents string"
	case contents.start < 0:
		return byteRange{}, "the signature dictionary is inside a compressed object stream, so its /Contents cannot be the /ByteRange gap"
	case !contents.hex:
		return byteRange{}, "/Contents is a literal string, not the hexadecimal string the /ByteRange gap must hold"
	case contents.start != gs || contents.end != ge:
		return byteRange{}, fmt.Sprintf("the /ByteRange gap [%d, %d) is not the signature dictionary's /Contents (at [%d, %d))", gs, ge, contents.start, contents.end)
	}
	return br, ""
}

// maxBERDepth bounds the nesting followed to find the end of an
// indefinite-length encoding.
const maxBERDepth = 32

var errBER = errors.New("not a BER/DER encoding")

// signatureValue returns the CMS object at the start of /Contents without
// the zero padding that fills the rest of the placeholder, by reading its
// outer length (definite, or indefinite as some PKCS#7 writers emit) — not
// by trimming zeros, which may end the DER itself. trailing reports
// non-zero bytes after the object.
func signatureValue(b []byte) (der []byte, trailing bool, err error) {
	n, err := berLen(b, 0)
	if err != nil {
		return nil, false, err
	}
	for _, c := range b[n:] {
		if c != 0 {
			trailing = true
			break
		}
	}
	return b[:n], trailing, nil
}

// berLen returns the length of the BER element at the start of b.
func berLen(b []byte, depth int) (int, error) {
	if depth > maxBERDepth {
		return 0, fmt.Errorf("%w: nested too deeply", errBER)
	}
	if len(b) < 2 {
		return 0, errBER
	}
	i := 1
	if b[0]&0x1f == 0x1f { // high tag number form
		for i < len(b) && b[i]&0x80 != 0 && i < 6 {
			i++
		}
		i++
	}
	if i >= len(b) {
		return 0, errBER
	}
	l := int(b[i])
	i++
	switch {
	case l < 0x80:
		return checkLen(i, l, len(b))
	case l == 0x80: // indefinite: constructed elements until 00 00
		if b[0]&0x20 == 0 {
			return 0, fmt.Errorf("%w: indefinite length on a primitive", errBER)
		}
		for {
			if i+1 < len(b) && b[i] == 0 && b[i+1] == 0 {
				return i + 2, nil
			}
			n, err := berLen(b[i:], depth+1)
			if err != nil {
				return 0, err
			}
			i += n
		}
	default:
		k := l & 0x7f
		if k > 4 || i+k > len(b) {
			return 0, fmt.Errorf("%w: length out of range", errBER)
		}
		l = 0
		for _, c := range b[i : i+k] {
			l = l<<8 | int(c)
		}
		return checkLen(i+k, l, len(b))
	}
}

func checkLen(header, l, avail int) (int, error) {
	if l < 0 || header+l > avail {
		return 0, fmt.Errorf("%w: element longer than its data", errBER)
	}
	return header + l, nil
}
