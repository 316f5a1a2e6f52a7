package xmldsig_test

import (
	"crypto"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/rsa"
	"crypto/sha256"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/hex"
	"fmt"
	"math/big"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/beevik/etree"
)

// signer is a key and a self-signed certificate for it.
type signer struct {
	key  crypto.Signer
	cert *x509.Certificate
}

// keys caches generated keys: RSA generation is slow and the tests only
// need a few distinct keys.
var keys struct {
	sync.Mutex
	m map[string]*signer
}

// testSigner returns the signer named name ("rsa-1", "rsa-2", "ec-1"…),
// generating it on first use: RSA 2048 for names starting with "rsa",
// P-256 otherwise.
func testSigner(tb testing.TB, name string) *signer {
	tb.Helper()
	keys.Lock()
	defer keys.Unlock()
	if s := keys.m[name]; s != nil {
		return s
	}
	var key crypto.Signer
	var err error
	if strings.HasPrefix(name, "rsa") {
		key, err = rsa.GenerateKey(rand.Reader, 2048)
	} else {
		key, err = ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	}
	if err != nil {
		tb.Fatal(err)
	}
	now := time.Date(2024, 1, 1, 0, 0, 0, 0, time.UTC)
	tmpl := &x509.Certificate{
		SerialNumber: big.NewInt(int64(len(keys.m) + 1)),
		Subject:      pkix.Name{CommonName: "test signer " + name, Country: []string{"VN"}},
		NotBefore:    now, NotAfter: now.AddDate(5, 0, 0),
		KeyUsage: x509.KeyUsageDigitalSignature | x509.KeyUsageContentCommitment,
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, key.Public(), key)
	if err != nil {
		tb.Fatal(err)
	}
	cert, err := x509.ParseCertificate(der)
	if err != nil {
		tb.Fatal(err)
	}
	if keys.m == nil {
		keys.m = map[string]*signer{}
	}
	s := &signer{key: key, cert: cert}
	keys.m[name] = s
	return s
}

// invoice builds an e-invoice shaped like Decree 123's HDon with items
// line items: HDon/DLHDon[Id=data] with the invoice data, MCCQT[Id=mccqt]
// (the tax authority's code) and DSCKS/NBan|NMua|CQT for the signatures.
// The root declares xsi and xsd as .NET serializers do: inclusive
// canonicalization of a SignedInfo must carry them.
func invoice(items int) *etree.Document {
	doc := etree.NewDocument()
	doc.CreateProcInst("xml", `version="1.0" encoding="UTF-8"`)
	root := doc.CreateElement("HDon")
	root.CreateAttr("xmlns:xsi", "http://www.w3.org/2001/XMLSchema-instance")
	root.CreateAttr("xmlns:xsd", "http://www.w3.org/2001/XMLSchema")
	data := root.CreateElement("DLHDon")
	data.CreateAttr("Id", "data")
	tt := data.CreateElement("TTChung")
	tt.CreateElement("PBan").SetText("2.0.0")
	tt.CreateElement("THDon").SetText("Hóa đơn giá trị gia tăng")
	tt.CreateElement("KHMSHDon").SetText("1")
	tt.CreateElement("KHHDon").SetText("C24TAA")
	tt.CreateElement("SHDon").SetText("42")
	tt.CreateElement("NLap").SetText("2024-03-01")
	nd := data.CreateElement("NDHDon")
	nb := nd.CreateElement("NBan")
	nb.CreateElement("Ten").SetText("CÔNG TY TNHH THỬ NGHIỆM & CỘNG SỰ")
	nb.CreateElement("MST").SetText("0100000000")
	nb.CreateElement("DChi").SetText("Số 1, phố <Thử>, Hà Nội")
	list := nd.CreateElement("DSHHDVu")
	for i := 1; i <= items; i++ {
		it := list.CreateElement("HHDVu")
		it.CreateElement("TChat").SetText("1")
		it.CreateElement("STT").SetText(fmt.Sprint(i))
		it.CreateElement("THHDVu").SetText(fmt.Sprintf("Dịch vụ tư vấn số %d", i))
		it.CreateElement("DVTinh").SetText("Gói")
		it.CreateElement("SLuong").SetText("1")
		it.CreateElement("DGia").SetText("1000000")
		it.CreateElement("ThTien").SetText("1000000")
		it.CreateElement("TSuat").SetText("10%")
	}
	tot := nd.CreateElement("TToan")
	tot.CreateElement("TgTCThue").SetText(fmt.Sprint(items * 1000000))
	tot.CreateElement("TgTTTBChu").SetText("Một triệu đồng chẵn.")
	root.CreateElement("MCCQT").CreateAttr("Id", "mccqt")
	root.SelectElement("MCCQT").SetText("00ABCDEF0123456789ABCDEF012345678")
	ds := root.CreateElement("DSCKS")
	ds.CreateElement("NBan")
	ds.CreateElement("NMua")
	ds.CreateElement("CQT")
	return doc
}

// at returns the element at a slash path below the root.
func at(doc *etree.Document, path string) *etree.Element {
	e := doc.Root()
	for _, p := range strings.Split(path, "/") {
		e = e.SelectElement(p)
	}
	return e
}

// fingerprint is the SHA-256 of a certificate, for logs: tests never log
// names or ID numbers of real certificates.
func fingerprint(c *x509.Certificate) string {
	if c == nil {
		return "<nil>"
	}
	sum := sha256.Sum256(c.Raw)
	return hex.EncodeToString(sum[:])
}
