package validate

import (
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/asn1"
	"fmt"
	"math/big"
	"net"
	"reflect"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/lienthong/lienthong/test/shared"
	"github.com/lienthong/lienthong/trust"
	"golang.org/x/crypto/cryptobyte"
	cbasn1 "golang.org/x/crypto/cryptobyte/asn1"
)

// ncRunChain applies the name-constraints part of RFC 5280 §6.1 to chain
// (trust anchor first, not processed), as the main validator does.
func ncRunChain(chain []*x509.Certificate) error {
	state := newNameConstraintsState()
	n := len(chain) - 1
	for i := 1; i <= n; i++ {
		c := chain[i]
		selfIssued := trust.SameName(c.RawSubject, c.RawIssuer)
		if !(selfIssued && i < n) {
			if err := state.check(c); err != nil {
				return err
			}
		}
		if i < n {
			if err := state.add(c); err != nil {
				return err
			}
		}
	}
	return nil
}

// ---------------------------------------------------------------------------
// NIST PKITS §4.13.

func TestNameConstraintsPKITS(t *testing.T) {
	pk := shared.LoadPKITS(t)
	total, pass := 0, 0
	for _, e := range pk.Section("4.13") {
		total++
		var chain []*x509.Certificate
		for _, f := range e.Chain {
			chain = append(chain, pk.Cert(t, f))
		}
		err := ncRunChain(chain)
		got := "valid"
		if err != nil {
			got = "invalid"
		}
		if got != e.Expected {
			t.Errorf("%s %s: got %s, want %s (err: %v)", e.ID, e.Name, got, e.Expected, err)
			continue
		}
		pass++
		if err != nil {
			t.Logf("%s %s: %v", e.ID, e.Name, err)
		}
	}
	if total != 38 {
		t.Errorf("found %d entries in section 4.13, want 38", total)
	}
	t.Logf("PKITS 4.13: %d/%d", pass, total)
}

// ---------------------------------------------------------------------------
// Helpers for generated certificates.

var (
	ncKeyOnce sync.Once
	ncKey     *ecdsa.PrivateKey
	ncSerial  int64
)

func ncTestKey(t testing.TB) *ecdsa.PrivateKey {
	ncKeyOnce.Do(func() {
		k, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
		if err != nil {
			panic(err)
		}
		ncKey = k
	})
	return ncKey
}

// ncCertDER issues a self-signed P-256 certificate (the signature does not
// matter here) with the given raw subject (nil: CN=test) and extensions.
func ncCertDER(t testing.TB, rawSubject []byte, exts ...pkix.Extension) []byte {
	t.Helper()
	key := ncTestKey(t)
	ncSerial++
	tmpl := &x509.Certificate{
		SerialNumber:    big.NewInt(ncSerial),
		Subject:         pkix.Name{CommonName: "test"},
		RawSubject:      rawSubject,
		NotBefore:       time.Now().Add(-time.Hour),
		NotAfter:        time.Now().Add(time.Hour),
		ExtraExtensions: exts,
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	if err != nil {
		t.Fatal(err)
	}
	return der
}

func ncCert(t testing.TB, rawSubject []byte, exts ...pkix.Extension) *x509.Certificate {
	t.Helper()
	c, err := x509.ParseCertificate(ncCertDER(t, rawSubject, exts...))
	if err != nil {
		t.Fatalf("parsing generated certificate: %v", err)
	}
	return c
}

// ncCertAnyway is ncCert for extensions crypto/x509 itself refuses: the
// certificate is generated with x509.CreateCertificate, and when
// x509.ParseCertificate rejects it the *x509.Certificate is rebuilt from a
// valid sibling with the raw extension put back, as a more lenient parser
// would hand it over.
func ncCertAnyway(t testing.TB, exts ...pkix.Extension) *x509.Certificate {
	t.Helper()
	der := ncCertDER(t, nil, exts...)
	if c, err := x509.ParseCertificate(der); err == nil {
		return c
	}
	c := ncCert(t, nil)
	c.Raw = der
	c.Extensions = append(c.Extensions, exts...)
	return c
}

// ncRDNAttr is one attribute of a test name; tag selects the string type.
type ncRDNAttr struct {
	oid asn1.ObjectIdentifier
	tag int
	val string
}

var (
	ncOIDC  = asn1.ObjectIdentifier{2, 5, 4, 6}
	ncOIDO  = asn1.ObjectIdentifier{2, 5, 4, 10}
	ncOIDOU = asn1.ObjectIdentifier{2, 5, 4, 11}
	ncOIDCN = asn1.ObjectIdentifier{2, 5, 4, 3}
)

// ncNameDER builds a DER Name, one attribute per RDN (an element with several
// attributes makes a multi-valued RDN).
func ncNameDER(t testing.TB, rdns ...[]ncRDNAttr) []byte {
	t.Helper()
	var seq []asn1.RawValue
	for _, rdn := range rdns {
		var set []byte
		for _, a := range rdn {
			tag := a.tag
			if tag == 0 {
				tag = asn1.TagUTF8String
			}
			atv, err := asn1.Marshal(struct {
				Type  asn1.ObjectIdentifier
				Value asn1.RawValue
			}{a.oid, asn1.RawValue{Tag: tag, Bytes: []byte(a.val)}})
			if err != nil {
				t.Fatal(err)
			}
			set = append(set, atv...)
		}
		seq = append(seq, asn1.RawValue{Class: asn1.ClassUniversal, Tag: asn1.TagSet, IsCompound: true, Bytes: set})
	}
	der, err := asn1.Marshal(seq)
	if err != nil {
		t.Fatal(err)
	}
	return der
}

func ncAttr(oid asn1.ObjectIdentifier, v string) []ncRDNAttr { return []ncRDNAttr{{oid: oid, val: v}} }

func ncPrintable(oid asn1.ObjectIdentifier, v string) []ncRDNAttr {
	return []ncRDNAttr{{oid: oid, tag: asn1.TagPrintableString, val: v}}
}

// ncGN is an encoded GeneralName.
type ncGN struct {
	tag         uint8
	constructed bool
	value       []byte
}

func ncGNDNS(s string) ncGN   { return ncGN{tag: 2, value: []byte(s)} }
func ncGNEmail(s string) ncGN { return ncGN{tag: 1, value: []byte(s)} }
func ncGNURI(s string) ncGN   { return ncGN{tag: 6, value: []byte(s)} }
func ncGNIP(b []byte) ncGN    { return ncGN{tag: 7, value: b} }
func ncGNDir(der []byte) ncGN { return ncGN{tag: 4, constructed: true, value: der} }
func ncGNOther(oid asn1.ObjectIdentifier, v string) ncGN {
	var b cryptobyte.Builder
	b.AddASN1ObjectIdentifier(oid)
	b.AddASN1(cbasn1.Tag(0).ContextSpecific().Constructed(), func(b *cryptobyte.Builder) {
		b.AddASN1(cbasn1.UTF8String, func(b *cryptobyte.Builder) { b.AddBytes([]byte(v)) })
	})
	return ncGN{tag: 0, constructed: true, value: b.BytesOrPanic()}
}

// ncGNCIDR is an iPAddress constraint base (address followed by mask).
func ncGNCIDR(t testing.TB, cidr string) ncGN {
	t.Helper()
	_, n, err := net.ParseCIDR(cidr)
	if err != nil {
		t.Fatal(err)
	}
	ip := n.IP
	if v4 := ip.To4(); v4 != nil && len(n.Mask) == 4 {
		ip = v4
	}
	return ncGNIP(append(append([]byte(nil), ip...), n.Mask...))
}

func (g ncGN) add(b *cryptobyte.Builder) {
	tag := cbasn1.Tag(g.tag).ContextSpecific()
	if g.constructed {
		tag = tag.Constructed()
	}
	b.AddASN1(tag, func(b *cryptobyte.Builder) { b.AddBytes(g.value) })
}

// ncST is a GeneralSubtree; min/max hold raw INTEGER content when set.
type ncST struct {
	base     ncGN
	min, max []byte
}

func ncSub(g ncGN) ncST { return ncST{base: g} }

func ncAddSubtrees(b *cryptobyte.Builder, tag cbasn1.Tag, sts []ncST) {
	b.AddASN1(tag, func(b *cryptobyte.Builder) {
		for _, s := range sts {
			b.AddASN1(cbasn1.SEQUENCE, func(b *cryptobyte.Builder) {
				s.base.add(b)
				if s.min != nil {
					b.AddASN1(cbasn1.Tag(0).ContextSpecific(), func(b *cryptobyte.Builder) { b.AddBytes(s.min) })
				}
				if s.max != nil {
					b.AddASN1(cbasn1.Tag(1).ContextSpecific(), func(b *cryptobyte.Builder) { b.AddBytes(s.max) })
				}
			})
		}
	})
}

// ncExt builds a nameConstraints extension; nil lists are omitted.
func ncExt(permitted, excluded []ncST) pkix.Extension {
	var b cryptobyte.Builder
	b.AddASN1(cbasn1.SEQUENCE, func(b *cryptobyte.Builder) {
		if permitted != nil {
			ncAddSubtrees(b, cbasn1.Tag(0).ContextSpecific().Constructed(), permitted)
		}
		if excluded != nil {
			ncAddSubtrees(b, cbasn1.Tag(1).ContextSpecific().Constructed(), excluded)
		}
	})
	return pkix.Extension{Id: ncOIDNameConstraints, Critical: true, Value: b.BytesOrPanic()}
}

func ncSANExt(names ...ncGN) pkix.Extension {
	var b cryptobyte.Builder
	b.AddASN1(cbasn1.SEQUENCE, func(b *cryptobyte.Builder) {
		for _, g := range names {
			g.add(b)
		}
	})
	return pkix.Extension{Id: ncOIDSubjectAltName, Value: b.BytesOrPanic()}
}

// ncState builds a state from CA certificates carrying the given extensions.
func ncState(t testing.TB, exts ...pkix.Extension) *nameConstraintsState {
	t.Helper()
	s := newNameConstraintsState()
	for i, e := range exts {
		if err := s.add(ncCert(t, ncNameDER(t, ncAttr(ncOIDCN, fmt.Sprintf("CA %d", i))), e)); err != nil {
			t.Fatalf("add CA %d: %v", i, err)
		}
	}
	return s
}

// ncExpect checks leaf against s.
func ncExpect(t *testing.T, s *nameConstraintsState, leaf *x509.Certificate, ok bool, what string) {
	t.Helper()
	err := s.check(leaf)
	if ok && err != nil {
		t.Errorf("%s: unexpected error: %v", what, err)
	}
	if !ok && err == nil {
		t.Errorf("%s: accepted, want a name-constraints violation", what)
	}
}

func ncLeafSAN(t testing.TB, names ...ncGN) *x509.Certificate {
	return ncCert(t, ncNameDER(t, ncAttr(ncOIDCN, "leaf")), ncSANExt(names...))
}

// ---------------------------------------------------------------------------
// Malformed extensions.

func TestNameConstraintsMalformed(t *testing.T) {
	dns := ncSub(ncGNDNS("example.com"))
	trailing := ncExt([]ncST{dns}, nil)
	trailing.Value = append(trailing.Value, 0)
	cases := []struct {
		name string
		ext  pkix.Extension
	}{
		{"minimum 1", ncExt([]ncST{{base: ncGNDNS("example.com"), min: []byte{1}}}, nil)},
		{"minimum 256", ncExt([]ncST{{base: ncGNDNS("example.com"), min: []byte{1, 0}}}, nil)},
		{"maximum present", ncExt([]ncST{{base: ncGNDNS("example.com"), max: []byte{0}}}, nil)},
		{"maximum in excluded", ncExt(nil, []ncST{{base: ncGNDNS("example.com"), max: []byte{3}}})},
		{"non-contiguous IPv4 mask", ncExt([]ncST{ncSub(ncGNIP([]byte{10, 0, 0, 0, 255, 0, 255, 0}))}, nil)},
		{"non-contiguous IPv6 mask", ncExt(nil, []ncST{ncSub(ncGNIP(append(make([]byte, 16), append([]byte{0xff, 0x7f}, make([]byte, 14)...)...)))})},
		{"IP constraint of 5 bytes", ncExt([]ncST{ncSub(ncGNIP([]byte{10, 0, 0, 0, 255}))}, nil)},
		{"IP constraint of 16 bytes", ncExt([]ncST{ncSub(ncGNIP(make([]byte, 16)))}, nil)},
		{"email with two @", ncExt([]ncST{ncSub(ncGNEmail("a@b@example.com"))}, nil)},
		{"email with empty local part", ncExt([]ncST{ncSub(ncGNEmail("@example.com"))}, nil)},
		{"email bad domain", ncExt([]ncST{ncSub(ncGNEmail("a@exa mple.com"))}, nil)},
		{"URI constraint is a URI", ncExt([]ncST{ncSub(ncGNURI("http://example.com"))}, nil)},
		{"URI constraint with path", ncExt(nil, []ncST{ncSub(ncGNURI("example.com/path"))})},
		{"URI constraint is an IP", ncExt([]ncST{ncSub(ncGNURI("192.0.2.1"))}, nil)},
		{"DNS label starts with hyphen", ncExt([]ncST{ncSub(ncGNDNS("-bad.example.com"))}, nil)},
		{"DNS empty label", ncExt([]ncST{ncSub(ncGNDNS("foo..example.com"))}, nil)},
		{"DNS trailing dot", ncExt([]ncST{ncSub(ncGNDNS("example.com."))}, nil)},
		{"DNS space", ncExt([]ncST{ncSub(ncGNDNS("exa mple.com"))}, nil)},
		{"DNS wildcard", ncExt([]ncST{ncSub(ncGNDNS("*.example.com"))}, nil)},
		{"DNS label too long", ncExt([]ncST{ncSub(ncGNDNS(strings.Repeat("a", 64) + ".com"))}, nil)},
		{"directoryName not a Name", ncExt([]ncST{ncSub(ncGN{tag: 4, constructed: true, value: []byte{0x04, 0x01, 0x00}})}, nil)},
		{"primitive directoryName", ncExt([]ncST{ncSub(ncGN{tag: 4, value: ncNameDER(t, ncAttr(ncOIDCN, "x"))})}, nil)},
		{"unknown GeneralName tag", ncExt([]ncST{ncSub(ncGN{tag: 9, value: []byte("x")})}, nil)},
		{"neither permitted nor excluded", ncExt(nil, nil)},
		{"empty permittedSubtrees", ncExt([]ncST{}, nil)},
		{"trailing data", trailing},
		{"not a SEQUENCE", pkix.Extension{Id: ncOIDNameConstraints, Value: []byte{0x04, 0x00}}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			s := ncState(t, ncExt(nil, []ncST{ncSub(ncGNDNS("before.example"))}))
			before := s.clone()
			err := s.add(ncCertAnyway(t, tc.ext))
			if err == nil {
				t.Fatal("add accepted a malformed nameConstraints extension")
			}
			t.Log(err)
			if !reflect.DeepEqual(s, before) {
				t.Error("a failed add changed the state")
			}
		})
	}

	// Accepted forms: an explicit minimum of 0, a leading-dot DNS name, an
	// empty DNS constraint, underscores.
	for _, ext := range []pkix.Extension{
		ncExt([]ncST{{base: ncGNDNS("example.com"), min: []byte{0}}}, nil),
		ncExt([]ncST{ncSub(ncGNDNS(".example.com")), ncSub(ncGNDNS("")), ncSub(ncGNDNS("_srv.example.com"))}, nil),
		ncExt([]ncST{ncSub(ncGNEmail("User.Name+tag@Example.COM")), ncSub(ncGNEmail(".example.com"))}, nil),
		ncExt(nil, []ncST{ncSub(ncGNURI(".example.com")), ncSub(ncGNURI("host.example.com"))}),
		ncExt([]ncST{ncSub(ncGNCIDR(t, "0.0.0.0/0")), ncSub(ncGNCIDR(t, "2001:db8::/32"))}, nil),
	} {
		if err := newNameConstraintsState().add(ncCertAnyway(t, ext)); err != nil {
			t.Errorf("well-formed extension refused: %v", err)
		}
	}
}

func TestNameConstraintsDuplicateExtension(t *testing.T) {
	e := ncExt([]ncST{ncSub(ncGNDNS("example.com"))}, nil)
	c := ncCert(t, nil, e)
	c.Extensions = append(c.Extensions, e)
	if err := newNameConstraintsState().add(c); err == nil {
		t.Error("two nameConstraints extensions accepted")
	}
}

func TestHasNameConstraints(t *testing.T) {
	if hasNameConstraints(ncCert(t, nil)) {
		t.Error("plain certificate reported as having nameConstraints")
	}
	if !hasNameConstraints(ncCert(t, nil, ncExt(nil, []ncST{ncSub(ncGNDNS("example.com"))}))) {
		t.Error("nameConstraints not detected")
	}
	// No constraints: add is a no-op, check accepts anything.
	s := newNameConstraintsState()
	if err := s.add(ncCert(t, nil)); err != nil {
		t.Fatal(err)
	}
	if !s.empty() {
		t.Error("state not empty after adding a certificate without nameConstraints")
	}
	ncExpect(t, s, ncLeafSAN(t, ncGNDNS("anything.example"), ncGNIP([]byte{1, 2, 3, 4})), true, "unconstrained")
}

// ---------------------------------------------------------------------------
// Matching semantics per form.

func TestNameConstraintsDNS(t *testing.T) {
	s := ncState(t, ncExt([]ncST{ncSub(ncGNDNS("Example.COM")), ncSub(ncGNDNS(".sub.test"))}, []ncST{ncSub(ncGNDNS("bad.example.com"))}))
	for _, tc := range []struct {
		name string
		ok   bool
	}{
		{"example.com", true},
		{"EXAMPLE.com", true},
		{"www.example.com", true},
		{"a.b.example.com", true},
		{"myexample.com", false},
		{"example.com.evil", false},
		{"sub.test", false}, // leading dot: subdomains only
		{"x.sub.test", true},
		{"bad.example.com", false},
		{"BAD.Example.com", false},
		{"bad.example.com.", false}, // trailing dot does not escape exclusion
		{"www.bad.example.com", false},
		{"notbad.example.com", true},
	} {
		ncExpect(t, s, ncLeafSAN(t, ncGNDNS(tc.name)), tc.ok, "dNSName "+tc.name)
	}
	// Every name of the form must be permitted.
	ncExpect(t, s, ncLeafSAN(t, ncGNDNS("www.example.com"), ncGNDNS("other.org")), false, "one permitted, one not")
	// Other forms are unconstrained.
	ncExpect(t, s, ncLeafSAN(t, ncGNEmail("a@other.org"), ncGNIP([]byte{8, 8, 8, 8})), true, "no dNSName")
}

func TestNameConstraintsEmail(t *testing.T) {
	s := ncState(t, ncExt([]ncST{
		ncSub(ncGNEmail("Alice@Mail.Example.com")), // one mailbox
		ncSub(ncGNEmail("host.example.org")),       // all mailboxes on one host
		ncSub(ncGNEmail(".example.net")),           // any host in a domain
	}, nil))
	for _, tc := range []struct {
		name string
		ok   bool
	}{
		{"Alice@mail.example.com", true},
		{"Alice@MAIL.EXAMPLE.COM", true},
		{"alice@mail.example.com", false}, // local part is case-sensitive
		{"bob@mail.example.com", false},
		{"x@host.example.org", true},
		{"x@HOST.example.org", true},
		{"x@sub.host.example.org", false},
		{"x@example.net", false},
		{"x@a.example.net", true},
		{"x@a.b.example.net", true},
		{"no-at-sign", false},
	} {
		ncExpect(t, s, ncLeafSAN(t, ncGNEmail(tc.name)), tc.ok, "rfc822Name "+tc.name)
	}

	// The subject's emailAddress attributes are checked as well, with or
	// without an rfc822Name in subjectAltName.
	subj := ncNameDER(t, ncAttr(ncOIDCN, "x"), []ncRDNAttr{{oid: ncOIDEmailAddress, tag: asn1.TagIA5String, val: "x@evil.example"}})
	ncExpect(t, s, ncCert(t, subj), false, "subject emailAddress only")
	ncExpect(t, s, ncCert(t, subj, ncSANExt(ncGNEmail("x@a.example.net"))), false, "subject emailAddress plus permitted SAN")
	good := ncNameDER(t, ncAttr(ncOIDCN, "x"), []ncRDNAttr{{oid: ncOIDEmailAddress, tag: asn1.TagIA5String, val: "y@host.example.org"}})
	ncExpect(t, s, ncCert(t, good, ncSANExt(ncGNEmail("x@a.example.net"))), true, "permitted subject emailAddress and SAN")

	ex := ncState(t, ncExt(nil, []ncST{ncSub(ncGNEmail("example.com"))}))
	ncExpect(t, ex, ncLeafSAN(t, ncGNEmail("x@Example.com")), false, "excluded host")
	ncExpect(t, ex, ncLeafSAN(t, ncGNEmail("x@sub.example.com")), true, "host constraint does not cover subdomains")
	ncExpect(t, ex, ncLeafSAN(t, ncGNEmail("no-at-sign")), false, "uninterpretable address with an exclusion in force")
}

func TestNameConstraintsURI(t *testing.T) {
	p := ncState(t, ncExt([]ncST{ncSub(ncGNURI(".example.com")), ncSub(ncGNURI("host.test"))}, nil))
	for _, tc := range []struct {
		uri string
		ok  bool
	}{
		{"https://www.example.com/path", true},
		{"https://user@WWW.Example.com:8443/x?y#z", true},
		{"https://example.com/", false}, // leading dot: subdomains only
		{"https://host.test/", true},
		{"ldap://HOST.test:389/cn=x", true},
		{"https://www.host.test/", false}, // no leading dot: that host only
		{"https://www.example.com.evil/", false},
		{"urn:uuid:6e8bc430-9c3a-11d9-9669-0800200c9a66", false},
		{"mailto:a@www.example.com", false},
		{"https://192.0.2.1/", false},
		{"https://[2001:db8::1]/", false},
		{"/relative/path", false},
	} {
		ncExpect(t, p, ncLeafSAN(t, ncGNURI(tc.uri)), tc.ok, "URI "+tc.uri)
	}

	ex := ncState(t, ncExt(nil, []ncST{ncSub(ncGNURI("bad.example"))}))
	ncExpect(t, ex, ncLeafSAN(t, ncGNURI("ftp://bad.example:21/x")), false, "excluded host with port")
	ncExpect(t, ex, ncLeafSAN(t, ncGNURI("http://www.bad.example/")), true, "host constraint does not cover subdomains")
	// crypto/x509 refuses this one itself; the engine must not rely on that.
	ncExpect(t, ex, ncCertAnyway(t, ncSANExt(ncGNURI("http://BAD.example./"))), false, "excluded host with trailing dot and upper case")
	ncExpect(t, ex, ncLeafSAN(t, ncGNURI("urn:isbn:0451450523")), false, "URI without authority while URI constraints exist")
	ncExpect(t, ex, ncLeafSAN(t, ncGNURI("http://10.0.0.1/")), false, "IP host while URI constraints exist")
}

func TestNameConstraintsIPv4(t *testing.T) {
	s := ncState(t, ncExt([]ncST{ncSub(ncGNCIDR(t, "10.0.0.0/8")), ncSub(ncGNCIDR(t, "192.168.1.0/24"))}, []ncST{ncSub(ncGNCIDR(t, "10.9.0.0/16"))}))
	for _, tc := range []struct {
		ip string
		ok bool
	}{
		{"10.1.2.3", true},
		{"192.168.1.200", true},
		{"192.168.2.1", false},
		{"11.0.0.1", false},
		{"10.9.1.1", false},
		{"::ffff:10.1.2.3", false}, // an IPv6 address: not within IPv4 subtrees
		{"2001:db8::1", false},
	} {
		ip := net.ParseIP(tc.ip)
		if !strings.Contains(tc.ip, ":") {
			ip = ip.To4()
		}
		ncExpect(t, s, ncLeafSAN(t, ncGNIP(ip)), tc.ok, "iPAddress "+tc.ip)
	}
}

func TestNameConstraintsIPv6(t *testing.T) {
	s := ncState(t,
		ncExt([]ncST{ncSub(ncGNCIDR(t, "2001:db8::/32")), ncSub(ncGNCIDR(t, "10.0.0.0/8"))}, []ncST{ncSub(ncGNCIDR(t, "2001:db8:bad::/48"))}),
	)
	for _, tc := range []struct {
		ip string
		ok bool
	}{
		{"2001:db8::1", true},
		{"2001:db8:ffff::1", true},
		{"2001:db9::1", false},
		{"2001:db8:bad::1", false},
		{"2001:db8:bad:1::1", false},
		{"2001:db8:bae::1", true},
		{"::ffff:10.0.0.1", false}, // IPv4-mapped IPv6 is IPv6, not 10/8
		{"10.0.0.1", true},
	} {
		ip := net.ParseIP(tc.ip)
		if !strings.Contains(tc.ip, ":") {
			ip = ip.To4()
		}
		ncExpect(t, s, ncLeafSAN(t, ncGNIP(ip)), tc.ok, "iPAddress "+tc.ip)
	}
	// IPv4 subtrees never match an IPv6 address with the same leading bytes.
	v4only := ncState(t, ncExt(nil, []ncST{ncSub(ncGNCIDR(t, "32.1.0.0/16"))}))
	ncExpect(t, v4only, ncLeafSAN(t, ncGNIP(net.ParseIP("2001:db8::1"))), true, "IPv6 vs IPv4 exclusion 32.1/16")
	// A zero-length IPv6 exclusion excludes every IPv6 address and no IPv4.
	noV6 := ncState(t, ncExt(nil, []ncST{ncSub(ncGNCIDR(t, "::/0"))}))
	ncExpect(t, noV6, ncLeafSAN(t, ncGNIP(net.ParseIP("::1"))), false, "::/0 excluded")
	ncExpect(t, noV6, ncLeafSAN(t, ncGNIP(net.ParseIP("127.0.0.1").To4())), true, "IPv4 with ::/0 excluded")
}

func TestNameConstraintsDirectoryName(t *testing.T) {
	name := func(extra ...[]ncRDNAttr) []byte {
		rdns := [][]ncRDNAttr{ncPrintable(ncOIDC, "VN"), ncPrintable(ncOIDO, "Example Org")}
		return ncNameDER(t, append(rdns, extra...)...)
	}
	permitted := name(ncAttr(ncOIDOU, "Permitted"))
	excluded := name(ncAttr(ncOIDOU, "Permitted"), ncAttr(ncOIDOU, "Excluded"))
	s := ncState(t, ncExt([]ncST{ncSub(ncGNDir(permitted))}, []ncST{ncSub(ncGNDir(excluded))}))

	// Subject names; the constraint used PrintableString, these mostly UTF8String.
	for _, tc := range []struct {
		what string
		der  []byte
		ok   bool
	}{
		{"exact", permitted, true},
		{"below", name(ncAttr(ncOIDOU, "Permitted"), ncAttr(ncOIDCN, "leaf")), true},
		{"case and spaces differ", ncNameDER(t, ncAttr(ncOIDC, "vn"), ncAttr(ncOIDO, "  example   ORG "), ncAttr(ncOIDOU, "permitted"), ncAttr(ncOIDCN, "leaf")), true},
		{"outside", name(ncAttr(ncOIDOU, "Other"), ncAttr(ncOIDCN, "leaf")), false},
		{"parent of the subtree", name(), false},
		{"excluded", name(ncAttr(ncOIDOU, "Permitted"), ncAttr(ncOIDOU, "EXCLUDED"), ncAttr(ncOIDCN, "leaf")), false},
		{"RDN order matters", ncNameDER(t, ncAttr(ncOIDO, "Example Org"), ncAttr(ncOIDC, "VN"), ncAttr(ncOIDOU, "Permitted")), false},
		{"multi-valued RDN is not a prefix match", name([]ncRDNAttr{{oid: ncOIDOU, val: "Permitted"}, {oid: ncOIDCN, val: "x"}}), false},
	} {
		ncExpect(t, s, ncCert(t, tc.der), tc.ok, "subject "+tc.what)
	}

	// An empty subject is not checked; its SAN is.
	empty := ncNameDER(t)
	ncExpect(t, s, ncCert(t, empty, ncSANExt(ncGNDNS("x.example"))), true, "empty subject")
	ncExpect(t, s, ncCert(t, empty, ncSANExt(ncGNDir(name(ncAttr(ncOIDOU, "Other"))))), false, "empty subject, directoryName SAN outside")

	// directoryName in subjectAltName.
	ncExpect(t, s, ncCert(t, permitted, ncSANExt(ncGNDir(name(ncAttr(ncOIDOU, "Permitted"), ncAttr(ncOIDCN, "alt"))))), true, "SAN inside")
	ncExpect(t, s, ncCert(t, permitted, ncSANExt(ncGNDir(excluded))), false, "SAN excluded")
}

// Permitted subtrees set at several levels intersect.
func TestNameConstraintsIntersection(t *testing.T) {
	s := ncState(t,
		ncExt([]ncST{ncSub(ncGNDNS("example.com")), ncSub(ncGNDNS("example.org"))}, nil),
		ncExt([]ncST{ncSub(ncGNDNS("a.example.com")), ncSub(ncGNDNS("other.net")), ncSub(ncGNDNS("example.org"))}, nil),
		ncExt([]ncST{ncSub(ncGNEmail(".example.com"))}, nil), // another form: DNS levels unaffected
	)
	for _, tc := range []struct {
		name string
		ok   bool
	}{
		{"x.a.example.com", true},
		{"a.example.com", true},
		{"b.example.com", false},
		{"other.net", false},
		{"www.example.org", true},
	} {
		ncExpect(t, s, ncLeafSAN(t, ncGNDNS(tc.name)), tc.ok, "dNSName "+tc.name)
	}
	ncExpect(t, s, ncLeafSAN(t, ncGNEmail("u@mx.example.com")), true, "email within the email level")

	// Disjoint levels: no dNSName at all is allowed, other forms are.
	empty := ncState(t, ncExt([]ncST{ncSub(ncGNDNS("example.com"))}, nil), ncExt([]ncST{ncSub(ncGNDNS("example.org"))}, nil))
	ncExpect(t, empty, ncLeafSAN(t, ncGNDNS("example.com")), false, "empty intersection, first level")
	ncExpect(t, empty, ncLeafSAN(t, ncGNDNS("example.org")), false, "empty intersection, second level")
	ncExpect(t, empty, ncLeafSAN(t, ncGNIP([]byte{1, 2, 3, 4})), true, "empty DNS intersection, IP name")
	ncExpect(t, empty, ncCert(t, ncNameDER(t, ncAttr(ncOIDCN, "no SAN"))), true, "empty DNS intersection, no DNS name")

	// Excluded subtrees accumulate (union).
	ex := ncState(t, ncExt(nil, []ncST{ncSub(ncGNDNS("a.example"))}), ncExt(nil, []ncST{ncSub(ncGNDNS("b.example"))}))
	ncExpect(t, ex, ncLeafSAN(t, ncGNDNS("a.example")), false, "first exclusion")
	ncExpect(t, ex, ncLeafSAN(t, ncGNDNS("x.b.example")), false, "second exclusion")
	ncExpect(t, ex, ncLeafSAN(t, ncGNDNS("c.example")), true, "not excluded")

	// clone is independent.
	c := ex.clone()
	if err := c.add(ncCert(t, nil, ncExt(nil, []ncST{ncSub(ncGNDNS("c.example"))}))); err != nil {
		t.Fatal(err)
	}
	ncExpect(t, ex, ncLeafSAN(t, ncGNDNS("c.example")), true, "original after clone+add")
	ncExpect(t, c, ncLeafSAN(t, ncGNDNS("c.example")), false, "clone after add")
}

// Forms whose constraints are not evaluated: names of that form are refused
// while such a constraint is in force, and ignored otherwise.
func TestNameConstraintsUnsupportedForm(t *testing.T) {
	upn := asn1.ObjectIdentifier{1, 3, 6, 1, 4, 1, 311, 20, 2, 3}
	s := ncState(t, ncExt(nil, []ncST{ncSub(ncGNOther(upn, "x@example.com"))}))
	ncExpect(t, s, ncLeafSAN(t, ncGNOther(upn, "y@example.org")), false, "otherName with otherName constraint")
	ncExpect(t, s, ncLeafSAN(t, ncGNDNS("example.org")), true, "dNSName with otherName constraint")
	d := ncState(t, ncExt([]ncST{ncSub(ncGNDNS("example.com"))}, nil))
	ncExpect(t, d, ncLeafSAN(t, ncGNDNS("example.com"), ncGNOther(upn, "y@example.org")), true, "otherName without otherName constraint")
}

// ---------------------------------------------------------------------------
// Hostile certificates.

func TestNameConstraintsHostile(t *testing.T) {
	many := make([]ncST, 5000)
	for i := range many {
		many[i] = ncSub(ncGNDNS(fmt.Sprintf("h%d.example.com", i)))
	}
	s := newNameConstraintsState()
	start := time.Now()
	err := s.add(ncCert(t, nil, ncExt(many, nil)))
	if err == nil {
		t.Fatal("5000 subtrees accepted")
	}
	t.Logf("5000 subtrees: %v (%v)", err, time.Since(start))
	if !s.empty() {
		t.Error("refused extension changed the state")
	}

	// The limit also holds across certificates.
	s = ncState(t, ncExt(many[:maxNCSubtrees/2], nil), ncExt(nil, many[:maxNCSubtrees/2]))
	if err := s.add(ncCert(t, nil, ncExt(many[:1], nil))); err == nil {
		t.Error("accumulated subtrees beyond the limit accepted")
	}

	// 5000 names in one certificate.
	names := make([]ncGN, 5000)
	for i := range names {
		names[i] = ncGNDNS(fmt.Sprintf("n%d.example.com", i))
	}
	leaf := ncLeafSAN(t, names...)
	s = ncState(t, ncExt([]ncST{ncSub(ncGNDNS("example.com"))}, nil))
	if err := s.check(leaf); err == nil {
		t.Error("5000 names accepted")
	} else {
		t.Log(err)
	}
	// Without constraints nothing is processed, so nothing is refused.
	if err := newNameConstraintsState().check(leaf); err != nil {
		t.Errorf("unconstrained state refused a certificate: %v", err)
	}

	// Worst case within the limits stays fast.
	s = ncState(t, ncExt(many[:maxNCSubtrees-1], nil))
	start = time.Now()
	ok := make([]ncGN, maxNCNames-1)
	for i := range ok {
		ok[i] = ncGNDNS(fmt.Sprintf("x.h%d.example.com", maxNCSubtrees-2))
	}
	if err := s.check(ncLeafSAN(t, ok...)); err != nil {
		t.Fatal(err)
	}
	t.Logf("%d names × %d subtrees: %v", len(ok), maxNCSubtrees-1, time.Since(start))
}
