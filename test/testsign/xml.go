package testsign

import (
	"crypto"
	"crypto/ecdsa"
	"crypto/rand"
	"crypto/rsa"
	"crypto/x509"
	"encoding/asn1"
	"encoding/base64"
	"fmt"
	"math/big"
	"strings"
)

// XML signature algorithm URIs.
const (
	dsNS         = "http://www.w3.org/2000/09/xmldsig#"
	uriExcC14N   = "http://www.w3.org/2001/10/xml-exc-c14n#"
	uriEnveloped = dsNS + "enveloped-signature"
)

// XMLSigner is one enveloped signature of an EInvoice.
type XMLSigner struct {
	// ID is the Signature element's Id; "" means "sig-<slot>".
	ID string
	// Cert and Key are the signer's certificate and key (RSA or ECDSA).
	Cert *x509.Certificate
	Key  crypto.Signer
	// SigningTime, when set, is written as the SignatureProperty
	// SigningTime the way Vietnamese software does (e.g.
	// "2022-01-04T08:26:34", no zone), covered by a second reference.
	SigningTime string
	// SHA1 signs with rsa-sha1 / ecdsa-sha1 and SHA-1 digests.
	SHA1 bool
	// Tamper changes the invoice after this signature was made (its
	// digest no longer matches).
	Tamper bool
}

// EInvoice describes an XML document shaped like a Decree 123 e-invoice
// (HDon/DLHDon with the invoice data, HDon/DSCKS with the signatures of
// the seller NBan, the tax authority CQT and the buyer NMua, in that
// order of Signers), every signature enveloped, exclusive-canonicalized
// and referring to DLHDon by its Id.
type EInvoice struct {
	// Items is the number of invoice lines (about 150 bytes each).
	Items   int
	Signers []XMLSigner
}

var slots = []string{"NBan", "CQT", "NMua"}

// Build returns the XML document.
func (e EInvoice) Build() ([]byte, error) {
	if len(e.Signers) > len(slots) {
		return nil, fmt.Errorf("testsign: at most %d XML signers", len(slots))
	}
	var data strings.Builder
	data.WriteString(`<DLHDon Id="data"><TTChung><PBan>2.0.0</PBan><THDon>HÓA ĐƠN GIÁ TRỊ GIA TĂNG</THDon><KHMSHDon>1</KHMSHDon><KHHDon>C26TAA</KHHDon><SHDon>1</SHDon><NLap>2026-03-01</NLap><DVTTe>VND</DVTTe></TTChung><NDHDon><NBan><Ten>CONG TY TNHH THU NGHIEM</Ten><MST>0101234567</MST></NBan><DSHHDVu>`)
	for i := 1; i <= e.Items; i++ {
		fmt.Fprintf(&data, `<HHDVu><TChat>1</TChat><STT>%d</STT><THHDVu>Hàng hóa dịch vụ thử nghiệm số %d</THHDVu><DVTinh>Cái</DVTinh><SLuong>%d</SLuong><DGia>100000</DGia><ThTien>%d00000</ThTien></HHDVu>`, i, i, i, i)
	}
	data.WriteString(`</DSHHDVu></NDHDon></DLHDon>`)
	signedData := data.String()
	sigs := make([]string, len(slots))
	for i, s := range e.Signers {
		el, err := s.element(slots[i], signedData)
		if err != nil {
			return nil, fmt.Errorf("testsign: signer %d: %w", i+1, err)
		}
		sigs[i] = el
	}
	doc := signedData
	for _, s := range e.Signers {
		if s.Tamper {
			doc = strings.Replace(doc, "<SHDon>1</SHDon>", "<SHDon>2</SHDon>", 1)
		}
	}
	var out strings.Builder
	out.WriteString(`<?xml version="1.0" encoding="UTF-8"?>` + "\n<HDon>")
	out.WriteString(doc)
	if len(e.Signers) > 0 {
		out.WriteString("<DSCKS>")
		for i, sl := range slots {
			fmt.Fprintf(&out, "<%s>%s</%s>", sl, sigs[i], sl)
		}
		out.WriteString("</DSCKS>")
	}
	out.WriteString("</HDon>\n")
	return []byte(out.String()), nil
}

// element returns the Signature element of s over the canonical form of
// DLHDon (which is signedData as written).
func (s XMLSigner) element(slot, signedData string) (string, error) {
	id := s.ID
	if id == "" {
		id = "sig-" + slot
	}
	h, digestURI := crypto.SHA256, "http://www.w3.org/2001/04/xmlenc#sha256"
	if s.SHA1 {
		h, digestURI = crypto.SHA1, dsNS+"sha1"
	}
	var method string
	switch s.Key.Public().(type) {
	case *rsa.PublicKey:
		method = "http://www.w3.org/2001/04/xmldsig-more#rsa-sha256"
		if s.SHA1 {
			method = dsNS + "rsa-sha1"
		}
	case *ecdsa.PublicKey:
		method = "http://www.w3.org/2001/04/xmldsig-more#ecdsa-sha256"
		if s.SHA1 {
			method = "http://www.w3.org/2001/04/xmldsig-more#ecdsa-sha1"
		}
	default:
		return "", fmt.Errorf("unsupported key %T", s.Key.Public())
	}
	ref := func(uri, transforms, canonical string) string {
		return fmt.Sprintf(`<Reference URI="%s"><Transforms>%s</Transforms><DigestMethod Algorithm="%s"></DigestMethod><DigestValue>%s</DigestValue></Reference>`,
			uri, transforms, digestURI, base64.StdEncoding.EncodeToString(Sum(h, []byte(canonical))))
	}
	excl := `<Transform Algorithm="` + uriExcC14N + `"></Transform>`
	refs := ref("#data", `<Transform Algorithm="`+uriEnveloped+`"></Transform>`+excl, signedData)
	var object string
	if s.SigningTime != "" {
		inner := fmt.Sprintf(`<SignatureProperties><SignatureProperty Target="#%s"><SigningTime>%s</SigningTime></SignatureProperty></SignatureProperties>`, id, s.SigningTime)
		object = fmt.Sprintf(`<Object Id="%s-st">%s</Object>`, id, inner)
		refs += ref("#"+id+"-st", excl, fmt.Sprintf(`<Object xmlns="%s" Id="%s-st">%s</Object>`, dsNS, id, inner))
	}
	signedInfo := fmt.Sprintf(`<CanonicalizationMethod Algorithm="%s"></CanonicalizationMethod><SignatureMethod Algorithm="%s"></SignatureMethod>%s`,
		uriExcC14N, method, refs)
	canonicalSI := `<SignedInfo xmlns="` + dsNS + `">` + signedInfo + `</SignedInfo>`
	value, err := xmlSignatureValue(s.Key, h, []byte(canonicalSI))
	if err != nil {
		return "", err
	}
	return fmt.Sprintf(`<Signature xmlns="%s" Id="%s"><SignedInfo>%s</SignedInfo><SignatureValue>%s</SignatureValue><KeyInfo><X509Data><X509Certificate>%s</X509Certificate></X509Data></KeyInfo>%s</Signature>`,
		dsNS, id, signedInfo, base64.StdEncoding.EncodeToString(value), base64.StdEncoding.EncodeToString(s.Cert.Raw), object), nil
}

// xmlSignatureValue signs msg: RSA PKCS #1 v1.5, or ECDSA as r||s
// (XMLDSig 1.1 §6.4.3).
func xmlSignatureValue(key crypto.Signer, h crypto.Hash, msg []byte) ([]byte, error) {
	sig, err := key.Sign(rand.Reader, Sum(h, msg), h)
	if err != nil {
		return nil, err
	}
	pub, ok := key.Public().(*ecdsa.PublicKey)
	if !ok {
		return sig, nil
	}
	return ecdsaRaw(pub, sig)
}

// ecdsaRaw converts an ASN.1 ECDSA signature to r||s.
func ecdsaRaw(pub *ecdsa.PublicKey, sig []byte) ([]byte, error) {
	var rs struct{ R, S *big.Int }
	if _, err := asn1.Unmarshal(sig, &rs); err != nil {
		return nil, err
	}
	n := (pub.Curve.Params().BitSize + 7) / 8
	out := make([]byte, 2*n)
	rs.R.FillBytes(out[:n])
	rs.S.FillBytes(out[n:])
	return out, nil
}
