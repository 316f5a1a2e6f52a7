package validate

import (
	"context"
	"crypto/x509"
	"errors"
	"time"

	"github.com/lienthong/lienthong/trust"
)

// RevocationMode is the revocation policy of DESIGN.md (revocation.mode).
type RevocationMode string

// Revocation modes.
const (
	// RevocationHardFail: without proof of non-revocation for every
	// certificate of the path, the verdict is INDETERMINATE/TRY_LATER.
	RevocationHardFail RevocationMode = "hard-fail"
	// RevocationSoftFail: missing revocation data gives a
	// REVOCATION_UNAVAILABLE warning instead, stated in the report.
	RevocationSoftFail RevocationMode = "soft-fail"
	// RevocationOff: revocation is not checked, stated in the report with
	// the info message REVOCATION_NOT_CHECKED.
	RevocationOff RevocationMode = "off"
)

// Message codes about revocation (DESIGN.md "Precise points").
const (
	CodeRevocationNotChecked  = "REVOCATION_NOT_CHECKED"
	CodeRevocationUnavailable = "REVOCATION_UNAVAILABLE"
	LevelError                = "error"
)

// DefaultDeadlineMargin is the default ValidatorOptions.DeadlineMargin.
const DefaultDeadlineMargin = 50 * time.Millisecond

// ValidatorOptions configure a Validator.
type ValidatorOptions struct {
	// Revocation is the revocation policy; "" means RevocationHardFail.
	Revocation RevocationMode
	// Checker gathers revocation evidence. Nil means that revocation
	// cannot be checked: under hard-fail and soft-fail a validated path is
	// then INDETERMINATE/TRY_LATER (nothing may claim proof of
	// non-revocation); under off nothing changes.
	Checker *RevocationChecker
	// DeadlineMargin is how long before the request's deadline the
	// Validator stops waiting for path building and revocation answers,
	// so that it still has time to build the report: what is unanswered
	// then is TRY_LATER, never an error or a hang. Zero means
	// DefaultDeadlineMargin; negative means none.
	DeadlineMargin time.Duration
}

// Validator turns path validation and revocation evidence into reports.
// It is safe for concurrent use.
type Validator struct {
	engine  *Engine
	mode    RevocationMode
	checker *RevocationChecker
	margin  time.Duration
}

// NewValidator returns a Validator over engine.
func NewValidator(engine *Engine, opts ValidatorOptions) (*Validator, error) {
	if engine == nil {
		return nil, errors.New("validate: NewValidator needs an engine")
	}
	mode := opts.Revocation
	switch mode {
	case "":
		mode = RevocationHardFail
	case RevocationHardFail, RevocationSoftFail, RevocationOff:
	default:
		return nil, errors.New("validate: revocation mode must be hard-fail, soft-fail or off")
	}
	return &Validator{engine: engine, mode: mode, checker: opts.Checker, margin: cmpOr(opts.DeadlineMargin, DefaultDeadlineMargin)}, nil
}

// MaxFutureSkew is how far past the clock a validation time may be
// (DESIGN.md "Precise points"): revocation cannot be known for the future.
const MaxFutureSkew = 5 * time.Minute

// ValidationTimeInFuture reports whether t is too far in the future to
// validate at, now being the clock's time.
func ValidationTimeInFuture(t, now time.Time) bool { return t.After(now.Add(MaxFutureSkew)) }

// CertificateRequest is a certificate validated alone (DESIGN.md "A
// certificate alone"). Time is required (the caller resolves "now").
type CertificateRequest struct {
	Certificate   *x509.Certificate
	Intermediates []*x509.Certificate
	Time          time.Time
	Purpose       Purpose
}

// ValidateCertificate validates req.Certificate against store, with its
// revocation status under the Validator's policy, and returns the report
// with one entry, ID "certificate". It never returns a nil report, also
// when ctx ends (what was not answered in time is TRY_LATER); errors of
// the caller's request (nil certificate) are reported as FORMAT_FAILURE.
func (v *Validator) ValidateCertificate(ctx context.Context, store *trust.Store, req CertificateRequest) *Report {
	t := req.Time.UTC()
	rep := &Report{Format: FormatCertificate, ValidationTime: t}
	sig := SignatureReport{ID: "certificate", Chain: []ChainEntry{}, Revocation: []RevocationEntry{}, Messages: []Message{}}
	if store != nil {
		rep.TrustStore = store.Digest()
	}
	switch {
	case store == nil: // a wiring mistake: nothing can be trusted
		sig.Indication, sig.SubIndication = Indeterminate, NoCertificateChainFound
		sig.Messages = append(sig.Messages, Message{Level: LevelError, Code: string(NoCertificateChainFound), Text: "no trust store"})
	case req.Certificate == nil:
		sig.Indication, sig.SubIndication = TotalFailed, FormatFailure
		sig.Messages = append(sig.Messages, Message{Level: LevelError, Code: string(FormatFailure), Text: "no certificate given"})
	default:
		sig.Signer = NewSigner(req.Certificate)
		v.judgePath(ctx, store, PathRequest{
			Target: req.Certificate, Intermediates: req.Intermediates, Time: t, Purpose: req.Purpose,
		}, nil, &sig)
	}
	rep.Signatures = []SignatureReport{sig}
	rep.Indication, rep.SubIndication = worstOf(rep.Signatures)
	return rep
}

// judgePath validates the certification path of req.Target at req.Time
// and, when it validates, the revocation status of its certificates under
// the Validator's policy, and fills sig (indication, domain, hierarchy,
// chain, revocation, messages; not the ID nor the signer). obj describes
// the signature the path is judged for (its proof of existence), nil for a
// certificate validated alone; see RevocationVerdict. It returns the path,
// nil when none validated. It stops waiting DeadlineMargin before ctx's
// deadline. Document validation calls it once per signature.
func (v *Validator) judgePath(ctx context.Context, store *trust.Store, req PathRequest, obj *SignedObject, sig *SignatureReport) *Path {
	ctx, cancel := contextFromDeadline(ctx, v.margin)
	defer cancel()
	path, fail := v.engine.VerifyPath(ctx, store, req)
	if fail != nil {
		sig.Indication, sig.SubIndication = fail.Indication, fail.SubIndication
		sig.Messages = append(sig.Messages, Message{Level: LevelError, Code: string(fail.SubIndication), Text: fail.Reason})
		return nil
	}
	sig.Domain, sig.Hierarchy = path.Domain.Name, string(path.Domain.Hierarchy)
	sig.Chain = NewChain(path.Chain)
	sig.Messages = append(sig.Messages, path.Messages...)
	sig.Indication = TotalPassed
	v.judgeRevocation(ctx, store, req, path, obj, sig)
	return path
}
