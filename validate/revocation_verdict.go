package validate

import (
	"context"
	"crypto/x509"
	"fmt"
	"time"

	"github.com/lienthong/lienthong/trust"
)

// Message codes about revocation evidence (info level unless said
// otherwise).
const (
	// CodeRevokedAfterValidationTime: a source says the certificate was
	// revoked after the validation time, so it was not revoked then.
	CodeRevokedAfterValidationTime = "REVOKED_AFTER_VALIDATION_TIME"
	// CodeRevokedAfterPOE: the certificate was revoked at or before the
	// validation time, but the signature is proven to have existed before
	// the revocation (ETSI EN 319 102-1 past signature validation).
	CodeRevokedAfterPOE = "REVOKED_AFTER_POE"
	// CodeSHA1RevocationSignature (warning): an OCSP response or CRL the
	// status comes from is signed with SHA-1, accepted because it is
	// before algorithms.sha1_until.
	CodeSHA1RevocationSignature = "SHA1_REVOCATION_SIGNATURE"
	// CodeRevocationNote: a remark on the evidence, such as the fallback
	// source having given the status, or a CRL without nextUpdate.
	CodeRevocationNote = "REVOCATION_NOTE"
)

// SignedObject describes the signature a certification path is judged
// for. A nil *SignedObject means the certificate is validated alone.
type SignedObject struct {
	// POE is the earliest time at which the signature is proven to exist
	// (for example the time of a verified signature timestamp), nil when
	// there is no such proof. A signing time the signer claims is not a
	// proof of existence.
	POE *time.Time
}

// RevocationVerdict is the ETSI EN 319 102-1 verdict on a certificate of a
// validated path that a source says was revoked at revokedAt, for
// validation at time t; ca says whether it is a CA certificate of the path
// rather than the signing (target) certificate. An empty Indication means
// that the revocation does not count:
//
//   - revoked after t: the certificate was not revoked at t (good, with
//     a note);
//   - obj has a POE before revokedAt: the signature existed while the
//     certificate was not yet revoked (§5.6.2.x past signature
//     validation: passes, with a note);
//   - otherwise a revoked CA is INDETERMINATE/REVOKED_CA_NO_POE (a later
//     proof of existence could still cure it);
//   - a signing certificate validated alone (obj nil) is
//     TOTAL_FAILED/REVOKED: the question is its status at t, and it was
//     revoked then;
//   - a signing certificate of a signature without a POE before the
//     revocation is INDETERMINATE/REVOKED_NO_POE: the signature may have
//     been made before the revocation, or after it, and only a proof of
//     existence can tell (a claimed signing time cannot).
func RevocationVerdict(ca bool, revokedAt, t time.Time, obj *SignedObject) (Indication, SubIndication) {
	switch {
	case revokedAt.After(t):
		return "", ""
	case obj != nil && obj.POE != nil && obj.POE.Before(revokedAt):
		return "", ""
	case ca:
		return Indeterminate, RevokedCANoPOE
	case obj == nil:
		return TotalFailed, Revoked
	}
	return Indeterminate, RevokedNoPOE
}

// judgeRevocation gathers the revocation evidence of a validated path and
// applies the policy to sig, whose indication is TOTAL_PASSED on entry:
//
//   - off: nothing is fetched; the report says REVOCATION_NOT_CHECKED (info)
//     and the revocation array stays empty;
//   - no checker configured: hard-fail and soft-fail cannot be met, so the
//     path is INDETERMINATE/TRY_LATER with a REVOCATION_NOT_CHECKED warning;
//   - a revoked certificate: RevocationVerdict, the signing certificate's
//     verdict winning a tie with a CA's;
//   - otherwise a certificate without proof (unknown, unavailable, or no
//     answer within the request's budget): hard-fail makes the path
//     INDETERMINATE/TRY_LATER, soft-fail lets it pass; both add one
//     REVOCATION_UNAVAILABLE message per such certificate (error level in
//     hard-fail, warning in soft-fail).
func (v *Validator) judgeRevocation(ctx context.Context, store *trust.Store, req PathRequest, path *Path, obj *SignedObject, sig *SignatureReport) {
	switch {
	case v.mode == RevocationOff:
		sig.Messages = append(sig.Messages, Message{Level: LevelInfo, Code: CodeRevocationNotChecked,
			Text: "revocation was not checked (revocation.mode: off)"})
		return
	case v.checker == nil:
		sig.Indication, sig.SubIndication = Indeterminate, TryLater
		sig.Messages = append(sig.Messages, Message{Level: LevelWarning, Code: CodeRevocationNotChecked,
			Text: "no revocation checker is configured; without proof of non-revocation the path cannot pass (set revocation.mode: off to accept paths without it)"})
		return
	}
	anchor := path.Chain[len(path.Chain)-1]
	pool := make([]*x509.Certificate, 0, len(path.Chain)-1+len(req.Intermediates))
	for _, c := range path.Chain[:len(path.Chain)-1] {
		pool = append(pool, c.X509)
	}
	pool = append(pool, req.Intermediates...)
	results := v.checker.checkPath(ctx, revocationInput{
		store: store, path: path, t: req.Time, intermediates: req.Intermediates,
		verifySigner: func(ctx context.Context, s *x509.Certificate) error {
			return v.engine.VerifyCRLSigner(ctx, store, s, anchor, pool, v.checker.clk.Now())
		},
	})
	var (
		failInd  Indication
		failSub  SubIndication
		failText string
		missing  []Message
	)
	for i, r := range results {
		where := positionName(i)
		sig.Revocation = append(sig.Revocation, r.entry)
		for _, n := range r.notes {
			sig.Messages = append(sig.Messages, Message{Level: n.Level, Code: n.Code, Text: where + ": " + n.Text})
		}
		switch r.entry.Status {
		case StatusGood:
		case StatusRevoked:
			ind, sub := RevocationVerdict(i > 0, r.revokedAt, req.Time, obj)
			if ind == "" {
				sig.Messages = append(sig.Messages, Message{Level: LevelInfo, Code: CodeRevokedAfterPOE,
					Text: fmt.Sprintf("%s was revoked on %s (%s), after the signature's proof of existence", where, stamp(r.revokedAt), r.entry.Reason)})
				continue
			}
			if failInd == "" || severity(ind) > severity(failInd) {
				failInd, failSub = ind, sub
				failText = fmt.Sprintf("%s was revoked on %s (%s) according to %s", where, stamp(r.revokedAt), r.entry.Reason, r.entry.Source)
			}
		default:
			missing = append(missing, Message{Code: CodeRevocationUnavailable,
				Text: fmt.Sprintf("%s: no proof of non-revocation (%s)", where, r.problem)})
		}
	}
	switch {
	case failInd != "":
		sig.Indication, sig.SubIndication = failInd, failSub
		sig.Messages = append(sig.Messages, Message{Level: LevelError, Code: string(failSub), Text: failText})
	case len(missing) > 0 && v.mode == RevocationHardFail:
		sig.Indication, sig.SubIndication = Indeterminate, TryLater
		for _, m := range missing {
			m.Level = LevelError
			sig.Messages = append(sig.Messages, m)
		}
		sig.Messages = append(sig.Messages, Message{Level: LevelError, Code: string(TryLater),
			Text: fmt.Sprintf("revocation.mode is hard-fail and %d certificate(s) of the path lack proof of non-revocation", len(missing))})
	case len(missing) > 0:
		for _, m := range missing {
			m.Level = LevelWarning
			sig.Messages = append(sig.Messages, m)
		}
	}
}

// positionName names path[k] by position, without personal data, as the
// path engine's messages do.
func positionName(k int) string {
	if k == 0 {
		return "the target certificate"
	}
	return fmt.Sprintf("CA certificate %d above the target", k)
}
