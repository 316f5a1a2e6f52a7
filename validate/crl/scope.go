package crl

import (
	"crypto/x509"
	"encoding/asn1"
	"fmt"
	"strings"

	"golang.org/x/crypto/cryptobyte"
	cbasn1 "golang.org/x/crypto/cryptobyte/asn1"

	"github.com/lienthong/lienthong/trust"
)

// The scope of a CRL: distribution point names, reasons, and the
// certificate kinds it covers (RFC 5280 §4.2.1.13, §5.2.5, §6.3.3 (b), (d)).

// ReasonFlags is a set of revocation reasons: bit i (1 << i) is the
// ReasonFlags bit i of RFC 5280 §4.2.1.13 (1 keyCompromise ... 8
// aACompromise; bit 0 "unused" is not a reason). The zero value is the
// empty set.
type ReasonFlags uint16

// String lists the reasons of the set, in RFC 5280 names.
func (r ReasonFlags) String() string {
	if r&AllReasons == AllReasons {
		return "all-reasons"
	}
	var names []string
	for i := 1; i <= 8; i++ {
		if r&(1<<i) != 0 {
			code := i
			if i == 7 {
				code = ReasonPrivilegeWithdrawn
			} else if i == 8 {
				code = ReasonAACompromise
			}
			names = append(names, ReasonName(code))
		}
	}
	return "{" + strings.Join(names, ",") + "}"
}

// AllReasons is the special value all-reasons of RFC 5280 §6.3.3.
const AllReasons ReasonFlags = 0x1fe

// DistributionPoint is one DistributionPoint of a certificate's CRL
// distribution points extension (RFC 5280 §4.2.1.13). FullName and
// RelativeName are both empty when the distributionPoint field is absent.
type DistributionPoint struct {
	FullName     []GeneralName
	RelativeName []byte // DER RelativeDistinguishedName (a SET), nil when absent
	Reasons      ReasonFlags
	HasReasons   bool // the reasons field is present (else: all reasons)
	CRLIssuer    []GeneralName
}

// URIs returns the URIs of the distribution point's fullName, where the CRL
// may be fetched.
func (dp DistributionPoint) URIs() []string {
	var out []string
	for _, n := range dp.FullName {
		if n.Tag == TagURI {
			out = append(out, string(n.Value))
		}
	}
	return out
}

// IssuingDistributionPoint is a CRL's issuing distribution point extension
// (RFC 5280 §5.2.5), which restricts the CRL's scope.
type IssuingDistributionPoint struct {
	FullName                   []GeneralName
	RelativeName               []byte // DER RelativeDistinguishedName (a SET), nil when absent
	OnlyContainsUserCerts      bool
	OnlyContainsCACerts        bool
	OnlySomeReasons            ReasonFlags
	HasOnlySomeReasons         bool
	IndirectCRL                bool
	OnlyContainsAttributeCerts bool

	names []string // comparison keys of the distribution point name, RelativeName resolved
}

var oidExtCRLDP = asn1.ObjectIdentifier{2, 5, 29, 31}

// DistributionPoints parses the certificate's CRL distribution points
// extension; it returns nil and no error when the certificate has none.
// Unlike crypto/x509's CRLDistributionPoints it keeps every name form,
// the reasons and the cRLIssuer field.
func DistributionPoints(cert *x509.Certificate) ([]DistributionPoint, error) {
	for _, ext := range cert.Extensions {
		if !ext.Id.Equal(oidExtCRLDP) {
			continue
		}
		s := cryptobyte.String(ext.Value)
		var seq cryptobyte.String
		if !s.ReadASN1(&seq, cbasn1.SEQUENCE) || !s.Empty() {
			return nil, fmt.Errorf("malformed CRL distribution points extension")
		}
		var dps []DistributionPoint
		for !seq.Empty() {
			var dp cryptobyte.String
			var d DistributionPoint
			var name, reasons, issuer cryptobyte.String
			var hasName, hasIssuer bool
			if !seq.ReadASN1(&dp, cbasn1.SEQUENCE) ||
				!dp.ReadOptionalASN1(&name, &hasName, cbasn1.Tag(0).Constructed().ContextSpecific()) ||
				!dp.ReadOptionalASN1(&reasons, &d.HasReasons, cbasn1.Tag(1).ContextSpecific()) ||
				!dp.ReadOptionalASN1(&issuer, &hasIssuer, cbasn1.Tag(2).Constructed().ContextSpecific()) ||
				!dp.Empty() {
				return nil, fmt.Errorf("malformed distribution point")
			}
			ok := true
			if hasName {
				d.FullName, d.RelativeName, ok = parseDPName(name)
			}
			if ok && d.HasReasons {
				d.Reasons, ok = parseReasonFlags(reasons)
			}
			if ok && hasIssuer {
				d.CRLIssuer, ok = generalNamesContents(issuer)
			}
			if !ok {
				return nil, fmt.Errorf("malformed distribution point")
			}
			dps = append(dps, d)
		}
		return dps, nil
	}
	return nil, nil
}

// parseIDP parses the extnValue of an issuing distribution point; the
// relative name is resolved against the CRL issuer.
func parseIDP(val cryptobyte.String, crlIssuer []byte) (*IssuingDistributionPoint, bool) {
	var seq, name, reasons cryptobyte.String
	var hasName bool
	p := &IssuingDistributionPoint{}
	if !val.ReadASN1(&seq, cbasn1.SEQUENCE) || !val.Empty() ||
		!seq.ReadOptionalASN1(&name, &hasName, cbasn1.Tag(0).Constructed().ContextSpecific()) ||
		!readImplicitBool(&seq, 1, &p.OnlyContainsUserCerts) ||
		!readImplicitBool(&seq, 2, &p.OnlyContainsCACerts) ||
		!seq.ReadOptionalASN1(&reasons, &p.HasOnlySomeReasons, cbasn1.Tag(3).ContextSpecific()) ||
		!readImplicitBool(&seq, 4, &p.IndirectCRL) ||
		!readImplicitBool(&seq, 5, &p.OnlyContainsAttributeCerts) ||
		!seq.Empty() {
		return nil, false
	}
	ok := true
	if hasName {
		if p.FullName, p.RelativeName, ok = parseDPName(name); !ok {
			return nil, false
		}
		p.names = nameKeys(p.FullName, p.RelativeName, [][]byte{crlIssuer})
	}
	if p.HasOnlySomeReasons {
		if p.OnlySomeReasons, ok = parseReasonFlags(reasons); !ok {
			return nil, false
		}
	}
	n := 0
	for _, b := range []bool{p.OnlyContainsUserCerts, p.OnlyContainsCACerts, p.OnlyContainsAttributeCerts} {
		if b {
			n++
		}
	}
	return p, n <= 1 // §5.2.5: at most one of the three may be asserted
}

// readImplicitBool reads an optional [tag] IMPLICIT BOOLEAN DEFAULT FALSE.
func readImplicitBool(s *cryptobyte.String, tag uint8, out *bool) bool {
	var v cryptobyte.String
	var present bool
	if !s.ReadOptionalASN1(&v, &present, cbasn1.Tag(tag).ContextSpecific()) {
		return false
	}
	if !present {
		return true
	}
	if len(v) != 1 || (v[0] != 0 && v[0] != 0xff) {
		return false
	}
	*out = v[0] == 0xff
	return true
}

// parseDPName parses the contents of a [0] DistributionPointName (a CHOICE,
// hence explicitly tagged): fullName [0] GeneralNames or
// nameRelativeToCRLIssuer [1] RelativeDistinguishedName.
func parseDPName(s cryptobyte.String) ([]GeneralName, []byte, bool) {
	var body cryptobyte.String
	var tag cbasn1.Tag
	if !s.ReadAnyASN1Element(&body, &tag) || !s.Empty() {
		return nil, nil, false
	}
	switch tag {
	case cbasn1.Tag(0).Constructed().ContextSpecific():
		var names cryptobyte.String
		if !body.ReadASN1(&names, tag) {
			return nil, nil, false
		}
		gns, ok := generalNamesContents(names)
		return gns, nil, ok && len(gns) > 0
	case cbasn1.Tag(1).Constructed().ContextSpecific():
		// Re-tag the IMPLICIT [1] as a universal SET, the form it takes
		// inside a Name.
		rdn := append([]byte{0x31}, body[1:]...)
		return nil, rdn, true
	}
	return nil, nil, false
}

// parseReasonFlags decodes an implicitly tagged ReasonFlags BIT STRING.
func parseReasonFlags(v cryptobyte.String) (ReasonFlags, bool) {
	if len(v) == 0 || v[0] > 7 || (len(v) == 1 && v[0] != 0) {
		return 0, false
	}
	var r ReasonFlags
	for i := 0; i < 9 && i < (len(v)-1)*8-int(v[0]); i++ {
		if v[1+i/8]&(0x80>>(i%8)) != 0 {
			r |= 1 << i
		}
	}
	return r, true
}

// dpoint is a distribution point ready for §6.3.3: names resolved to keys.
type dpoint struct {
	names      []string // keys of the distribution point name; nil when absent
	hasReasons bool
	reasons    ReasonFlags
	issuerKeys []string // trust.CanonicalName of cRLIssuer's directory names
	issuerAll  []string // keys of all cRLIssuer names
	isDefault  bool     // the implicit DP of §6.3.3's last paragraph
}

// certDPs returns the certificate's distribution points followed by the
// default one: "a DP with both the reasons and the cRLIssuer fields omitted
// and a distribution point name of the certificate issuer", made of the
// issuer field and the issuer alternative name extension (§6.3.3).
func certDPs(cert *x509.Certificate) ([]dpoint, error) {
	dps, err := DistributionPoints(cert)
	if err != nil {
		return nil, err
	}
	out := make([]dpoint, 0, len(dps)+1)
	for _, d := range dps {
		p := dpoint{hasReasons: d.HasReasons, reasons: d.Reasons}
		bases := [][]byte{cert.RawIssuer}
		if len(d.CRLIssuer) > 0 {
			bases = nil
			for _, n := range d.CRLIssuer {
				p.issuerAll = append(p.issuerAll, nameKey(n))
				if n.Tag == TagDirectoryName {
					bases = append(bases, n.Value)
					if k, err := trust.CanonicalName(n.Value); err == nil {
						p.issuerKeys = append(p.issuerKeys, k)
					}
				}
			}
			if p.issuerAll == nil {
				p.issuerAll = []string{} // present, even if it names nothing usable
			}
		}
		if len(d.FullName) > 0 || d.RelativeName != nil {
			p.names = nameKeys(d.FullName, d.RelativeName, bases)
		}
		out = append(out, p)
	}
	def := dpoint{isDefault: true, names: []string{nameKey(GeneralName{Tag: TagDirectoryName, Value: cert.RawIssuer})}}
	for _, ext := range cert.Extensions {
		if ext.Id.Equal(asn1.ObjectIdentifier{2, 5, 29, 18}) {
			if ian, ok := parseGeneralNames(ext.Value); ok {
				def.names = append(def.names, nameKeys(ian, nil, nil)...)
			}
		}
	}
	return append(out, def), nil
}

// whyForeign and whyForeignDP are inScope's answers for a CRL of another
// issuer.
const (
	whyForeign   = "CRL issuer is not the certificate issuer"
	whyForeignDP = "CRL issuer is not the distribution point's cRLIssuer"
)

// inScope checks §6.3.3 (b): that the complete CRL c may give the status of
// cert for the distribution point dp. issuerKey is the key of cert's issuer
// name. It returns "" or why not.
func (dp *dpoint) inScope(c *CRL, cert *x509.Certificate, issuerKey string) string {
	// (b)(1)
	if dp.issuerAll != nil {
		match := false
		for _, k := range dp.issuerKeys {
			match = match || k == c.issuerKey
		}
		if !match {
			return whyForeignDP
		}
		if c.idp == nil || !c.idp.IndirectCRL {
			return "distribution point names a cRLIssuer but the CRL is not indirect"
		}
	} else if c.issuerKey != issuerKey {
		return whyForeign
	}
	// (b)(2)
	if p := c.idp; p != nil {
		if p.names != nil {
			switch {
			case dp.names != nil:
				if !intersect(p.names, dp.names) {
					return "distribution point name does not match the CRL's issuing distribution point"
				}
			case !intersect(p.names, dp.issuerAll):
				return "CRL's issuing distribution point name does not match the distribution point's cRLIssuer"
			}
		}
		isCA := cert.BasicConstraintsValid && cert.IsCA
		if p.OnlyContainsUserCerts && isCA {
			return "CRL covers only end-entity certificates"
		}
		if p.OnlyContainsCACerts && !isCA {
			return "CRL covers only CA certificates"
		}
		if p.OnlyContainsAttributeCerts {
			return "CRL covers only attribute certificates"
		}
	}
	return ""
}

// interimReasons computes §6.3.3 (d).
func (dp *dpoint) interimReasons(c *CRL) ReasonFlags {
	r := AllReasons
	if c.idp != nil && c.idp.HasOnlySomeReasons {
		r = c.idp.OnlySomeReasons
	}
	if dp.hasReasons {
		r &= dp.reasons
	}
	return r & AllReasons
}
