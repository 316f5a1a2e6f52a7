package validate

import (
	"crypto/x509"
	"encoding/asn1"
	"fmt"
	"slices"

	"github.com/lienthong/lienthong/trust"
)

// Extensions this package processes itself although crypto/x509 lists them
// in UnhandledCriticalExtensions: name constraints with forms Go does not
// support (directoryName, …) and a subject alternative name holding only
// such forms; both are read by the name constraints code.
var (
	oidExtNameConstraints = asn1.ObjectIdentifier{2, 5, 29, 30}
	oidExtSubjectAltName  = asn1.ObjectIdentifier{2, 5, 29, 17}
	oidExtKeyUsage        = asn1.ObjectIdentifier{2, 5, 29, 15}
	oidExtBasicConstr     = asn1.ObjectIdentifier{2, 5, 29, 19}
	oidExtExtKeyUsage     = asn1.ObjectIdentifier{2, 5, 29, 37}
)

// validate runs RFC 5280 §6.1 on b.path (target first) under anchor, then
// the algorithm policy, the domain's profile and the purpose checks. The
// anchor is a name and a key (§6.1.1 d): its own certificate's validity,
// extensions and self-signature are not checked, as in EU DSS, which stops
// at a trusted certificate.
//
// Validity failures are deferred to the end, so that a failure that no
// proof of existence can cure (a constraint, a bad signature) is reported
// before an expiry that a later stage might excuse.
func (b *builder) validate(anchor *trust.Cert) (*Path, *Failure, rank) {
	path := b.path
	n := len(path)
	dc := b.e.domainConfig(anchor.Domain)
	pol := newPolicyState(dc.policy, n)
	nc := newNameConstraintsState()
	maxPathLen := n
	parent := anchor
	var (
		alg      algNotes
		timeFail *Failure
		warnings []Message
	)
	for i := 1; i <= n; i++ {
		k := n - i // index in path
		c := path[k]
		x := c.X509
		last := i == n
		selfIssued := c.SubjectKey == c.IssuerKey
		fail := func(sub SubIndication, cause error, format string, args ...any) (*Path, *Failure, rank) {
			return nil, &Failure{Indication: Indeterminate, SubIndication: sub, Cert: x,
				Reason: b.where(k) + ": " + fmt.Sprintf(format, args...), Err: cause}, rank{complete: true, pos: i}
		}

		// (a)(1): the algorithm policy, then the signature (verified while
		// building; brokenFrom marks the one link that did not verify).
		if err := b.e.checkSignatureAlgorithm(x, parent.X509, b.t, dc, &alg); err != nil {
			return fail(CryptoConstraintsFailure, err, "%v", err)
		}
		if k == b.brokenFrom {
			return fail(CertificateChainGeneralFailure, errBadSignature, "its signature does not verify with the key of the issuer its authority key identifier names")
		}
		// (a)(2): deferred.
		if f := b.checkTime(x, k, last); f != nil && (timeFail == nil || f.SubIndication == NotYetValid) {
			timeFail = f
		}
		// (a)(4): built by name, checked again.
		if c.IssuerKey != parent.SubjectKey {
			return fail(CertificateChainGeneralFailure, errNameChaining, "issuer name does not match its issuer's subject")
		}
		if dc.profile == ProfileStrict {
			w, err := checkProfile(c, parent)
			if err != nil {
				return fail(ChainConstraintsFailure, err, "%v", err)
			}
			if w != "" {
				warnings = append(warnings, Message{Level: LevelWarning, Code: CodeProfileNonconformance, Text: b.where(k) + ": " + w})
			}
		}
		// (b), (c): self-issued certificates other than the last are
		// exempt.
		if !selfIssued || last {
			if err := nc.check(x); err != nil {
				return fail(ChainConstraintsFailure, fmt.Errorf("%w: %w", errNameConstraints, err), "%v", err)
			}
		}
		// (d)-(f), and §6.1.4 (a), (b), (h)-(j) for i < n.
		if err := pol.processCert(x, i, selfIssued); err != nil {
			return fail(ChainConstraintsFailure, fmt.Errorf("%w: %w", errPolicy, err), "%v", err)
		}
		// §6.1.4 (o), §6.1.5 (f).
		if oid := unknownCritical(x); oid != nil {
			return fail(ChainConstraintsFailure, errUnknownCritical, "unknown critical extension %v", oid)
		}
		if !last {
			// §6.1.4 (g)
			if err := nc.add(x); err != nil {
				return fail(ChainConstraintsFailure, fmt.Errorf("%w: %w", errNameConstraints, err), "%v", err)
			}
			// (k)
			if !x.BasicConstraintsValid || !x.IsCA {
				return fail(ChainConstraintsFailure, errNotCA, "issues certificates but is not a CA certificate (basicConstraints cA is not true)")
			}
			// (l)
			if !selfIssued {
				if maxPathLen <= 0 {
					return fail(ChainConstraintsFailure, errPathLength, "path length constraint exceeded")
				}
				maxPathLen--
			}
			// (m)
			if (x.MaxPathLen > 0 || x.MaxPathLenZero) && x.MaxPathLen < maxPathLen {
				maxPathLen = x.MaxPathLen
			}
			// (n)
			if hasExt(x, oidExtKeyUsage) && x.KeyUsage&x509.KeyUsageCertSign == 0 {
				return fail(ChainConstraintsFailure, errKeyCertSign, "keyUsage lacks keyCertSign")
			}
		}
		parent = c
	}
	ee := path[0].X509
	if err := checkKey(ee.PublicKey, dc); err != nil {
		return nil, &Failure{Indication: Indeterminate, SubIndication: CryptoConstraintsFailure, Cert: ee,
			Reason: "the target certificate's key: " + err.Error(), Err: err}, rank{complete: true, pos: n + 1}
	}
	// §6.1.5 (a), (b), (g).
	policies, err := pol.finish(ee)
	if err != nil {
		return nil, &Failure{Indication: Indeterminate, SubIndication: ChainConstraintsFailure, Cert: ee,
			Reason: err.Error(), Err: fmt.Errorf("%w: %w", errPolicy, err)}, rank{complete: true, pos: n + 1}
	}
	if timeFail != nil {
		return nil, timeFail, rank{complete: true, stage: 1}
	}
	if err := checkPurpose(ee, b.req.Purpose, dc, anchor.Domain, policies); err != nil {
		return nil, &Failure{Indication: Indeterminate, SubIndication: ChainConstraintsFailure, Cert: ee,
			Reason: "the target certificate: " + err.Error(), Err: err}, rank{complete: true, stage: 2}
	}
	chain := make([]*trust.Cert, n+1)
	copy(chain, path)
	chain[n] = anchor
	return &Path{Chain: chain, Domain: anchor.Domain, Policies: policies, Messages: append(b.e.algMessages(alg), warnings...)}, nil, rank{}
}

// validateAnchorOnly accepts a target that is itself an anchor (same name
// and key): the path is empty, so only the purpose checks remain, and the
// user-constrained policy set is the initial policy set (§6.1.5 with n=0).
// When the target is the anchor's certificate itself, the chain is that
// anchor alone (nothing to check for revocation: an anchor is trusted by
// configuration); another certificate with the anchor's name and key is
// checked like any certificate issued by the anchor.
func (b *builder) validateAnchorOnly(a *trust.Cert) (*Path, *Failure, rank) {
	dc := b.e.domainConfig(a.Domain)
	policies := slices.Sorted(slices.Values(dc.policy.InitialPolicySet))
	if len(policies) == 0 { // newDomainConfig stores {anyPolicy} as empty
		policies = []string{anyPolicy}
	}
	if err := checkKey(b.req.Target.PublicKey, dc); err != nil {
		return nil, &Failure{Indication: Indeterminate, SubIndication: CryptoConstraintsFailure, Cert: b.req.Target,
			Reason: "the target certificate's key: " + err.Error(), Err: err}, rank{complete: true}
	}
	if err := checkPurpose(b.req.Target, b.req.Purpose, dc, a.Domain, policies); err != nil {
		return nil, &Failure{Indication: Indeterminate, SubIndication: ChainConstraintsFailure, Cert: b.req.Target,
			Reason: "the target certificate: " + err.Error(), Err: err}, rank{complete: true, stage: 2}
	}
	if b.target.SHA256 == a.SHA256 {
		return &Path{Chain: []*trust.Cert{a}, Domain: a.Domain, Policies: policies}, nil, rank{}
	}
	// Another certificate with the anchor's name and key (a re-issued or
	// expired copy of a root): the anchor vouches for the key, not for this
	// certificate, whose own signature, validity and critical extensions
	// are checked as for any certificate; its revocation is checked too,
	// the anchor being its issuer.
	if err := trust.CheckSignature(b.req.Target, a.X509); err != nil {
		return nil, &Failure{Indication: Indeterminate, SubIndication: CertificateChainGeneralFailure, Cert: b.req.Target,
			Reason: "the target certificate carries an anchor's name and key but its signature does not verify", Err: errBadSignature}, rank{complete: true}
	}
	if f := b.checkTime(b.req.Target, 0, true); f != nil {
		return nil, f, rank{complete: true, stage: 1}
	}
	if oid := unknownCritical(b.req.Target); oid != nil {
		return nil, &Failure{Indication: Indeterminate, SubIndication: ChainConstraintsFailure, Cert: b.req.Target,
			Reason: fmt.Sprintf("the target certificate has an unknown critical extension %s", oid)}, rank{complete: true, stage: 2}
	}
	return &Path{Chain: []*trust.Cert{b.target, a}, Domain: a.Domain, Policies: policies}, nil, rank{}
}

// checkTime is §6.1.3 (a)(2) with the ETSI mapping of Failure's doc.
func (b *builder) checkTime(x *x509.Certificate, k int, last bool) *Failure {
	switch {
	case b.t.Before(x.NotBefore) && last:
		return &Failure{Indication: TotalFailed, SubIndication: NotYetValid, Cert: x,
			Reason: fmt.Sprintf("%s is not valid before %s", b.where(k), x.NotBefore.UTC().Format("2006-01-02T15:04:05Z")), Err: errNotYetValid}
	case b.t.Before(x.NotBefore):
		return &Failure{Indication: Indeterminate, SubIndication: OutOfBoundsNoPOE, Cert: x,
			Reason: fmt.Sprintf("%s is not valid before %s", b.where(k), x.NotBefore.UTC().Format("2006-01-02T15:04:05Z")), Err: errNotYetValid}
	case b.t.After(x.NotAfter):
		return &Failure{Indication: Indeterminate, SubIndication: OutOfBoundsNoPOE, Cert: x,
			Reason: fmt.Sprintf("%s expired at %s", b.where(k), x.NotAfter.UTC().Format("2006-01-02T15:04:05Z")), Err: errExpired}
	}
	return nil
}

// unknownCritical returns the first critical extension neither crypto/x509
// nor this package processes (§6.1.4 (o), §6.1.5 (f)), or nil.
func unknownCritical(x *x509.Certificate) asn1.ObjectIdentifier {
	for _, oid := range x.UnhandledCriticalExtensions {
		if oid.Equal(oidExtNameConstraints) || oid.Equal(oidExtSubjectAltName) {
			continue
		}
		return oid
	}
	return nil
}

// ext returns the extension with the given OID.
func ext(x *x509.Certificate, oid asn1.ObjectIdentifier) (critical bool, value []byte, ok bool) {
	for _, e := range x.Extensions {
		if e.Id.Equal(oid) {
			return e.Critical, e.Value, true
		}
	}
	return false, nil, false
}

func hasExt(x *x509.Certificate, oid asn1.ObjectIdentifier) bool {
	_, _, ok := ext(x, oid)
	return ok
}
