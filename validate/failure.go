package validate

import (
	"crypto/x509"
	"errors"
	"strings"
)

// Indication is a main status indication of ETSI EN 319 102-1 §5.1.3
// (Table 4), as used by EU DSS. Its string values appear in API responses
// and metric labels and never change.
type Indication string

// The main indications. Path validation alone never returns TOTAL_PASSED in
// a Failure: a passed path is a *Path.
const (
	TotalPassed   Indication = "TOTAL_PASSED"
	TotalFailed   Indication = "TOTAL_FAILED"
	Indeterminate Indication = "INDETERMINATE"
)

// SubIndication is a sub-indication of ETSI EN 319 102-1 §5.1.3 (Table 5).
// Its string values appear in API responses and never change.
type SubIndication string

// Sub-indications of TOTAL_FAILED.
const (
	FormatFailure    SubIndication = "FORMAT_FAILURE"
	HashFailure      SubIndication = "HASH_FAILURE"
	SigCryptoFailure SubIndication = "SIG_CRYPTO_FAILURE"
	Revoked          SubIndication = "REVOKED"
	Expired          SubIndication = "EXPIRED"
	NotYetValid      SubIndication = "NOT_YET_VALID"
)

// Sub-indications of INDETERMINATE.
const (
	NoCertificateChainFound        SubIndication = "NO_CERTIFICATE_CHAIN_FOUND"
	RevokedNoPOE                   SubIndication = "REVOKED_NO_POE"
	RevokedCANoPOE                 SubIndication = "REVOKED_CA_NO_POE"
	OutOfBoundsNoPOE               SubIndication = "OUT_OF_BOUNDS_NO_POE"
	OutOfBoundsNotRevoked          SubIndication = "OUT_OF_BOUNDS_NOT_REVOKED"
	TryLater                       SubIndication = "TRY_LATER"
	ChainConstraintsFailure        SubIndication = "CHAIN_CONSTRAINTS_FAILURE"
	SigConstraintsFailure          SubIndication = "SIG_CONSTRAINTS_FAILURE"
	CryptoConstraintsFailure       SubIndication = "CRYPTO_CONSTRAINTS_FAILURE"
	NoSigningCertificateFound      SubIndication = "NO_SIGNING_CERTIFICATE_FOUND"
	SignedDataNotFound             SubIndication = "SIGNED_DATA_NOT_FOUND"
	CertificateChainGeneralFailure SubIndication = "CERTIFICATE_CHAIN_GENERAL_FAILURE"
	PolicyProcessingError          SubIndication = "POLICY_PROCESSING_ERROR"
)

// Failure is a validation verdict that is not TOTAL_PASSED: the path could
// not be built, or a built path broke a rule. It is a value, not an outage:
// callers report it (200 with the indication), they do not retry it.
//
// The mapping follows ETSI EN 319 102-1 §5.2.6 (X.509 certificate
// validation) as EU DSS implements it:
//
//   - no path from the target to any anchor: INDETERMINATE /
//     NO_CERTIFICATE_CHAIN_FOUND;
//   - a path was built (names chain up to an anchor and the key
//     identifiers say who signed what) but a certificate signature in it
//     does not verify: INDETERMINATE / CERTIFICATE_CHAIN_GENERAL_FAILURE
//     (DSS's BBB_XCV_ICSI check; the certificate is damaged, not merely
//     unrelated to the anchor);
//   - a certificate of the path (signing certificate or CA) is expired, or
//     a CA certificate is not yet valid, at the validation time:
//     INDETERMINATE / OUT_OF_BOUNDS_NO_POE (a proof of existence, which a
//     later stage may bring, can turn it into a pass);
//   - the signing certificate is not yet valid: TOTAL_FAILED /
//     NOT_YET_VALID (EN 319 102-1 Table 5: nothing signed before the
//     certificate existed can be valid);
//   - basic constraints, path length, key usage, name constraints,
//     certificate policies, unknown critical extensions, the certificate
//     profile and the end-entity purpose checks: INDETERMINATE /
//     CHAIN_CONSTRAINTS_FAILURE;
//   - the algorithm policy (SHA-1 after its cut-off, MD5, short RSA keys,
//     unknown algorithms): INDETERMINATE / CRYPTO_CONSTRAINTS_FAILURE;
//   - the request's context ended during path building: INDETERMINATE /
//     TRY_LATER.
//
// Reason is for people and may change; it names certificates by their
// position in the path, never by subject, so that it can be logged without
// personal data. Cert is the certificate the failure is about (nil when it
// concerns no single certificate). Err, when set, is the underlying cause.
type Failure struct {
	Indication    Indication
	SubIndication SubIndication
	Cert          *x509.Certificate
	Reason        string
	Err           error
}

// Error returns "INDICATION/SUB_INDICATION: reason".
func (f *Failure) Error() string {
	var b strings.Builder
	b.WriteString(string(f.Indication))
	if f.SubIndication != "" {
		b.WriteByte('/')
		b.WriteString(string(f.SubIndication))
	}
	if f.Reason != "" {
		b.WriteString(": ")
		b.WriteString(f.Reason)
	}
	if f.Err != nil && (f.Reason == "" || !strings.Contains(f.Reason, f.Err.Error())) {
		b.WriteString(": ")
		b.WriteString(f.Err.Error())
	}
	return b.String()
}

// Unwrap returns Err.
func (f *Failure) Unwrap() error { return f.Err }

// Message is a non-fatal remark attached to a validation result, such as
// the use of SHA-1 before its cut-off. Code is UPPER_SNAKE and stable
// (DESIGN.md "Message codes"); Text is for people and may change.
type Message struct {
	Level string `json:"level"`
	Code  string `json:"code"`
	Text  string `json:"text"`
}

// Message levels.
const (
	LevelInfo    = "info"
	LevelWarning = "warning"
)

// Message codes produced by path validation.
const (
	// CodeSHA1CertificateSignature: a certificate of the path is signed
	// with SHA-1, accepted because the validation time is before the
	// configured cut-off.
	CodeSHA1CertificateSignature = "SHA1_CERTIFICATE_SIGNATURE"
	// CodeMD5CertificateSignature: a certificate of the path is signed
	// with MD5, accepted because the domain allows it (AllowMD5).
	CodeMD5CertificateSignature = "MD5_CERTIFICATE_SIGNATURE"
	// CodeProfileNonconformance: a certificate of the path departs from
	// the RFC 5280 §4.2 profile in a way the strict profile tolerates
	// because it cannot change the outcome of path validation.
	CodeProfileNonconformance = "PROFILE_NONCONFORMANCE"
)

// Causes wrapped in Failure.Err, so that callers and tests can tell
// failures apart without parsing Reason.
var (
	errNoPath            = errors.New("no certification path to a trust anchor")
	errBuildLimit        = errors.New("path building limit reached")
	errBadSignature      = errors.New("certificate signature does not verify")
	errExpired           = errors.New("certificate expired")
	errNotYetValid       = errors.New("certificate not yet valid")
	errNotCA             = errors.New("issuer is not a CA certificate")
	errPathLength        = errors.New("path length constraint exceeded")
	errKeyCertSign       = errors.New("issuer key usage lacks keyCertSign")
	errUnknownCritical   = errors.New("unknown critical extension")
	errNameConstraints   = errors.New("name constraints violated")
	errPolicy            = errors.New("certificate policy processing failed")
	errProfile           = errors.New("certificate breaks the RFC 5280 §4.2 profile")
	errAlgorithm         = errors.New("algorithm refused by policy")
	errKeyUsage          = errors.New("end-entity key usage does not allow the purpose")
	errExtKeyUsage       = errors.New("end-entity extended key usage does not allow the purpose")
	errDomainPolicy      = errors.New("no accepted certificate policy of the trust domain")
	errBadRequest        = errors.New("bad path request")
	errNameChaining      = errors.New("issuer name does not match")
	errContextEndedBuild = errors.New("path building interrupted")
)
