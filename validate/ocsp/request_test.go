package ocspcheck_test

import (
	"bytes"
	"context"
	"crypto"
	"encoding/base64"
	"io"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"golang.org/x/crypto/ocsp"

	ocspcheck "github.com/lienthong/lienthong/validate/ocsp"
)

func TestBuildRequest(t *testing.T) {
	p := newPKI(t)
	c := p.Public.Citizen
	der, getURL, err := ocspcheck.BuildRequest(c.Cert, c.Issuer.Cert, c.Issuer.OCSPURL)
	if err != nil {
		t.Fatal(err)
	}
	req, err := ocsp.ParseRequest(der)
	if err != nil {
		t.Fatal(err)
	}
	if req.HashAlgorithm != crypto.SHA1 || req.SerialNumber.Cmp(c.Cert.SerialNumber) != 0 {
		t.Errorf("request is %v for %x, want SHA-1 for %x", req.HashAlgorithm, req.SerialNumber, c.Cert.SerialNumber)
	}
	prefix := c.Issuer.OCSPURL + "/"
	if !strings.HasPrefix(getURL, prefix) || len(getURL) >= 255 {
		t.Fatalf("GET URL %q: want %q + base64, under 255 bytes", getURL, prefix)
	}
	tail := strings.TrimPrefix(getURL, prefix)
	if strings.ContainsAny(tail, "+/=") {
		t.Errorf("GET URL tail %q has unescaped base64 characters", tail)
	}
	unescaped, err := url.PathUnescape(tail)
	if err != nil {
		t.Fatal(err)
	}
	if b, err := base64.StdEncoding.DecodeString(unescaped); err != nil || !bytes.Equal(b, der) {
		t.Errorf("GET URL does not carry the request: %v", err)
	}

	t.Run("trailing slash", func(t *testing.T) {
		_, g, err := ocspcheck.BuildRequest(c.Cert, c.Issuer.Cert, "http://ocsp.example.vn/")
		if err != nil || !strings.HasPrefix(g, "http://ocsp.example.vn/M") {
			t.Errorf("GET URL %q, %v", g, err)
		}
	})
	for name, u := range map[string]string{
		"too long": "http://ocsp.example.vn/" + strings.Repeat("a", 200),
		"query":    "http://ocsp.example.vn/ocsp?ca=1",
		"none":     "",
	} {
		t.Run(name, func(t *testing.T) {
			d, g, err := ocspcheck.BuildRequest(c.Cert, c.Issuer.Cert, u)
			if err != nil || g != "" || !bytes.Equal(d, der) {
				t.Errorf("BuildRequest(%q) = GET %q, %v; want POST only", u, g, err)
			}
		})
	}
	if _, _, err := ocspcheck.BuildRequest(c.Cert, c.Issuer.Cert, "http://[::1"); err == nil {
		t.Error("unparsable URL accepted")
	}
	if _, _, err := ocspcheck.BuildRequest(nil, c.Issuer.Cert, ""); err == nil {
		t.Error("nil certificate accepted")
	}
}

// TestRoundTrip sends BuildRequest's request to the fake responder over
// HTTP, by GET and POST, and verifies the answer.
func TestRoundTrip(t *testing.T) {
	p := newPKI(t)
	c := p.Gov.Official
	der, getURL, err := ocspcheck.BuildRequest(c.Cert, c.Issuer.Cert, c.Issuer.OCSPURL)
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	get, _ := http.NewRequestWithContext(ctx, http.MethodGet, getURL, nil)
	post, _ := http.NewRequestWithContext(ctx, http.MethodPost, c.Issuer.OCSPURL, bytes.NewReader(der))
	post.Header.Set("Content-Type", "application/ocsp-request")
	for _, req := range []*http.Request{get, post} {
		t.Run(req.Method, func(t *testing.T) {
			resp, err := http.DefaultClient.Do(req)
			if err != nil {
				t.Fatal(err)
			}
			defer resp.Body.Close()
			body, err := io.ReadAll(io.LimitReader(resp.Body, 1<<20))
			if err != nil {
				t.Fatal(err)
			}
			r, err := ocspcheck.Verify(body, c.Cert, c.Issuer.Cert, p.Clock.Now(), ocspcheck.Options{})
			if err != nil || r.Status != ocspcheck.Good {
				t.Errorf("Verify = %v, %v; want good", r, err)
			}
		})
	}
}
