package pdf

import (
	"bytes"
	"compress/zlib"
	"crypto"
	"crypto/sha1"
	"crypto/sha256"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/asn1"
	"testing"
	"time"

	"github.com/digitorus/pkcs7"
	"github.com/digitorus/timestamp"

	"github.com/lienthong/lienthong/test/testpki"
	"github.com/lienthong/lienthong/test/testsign"
)

// testPDF is testsign's revision-by-revision PDF writer with helpers
// that fail the test instead of returning errors.
type testPDF struct{ *testsign.PDFWriter }

// contentsHexLen is the room reserved for each signature value.
const contentsHexLen = 8192

func newTestPDF() *testPDF { return &testPDF{testsign.NewPDFWriter(contentsHexLen)} }

// signFunc adapts a test signer to testsign.
func signFunc(t testing.TB, mk func(t testing.TB, segs [][]byte) []byte) testsign.SignFunc {
	return func(segs [][]byte) ([]byte, error) { return mk(t, segs), nil }
}

// sign fills the latest placeholder: /ByteRange covers the buffer as it
// is, around /Contents, and mk makes the signature value over it.
func (w *testPDF) sign(t testing.TB, mk func(t testing.TB, segs [][]byte) []byte) {
	t.Helper()
	if err := w.Sign(signFunc(t, mk)); err != nil {
		t.Fatal(err)
	}
}

// setByteRange overwrites the /ByteRange of placeholder i.
func (w *testPDF) setByteRange(t testing.TB, i int, v [4]int) {
	t.Helper()
	if err := w.SetByteRange(i, v); err != nil {
		t.Fatal(err)
	}
}

func (w *testPDF) bytes() []byte { return bytes.Clone(w.Bytes()) }

// fixture is a test PKI with a citizen signer and a TSA.
type fixture struct {
	pki  *testpki.PKI
	leaf *testpki.Leaf
	tsa  *testpki.Leaf
	now  time.Time
}

func newFixture(tb testing.TB) *fixture {
	tb.Helper()
	now := time.Date(2026, 3, 1, 10, 0, 0, 0, time.UTC)
	p, err := testpki.New(testpki.Options{Now: now})
	if err != nil {
		tb.Fatal(err)
	}
	tb.Cleanup(p.Close)
	tsa, err := p.Public.CA.IssueLeaf(pkix.Name{CommonName: "Test TSA", Country: []string{"VN"}},
		testpki.WithMutate(func(c *x509.Certificate) {
			c.ExtKeyUsage = []x509.ExtKeyUsage{x509.ExtKeyUsageTimeStamping}
			c.KeyUsage = x509.KeyUsageDigitalSignature
		}))
	if err != nil {
		tb.Fatal(err)
	}
	return &fixture{pki: p, leaf: p.Public.Citizen, tsa: tsa, now: now}
}

// detached makes a detached CMS over the segments (adbe.pkcs7.detached,
// ETSI.CAdES.detached).
func (f *fixture) detached(t testing.TB, segs [][]byte) []byte {
	sd, err := pkcs7.NewSignedData(bytes.Join(segs, nil))
	if err != nil {
		t.Fatal(err)
	}
	sd.SetDigestAlgorithm(pkcs7.OIDDigestAlgorithmSHA256)
	if err := sd.AddSigner(f.leaf.Cert, f.leaf.Key, pkcs7.SignerInfoConfig{}); err != nil {
		t.Fatal(err)
	}
	sd.AddCertificate(f.leaf.Issuer.Cert)
	sd.Detach()
	der, err := sd.Finish()
	if err != nil {
		t.Fatal(err)
	}
	return der
}

// sha1Attached makes the adbe.pkcs7.sha1 CMS: attached, its content the
// SHA-1 digest of the segments.
func (f *fixture) sha1Attached(t testing.TB, segs [][]byte) []byte {
	h := sha1.New()
	for _, s := range segs {
		h.Write(s)
	}
	sd, err := pkcs7.NewSignedData(h.Sum(nil))
	if err != nil {
		t.Fatal(err)
	}
	// SHA-1 throughout, as Acrobat wrote adbe.pkcs7.sha1.
	sd.SetDigestAlgorithm(pkcs7.OIDDigestAlgorithmSHA1)
	if err := sd.AddSigner(f.leaf.Cert, f.leaf.Key, pkcs7.SignerInfoConfig{}); err != nil {
		t.Fatal(err)
	}
	der, err := sd.Finish()
	if err != nil {
		t.Fatal(err)
	}
	return der
}

// docTimestamp makes an RFC 3161 TimeStampToken over the segments.
func (f *fixture) docTimestamp(t testing.TB, segs [][]byte) []byte {
	h := sha256.New()
	for _, s := range segs {
		h.Write(s)
	}
	ts := timestamp.Timestamp{
		HashAlgorithm: crypto.SHA256, HashedMessage: h.Sum(nil), Time: f.now,
		Policy: asn1.ObjectIdentifier{1, 2, 3, 4}, AddTSACertificate: true,
	}
	resp, err := ts.CreateResponseWithOpts(f.tsa.Cert, f.tsa.Key, crypto.SHA256)
	if err != nil {
		t.Fatal(err)
	}
	parsed, err := timestamp.ParseResponse(resp)
	if err != nil {
		t.Fatal(err)
	}
	return parsed.RawToken
}

// signedDoc writes a one-page document and n signatures, each in its own
// incremental update (the first in the original revision); field i is
// object 10+2i named Signature<i>, its signature dictionary 11+2i.
func signedDoc(t testing.TB, f *fixture, n int, subFilter string, content []byte) *testPDF {
	t.Helper()
	mk := f.detached
	if subFilter == "adbe.pkcs7.sha1" {
		mk = f.sha1Attached
	}
	sigs := make([]testsign.SignFunc, n)
	for i := range sigs {
		sigs[i] = signFunc(t, mk)
	}
	w, err := testsign.PDF{Content: content, Signatures: sigs, SubFilter: subFilter, ContentsHex: contentsHexLen}.Writer()
	if err != nil {
		t.Fatal(err)
	}
	return &testPDF{w}
}

const pageText = "BT /F1 12 Tf 72 720 Td (Hello, Viet Nam) Tj ET"

func zlibWriterLevel(w *bytes.Buffer) (*zlib.Writer, error) {
	return zlib.NewWriterLevel(w, zlib.BestSpeed)
}
