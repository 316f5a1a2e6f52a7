package gateway

import (
	"bytes"
	"errors"
	"net/http"
	"net/url"
	"testing"

	"github.com/lienthong/lienthong/validate"
)

// FuzzDecodeValidateJSON feeds arbitrary bodies to the JSON form of POST
// /v1/validate: the decoder must never panic and must refuse with a 4xx
// *Error or decode exactly one request, and the whole route (real engine,
// revocation off) must never answer 5xx.
func FuzzDecodeValidateJSON(f *testing.F) {
	seeds := []string{
		`{}`, `{`, `[]`, `null`, `"x"`,
		`{"certificate":"AAAA"}`,
		`{"certificate":"-----BEGIN CERTIFICATE-----\nAAAA\n-----END CERTIFICATE-----","purpose":"any"}`,
		`{"document":"JVBERi0xLjcK"}`,
		`{"document":"PEhEb24vPg=="}`,
		`{"document":"MAMCAQE="}`,
		`{"document":"","signature":""}`,
		`{"signature":"MAA=","digest":{"algorithm":"SHA-256","value":"47DEQpj8HBSa+/TImW+5JCeuQeRkm5NMpJWZG3hSuFU="}}`,
		`{"signature":"AAAA","certificate":"AAAA","document":"AAAA"}`,
		`{"signature":"AAAA","digest":{"algorithm":"SHA-1"}}`,
		`{"digest":null,"signature":null,"document":null,"certificate":""}`,
		`{"document":"AAAA","validation_time":"2026-11-22T10:00:00Z"}`,
		`{"document":"AAAA","validation_time":"9999-12-31T23:59:59Z"}`,
		`{"intermediates":["AAAA","BBBB"],"signature":"AAAA"}`,
		`{"document":"a-b_c","purpose":"document_signing"}`,
	}
	for _, s := range seeds {
		f.Add([]byte(s), "")
	}
	f.Add([]byte(`{"document":"AAAA"}`), "2026-11-22T09:00:00Z")
	f.Add([]byte(`{"certificate":"AAAA"}`), "not a time")

	fx := newFixture(f, Options{MaxBodyBytes: 1 << 20}, engineValidator(f, validate.RevocationOff))
	h := fx.srv.Handler()
	f.Fuzz(func(t *testing.T, body []byte, query string) {
		vr, err := decodeValidateJSON(body, query, testNow)
		var ge *Error
		switch {
		case err != nil && (!errors.As(err, &ge) || ge.Status < 400 || ge.Status > 499 || ge.Code == ""):
			t.Fatalf("error %v is not a 4xx *Error", err)
		case err == nil && (vr.cert == nil) == (vr.doc == nil):
			t.Fatalf("decoded %+v: want exactly one of a certificate and a document", vr)
		case err == nil && vr.doc != nil && vr.doc.Time.IsZero():
			t.Fatal("document without a validation time")
		}
		target := "/v1/validate"
		if query != "" && len(query) < 64 {
			target += "?validation_time=" + url.QueryEscape(query)
		}
		rec := do(t, h, http.MethodPost, target, "application/json", bytes.NewReader(body))
		if rec.Code >= 500 {
			t.Fatalf("status %d for %q: %s", rec.Code, body, rec.Body)
		}
	})
}
