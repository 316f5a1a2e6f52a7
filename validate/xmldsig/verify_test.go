package xmldsig_test

import (
	"crypto"
	"crypto/x509"
	"crypto/x509/pkix"
	"strings"
	"testing"
	"time"

	"github.com/beevik/etree"

	"github.com/lienthong/lienthong/test/testpki"
	"github.com/lienthong/lienthong/validate/signed"
	"github.com/lienthong/lienthong/validate/xmldsig"
)

// tamperText changes one character of the text of the element at path.
func tamperText(doc *etree.Document, path string) {
	e := at(doc, path)
	e.SetText(e.Text() + "!")
}

// flipSignatureValue changes the first base64 character of a signature
// value, keeping it valid base64.
func flipSignatureValue(sig *etree.Element) {
	for _, ch := range sig.ChildElements() {
		if ch.Tag == "SignatureValue" {
			v := []byte(ch.Text())
			if v[0] == 'A' {
				v[0] = 'B'
			} else {
				v[0] = 'A'
			}
			ch.SetText(string(v))
		}
	}
}

func TestVerifyGenerated(t *testing.T) {
	rsa1 := testSigner(t, "rsa-1")
	rsa2 := testSigner(t, "rsa-2")
	ec1 := testSigner(t, "ec-1")
	ict := time.FixedZone("UTC+7", 7*3600)

	// want describes one expected signature.
	type want struct {
		integrity signed.Integrity
		id        string
		signer    *x509.Certificate
		problem   string // substring of Problem
		alg       x509.SignatureAlgorithm
		hash      crypto.Hash
		time      time.Time
		timeText  string
		codes     []string
		coverage  string
	}
	tests := []struct {
		name  string
		build func(t *testing.T) []byte
		want  []want
	}{
		{
			name: "enveloped whole document, inclusive C14N, rsa-sha256",
			build: func(t *testing.T) []byte {
				doc := invoice(3)
				signInto(t, at(doc, "DSCKS/NBan"), sigSpec{key: rsa1.key, certs: []*x509.Certificate{rsa1.cert},
					refs: []refSpec{{uri: "", enveloped: true, c14n: uriC14N10}}})
				return serialize(t, doc)
			},
			want: []want{{integrity: signed.Intact, id: "HDon/DSCKS/NBan/Signature", signer: rsa1.cert,
				alg: x509.SHA256WithRSA, hash: crypto.SHA256, coverage: "whole_document"}},
		},
		{
			name: "Id reference and SigningTime without zone, rsa-sha1",
			build: func(t *testing.T) []byte {
				doc := invoice(2)
				signInto(t, at(doc, "DSCKS/NBan"), sigSpec{id: "seller", key: rsa1.key, certs: []*x509.Certificate{rsa1.cert},
					method: uriRSASHA1, digest: uriSHA1, signingTime: "2022-01-04T10:20:30",
					refs: []refSpec{{uri: "#data", enveloped: true}}})
				return serialize(t, doc)
			},
			want: []want{{integrity: signed.Intact, id: "seller", signer: rsa1.cert, alg: x509.SHA1WithRSA,
				hash: crypto.SHA1, time: time.Date(2022, 1, 4, 10, 20, 30, 0, ict), timeText: "2022-01-04T10:20:30",
				codes: []string{xmldsig.CodeSigningTimeZoneAssumed}, coverage: "partial"}},
		},
		{
			name: "ID attribute in a prefixed namespace, exclusive C14N with PrefixList, ecdsa-sha256, zoned time",
			build: func(t *testing.T) []byte {
				doc := etree.NewDocument()
				root := doc.CreateElement("inv:TBao")
				root.CreateAttr("xmlns:inv", "urn:example:tbao")
				root.CreateAttr("xmlns:unused", "urn:example:unused")
				d := root.CreateElement("inv:DLTBao")
				d.CreateAttr("ID", "notice")
				d.CreateElement("inv:Ten").SetText("Thông báo")
				cqt := root.CreateElement("inv:DSCKS").CreateElement("inv:CQT")
				signInto(t, cqt, sigSpec{id: "cqt", prefix: "ds", key: ec1.key, certs: []*x509.Certificate{ec1.cert},
					method: uriECDSASHA256, c14n: uriExcC14N, prefixList: "inv",
					signingTime: "2022-01-04T03:20:30Z",
					refs:        []refSpec{{uri: "#notice", c14n: uriExcC14N, prefixList: "inv"}}})
				return serialize(t, doc)
			},
			want: []want{{integrity: signed.Intact, id: "cqt", signer: ec1.cert, alg: x509.ECDSAWithSHA256,
				hash: crypto.SHA256, time: time.Date(2022, 1, 4, 3, 20, 30, 0, time.UTC), coverage: "partial"}},
		},
		{
			name: "id attribute, C14N with comments over a SignedInfo holding a comment",
			build: func(t *testing.T) []byte {
				doc := invoice(1)
				at(doc, "DLHDon").RemoveAttr("Id")
				at(doc, "DLHDon").CreateAttr("id", "lower")
				signInto(t, at(doc, "DSCKS/NBan"), sigSpec{id: "s", key: rsa1.key, certs: []*x509.Certificate{rsa1.cert},
					c14n: uriC14N10C, commentInSignedInfo: true,
					refs: []refSpec{{uri: "#lower", c14n: uriExcC14NC}}})
				return serialize(t, doc)
			},
			want: []want{{integrity: signed.Intact, id: "s", signer: rsa1.cert}},
		},
		{
			name: "exclusive C14N with comments over a SignedInfo holding a comment",
			build: func(t *testing.T) []byte {
				doc := invoice(1)
				signInto(t, at(doc, "DSCKS/NBan"), sigSpec{id: "s", key: ec1.key, certs: []*x509.Certificate{ec1.cert},
					method: uriECDSASHA256, c14n: uriExcC14NC, commentInSignedInfo: true,
					refs: []refSpec{{uri: "#data"}}})
				return serialize(t, doc)
			},
			want: []want{{integrity: signed.Intact, id: "s", signer: ec1.cert}},
		},
		{
			name: "C14N 1.1",
			build: func(t *testing.T) []byte {
				doc := invoice(1)
				signInto(t, at(doc, "DSCKS/NBan"), sigSpec{id: "s", key: rsa1.key, certs: []*x509.Certificate{rsa1.cert},
					c14n: uriC14N11, refs: []refSpec{{uri: "#data", c14n: uriC14N11}}})
				return serialize(t, doc)
			},
			want: []want{{integrity: signed.Intact, id: "s", signer: rsa1.cert}},
		},
		{
			name: "RSA-PSS",
			build: func(t *testing.T) []byte {
				doc := invoice(1)
				signInto(t, at(doc, "DSCKS/NBan"), sigSpec{id: "s", key: rsa1.key, certs: []*x509.Certificate{rsa1.cert},
					method: uriPSSSHA256, refs: []refSpec{{uri: "#data"}}})
				return serialize(t, doc)
			},
			want: []want{{integrity: signed.Intact, id: "s", signer: rsa1.cert, alg: x509.SHA256WithRSAPSS}},
		},
		{
			name: "seller and tax authority, the second signature value broken",
			build: func(t *testing.T) []byte {
				doc := invoice(2)
				signInto(t, at(doc, "DSCKS/NBan"), sigSpec{id: "NBan", key: rsa1.key, certs: []*x509.Certificate{rsa1.cert},
					signingTime: "2024-03-01T09:00:00", refs: []refSpec{{uri: "#data", enveloped: true}}})
				cqt := signInto(t, at(doc, "DSCKS/CQT"), sigSpec{id: "CQT", key: ec1.key, certs: []*x509.Certificate{ec1.cert},
					method: uriECDSASHA256, signingTime: "2024-03-01T09:05:00",
					refs: []refSpec{{uri: "#data"}, {uri: "#mccqt"}}})
				flipSignatureValue(cqt)
				return serialize(t, doc)
			},
			want: []want{
				{integrity: signed.Intact, id: "NBan", signer: rsa1.cert, timeText: "2024-03-01T09:00:00",
					codes: []string{xmldsig.CodeSigningTimeZoneAssumed}},
				{integrity: signed.BadSignature, id: "CQT", problem: "does not verify", timeText: "2024-03-01T09:05:00"},
			},
		},
		{
			name: "KeyValue only",
			build: func(t *testing.T) []byte {
				doc := invoice(1)
				signInto(t, at(doc, "DSCKS/NBan"), sigSpec{id: "s", key: rsa1.key, keyValue: true,
					refs: []refSpec{{uri: "#data"}}})
				return serialize(t, doc)
			},
			want: []want{{integrity: signed.NoSigner, id: "s", problem: "no X.509 certificate in KeyInfo"}},
		},
		{
			name: "certificate of another key",
			build: func(t *testing.T) []byte {
				doc := invoice(1)
				signInto(t, at(doc, "DSCKS/NBan"), sigSpec{id: "s", key: rsa1.key, certs: []*x509.Certificate{rsa2.cert},
					refs: []refSpec{{uri: "#data"}}})
				return serialize(t, doc)
			},
			want: []want{{integrity: signed.BadSignature, id: "s"}},
		},
		{
			name: "signed data changed",
			build: func(t *testing.T) []byte {
				doc := invoice(2)
				signInto(t, at(doc, "DSCKS/NBan"), sigSpec{id: "s", key: rsa1.key, certs: []*x509.Certificate{rsa1.cert},
					signingTime: "2024-03-01T09:00:00", refs: []refSpec{{uri: "#data"}}})
				tamperText(doc, "DLHDon/NDHDon/TToan/TgTCThue")
				return serialize(t, doc)
			},
			want: []want{{integrity: signed.HashMismatch, id: "s", signer: rsa1.cert, problem: "reference 1 "}},
		},
		{
			name: "whole document changed outside the signed element is fine for an Id reference",
			build: func(t *testing.T) []byte {
				doc := invoice(1)
				signInto(t, at(doc, "DSCKS/NBan"), sigSpec{id: "s", key: rsa1.key, certs: []*x509.Certificate{rsa1.cert},
					refs: []refSpec{{uri: "#data"}}})
				tamperText(doc, "MCCQT")
				return serialize(t, doc)
			},
			want: []want{{integrity: signed.Intact, id: "s", signer: rsa1.cert}},
		},
		{
			name: "second element with the referenced Id (signature wrapping)",
			build: func(t *testing.T) []byte {
				doc := invoice(1)
				signInto(t, at(doc, "DSCKS/NBan"), sigSpec{id: "s", key: rsa1.key, certs: []*x509.Certificate{rsa1.cert},
					refs: []refSpec{{uri: "#data"}}})
				fake := at(doc, "DLHDon").Copy()
				at(doc, "DSCKS/NMua").AddChild(fake)
				tamperText(doc, "DLHDon/NDHDon/TToan/TgTCThue")
				return serialize(t, doc)
			},
			want: []want{{integrity: signed.Malformed, id: "s", problem: "more than one element"}},
		},
		{
			name: "referenced Id removed",
			build: func(t *testing.T) []byte {
				doc := invoice(1)
				signInto(t, at(doc, "DSCKS/NBan"), sigSpec{id: "s", key: rsa1.key, certs: []*x509.Certificate{rsa1.cert},
					refs: []refSpec{{uri: "#data"}}})
				at(doc, "DLHDon").RemoveAttr("Id")
				return serialize(t, doc)
			},
			want: []want{{integrity: signed.NoSignedData, id: "s", signer: rsa1.cert}},
		},
		{
			name: "unknown signature method",
			build: func(t *testing.T) []byte {
				doc := invoice(1)
				signInto(t, at(doc, "DSCKS/NBan"), sigSpec{id: "s", key: rsa1.key, certs: []*x509.Certificate{rsa1.cert},
					method: "urn:example:rsa-md2", refs: []refSpec{{uri: "#data"}}})
				return serialize(t, doc)
			},
			want: []want{{integrity: signed.Malformed, id: "s", problem: "unsupported signature method"}},
		},
		{
			name: "SigningTime outside every reference is ignored",
			build: func(t *testing.T) []byte {
				doc := invoice(1)
				sig := signInto(t, at(doc, "DSCKS/NBan"), sigSpec{id: "s", key: rsa1.key, certs: []*x509.Certificate{rsa1.cert},
					refs: []refSpec{{uri: "#data"}}})
				sig.CreateElement("Object").CreateElement("SigningTime").SetText("2001-01-01T00:00:00")
				return serialize(t, doc)
			},
			want: []want{{integrity: signed.Intact, id: "s", signer: rsa1.cert,
				codes: []string{xmldsig.CodeSigningTimeNotSigned}}},
		},
		{
			name: "two Signature siblings get indexed paths, a BOM is accepted",
			build: func(t *testing.T) []byte {
				doc := invoice(1)
				for range 2 {
					signInto(t, at(doc, "DSCKS/NBan"), sigSpec{key: ec1.key, certs: []*x509.Certificate{ec1.cert},
						method: uriECDSASHA256, refs: []refSpec{{uri: "#data"}}})
				}
				return append([]byte("\xef\xbb\xbf"), serialize(t, doc)...)
			},
			want: []want{
				{integrity: signed.Intact, id: "HDon/DSCKS/NBan/Signature[1]", signer: ec1.cert},
				{integrity: signed.Intact, id: "HDon/DSCKS/NBan/Signature[2]", signer: ec1.cert},
			},
		},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			sigs, err := xmldsig.Verify(tc.build(t), xmldsig.Options{})
			if err != nil {
				t.Fatalf("Verify: %v", err)
			}
			if len(sigs) != len(tc.want) {
				t.Fatalf("got %d signatures, want %d", len(sigs), len(tc.want))
			}
			for i, w := range tc.want {
				s := sigs[i]
				if s.Integrity != w.integrity || !strings.Contains(s.Problem, w.problem) {
					t.Errorf("signature %d: %v %q, want %v containing %q", i, s.Integrity, s.Problem, w.integrity, w.problem)
				}
				if s.ID != w.id {
					t.Errorf("signature %d: ID %q, want %q", i, s.ID, w.id)
				}
				if w.signer != nil && (s.Signer == nil || !s.Signer.Equal(w.signer)) {
					t.Errorf("signature %d: signer %s, want %s", i, fingerprint(s.Signer), fingerprint(w.signer))
				}
				if w.signer == nil && s.Signer != nil && w.integrity != signed.Intact {
					t.Errorf("signature %d: unexpected signer %s", i, fingerprint(s.Signer))
				}
				if w.alg != 0 && s.SignatureAlgorithm != w.alg {
					t.Errorf("signature %d: algorithm %v, want %v", i, s.SignatureAlgorithm, w.alg)
				}
				if w.hash != 0 && s.DigestAlgorithm != w.hash {
					t.Errorf("signature %d: digest %v, want %v", i, s.DigestAlgorithm, w.hash)
				}
				if !w.time.IsZero() && (s.ClaimedSigningTime == nil || !s.ClaimedSigningTime.Equal(w.time)) {
					t.Errorf("signature %d: signing time %v, want %v", i, s.ClaimedSigningTime, w.time)
				}
				if s.ClaimedSigningTimeText != w.timeText {
					t.Errorf("signature %d: signing time text %q, want %q", i, s.ClaimedSigningTimeText, w.timeText)
				}
				var codes []string
				for _, m := range s.Messages {
					codes = append(codes, m.Code)
				}
				if strings.Join(codes, ",") != strings.Join(w.codes, ",") && w.integrity == signed.Intact {
					t.Errorf("signature %d: messages %v, want codes %v", i, s.Messages, w.codes)
				}
				if w.coverage != "" && s.Coverage != w.coverage {
					t.Errorf("signature %d: coverage %q (%s), want %q", i, s.Coverage, s.CoverageNote, w.coverage)
				}
			}
		})
	}
}

// TestVerifyTestPKIChain signs with a leaf of the test PKI and puts the
// issuing CA before the leaf in KeyInfo: the signer is the certificate
// whose key verifies, not the first one.
func TestVerifyTestPKIChain(t *testing.T) {
	p, err := testpki.New(testpki.Options{Now: time.Date(2025, 6, 1, 0, 0, 0, 0, time.UTC)})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(p.Close)
	leaf, err := p.Gov.CA.IssueLeaf(pkix.Name{CommonName: "Chi cục Thuế thử nghiệm", Country: []string{"VN"}},
		testpki.WithRSA(2048))
	if err != nil {
		t.Fatal(err)
	}
	doc := etree.NewDocument()
	root := doc.CreateElement("TBao")
	d := root.CreateElement("DLTBao")
	d.CreateAttr("Id", "Id-1")
	d.CreateElement("Ten").SetText("Thông báo về việc chấp nhận đăng ký sử dụng hóa đơn điện tử")
	signInto(t, root.CreateElement("DSCKS").CreateElement("CQT"), sigSpec{id: "CQT-Id-1", key: leaf.Key,
		certs: []*x509.Certificate{p.Gov.CA.Cert, leaf.Cert}, signingTime: "2025-06-01T08:00:00+07:00",
		refs: []refSpec{{uri: "#Id-1"}}})
	sigs, err := xmldsig.Verify(serialize(t, doc), xmldsig.Options{})
	if err != nil {
		t.Fatal(err)
	}
	if len(sigs) != 1 || sigs[0].Integrity != signed.Intact {
		t.Fatalf("got %+v", sigs)
	}
	s := sigs[0]
	if !s.Signer.Equal(leaf.Cert) || len(s.Certificates) != 2 {
		t.Errorf("signer %s with %d certificates, want the leaf %s and 2", fingerprint(s.Signer),
			len(s.Certificates), fingerprint(leaf.Cert))
	}
	if s.ClaimedSigningTime == nil || !s.ClaimedSigningTime.Equal(time.Date(2025, 6, 1, 1, 0, 0, 0, time.UTC)) ||
		s.ClaimedSigningTimeText != "" || len(s.Messages) != 0 {
		t.Errorf("signing time %v %q %v", s.ClaimedSigningTime, s.ClaimedSigningTimeText, s.Messages)
	}
}
