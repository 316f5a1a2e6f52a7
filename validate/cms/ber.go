package cms

import (
	"errors"
	"fmt"
)

// BER to DER conversion (X.690 §8 to §10). CMS producers that stream
// (BouncyCastle, some Windows and Java signers) emit BER: indefinite
// lengths and the encapsulated content as a constructed OCTET STRING cut
// in chunks. RFC 5652 §5.4 still requires the signed attributes to be DER,
// so converting the whole structure leaves them byte for byte as signed,
// and the DER parser (cryptobyte) can then read everything.
//
// The converter is our own rather than digitorus/pkcs7's unexported one:
// its recursion is bounded by maxBERDepth and its memory by the input size
// and maxBERNodes. It runs in up to three linear passes: check (is the input
// already DER? then it is returned as is, without a copy), plan (the DER
// length of every constructed element, in pre-order) and write.

const (
	// maxBERDepth bounds the nesting followed: a SignedData with a
	// timestamp token in an unsigned attribute nests about 20 deep.
	maxBERDepth = 64
	// maxBERNodes bounds the constructed elements of a converted input.
	maxBERNodes = 1 << 22
)

var errBERTruncated = errors.New("truncated BER element")

type berMode int

const (
	berCheck berMode = iota // find out whether the input is DER
	berPlan                 // record the DER content lengths
	berWrite                // write the DER encoding
)

// berConverter holds the state of one conversion.
type berConverter struct {
	in      []byte
	mode    berMode
	changed bool  // check: the input is not DER
	lens    []int // DER content lengths of constructed elements, pre-order
	next    int   // write: the next entry of lens
	out     []byte
}

// berHeader is the identifier and length octets of one element.
type berHeader struct {
	tag         byte // the identifier octet (low tag numbers only)
	hdrLen      int
	length      int // -1: indefinite
	constructed bool
	minimal     bool // definite length in DER's minimal form
}

// toDER returns the DER encoding of the first BER element of in, and the
// bytes after it. Input that is already DER is returned as a subslice of
// in, not copied. High tag numbers (never used by CMS) are refused, as is
// anything deeper than maxBERDepth.
func toDER(in []byte) (der, rest []byte, err error) {
	c := &berConverter{in: in, mode: berCheck}
	end, n, err := c.element(0, len(in), 0)
	if err != nil {
		return nil, nil, err
	}
	if !c.changed {
		return in[:end], in[end:], nil
	}
	c.mode = berPlan
	if _, _, err := c.element(0, len(in), 0); err != nil {
		return nil, nil, err
	}
	c.mode = berWrite
	c.out = make([]byte, 0, n)
	if _, _, err := c.element(0, len(in), 0); err != nil {
		return nil, nil, err
	}
	return c.out, in[end:], nil
}

// header reads the header of the element at off, which must end by lim.
func (c *berConverter) header(off, lim int) (berHeader, error) {
	var h berHeader
	if off+2 > lim {
		return h, errBERTruncated
	}
	h.tag = c.in[off]
	if h.tag == 0 {
		return h, errors.New("unexpected end-of-contents octets")
	}
	if h.tag&0x1f == 0x1f {
		return h, errors.New("high tag numbers are not supported")
	}
	h.constructed = h.tag&0x20 != 0
	switch l := c.in[off+1]; {
	case l < 0x80:
		h.hdrLen, h.length, h.minimal = 2, int(l), true
	case l == 0x80:
		if !h.constructed {
			return h, errors.New("indefinite length on a primitive element")
		}
		h.hdrLen, h.length = 2, -1
	default:
		n := int(l & 0x7f)
		if n > 4 {
			return h, fmt.Errorf("length of %d octets", n)
		}
		if off+2+n > lim {
			return h, errBERTruncated
		}
		v := 0
		for _, b := range c.in[off+2 : off+2+n] {
			v = v<<8 | int(b)
		}
		h.hdrLen, h.length = 2+n, v
		h.minimal = v >= 0x80 && lengthOctets(v) == n+1
	}
	if h.length > lim-off-h.hdrLen {
		return h, errBERTruncated
	}
	return h, nil
}

// element converts the element at off (ending by lim) and returns the
// offset after it and the length of its DER encoding.
func (c *berConverter) element(off, lim, depth int) (end, derLen int, err error) {
	if depth > maxBERDepth {
		return 0, 0, fmt.Errorf("BER nesting deeper than %d", maxBERDepth)
	}
	h, err := c.header(off, lim)
	if err != nil {
		return 0, 0, err
	}
	start := off + h.hdrLen
	if !h.constructed {
		content := c.in[start : start+h.length]
		// X.690 §11.1: a DER BOOLEAN TRUE is 0xFF.
		boolFix := h.tag == 0x01 && h.length == 1 && content[0] != 0 && content[0] != 0xff
		switch c.mode {
		case berCheck:
			c.changed = c.changed || !h.minimal || boolFix
		case berWrite:
			c.out = append(c.out, h.tag)
			c.out = appendLength(c.out, h.length)
			if boolFix {
				c.out = append(c.out, 0xff)
			} else {
				c.out = append(c.out, content...)
			}
		}
		return start + h.length, 1 + lengthOctets(h.length) + h.length, nil
	}

	contentEnd := lim
	if h.length >= 0 {
		contentEnd = start + h.length
	}
	str := isStringTag(h.tag)
	slot := -1
	switch c.mode {
	case berCheck:
		c.changed = c.changed || h.length < 0 || !h.minimal || str
	case berPlan:
		if len(c.lens) >= maxBERNodes {
			return 0, 0, fmt.Errorf("more than %d constructed BER elements", maxBERNodes)
		}
		slot = len(c.lens)
		c.lens = append(c.lens, 0)
	case berWrite:
		if c.next >= len(c.lens) {
			return 0, 0, errors.New("internal error: BER plan and write passes disagree")
		}
		tag := h.tag
		if str {
			tag &^= 0x20 // the chunks of a constructed string become one primitive
		}
		c.out = append(c.out, tag)
		c.out = appendLength(c.out, c.lens[c.next])
		c.next++
	}
	var sum int
	if str {
		end, sum, err = c.chunks(h, start, contentEnd, depth+1)
	} else {
		end, sum, err = c.children(h, start, contentEnd, depth+1)
	}
	if err != nil {
		return 0, 0, err
	}
	if slot >= 0 {
		c.lens[slot] = sum
	}
	return end, 1 + lengthOctets(sum) + sum, nil
}

// children converts the elements inside a constructed element and returns
// the offset after it (past the end-of-contents octets when indefinite)
// and the total DER length of the children.
func (c *berConverter) children(h berHeader, pos, lim, depth int) (end, sum int, err error) {
	for {
		if h.length >= 0 && pos == lim {
			return pos, sum, nil
		}
		if h.length < 0 && pos+2 <= lim && c.in[pos] == 0 && c.in[pos+1] == 0 {
			return pos + 2, sum, nil
		}
		next, n, err := c.element(pos, lim, depth)
		if err != nil {
			return 0, 0, err
		}
		pos, sum = next, sum+n
	}
}

// chunks walks the segments of a constructed string (X.690 §8.7.3), each
// a string of the same type, itself primitive or constructed, and writes
// their contents one after the other. It returns the offset after the
// string and the total content length.
func (c *berConverter) chunks(h berHeader, pos, lim, depth int) (end, sum int, err error) {
	if depth > maxBERDepth {
		return 0, 0, fmt.Errorf("BER nesting deeper than %d", maxBERDepth)
	}
	for {
		if h.length >= 0 && pos == lim {
			return pos, sum, nil
		}
		if h.length < 0 && pos+2 <= lim && c.in[pos] == 0 && c.in[pos+1] == 0 {
			return pos + 2, sum, nil
		}
		ch, err := c.header(pos, lim)
		if err != nil {
			return 0, 0, err
		}
		if ch.tag&^0x20 != h.tag&^0x20 {
			return 0, 0, fmt.Errorf("segment with tag %#x in a constructed string %#x", ch.tag, h.tag)
		}
		start := pos + ch.hdrLen
		if !ch.constructed {
			if c.mode == berWrite {
				c.out = append(c.out, c.in[start:start+ch.length]...)
			}
			pos, sum = start+ch.length, sum+ch.length
			continue
		}
		subLim := lim
		if ch.length >= 0 {
			subLim = start + ch.length
		}
		next, n, err := c.chunks(ch, start, subLim, depth+1)
		if err != nil {
			return 0, 0, err
		}
		pos, sum = next, sum+n
	}
}

// isStringTag reports whether tag is a constructed universal string type,
// which DER encodes as primitive. BIT STRING is left out: its segments
// carry unused-bit counts and CMS never chunks one.
func isStringTag(tag byte) bool {
	if tag&0xe0 != 0x20 { // universal, constructed
		return false
	}
	switch tag & 0x1f {
	case 4, 12, 18, 19, 20, 21, 22, 23, 24, 25, 26, 27, 28, 30:
		return true
	}
	return false
}

// lengthOctets is the number of length octets DER uses for n: one for the
// short form, one plus the octets of n for the long form.
func lengthOctets(n int) int {
	if n < 0x80 {
		return 1
	}
	k := 1
	for n > 0xff {
		n >>= 8
		k++
	}
	return k + 1
}

// appendLength appends the DER length octets of n.
func appendLength(b []byte, n int) []byte {
	if n < 0x80 {
		return append(b, byte(n))
	}
	k := lengthOctets(n) - 1
	b = append(b, 0x80|byte(k))
	for i := k - 1; i >= 0; i-- {
		b = append(b, byte(n>>(8*i)))
	}
	return b
}
