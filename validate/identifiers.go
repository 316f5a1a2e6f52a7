package validate

import (
	"crypto/sha256"
	"crypto/x509/pkix"
	"encoding/asn1"
	"encoding/hex"
	"fmt"
	"strings"
)

// oidUID is the userId attribute (RFC 4519, 0.9.2342.19200300.100.1.1) in
// which Vietnamese CAs put the holder's identifiers: "CCCD:<12 digits>"
// (citizen identity card), "CMND:<9 or 12 digits>" (old identity card),
// "MST:<tax code>", "HC:<passport>", "MNS:<budget-unit code>", and others of
// the same form.
var oidUID = asn1.ObjectIdentifier{0, 9, 2342, 19200300, 100, 1, 1}

// maxIdentifiers bounds what one subject can put in a report.
const maxIdentifiers = 16

// Identifiers parses the Vietnamese identifiers of a subject: every UID
// value of the form KEY:VALUE with KEY of 2 to 8 letters (upper-cased in the
// result) and a non-empty VALUE. Several UIDs per subject are common (for
// example CMND and MST); when a key repeats, the first value is kept.
// Values are reported as the certificate states them; they are claims of
// the CA, not checked against any register. The result is never nil.
func Identifiers(name pkix.Name) map[string]string {
	out := map[string]string{}
	for _, atv := range name.Names {
		if !atv.Type.Equal(oidUID) || len(out) >= maxIdentifiers {
			continue
		}
		s, ok := atv.Value.(string)
		if !ok {
			continue
		}
		key, val, found := strings.Cut(strings.TrimSpace(s), ":")
		key, val = strings.ToUpper(strings.TrimSpace(key)), strings.TrimSpace(val)
		if !found || val == "" || !isIdentifierKey(key) {
			continue
		}
		if _, dup := out[key]; !dup {
			out[key] = val
		}
	}
	return out
}

func isIdentifierKey(k string) bool {
	if len(k) < 2 || len(k) > 8 {
		return false
	}
	for _, r := range k {
		if r < 'A' || r > 'Z' {
			return false
		}
	}
	return true
}

func sha256Sum(b []byte) [32]byte { return sha256.Sum256(b) }

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
