package ocspcheck_test

import (
	"crypto/x509"
	"errors"
	"strings"
	"testing"

	"golang.org/x/crypto/ocsp"

	"github.com/lienthong/lienthong/test/testpki"
	ocspcheck "github.com/lienthong/lienthong/validate/ocsp"
)

// FuzzVerify feeds hostile bytes to Verify: it must not panic, must
// return either a Result or an error of one of the documented kinds, and
// never both.
func FuzzVerify(f *testing.F) {
	p := newPKI(f)
	c := p.Public.Citizen
	f.Add(respond(f, p, c.Cert, c.Issuer.Cert, 0))
	p.OCSP.SetMode(testpki.Delegated)
	f.Add(respond(f, p, c.Cert, c.Issuer.Cert, 0))
	p.OCSP.SetMode(testpki.Normal)
	p.Revoke(c.Issuer, c.Cert.SerialNumber, t0, ocsp.KeyCompromise)
	f.Add(respond(f, p, c.Cert, c.Issuer.Cert, 0))
	f.Add(ocsp.TryLaterErrorResponse)
	f.Add([]byte("\xff garbage \x30\x84\x7f\xff\xff\xff"))
	f.Add([]byte{})
	kinds := []error{ocspcheck.ErrResponder, ocspcheck.ErrSignature, ocspcheck.ErrMismatch,
		ocspcheck.ErrStale, ocspcheck.ErrFuture, ocspcheck.ErrMalformed}
	f.Fuzz(func(t *testing.T, der []byte) {
		r, err := ocspcheck.Verify(der, c.Cert, c.Issuer.Cert, t0, ocspcheck.Options{})
		if err != nil && strings.Contains(err.Error(), "recovered panic") {
			t.Fatalf("panic: %v", err) // Verify recovers panics; a fuzzer must see them
		}
		if err != nil {
			if r != nil {
				t.Fatalf("Result %+v with error %v", r, err)
			}
			for _, k := range kinds {
				if errors.Is(err, k) {
					return
				}
			}
			t.Fatalf("error of no documented kind: %v", err)
		}
		if r == nil || r.Status < ocspcheck.Good || r.Status > ocspcheck.Unknown {
			t.Fatalf("bad Result %+v", r)
		}
		if r.Responder != nil && !hasOCSPSigning(r.Responder) {
			t.Fatalf("accepted a responder without id-kp-OCSPSigning")
		}
	})
}

func hasOCSPSigning(c *x509.Certificate) bool {
	for _, u := range c.ExtKeyUsage {
		if u == x509.ExtKeyUsageOCSPSigning {
			return true
		}
	}
	return false
}
