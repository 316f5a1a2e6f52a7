package xmldsig_test

import (
	"crypto/x509"
	"errors"
	"strings"
	"testing"

	"github.com/lienthong/lienthong/validate/signed"
	"github.com/lienthong/lienthong/validate/xmldsig"
)

// FuzzVerify checks that no input makes Verify panic (also inside a
// signature, where a panic would be recovered as an "internal error"),
// and that every error is one of the documented sentinels.
func FuzzVerify(f *testing.F) {
	ec1 := testSigner(f, "ec-1")
	doc := invoice(1)
	signInto(f, at(doc, "DSCKS/NBan"), sigSpec{id: "NBan", key: ec1.key, certs: []*x509.Certificate{ec1.cert},
		method: uriECDSASHA256, signingTime: "2024-03-01T09:00:00",
		refs: []refSpec{{uri: "", enveloped: true}, {uri: "#data", c14n: uriExcC14N}}})
	f.Add(serialize(f, doc))
	doc = invoice(1)
	signInto(f, at(doc, "DSCKS/CQT"), sigSpec{prefix: "ds", key: ec1.key, certs: []*x509.Certificate{ec1.cert},
		method: uriECDSASHA256, c14n: uriExcC14NC, commentInSignedInfo: true, prefixList: "xsi #default",
		refs: []refSpec{{uri: "#data", c14n: uriC14N11}, {uri: "#mccqt"}}})
	f.Add(serialize(f, doc))
	f.Add([]byte(billionLaughs))
	f.Add([]byte(`<!DOCTYPE a><a/>`))
	f.Add([]byte("\x00\x01garbage\xff"))
	f.Add([]byte(`<a xmlns:p="urn:p" p:x="1&#10;2" y='a` + "\n" + `b'><?pi x?><!--c--><![CDATA[<>]]></a>`))
	f.Fuzz(func(t *testing.T, data []byte) {
		sigs, err := xmldsig.Verify(data, xmldsig.Options{MaxElements: 10000})
		if err != nil {
			if !errors.Is(err, xmldsig.ErrMalformed) {
				t.Fatalf("error %v is not ErrMalformed", err)
			}
			return
		}
		for _, s := range sigs {
			if strings.Contains(s.Problem, "internal error") {
				t.Fatalf("recovered panic: %s", s.Problem)
			}
			if s.Integrity < signed.Intact || s.Integrity > signed.SignerMismatch {
				t.Fatalf("integrity %d", s.Integrity)
			}
			if (s.Integrity == signed.Intact) != (s.Problem == "") {
				t.Fatalf("integrity %v with problem %q", s.Integrity, s.Problem)
			}
		}
	})
}
