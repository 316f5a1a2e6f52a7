package trust

import (
	"bytes"
	"encoding/asn1"
	"errors"
	"sort"
	"strings"
	"unicode"
	"unicode/utf16"
	"unicode/utf8"

	"golang.org/x/text/cases"
	"golang.org/x/text/unicode/norm"
)

// CanonicalName returns a comparison key for a DER-encoded X.501 Name
// (a certificate's RawSubject or RawIssuer), following RFC 5280 §7.1: attribute
// values of the directory string types are compared after RFC 4518 string
// preparation (Unicode NFKC, case folding, insignificant whitespace removed and
// inner runs of spaces collapsed), RDNs keep their order, and the attributes of
// a multi-valued RDN are compared as a set. Two names match exactly when their
// keys are equal.
//
// Attribute values that are not directory strings (other ASN.1 types) are
// compared by their DER encoding. CanonicalName does not decide whether a name
// is trustworthy: a name identifies nothing by itself, certificates are
// identified by key and fingerprint (see Cert).
func CanonicalName(der []byte) (string, error) {
	var rdns []rdnSET
	rest, err := asn1.Unmarshal(der, &rdns)
	if err != nil {
		return "", err
	}
	if len(rest) != 0 {
		return "", errors.New("trailing data after name")
	}
	var b strings.Builder
	for _, rdn := range rdns {
		atvs := make([]string, 0, len(rdn))
		for _, atv := range rdn {
			var one strings.Builder
			one.WriteString(atv.Type.String())
			one.WriteByte('=')
			if s, ok := directoryString(atv.Value); ok {
				one.WriteByte('s')
				one.WriteString(prepareString(s))
			} else {
				one.WriteByte('x')
				one.Write(atv.Value.FullBytes)
			}
			atvs = append(atvs, one.String())
		}
		sort.Strings(atvs)
		for i, a := range atvs {
			if i > 0 {
				b.WriteByte('+')
			}
			writeEscaped(&b, a)
		}
		b.WriteByte(0)
	}
	return b.String(), nil
}

// writeEscaped writes s with the separators used by CanonicalName escaped, so
// that two different names never produce the same key.
func writeEscaped(b *strings.Builder, s string) {
	for i := 0; i < len(s); i++ {
		switch c := s[i]; c {
		case 0, '+', '\\':
			b.WriteByte('\\')
			b.WriteByte(c + 1)
		default:
			b.WriteByte(c)
		}
	}
}

// rawATV is one AttributeTypeAndValue with its value kept raw, so that every
// string type (including UniversalString, which encoding/asn1 drops when
// decoding into an interface) is seen.
type rawATV struct {
	Type  asn1.ObjectIdentifier
	Value asn1.RawValue
}

// rdnSET is a RelativeDistinguishedName; the SET suffix makes encoding/asn1
// expect a SET OF.
type rdnSET []rawATV

// directoryString reports whether x is a string-typed attribute value
// (PrintableString, UTF8String, IA5String, TeletexString, NumericString,
// BMPString, UniversalString) and returns it decoded.
func directoryString(x asn1.RawValue) (string, bool) {
	{
		if x.Class != asn1.ClassUniversal || x.IsCompound {
			return "", false
		}
		switch x.Tag {
		case asn1.TagPrintableString, asn1.TagUTF8String, asn1.TagIA5String, asn1.TagNumericString:
			if !utf8.Valid(x.Bytes) {
				return "", false
			}
			return string(x.Bytes), true
		case asn1.TagT61String: // treated as ISO 8859-1, as most software does
			r := make([]rune, len(x.Bytes))
			for i, c := range x.Bytes {
				r[i] = rune(c)
			}
			return string(r), true
		case 30: // BMPString, UCS-2 big endian
			if len(x.Bytes)%2 != 0 {
				return "", false
			}
			u := make([]uint16, len(x.Bytes)/2)
			for i := range u {
				u[i] = uint16(x.Bytes[2*i])<<8 | uint16(x.Bytes[2*i+1])
			}
			return string(utf16.Decode(u)), true
		case 28: // UniversalString, UCS-4 big endian
			if len(x.Bytes)%4 != 0 {
				return "", false
			}
			var sb strings.Builder
			for i := 0; i < len(x.Bytes); i += 4 {
				r := rune(uint32(x.Bytes[i])<<24 | uint32(x.Bytes[i+1])<<16 | uint32(x.Bytes[i+2])<<8 | uint32(x.Bytes[i+3]))
				if !utf8.ValidRune(r) {
					return "", false
				}
				sb.WriteRune(r)
			}
			return sb.String(), true
		}
	}
	return "", false
}

var folder = cases.Fold()

// prepareString applies the parts of RFC 4518 string preparation that matter
// for caseIgnoreMatch: NFKC normalisation, case folding, and insignificant
// space handling (leading and trailing spaces dropped, inner runs collapsed to
// one space). Control characters are removed.
//
// RFC 4518 §2.3 folds with table B.2 of RFC 3454, which is case folding
// closed under NFKC: a compatibility character whose decomposition is an
// upper-case letter (U+2102 DOUBLE-STRUCK CAPITAL C, U+210B SCRIPT CAPITAL H)
// folds to the lower-case letter. Plain Unicode folding leaves those
// characters alone, so the string is normalised before folding as well as
// after (the NFKC_Casefold construction).
func prepareString(s string) string {
	s = norm.NFKC.String(folder.String(norm.NFKC.String(s)))
	var b strings.Builder
	b.Grow(len(s))
	space := false
	for _, r := range s {
		switch {
		case unicode.IsSpace(r):
			space = true
			continue
		case unicode.IsControl(r):
			continue
		}
		if space && b.Len() > 0 {
			b.WriteByte(' ')
		}
		space = false
		b.WriteRune(r)
	}
	return b.String()
}

// SameName reports whether two DER-encoded names match under RFC 5280 §7.1.
// Byte-identical encodings always match; names that fail to parse match only
// when byte-identical.
func SameName(a, b []byte) bool {
	if bytes.Equal(a, b) {
		return true
	}
	ka, err := CanonicalName(a)
	if err != nil {
		return false
	}
	kb, err := CanonicalName(b)
	if err != nil {
		return false
	}
	return ka == kb
}
