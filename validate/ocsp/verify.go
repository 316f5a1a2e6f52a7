// Package ocspcheck builds OCSP requests and verifies OCSP responses
// (RFC 6960, with the RFC 5019 profile for requests) for the revocation
// checker. It does no I/O: the caller fetches through validate/fetch and
// caches through validate/revcache.
//
// It is named ocspcheck, not ocsp, so that it can sit beside
// golang.org/x/crypto/ocsp, which it uses for requests and constants but
// not for verification: x/crypto/ocsp leaves the responder's
// id-kp-OCSPSigning EKU, the CertID's issuer hashes and the response's
// freshness to its caller, refuses SHA-1 signatures through crypto/x509,
// and only looks at the first embedded certificate.
package ocspcheck

import (
	"bytes"
	"crypto"
	"crypto/x509"
	"errors"
	"fmt"
	"time"
)

// DefaultSkew is the clock skew Verify allows when Options.Skew is zero.
const DefaultSkew = 5 * time.Minute

// Options tunes Verify. The zero value is ready to use.
type Options struct {
	// Skew is the clock skew allowed between us and the responder:
	// thisUpdate may be up to Skew after the checking time and nextUpdate
	// up to Skew before it. Zero means DefaultSkew; negative means none.
	Skew time.Duration
	// MaxAge, when positive, refuses (ErrStale) a response without
	// nextUpdate whose thisUpdate is more than MaxAge before the checking
	// time. RFC 6960 §2.4 reads a missing nextUpdate as "newer information
	// is always available", so an old such response proves little and
	// may be a replay. Zero means no limit, as RFC 6960 asks nothing more.
	MaxAge time.Duration
}

func (o Options) skew() time.Duration {
	switch {
	case o.Skew == 0:
		return DefaultSkew
	case o.Skew < 0:
		return 0
	}
	return o.Skew
}

// Status is the certificate status of a verified response (RFC 6960
// §2.2). The zero value is not a status: treat it as Unknown.
type Status int

const (
	// Good means the responder knows the certificate and it is not
	// revoked. It says nothing about the certificate's validity period or
	// chain.
	Good Status = iota + 1
	// Revoked means the certificate is revoked (or on hold) since
	// Result.RevokedAt.
	Revoked
	// Unknown means the responder does not know the certificate. It is
	// neither good nor revoked: the caller maps it to INDETERMINATE,
	// never to either verdict (CFSSL's mistake was to call it revoked).
	Unknown
)

// String returns the status as the report's revocation[].status spells it:
// "good", "revoked" or "unknown".
func (s Status) String() string {
	switch s {
	case Good:
		return "good"
	case Revoked:
		return "revoked"
	case Unknown:
		return "unknown"
	}
	return fmt.Sprintf("Status(%d)", int(s))
}

// Result is what a verified OCSP response says about one certificate.
type Result struct {
	// Status is Good, Revoked or Unknown.
	Status Status
	// RevokedAt is the revocationTime when Status is Revoked, else zero.
	RevokedAt time.Time
	// Reason is the CRLReason (RFC 5280 §5.3.1; ocsp.KeyCompromise, ...)
	// when Status is Revoked. An absent reason reads as 0, unspecified.
	Reason int
	// ThisUpdate is when the status was known to be correct.
	ThisUpdate time.Time
	// NextUpdate is when newer information will be available; zero when
	// the responder did not say (RFC 6960 §2.4).
	NextUpdate time.Time
	// ProducedAt is when the responder signed the response. It is
	// reported, not checked: RFC 6960 §3.2 judges freshness on
	// thisUpdate and nextUpdate.
	ProducedAt time.Time
	// Responder is the delegated responder certificate that signed, or nil
	// when the issuer signed itself.
	Responder *x509.Certificate
	// SignatureAlgorithm is the response's signature algorithm, for the
	// caller's algorithm policy (SHA-1 warnings).
	SignatureAlgorithm x509.SignatureAlgorithm
}

// Verify parses the DER OCSPResponse der and checks it as the answer for
// cert, issued by issuer, at time t (RFC 6960 §3.2 and §4.2.2.2):
//
//   - responseStatus is successful, else a *ResponderError (ErrResponder);
//   - a SingleResponse has cert's serial and, computed with that CertID's
//     hash (SHA-1, SHA-256, SHA-384 or SHA-512), the hash of issuer's name
//     and key, else ErrMismatch: a cache or responder keyed by serial alone
//     cannot hand us another CA's answer;
//   - the signature verifies with the issuer's key, or with the key of a
//     delegated responder certificate in the response that the issuer
//     issued, that has id-kp-OCSPSigning and is valid at t, else
//     ErrSignature;
//   - thisUpdate ≤ t+skew (else ErrFuture) and nextUpdate, when present,
//     ≥ t−skew (else ErrStale).
//
// The checks run in that order and the first failure is returned; any
// other defect, and any panic while parsing hostile bytes, is
// ErrMalformed. t is when freshness is judged, normally now, not the
// signature's validation time: comparing Result.RevokedAt with that is the
// caller's job. Verify does not check that cert and issuer form a valid
// path, nor the delegated responder's revocation status; it never
// performs I/O.
func Verify(der []byte, cert, issuer *x509.Certificate, t time.Time, opts Options) (res *Result, err error) {
	if cert == nil || issuer == nil || cert.SerialNumber == nil {
		return nil, errors.New("ocspcheck: Verify needs the certificate and its issuer")
	}
	defer func() {
		if r := recover(); r != nil {
			res, err = nil, malformed("recovered panic while parsing: %v", r)
		}
	}()
	p, err := parse(der)
	if err != nil {
		return nil, err
	}
	single, err := p.find(cert, issuer)
	if err != nil {
		return nil, err
	}
	responder, err := p.checkSigner(issuer, t)
	if err != nil {
		return nil, err
	}
	status, revokedAt, reason, err := certStatus(single)
	if err != nil {
		return nil, err
	}
	if err := checkExtensions(single.SingleExtensions); err != nil {
		return nil, err
	}
	skew := opts.skew()
	if single.ThisUpdate.After(t.Add(skew)) {
		return nil, fmt.Errorf("%w: thisUpdate %s is after %s (skew %v)", ErrFuture,
			stamp(single.ThisUpdate), stamp(t), skew)
	}
	if !single.NextUpdate.IsZero() {
		if single.NextUpdate.Before(single.ThisUpdate) {
			return nil, malformed("nextUpdate %s is before thisUpdate %s",
				stamp(single.NextUpdate), stamp(single.ThisUpdate))
		}
		if single.NextUpdate.Before(t.Add(-skew)) {
			return nil, fmt.Errorf("%w: nextUpdate %s is before %s (skew %v)", ErrStale,
				stamp(single.NextUpdate), stamp(t), skew)
		}
	} else if opts.MaxAge > 0 && single.ThisUpdate.Before(t.Add(-opts.MaxAge-skew)) {
		return nil, fmt.Errorf("%w: no nextUpdate and thisUpdate %s is older than %v", ErrStale,
			stamp(single.ThisUpdate), opts.MaxAge)
	}
	return &Result{
		Status:             status,
		RevokedAt:          revokedAt,
		Reason:             reason,
		ThisUpdate:         single.ThisUpdate,
		NextUpdate:         single.NextUpdate,
		ProducedAt:         p.data.ProducedAt,
		Responder:          responder,
		SignatureAlgorithm: p.sigAlg,
	}, nil
}

// find returns the SingleResponse for cert: same serial, same issuer name
// hash and issuer key hash. The name hash may be over issuer's subject or
// over cert's issuer field (RFC 6960 §4.1.1 says the latter; x/crypto/ocsp
// and most clients hash the former); they are the same bytes for
// conforming CAs.
func (p *parsed) find(cert, issuer *x509.Certificate) (*singleResponse, error) {
	keyBits, err := spkiBits(issuer.RawSubjectPublicKeyInfo)
	if err != nil {
		return nil, fmt.Errorf("ocspcheck: issuer public key: %w", err)
	}
	serialSeen := false
	for i := range p.data.Responses {
		s := &p.data.Responses[i]
		if s.CertID.SerialNumber == nil || s.CertID.SerialNumber.Cmp(cert.SerialNumber) != 0 {
			continue
		}
		serialSeen = true
		h := certIDHash(s.CertID.HashAlgorithm)
		if h == 0 || !h.Available() {
			continue
		}
		if !bytes.Equal(s.CertID.IssuerKeyHash, sum(h, keyBits)) {
			continue
		}
		if bytes.Equal(s.CertID.IssuerNameHash, sum(h, issuer.RawSubject)) ||
			bytes.Equal(s.CertID.IssuerNameHash, sum(h, cert.RawIssuer)) {
			return s, nil
		}
	}
	if serialSeen {
		return nil, fmt.Errorf("%w: serial %x answered for another issuer (name or key hash differs)",
			ErrMismatch, cert.SerialNumber)
	}
	return nil, fmt.Errorf("%w: no SingleResponse for serial %x among %d", ErrMismatch,
		cert.SerialNumber, len(p.data.Responses))
}

func sum(h crypto.Hash, b []byte) []byte {
	d := h.New()
	d.Write(b)
	return d.Sum(nil)
}

func stamp(t time.Time) string { return t.UTC().Format(time.RFC3339) }
