package crl

import (
	"fmt"
	"strings"
	"time"

	"golang.org/x/crypto/cryptobyte"
	cbasn1 "golang.org/x/crypto/cryptobyte/asn1"

	"github.com/lienthong/lienthong/trust"
)

// General names (RFC 5280 §4.2.1.6): parsing, comparison keys, and
// rendering for messages.

// GeneralName tags (RFC 5280 §4.2.1.6), the context-specific tag numbers
// of the CHOICE.
const (
	TagOtherName     = 0
	TagRFC822Name    = 1
	TagDNSName       = 2
	TagX400Address   = 3
	TagDirectoryName = 4
	TagEDIPartyName  = 5
	TagURI           = 6
	TagIPAddress     = 7
	TagRegisteredID  = 8
)

// GeneralName is one name of a GeneralNames (RFC 5280 §4.2.1.6), undecoded.
// Value holds the DER Name (a SEQUENCE) for TagDirectoryName, the string
// for TagURI, TagDNSName and TagRFC822Name, and the contents octets for
// the other tags. It is a view into the DER it was parsed from.
type GeneralName struct {
	Tag   int
	Value []byte
}

// parseGeneralNames parses a DER GeneralNames (a SEQUENCE).
func parseGeneralNames(der []byte) ([]GeneralName, bool) {
	s := cryptobyte.String(der)
	var seq cryptobyte.String
	if !s.ReadASN1(&seq, cbasn1.SEQUENCE) || !s.Empty() {
		return nil, false
	}
	return generalNamesContents(seq)
}

// generalNamesContents parses the contents of a GeneralNames.
func generalNamesContents(s cryptobyte.String) ([]GeneralName, bool) {
	var out []GeneralName
	for !s.Empty() {
		var v cryptobyte.String
		var tag cbasn1.Tag
		if !s.ReadAnyASN1(&v, &tag) || tag&0xc0 != 0x80 {
			return nil, false
		}
		n := GeneralName{Tag: int(tag & 0x1f), Value: v}
		if n.Tag == TagDirectoryName {
			var name cryptobyte.String
			if !v.ReadASN1Element(&name, cbasn1.SEQUENCE) || !v.Empty() {
				return nil, false
			}
			n.Value = name
		}
		out = append(out, n)
	}
	return out, true
}

// nameKey returns the comparison key of a general name: directory names
// compared per RFC 5280 §7.1, URIs with scheme and host case-insensitive
// (§7.4), everything else byte for byte.
func nameKey(n GeneralName) string {
	switch n.Tag {
	case TagDirectoryName:
		if k, err := trust.CanonicalName(n.Value); err == nil {
			return "D" + k
		}
	case TagURI:
		u := string(n.Value)
		if i := strings.Index(u, "://"); i > 0 {
			j := strings.IndexByte(u[i+3:], '/')
			if j < 0 {
				j = len(u) - i - 3
			}
			u = strings.ToLower(u[:i+3+j]) + u[i+3+j:]
		}
		return "U" + u
	}
	return fmt.Sprintf("%d:%x", n.Tag, n.Value)
}

// nameKeys returns the keys of a distribution point name: its fullName, or
// its relative name appended to each of the bases (RFC 5280 §4.2.1.13,
// §5.2.5).
func nameKeys(full []GeneralName, relative []byte, bases [][]byte) []string {
	var keys []string
	for _, n := range full {
		keys = append(keys, nameKey(n))
	}
	if relative != nil {
		for _, base := range bases {
			if dn, ok := appendRDN(base, relative); ok {
				keys = append(keys, nameKey(GeneralName{Tag: TagDirectoryName, Value: dn}))
			}
		}
	}
	return keys
}

// appendRDN returns the DER Name made of base's RDNs followed by rdn.
func appendRDN(base, rdn []byte) ([]byte, bool) {
	s := cryptobyte.String(base)
	var rdns cryptobyte.String
	if !s.ReadASN1(&rdns, cbasn1.SEQUENCE) {
		return nil, false
	}
	var b cryptobyte.Builder
	b.AddASN1(cbasn1.SEQUENCE, func(b *cryptobyte.Builder) {
		b.AddBytes(rdns)
		b.AddBytes(rdn)
	})
	out, err := b.Bytes()
	return out, err == nil
}

// intersect reports whether the two key lists share a key.
func intersect(a, b []string) bool {
	for _, x := range a {
		for _, y := range b {
			if x == y {
				return true
			}
		}
	}
	return false
}

// describe names a CRL for messages: "delta CRL #5 of CN=..., thisUpdate ...".
func describe(c *CRL) string {
	if c == nil {
		return "no CRL"
	}
	kind := "CRL"
	if c.IsDelta() {
		kind = "delta CRL"
	}
	num := ""
	if c.number != nil {
		num = " #" + c.number.String()
	}
	return fmt.Sprintf("%s%s of %s (thisUpdate %s)", kind, num, trust.DN(c.rawIssuer), c.thisUpdate.Format(time.RFC3339))
}
