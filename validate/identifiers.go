package validate

import (
	"crypto/sha256"
	"crypto/x509/pkix"
	"encoding/asn1"
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
