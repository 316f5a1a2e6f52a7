// Package signed holds what a document front end (CMS, PDF, XML-DSig, raw
// signatures) found out about one signature, before any trust decision:
// the signer's certificate, the certificates that came with it, whether the
// signed bytes and the signature value are intact, the claimed signing time
// and the timestamps. Package validate turns a Signature into a report entry
// by running path validation and revocation on it.
//
// A front end never decides trust: a Signature with Integrity Intact only
// says that the mathematics hold for the certificate it names.
package signed

import (
	"crypto"
	"crypto/x509"
	"time"
)

// Integrity is the outcome of the cryptographic checks of one signature.
type Integrity int

// Integrity outcomes, mapped by package validate to ETSI EN 319 102-1
// sub-indications.
const (
	// Intact: every digest matches and the signature value verifies with
	// the signer certificate's key.
	Intact Integrity = iota + 1
	// HashMismatch: a digest over the signed data does not match
	// (TOTAL_FAILED/HASH_FAILURE).
	HashMismatch
	// BadSignature: the signature value does not verify with the signer
	// certificate's key (TOTAL_FAILED/SIG_CRYPTO_FAILURE).
	BadSignature
	// Malformed: the signature structure is broken
	// (TOTAL_FAILED/FORMAT_FAILURE).
	Malformed
	// NoSigner: the signer certificate is not in the signature or
	// cannot be identified (INDETERMINATE/NO_SIGNING_CERTIFICATE_FOUND).
	NoSigner
	// NoSignedData: the signed data is absent, e.g. a detached signature
	// without its content (INDETERMINATE/SIGNED_DATA_NOT_FOUND).
	NoSignedData
	// SignerMismatch: a signed attribute binding the signer certificate
	// (ESS signingCertificate / signingCertificateV2) names another
	// certificate (INDETERMINATE/SIG_CONSTRAINTS_FAILURE).
	SignerMismatch
)

// String returns the name used in logs.
func (i Integrity) String() string {
	switch i {
	case Intact:
		return "intact"
	case HashMismatch:
		return "hash_mismatch"
	case BadSignature:
		return "bad_signature"
	case Malformed:
		return "malformed"
	case NoSigner:
		return "no_signer"
	case NoSignedData:
		return "no_signed_data"
	case SignerMismatch:
		return "signer_mismatch"
	}
	return "unknown"
}

// Signature is one signature found in a document.
type Signature struct {
	// ID names the signature in the report: the PDF field name, the XML
	// Signature element's Id (or its path), "signer-1"… for CMS.
	ID string
	// Signer is the certificate whose key made the signature; nil when
	// Integrity is NoSigner or Malformed before the signer was found.
	Signer *x509.Certificate
	// Certificates are every certificate carried with the signature
	// (CMS certificates, PDF DSS, XML KeyInfo), the signer included:
	// untrusted candidates for path building.
	Certificates []*x509.Certificate
	// Integrity is the outcome of the cryptographic checks; Problem says
	// what failed, for people.
	Integrity Integrity
	Problem   string
	// DigestAlgorithm and SignatureAlgorithm are the algorithms of the
	// signature itself (for the dated algorithm policy: SHA-1).
	DigestAlgorithm    crypto.Hash
	SignatureAlgorithm x509.SignatureAlgorithm
	// ClaimedSigningTime is the signer's own claim (CMS signingTime, PDF
	// /M, XAdES/SignatureProperty SigningTime): not a proof of existence.
	// ClaimedSigningTimeText keeps the claim as written when it had no
	// zone (common in Vietnamese XML) and was read as UTC+7.
	ClaimedSigningTime     *time.Time
	ClaimedSigningTimeText string
	// Timestamps are RFC 3161 timestamps over this signature (CMS
	// signature-timestamp attribute) — proof that it existed at GenTime.
	Timestamps []*Timestamp
	// Coverage (PDF): "whole_document" or "partial"; CoverageNote says
	// what was added after the signature where practical.
	Coverage     string
	CoverageNote string
	// Messages are remarks of the front end (Code UPPER_SNAKE, stable).
	Messages []Message
}

// Timestamp is an RFC 3161 time-stamp token found with a signature or as a
// PDF document timestamp.
type Timestamp struct {
	// Kind is "signature" (over a signature value) or "document" (a PDF
	// document timestamp, ETSI.RFC3161).
	Kind string
	// GenTime is the TSTInfo genTime.
	GenTime time.Time
	// TSA is the certificate that signed the token; Certificates are the
	// token's certificates (TSA included), candidates for its path.
	TSA          *x509.Certificate
	Certificates []*x509.Certificate
	// Integrity of the token: Intact only when the token's CMS signature
	// verifies with TSA's key AND the message imprint matches the
	// timestamped data.
	Integrity Integrity
	Problem   string
	// DigestAlgorithm is the imprint's hash algorithm.
	DigestAlgorithm crypto.Hash
	// SignerDigestAlgorithm and SignatureAlgorithm are those of the
	// token's own signature (its SignerInfo), for the algorithm policy:
	// a token signed with a refused algorithm is no proof of existence.
	SignerDigestAlgorithm crypto.Hash
	SignatureAlgorithm    x509.SignatureAlgorithm
}

// Message is a remark about a signature (same shape as validate.Message).
type Message struct {
	Level string
	Code  string
	Text  string
}
