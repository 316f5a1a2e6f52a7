package ocspcheck_test

import (
	"crypto"
	"crypto/x509"
	"errors"
	"strings"
	"testing"
	"time"

	"golang.org/x/crypto/ocsp"

	"github.com/lienthong/lienthong/test/testpki"
	ocspcheck "github.com/lienthong/lienthong/validate/ocsp"
)

// verifyCase is one Verify call built on its own fixture.
type verifyCase struct {
	der          []byte
	cert, issuer *x509.Certificate
	at           time.Time // zero: t0
	opts         ocspcheck.Options
}

func TestVerify(t *testing.T) {
	revokedAt := t0.Add(-48 * time.Hour)
	tests := []struct {
		name    string
		build   func(t *testing.T, p *testpki.PKI) verifyCase
		wantErr error
		check   func(t *testing.T, r *ocspcheck.Result)
	}{
		{
			name: "good",
			build: func(t *testing.T, p *testpki.PKI) verifyCase {
				c := p.Public.Citizen
				return verifyCase{der: respond(t, p, c.Cert, c.Issuer.Cert, 0), cert: c.Cert, issuer: c.Issuer.Cert}
			},
			check: func(t *testing.T, r *ocspcheck.Result) {
				want := ocspcheck.Result{Status: ocspcheck.Good, ThisUpdate: t0, NextUpdate: t0.Add(time.Hour),
					ProducedAt: t0, SignatureAlgorithm: x509.ECDSAWithSHA256}
				if *r != want {
					t.Errorf("Result = %+v, want %+v", *r, want)
				}
			},
		},
		{
			name: "revoked with time and reason",
			build: func(t *testing.T, p *testpki.PKI) verifyCase {
				c := p.Gov.Official
				p.Revoke(c.Issuer, c.Cert.SerialNumber, revokedAt, ocsp.KeyCompromise)
				return verifyCase{der: respond(t, p, c.Cert, c.Issuer.Cert, 0), cert: c.Cert, issuer: c.Issuer.Cert}
			},
			check: func(t *testing.T, r *ocspcheck.Result) {
				if r.Status != ocspcheck.Revoked || !r.RevokedAt.Equal(revokedAt) || r.Reason != ocsp.KeyCompromise {
					t.Errorf("got %v at %v reason %d, want revoked at %v reason %d",
						r.Status, r.RevokedAt, r.Reason, revokedAt, ocsp.KeyCompromise)
				}
			},
		},
		{
			name: "unknown is a status, not an error",
			build: func(t *testing.T, p *testpki.PKI) verifyCase {
				c := p.Public.Business
				p.OCSP.SetUnknown(c.Cert.SerialNumber)
				return verifyCase{der: respond(t, p, c.Cert, c.Issuer.Cert, 0), cert: c.Cert, issuer: c.Issuer.Cert}
			},
			check: func(t *testing.T, r *ocspcheck.Result) {
				if r.Status != ocspcheck.Unknown || r.Status.String() != "unknown" {
					t.Errorf("Status = %v, want unknown", r.Status)
				}
			},
		},
		{
			name:    "expired response",
			build:   modeCase(testpki.Expired),
			wantErr: ocspcheck.ErrStale,
		},
		{
			name:    "thisUpdate in the future",
			build:   modeCase(testpki.FutureThisUpdate),
			wantErr: ocspcheck.ErrFuture,
		},
		{
			name:    "wrong responder key",
			build:   modeCase(testpki.WrongKey),
			wantErr: ocspcheck.ErrSignature,
		},
		{
			name:  "delegated responder",
			build: modeCase(testpki.Delegated),
			check: func(t *testing.T, r *ocspcheck.Result) {
				if r.Status != ocspcheck.Good || r.Responder == nil ||
					!strings.HasSuffix(r.Responder.Subject.CommonName, "OCSP Responder") {
					t.Errorf("got %v by %v, want good by the delegated responder", r.Status, r.Responder)
				}
			},
		},
		{
			name:    "delegated responder without id-kp-OCSPSigning",
			build:   modeCase(testpki.DelegatedNoEKU),
			wantErr: ocspcheck.ErrSignature,
		},
		{
			name: "delegated responder expired",
			build: func(t *testing.T, p *testpki.PKI) verifyCase {
				p.OCSP.SetNextUpdate(0) // so that only the responder's validity can fail
				vc := modeCase(testpki.Delegated)(t, p)
				vc.at = p.Public.CA.Cert.NotAfter.Add(time.Hour)
				return vc
			},
			wantErr: ocspcheck.ErrSignature,
		},
		{
			name: "delegated responder of another CA",
			build: func(t *testing.T, p *testpki.PKI) verifyCase {
				c, other := p.Public.Citizen, delegate(t, p.Gov.CA)
				der := sign(t, c.Issuer.Cert, c.Cert, other.Cert, other.Key, 0, ocsp.Good)
				return verifyCase{der: der, cert: c.Cert, issuer: c.Issuer.Cert}
			},
			wantErr: ocspcheck.ErrSignature,
		},
		{
			name: "delegated responder with the same name from another CA key",
			build: func(t *testing.T, p *testpki.PKI) verifyCase {
				c := p.Public.Citizen
				twin := root(t, p, c.Issuer.Cert.Subject.CommonName, testpki.WithSubject(c.Issuer.Cert.Subject),
					testpki.WithMutate(func(x *x509.Certificate) { x.RawSubject = c.Issuer.Cert.RawSubject }))
				d := delegate(t, twin)
				der := sign(t, c.Issuer.Cert, c.Cert, d.Cert, d.Key, 0, ocsp.Good)
				return verifyCase{der: der, cert: c.Cert, issuer: c.Issuer.Cert}
			},
			wantErr: ocspcheck.ErrSignature,
		},
		{
			name: "response for another serial",
			build: func(t *testing.T, p *testpki.PKI) verifyCase {
				c, other := p.Public.Citizen, p.Public.Business
				return verifyCase{der: respond(t, p, other.Cert, other.Issuer.Cert, 0), cert: c.Cert, issuer: c.Issuer.Cert}
			},
			wantErr: ocspcheck.ErrMismatch,
		},
		{
			name:    "same serial, another issuer",
			build:   sameSerial(func(t *testing.T, p *testpki.PKI) *testpki.Issuer { return root(t, p, "Other CA") }),
			wantErr: ocspcheck.ErrMismatch,
		},
		{
			name: "same serial, another issuer with the same key",
			build: sameSerial(func(t *testing.T, p *testpki.PKI) *testpki.Issuer {
				return root(t, p, "Other CA", testpki.WithKey(p.Public.CA.Key))
			}),
			wantErr: ocspcheck.ErrMismatch,
		},
		{
			name: "same serial, another issuer with the same name",
			build: sameSerial(func(t *testing.T, p *testpki.PKI) *testpki.Issuer {
				return root(t, p, "x", testpki.WithSubject(p.Public.CA.Cert.Subject),
					testpki.WithMutate(func(x *x509.Certificate) { x.RawSubject = p.Public.CA.Cert.RawSubject }))
			}),
			wantErr: ocspcheck.ErrMismatch,
		},
		{
			name:    "garbage",
			build:   bytesCase([]byte("\xff this is not DER at all")),
			wantErr: ocspcheck.ErrMalformed,
		},
		{
			name:    "empty",
			build:   bytesCase(nil),
			wantErr: ocspcheck.ErrMalformed,
		},
		{
			name: "truncated",
			build: func(t *testing.T, p *testpki.PKI) verifyCase {
				vc := modeCase(testpki.Normal)(t, p)
				vc.der = vc.der[:len(vc.der)-10]
				return vc
			},
			wantErr: ocspcheck.ErrMalformed,
		},
		{
			// ocsp.CreateResponse drops a revokedInfo with a zero time and
			// reason (asn1 omits zero optional fields), leaving no
			// certStatus at all, which x/crypto/ocsp would parse as
			// revoked. It is malformed, whatever the signature.
			name: "signed response without certStatus",
			build: func(t *testing.T, p *testpki.PKI) verifyCase {
				c := p.Public.Citizen
				der, err := ocsp.CreateResponse(c.Issuer.Cert, c.Issuer.Cert, ocsp.Response{
					Status: ocsp.Revoked, SerialNumber: c.Cert.SerialNumber, ThisUpdate: t0,
				}, c.Issuer.Key)
				if err != nil {
					t.Fatal(err)
				}
				return verifyCase{der: der, cert: c.Cert, issuer: c.Issuer.Cert}
			},
			wantErr: ocspcheck.ErrMalformed,
		},
		{
			name:    "tryLater",
			build:   modeCase(testpki.TryLater),
			wantErr: ocspcheck.ErrResponder,
		},
		{
			name:    "unauthorized",
			build:   bytesCase(ocsp.UnauthorizedErrorResponse),
			wantErr: ocspcheck.ErrResponder,
		},
		{
			name:  "SHA-1 signed by an RSA issuer",
			build: sha1Case(false),
			check: func(t *testing.T, r *ocspcheck.Result) {
				if r.Status != ocspcheck.Good || r.SignatureAlgorithm != x509.SHA1WithRSA || r.Responder != nil {
					t.Errorf("got %v %v by %v, want good SHA1-RSA by the issuer", r.Status, r.SignatureAlgorithm, r.Responder)
				}
			},
		},
		{
			name:  "SHA-1 signed by a SHA-1 delegated responder",
			build: sha1Case(true),
			check: func(t *testing.T, r *ocspcheck.Result) {
				if r.Status != ocspcheck.Revoked || r.SignatureAlgorithm != x509.SHA1WithRSA || r.Responder == nil {
					t.Errorf("got %v %v by %v, want revoked SHA1-RSA by a delegate", r.Status, r.SignatureAlgorithm, r.Responder)
				}
			},
		},
		{
			name: "thisUpdate within the skew",
			build: func(t *testing.T, p *testpki.PKI) verifyCase {
				vc := modeCase(testpki.Normal)(t, p)
				vc.at = t0.Add(-4 * time.Minute)
				return vc
			},
		},
		{
			name: "thisUpdate beyond a custom skew",
			build: func(t *testing.T, p *testpki.PKI) verifyCase {
				vc := modeCase(testpki.Normal)(t, p)
				vc.at, vc.opts.Skew = t0.Add(-4*time.Minute), time.Minute
				return vc
			},
			wantErr: ocspcheck.ErrFuture,
		},
		{
			name: "nextUpdate within the skew",
			build: func(t *testing.T, p *testpki.PKI) verifyCase {
				vc := modeCase(testpki.Normal)(t, p)
				vc.at = t0.Add(time.Hour + 4*time.Minute)
				return vc
			},
		},
		{
			name: "nextUpdate beyond the skew",
			build: func(t *testing.T, p *testpki.PKI) verifyCase {
				vc := modeCase(testpki.Normal)(t, p)
				vc.at = t0.Add(time.Hour + 6*time.Minute)
				return vc
			},
			wantErr: ocspcheck.ErrStale,
		},
		{
			name: "no nextUpdate",
			build: func(t *testing.T, p *testpki.PKI) verifyCase {
				p.OCSP.SetNextUpdate(0)
				vc := modeCase(testpki.Normal)(t, p)
				vc.at = t0.Add(30 * 24 * time.Hour)
				return vc
			},
			check: func(t *testing.T, r *ocspcheck.Result) {
				if !r.NextUpdate.IsZero() {
					t.Errorf("NextUpdate = %v, want zero", r.NextUpdate)
				}
			},
		},
		{
			name: "no nextUpdate, older than MaxAge",
			build: func(t *testing.T, p *testpki.PKI) verifyCase {
				p.OCSP.SetNextUpdate(0)
				vc := modeCase(testpki.Normal)(t, p)
				vc.at, vc.opts.MaxAge = t0.Add(2*time.Hour), time.Hour
				return vc
			},
			wantErr: ocspcheck.ErrStale,
		},
	}
	for _, h := range []crypto.Hash{crypto.SHA256, crypto.SHA384, crypto.SHA512} {
		tests = append(tests, struct {
			name    string
			build   func(t *testing.T, p *testpki.PKI) verifyCase
			wantErr error
			check   func(t *testing.T, r *ocspcheck.Result)
		}{
			name: "CertID with " + h.String(),
			build: func(t *testing.T, p *testpki.PKI) verifyCase {
				c := p.Gov.Official
				return verifyCase{der: respond(t, p, c.Cert, c.Issuer.Cert, h), cert: c.Cert, issuer: c.Issuer.Cert}
			},
		})
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			p := newPKI(t)
			vc := tt.build(t, p)
			at := vc.at
			if at.IsZero() {
				at = t0
			}
			r, err := ocspcheck.Verify(vc.der, vc.cert, vc.issuer, at, vc.opts)
			if tt.wantErr != nil {
				if !errors.Is(err, tt.wantErr) {
					t.Fatalf("Verify error = %v, want %v", err, tt.wantErr)
				}
				if r != nil {
					t.Errorf("Verify returned a Result with error %v", err)
				}
				t.Logf("error: %v", err)
				return
			}
			if err != nil {
				t.Fatalf("Verify: %v", err)
			}
			if tt.check != nil {
				tt.check(t, r)
			}
		})
	}
}

func TestResponderErrorSaysWhich(t *testing.T) {
	p := newPKI(t)
	c := p.Public.Citizen
	for _, tt := range []struct {
		der  []byte
		want ocsp.ResponseStatus
		name string
	}{
		{ocsp.TryLaterErrorResponse, ocsp.TryLater, "tryLater"},
		{ocsp.InternalErrorErrorResponse, ocsp.InternalError, "internalError"},
		{ocsp.UnauthorizedErrorResponse, ocsp.Unauthorized, "unauthorized"},
		{ocsp.MalformedRequestErrorResponse, ocsp.Malformed, "malformedRequest"},
		{ocsp.SigRequredErrorResponse, ocsp.SignatureRequired, "sigRequired"},
	} {
		t.Run(tt.name, func(t *testing.T) {
			_, err := ocspcheck.Verify(tt.der, c.Cert, c.Issuer.Cert, t0, ocspcheck.Options{})
			var re *ocspcheck.ResponderError
			if !errors.As(err, &re) || re.Status != tt.want {
				t.Fatalf("error %v, want ResponderError %v", err, tt.want)
			}
			var xe ocsp.ResponseError
			if !errors.As(err, &xe) || xe.Status != tt.want {
				t.Errorf("error %v does not unwrap to ocsp.ResponseError %v", err, tt.want)
			}
			if !strings.Contains(err.Error(), tt.name) {
				t.Errorf("error %q does not name %s", err, tt.name)
			}
		})
	}
}

func TestVerifyNeedsCertificates(t *testing.T) {
	if _, err := ocspcheck.Verify(ocsp.TryLaterErrorResponse, nil, nil, t0, ocspcheck.Options{}); err == nil {
		t.Error("Verify with nil certificates succeeded")
	}
}

func TestStatusString(t *testing.T) {
	for s, want := range map[ocspcheck.Status]string{
		ocspcheck.Good: "good", ocspcheck.Revoked: "revoked", ocspcheck.Unknown: "unknown", 0: "Status(0)",
	} {
		if got := s.String(); got != want {
			t.Errorf("%d.String() = %q, want %q", int(s), got, want)
		}
	}
}
