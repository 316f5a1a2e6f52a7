package gateway

import (
	"context"
	"crypto/x509"
	"encoding/base64"
	"encoding/json"
	"encoding/pem"
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus/testutil"

	"github.com/lienthong/lienthong/trust"
	"github.com/lienthong/lienthong/validate"
)

// fakeValidator answers TOTAL_PASSED in domain "public", or does what its
// fields say.
type fakeValidator struct {
	panicWith string
	err       error
	wait      bool // block until ctx is done
	got       *CertificateRequest
	gotDoc    *validate.Document
}

func (v *fakeValidator) ValidateCertificate(ctx context.Context, store *trust.Store, req CertificateRequest) (Outcome, error) {
	switch {
	case v.panicWith != "":
		panic(v.panicWith)
	case v.err != nil:
		return Outcome{}, v.err
	case v.wait:
		<-ctx.Done()
		return Outcome{}, ctx.Err()
	}
	v.got = &req
	report := map[string]any{
		"indication":      "TOTAL_PASSED",
		"format":          "certificate",
		"validation_time": req.ValidationTime.Format(time.RFC3339),
		"trust_store":     store.Digest(),
	}
	return Outcome{Report: report, Indication: "TOTAL_PASSED", Domain: "public"}, nil
}

func (v *fakeValidator) ValidateDocument(ctx context.Context, store *trust.Store, doc validate.Document) (Outcome, error) {
	switch {
	case v.panicWith != "":
		panic(v.panicWith)
	case v.err != nil:
		return Outcome{}, v.err
	case v.wait:
		<-ctx.Done()
		return Outcome{}, ctx.Err()
	}
	v.gotDoc = &doc
	report := map[string]any{"indication": "TOTAL_PASSED", "format": doc.Format}
	return Outcome{Report: report, Indication: "TOTAL_PASSED", Domain: "public"}, nil
}

func certJSON(c *x509.Certificate, extra ...string) string {
	p := string(pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: c.Raw}))
	fields := append([]string{`"certificate":` + quote(p)}, extra...)
	return "{" + strings.Join(fields, ",") + "}"
}

func quote(s string) string {
	b, _ := json.Marshal(s)
	return string(b)
}

func httptestRequestNoLength(method, target, contentType, body string) *http.Request {
	req := httptest.NewRequest(method, target, io.MultiReader(strings.NewReader(body)))
	req.ContentLength = -1
	req.Header.Set("Content-Type", contentType)
	return req
}

func serve(h http.Handler, req *http.Request) *httptest.ResponseRecorder {
	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, req)
	return rec
}

func TestValidateCertificate(t *testing.T) {
	v := &fakeValidator{}
	f := newFixture(t, Options{}, v)
	leaf := f.pki.pubCA.cert
	b64 := base64.StdEncoding.EncodeToString(leaf.Raw)
	interB64 := base64.StdEncoding.EncodeToString(f.pki.pubRoot.cert.Raw)

	tests := []struct {
		name   string
		target string
		body   string
		check  func(t *testing.T, req *CertificateRequest)
	}{
		{"PEM, defaults", "/v1/validate", certJSON(leaf), func(t *testing.T, r *CertificateRequest) {
			if !r.ValidationTime.Equal(testNow) || r.Purpose != PurposeDocumentSigning {
				t.Errorf("time %s purpose %q, want now and document_signing", r.ValidationTime, r.Purpose)
			}
		}},
		{"URL-safe unpadded base64 DER", "/v1/validate",
			`{"certificate":"` + base64.RawURLEncoding.EncodeToString(leaf.Raw) + `"}`,
			func(t *testing.T, r *CertificateRequest) {
				if !r.Certificate.Equal(leaf) {
					t.Error("another certificate decoded")
				}
			}},
		{"base64 DER with intermediates and purpose", "/v1/validate",
			`{"certificate":"` + b64 + `","intermediates":["` + interB64 + `"],"purpose":"any"}`,
			func(t *testing.T, r *CertificateRequest) {
				if len(r.Intermediates) != 1 || r.Purpose != PurposeAny || !r.Certificate.Equal(leaf) {
					t.Errorf("request %+v", r)
				}
			}},
		{"validation_time in the query", "/v1/validate?validation_time=2025-01-02T03:04:05%2B07:00", certJSON(leaf),
			func(t *testing.T, r *CertificateRequest) {
				if want := time.Date(2025, 1, 1, 20, 4, 5, 0, time.UTC); !r.ValidationTime.Equal(want) || r.ValidationTime.Location() != time.UTC {
					t.Errorf("time %s, want %s in UTC", r.ValidationTime, want)
				}
			}},
		{"validation_time 4 minutes ahead is accepted", "/v1/validate", certJSON(leaf, `"validation_time":"2026-11-22T10:04:00Z"`), nil},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			v.got = nil
			rec := do(t, f.srv.Handler(), http.MethodPost, tc.target, "application/json; charset=utf-8", strings.NewReader(tc.body))
			if rec.Code != http.StatusOK {
				t.Fatalf("status %d: %s", rec.Code, rec.Body)
			}
			if v.got == nil {
				t.Fatal("validator not called")
			}
			if tc.check != nil {
				tc.check(t, v.got)
			}
		})
	}
	got := testutil.ToFloat64(f.srv.metrics.validations.WithLabelValues("certificate", "public", "TOTAL_PASSED"))
	if got != float64(len(tests)) {
		t.Errorf("lienthong_validations_total{certificate,public,TOTAL_PASSED} = %v, want %d", got, len(tests))
	}
}

func TestValidateRefusals(t *testing.T) {
	f := newFixture(t, Options{}, &fakeValidator{})
	leaf := f.pki.pubCA.cert
	tests := []struct {
		name, contentType, target, body string
		status                          int
		code                            string
	}{
		{"no content type", "", "/v1/validate", "{}", http.StatusUnsupportedMediaType, "unsupported_media_type"},
		{"unsupported content type", "image/png", "/v1/validate", "x", http.StatusUnsupportedMediaType, "unsupported_media_type"},
		{"bad JSON", "application/json", "/v1/validate", "{", http.StatusBadRequest, "malformed_request"},
		{"trailing data", "application/json", "/v1/validate", certJSON(leaf) + "{}", http.StatusBadRequest, "malformed_request"},
		{"wrong field type", "application/json", "/v1/validate", `{"certificate":1}`, http.StatusBadRequest, "malformed_request"},
		{"no certificate", "application/json", "/v1/validate", `{}`, http.StatusBadRequest, "malformed_request"},
		{"document not base64", "application/json", "/v1/validate", `{"document":"%%%"}`, http.StatusBadRequest, "malformed_request"},
		{"digest without signature", "application/json", "/v1/validate", `{"digest":{"algorithm":"SHA-256","value":"AAAA"}}`, http.StatusBadRequest, "malformed_request"},
		{"certificate with a document but no signature", "application/json", "/v1/validate", certJSON(leaf, `"document":"AAAA"`), http.StatusBadRequest, "malformed_request"},
		{"purpose any with a document", "application/json", "/v1/validate", `{"document":"AAAA","purpose":"any"}`, http.StatusBadRequest, "malformed_request"},
		{"unknown digest algorithm", "application/json", "/v1/validate", `{"signature":"AAAA","digest":{"algorithm":"MD5","value":"AAAA"}}`, http.StatusBadRequest, "malformed_request"},
		{"digest of the wrong size", "application/json", "/v1/validate", `{"signature":"AAAA","digest":{"algorithm":"SHA-256","value":"AAAA"}}`, http.StatusBadRequest, "malformed_request"},
		{"document and digest", "application/json", "/v1/validate", `{"signature":"AAAA","document":"AAAA","digest":{"algorithm":"SHA-1","value":"AAAAAAAAAAAAAAAAAAAAAAAAAAA="}}`, http.StatusBadRequest, "malformed_request"},
		{"multipart without boundary", "multipart/form-data", "/v1/validate", "x", http.StatusBadRequest, "malformed_request"},
		{"bad validation_time for a PDF", "application/pdf", "/v1/validate?validation_time=soon", "%PDF-", http.StatusBadRequest, "bad_validation_time"}, {"bad purpose", "application/json", "/v1/validate", certJSON(leaf, `"purpose":"tls"`), http.StatusBadRequest, "malformed_request"},
		{"garbage certificate", "application/json", "/v1/validate", `{"certificate":"bm90IGEgY2VydA=="}`, http.StatusBadRequest, "malformed_document"},
		{"not base64", "application/json", "/v1/validate", `{"certificate":"%%%"}`, http.StatusBadRequest, "malformed_document"},
		{"garbage intermediate", "application/json", "/v1/validate", certJSON(leaf, `"intermediates":["AAAA"]`), http.StatusBadRequest, "malformed_document"},
		{"two certificates where one is expected", "application/json", "/v1/validate",
			`{"certificate":` + quote(string(pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: leaf.Raw}))+string(pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: f.pki.pubRoot.cert.Raw}))) + `}`,
			http.StatusBadRequest, "malformed_document"},
		{"bad validation_time", "application/json", "/v1/validate", certJSON(leaf, `"validation_time":"yesterday"`), http.StatusBadRequest, "bad_validation_time"},
		{"bad validation_time in query", "application/json", "/v1/validate?validation_time=2026-11-22", certJSON(leaf), http.StatusBadRequest, "bad_validation_time"},
		{"validation_time in the future", "application/json", "/v1/validate", certJSON(leaf, `"validation_time":"2026-11-22T10:06:00Z"`), http.StatusBadRequest, "validation_time_in_future"},
		{"body and query disagree", "application/json", "/v1/validate?validation_time=2026-01-01T00:00:00Z", certJSON(leaf, `"validation_time":"2026-01-02T00:00:00Z"`), http.StatusBadRequest, "bad_validation_time"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			rec := do(t, f.srv.Handler(), http.MethodPost, tc.target, tc.contentType, strings.NewReader(tc.body))
			wantError(t, rec, tc.status, tc.code)
		})
	}
}

func TestValidatorErrors(t *testing.T) {
	tests := []struct {
		name   string
		v      *fakeValidator
		opts   Options
		status int
		code   string
	}{
		{"operational error is 500 without detail", &fakeValidator{err: errors.New("dial tcp 10.0.0.7:80: secret")}, Options{},
			http.StatusInternalServerError, "internal_error"},
		{"wrapped gateway Error passes through", &fakeValidator{err: errors.Join(errors.New("ctx"), &Error{Status: 400, Code: "malformed_document", Message: "not a certificate"})}, Options{},
			http.StatusBadRequest, "malformed_document"},
		{"request budget exceeded is 504", &fakeValidator{wait: true}, Options{RequestBudget: 20 * time.Millisecond},
			http.StatusGatewayTimeout, "timeout"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			f := newFixture(t, tc.opts, tc.v)
			rec := do(t, f.srv.Handler(), http.MethodPost, "/v1/validate", "application/json", strings.NewReader(certJSON(f.pki.pubCA.cert)))
			wantError(t, rec, tc.status, tc.code)
			if strings.Contains(rec.Body.String(), "secret") {
				t.Errorf("internal detail leaked: %s", rec.Body)
			}
		})
	}
}
