package gateway

import (
	"bytes"
	"crypto"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/base64"
	"encoding/json"
	"encoding/pem"
	"fmt"
	"io"
	"math/big"
	"mime/multipart"
	"net/http"
	"net/textproto"
	"strings"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus/testutil"

	"github.com/lienthong/lienthong/test/testsign"
	"github.com/lienthong/lienthong/validate"
)

// docSigners are the document signers of the gateway tests: the
// deterministic Ed25519 citizen leaf (CMS, PDF, raw) and a P-256 leaf for
// XML signatures, both under the public issuing CA.
type docSigners struct {
	ed     testsign.Signer
	ec     *x509.Certificate
	ecKey  *ecdsa.PrivateKey
	signed time.Time
}

func newDocSigners(t *testing.T, p *testPKI) docSigners {
	t.Helper()
	leaf := newSigningLeaf(t, p)
	signed := time.Date(2026, 11, 22, 9, 30, 0, 0, time.UTC)
	ecKey, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	tmpl := &x509.Certificate{
		SerialNumber: big.NewInt(1002),
		Subject:      pkix.Name{CommonName: "CONG TY TNHH THU NGHIEM", Country: []string{"VN"}},
		NotBefore:    fixedNotBefore, NotAfter: fixedNotAfter,
		KeyUsage: x509.KeyUsageDigitalSignature | x509.KeyUsageContentCommitment,
	}
	der, err := x509.CreateCertificate(nil, tmpl, p.pubCA.cert, ecKey.Public(), p.pubCA.key)
	if err != nil {
		t.Fatal(err)
	}
	ec, err := x509.ParseCertificate(der)
	if err != nil {
		t.Fatal(err)
	}
	return docSigners{ed: testsign.Signer{Cert: leaf, Key: seededKey("citizen leaf"), SigningTime: &signed}, ec: ec, ecKey: ecKey, signed: signed}
}

var docContent = []byte("Tờ khai hải quan điện tử số 100000000001\n")

func mustBuild(t *testing.T, b interface{ Build() ([]byte, error) }) []byte {
	t.Helper()
	out, err := b.Build()
	if err != nil {
		t.Fatal(err)
	}
	return out
}

type part struct{ name, contentType, body string }

func multipartBody(t *testing.T, parts ...part) (string, *bytes.Buffer) {
	t.Helper()
	var buf bytes.Buffer
	w := multipart.NewWriter(&buf)
	for _, p := range parts {
		h := textproto.MIMEHeader{}
		h.Set("Content-Disposition", fmt.Sprintf(`form-data; name=%q; filename=%q`, p.name, p.name+".bin"))
		if p.contentType != "" {
			h.Set("Content-Type", p.contentType)
		}
		pw, err := w.CreatePart(h)
		if err != nil {
			t.Fatal(err)
		}
		io.WriteString(pw, p.body)
	}
	w.Close()
	return w.FormDataContentType(), &buf
}

func b64(b []byte) string { return base64.StdEncoding.EncodeToString(b) }

// TestValidateDocuments drives every document form of POST /v1/validate
// through the real engine (revocation off).
func TestValidateDocuments(t *testing.T) {
	f := newFixture(t, Options{}, engineValidator(t, validate.RevocationOff))
	s := newDocSigners(t, f.pki)
	attached := mustBuild(t, testsign.CMS{Content: docContent, Signers: []testsign.Signer{s.ed}, Certificates: []*x509.Certificate{s.ed.Cert}})
	detached := mustBuild(t, testsign.CMS{Content: docContent, Detached: true, Signers: []testsign.Signer{s.ed}, Certificates: []*x509.Certificate{s.ed.Cert}})
	pdfDoc := mustBuild(t, testsign.PDF{Content: []byte("BT (Xin chao) Tj ET"), Signatures: []testsign.SignFunc{testsign.DetachedCMS(s.ed)}})
	xmlDoc := mustBuild(t, testsign.EInvoice{Items: 2, Signers: []testsign.XMLSigner{{Cert: s.ec, Key: s.ecKey, SigningTime: "2026-11-22T16:30:00"}}})
	rawSig := must(testsign.RawSignature(s.ed.Key, 0, testsign.RawEd25519, docContent, false))
	sum := testsign.Sum(crypto.SHA256, docContent)
	ecRaw := must(testsign.RawSignature(s.ecKey, crypto.SHA256, testsign.RawECDSARaw, sum, true))
	certPEM := string(pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: s.ed.Cert.Raw}))
	ecPEM := string(pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: s.ec.Raw}))
	unsignedPDF := mustBuild(t, testsign.PDF{Content: []byte("BT ET")})
	unsignedXML := mustBuild(t, testsign.EInvoice{Items: 1})
	jsonBody := func(fields map[string]any) string {
		b, err := json.Marshal(fields)
		if err != nil {
			t.Fatal(err)
		}
		return string(b)
	}
	mpDetached, mpDetachedBody := multipartBody(t, part{"document", "application/octet-stream", string(docContent)},
		part{"signature", "application/pkcs7-signature", string(detached)}, part{"validation_time", "", "2026-11-22T10:00:00Z"})
	mpPDF, mpPDFBody := multipartBody(t, part{"document", "application/pdf", string(pdfDoc)}, part{"comment", "text/plain", "ignored"})
	mpSniff, mpSniffBody := multipartBody(t, part{"document", "", string(xmlDoc)})
	mpRaw, mpRawBody := multipartBody(t, part{"document", "", string(docContent)}, part{"signature", "", string(rawSig)},
		part{"certificate", "application/pkix-cert", string(s.ed.Cert.Raw)})

	tests := []struct {
		name, contentType string
		body              io.Reader
		want              string // "format INDICATION[/SUB] nsigs"
	}{
		{"pdf", "application/pdf", bytes.NewReader(pdfDoc), "pdf TOTAL_PASSED 1"},
		{"xml", "application/xml; charset=utf-8", bytes.NewReader(xmlDoc), "xml TOTAL_PASSED 1"},
		{"text/xml", "text/xml", bytes.NewReader(xmlDoc), "xml TOTAL_PASSED 1"},
		{"cms attached", "application/pkcs7-mime", bytes.NewReader(attached), "cms TOTAL_PASSED 1"},
		{"cms attached as pkcs7-signature", "application/pkcs7-signature", bytes.NewReader(attached), "cms TOTAL_PASSED 1"},
		{"cms detached without content", "application/pkcs7-signature", bytes.NewReader(detached), "cms INDETERMINATE/SIGNED_DATA_NOT_FOUND 1"},
		{"multipart detached", mpDetached, mpDetachedBody, "cms TOTAL_PASSED 1"},
		{"multipart pdf", mpPDF, mpPDFBody, "pdf TOTAL_PASSED 1"},
		{"multipart sniffed xml", mpSniff, mpSniffBody, "xml TOTAL_PASSED 1"},
		{"multipart raw", mpRaw, mpRawBody, "raw TOTAL_PASSED 1"},
		{"json raw", "application/json", strings.NewReader(jsonBody(map[string]any{
			"document": b64(docContent), "signature": b64(rawSig), "certificate": certPEM})), "raw TOTAL_PASSED 1"},
		{"json raw over a digest", "application/json", strings.NewReader(jsonBody(map[string]any{
			"signature": b64(ecRaw), "certificate": ecPEM, "digest": map[string]string{"algorithm": "SHA-256", "value": b64(sum)}})), "raw TOTAL_PASSED 1"},
		{"json raw, wrong document", "application/json", strings.NewReader(jsonBody(map[string]any{
			"document": b64([]byte("other")), "signature": b64(rawSig), "certificate": certPEM})), "raw TOTAL_FAILED/SIG_CRYPTO_FAILURE 1"},
		{"json detached cms over a digest", "application/json", strings.NewReader(jsonBody(map[string]any{
			"signature": b64(detached), "digest": map[string]string{"algorithm": "sha512", "value": b64(testsign.Sum(crypto.SHA512, docContent))}})), "cms TOTAL_PASSED 1"},
		{"json detached cms over a digest of another algorithm", "application/json", strings.NewReader(jsonBody(map[string]any{
			"signature": b64(detached), "digest": map[string]string{"algorithm": "SHA-256", "value": b64(sum)}})), "cms INDETERMINATE/SIGNED_DATA_NOT_FOUND 1"},
		{"json detached cms with document", "application/json", strings.NewReader(jsonBody(map[string]any{
			"signature": b64(detached), "document": b64(docContent)})), "cms TOTAL_PASSED 1"},
		{"json document alone", "application/json", strings.NewReader(jsonBody(map[string]any{"document": b64(pdfDoc)})), "pdf TOTAL_PASSED 1"},
		{"unsigned pdf", "application/pdf", bytes.NewReader(unsignedPDF), "pdf TOTAL_FAILED/FORMAT_FAILURE 0"},
		{"unsigned xml", "application/xml", bytes.NewReader(unsignedXML), "xml TOTAL_FAILED/FORMAT_FAILURE 0"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			rec := do(t, f.srv.Handler(), http.MethodPost, "/v1/validate?validation_time=2026-11-22T10:00:00Z", tc.contentType, tc.body)
			if rec.Code != http.StatusOK {
				t.Fatalf("status %d: %s", rec.Code, rec.Body)
			}
			var rep validate.Report
			if err := json.Unmarshal(rec.Body.Bytes(), &rep); err != nil {
				t.Fatal(err)
			}
			got := fmt.Sprintf("%s %s %d", rep.Format, rep.Indication, len(rep.Signatures))
			if rep.SubIndication != "" {
				got = fmt.Sprintf("%s %s/%s %d", rep.Format, rep.Indication, rep.SubIndication, len(rep.Signatures))
			}
			if got != tc.want {
				t.Fatalf("got %s, want %s: %s", got, tc.want, rec.Body)
			}
			if len(rep.Signatures) == 0 {
				if !strings.Contains(rec.Body.String(), `"signatures":[]`) || len(rep.Messages) != 1 || rep.Messages[0].Code != validate.CodeNoSignature {
					t.Errorf("unsigned report %s", rec.Body)
				}
			} else if rep.Indication == validate.TotalPassed && rep.Signatures[0].Domain != "public" {
				t.Errorf("domain %q", rep.Signatures[0].Domain)
			}
		})
	}
	for _, c := range []struct{ format, domain, indication string }{
		{"pdf", "public", "TOTAL_PASSED"}, {"xml", "public", "TOTAL_PASSED"}, {"cms", "public", "TOTAL_PASSED"},
		{"raw", "public", "TOTAL_PASSED"}, {"pdf", "none", "TOTAL_FAILED"}, {"cms", "none", "INDETERMINATE"},
	} {
		if n := testutil.ToFloat64(f.srv.metrics.validations.WithLabelValues(c.format, c.domain, c.indication)); n == 0 {
			t.Errorf("lienthong_validations_total{%s,%s,%s} = 0", c.format, c.domain, c.indication)
		}
	}

	t.Run("golden cms report", func(t *testing.T) {
		rec := do(t, f.srv.Handler(), http.MethodPost, "/v1/validate?validation_time=2026-11-22T10:00:00Z", "application/pkcs7-mime", bytes.NewReader(attached))
		if rec.Code != http.StatusOK {
			t.Fatalf("status %d: %s", rec.Code, rec.Body)
		}
		golden(t, "validate_cms.golden.json", rec.Body.Bytes())
	})
}

func must[T any](v T, err error) T {
	if err != nil {
		panic(err)
	}
	return v
}

func TestValidateDocumentRefusals(t *testing.T) {
	f := newFixture(t, Options{MaxBodyBytes: 4096}, engineValidator(t, validate.RevocationOff))
	random := make([]byte, 1500)
	if _, err := rand.Read(random); err != nil {
		t.Fatal(err)
	}
	random[0] = 1
	big := bytes.Repeat([]byte("A"), 5000)
	manyParts := make([]part, maxParts+1)
	for i := range manyParts {
		manyParts[i] = part{fmt.Sprintf("p%d", i), "", "x"}
	}
	mpMany, mpManyBody := multipartBody(t, manyParts...)
	mpBig, mpBigBody := multipartBody(t, part{"document", "application/pdf", string(big)})
	mpNoDoc, mpNoDocBody := multipartBody(t, part{"signature", "", "x"})
	mpTwice, mpTwiceBody := multipartBody(t, part{"document", "", "x"}, part{"document", "", "y"})
	mpCert, mpCertBody := multipartBody(t, part{"document", "", "x"}, part{"certificate", "", "y"})
	tests := []struct {
		name, contentType string
		body              io.Reader
		status            int
		code              string
	}{
		{"random bytes as pdf", "application/pdf", bytes.NewReader(random), http.StatusBadRequest, "malformed_document"},
		{"random bytes as cms", "application/pkcs7-mime", bytes.NewReader(random), http.StatusBadRequest, "malformed_document"},
		{"truncated pdf", "application/pdf", strings.NewReader("%PDF-1.7\n1 0 obj <<"), http.StatusBadRequest, "malformed_document"},
		{"xml with a DOCTYPE", "application/xml", strings.NewReader(`<?xml version="1.0"?><!DOCTYPE r [<!ENTITY a "b">]><r>&a;</r>`), http.StatusBadRequest, "malformed_document"},
		{"not xml at all", "text/xml", strings.NewReader("<<<"), http.StatusBadRequest, "malformed_document"},
		{"json document of no known format", "application/json", strings.NewReader(`{"document":"aGVsbG8="}`), http.StatusBadRequest, "malformed_document"},
		{"json raw with a bad certificate", "application/json", strings.NewReader(`{"document":"aGVsbG8=","signature":"AAAA","certificate":"AAAA"}`), http.StatusBadRequest, "malformed_document"},
		{"unsupported type", "image/png", strings.NewReader("x"), http.StatusUnsupportedMediaType, "unsupported_media_type"},
		{"octet-stream is not a document type", "application/octet-stream", strings.NewReader("%PDF-"), http.StatusUnsupportedMediaType, "unsupported_media_type"},
		{"too large", "application/pdf", bytes.NewReader(big), http.StatusRequestEntityTooLarge, "body_too_large"},
		{"too large multipart", mpBig, mpBigBody, http.StatusRequestEntityTooLarge, "body_too_large"},
		{"too many parts", mpMany, mpManyBody, http.StatusBadRequest, "malformed_request"},
		{"multipart without a document", mpNoDoc, mpNoDocBody, http.StatusBadRequest, "malformed_request"},
		{"multipart document twice", mpTwice, mpTwiceBody, http.StatusBadRequest, "malformed_request"},
		{"multipart certificate without signature", mpCert, mpCertBody, http.StatusBadRequest, "malformed_request"},
		{"broken multipart", "multipart/form-data; boundary=xyz", strings.NewReader("--xyz\r\nbroken"), http.StatusBadRequest, "malformed_request"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			rec := do(t, f.srv.Handler(), http.MethodPost, "/v1/validate", tc.contentType, tc.body)
			wantError(t, rec, tc.status, tc.code)
		})
	}
	t.Run("too large without Content-Length", func(t *testing.T) {
		rec := serve(f.srv.Handler(), httptestRequestNoLength(http.MethodPost, "/v1/validate", "application/xml", string(big)))
		wantError(t, rec, http.StatusRequestEntityTooLarge, "body_too_large")
	})
}
