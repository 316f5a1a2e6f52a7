package xmldsig_test

import (
	"crypto/rand"
	"errors"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/lienthong/lienthong/validate/signed"
	"github.com/lienthong/lienthong/validate/xmldsig"
)

// billionLaughs is the classic entity-expansion bomb.
const billionLaughs = `<?xml version="1.0"?>
<!DOCTYPE lolz [
 <!ENTITY lol "lol">
 <!ENTITY lol2 "&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;">
 <!ENTITY lol3 "&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;">
 <!ENTITY lol4 "&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;">
 <!ENTITY lol5 "&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;">
 <!ENTITY lol6 "&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;">
 <!ENTITY lol7 "&lol6;&lol6;&lol6;&lol6;&lol6;&lol6;&lol6;&lol6;&lol6;&lol6;">
 <!ENTITY lol8 "&lol7;&lol7;&lol7;&lol7;&lol7;&lol7;&lol7;&lol7;&lol7;&lol7;">
 <!ENTITY lol9 "&lol8;&lol8;&lol8;&lol8;&lol8;&lol8;&lol8;&lol8;&lol8;&lol8;">
]>
<lolz>&lol9;</lolz>`

func TestVerifyRefusesMalformed(t *testing.T) {
	garbage := make([]byte, 4096)
	if _, err := rand.Read(garbage); err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name string
		data string
		opts xmldsig.Options
	}{
		{"billion laughs", billionLaughs, xmldsig.Options{}},
		{"plain DOCTYPE", `<!DOCTYPE HDon><HDon/>`, xmldsig.Options{}},
		{"external entity", `<!DOCTYPE a [<!ENTITY x SYSTEM "file:///etc/passwd">]><a>&x;</a>`, xmldsig.Options{}},
		{"DOCTYPE after the root", `<a/><!DOCTYPE a>`, xmldsig.Options{}},
		{"undeclared entity", `<a>&x;</a>`, xmldsig.Options{}},
		{"10,000-deep nesting", strings.Repeat("<a>", 10000) + strings.Repeat("</a>", 10000), xmldsig.Options{}},
		{"deeper than MaxDepth", "<a><b><c/></b></a>", xmldsig.Options{MaxDepth: 2}},
		{"more elements than MaxElements", "<a>" + strings.Repeat("<b/>", 20) + "</a>", xmldsig.Options{MaxElements: 10}},
		{"random bytes", string(garbage), xmldsig.Options{}},
		{"empty", "", xmldsig.Options{}},
		{"not XML", "%PDF-1.7\n", xmldsig.Options{}},
		{"truncated", `<HDon><DLHDon Id="a">`, xmldsig.Options{}},
		{"mismatched end tag", `<a></b>`, xmldsig.Options{}},
		{"two roots", `<a/><b/>`, xmldsig.Options{}},
		{"text after the root", `<a/>x`, xmldsig.Options{}},
		{"undeclared prefix", `<p:a/>`, xmldsig.Options{}},
		{"duplicate attribute", `<a x="1" x="2"/>`, xmldsig.Options{}},
		{"duplicate attribute by namespace", `<a xmlns:p="urn:x" xmlns:q="urn:x" p:x="1" q:x="2"/>`, xmldsig.Options{}},
		{"non-UTF-8 encoding", `<?xml version="1.0" encoding="windows-1258"?><a/>`, xmldsig.Options{}},
		{"late XML declaration", `<a><?xml version="1.0"?></a>`, xmldsig.Options{}},
		{"too many signatures", "<a>" + strings.Repeat(`<Signature xmlns="http://www.w3.org/2000/09/xmldsig#"/>`, 3) + "</a>",
			xmldsig.Options{MaxSignatures: 2}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			sigs, err := xmldsig.Verify([]byte(tc.data), tc.opts)
			if !errors.Is(err, xmldsig.ErrMalformed) {
				t.Fatalf("got %v, %v; want ErrMalformed", sigs, err)
			}
		})
	}
}

func TestVerifyTooLarge(t *testing.T) {
	_, err := xmldsig.Verify([]byte("<a>0123456789</a>"), xmldsig.Options{MaxBytes: 10})
	if !errors.Is(err, xmldsig.ErrTooLarge) {
		t.Fatalf("got %v, want ErrTooLarge", err)
	}
}

func TestVerifyUnsigned(t *testing.T) {
	for _, data := range []string{
		`<?xml version="1.0" encoding="utf-8"?><HDon><DLHDon Id="a">x</DLHDon><DSCKS><NBan/></DSCKS></HDon>`,
		// a Signature element in another namespace is not a signature
		`<a><Signature xmlns="urn:example:not-dsig"/></a>`,
	} {
		sigs, err := xmldsig.Verify([]byte(data), xmldsig.Options{})
		if err != nil || sigs == nil || len(sigs) != 0 {
			t.Errorf("got %v, %v; want an empty slice and no error", sigs, err)
		}
	}
}

// TestVerifyBrokenSignatureIsNotMalformedDocument checks that a broken
// Signature element in a well-formed document is that signature's
// Malformed, not ErrMalformed.
func TestVerifyBrokenSignatureIsNotMalformedDocument(t *testing.T) {
	const ds = `xmlns="http://www.w3.org/2000/09/xmldsig#"`
	tests := []struct {
		name, sig, problem string
	}{
		{"empty", `<Signature ` + ds + `/>`, "must start with SignedInfo"},
		{"no references", `<Signature ` + ds + `><SignedInfo><CanonicalizationMethod Algorithm="http://www.w3.org/TR/2001/REC-xml-c14n-20010315"/><SignatureMethod Algorithm="http://www.w3.org/2001/04/xmldsig-more#rsa-sha256"/></SignedInfo><SignatureValue>AAAA</SignatureValue></Signature>`, "at least one Reference"},
		{"XPath transform", `<Signature ` + ds + `><SignedInfo><CanonicalizationMethod Algorithm="http://www.w3.org/TR/2001/REC-xml-c14n-20010315"/><SignatureMethod Algorithm="http://www.w3.org/2001/04/xmldsig-more#rsa-sha256"/><Reference URI=""><Transforms><Transform Algorithm="http://www.w3.org/TR/1999/REC-xpath-19991116"/></Transforms><DigestMethod Algorithm="http://www.w3.org/2001/04/xmlenc#sha256"/><DigestValue>47DEQpj8HBSa+/TImW+5JCeuQeRkm5NMpJWZG3hSuFU=</DigestValue></Reference></SignedInfo><SignatureValue>AAAA</SignatureValue></Signature>`, "unsupported transform"},
		{"bad base64", `<Signature ` + ds + `><SignedInfo><CanonicalizationMethod Algorithm="http://www.w3.org/TR/2001/REC-xml-c14n-20010315"/><SignatureMethod Algorithm="http://www.w3.org/2001/04/xmldsig-more#rsa-sha256"/><Reference URI=""><DigestMethod Algorithm="http://www.w3.org/2001/04/xmlenc#sha256"/><DigestValue>@@@</DigestValue></Reference></SignedInfo><SignatureValue>AAAA</SignatureValue></Signature>`, "not base64"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			sigs, err := xmldsig.Verify([]byte("<HDon><DSCKS><NBan>"+tc.sig+"</NBan></DSCKS></HDon>"), xmldsig.Options{})
			if err != nil {
				t.Fatal(err)
			}
			if len(sigs) != 1 || sigs[0].Integrity != signed.Malformed || !strings.Contains(sigs[0].Problem, tc.problem) {
				t.Fatalf("got %+v, want one malformed signature: %s", sigs[0], tc.problem)
			}
			if sigs[0].ID != "HDon/DSCKS/NBan/Signature" {
				t.Errorf("ID %q", sigs[0].ID)
			}
		})
	}
}

// TestVerifyBoundsWork builds a document whose signatures all digest the
// whole document many times over: the canonicalization budget stops it.
func TestVerifyBoundsWork(t *testing.T) {
	ref := `<Reference URI=""><Transforms><Transform Algorithm="http://www.w3.org/2000/09/xmldsig#enveloped-signature"/></Transforms><DigestMethod Algorithm="http://www.w3.org/2001/04/xmlenc#sha256"/><DigestValue>47DEQpj8HBSa+/TImW+5JCeuQeRkm5NMpJWZG3hSuFU=</DigestValue></Reference>`
	sig := `<Signature xmlns="http://www.w3.org/2000/09/xmldsig#"><SignedInfo><CanonicalizationMethod Algorithm="http://www.w3.org/TR/2001/REC-xml-c14n-20010315"/><SignatureMethod Algorithm="http://www.w3.org/2001/04/xmldsig-more#rsa-sha256"/>` +
		strings.Repeat(ref, 64) + `</SignedInfo><SignatureValue>AAAA</SignatureValue></Signature>`
	data := "<a>" + strings.Repeat("<b>x</b>", 50000) + strings.Repeat(sig, 32) + "</a>"
	start := time.Now()
	sigs, err := xmldsig.Verify([]byte(data), xmldsig.Options{})
	if err != nil {
		t.Fatal(err)
	}
	limited := 0
	for _, s := range sigs {
		if strings.Contains(s.Problem, "work limit") {
			limited++
		}
	}
	t.Logf("%d signatures, %d stopped by the work limit, %v", len(sigs), limited, time.Since(start))
	if limited == 0 {
		t.Error("no signature was stopped by the work limit")
	}
}

// TestVerifyManyNamespaces checks the bound on declarations in scope.
func TestVerifyManyNamespaces(t *testing.T) {
	var b strings.Builder
	b.WriteString("<a")
	for i := range 200 {
		fmt.Fprintf(&b, ` xmlns:p%d="urn:%d"`, i, i)
	}
	b.WriteString("><b")
	for i := range 200 {
		fmt.Fprintf(&b, ` xmlns:q%d="urn:%d"`, i, i)
	}
	b.WriteString("/></a>")
	if _, err := xmldsig.Verify([]byte(b.String()), xmldsig.Options{}); !errors.Is(err, xmldsig.ErrMalformed) {
		t.Fatalf("got %v, want ErrMalformed", err)
	}
}
