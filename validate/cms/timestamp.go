package cms

import (
	"bytes"
	"crypto"
	"encoding/asn1"
	"errors"
	"fmt"
	"math/big"
	"slices"
	"time"

	"golang.org/x/crypto/cryptobyte"
	cbasn1 "golang.org/x/crypto/cryptobyte/asn1"

	"github.com/lienthong/lienthong/validate/signed"
)

// tstInfo is a TSTInfo (RFC 3161 §2.4.2). Only GenTime and the imprint
// reach signed.Timestamp; the rest is parsed to refuse malformed tokens.
type tstInfo struct {
	policy   asn1.ObjectIdentifier
	hash     crypto.Hash // messageImprint.hashAlgorithm
	imprint  []byte      // messageImprint.hashedMessage
	serial   *big.Int
	genTime  time.Time
	accuracy time.Duration
	ordering bool
	nonce    *big.Int // nil when absent
}

// ParseTimestamp verifies an RFC 3161 TimeStampToken — a CMS SignedData
// whose eContentType is id-ct-TSTInfo — over the timestamped data, given as
// segments hashed in order, or, when data is nil, as digest, which must
// then be made with the token's imprint hash algorithm (compare
// Timestamp.DigestAlgorithm). kind is copied to Timestamp.Kind
// ("signature" or "document").
//
// The token's signature is checked by the same code as Verify's, ESS
// signingCertificate(V2) binding included; the TSTInfo is parsed (version,
// policy, messageImprint, serialNumber, genTime with fractional seconds,
// accuracy, ordering, nonce); the imprint is compared with the data.
// Timestamp.Integrity is Intact only when all of that holds; otherwise it
// says what failed (NoSignedData when neither data nor digest is given).
//
// It returns an error only when token is not a CMS SignedData at all. It
// does not check the TSA certificate's trust, validity or extended key
// usage (RFC 3161 §2.3: critical id-kp-timeStamping): that is the
// validator's, like the signer's key usage for Verify.
func ParseTimestamp(token []byte, kind string, data [][]byte, digest []byte) (ts *signed.Timestamp, err error) {
	defer func() {
		if r := recover(); r != nil {
			ts, err = nil, fmt.Errorf("cms: malformed time-stamp token (recovered panic: %v)", r)
		}
	}()
	return parseTimestamp(token, kind, data, digest)
}

func parseTimestamp(token []byte, kind string, data [][]byte, digest []byte) (*signed.Timestamp, error) {
	sd, err := parseSignedData(token, Options{}.withDefaults())
	if err != nil {
		return nil, err
	}
	ts := &signed.Timestamp{Kind: kind, Certificates: slices.Clip(sd.certs)}
	fail := func(in signed.Integrity, format string, args ...any) (*signed.Timestamp, error) {
		ts.Integrity, ts.Problem = in, fmt.Sprintf(format, args...)
		return ts, nil
	}
	switch {
	case !sd.contentType.Equal(oidTSTInfo):
		return fail(signed.Malformed, "the token's content type %v is not id-ct-TSTInfo", sd.contentType)
	case !sd.attached:
		return fail(signed.Malformed, "the token encapsulates no TSTInfo")
	case len(sd.signers) != 1:
		return fail(signed.Malformed, "the token has %d SignerInfos, not one (RFC 3161 §2.4.2)", len(sd.signers))
	}
	sig := sd.verifySigner(0, &sd.signers[0], newContentSource(sd, nil), false)
	ts.TSA = sig.Signer
	ts.SignerDigestAlgorithm, ts.SignatureAlgorithm = sig.DigestAlgorithm, sig.SignatureAlgorithm
	info, infoErr := parseTSTInfo(sd.content)
	if infoErr == nil {
		ts.GenTime, ts.DigestAlgorithm = info.genTime, info.hash
	}
	if sig.Integrity != signed.Intact {
		return fail(sig.Integrity, "token signature: %s", sig.Problem)
	}
	if infoErr != nil {
		return fail(signed.Malformed, "TSTInfo: %v", infoErr)
	}
	var sum []byte
	switch {
	case data != nil:
		h := info.hash.New()
		for _, d := range data {
			h.Write(d)
		}
		sum = h.Sum(nil)
	case digest != nil:
		sum = digest
	default:
		return fail(signed.NoSignedData, "no timestamped data to compare the message imprint with")
	}
	if !bytes.Equal(sum, info.imprint) {
		return fail(signed.HashMismatch, "the message imprint differs from the %v of the timestamped data", info.hash)
	}
	ts.Integrity = signed.Intact
	return ts, nil
}

// timestampsOf parses the signature-timestamp unsigned attributes of si
// (RFC 3161 Appendix A): each token's imprint is over the signature value.
func timestampsOf(si *signerInfo) []*signed.Timestamp {
	var out []*signed.Timestamp
	for _, a := range si.unsigned {
		if !a.oid.Equal(oidAttrTimestamp) {
			continue
		}
		for _, v := range a.values {
			ts, err := parseTimestamp(v, "signature", [][]byte{si.signature}, nil)
			if err != nil {
				ts = &signed.Timestamp{Kind: "signature", Integrity: signed.Malformed, Problem: err.Error()}
			}
			out = append(out, ts)
		}
	}
	return out
}

// parseTSTInfo reads a DER TSTInfo:
//
//	TSTInfo ::= SEQUENCE {
//	  version INTEGER { v1(1) }, policy TSAPolicyId,
//	  messageImprint MessageImprint, serialNumber INTEGER,
//	  genTime GeneralizedTime, accuracy Accuracy OPTIONAL,
//	  ordering BOOLEAN DEFAULT FALSE, nonce INTEGER OPTIONAL,
//	  tsa [0] GeneralName OPTIONAL, extensions [1] IMPLICIT Extensions OPTIONAL }
func parseTSTInfo(der []byte) (tstInfo, error) {
	var info tstInfo
	in := cryptobyte.String(der)
	var seq, mi cryptobyte.String
	var version int64
	if !in.ReadASN1(&seq, cbasn1.SEQUENCE) || !in.Empty() {
		return info, errors.New("not a DER SEQUENCE")
	}
	if !seq.ReadASN1Integer(&version) || version != 1 {
		return info, errors.New("version is not 1")
	}
	if !seq.ReadASN1ObjectIdentifier(&info.policy) {
		return info, errors.New("malformed policy")
	}
	var ai algorithmIdentifier
	if !seq.ReadASN1(&mi, cbasn1.SEQUENCE) || !readAlgorithmIdentifier(&mi, &ai) ||
		!mi.ReadASN1Bytes(&info.imprint, cbasn1.OCTET_STRING) || !mi.Empty() {
		return info, errors.New("malformed messageImprint")
	}
	h, err := hashAlgorithm(ai)
	if err != nil {
		return info, fmt.Errorf("messageImprint: %w", err)
	}
	if len(info.imprint) != h.Size() {
		return info, fmt.Errorf("messageImprint of %d bytes for %v", len(info.imprint), h)
	}
	info.hash = h
	info.serial = new(big.Int)
	if !seq.ReadASN1Integer(info.serial) {
		return info, errors.New("malformed serialNumber")
	}
	if !readGeneralizedTime(&seq, &info.genTime) {
		return info, errors.New("malformed genTime")
	}
	if seq.PeekASN1Tag(cbasn1.SEQUENCE) {
		var acc cryptobyte.String
		if !seq.ReadASN1(&acc, cbasn1.SEQUENCE) {
			return info, errors.New("malformed accuracy")
		}
		if info.accuracy, err = readAccuracy(acc); err != nil {
			return info, err
		}
	}
	if seq.PeekASN1Tag(cbasn1.BOOLEAN) && !seq.ReadASN1Boolean(&info.ordering) {
		return info, errors.New("malformed ordering")
	}
	if seq.PeekASN1Tag(cbasn1.INTEGER) {
		info.nonce = new(big.Int)
		if !seq.ReadASN1Integer(info.nonce) {
			return info, errors.New("malformed nonce")
		}
	}
	if !seq.SkipOptionalASN1(tagCons0) || !seq.SkipOptionalASN1(tagCons1) || !seq.Empty() {
		return info, errors.New("malformed tsa or extensions, or trailing data")
	}
	return info, nil
}

// readAccuracy reads Accuracy ::= SEQUENCE { seconds INTEGER OPTIONAL,
// millis [0] INTEGER (1..999) OPTIONAL, micros [1] INTEGER (1..999)
// OPTIONAL } (implicit tags).
func readAccuracy(acc cryptobyte.String) (time.Duration, error) {
	var secs, millis, micros int64
	bad := errors.New("malformed accuracy")
	if acc.PeekASN1Tag(cbasn1.INTEGER) && !acc.ReadASN1Integer(&secs) {
		return 0, bad
	}
	if t := cbasn1.Tag(0).ContextSpecific(); acc.PeekASN1Tag(t) && !acc.ReadASN1Int64WithTag(&millis, t) {
		return 0, bad
	}
	if t := cbasn1.Tag(1).ContextSpecific(); acc.PeekASN1Tag(t) && !acc.ReadASN1Int64WithTag(&micros, t) {
		return 0, bad
	}
	if !acc.Empty() || secs < 0 || secs > 1<<31 || millis < 0 || millis > 999 || micros < 0 || micros > 999 {
		return 0, bad
	}
	return time.Duration(secs)*time.Second + time.Duration(millis)*time.Millisecond + time.Duration(micros)*time.Microsecond, nil
}
