package interop

import (
	"bytes"
	"context"
	"encoding/base64"
	"fmt"
	"os"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/lienthong/lienthong/validate"
)

// XML-DSig algorithm identifiers (RFC 3275, RFC 6931).
const (
	c14n10       = "http://www.w3.org/TR/2001/REC-xml-c14n-20010315"
	c14n11       = "http://www.w3.org/2006/12/xml-c14n11"
	excC14N      = "http://www.w3.org/2001/10/xml-exc-c14n#"
	rsaSHA1      = "http://www.w3.org/2000/09/xmldsig#rsa-sha1"
	rsaSHA256    = "http://www.w3.org/2001/04/xmldsig-more#rsa-sha256"
	rsaSHA512    = "http://www.w3.org/2001/04/xmldsig-more#rsa-sha512"
	ecdsaSHA256  = "http://www.w3.org/2001/04/xmldsig-more#ecdsa-sha256"
	ecdsaSHA384  = "http://www.w3.org/2001/04/xmldsig-more#ecdsa-sha384"
	digestSHA1   = "http://www.w3.org/2000/09/xmldsig#sha1"
	digestSHA256 = "http://www.w3.org/2001/04/xmlenc#sha256"
	digestSHA384 = "http://www.w3.org/2001/04/xmldsig-more#sha384"
	digestSHA512 = "http://www.w3.org/2001/04/xmlenc#sha512"
)

// envelopedTemplate is an administrative document signed whole (Reference
// URI="", enveloped-signature transform). The comment is outside what a
// C14N without comments hashes, the namespace declaration and the
// attributes out of order exercise canonicalisation.
const envelopedTemplate = `<?xml version="1.0" encoding="UTF-8"?>
<!-- ngoài phần tử gốc -->
<HoSo xmlns:vb="urn:example:vanban" Loai="CV" MaHoSo="HS-2026-012">
  <!-- bản nháp lần 1 -->
  <vb:VanBan So="12/BTC" Ngay="2026-11-20">
    <vb:TrichYeu>Công văn số 12/BTC về việc "thử nghiệm" &amp; liên thông &lt;chữ ký số&gt;</vb:TrichYeu>
    <vb:NoiDung xml:lang="vi">Đề nghị các đơn vị phối hợp thực hiện.</vb:NoiDung>
  </vb:VanBan>
  <Signature xmlns="http://www.w3.org/2000/09/xmldsig#">
    <SignedInfo>
      <CanonicalizationMethod Algorithm="$C14N$"/>
      <SignatureMethod Algorithm="$SIG$"/>
      <Reference URI="">
        <Transforms>
          <Transform Algorithm="http://www.w3.org/2000/09/xmldsig#enveloped-signature"/>
        </Transforms>
        <DigestMethod Algorithm="$DIGEST$"/>
        <DigestValue/>
      </Reference>
    </SignedInfo>
    <SignatureValue/>
    <KeyInfo>
      <X509Data/>
    </KeyInfo>
  </Signature>
</HoSo>
`

// idrefTemplate signs one element by its Id, beside the signature.
const idrefTemplate = `<?xml version="1.0" encoding="UTF-8"?>
<HoSo>
  <VanBan Id="vb-01"><TrichYeu>Quyết định số 7/QĐ-UBND</TrichYeu><NoiDung>Phê duyệt kế hoạch năm 2027.</NoiDung></VanBan>
  <ChuKy>
    <ds:Signature xmlns:ds="http://www.w3.org/2000/09/xmldsig#">
      <ds:SignedInfo>
        <ds:CanonicalizationMethod Algorithm="$C14N$"/>
        <ds:SignatureMethod Algorithm="$SIG$"/>
        <ds:Reference URI="#vb-01">
          <ds:Transforms><ds:Transform Algorithm="$C14N$"/></ds:Transforms>
          <ds:DigestMethod Algorithm="$DIGEST$"/>
          <ds:DigestValue/>
        </ds:Reference>
      </ds:SignedInfo>
      <ds:SignatureValue/>
      <ds:KeyInfo><ds:X509Data/></ds:KeyInfo>
    </ds:Signature>
  </ChuKy>
</HoSo>
`

// einvoiceTemplate is shaped like a Vietnamese e-invoice (Decree
// 123/2020/ND-CP, Circular 78/2021/TT-BTC): the seller signs the invoice
// data DLHDon by its Id, and the signing time in an Object by its Id.
const einvoiceTemplate = `<?xml version="1.0" encoding="UTF-8"?>
<HDon>
  <DLHDon Id="data">
    <TTChung>
      <PBan>2.1.0</PBan>
      <THDon>HÓA ĐƠN GIÁ TRỊ GIA TĂNG</THDon>
      <KHMSHDon>1</KHMSHDon>
      <KHHDon>C26TAA</KHHDon>
      <SHDon>123</SHDon>
      <NLap>2026-11-20</NLap>
      <DVTTe>VND</DVTTe>
      <HTTToan>TM/CK</HTTToan>
    </TTChung>
    <NDHDon>
      <NBan>
        <Ten>CÔNG TY CỔ PHẦN HÓA ĐƠN MẪU &amp; CỘNG SỰ</Ten>
        <MST>0109876543</MST>
        <DChi>Số 1 "Tràng Tiền", Hà Nội</DChi>
      </NBan>
      <NMua>
        <Ten>CÔNG TY TNHH MUA HÀNG &lt;ABC&gt;</Ten>
        <MST>0107654321</MST>
      </NMua>
      <DSHHDVu>
        <HHDVu>
          <TChat>1</TChat>
          <STT>1</STT>
          <THHDVu>Dịch vụ tư vấn</THHDVu>
          <SLuong>1</SLuong>
          <DGia>1000000</DGia>
          <ThTien>1000000</ThTien>
          <TSuat>10%</TSuat>
        </HHDVu>
      </DSHHDVu>
      <TToan>
        <TgTCThue>1000000</TgTCThue>
        <TgTThue>100000</TgTThue>
        <TgTTTBSo>1100000</TgTTTBSo>
        <TgTTTBChu>Một triệu một trăm nghìn đồng</TgTTTBChu>
      </TToan>
    </NDHDon>
  </DLHDon>
  <DSCKS>
    <NBan>
      <Signature xmlns="http://www.w3.org/2000/09/xmldsig#" Id="seller">
        <SignedInfo>
          <CanonicalizationMethod Algorithm="$C14N$"/>
          <SignatureMethod Algorithm="$SIG$"/>
          <Reference URI="#data">
            <Transforms>
              <Transform Algorithm="http://www.w3.org/2000/09/xmldsig#enveloped-signature"/>
            </Transforms>
            <DigestMethod Algorithm="$DIGEST$"/>
            <DigestValue/>
          </Reference>
          <Reference URI="#SigningTime-seller" Type="http://www.w3.org/2000/09/xmldsig#SignatureProperties">
            <DigestMethod Algorithm="$DIGEST$"/>
            <DigestValue/>
          </Reference>
        </SignedInfo>
        <SignatureValue/>
        <KeyInfo>
          <X509Data/>
        </KeyInfo>
        <Object Id="SigningTime-seller">
          <SignatureProperties>
            <SignatureProperty Target="#seller">
              <SigningTime>$TIME$</SigningTime>
            </SignatureProperty>
          </SignatureProperties>
        </Object>
      </Signature>
    </NBan>
  </DSCKS>
</HDon>
`

// xmlEdit is a change made to the signed document: a unique substring and
// its replacement.
type xmlEdit struct {
	suffix   string
	from, to string
	valid    bool // the change is outside what is signed
	subs     []validate.SubIndication
}

// xmlSpec is one way of calling `xmlsec1 --sign`.
type xmlSpec struct {
	name              string
	signer            string
	template          string
	c14n, sig, digest string
	idAttrs           []string // elements whose Id attribute xmlsec1 must know as an ID
	edits             []xmlEdit
}

func xmlSpecs() []xmlSpec {
	hash := []validate.SubIndication{validate.HashFailure}
	envelopedEdits := []xmlEdit{
		{suffix: "text-changed", from: "Công văn số 12/BTC", to: "Công văn số 13/BTC", subs: hash},
		{suffix: "attribute-changed", from: `MaHoSo="HS-2026-012"`, to: `MaHoSo="HS-2026-013"`, subs: hash},
		{suffix: "comment-changed", from: "bản nháp lần 1", to: "bản nháp lần 2", valid: true},
	}
	idrefEdits := []xmlEdit{
		{suffix: "text-changed", from: "năm 2027", to: "năm 2028", subs: hash},
	}
	invoiceEdits := []xmlEdit{
		{suffix: "amount-changed", from: "<TgTTTBSo>1100000<", to: "<TgTTTBSo>1900000<", subs: hash},
		{suffix: "signing-time-changed", from: "<SigningTime>2", to: "<SigningTime>1", subs: hash},
	}
	return []xmlSpec{
		{name: "enveloped-p256-c14n", signer: "citizen-ec", template: envelopedTemplate,
			c14n: c14n10, sig: ecdsaSHA256, digest: digestSHA256, edits: envelopedEdits},
		{name: "enveloped-p256-sha384-c14n11-gov", signer: "official-ec", template: envelopedTemplate,
			c14n: c14n11, sig: ecdsaSHA384, digest: digestSHA384, edits: envelopedEdits},
		{name: "enveloped-rsa-sha512-exc-c14n-gov", signer: "official-rsa", template: envelopedTemplate,
			c14n: excC14N, sig: rsaSHA512, digest: digestSHA512, edits: envelopedEdits},
		{name: "idref-rsa-exc-c14n", signer: "citizen-rsa", template: idrefTemplate,
			c14n: excC14N, sig: rsaSHA256, digest: digestSHA256, idAttrs: []string{"VanBan"}, edits: idrefEdits},
		{name: "einvoice-rsa-sha256", signer: "business-rsa", template: einvoiceTemplate,
			c14n: c14n10, sig: rsaSHA256, digest: digestSHA256, idAttrs: []string{"DLHDon"}, edits: invoiceEdits},
		{name: "einvoice-rsa-sha1", signer: "business-rsa", template: einvoiceTemplate,
			c14n: c14n10, sig: rsaSHA1, digest: digestSHA1, idAttrs: []string{"DLHDon"}, edits: invoiceEdits},
		{name: "einvoice-p256-sha256", signer: "business-ec", template: einvoiceTemplate,
			c14n: c14n10, sig: ecdsaSHA256, digest: digestSHA256, idAttrs: []string{"DLHDon"}, edits: invoiceEdits},
		{name: "einvoice-lookalike-signer", signer: "lookalike", template: einvoiceTemplate,
			c14n: c14n10, sig: ecdsaSHA256, digest: digestSHA256, idAttrs: []string{"DLHDon"}},
	}
}

var signatureValue = regexp.MustCompile(`(<(?:ds:)?SignatureValue>)([^<]*)(<)`)

// xmlsecCases signs the templates of xmlSpecs with `xmlsec1 --sign` and
// derives the variants: each edit of the spec, and a flipped byte in the
// SignatureValue (SIG_CRYPTO_FAILURE).
func xmlsecCases(t *testing.T, c *corpusPKI) []*corpusCase {
	t.Helper()
	signingTime := c.pki.Clock.Now().In(vietnam).Format("2006-01-02T15:04:05") // as e-invoices write it: UTC+7, no zone
	var cases []*corpusCase
	for _, sp := range xmlSpecs() {
		s := c.signers[sp.signer]
		tmpl := strings.NewReplacer("$C14N$", sp.c14n, "$SIG$", sp.sig, "$DIGEST$", sp.digest, "$TIME$", signingTime).
			Replace(sp.template)
		tmplPath := c.write(t, "xml-"+sp.name+".tmpl.xml", []byte(tmpl))
		out := c.path("xml-" + sp.name + ".xml")
		args := []string{"--sign"}
		for _, e := range sp.idAttrs {
			args = append(args, "--id-attr:Id", e)
		}
		args = append(args, "--privkey-pem", s.key+","+s.cert+","+s.ca, "--output", out, tmplPath)
		mustRun(t, c.dir, "xmlsec1", args...)
		signedDoc, err := os.ReadFile(out)
		if err != nil {
			t.Fatal(err)
		}

		trusted := sp.signer != "lookalike"
		add := func(suffix string, doc []byte, valid bool, subs []validate.SubIndication) {
			name, stem := sp.name, "xml-"+sp.name
			if suffix != "" {
				name, stem = name+"/"+suffix, stem+"-"+suffix
			}
			file := c.write(t, stem+".signed.xml", doc)
			verifyArgs := []string{"--verify"}
			for _, e := range sp.idAttrs {
				verifyArgs = append(verifyArgs, "--id-attr:Id", e)
			}
			for _, r := range c.rootFiles {
				verifyArgs = append(verifyArgs, "--trusted-pem", r)
			}
			for _, ca := range c.caFiles {
				verifyArgs = append(verifyArgs, "--untrusted-pem", ca)
			}
			verifyArgs = append(verifyArgs, file)
			cases = append(cases, &corpusCase{
				tool: toolXMLSec, name: name, input: input{format: validate.FormatXML, data: doc}, valid: valid, subs: subs,
				verify: func(ctx context.Context) (toolVerdict, error) {
					return xmlsecVerify(ctx, c.dir, verifyArgs)
				},
			})
		}
		add("", signedDoc, trusted, []validate.SubIndication{validate.NoCertificateChainFound})
		if !trusted {
			continue
		}
		for _, e := range sp.edits {
			if n := bytes.Count(signedDoc, []byte(e.from)); n != 1 {
				t.Fatalf("%s/%s: %q occurs %d times in the signed document, want 1", sp.name, e.suffix, e.from, n)
			}
			add(e.suffix, bytes.Replace(signedDoc, []byte(e.from), []byte(e.to), 1), e.valid, e.subs)
		}
		tampered, err := flipSignatureValue(signedDoc)
		if err != nil {
			t.Fatalf("%s: %v", sp.name, err)
		}
		add("signature-flipped", tampered, false, []validate.SubIndication{validate.SigCryptoFailure})
	}
	return cases
}

// flipSignatureValue flips the last byte of the decoded SignatureValue.
func flipSignatureValue(doc []byte) ([]byte, error) {
	m := signatureValue.FindSubmatchIndex(doc)
	if m == nil {
		return nil, fmt.Errorf("no SignatureValue")
	}
	raw, err := base64.StdEncoding.DecodeString(strings.Join(strings.Fields(string(doc[m[4]:m[5]])), ""))
	if err != nil || len(raw) == 0 {
		return nil, fmt.Errorf("SignatureValue: %v", err)
	}
	raw[len(raw)-1] ^= 0x01
	out := append([]byte(nil), doc[:m[4]]...)
	out = append(out, base64.StdEncoding.EncodeToString(raw)...)
	return append(out, doc[m[5]:]...), nil
}

// xmlsecVerify runs `xmlsec1 --verify`: exit 0 with "OK" is valid, exit 1
// with "FAIL" (a reference or the signature value does not verify) or
// "ERROR" (no trusted key: the certificate did not verify) is invalid;
// anything else (usage errors also exit 1) is the tool failing to run.
func xmlsecVerify(ctx context.Context, dir string, args []string) (toolVerdict, error) {
	r, err := run(ctx, dir, "xmlsec1", args...)
	if err != nil {
		return toolVerdict{out: r}, err
	}
	all := r.stdout + r.stderr
	lines := "\n" + all + "\n"
	switch {
	case r.code == 0 && strings.Contains(lines, "\nOK\n"):
		return toolVerdict{sigs: []toolSig{{valid: true, detail: "OK"}}, out: r}, nil
	case r.code == 1 && (strings.Contains(lines, "\nFAIL\n") || strings.Contains(lines, "\nERROR\n")):
		return toolVerdict{sigs: []toolSig{{valid: false, detail: xmlsecReason(r.stderr)}}, out: r}, nil
	}
	return toolVerdict{out: r}, fmt.Errorf("xmlsec1 --verify gave no verdict\n%s", r)
}

// xmlsecReason picks the most telling error line of xmlsec1's stderr.
func xmlsecReason(stderr string) string {
	for _, key := range []string{"data and digest do not match", "signature do not match", "msg=", "error="} {
		for _, l := range strings.Split(stderr, "\n") {
			if i := strings.Index(l, key); i >= 0 {
				return strings.TrimSpace(l[i:])
			}
		}
	}
	return firstLine(stderr, "")
}

// vietnam is UTC+7, the zone Vietnamese e-invoices mean when they write a
// time without one.
var vietnam = time.FixedZone("UTC+7", 7*60*60)
