package interop

import (
	"errors"
	"fmt"
)

// berNode is one BER element of a CMS structure written by a tool: its
// first identifier octet and the span of its contents within the buffer.
// The tools write DER (openssl) or BER with indefinite lengths (NSS, for
// pdfsig), so the walker accepts both; it is only ever given their output.
type berNode struct {
	tag        byte
	start, end int // contents
	next       int // first byte after the element (after the end-of-contents octets when indefinite)
}

func parseBER(b []byte, off int) (berNode, error) {
	if off+2 > len(b) {
		return berNode{}, errors.New("ber: truncated header")
	}
	tag, l := b[off], b[off+1]
	if tag&0x1f == 0x1f {
		return berNode{}, fmt.Errorf("ber: high tag number at %d", off)
	}
	p := off + 2
	if l == 0x80 { // indefinite: children up to 00 00
		if tag&0x20 == 0 {
			return berNode{}, fmt.Errorf("ber: indefinite length on a primitive at %d", off)
		}
		for q := p; ; {
			if q+2 <= len(b) && b[q] == 0 && b[q+1] == 0 {
				return berNode{tag: tag, start: p, end: q, next: q + 2}, nil
			}
			c, err := parseBER(b, q)
			if err != nil {
				return berNode{}, err
			}
			q = c.next
		}
	}
	n := int(l)
	if l&0x80 != 0 {
		k := int(l & 0x7f)
		if k == 0 || k > 4 || p+k > len(b) {
			return berNode{}, fmt.Errorf("ber: bad length at %d", off)
		}
		n = 0
		for _, x := range b[p : p+k] {
			n = n<<8 | int(x)
		}
		p += k
	}
	if n < 0 || p+n > len(b) {
		return berNode{}, fmt.Errorf("ber: element at %d overruns the buffer", off)
	}
	return berNode{tag: tag, start: p, end: p + n, next: p + n}, nil
}

// children parses the elements inside a constructed node.
func children(b []byte, n berNode) ([]berNode, error) {
	var out []berNode
	for q := n.start; q < n.end; {
		c, err := parseBER(b, q)
		if err != nil {
			return nil, err
		}
		out = append(out, c)
		q = c.next
	}
	return out, nil
}

// cmsSpans locates, in a CMS ContentInfo holding SignedData (RFC 5652 §5),
// the contents of the encapsulated eContent OCTET STRING (zero span when
// detached) and of the first SignerInfo's signature OCTET STRING. Trailing
// bytes after the ContentInfo (the zero padding of a PDF /Contents) are
// ignored.
func cmsSpans(b []byte) (content, signature berNode, err error) {
	ci, err := parseBER(b, 0)
	if err != nil {
		return content, signature, err
	}
	kids, err := children(b, ci)
	if err != nil || len(kids) != 2 || kids[1].tag != 0xa0 {
		return content, signature, fmt.Errorf("cms: not a ContentInfo (%v)", err)
	}
	wrapped, err := children(b, kids[1])
	if err != nil || len(wrapped) != 1 {
		return content, signature, fmt.Errorf("cms: bad [0] content (%v)", err)
	}
	sd, err := children(b, wrapped[0])
	if err != nil || len(sd) < 4 {
		return content, signature, fmt.Errorf("cms: bad SignedData (%v)", err)
	}
	encap, err := children(b, sd[2])
	if err != nil || len(encap) == 0 {
		return content, signature, fmt.Errorf("cms: bad EncapsulatedContentInfo (%v)", err)
	}
	if len(encap) == 2 {
		octets, err := children(b, encap[1])
		if err != nil || len(octets) != 1 || octets[0].tag != 0x04 {
			return content, signature, fmt.Errorf("cms: eContent is not one primitive OCTET STRING (%v)", err)
		}
		content = octets[0]
	}
	infos := sd[len(sd)-1]
	if infos.tag != 0x31 {
		return content, signature, fmt.Errorf("cms: last SignedData field has tag %#x, not SET", infos.tag)
	}
	si, err := children(b, infos)
	if err != nil || len(si) == 0 {
		return content, signature, fmt.Errorf("cms: no SignerInfo (%v)", err)
	}
	fields, err := children(b, si[0])
	if err != nil {
		return content, signature, err
	}
	for _, f := range fields {
		if f.tag == 0x04 {
			return content, f, nil
		}
	}
	return content, signature, errors.New("cms: SignerInfo has no signature OCTET STRING")
}

// flipped returns a copy of b with the lowest bit of b[i] inverted.
func flipped(b []byte, i int) []byte {
	out := append([]byte(nil), b...)
	out[i] ^= 0x01
	return out
}
