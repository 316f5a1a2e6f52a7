package pdf

import (
	"errors"
	"fmt"
	"strconv"
)

// errSyntax marks a lexical or syntactic problem; it is wrapped with the
// offset where it was found.
var errSyntax = errors.New("PDF syntax error")

// maxStringBytes bounds one literal or hexadecimal string. /Contents of a
// signature with a large CMS (certificates, CRLs, timestamps) stays far
// below it.
const maxStringBytes = 16 << 20

// maxNameBytes bounds one name token; ISO 32000 limits names to 127 bytes,
// real files sometimes exceed it a little.
const maxNameBytes = 1024

// tokKind is the kind of one lexical token (ISO 32000-1 §7.2, §7.3).
type tokKind uint8

const (
	tEOF       tokKind = iota
	tInt               // integer number
	tReal              // real number
	tName              // /Name, s holds the decoded name without the slash
	tString            // (literal string), s holds the decoded bytes
	tHex               // <hex string>, s holds the decoded bytes
	tArrOpen           // [
	tArrClose          // ]
	tDictOpen          // <<
	tDictClose         // >>
	tKeyword           // a run of regular characters that is not a number
	tOther             // a stray delimiter: ) { } >
)

// token is one lexical token. start and end are the offsets of its first
// byte and of the byte after it in the lexer's buffer: for a string they
// include the delimiters.
type token struct {
	kind       tokKind
	i          int64
	f          float64
	s          []byte
	start, end int
}

// isKeyword reports whether t is the keyword kw.
func (t token) isKeyword(kw string) bool {
	return t.kind == tKeyword && string(t.s) == kw
}

// lexer splits a byte buffer into PDF tokens. It never reads past buf and
// never allocates more than the size of the token it returns.
type lexer struct {
	buf []byte
	pos int
}

func isWhite(c byte) bool {
	switch c {
	case 0, '\t', '\n', '\f', '\r', ' ':
		return true
	}
	return false
}

func isDelim(c byte) bool {
	switch c {
	case '(', ')', '<', '>', '[', ']', '{', '}', '/', '%':
		return true
	}
	return false
}

func isRegular(c byte) bool { return !isWhite(c) && !isDelim(c) }

// skipSpace skips white space and comments.
func (l *lexer) skipSpace() {
	for l.pos < len(l.buf) {
		c := l.buf[l.pos]
		if isWhite(c) {
			l.pos++
			continue
		}
		if c != '%' {
			return
		}
		for l.pos < len(l.buf) && l.buf[l.pos] != '\n' && l.buf[l.pos] != '\r' {
			l.pos++
		}
	}
}

func (l *lexer) errorf(format string, args ...any) error {
	return fmt.Errorf("%w at offset %d: %s", errSyntax, l.pos, fmt.Sprintf(format, args...))
}

// next returns the next token, tEOF at the end of the buffer.
func (l *lexer) next() (token, error) {
	l.skipSpace()
	start := l.pos
	if l.pos >= len(l.buf) {
		return token{kind: tEOF, start: start, end: start}, nil
	}
	c := l.buf[l.pos]
	var t token
	var err error
	switch {
	case c == '[':
		l.pos++
		t.kind = tArrOpen
	case c == ']':
		l.pos++
		t.kind = tArrClose
	case c == '<' && l.pos+1 < len(l.buf) && l.buf[l.pos+1] == '<':
		l.pos += 2
		t.kind = tDictOpen
	case c == '>' && l.pos+1 < len(l.buf) && l.buf[l.pos+1] == '>':
		l.pos += 2
		t.kind = tDictClose
	case c == '<':
		t.kind = tHex
		t.s, err = l.hexString()
	case c == '(':
		t.kind = tString
		t.s, err = l.literalString()
	case c == '/':
		t.kind = tName
		t.s, err = l.name()
	case c == ')' || c == '{' || c == '}' || c == '>':
		l.pos++
		t.kind = tOther
	default:
		t = l.regular()
	}
	t.start, t.end = start, l.pos
	return t, err
}

// regular reads a run of regular characters: a number or a keyword.
func (l *lexer) regular() token {
	start := l.pos
	for l.pos < len(l.buf) && isRegular(l.buf[l.pos]) {
		l.pos++
	}
	s := l.buf[start:l.pos]
	if len(s) == 0 { // cannot happen: the caller saw a regular byte
		l.pos++
		return token{kind: tOther}
	}
	if c := s[0]; c == '+' || c == '-' || c == '.' || (c >= '0' && c <= '9') {
		if i, err := strconv.ParseInt(string(s), 10, 64); err == nil {
			return token{kind: tInt, i: i}
		}
		if f, err := strconv.ParseFloat(string(s), 64); err == nil {
			return token{kind: tReal, f: f}
		}
	}
	return token{kind: tKeyword, s: s}
}

// name reads a name after its slash, decoding #xx escapes (§7.3.5).
func (l *lexer) name() ([]byte, error) {
	l.pos++ // '/'
	start := l.pos
	for l.pos < len(l.buf) && isRegular(l.buf[l.pos]) {
		l.pos++
	}
	raw := l.buf[start:l.pos]
	if len(raw) > maxNameBytes {
		return nil, l.errorf("name longer than %d bytes", maxNameBytes)
	}
	if !containsByte(raw, '#') {
		return raw, nil
	}
	out := make([]byte, 0, len(raw))
	for i := 0; i < len(raw); i++ {
		if raw[i] == '#' && i+2 < len(raw) {
			if h, ok1 := unhex(raw[i+1]); ok1 {
				if lo, ok2 := unhex(raw[i+2]); ok2 {
					out = append(out, h<<4|lo)
					i += 2
					continue
				}
			}
		}
		out = append(out, raw[i])
	}
	return out, nil
}

func containsByte(b []byte, c byte) bool {
	for _, x := range b {
		if x == c {
			return true
		}
	}
	return false
}

func unhex(c byte) (byte, bool) {
	switch {
	case c >= '0' && c <= '9':
		return c - '0', true
	case c >= 'a' && c <= 'f':
		return c - 'a' + 10, true
	case c >= 'A' && c <= 'F':
		return c - 'A' + 10, true
	}
	return 0, false
}

// hexString reads <…> (§7.3.4.3): white space is ignored and an odd final
// digit is read as if followed by 0.
func (l *lexer) hexString() ([]byte, error) {
	l.pos++ // '<'
	start := l.pos
	end := -1
	for i := start; i < len(l.buf); i++ {
		if l.buf[i] == '>' {
			end = i
			break
		}
	}
	if end < 0 {
		l.pos = len(l.buf)
		return nil, l.errorf("unterminated hexadecimal string")
	}
	if (end-start)/2 > maxStringBytes {
		return nil, l.errorf("hexadecimal string longer than %d bytes", maxStringBytes)
	}
	out := make([]byte, 0, (end-start+1)/2)
	var hi byte
	half := false
	for _, c := range l.buf[start:end] {
		if isWhite(c) {
			continue
		}
		v, ok := unhex(c)
		if !ok {
			l.pos = end + 1
			return nil, l.errorf("invalid byte %q in hexadecimal string", c)
		}
		if half {
			out = append(out, hi<<4|v)
		} else {
			hi = v
		}
		half = !half
	}
	if half {
		out = append(out, hi<<4)
	}
	l.pos = end + 1
	return out, nil
}

// literalString reads (…) with balanced parentheses and escapes (§7.3.4.2).
func (l *lexer) literalString() ([]byte, error) {
	l.pos++ // '('
	var out []byte
	depth := 1
	for l.pos < len(l.buf) {
		if len(out) > maxStringBytes {
			return nil, l.errorf("literal string longer than %d bytes", maxStringBytes)
		}
		c := l.buf[l.pos]
		l.pos++
		switch c {
		case '(':
			depth++
		case ')':
			depth--
			if depth == 0 {
				return out, nil
			}
		case '\\':
			if l.pos >= len(l.buf) {
				continue
			}
			e := l.buf[l.pos]
			l.pos++
			switch e {
			case 'n':
				c = '\n'
			case 'r':
				c = '\r'
			case 't':
				c = '\t'
			case 'b':
				c = '\b'
			case 'f':
				c = '\f'
			case '\r': // line continuation
				if l.pos < len(l.buf) && l.buf[l.pos] == '\n' {
					l.pos++
				}
				continue
			case '\n':
				continue
			default:
				if e >= '0' && e <= '7' {
					v := int(e - '0')
					for k := 0; k < 2 && l.pos < len(l.buf) && l.buf[l.pos] >= '0' && l.buf[l.pos] <= '7'; k++ {
						v = v*8 + int(l.buf[l.pos]-'0')
						l.pos++
					}
					c = byte(v)
				} else {
					c = e // \( \) \\ and unknown escapes: the character itself
				}
			}
		}
		out = append(out, c)
	}
	return nil, l.errorf("unterminated literal string")
}
