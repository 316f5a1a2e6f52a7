package validate

// Name constraints, RFC 5280 §4.2.1.10 and §6.1: the permitted_subtrees and
// excluded_subtrees state variables (§6.1.2 (b), (c)), the per-certificate
// checks (§6.1.3 (b), (c)) and the accumulation of a CA certificate's
// nameConstraints extension (§6.1.4 (g)).
//
// crypto/x509 is not used for the constraints or the names: its parser skips
// directoryName constraints and ignores directoryName / otherName entries of
// subjectAltName, so both extensions are decoded here from c.Extensions.

import (
	"bytes"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/asn1"
	"encoding/hex"
	"errors"
	"fmt"
	"net"
	"net/url"
	"strconv"
	"strings"

	"github.com/lienthong/lienthong/trust"
	"golang.org/x/crypto/cryptobyte"
	cbasn1 "golang.org/x/crypto/cryptobyte/asn1"
)

var (
	ncOIDNameConstraints = asn1.ObjectIdentifier{2, 5, 29, 30}
	ncOIDSubjectAltName  = asn1.ObjectIdentifier{2, 5, 29, 17}
	ncOIDEmailAddress    = asn1.ObjectIdentifier{1, 2, 840, 113549, 1, 9, 1}
)

// Limits against hostile certificates. They bound the work done by check to
// at most maxNCNames × maxNCSubtrees comparisons.
const (
	// maxNCSubtrees caps the number of subtrees in one nameConstraints
	// extension and the number accumulated in a nameConstraintsState.
	maxNCSubtrees = 1024
	// maxNCNames caps the number of names (subject, subject emailAddress
	// attributes, subjectAltName entries) check looks at in one certificate.
	maxNCNames = 1024
)

// ncKind is a GeneralName form; the value is the CHOICE tag number
// (RFC 5280 §4.2.1.6).
type ncKind int

const (
	ncOtherName    ncKind = iota // [0] otherName
	ncRFC822                     // [1] rfc822Name
	ncDNS                        // [2] dNSName
	ncX400                       // [3] x400Address
	ncDirName                    // [4] directoryName
	ncEDIParty                   // [5] ediPartyName
	ncURI                        // [6] uniformResourceIdentifier
	ncIP                         // [7] iPAddress
	ncRegisteredID               // [8] registeredID
	numNCKinds
)

var ncKindNames = [numNCKinds]string{
	"otherName", "rfc822Name", "dNSName", "x400Address", "directoryName",
	"ediPartyName", "uniformResourceIdentifier", "iPAddress", "registeredID",
}

func (k ncKind) String() string {
	if k >= 0 && k < numNCKinds {
		return ncKindNames[k]
	}
	return "GeneralName[" + strconv.Itoa(int(k)) + "]"
}

// supported reports whether constraints of this form are evaluated. For the
// other forms a name of that form is refused whenever a constraint of that
// form is in force (RFC 5280 §4.2.1.10: "process the constraint or reject the
// certificate").
func (k ncKind) supported() bool {
	switch k {
	case ncRFC822, ncDNS, ncDirName, ncURI, ncIP:
		return true
	}
	return false
}

// ncSubtree is one GeneralSubtree base, already validated and normalised.
type ncSubtree struct {
	kind ncKind
	// str is the dNSName / URI constraint in lower case, or the rfc822Name
	// constraint (mailbox local part kept as is, domain in lower case).
	str string
	// ip and mask for iPAddress (4+4 or 16+16 bytes; ip already masked).
	ip, mask []byte
	// rdns holds one comparison key per RDN of a directoryName.
	rdns []string
	// raw is the encoded base (content octets), used for unsupported forms
	// and for messages.
	raw []byte
	// from names the certificate that imposed the subtree (for messages).
	from string
}

// ncLevel is the set of permitted subtrees of one form that one CA
// certificate imposed: a name must be within at least one of them.
type ncLevel struct {
	from     string
	subtrees []ncSubtree
}

// nameConstraintsState holds permitted_subtrees and excluded_subtrees
// (RFC 5280 §6.1.2 (b), (c)).
//
// permitted_subtrees is kept as a list of levels per name form, one level
// per CA certificate that constrained that form; the intersection of §6.1.4
// (g)(1) is evaluated lazily: a name is within permitted_subtrees when it is
// within some subtree of every level. A form without levels is unconstrained
// (the initial value "unbounded"); a form whose levels have an empty
// intersection admits no name of that form. excluded_subtrees is a plain
// union per form.
type nameConstraintsState struct {
	permitted [numNCKinds][]ncLevel
	excluded  [numNCKinds][]ncSubtree
	count     int // subtrees stored, for maxNCSubtrees
}

// newNameConstraintsState returns the initial state: permitted_subtrees
// unbounded for every name form, excluded_subtrees empty (RFC 5280 §6.1.2
// (b), (c)).
func newNameConstraintsState() *nameConstraintsState {
	return &nameConstraintsState{}
}

// clone returns an independent copy of s (for path builders that try several
// paths from a common prefix). Subtrees are immutable once stored, so only
// the containers are copied.
func (s *nameConstraintsState) clone() *nameConstraintsState {
	n := &nameConstraintsState{count: s.count}
	for k := range numNCKinds {
		n.permitted[k] = append([]ncLevel(nil), s.permitted[k]...)
		n.excluded[k] = append([]ncSubtree(nil), s.excluded[k]...)
	}
	return n
}

// constrained reports whether any permitted or excluded subtree of form k is
// in force.
func (s *nameConstraintsState) constrained(k ncKind) bool {
	return len(s.permitted[k]) > 0 || len(s.excluded[k]) > 0
}

func (s *nameConstraintsState) empty() bool {
	for k := range numNCKinds {
		if s.constrained(k) {
			return false
		}
	}
	return true
}

// hasNameConstraints reports whether c carries the nameConstraints extension.
func hasNameConstraints(c *x509.Certificate) bool {
	for _, e := range c.Extensions {
		if e.Id.Equal(ncOIDNameConstraints) {
			return true
		}
	}
	return false
}

// ncFindExtension returns the value of c's extension oid; more than one
// occurrence is an error (RFC 5280 §4.2).
func ncFindExtension(c *x509.Certificate, oid asn1.ObjectIdentifier) (value []byte, found bool, err error) {
	for _, e := range c.Extensions {
		if !e.Id.Equal(oid) {
			continue
		}
		if found {
			return nil, false, fmt.Errorf("certificate has more than one extension %s", oid)
		}
		value, found = e.Value, true
	}
	return value, found, nil
}

// ---------------------------------------------------------------------------
// §6.1.4 (g): accumulating a nameConstraints extension.

// add merges c's nameConstraints extension into the state (RFC 5280 §6.1.4
// (g)): the permitted subtrees of each form intersect with those already in
// force, the excluded subtrees are added to the union. A certificate without
// the extension leaves the state unchanged. A malformed extension is an
// error and leaves the state unchanged.
func (s *nameConstraintsState) add(c *x509.Certificate) error {
	value, found, err := ncFindExtension(c, ncOIDNameConstraints)
	if err != nil {
		return fmt.Errorf("name constraints: %w", err)
	}
	if !found {
		return nil
	}
	from := ncDescribeCert(c)
	permitted, excluded, err := ncParseExtension(value, from)
	if err != nil {
		return fmt.Errorf("name constraints of %s: %w", from, err)
	}
	n := len(permitted) + len(excluded)
	if s.count+n > maxNCSubtrees {
		return fmt.Errorf("name constraints of %s: %d subtrees in force would exceed the limit of %d", from, s.count+n, maxNCSubtrees)
	}
	var perKind [numNCKinds][]ncSubtree
	for _, st := range permitted {
		perKind[st.kind] = append(perKind[st.kind], st)
	}
	for k, sts := range perKind {
		if len(sts) > 0 {
			s.permitted[k] = append(s.permitted[k], ncLevel{from: from, subtrees: sts})
		}
	}
	for _, st := range excluded {
		s.excluded[st.kind] = append(s.excluded[st.kind], st)
	}
	s.count += n
	return nil
}

// ncParseExtension decodes
//
//	NameConstraints ::= SEQUENCE {
//	     permittedSubtrees       [0]     GeneralSubtrees OPTIONAL,
//	     excludedSubtrees        [1]     GeneralSubtrees OPTIONAL }
//	GeneralSubtrees ::= SEQUENCE SIZE (1..MAX) OF GeneralSubtree
func ncParseExtension(der []byte, from string) (permitted, excluded []ncSubtree, err error) {
	input := cryptobyte.String(der)
	var seq, p, e cryptobyte.String
	var hasP, hasE bool
	if !input.ReadASN1(&seq, cbasn1.SEQUENCE) || !input.Empty() ||
		!seq.ReadOptionalASN1(&p, &hasP, cbasn1.Tag(0).ContextSpecific().Constructed()) ||
		!seq.ReadOptionalASN1(&e, &hasE, cbasn1.Tag(1).ContextSpecific().Constructed()) ||
		!seq.Empty() {
		return nil, nil, errors.New("malformed nameConstraints extension")
	}
	if !hasP && !hasE {
		return nil, nil, errors.New("nameConstraints has neither permittedSubtrees nor excludedSubtrees (RFC 5280 §4.2.1.10)")
	}
	budget := maxNCSubtrees
	if hasP {
		if permitted, err = ncParseSubtrees(p, from, &budget); err != nil {
			return nil, nil, fmt.Errorf("permittedSubtrees: %w", err)
		}
	}
	if hasE {
		if excluded, err = ncParseSubtrees(e, from, &budget); err != nil {
			return nil, nil, fmt.Errorf("excludedSubtrees: %w", err)
		}
	}
	return permitted, excluded, nil
}

// ncParseSubtrees decodes the contents of a GeneralSubtrees:
//
//	GeneralSubtree ::= SEQUENCE {
//	     base                    GeneralName,
//	     minimum         [0]     BaseDistance DEFAULT 0,
//	     maximum         [1]     BaseDistance OPTIONAL }
func ncParseSubtrees(in cryptobyte.String, from string, budget *int) ([]ncSubtree, error) {
	if in.Empty() {
		return nil, errors.New("empty GeneralSubtrees (SIZE (1..MAX))")
	}
	var out []ncSubtree
	for i := 0; !in.Empty(); i++ {
		if *budget <= 0 {
			return nil, fmt.Errorf("more than %d subtrees", maxNCSubtrees)
		}
		*budget--
		var gs, base, minimum cryptobyte.String
		var tag cbasn1.Tag
		var hasMin bool
		if !in.ReadASN1(&gs, cbasn1.SEQUENCE) || !gs.ReadAnyASN1(&base, &tag) {
			return nil, fmt.Errorf("subtree %d: malformed GeneralSubtree", i)
		}
		if !gs.ReadOptionalASN1(&minimum, &hasMin, cbasn1.Tag(0).ContextSpecific()) {
			return nil, fmt.Errorf("subtree %d: malformed minimum", i)
		}
		if hasMin && !bytes.Equal(minimum, []byte{0}) {
			return nil, fmt.Errorf("subtree %d: minimum must be 0 (RFC 5280 §4.2.1.10)", i)
		}
		if gs.PeekASN1Tag(cbasn1.Tag(1).ContextSpecific()) {
			return nil, fmt.Errorf("subtree %d: maximum must be absent (RFC 5280 §4.2.1.10)", i)
		}
		if !gs.Empty() {
			return nil, fmt.Errorf("subtree %d: unexpected data after base", i)
		}
		st, err := ncParseBase(tag, base)
		if err != nil {
			return nil, fmt.Errorf("subtree %d: %w", i, err)
		}
		st.from = from
		out = append(out, st)
	}
	return out, nil
}

// ncGeneralNameKind maps a GeneralName tag to its form, checking the
// primitive/constructed bit (IMPLICIT tagging except for directoryName,
// which is EXPLICIT because Name is a CHOICE).
func ncGeneralNameKind(tag cbasn1.Tag) (ncKind, error) {
	const classMask, constructed = 0xc0, 0x20
	if tag&classMask != 0x80 {
		return 0, fmt.Errorf("GeneralName has non-context-specific tag 0x%02x", uint8(tag))
	}
	k := ncKind(tag & 0x1f)
	if k >= numNCKinds {
		return 0, fmt.Errorf("unknown GeneralName tag [%d]", int(k))
	}
	wantConstructed := k == ncOtherName || k == ncX400 || k == ncDirName || k == ncEDIParty
	if (tag&constructed != 0) != wantConstructed {
		return 0, fmt.Errorf("%s has wrong primitive/constructed encoding", k)
	}
	return k, nil
}

// ncParseBase validates one subtree base and normalises it.
func ncParseBase(tag cbasn1.Tag, v cryptobyte.String) (ncSubtree, error) {
	k, err := ncGeneralNameKind(tag)
	if err != nil {
		return ncSubtree{}, err
	}
	st := ncSubtree{kind: k, raw: append([]byte(nil), v...)}
	switch k {
	case ncDNS:
		c := strings.ToLower(string(v))
		if c != "" && !ncValidDomain(strings.TrimPrefix(c, ".")) {
			return ncSubtree{}, fmt.Errorf("dNSName constraint %q is not a well-formed domain name", string(v))
		}
		st.str = c
	case ncRFC822:
		c := string(v)
		switch strings.Count(c, "@") {
		case 0:
			if c != "" && !ncValidDomain(strings.TrimPrefix(c, ".")) {
				return ncSubtree{}, fmt.Errorf("rfc822Name constraint %q is not a well-formed host or domain", c)
			}
			st.str = strings.ToLower(c)
		case 1:
			at := strings.IndexByte(c, '@')
			local, domain := c[:at], c[at+1:]
			if !ncValidLocalPart(local) || !ncValidDomain(domain) {
				return ncSubtree{}, fmt.Errorf("rfc822Name constraint %q is not a well-formed mailbox", c)
			}
			st.str = local + "@" + strings.ToLower(domain)
		default:
			return ncSubtree{}, fmt.Errorf("rfc822Name constraint %q has more than one '@'", c)
		}
	case ncURI:
		c := string(v)
		if strings.ContainsAny(c, ":/?#@[]") {
			return ncSubtree{}, fmt.Errorf("URI constraint %q must be a host or a domain, not a URI (RFC 5280 §4.2.1.10)", c)
		}
		if c != "" && !ncValidDomain(strings.TrimPrefix(c, ".")) {
			return ncSubtree{}, fmt.Errorf("URI constraint %q is not a well-formed host or domain", c)
		}
		if net.ParseIP(strings.TrimPrefix(c, ".")) != nil {
			return ncSubtree{}, fmt.Errorf("URI constraint %q is an IP address, not a host or domain", c)
		}
		st.str = strings.ToLower(c)
	case ncIP:
		var half int
		switch len(v) {
		case 8:
			half = 4
		case 32:
			half = 16
		default:
			return ncSubtree{}, fmt.Errorf("iPAddress constraint has length %d, want 8 (IPv4) or 32 (IPv6)", len(v))
		}
		ip, mask := []byte(v[:half]), []byte(v[half:])
		if !ncContiguousMask(mask) {
			return ncSubtree{}, fmt.Errorf("iPAddress constraint %s has a non-contiguous mask %x", net.IP(ip), mask)
		}
		st.ip = make([]byte, half)
		for i := range ip {
			st.ip[i] = ip[i] & mask[i]
		}
		st.mask = append([]byte(nil), mask...)
	case ncDirName:
		var name cryptobyte.String
		if !v.ReadASN1Element(&name, cbasn1.SEQUENCE) || !v.Empty() {
			return ncSubtree{}, errors.New("directoryName constraint is not a Name")
		}
		rdns, _, err := ncSplitName(name, false)
		if err != nil {
			return ncSubtree{}, fmt.Errorf("directoryName constraint: %w", err)
		}
		st.rdns = rdns
		st.raw = append([]byte(nil), name...)
	default:
		// otherName, x400Address, ediPartyName, registeredID: kept so that
		// names of that form are refused (see ncKind.supported).
	}
	return st, nil
}

// ncValidDomain reports whether s is a non-empty sequence of dot-separated
// labels of 1–63 letters, digits, '-' or '_' (not starting or ending with
// '-'), at most 253 bytes. Underscore is tolerated because it occurs in
// real-world names.
func ncValidDomain(s string) bool {
	if s == "" || len(s) > 253 {
		return false
	}
	for label := range strings.SplitSeq(s, ".") {
		if label == "" || len(label) > 63 || label[0] == '-' || label[len(label)-1] == '-' {
			return false
		}
		for i := 0; i < len(label); i++ {
			c := label[i]
			if !('a' <= c && c <= 'z' || 'A' <= c && c <= 'Z' || '0' <= c && c <= '9' || c == '-' || c == '_') {
				return false
			}
		}
	}
	return true
}

// ncValidLocalPart accepts a non-empty local part of printable ASCII without
// spaces (dot-atom or quoted-string content is not analysed further).
func ncValidLocalPart(s string) bool {
	if s == "" {
		return false
	}
	for i := 0; i < len(s); i++ {
		if s[i] <= ' ' || s[i] > '~' {
			return false
		}
	}
	return true
}

// ncContiguousMask reports whether mask is some 1 bits followed by 0 bits.
func ncContiguousMask(mask []byte) bool {
	zero := false
	for _, b := range mask {
		if zero {
			if b != 0 {
				return false
			}
			continue
		}
		switch b {
		case 0xff:
		case 0x00, 0x80, 0xc0, 0xe0, 0xf0, 0xf8, 0xfc, 0xfe:
			zero = true
		default:
			return false
		}
	}
	return true
}

// ncSplitName splits a DER Name (RDNSequence) into one comparison key per RDN.
// Each key is trust.CanonicalName of the one-RDN sequence, so two RDN lists
// have equal keys exactly when trust.SameName would match the names they
// form (RFC 5280 §7.1); an RDN that CanonicalName cannot decode is keyed by
// its DER bytes, as SameName falls back to byte equality. With wantEmail the
// values of emailAddress attributes are returned as well.
func ncSplitName(der cryptobyte.String, wantEmail bool) (keys, emails []string, err error) {
	var seq cryptobyte.String
	if !der.ReadASN1(&seq, cbasn1.SEQUENCE) || !der.Empty() {
		return nil, nil, errors.New("malformed Name")
	}
	for !seq.Empty() {
		var rdn cryptobyte.String
		if !seq.ReadASN1Element(&rdn, cbasn1.SET) {
			return nil, nil, errors.New("malformed RDN in Name")
		}
		var b cryptobyte.Builder
		b.AddASN1(cbasn1.SEQUENCE, func(b *cryptobyte.Builder) { b.AddBytes(rdn) })
		one, err := b.Bytes()
		if err != nil {
			return nil, nil, err
		}
		key, err := trust.CanonicalName(one)
		if err != nil {
			key = "\x01" + string(rdn)
		}
		keys = append(keys, key)
		if wantEmail {
			emails = append(emails, ncRDNEmails(rdn)...)
		}
	}
	return keys, emails, nil
}

// ncRDNEmails returns the string values of the emailAddress attributes in one
// RDN (DER SET OF AttributeTypeAndValue).
func ncRDNEmails(rdn cryptobyte.String) []string {
	var set cryptobyte.String
	if !rdn.ReadASN1(&set, cbasn1.SET) {
		return nil
	}
	var out []string
	for !set.Empty() {
		var atv, val cryptobyte.String
		var oid asn1.ObjectIdentifier
		var tag cbasn1.Tag
		if !set.ReadASN1(&atv, cbasn1.SEQUENCE) || !atv.ReadASN1ObjectIdentifier(&oid) || !atv.ReadAnyASN1(&val, &tag) {
			return out
		}
		if !oid.Equal(ncOIDEmailAddress) {
			continue
		}
		switch tag {
		case cbasn1.IA5String, cbasn1.UTF8String, cbasn1.PrintableString:
			out = append(out, string(val))
		default:
			// Not a string: keep something that cannot match any
			// constraint, so a constrained rfc822Name form refuses it.
			out = append(out, "\x00"+hex.EncodeToString(val))
		}
	}
	return out
}

// ---------------------------------------------------------------------------
// §6.1.3 (b), (c): checking a certificate's names.

// ncName is one name of a certificate subject to constraints.
type ncName struct {
	kind  ncKind
	where string // "subject", "subject emailAddress", "subjectAltName"
	str   string // rfc822Name, dNSName, URI as encoded
	ip    []byte
	der   []byte // directoryName (DER Name)
	rdns  []string
	// host / local / domain are derived for matching; ok is false when the
	// name cannot be interpreted (it then fails any constraint of its form).
	host, local, domain string
	ok                  bool
}

func (n *ncName) String() string {
	switch n.kind {
	case ncIP:
		if len(n.ip) == 4 || len(n.ip) == 16 {
			return n.where + " iPAddress " + net.IP(n.ip).String()
		}
		return n.where + " iPAddress " + hex.EncodeToString(n.ip)
	case ncDirName:
		if n.where == "subject" {
			return "subject name" // the certificate is named in the message anyway
		}
		return n.where + " directoryName " + strconv.Quote(ncDescribeName(n.der))
	case ncRFC822, ncDNS, ncURI:
		return n.where + " " + n.kind.String() + " " + strconv.Quote(n.str)
	}
	return n.where + " " + n.kind.String()
}

// check runs RFC 5280 §6.1.3 (b) and (c) on certificate c: its subject DN
// (unless empty), the emailAddress attributes of the subject DN, and every
// subjectAltName entry must be within permitted_subtrees and outside
// excluded_subtrees for their form. dNSName, rfc822Name, URI, iPAddress and
// directoryName constraints are evaluated; a name of any other form is
// refused when a constraint of that form is in force. The caller skips
// self-issued certificates other than the last one in the path.
func (s *nameConstraintsState) check(c *x509.Certificate) error {
	if s.empty() {
		return nil
	}
	names, err := s.collectNames(c)
	if err != nil {
		return fmt.Errorf("name constraints: %s: %w", ncDescribeCert(c), err)
	}
	for i := range names {
		n := &names[i]
		if !s.constrained(n.kind) {
			continue
		}
		if !n.kind.supported() {
			return fmt.Errorf("name constraints: %s has a %s while %s constraints are in force, which this validator does not process", ncDescribeCert(c), n, n.kind)
		}
		ncPrepareName(n)
		for _, lvl := range s.permitted[n.kind] {
			matched := false
			for j := range lvl.subtrees {
				if n.ok && lvl.subtrees[j].matches(n) {
					matched = true
					break
				}
			}
			if !matched {
				return fmt.Errorf("name constraints: %s of %s is not within the permitted subtrees %s set by %s", n, ncDescribeCert(c), ncDescribeSubtrees(lvl.subtrees), lvl.from)
			}
		}
		if len(s.excluded[n.kind]) > 0 && !n.ok {
			return fmt.Errorf("name constraints: %s of %s cannot be checked against the excluded %s subtrees (the name cannot be interpreted, e.g. a URI without a domain host)", n, ncDescribeCert(c), n.kind)
		}
		for j := range s.excluded[n.kind] {
			if st := &s.excluded[n.kind][j]; st.matches(n) {
				return fmt.Errorf("name constraints: %s of %s is within the excluded subtree %s set by %s", n, ncDescribeCert(c), st, st.from)
			}
		}
	}
	return nil
}

// collectNames gathers the names of c that constraints apply to, up to
// maxNCNames. Only the forms that are constrained are decoded in detail.
func (s *nameConstraintsState) collectNames(c *x509.Certificate) ([]ncName, error) {
	var names []ncName
	push := func(n ncName) error {
		if len(names) >= maxNCNames {
			return fmt.Errorf("more than %d names to check against name constraints", maxNCNames)
		}
		names = append(names, n)
		return nil
	}

	needDN, needEmail := s.constrained(ncDirName), s.constrained(ncRFC822)
	if needDN || needEmail {
		rdns, emails, err := ncSplitName(cryptobyte.String(c.RawSubject), needEmail)
		if err != nil {
			return nil, fmt.Errorf("subject: %w", err)
		}
		// An empty subject is not checked (RFC 5280 §6.1.3 (b)).
		if needDN && len(rdns) > 0 {
			if err := push(ncName{kind: ncDirName, where: "subject", der: c.RawSubject, rdns: rdns}); err != nil {
				return nil, err
			}
		}
		for _, e := range emails {
			if err := push(ncName{kind: ncRFC822, where: "subject emailAddress", str: e}); err != nil {
				return nil, err
			}
		}
	}

	value, found, err := ncFindExtension(c, ncOIDSubjectAltName)
	if err != nil || !found {
		return names, err
	}
	in := cryptobyte.String(value)
	var seq cryptobyte.String
	if !in.ReadASN1(&seq, cbasn1.SEQUENCE) || !in.Empty() {
		return nil, errors.New("malformed subjectAltName extension")
	}
	for !seq.Empty() {
		var v cryptobyte.String
		var tag cbasn1.Tag
		if !seq.ReadAnyASN1(&v, &tag) {
			return nil, errors.New("malformed subjectAltName entry")
		}
		k, err := ncGeneralNameKind(tag)
		if err != nil {
			return nil, fmt.Errorf("subjectAltName: %w", err)
		}
		n := ncName{kind: k, where: "subjectAltName"}
		switch k {
		case ncRFC822, ncDNS, ncURI:
			n.str = string(v)
		case ncIP:
			n.ip = []byte(v)
		case ncDirName:
			var name cryptobyte.String
			if !v.ReadASN1Element(&name, cbasn1.SEQUENCE) || !v.Empty() {
				return nil, errors.New("subjectAltName: malformed directoryName")
			}
			n.der = []byte(name)
			if s.constrained(ncDirName) {
				if n.rdns, _, err = ncSplitName(name, false); err != nil {
					return nil, fmt.Errorf("subjectAltName directoryName: %w", err)
				}
			}
		}
		if err := push(n); err != nil {
			return nil, err
		}
	}
	return names, nil
}

// ncPrepareName derives the parts used for matching and sets n.ok.
func ncPrepareName(n *ncName) {
	switch n.kind {
	case ncDNS:
		n.host = strings.TrimSuffix(strings.ToLower(n.str), ".")
		n.ok = true
	case ncRFC822:
		at := strings.LastIndexByte(n.str, '@')
		if at <= 0 || at == len(n.str)-1 || strings.HasPrefix(n.str, "\x00") {
			return
		}
		n.local = n.str[:at]
		n.domain = strings.TrimSuffix(strings.ToLower(n.str[at+1:]), ".")
		n.ok = n.domain != ""
	case ncURI:
		n.host, n.ok = ncURIHost(n.str)
	case ncIP:
		n.ok = len(n.ip) == 4 || len(n.ip) == 16
	case ncDirName:
		n.ok = true
	}
}

// ncURIHost returns the lower-cased host of an absolute URI with an authority
// whose host is a domain name; URIs without an authority or with an IP
// literal host have no usable host (RFC 5280 §4.2.1.10).
func ncURIHost(s string) (string, bool) {
	u, err := url.Parse(s)
	if err != nil || u.Scheme == "" || u.Opaque != "" || u.Host == "" {
		return "", false
	}
	if strings.HasPrefix(u.Host, "[") {
		return "", false
	}
	h := strings.TrimSuffix(strings.ToLower(u.Hostname()), ".")
	if h == "" || net.ParseIP(h) != nil {
		return "", false
	}
	return h, true
}

// matches reports whether name n (prepared, n.ok) is within subtree st; both
// have the same form.
func (st *ncSubtree) matches(n *ncName) bool {
	if !n.ok || st.kind != n.kind {
		return false
	}
	switch st.kind {
	case ncDNS:
		return ncMatchDNS(st.str, n.host)
	case ncRFC822:
		c := st.str
		if at := strings.IndexByte(c, '@'); at >= 0 {
			return n.local == c[:at] && n.domain == c[at+1:]
		}
		if c == "" {
			return true
		}
		if c[0] == '.' {
			return len(n.domain) > len(c) && strings.HasSuffix(n.domain, c)
		}
		return n.domain == c
	case ncURI:
		c := st.str
		if c == "" {
			return true
		}
		if c[0] == '.' {
			return len(n.host) > len(c) && strings.HasSuffix(n.host, c)
		}
		return n.host == c
	case ncIP:
		if len(n.ip) != len(st.ip) {
			return false // IPv4 and IPv6 are kept apart
		}
		for i := range n.ip {
			if n.ip[i]&st.mask[i] != st.ip[i] {
				return false
			}
		}
		return true
	case ncDirName:
		if len(st.rdns) > len(n.rdns) {
			return false
		}
		for i, k := range st.rdns {
			if n.rdns[i] != k {
				return false
			}
		}
		return true
	}
	return false
}

// ncMatchDNS: "example.com" matches example.com and its subdomains,
// ".example.com" only its subdomains, "" everything.
func ncMatchDNS(c, host string) bool {
	switch {
	case c == "":
		return true
	case c[0] == '.':
		return len(host) > len(c) && strings.HasSuffix(host, c)
	case host == c:
		return true
	default:
		return len(host) > len(c) && strings.HasSuffix(host, c) && host[len(host)-len(c)-1] == '.'
	}
}

// ---------------------------------------------------------------------------
// Messages.

func (st *ncSubtree) String() string {
	switch st.kind {
	case ncDNS, ncRFC822, ncURI:
		return st.kind.String() + " " + strconv.Quote(st.str)
	case ncIP:
		ones, _ := net.IPMask(st.mask).Size()
		return st.kind.String() + " " + net.IP(st.ip).String() + "/" + strconv.Itoa(ones)
	case ncDirName:
		return st.kind.String() + " " + strconv.Quote(ncDescribeName(st.raw))
	}
	return st.kind.String() + " " + hex.EncodeToString(st.raw)
}

func ncDescribeSubtrees(sts []ncSubtree) string {
	const show = 5
	parts := make([]string, 0, show+1)
	for i := range sts {
		if i == show {
			parts = append(parts, fmt.Sprintf("and %d more", len(sts)-show))
			break
		}
		parts = append(parts, sts[i].String())
	}
	return "[" + strings.Join(parts, ", ") + "]"
}

// ncDescribeName renders a DER Name for messages.
func ncDescribeName(der []byte) string {
	var rdns pkix.RDNSequence
	if rest, err := asn1.Unmarshal(der, &rdns); err != nil || len(rest) != 0 {
		return "0x" + hex.EncodeToString(der)
	}
	if len(rdns) == 0 {
		return "(empty)"
	}
	return rdns.String()
}

func ncDescribeCert(c *x509.Certificate) string {
	return "certificate " + strconv.Quote(ncDescribeName(c.RawSubject))
}
