package xmldsig

import (
	"bytes"
	"encoding/xml"
	"strconv"
	"strings"
)

// normalizeAttrs applies attribute-value normalization (XML 1.0 §3.3.3),
// which encoding/xml leaves out: a tab, newline or carriage return written
// as such in an attribute value is a space, while one written as a
// character reference (&#10;) stays. Both decode alike, so a value holding
// one of them is read again from the raw start tag, which the decoder has
// already found well-formed.
func normalizeAttrs(raw []byte, attrs []xml.Attr) {
	need := false
	for _, a := range attrs {
		if strings.ContainsAny(a.Value, "\t\n\r") {
			need = true
			break
		}
	}
	if !need {
		return
	}
	values := rawAttrValues(raw)
	if len(values) != len(attrs) {
		return
	}
	for i := range attrs {
		if strings.ContainsAny(attrs[i].Value, "\t\n\r") {
			attrs[i].Value = normalizeValue(values[i])
		}
	}
}

// rawAttrValues returns the quoted values of a well-formed start tag, in
// order, as written.
func rawAttrValues(tag []byte) []string {
	var out []string
	for {
		eq := bytes.IndexByte(tag, '=')
		if eq < 0 {
			return out
		}
		tag = tag[eq+1:]
		q := bytes.IndexAny(tag, `"'`)
		if q < 0 {
			return out
		}
		end := bytes.IndexByte(tag[q+1:], tag[q])
		if end < 0 {
			return out
		}
		out = append(out, string(tag[q+1:q+1+end]))
		tag = tag[q+1+end+1:]
	}
}

// normalizeValue decodes a raw attribute value: references are replaced
// by their characters, literal white space becomes a space (\r\n being
// one line end).
func normalizeValue(raw string) string {
	var b strings.Builder
	for i := 0; i < len(raw); i++ {
		switch c := raw[i]; c {
		case '\r':
			if i+1 < len(raw) && raw[i+1] == '\n' {
				i++
			}
			b.WriteByte(' ')
		case '\t', '\n':
			b.WriteByte(' ')
		case '&':
			end := strings.IndexByte(raw[i:], ';')
			if end < 0 {
				b.WriteString(raw[i:])
				return b.String()
			}
			b.WriteString(decodeRef(raw[i+1 : i+end]))
			i += end
		default:
			b.WriteByte(c)
		}
	}
	return b.String()
}

// decodeRef decodes the reference &name; (name without & and ;).
func decodeRef(name string) string {
	switch name {
	case "lt":
		return "<"
	case "gt":
		return ">"
	case "amp":
		return "&"
	case "apos":
		return "'"
	case "quot":
		return `"`
	}
	var r uint64
	var err error
	switch {
	case strings.HasPrefix(name, "#x"):
		r, err = strconv.ParseUint(name[2:], 16, 32)
	case strings.HasPrefix(name, "#"):
		r, err = strconv.ParseUint(name[1:], 10, 32)
	default:
		err = strconv.ErrSyntax
	}
	if err != nil {
		return "&" + name + ";"
	}
	return string(rune(r))
}
