package trust_test

import (
	"bytes"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/asn1"
	"os"
	"path/filepath"
	"testing"
	"unicode/utf16"

	"github.com/lienthong/lienthong/test/shared"
	"github.com/lienthong/lienthong/trust"
)

// ASN.1 universal tags of the string types a Name may carry.
const (
	tagUTF8      = asn1.TagUTF8String
	tagPrintable = asn1.TagPrintableString
	tagT61       = asn1.TagT61String
	tagIA5       = asn1.TagIA5String
	tagUniversal = 28
	tagBMP       = 30
	tagOctet     = asn1.TagOctetString
)

var (
	oidCN    = asn1.ObjectIdentifier{2, 5, 4, 3}
	oidC     = asn1.ObjectIdentifier{2, 5, 4, 6}
	oidO     = asn1.ObjectIdentifier{2, 5, 4, 10}
	oidOU    = asn1.ObjectIdentifier{2, 5, 4, 11}
	oidEmail = asn1.ObjectIdentifier{1, 2, 840, 113549, 1, 9, 1}
)

// atv is one AttributeTypeAndValue whose value is a primitive universal
// type with the given tag and content octets.
type atv struct {
	oid asn1.ObjectIdentifier
	tag int
	val []byte
}

func utf8V(oid asn1.ObjectIdentifier, s string) atv      { return atv{oid, tagUTF8, []byte(s)} }
func printableV(oid asn1.ObjectIdentifier, s string) atv { return atv{oid, tagPrintable, []byte(s)} }

func bmpV(oid asn1.ObjectIdentifier, s string) atv {
	var b []byte
	for _, u := range utf16.Encode([]rune(s)) {
		b = append(b, byte(u>>8), byte(u))
	}
	return atv{oid, tagBMP, b}
}

func universalV(oid asn1.ObjectIdentifier, s string) atv {
	var b []byte
	for _, r := range s {
		b = append(b, byte(r>>24), byte(r>>16), byte(r>>8), byte(r))
	}
	return atv{oid, tagUniversal, b}
}

func mustMarshal(v any) []byte {
	b, err := asn1.Marshal(v)
	if err != nil {
		panic(err)
	}
	return b
}

func (a atv) der() []byte {
	return mustMarshal(struct {
		Type  asn1.ObjectIdentifier
		Value asn1.RawValue
	}{a.oid, asn1.RawValue{Class: asn1.ClassUniversal, Tag: a.tag, Bytes: a.val}})
}

// rdn is one RelativeDistinguishedName; its attributes are encoded in the
// order given (not DER-sorted), which is what the order tests need.
type rdn []atv

// dn encodes a Name: SEQUENCE OF SET OF AttributeTypeAndValue.
func dn(rdns ...rdn) []byte {
	var seq []byte
	for _, r := range rdns {
		var set []byte
		for _, a := range r {
			set = append(set, a.der()...)
		}
		seq = append(seq, mustMarshal(asn1.RawValue{Class: asn1.ClassUniversal, Tag: asn1.TagSet, IsCompound: true, Bytes: set})...)
	}
	return mustMarshal(asn1.RawValue{Class: asn1.ClassUniversal, Tag: asn1.TagSequence, IsCompound: true, Bytes: seq})
}

// one is a name of single-valued RDNs.
func one(atvs ...atv) []byte {
	rs := make([]rdn, len(atvs))
	for i, a := range atvs {
		rs[i] = rdn{a}
	}
	return dn(rs...)
}

func TestSameName(t *testing.T) {
	vnRoot := one(printableV(oidC, "VN"), utf8V(oidO, "Ban Co yeu Chinh phu"), utf8V(oidCN, "Vietnam National Root CA"))
	tests := []struct {
		name string
		a, b []byte
		want bool
	}{
		{"identical bytes", vnRoot, bytes.Clone(vnRoot), true},
		{"ASCII case", one(utf8V(oidCN, "Vietnam National Root CA")), one(utf8V(oidCN, "VIETNAM NATIONAL ROOT CA")), true},
		{"Vietnamese case", one(utf8V(oidCN, "RootCA chuyên dùng Chính phủ G2")), one(utf8V(oidCN, "ROOTCA CHUYÊN DÙNG CHÍNH PHỦ G2")), true},
		{"leading and trailing spaces", one(utf8V(oidCN, "   Root CA  ")), one(utf8V(oidCN, "Root CA")), true},
		{"inner run of spaces", one(utf8V(oidCN, "Root     CA")), one(utf8V(oidCN, "Root CA")), true},
		{"tab and newline are spaces", one(utf8V(oidCN, "Root\t\n CA")), one(utf8V(oidCN, "Root CA")), true},
		{"all folding at once in PrintableString", one(printableV(oidCN, "  vietnam   NATIONAL root  ca ")), one(utf8V(oidCN, "Vietnam National Root CA")), true},
		{"inner space is significant", one(utf8V(oidCN, "RootCA")), one(utf8V(oidCN, "Root CA")), false},
		{"PrintableString and UTF8String of the same text", one(printableV(oidC, "VN"), printableV(oidCN, "MIC National Root CA")), one(utf8V(oidC, "VN"), utf8V(oidCN, "MIC National Root CA")), true},
		{"IA5String and UTF8String", one(atv{oidCN, tagIA5, []byte("Root CA")}), one(utf8V(oidCN, "Root CA")), true},
		{"BMPString decoded", one(bmpV(oidCN, "Cơ quan chứng thực số Bộ Ngoại giao")), one(utf8V(oidCN, "Cơ quan chứng thực số Bộ Ngoại giao")), true},
		{"BMPString decoded and case folded", one(bmpV(oidCN, "CHÍNH PHỦ")), one(printableV(oidCN, "chính phủ")), true},
		{"BMPString other text", one(bmpV(oidCN, "Chinh phu")), one(utf8V(oidCN, "Chính phủ")), false},
		{"UniversalString decoded", one(universalV(oidCN, "Đảng G2")), one(utf8V(oidCN, "đảng g2")), true},
		{"UniversalString outside the BMP", one(universalV(oidCN, "CA 𝔸")), one(utf8V(oidCN, "ca 𝔸")), true},
		{"TeletexString as Latin-1", one(atv{oidCN, tagT61, []byte("Caf\xe9")}), one(utf8V(oidCN, "CAFÉ")), true},
		{"NFD and NFC Vietnamese", one(utf8V(oidCN, "Chi\u0301nh phu\u0309")), one(utf8V(oidCN, "Chính phủ")), true},
		{"compatibility (full-width) characters", one(utf8V(oidC, "ＶＮ")), one(printableV(oidC, "VN")), true},
		{"compatibility letter folds after normalisation (RFC 4518 B.2)", one(utf8V(oidCN, "ℂA ℍub")), one(printableV(oidCN, "ca hub")), true},
		{"different value", one(utf8V(oidCN, "FPT Certification Authority")), one(utf8V(oidCN, "FPT Certification Authority G2")), false},
		{"different RDN order", one(printableV(oidC, "VN"), utf8V(oidCN, "Root")), one(utf8V(oidCN, "Root"), printableV(oidC, "VN")), false},
		{"multi-valued RDN order-insensitive",
			dn(rdn{printableV(oidC, "VN")}, rdn{utf8V(oidCN, "Root"), utf8V(oidO, "NEAC")}),
			dn(rdn{printableV(oidC, "VN")}, rdn{utf8V(oidO, "neac"), printableV(oidCN, "ROOT")}), true},
		{"multi-valued RDN is not its attributes in separate RDNs",
			dn(rdn{utf8V(oidCN, "Root"), utf8V(oidO, "NEAC")}),
			dn(rdn{utf8V(oidCN, "Root")}, rdn{utf8V(oidO, "NEAC")}), false},
		{"different attribute type, same value", one(utf8V(oidCN, "VNPT")), one(utf8V(oidO, "VNPT")), false},
		{"OU is not O", one(utf8V(oidOU, "National CA Center")), one(utf8V(oidO, "National CA Center")), false},
		{"extra RDN", one(printableV(oidC, "VN"), utf8V(oidCN, "Root")), one(printableV(oidC, "VN"), utf8V(oidCN, "Root"), utf8V(oidOU, "x")), false},
		{"missing RDN", one(utf8V(oidCN, "Root")), one(), false},
		{"empty names", one(), one(), true},
		{"IA5 emailAddress case-insensitive", one(atv{oidEmail, tagIA5, []byte("CA@ROOTCA.GOV.VN")}), one(atv{oidEmail, tagIA5, []byte("ca@rootca.gov.vn")}), true},
		{"non-string values compare by DER: equal", one(atv{oidCN, tagOctet, []byte{1, 2, 3}}), one(atv{oidCN, tagOctet, []byte{1, 2, 3}}), true},
		{"non-string values compare by DER: different", one(atv{oidCN, tagOctet, []byte{1, 2, 3}}), one(atv{oidCN, tagOctet, []byte{1, 2, 4}}), false},
		{"non-string value is not a string of the same bytes", one(atv{oidCN, tagOctet, []byte("Root")}), one(utf8V(oidCN, "Root")), false},
		{"non-string values are not case folded", one(atv{oidCN, tagOctet, []byte("ROOT")}), one(atv{oidCN, tagOctet, []byte("root")}), false},
		{"separator in a value cannot forge a multi-valued RDN",
			one(utf8V(oidO, "b+2.5.4.3=sa")),
			dn(rdn{utf8V(oidO, "b"), utf8V(oidCN, "a")}), false},
		{"backslash in a value is escaped",
			one(utf8V(oidO, `b\+2.5.4.3=sa`)),
			dn(rdn{utf8V(oidO, `b\`), utf8V(oidCN, "a")}), false},
		{"odd-length BMPString is compared raw", one(atv{oidCN, tagBMP, []byte{0, 'R', 0}}), one(utf8V(oidCN, "R")), false},
		{"UniversalString with a surrogate is compared raw", one(atv{oidCN, tagUniversal, []byte{0, 0, 0xd8, 0}}), one(utf8V(oidCN, "\ufffd")), false},
		{"invalid UTF-8 is compared raw", one(atv{oidCN, tagUTF8, []byte{0xff, 'A'}}), one(atv{oidCN, tagUTF8, []byte{0xff, 'a'}}), false},
		{"malformed names match only byte-identical", []byte{0x30, 0x03, 0x31}, []byte{0x30, 0x03, 0x31}, true},
		{"malformed name never matches a valid one", []byte{0x30, 0x03, 0x31}, one(utf8V(oidCN, "Root")), false},
		{"two different malformed names", []byte{0x30, 0x03, 0x31}, []byte{0x30, 0x03, 0x32}, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := trust.SameName(tt.a, tt.b); got != tt.want {
				t.Errorf("SameName(a, b) = %v, want %v", got, tt.want)
			}
			if got := trust.SameName(tt.b, tt.a); got != tt.want {
				t.Errorf("SameName(b, a) = %v, want %v (not symmetric)", got, tt.want)
			}
			// Where both names parse, SameName is key equality.
			ka, errA := trust.CanonicalName(tt.a)
			kb, errB := trust.CanonicalName(tt.b)
			if errA == nil && errB == nil && (ka == kb) != tt.want {
				t.Errorf("CanonicalName keys equal = %v, want %v (%q vs %q)", ka == kb, tt.want, ka, kb)
			}
		})
	}
}

func TestCanonicalNameMalformed(t *testing.T) {
	valid := one(utf8V(oidCN, "Root"))
	atvNoValue := mustMarshal(struct{ Type asn1.ObjectIdentifier }{oidCN})
	setOf := func(b []byte) []byte {
		return mustMarshal(asn1.RawValue{Tag: asn1.TagSet, IsCompound: true, Bytes: b})
	}
	seqOf := func(b []byte) []byte {
		return mustMarshal(asn1.RawValue{Tag: asn1.TagSequence, IsCompound: true, Bytes: b})
	}
	atvIntType := seqOf(append(mustMarshal(7), mustMarshal(asn1.RawValue{Tag: tagUTF8, Bytes: []byte("x")})...))
	tests := []struct {
		name string
		der  []byte
	}{
		{"empty input", nil},
		{"truncated", valid[:len(valid)-2]},
		{"length beyond data", []byte{0x30, 0x7f, 0x31}},
		{"trailing data", append(bytes.Clone(valid), 0x00)},
		{"trailing name", append(bytes.Clone(valid), valid...)},
		{"not a SEQUENCE", mustMarshal(42)},
		{"SET instead of SEQUENCE", setOf(valid[2:])},
		{"RDN is a SEQUENCE, not a SET", seqOf(seqOf(utf8V(oidCN, "Root").der()))},
		{"attribute without value", seqOf(setOf(atvNoValue))},
		{"attribute type is not an OID", seqOf(setOf(atvIntType))},
		{"garbage", []byte("CN=Root, O=NEAC, C=VN")},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if k, err := trust.CanonicalName(tt.der); err == nil {
				t.Errorf("CanonicalName(% x) = %q, nil; want an error", tt.der, k)
			}
		})
	}
}

// TestCanonicalNameOfGeneratedNames checks that crypto/x509's encoding of a
// pkix.Name and the hand-built encoding of the same name agree, and that
// the key keeps the RDN order.
func TestCanonicalNameOfGeneratedNames(t *testing.T) {
	r := mkCert(t, certSpec{subject: &pkix.Name{
		Country:      []string{"VN"},
		Organization: []string{"Ban Cơ yếu Chính phủ"},
		CommonName:   "RootCA chuyên dùng Chính phủ G2",
	}})
	if !trust.SameName(r.cert.RawSubject, r.cert.RawIssuer) {
		t.Fatal("self-signed certificate: subject and issuer must match")
	}
	tests := []struct {
		name string
		der  []byte
		want bool
	}{
		{"same name hand-built, other string types", one(utf8V(oidC, "vn"), bmpV(oidO, "BAN CƠ YẾU CHÍNH PHỦ"), utf8V(oidCN, "rootca chuyên dùng chính phủ g2")), true},
		{"reversed RDN order", one(utf8V(oidCN, "RootCA chuyên dùng Chính phủ G2"), utf8V(oidO, "Ban Cơ yếu Chính phủ"), printableV(oidC, "VN")), false},
		{"without diacritics", one(printableV(oidC, "VN"), utf8V(oidO, "Ban Co yeu Chinh phu"), utf8V(oidCN, "RootCA chuyen dung Chinh phu G2")), false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := trust.SameName(r.cert.RawSubject, tt.der); got != tt.want {
				t.Errorf("SameName = %v, want %v", got, tt.want)
			}
		})
	}
}

// TestPKITSNameChaining runs NIST PKITS §4.3 (Verifying Name Chaining): each
// certificate of a test's path must name its predecessor as issuer under
// RFC 5280 §7.1 exactly when the test expects a valid path (4.3.1 and 4.3.2
// break name chaining on purpose).
func TestPKITSNameChaining(t *testing.T) {
	pk := shared.LoadPKITS(t)
	var n int
	for _, e := range pk.Section("4.3") {
		n++
		t.Run(e.ID+" "+e.Name, func(t *testing.T) {
			if len(e.Chain) < 2 {
				t.Fatalf("chain %v is too short", e.Chain)
			}
			certs := make([]*x509.Certificate, len(e.Chain))
			for i, f := range e.Chain {
				certs[i] = pk.Cert(t, f)
			}
			chains := true
			for i := 1; i < len(certs); i++ {
				ok := trust.SameName(certs[i].RawIssuer, certs[i-1].RawSubject)
				if !ok {
					chains = false
					t.Logf("%s does not name %s as its issuer", e.Chain[i], e.Chain[i-1])
				}
				// The key of the issuer must agree with SameName.
				ki, err1 := trust.CanonicalName(certs[i].RawIssuer)
				ks, err2 := trust.CanonicalName(certs[i-1].RawSubject)
				if err1 != nil || err2 != nil {
					t.Fatalf("CanonicalName: %v, %v", err1, err2)
				}
				if (ki == ks) != ok {
					t.Errorf("%s: key equality %v disagrees with SameName %v", e.Chain[i], ki == ks, ok)
				}
			}
			if want := e.Expected == "valid"; chains != want {
				t.Errorf("name chaining = %v, want %v (expected %s)", chains, want, e.Expected)
			}
		})
	}
	if n != 11 {
		t.Errorf("found %d PKITS 4.3 entries, want 11", n)
	}
}

// rawNames returns the issuer and subject of a DER certificate without
// crypto/x509, which refuses some PKITS certificates for their keys (DSA
// parameters inherited from the issuer).
func rawNames(t *testing.T, der []byte) (issuer, subject []byte) {
	t.Helper()
	var cert struct {
		TBS struct {
			Version  int `asn1:"optional,explicit,default:0,tag:0"`
			Serial   asn1.RawValue
			SigAlg   asn1.RawValue
			Issuer   asn1.RawValue
			Validity asn1.RawValue
			Subject  asn1.RawValue
		}
	}
	if _, err := asn1.Unmarshal(der, &cert); err != nil {
		t.Fatal(err)
	}
	return cert.TBS.Issuer.FullBytes, cert.TBS.Subject.FullBytes
}

// TestPKITSCanonicalNameParses checks that every name in PKITS (all
// sections) is accepted.
func TestPKITSCanonicalNameParses(t *testing.T) {
	pk := shared.LoadPKITS(t)
	entries, err := os.ReadDir(filepath.Join(pk.Dir, "certs"))
	if err != nil {
		t.Fatal(err)
	}
	if len(entries) == 0 {
		t.Fatal("no PKITS certificate")
	}
	for _, e := range entries {
		issuer, subject := rawNames(t, pk.CertDER(t, e.Name()))
		for _, raw := range [][]byte{issuer, subject} {
			if _, err := trust.CanonicalName(raw); err != nil {
				t.Errorf("%s: CanonicalName: %v", e.Name(), err)
			}
		}
	}
}
