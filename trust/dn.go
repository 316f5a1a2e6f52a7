package trust

import (
	"crypto/x509/pkix"
	"encoding/asn1"
	"encoding/hex"
	"fmt"
	"strings"
)

// attributeNames are the short names used by DN for the attribute types
// that Vietnamese certificates carry (RFC 4514 §3 plus UID, E, T).
var attributeNames = map[string]string{
	"2.5.4.3":                    "CN",
	"2.5.4.6":                    "C",
	"2.5.4.7":                    "L",
	"2.5.4.8":                    "ST",
	"2.5.4.9":                    "STREET",
	"2.5.4.10":                   "O",
	"2.5.4.11":                   "OU",
	"2.5.4.12":                   "T",
	"2.5.4.5":                    "SERIALNUMBER",
	"0.9.2342.19200300.100.1.1":  "UID",
	"0.9.2342.19200300.100.1.25": "DC",
	"1.2.840.113549.1.9.1":       "E",
}

// DN renders a DER-encoded distinguished name in RFC 4514 order (last RDN
// first) with readable short names, including UID, where
// pkix.Name.String would print UID values as hex. Values that are not
// strings are printed as #hex per RFC 4514 §2.4. A name that does not
// parse is rendered as #hex of the whole DER.
func DN(der []byte) string {
	var rdns pkix.RDNSequence
	if rest, err := asn1.Unmarshal(der, &rdns); err != nil || len(rest) != 0 {
		return "#" + hex.EncodeToString(der)
	}
	var b strings.Builder
	for i := len(rdns) - 1; i >= 0; i-- {
		if b.Len() > 0 {
			b.WriteByte(',')
		}
		for j, atv := range rdns[i] {
			if j > 0 {
				b.WriteByte('+')
			}
			oid := atv.Type.String()
			if n, ok := attributeNames[oid]; ok {
				b.WriteString(n)
			} else {
				b.WriteString(oid)
			}
			b.WriteByte('=')
			if s, ok := atv.Value.(string); ok {
				b.WriteString(escapeDN(s))
			} else if raw, err := asn1.Marshal(atv.Value); err == nil {
				b.WriteString("#" + hex.EncodeToString(raw))
			}
		}
	}
	return b.String()
}

// escapeDN escapes an attribute value per RFC 4514 §2.4.
func escapeDN(s string) string {
	var b strings.Builder
	for i, r := range s {
		switch {
		case strings.ContainsRune(",+\"\\<>;", r),
			i == 0 && (r == ' ' || r == '#'),
			i == len(s)-1 && r == ' ':
			b.WriteByte('\\')
			b.WriteRune(r)
		case r < 0x20 || r == 0x7f:
			fmt.Fprintf(&b, "\\%02x", r)
		default:
			b.WriteRune(r)
		}
	}
	return b.String()
}
