package ocspcheck

import (
	"errors"
	"fmt"

	"golang.org/x/crypto/ocsp"
)

// The categories of Verify errors. Every error Verify returns wraps exactly
// one of them (test with errors.Is); the text after the colon is detail for
// logs. None of them is a verdict on the certificate: all are
// INDETERMINATE material for the caller's soft-fail or hard-fail policy.
// An "unknown" certificate status is not an error (see Status).
var (
	// ErrResponder means the responder answered with a responseStatus
	// other than successful (RFC 6960 §4.2.1): malformedRequest,
	// internalError, tryLater, sigRequired or unauthorized. The error is a
	// *ResponderError that says which.
	ErrResponder = errors.New("ocsp: responder error")
	// ErrSignature means the response is not signed by the issuer nor by
	// a responder the issuer authorised (RFC 6960 §4.2.2.2): wrong key,
	// unsupported algorithm, delegated certificate not issued by the
	// issuer, without id-kp-OCSPSigning, or not valid at the checking time.
	ErrSignature = errors.New("ocsp: response not signed by the issuer or an authorised responder")
	// ErrMismatch means no SingleResponse in the response is for this
	// certificate: the serial differs, or the CertID's issuer name hash or
	// issuer key hash are not those of the issuer (RFC 6960 §4.1.1).
	ErrMismatch = errors.New("ocsp: response is not for this certificate")
	// ErrStale means nextUpdate is earlier than the checking time minus
	// the allowed skew (RFC 6960 §3.2 item 6, RFC 5019 §4): the answer is
	// no longer current and must not be relied on.
	ErrStale = errors.New("ocsp: response is stale")
	// ErrFuture means thisUpdate is later than the checking time plus the
	// allowed skew (RFC 6960 §3.2 item 5): the responder's clock or ours
	// is wrong.
	ErrFuture = errors.New("ocsp: response is from the future")
	// ErrMalformed means the bytes are not a well-formed OCSPResponse with
	// a BasicOCSPResponse (RFC 6960 §4.2.1), or parsing them went wrong in
	// any other way.
	ErrMalformed = errors.New("ocsp: malformed response")
)

// ResponderError is the error for a response whose responseStatus is not
// successful. It matches ErrResponder with errors.Is and also unwraps to
// the x/crypto/ocsp ResponseError of the same status, so callers may use
// either. Such responses are unsigned (RFC 6960 §4.2.1), so the status is
// a hint, never proof of anything.
type ResponderError struct {
	// Status is the responseStatus the responder sent.
	Status ocsp.ResponseStatus
}

// Error implements error.
func (e *ResponderError) Error() string {
	return fmt.Sprintf("%v: %s", ErrResponder, statusName(e.Status))
}

// Unwrap returns ErrResponder and the equivalent ocsp.ResponseError.
func (e *ResponderError) Unwrap() []error {
	return []error{ErrResponder, ocsp.ResponseError{Status: e.Status}}
}

// statusName returns the RFC 6960 §4.2.1 name of a responseStatus.
func statusName(s ocsp.ResponseStatus) string {
	switch s {
	case ocsp.Malformed:
		return "malformedRequest"
	case ocsp.InternalError:
		return "internalError"
	case ocsp.TryLater:
		return "tryLater"
	case ocsp.SignatureRequired:
		return "sigRequired"
	case ocsp.Unauthorized:
		return "unauthorized"
	}
	return fmt.Sprintf("responseStatus(%d)", int(s))
}

// malformed wraps ErrMalformed with detail.
func malformed(format string, args ...any) error {
	return fmt.Errorf("%w: %s", ErrMalformed, fmt.Sprintf(format, args...))
}
