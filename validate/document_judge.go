package validate

import (
	"context"
	"crypto"
	"crypto/x509"
	"fmt"
	"time"

	"github.com/lienthong/lienthong/trust"
	"github.com/lienthong/lienthong/validate/signed"
)

// maxTimestampsJudged bounds the timestamps of one signature whose TSA
// path is validated; the others are mentioned and ignored.
const maxTimestampsJudged = 4

// integrityVerdict maps what a front end found to ETSI EN 319 102-1
// (Table 5), as EU DSS does: a digest that does not match is
// TOTAL_FAILED/HASH_FAILURE; a signature value that does not verify
// TOTAL_FAILED/SIG_CRYPTO_FAILURE; a broken structure
// TOTAL_FAILED/FORMAT_FAILURE; no signer certificate
// INDETERMINATE/NO_SIGNING_CERTIFICATE_FOUND; absent signed content
// INDETERMINATE/SIGNED_DATA_NOT_FOUND (it may be supplied later); an ESS
// signing-certificate attribute naming another certificate
// INDETERMINATE/SIG_CONSTRAINTS_FAILURE.
func integrityVerdict(in signed.Integrity) (Indication, SubIndication) {
	switch in {
	case signed.Intact:
		return TotalPassed, ""
	case signed.HashMismatch:
		return TotalFailed, HashFailure
	case signed.BadSignature:
		return TotalFailed, SigCryptoFailure
	case signed.NoSigner:
		return Indeterminate, NoSigningCertificateFound
	case signed.NoSignedData:
		return Indeterminate, SignedDataNotFound
	case signed.SignerMismatch:
		return Indeterminate, SigConstraintsFailure
	}
	return TotalFailed, FormatFailure
}

// judgeSignature turns what a front end found about one signature into
// its report entry. Every format goes through here:
//
//  1. the front end's messages, the claimed signing time (reported, with
//     SIGNING_TIME_CLAIMED_ONLY: a claim proves nothing) and the coverage
//     (PARTIAL_COVERAGE) are copied;
//  2. a signature that is not intact gets its integrityVerdict, and
//     nothing more is checked;
//  3. its timestamps are judged (see judgeTimestamps): the earliest one
//     that validates is a proof of existence (POE) at its genTime g;
//  4. the algorithm policy of the signature itself (SHA-1 before
//     algorithms.sha1_until with a SHA1_SIGNATURE warning, after it, and
//     MD5 at any time, INDETERMINATE/CRYPTO_CONSTRAINTS_FAILURE) is
//     applied at the judging time: g with a POE, else t;
//  5. the signer's certification path is validated for document signing
//     over the signature's certificates and the caller's intermediates at
//     the judging time, and its revocation status under the Validator's
//     policy with the signature's POE (see RevocationVerdict): with a POE
//     g, a certificate expired or revoked after g still passes (ETSI EN
//     319 102-1 past signature validation), one revoked before g is
//     TOTAL_FAILED/REVOKED; without a POE a revoked signer is
//     INDETERMINATE/REVOKED_NO_POE.
//
// A PDF document timestamp (ETSI.RFC3161) is an entry of its own: its
// TSA's path is validated for timestamping at t, and its timestamp object
// is the token itself.
func (v *Validator) judgeSignature(ctx context.Context, store *trust.Store, t time.Time, format string, s *signed.Signature, extra []*x509.Certificate) SignatureReport {
	rep := SignatureReport{ID: s.ID, Chain: []ChainEntry{}, Revocation: []RevocationEntry{},
		Messages: make([]Message, 0, len(s.Messages)+4), Coverage: s.Coverage}
	if s.Signer != nil {
		rep.Signer = NewSigner(s.Signer)
	}
	for _, m := range s.Messages {
		rep.Messages = append(rep.Messages, Message(m))
	}
	docTS := isDocumentTimestamp(s)
	if s.ClaimedSigningTime != nil && !docTS {
		st := s.ClaimedSigningTime.UTC()
		rep.SigningTime = &st
		text := "the signer claims to have signed at " + stamp(st)
		if s.ClaimedSigningTimeText != "" {
			text += " (written " + s.ClaimedSigningTimeText + ")"
		}
		rep.Messages = append(rep.Messages, Message{Level: LevelInfo, Code: CodeSigningTimeClaimed,
			Text: text + "; a claimed time is not a proof of existence"})
	}
	if s.Coverage == "partial" {
		rep.Messages = append(rep.Messages, coverageMessage(format, s.CoverageNote))
	}
	if s.Integrity != signed.Intact || s.Signer == nil {
		in := s.Integrity
		if in == signed.Intact {
			in = signed.NoSigner
		}
		rep.Indication, rep.SubIndication = integrityVerdict(in)
		problem := s.Problem
		if problem == "" {
			problem = "the signature is " + in.String()
		}
		rep.Messages = append(rep.Messages, Message{Level: LevelError, Code: string(rep.SubIndication), Text: problem})
		return rep
	}
	cands := make([]*x509.Certificate, 0, len(s.Certificates)+len(extra))
	cands = append(append(cands, s.Certificates...), extra...)
	if docTS {
		ts := s.Timestamps[0]
		rep.Timestamp = v.judgeTSA(ctx, store, t, ts, cands, &rep)
		return rep
	}

	poe, tsRep, tsMsgs := v.judgeTimestamps(ctx, store, t, s.Timestamps, cands)
	rep.Timestamp = tsRep
	rep.Messages = append(rep.Messages, tsMsgs...)
	at, obj := t, &SignedObject{}
	if poe != nil {
		at, obj.POE = *poe, poe
		rep.Messages = append(rep.Messages, Message{Level: LevelInfo, Code: CodeTimestampPOE,
			Text: "a valid timestamp proves that the signature existed at " + stamp(*poe) +
				"; the signer's certificate, its revocation and the algorithms are judged at that time"})
	}
	warn, refusal := v.algorithmPolicy(s.DigestAlgorithm, s.SignatureAlgorithm, at)
	if warn != "" {
		rep.Messages = append(rep.Messages, Message{Level: LevelWarning, Code: CodeSHA1Signature, Text: warn})
	}
	v.judgePath(ctx, store, PathRequest{Target: s.Signer, Intermediates: cands, Time: at, Purpose: PurposeDocumentSigning}, obj, &rep)
	if refusal != "" {
		rep.Messages = append(rep.Messages, Message{Level: LevelError, Code: string(CryptoConstraintsFailure), Text: refusal})
		if rep.Indication == TotalPassed {
			rep.Indication, rep.SubIndication = Indeterminate, CryptoConstraintsFailure
		}
	}
	return rep
}

// isDocumentTimestamp tells a PDF document timestamp entry from a
// signature.
func isDocumentTimestamp(s *signed.Signature) bool {
	return len(s.Timestamps) == 1 && s.Timestamps[0].Kind == "document"
}

func coverageMessage(format, note string) Message {
	if format == FormatXML {
		text := "the signature covers only the elements it references"
		if note != "" {
			text += ": " + note
		}
		return Message{Level: LevelInfo, Code: CodePartialCoverage, Text: text}
	}
	text := "the signature does not cover the whole document: bytes were added after signing"
	if note != "" {
		text += " (" + note + ")"
	}
	return Message{Level: LevelWarning, Code: CodePartialCoverage, Text: text}
}

// algorithmPolicy applies the dated algorithm policy to a signature (or a
// timestamp's imprint) judged at time at: SHA-1 is accepted before
// Options.SHA1Until with a warning (warn) and refused at or after it; MD5,
// MD4 and MD2 are refused at any time (refusal). Other algorithms pass:
// the front ends read only algorithms they support.
func (v *Validator) algorithmPolicy(h crypto.Hash, alg x509.SignatureAlgorithm, at time.Time) (warn, refusal string) {
	switch weaknessOf(h, alg) {
	case weakMD5:
		return "", "the signature uses an MD5-family hash, which is refused at any time"
	case weakSHA1:
		cut := stamp(v.engine.sha1Until)
		if !at.Before(v.engine.sha1Until) {
			return "", fmt.Sprintf("the signature uses SHA-1, refused at %s: the SHA-1 cut-off (algorithms.sha1_until) is %s", stamp(at), cut)
		}
		return "the signature uses SHA-1, accepted until " + cut + " (algorithms.sha1_until)", ""
	}
	return "", ""
}

// judgeTimestamps judges the signature timestamps of one signature (the
// first maxTimestampsJudged) and returns the proof of existence they give
// (the earliest genTime of a valid one that is not after t), the
// timestamp to report (that one, else the first) and messages on those
// that could not be used.
func (v *Validator) judgeTimestamps(ctx context.Context, store *trust.Store, t time.Time, tss []*signed.Timestamp, extra []*x509.Certificate) (*time.Time, *TimestampReport, []Message) {
	var (
		poe         *time.Time
		best, first *TimestampReport
		msgs        []Message
	)
	for i, ts := range tss {
		where := "the signature timestamp"
		if len(tss) > 1 {
			where = fmt.Sprintf("signature timestamp %d", i+1)
		}
		if i == maxTimestampsJudged {
			msgs = append(msgs, Message{Level: LevelWarning, Code: CodeTimestampInvalid,
				Text: fmt.Sprintf("%d more timestamps were not judged", len(tss)-i)})
			break
		}
		var tmp SignatureReport
		r := v.judgeTSA(ctx, store, t, ts, extra, &tmp)
		if first == nil {
			first = r
		}
		switch {
		case r.Indication != TotalPassed:
			msgs = append(msgs, Message{Level: LevelWarning, Code: CodeTimestampInvalid,
				Text: fmt.Sprintf("%s is not a proof of existence (%s/%s): %s", where, r.Indication, r.SubIndication, lastError(tmp.Messages))})
		case r.GenTime.After(t):
			msgs = append(msgs, Message{Level: LevelWarning, Code: CodeTimestampInvalid,
				Text: fmt.Sprintf("%s has genTime %s, after the validation time: it proves nothing at the validation time", where, stamp(*r.GenTime))})
		case poe == nil || r.GenTime.Before(*poe):
			poe, best = r.GenTime, r
		}
	}
	if best == nil {
		best = first
	}
	return poe, best, msgs
}

// judgeTSA judges one RFC 3161 timestamp into into (indication, domain,
// chain, revocation, messages of the TSA's path) and returns its
// TimestampReport: the token's integrity first, then the algorithm policy
// on its imprint hash and the TSA's certification path, validated for
// timestamping (critical id-kp-timeStamping, RFC 3161 §2.3) at the
// validation time t over the token's certificates and extra, with its
// revocation status as for a certificate alone.
func (v *Validator) judgeTSA(ctx context.Context, store *trust.Store, t time.Time, ts *signed.Timestamp, extra []*x509.Certificate, into *SignatureReport) *TimestampReport {
	r := &TimestampReport{}
	if !ts.GenTime.IsZero() {
		g := ts.GenTime.UTC()
		r.GenTime = &g
	}
	if ts.TSA != nil {
		r.TSA = &ChainEntry{Subject: trust.DN(ts.TSA.RawSubject), SHA256: sha256Hex(ts.TSA.Raw)}
	}
	defer func() { r.Indication, r.SubIndication, r.Domain = into.Indication, into.SubIndication, into.Domain }()
	if ts.Integrity != signed.Intact || ts.TSA == nil || r.GenTime == nil {
		in := ts.Integrity
		if in == signed.Intact {
			in = signed.NoSigner
		}
		into.Indication, into.SubIndication = integrityVerdict(in)
		problem := ts.Problem
		if problem == "" {
			problem = "the time-stamp token is " + in.String()
		}
		into.Messages = append(into.Messages, Message{Level: LevelError, Code: string(into.SubIndication), Text: "time-stamp token: " + problem})
		return r
	}
	warn, refusal := v.algorithmPolicy(ts.DigestAlgorithm, 0, t)
	if refusal == "" { // the token's own signature, as well as its imprint
		var w string
		if w, refusal = v.algorithmPolicy(ts.SignerDigestAlgorithm, ts.SignatureAlgorithm, t); warn == "" {
			warn = w
		}
	}
	if refusal != "" {
		into.Indication, into.SubIndication = Indeterminate, CryptoConstraintsFailure
		into.Messages = append(into.Messages, Message{Level: LevelError, Code: string(CryptoConstraintsFailure), Text: "time-stamp token: " + refusal})
		return r
	}
	if warn != "" {
		into.Messages = append(into.Messages, Message{Level: LevelWarning, Code: CodeSHA1Signature, Text: "time-stamp token: " + warn})
	}
	cands := make([]*x509.Certificate, 0, len(ts.Certificates)+len(extra))
	cands = append(append(cands, ts.Certificates...), extra...)
	v.judgePath(ctx, store, PathRequest{Target: ts.TSA, Intermediates: cands, Time: t, Purpose: PurposeTimestamping}, nil, into)
	return r
}

// lastError is the text of the last error message, for summaries.
func lastError(ms []Message) string {
	for i := len(ms) - 1; i >= 0; i-- {
		if ms[i].Level == LevelError {
			return ms[i].Text
		}
	}
	return "no reason given"
}

func sha256Hex(der []byte) string {
	fp := trust.Fingerprint(sha256Sum(der))
	return fp.Hex()
}
