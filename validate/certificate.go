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

// ValidatorOptions configure a Validator.
type ValidatorOptions struct {
	// Revocation is the revocation policy; "" means RevocationHardFail.
	Revocation RevocationMode
}

// Validator turns path validation results into reports. It is safe for
// concurrent use.
type Validator struct {
	engine *Engine
	mode   RevocationMode
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
	return &Validator{engine: engine, mode: mode}, nil
}

// CertificateRequest is a certificate validated alone (DESIGN.md "A
// certificate alone"). Time is required (the caller resolves "now").
type CertificateRequest struct {
	Certificate   *x509.Certificate
	Intermediates []*x509.Certificate
	Time          time.Time
	Purpose       Purpose
}

// ValidateCertificate validates req.Certificate against store and returns
// the report with one entry, ID "certificate". It never returns a nil
// report; errors of the caller's request (nil certificate) are reported as
// FORMAT_FAILURE.
func (v *Validator) ValidateCertificate(ctx context.Context, store *trust.Store, req CertificateRequest) *Report {
	t := req.Time.UTC()
	rep := &Report{Format: FormatCertificate, ValidationTime: t, TrustStore: store.Digest()}
	sig := SignatureReport{ID: "certificate", Chain: []ChainEntry{}, Revocation: []RevocationEntry{}, Messages: []Message{}}
	if req.Certificate == nil {
		sig.Indication, sig.SubIndication = TotalFailed, FormatFailure
		sig.Messages = append(sig.Messages, Message{Level: LevelError, Code: string(FormatFailure), Text: "no certificate given"})
	} else {
		sig.Signer = NewSigner(req.Certificate)
		path, fail := v.engine.VerifyPath(ctx, store, PathRequest{
			Target: req.Certificate, Intermediates: req.Intermediates, Time: t, Purpose: req.Purpose,
		})
		v.judge(ctx, &sig, path, fail, t)
	}
	rep.Signatures = []SignatureReport{sig}
	rep.Indication = Worst(rep.Signatures)
	return rep
}

// judge fills sig from a path validation outcome and the revocation policy.
func (v *Validator) judge(ctx context.Context, sig *SignatureReport, path *Path, fail *Failure, t time.Time) {
	if fail != nil {
		sig.Indication, sig.SubIndication = fail.Indication, fail.SubIndication
		sig.Messages = append(sig.Messages, Message{Level: LevelError, Code: string(fail.SubIndication), Text: fail.Reason})
		return
	}
	sig.Domain, sig.Hierarchy = path.Domain.Name, string(path.Domain.Hierarchy)
	sig.Chain = NewChain(path.Chain)
	sig.Messages = append(sig.Messages, path.Messages...)
	sig.Indication = TotalPassed
	// Revocation checking is not implemented in this version: nothing in
	// the report may claim proof of non-revocation. Only an explicit
	// "off" policy lets the path verdict stand, and the report says so.
	switch v.mode {
	case RevocationOff:
		sig.Messages = append(sig.Messages, Message{Level: LevelInfo, Code: CodeRevocationNotChecked,
			Text: "revocation was not checked (revocation.mode: off)"})
	default:
		sig.Indication, sig.SubIndication = Indeterminate, TryLater
		sig.Messages = append(sig.Messages, Message{Level: LevelWarning, Code: CodeRevocationNotChecked,
			Text: "this version of lienthong does not check revocation yet; without proof of non-revocation the path cannot pass (set revocation.mode: off to accept paths without it)"})
	}
}
