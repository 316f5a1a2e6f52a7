package gateway

import (
	"bytes"
	"crypto/ed25519"
	"crypto/sha256"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/json"
	"io"
	"math/big"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/lienthong/lienthong/trust"
)

// Deterministic test PKI: ed25519 keys from fixed seeds (ed25519 signatures
// are deterministic), fixed serials and times, so certificates, fingerprints
// and the store digest are the same on every run and the golden file holds.

var (
	fixedNotBefore = time.Date(2020, 1, 1, 0, 0, 0, 0, time.UTC)
	fixedNotAfter  = time.Date(2040, 1, 1, 0, 0, 0, 0, time.UTC)
)

func seededKey(name string) ed25519.PrivateKey {
	seed := sha256.Sum256([]byte("lienthong gateway test key " + name))
	return ed25519.NewKeyFromSeed(seed[:])
}

// testCA is a CA certificate made from a seed name; parent nil = self-signed.
type testCA struct {
	cert *x509.Certificate
	key  ed25519.PrivateKey
}

func newTestCA(t testing.TB, cn string, serial int64, parent *testCA) *testCA {
	t.Helper()
	key := seededKey(cn)
	tmpl := &x509.Certificate{
		SerialNumber:          big.NewInt(serial),
		Subject:               pkix.Name{CommonName: cn, Organization: []string{"Lien Thong Test"}, Country: []string{"VN"}},
		NotBefore:             fixedNotBefore,
		NotAfter:              fixedNotAfter,
		KeyUsage:              x509.KeyUsageCertSign | x509.KeyUsageCRLSign,
		BasicConstraintsValid: true,
		IsCA:                  true,
	}
	issuer, signer := tmpl, key
	if parent != nil {
		issuer, signer = parent.cert, parent.key
	}
	der, err := x509.CreateCertificate(nil, tmpl, issuer, key.Public(), signer)
	if err != nil {
		t.Fatalf("creating %s: %v", cn, err)
	}
	c, err := x509.ParseCertificate(der)
	if err != nil {
		t.Fatal(err)
	}
	return &testCA{cert: c, key: key}
}

// testPKI is two public roots with one intermediate and one government root.
type testPKI struct {
	pubRoot, pubRoot2, pubCA, govRoot *testCA
}

func newTestPKI(t testing.TB) *testPKI {
	p := &testPKI{
		pubRoot:  newTestCA(t, "Test Public Root", 1, nil),
		pubRoot2: newTestCA(t, "Test Public Root G2", 2, nil),
		govRoot:  newTestCA(t, "Test Government Root", 3, nil),
	}
	p.pubCA = newTestCA(t, "Test Public Issuing CA", 10, p.pubRoot)
	return p
}

func (p *testPKI) specs() []trust.DomainSpec {
	return []trust.DomainSpec{
		{Name: "public", Hierarchy: trust.Public,
			Anchors: []*x509.Certificate{p.pubRoot.cert, p.pubRoot2.cert}, Intermediates: []*x509.Certificate{p.pubCA.cert}},
		{Name: "government", Hierarchy: trust.Government, Anchors: []*x509.Certificate{p.govRoot.cert}},
	}
}

// fixture is a gateway over the test PKI with a fresh registry.
type fixture struct {
	srv    *Server
	reg    *prometheus.Registry
	holder *trust.Holder
	pki    *testPKI
	fail   *atomic.Bool // makes the holder's next reload fail
}

type fixedClock struct{ t time.Time }

func (c fixedClock) Now() time.Time { return c.t }

var testNow = time.Date(2026, 11, 22, 10, 0, 0, 0, time.UTC)

func newFixture(t testing.TB, opts Options, v Validator) *fixture {
	t.Helper()
	f := &fixture{reg: prometheus.NewRegistry(), pki: newTestPKI(t), fail: new(atomic.Bool)}
	load := func() (*trust.Store, error) {
		if f.fail.Load() {
			return nil, io.ErrUnexpectedEOF
		}
		return trust.New(f.pki.specs(), nil)
	}
	h, err := trust.NewHolder(load, trust.HolderDeps{Registerer: f.reg})
	if err != nil {
		t.Fatal(err)
	}
	f.holder = h
	if opts.Listen == "" {
		opts.Listen = "127.0.0.1:0"
	}
	f.srv, err = New(opts, Deps{Trust: h, Registerer: f.reg, Gatherer: f.reg, Validator: v, Clock: fixedClock{testNow}})
	if err != nil {
		t.Fatal(err)
	}
	return f
}

// do drives h with one request and returns the recorder.
func do(t testing.TB, h http.Handler, method, target, contentType string, body io.Reader) *httptest.ResponseRecorder {
	t.Helper()
	req := httptest.NewRequest(method, target, body)
	if contentType != "" {
		req.Header.Set("Content-Type", contentType)
	}
	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, req)
	return rec
}

// wantError checks the {"error":{"code","message"}} shape and returns the message.
func wantError(t testing.TB, rec *httptest.ResponseRecorder, status int, code string) string {
	t.Helper()
	if rec.Code != status {
		t.Fatalf("status %d, want %d; body %s", rec.Code, status, rec.Body)
	}
	if ct := rec.Header().Get("Content-Type"); !strings.HasPrefix(ct, "application/json") {
		t.Errorf("Content-Type %q, want application/json", ct)
	}
	var body struct {
		Error struct {
			Code    string `json:"code"`
			Message string `json:"message"`
		} `json:"error"`
	}
	dec := json.NewDecoder(bytes.NewReader(rec.Body.Bytes()))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&body); err != nil {
		t.Fatalf("body %s is not the error shape: %v", rec.Body, err)
	}
	if body.Error.Code != code || body.Error.Message == "" {
		t.Fatalf("error %+v, want code %q and a message", body.Error, code)
	}
	return body.Error.Message
}
