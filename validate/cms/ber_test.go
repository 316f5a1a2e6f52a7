package cms_test

import (
	"testing"
)

// toBER re-encodes DER the way streaming CMS producers do: every
// constructed element with an indefinite length, and every OCTET STRING
// longer than 100 bytes as a constructed string of 100-byte segments.
func toBER(tb testing.TB, der []byte) []byte {
	tb.Helper()
	out, rest := berElement(tb, der)
	if len(rest) != 0 {
		tb.Fatalf("toBER: %d trailing bytes", len(rest))
	}
	return out
}

func berElement(tb testing.TB, in []byte) (out, rest []byte) {
	tb.Helper()
	if len(in) < 2 {
		tb.Fatal("toBER: truncated")
	}
	tag, hdr, n := in[0], 2, int(in[1])
	if n&0x80 != 0 {
		k := n & 0x7f
		n = 0
		for _, b := range in[2 : 2+k] {
			n = n<<8 | int(b)
		}
		hdr += k
	}
	content, rest := in[hdr:hdr+n], in[hdr+n:]
	switch {
	case tag&0x20 != 0:
		out = append(out, tag, 0x80)
		for len(content) > 0 {
			var el []byte
			el, content = berElement(tb, content)
			out = append(out, el...)
		}
		return append(out, 0, 0), rest
	case tag == 0x04 && n > 100:
		out = append(out, 0x24, 0x80)
		for len(content) > 0 {
			k := min(100, len(content))
			out = append(out, 0x04, byte(k))
			out = append(out, content[:k]...)
			content = content[k:]
		}
		return append(out, 0, 0), rest
	}
	return in[:hdr+n], rest
}
