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
// for. A nil *SignedObject means the certificate is validated alone; a
// signature without any proof of existence is a non-nil SignedObject with
// a nil POE.
type SignedObject struct {
	// POE is the earliest time at which the signature is proven to exist
	// (for example the time of a verified signature timestamp), nil when
	// there is no such proof. A signing time the signer claims is not a
	// proof of existence. Document validation judges the path of a
	// signature with a POE at the POE itself (PathRequest.Time == *POE).
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
//   - a signing certificate of a signature is INDETERMINATE/REVOKED_NO_POE
//     when its earliest proof of existence is at or after the revocation,
//     or when it has none: a POE proves that the signature existed at that
//     time, not that it was made after the revocation, so the signature may
//     still have been made while the certificate was good (ETSI EN 319
//     102-1 §5.5.4, as EU DSS applies it: REVOKED_NO_POE unless the best
//     signature time is before the revocation). A claimed signing time
//     proves nothing either way.
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
		verifySigner: v.crlSignerVerifier(store, anchor, pool, req.Intermediates, 1),
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

// maxCRLSignerDepth bounds the nesting of CRL signer validation: the
// signer of a CRL used for the validated path is at depth 1, the signer of
// a CRL used for that signer's own path at depth 2, and so on. Past it no
// CRL signer other than a certificate's own issuer is accepted, so CRL
// signers vouching for each other end in "no proof", never in recursion.
const maxCRLSignerDepth = 2

// crlSignerVerifier returns the check of a CRL signer that is not the
// issuer of the certificate whose status is asked (an indirect CRL issuer,
// a separate CRL-signing key, a rolled-over CA key), at the given depth
// (see maxCRLSignerDepth): RFC 5280 §6.3.3 (f) asks for a validated
// certification path from the signer to the anchor of the checked path,
// and validating a path includes the revocation status of its
// certificates (§6.1.3 (a)(3)). So the signer's path is built by the
// Engine (VerifyCRLSigner) and then every certificate of it but the
// anchor must be proven good by the checker, with the same CRL source,
// the same candidate signers and the clock's now as both the path's time
// and the revocation time: a CRL signer revoked by now vouches for nothing
// (NIST PKITS 4.4.21). A signer whose status cannot be proven makes the CRL
// unusable, so the certificate it would have vouched for gets no proof from
// it (TRY_LATER under hard-fail), never a "revoked".
func (v *Validator) crlSignerVerifier(store *trust.Store, anchor *trust.Cert, pool, intermediates []*x509.Certificate, depth int) func(context.Context, *x509.Certificate) error {
	if depth > maxCRLSignerDepth {
		return nil
	}
	return func(ctx context.Context, s *x509.Certificate) error {
		now := v.checker.clk.Now()
		path, fail := v.engine.crlSignerPath(ctx, store, s, anchor, pool, now)
		if fail != nil {
			return fail
		}
		results := v.checker.checkPath(ctx, revocationInput{
			store: store, path: path, t: now, intermediates: intermediates,
			verifySigner: v.crlSignerVerifier(store, anchor, pool, intermediates, depth+1),
		})
		for i, r := range results {
			where := "the CRL signer's certificate"
			if i > 0 {
				where = fmt.Sprintf("CA certificate %d above the CRL signer", i)
			}
			switch r.entry.Status {
			case StatusGood:
			case StatusRevoked:
				return fmt.Errorf("%s was revoked on %s (%s)", where, stamp(r.revokedAt), r.entry.Reason)
			default:
				return fmt.Errorf("%s has no proof of non-revocation (%s)", where, r.problem)
			}
		}
		return nil
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
