// Package validate is lienthong's certification path engine: it builds a
// path from a certificate to an anchor of the combined trust store and
// validates it by RFC 5280 §6.1, step by step, with crypto/x509 used only to
// parse. It does not use x509.Verify, which refuses every SHA-1 signature
// (both Vietnamese hierarchies still have SHA-1 CA generations valid until
// 2030) and departs from RFC 5280 in name chaining, self-issued path length,
// directory-name constraints and policy processing (NIST PKITS shows where).
//
// Failures are typed values (*Failure) carrying ETSI EN 319 102-1
// indications. Nothing here reads the clock: the validation time comes with
// each request, and the current time from an injected Clock.
//
// Revocation is checked after a path validated, never before (the URLs in
// a certificate are fetched only once it chains to an anchor): a
// RevocationChecker gathers OCSP (RFC 6960) and CRL (RFC 5280 §6.3)
// evidence through an SSRF-guarded Fetcher and bounded caches, and the
// Validator applies the revocation policy and the ETSI mapping of
// RevocationVerdict. AIASource completes chains from caIssuers URLs.
package validate

import (
	"context"
	"crypto/sha256"
	"crypto/x509"
	"errors"
	"fmt"
	"sync/atomic"
	"time"

	"github.com/lienthong/lienthong/trust"
)

// Defaults of Options and DomainOptions.
const (
	DefaultMaxDepth           = 10
	DefaultMaxCandidates      = 64
	DefaultMaxSignatureChecks = 128
	DefaultSignatureCacheSize = 8192
	DefaultMinRSABits         = 2048
	// maxRequestIntermediates bounds how many request-supplied
	// certificates one request may offer to path building; the rest are
	// ignored (a real chain has a handful).
	maxRequestIntermediates = 256
	// maxIssuerSourceCalls bounds IssuerSource look-ups per request, and
	// maxIssuerSourceResults the certificates used from each.
	maxIssuerSourceCalls   = 4
	maxIssuerSourceResults = 8
)

// Profile says which certificate profile a domain enforces on top of the
// path validation algorithm of RFC 5280 §6.1.
type Profile string

// Profiles. The zero value means ProfileStrict.
const (
	// ProfileStrict also refuses certificates that break the MUSTs RFC
	// 5280 §4.2 places on conforming CAs: an authority key identifier in
	// every certificate that is not self-signed; a subject key identifier,
	// a critical basicConstraints, a keyUsage and a non-empty subject in
	// CA certificates; pathLenConstraint only with cA and keyCertSign; name
	// constraints only in CA certificates and critical. keyCertSign in a
	// certificate without cA is only a PROFILE_NONCONFORMANCE warning (such
	// a certificate cannot issue anyway; a real FPT-CA end-entity
	// certificate has it). This is stricter than x509.Verify; the real
	// Vietnamese CA certificates conform.
	ProfileStrict Profile = "strict"
	// ProfileRFC5280 runs §6.1 alone. NIST PKITS needs it: it tests §6
	// only, and some of its certificates that must validate break §4.2
	// MUSTs (4.6.4 "Valid basicConstraints Not Critical").
	ProfileRFC5280 Profile = "rfc5280"
)

// Purpose says what the target certificate must be good for.
type Purpose string

// Purposes. The zero value means PurposeDocumentSigning.
const (
	// PurposeDocumentSigning requires keyUsage digitalSignature or
	// nonRepudiation, an extended key usage (when present) from the
	// domain's accepted set, and a certificate policy the domain accepts.
	PurposeDocumentSigning Purpose = "document_signing"
	// PurposeAny validates the path alone, with no end-entity checks.
	PurposeAny Purpose = "any"
	// PurposeTimestamping requires a critical extended key usage
	// extension whose only purpose is id-kp-timeStamping (RFC 3161 §2.3).
	PurposeTimestamping Purpose = "timestamping"
)

// IssuerSource finds more candidate issuers of c, for example by fetching
// its AIA caIssuers URL. It is called only when the store and the request
// offer no issuer that completes a path, at most a few times per request.
// Certificates it returns are candidates like any other: they are trusted
// only through an anchor.
type IssuerSource interface {
	Issuers(ctx context.Context, c *x509.Certificate) []*x509.Certificate
}

// Deps are the Engine's collaborators. The zero value is usable: no
// IssuerSource.
type Deps struct {
	Issuers IssuerSource
}

// DomainOptions are the per-trust-domain inputs of path validation. The
// zero value is the default: initial policy set {anyPolicy} with no
// explicit-policy or inhibit flags, the built-in accepted EKU list (see
// DefaultExtKeyUsages), RSA keys of at least 2048 bits, no MD5, and
// ProfileStrict.
type DomainOptions struct {
	// Policy holds the RFC 5280 §6.1.1 (c), (e), (f), (g) inputs.
	Policy PolicySettings
	// ExtKeyUsages are the dotted EKU OIDs accepted for document signing
	// when the end-entity certificate carries an EKU extension; empty
	// means DefaultExtKeyUsages.
	ExtKeyUsages []string
	// MinRSABits is the smallest RSA modulus accepted for any key of the
	// path (anchor included); 0 means DefaultMinRSABits.
	MinRSABits int
	// AllowMD5 accepts MD5 certificate signatures, for legacy chains only.
	AllowMD5 bool
	// Profile is the certificate profile; empty means ProfileStrict.
	Profile Profile
}

// Options configure an Engine. The zero value is usable: defaults apply to
// zero fields, and every domain of the store gets zero DomainOptions.
type Options struct {
	// SHA1Until is the instant before which SHA-1 certificate signatures
	// are accepted (with a SHA1_CERTIFICATE_SIGNATURE warning); at or
	// after it they are a CRYPTO_CONSTRAINTS_FAILURE. The zero value
	// refuses SHA-1 at any time.
	SHA1Until time.Time
	// MaxDepth bounds the certificates of a path, target included and
	// anchor excluded. 0 means DefaultMaxDepth.
	MaxDepth int
	// MaxCandidates bounds the candidate paths tried per request: each
	// path that reaches an anchor and each dead end counts as one.
	// 0 means DefaultMaxCandidates.
	MaxCandidates int
	// MaxSignatureChecks bounds the signature verifications per request
	// (those answered by the signature cache are not counted). 0 means
	// DefaultMaxSignatureChecks.
	MaxSignatureChecks int
	// Domains holds the options of trust domains by name; domains not
	// named here get zero DomainOptions.
	Domains map[string]DomainOptions
	// SignatureCacheSize bounds the cache of signature verification
	// results, keyed by (child SHA-256, parent SHA-256), and the cache of
	// canonical certificate names, keyed by SHA-256. 0 means
	// DefaultSignatureCacheSize; negative disables both caches.
	SignatureCacheSize int
}

// PathRequest is one path validation. Target is required; Time is the
// validation time and is required (the Engine never reads the clock).
// Intermediates are untrusted candidates offered for path building (for
// example the certificates embedded in a signature); at most 256 are used.
// Purpose "" means PurposeDocumentSigning.
type PathRequest struct {
	Target        *x509.Certificate
	Intermediates []*x509.Certificate
	Time          time.Time
	Purpose       Purpose
}

// Path is a validated certification path. Chain runs from the target
// (first) to the anchor (last); entries that came from the store are the
// store's own values (with Role and Domain), the others are wrapped with
// trust.NewCert. When the target itself is an anchor, Chain holds that
// anchor alone. Domain is the anchor's domain. Policies is the
// user-constrained policy set of RFC 5280 §6.1.5 (g) (dotted OIDs, sorted;
// "2.5.29.32.0" stands for anyPolicy). Messages are warnings such as
// SHA1_CERTIFICATE_SIGNATURE. Callers must not modify Chain's entries.
type Path struct {
	Chain    []*trust.Cert
	Domain   *trust.Domain
	Policies []string
	Messages []Message
}

// Stats are cumulative counters of an Engine's work, for metrics and tests.
type Stats struct {
	Requests           int64 // VerifyPath calls
	PathsTried         int64 // candidate paths (complete or dead ends)
	SignatureChecks    int64 // signature verifications actually run
	SignatureCacheHits int64 // verifications answered by the cache
	LimitHits          int64 // requests stopped by a MaxCandidates or MaxSignatureChecks bound
}

// Engine builds and validates certification paths. It is safe for
// concurrent use; its only mutable state is its two bounded caches
// (signature results and canonical names, both keyed by SHA-256
// fingerprints, so they stay correct across trust store reloads) and its
// counters. Build one with NewEngine.
type Engine struct {
	sha1Until     time.Time
	maxDepth      int
	maxCandidates int
	maxSigChecks  int
	domains       map[string]*domainConfig
	defaults      *domainConfig
	issuers       IssuerSource
	sigs          *cache[sigKey, error]                // nil when disabled
	names         *cache[trust.Fingerprint, certNames] // nil when disabled

	requests, pathsTried, sigChecks, sigHits, limitHits atomic.Int64
}

// domainConfig is DomainOptions with defaults applied and sets indexed.
type domainConfig struct {
	policy   PolicySettings
	ekus     map[string]bool
	minRSA   int
	allowMD5 bool
	profile  Profile
}

// NewEngine checks opts and returns an Engine. It refuses negative bounds,
// unknown profiles, malformed OIDs and MinRSABits below 512.
func NewEngine(opts Options, deps Deps) (*Engine, error) {
	e := &Engine{
		sha1Until:     opts.SHA1Until,
		maxDepth:      orDefault(opts.MaxDepth, DefaultMaxDepth),
		maxCandidates: orDefault(opts.MaxCandidates, DefaultMaxCandidates),
		maxSigChecks:  orDefault(opts.MaxSignatureChecks, DefaultMaxSignatureChecks),
		domains:       make(map[string]*domainConfig, len(opts.Domains)),
		issuers:       deps.Issuers,
	}
	if opts.MaxDepth < 0 || opts.MaxCandidates < 0 || opts.MaxSignatureChecks < 0 {
		return nil, errors.New("validate: MaxDepth, MaxCandidates and MaxSignatureChecks must not be negative")
	}
	if opts.SignatureCacheSize >= 0 {
		size := orDefault(opts.SignatureCacheSize, DefaultSignatureCacheSize)
		e.sigs = newCache[sigKey, error](size)
		e.names = newCache[trust.Fingerprint, certNames](size)
	}
	var err error
	if e.defaults, err = newDomainConfig(DomainOptions{}); err != nil {
		return nil, err
	}
	for name, d := range opts.Domains {
		if e.domains[name], err = newDomainConfig(d); err != nil {
			return nil, fmt.Errorf("validate: domain %s: %w", name, err)
		}
	}
	return e, nil
}

func orDefault(v, def int) int {
	if v == 0 {
		return def
	}
	return v
}

func newDomainConfig(d DomainOptions) (*domainConfig, error) {
	c := &domainConfig{
		policy:   d.Policy,
		minRSA:   orDefault(d.MinRSABits, DefaultMinRSABits),
		allowMD5: d.AllowMD5,
		profile:  d.Profile,
	}
	switch c.profile {
	case "":
		c.profile = ProfileStrict
	case ProfileStrict, ProfileRFC5280:
	default:
		return nil, fmt.Errorf("profile %q is not %q or %q", d.Profile, ProfileStrict, ProfileRFC5280)
	}
	if d.MinRSABits != 0 && d.MinRSABits < 512 {
		return nil, fmt.Errorf("MinRSABits %d is below 512", d.MinRSABits)
	}
	for _, o := range d.Policy.InitialPolicySet {
		if !validOID(o) {
			return nil, fmt.Errorf("initial policy %q is not a dotted OID", o)
		}
	}
	// Canonicalise once, not per request: a set naming anyPolicy (or
	// none) is {anyPolicy}, which newPolicyState reads from an empty set
	// without parsing or allocating anything.
	canon := make([]string, 0, len(d.Policy.InitialPolicySet))
	for _, o := range d.Policy.InitialPolicySet {
		o = policyCanonicalOID(o)
		if o == anyPolicy {
			canon = nil
			break
		}
		canon = append(canon, o)
	}
	c.policy.InitialPolicySet = canon
	ekus := d.ExtKeyUsages
	if len(ekus) == 0 {
		ekus = DefaultExtKeyUsages()
	}
	c.ekus = make(map[string]bool, len(ekus))
	for _, o := range ekus {
		if !validOID(o) {
			return nil, fmt.Errorf("extended key usage %q is not a dotted OID", o)
		}
		c.ekus[o] = true
	}
	return c, nil
}

func (e *Engine) domainConfig(d *trust.Domain) *domainConfig {
	if d != nil {
		if c, ok := e.domains[d.Name]; ok {
			return c
		}
	}
	return e.defaults
}

// Stats returns the Engine's cumulative counters.
func (e *Engine) Stats() Stats {
	return Stats{
		Requests:           e.requests.Load(),
		PathsTried:         e.pathsTried.Load(),
		SignatureChecks:    e.sigChecks.Load(),
		SignatureCacheHits: e.sigHits.Load(),
		LimitHits:          e.limitHits.Load(),
	}
}

// VerifyPath builds a certification path from req.Target to an anchor of
// store (over the store's intermediates and cross-certificates, the
// request's intermediates and the IssuerSource) and validates it by RFC
// 5280 §6.1 at req.Time, with the algorithm policy, the profile and the
// purpose checks of the anchor's domain. Candidate paths are tried in a
// preference order until one validates or a bound is reached; when none
// validates, the Failure of the most relevant one is returned (a path that
// reached an anchor beats a dead end; among those, the one whose validation
// got furthest). Exactly one of the results is non-nil.
//
// VerifyPath does not check revocation, and it does not read the clock.
func (e *Engine) VerifyPath(ctx context.Context, store *trust.Store, req PathRequest) (*Path, *Failure) {
	return e.verifyPath(ctx, store, req, nil)
}

// VerifyCRLSigner validates a certification path for signer, a certificate
// whose key signed a CRL but that is not the issuer of the certificate
// being checked (an indirect CRL issuer, or a CRL-signing key of the same
// CA after a key rollover): RFC 5280 §6.3.3 (f) asks for a path from the
// signer that ends at the very anchor of the certificate's own path. The
// path is built over store and pool (the checked path's certificates and
// the request's intermediates) at time t with PurposeAny: the cRLSign key
// usage is checked by the crl package.
//
// VerifyCRLSigner checks the path alone, not the revocation status of its
// certificates. The Validator does both (see crlSignerVerifier): a CRL
// signer whose own certificate is revoked must not vouch for anyone (NIST
// PKITS 4.4.21), and its status is checked with a bounded nesting depth so
// that CRL signers vouching for each other cannot make validation recurse.
func (e *Engine) VerifyCRLSigner(ctx context.Context, store *trust.Store, signer *x509.Certificate, anchor *trust.Cert, pool []*x509.Certificate, t time.Time) error {
	if signer == nil || anchor == nil {
		return errors.New("validate: VerifyCRLSigner needs a signer and an anchor")
	}
	if _, fail := e.crlSignerPath(ctx, store, signer, anchor, pool, t); fail != nil {
		return fail
	}
	return nil
}

// crlSignerPath is VerifyCRLSigner, returning the validated path.
func (e *Engine) crlSignerPath(ctx context.Context, store *trust.Store, signer *x509.Certificate, anchor *trust.Cert, pool []*x509.Certificate, t time.Time) (*Path, *Failure) {
	if signer == nil || anchor == nil {
		return nil, &Failure{Indication: Indeterminate, SubIndication: CertificateChainGeneralFailure,
			Reason: "VerifyCRLSigner needs a signer and an anchor", Err: errBadRequest}
	}
	return e.verifyPath(ctx, store, PathRequest{Target: signer, Intermediates: pool, Time: t, Purpose: PurposeAny}, anchor)
}

// verifyPath is VerifyPath, with paths restricted to end at only when it
// is not nil.
func (e *Engine) verifyPath(ctx context.Context, store *trust.Store, req PathRequest, only *trust.Cert) (*Path, *Failure) {
	e.requests.Add(1)
	if req.Target == nil {
		return nil, &Failure{Indication: Indeterminate, SubIndication: NoSigningCertificateFound,
			Reason: "no target certificate", Err: errBadRequest}
	}
	if store == nil || req.Time.IsZero() {
		return nil, &Failure{Indication: Indeterminate, SubIndication: CertificateChainGeneralFailure,
			Cert: req.Target, Reason: "no trust store or no validation time", Err: errBadRequest}
	}
	switch req.Purpose {
	case "":
		req.Purpose = PurposeDocumentSigning
	case PurposeDocumentSigning, PurposeAny, PurposeTimestamping:
	default:
		return nil, &Failure{Indication: Indeterminate, SubIndication: CertificateChainGeneralFailure,
			Cert: req.Target, Reason: fmt.Sprintf("unknown purpose %q", req.Purpose), Err: errBadRequest}
	}
	target, err := e.wrap(req.Target, sha256.Sum256(req.Target.Raw))
	if err != nil {
		return nil, &Failure{Indication: TotalFailed, SubIndication: FormatFailure,
			Cert: req.Target, Reason: "target certificate names are malformed", Err: err}
	}
	b := newBuilder(ctx, e, store, req, target)
	b.only = only
	return b.run()
}

// wrap is trust.NewCert through the Engine's name cache; fp is x's
// fingerprint.
func (e *Engine) wrap(x *x509.Certificate, fp trust.Fingerprint) (*trust.Cert, error) {
	if e.names != nil {
		if n, ok := e.names.get(fp); ok {
			return &trust.Cert{X509: x, SHA256: fp, KeyHash: n.keyHash, SubjectKey: n.subjectKey, IssuerKey: n.issuerKey, SubjectDN: n.subjectDN}, nil
		}
	}
	c, err := trust.NewCert(x)
	if err != nil {
		return nil, err
	}
	if e.names != nil {
		e.names.put(fp, certNames{keyHash: c.KeyHash, subjectKey: c.SubjectKey, issuerKey: c.IssuerKey, subjectDN: c.SubjectDN})
	}
	return c, nil
}
