package validate

import (
	"context"
	"crypto/x509"
	"errors"
	"fmt"
	"slices"
	"time"
	"weak"

	"github.com/lienthong/lienthong/trust"
	"github.com/lienthong/lienthong/validate/crl"
)

// maxCRLNotes bounds the crl.Determine remarks copied into a report.
const maxCRLNotes = 3

// crlStatus determines the status of in.path.Chain[i] from CRLs (RFC 5280
// §6.3.3, by crl.Determine: issuer and scope, signature by the issuer's
// key or by a CRL issuer whose own path ends at the same anchor, critical
// extensions, reasons, delta CRLs). ok is false when the fetching source
// has no distribution point to fetch: CRLs are then not a source for the
// certificate.
//
// CRL currency is judged at the clock's now, like OCSP answers: a CRL
// issued after the validation time is better evidence of the status at
// that time, not worse. A revocation dated after the validation time makes
// the certificate good at that time, with a note.
//
// A certificate that has expired by now may have been removed from current
// CRLs (RFC 5280 §3.3): a "good" from a CRL without expiredCertsOnCRL
// covering it is no proof.
func (c *RevocationChecker) crlStatus(ctx context.Context, in revocationInput, i int) (r certRevocation, ok bool) {
	cert, issuer := in.path.Chain[i], in.path.Chain[i+1]
	fetched, err := c.fetchCRLs(ctx, cert.X509, issuer.X509)
	if len(fetched) == 0 && errors.Is(err, errNoCRLLocation) {
		return r, false
	}
	r.entry = RevocationEntry{SHA256: cert.SHA256.Hex(), Source: SourceCRL, Status: StatusUnavailable}
	if len(fetched) == 0 {
		r.problem = "no CRL obtained"
		if err != nil {
			r.problem += ": " + err.Error()
		}
		return r, true
	}
	c.observeCRLs(in, i, fetched)
	list := make([]*crl.CRL, len(fetched))
	for k := range fetched {
		list[k] = fetched[k].crl
	}
	now := c.clk.Now()
	check := crl.Check{Cert: cert.X509, Issuer: issuer.X509, Time: now, CRLs: list}
	if in.verifySigner != nil {
		check.VerifyCRLIssuer = func(s *x509.Certificate) error { return in.verifySigner(ctx, s) }
	}
	v := c.determine(check, cert.SHA256, issuer.SHA256, func() []*x509.Certificate { return crlSigners(in, list) })
	for _, n := range v.notes {
		r.note(CodeRevocationNote, "CRL: "+n)
	}
	if v.status == crl.Undetermined {
		r.problem = v.reason
		if err != nil {
			r.problem += "; " + err.Error()
		}
		return r, true
	}
	for _, f := range fetched {
		if weak.Make(f.crl) == v.decided {
			r.entry.URL = f.url
			c.cacheAge(&r.entry, f.cached, f.fetched)
			break
		}
	}
	r.entry.ThisUpdate, r.entry.NextUpdate = timePtr(v.thisUpdate), timePtr(v.nextUpdate)
	if v.md5 { // as OCSP answers (validate/ocsp refuses them) and signatures
		r.problem = "the CRL is signed with an MD5-family hash, refused at any time"
		r.entry.RevocationTime, r.entry.Reason = nil, ""
		return r, true
	}
	if v.sha1 && !now.Before(c.sha1Until) {
		r.problem = "the CRL is signed with SHA-1 at or after the SHA-1 cut-off " + stamp(c.sha1Until)
		r.entry.RevocationTime, r.entry.Reason = nil, ""
		return r, true
	}
	if v.sha1 {
		c.sha1Note(&r, "CRL")
	}
	switch {
	case v.status == crl.Revoked && v.entry.RevocationTime.After(in.t):
		r.entry.Status = StatusGood
		r.entry.RevocationTime = timePtr(v.entry.RevocationTime)
		r.entry.Reason = reasonName(v.entry.Reason)
		r.note(CodeRevokedAfterValidationTime, fmt.Sprintf("the CRL lists it as revoked on %s (%s), after the validation time: it was not revoked then",
			stamp(v.entry.RevocationTime), r.entry.Reason))
	case v.status == crl.Revoked:
		r.entry.Status, r.revokedAt = StatusRevoked, v.entry.RevocationTime
		r.entry.RevocationTime = timePtr(v.entry.RevocationTime)
		r.entry.Reason = reasonName(v.entry.Reason)
	case cert.X509.NotAfter.Before(now) && !v.coversExpired:
		r.problem = "the certificate has expired and the CRL does not say it keeps expired certificates (expiredCertsOnCRL): their entries may have been removed"
	default:
		r.entry.Status = StatusGood
	}
	return r, true
}

// maxDecisions bounds the cache of CRL verdicts.
const maxDecisions = 8192

// crlDecisionKey names the status of one certificate under one issuer.
type crlDecisionKey struct{ cert, issuer trust.Fingerprint }

// crlVerdict is what crlStatus needs of a crl.Determine result. It holds
// no CRL: cached verdicts must not keep replaced CRLs (up to 64 MiB each)
// in memory, so CRLs are named by weak pointers.
type crlVerdict struct {
	status                 crl.Status
	entry                  crl.Entry
	reason                 string   // why Undetermined
	notes                  []string // at most maxCRLNotes
	decided                weak.Pointer[crl.CRL]
	thisUpdate, nextUpdate time.Time // of the deciding CRL; nextUpdate the earlier of its own and its delta's
	usedFrom, usedUntil    time.Time // latest thisUpdate and earliest nextUpdate (zero: none) of the CRLs used
	coversExpired          bool      // the CRLs used keep the entries of certificates expired when this one did
	sha1                   bool      // a CRL used is signed with SHA-1
	md5                    bool      // a CRL used is signed with MD5 or MD2: no proof at any time
}

// crlDecision is a cached verdict and the CRLs it was computed from.
type crlDecision struct {
	crls []weak.Pointer[crl.CRL]
	v    crlVerdict
}

// determine is crl.Determine with a cache of its conclusive results. A
// verdict is reused only for the very same CRL values (the CRL caches
// return the same value until they fetch again), when every CRL it used
// was signed by the issuer's own key (no candidate signer, whose path
// depends on the request and the store, was involved) and while those
// CRLs are current at ch.Time. Determine is O(1) in the CRL's size, but its
// constant (names canonicalised, reasons described) is most of the cost of
// a warm CRL check. signers gives ch.CandidateSigners, computed only when
// Determine runs.
func (c *RevocationChecker) determine(ch crl.Check, certFP, issuerFP trust.Fingerprint, signers func() []*x509.Certificate) crlVerdict {
	key := crlDecisionKey{certFP, issuerFP}
	decisions := c.decisions.Load()
	if d, ok := decisions.get(key); ok && sameCRLs(d.crls, ch.CRLs) && d.v.current(ch.Time) {
		return d.v
	}
	ch.CandidateSigners = signers()
	res := crl.Determine(ch)
	v := newCRLVerdict(res, ch.Cert)
	if res.Status == crl.Undetermined || !v.current(ch.Time) {
		return v
	}
	for _, u := range res.Used {
		if u.CheckSignatureFrom(ch.Issuer) != nil {
			return v
		}
	}
	ids := make([]weak.Pointer[crl.CRL], len(ch.CRLs))
	for i, l := range ch.CRLs {
		ids[i] = weak.Make(l)
	}
	decisions.put(key, crlDecision{crls: ids, v: v})
	return v
}

func newCRLVerdict(res crl.Result, cert *x509.Certificate) crlVerdict {
	v := crlVerdict{status: res.Status, entry: res.Entry, reason: res.Reason,
		notes: slices.Clone(res.Notes[:min(len(res.Notes), maxCRLNotes)]), coversExpired: len(res.Used) > 0}
	if res.CRL != nil {
		v.decided = weak.Make(res.CRL)
		v.thisUpdate, v.nextUpdate = res.CRL.ThisUpdate(), res.CRL.NextUpdate()
		if d := res.Delta; d != nil && !d.NextUpdate().IsZero() && (v.nextUpdate.IsZero() || d.NextUpdate().Before(v.nextUpdate)) {
			v.nextUpdate = d.NextUpdate()
		}
	}
	for _, u := range res.Used {
		if u.ThisUpdate().After(v.usedFrom) {
			v.usedFrom = u.ThisUpdate()
		}
		if n := u.NextUpdate(); !n.IsZero() && (v.usedUntil.IsZero() || n.Before(v.usedUntil)) {
			v.usedUntil = n
		}
		if e := u.ExpiredCertsOnCRL(); e.IsZero() || e.After(cert.NotAfter) {
			v.coversExpired = false
		}
		w := weaknessOf(0, u.SignatureAlgorithm())
		v.sha1 = v.sha1 || w == weakSHA1
		v.md5 = v.md5 || w == weakMD5
	}
	return v
}

// current reports whether the CRLs used were issued by t and are not past
// their nextUpdate at t.
func (v *crlVerdict) current(t time.Time) bool {
	return !v.usedFrom.IsZero() && !v.usedFrom.After(t) && (v.usedUntil.IsZero() || v.usedUntil.After(t))
}

// sameCRLs reports whether ids name exactly list, in order.
func sameCRLs(ids []weak.Pointer[crl.CRL], list []*crl.CRL) bool {
	if len(ids) != len(list) {
		return false
	}
	for i, l := range list {
		if ids[i] != weak.Make(l) {
			return false
		}
	}
	return true
}

// fetchCRLs asks the CRL source, with provenance when it can tell.
func (c *RevocationChecker) fetchCRLs(ctx context.Context, cert, issuer *x509.Certificate) ([]fetchedCRL, error) {
	if p, ok := c.crls.(crlProvenance); ok {
		return p.fetchCRLs(ctx, cert, issuer)
	}
	list, err := c.crls.CRLs(ctx, cert, issuer)
	out := make([]fetchedCRL, 0, len(list))
	for _, l := range list {
		if l != nil {
			out = append(out, fetchedCRL{crl: l})
		}
	}
	return out, err
}

// crlSigners are the candidate CRL signers other than the issuer: the
// path's certificates, the request's, and the store's certificates named
// like the issuer of a CRL (a separate CRL-signing key or an indirect CRL
// issuer the store knows). crl.Determine uses one only if its key verifies
// the CRL and in.verifySigner validates its path.
func crlSigners(in revocationInput, list []*crl.CRL) []*x509.Certificate {
	var out []*x509.Certificate
	seen := map[*x509.Certificate]bool{}
	add := func(x *x509.Certificate) {
		if x != nil && !seen[x] && len(out) < maxSigners {
			seen[x] = true
			out = append(out, x)
		}
	}
	for _, c := range in.path.Chain {
		add(c.X509)
	}
	for _, x := range in.intermediates {
		add(x)
	}
	if in.store != nil {
		for _, l := range list {
			for _, sc := range in.store.BySubject(l.RawIssuer()) {
				add(sc.X509)
			}
		}
	}
	return out
}

// observeCRLs records, for the nextUpdate gauge, the complete CRLs signed
// by the issuer of in.path.Chain[i] when that issuer is a certificate of
// the trust store (the bound on the gauge's labels).
func (c *RevocationChecker) observeCRLs(in revocationInput, i int, fetched []fetchedCRL) {
	issuer := in.path.Chain[i+1]
	if in.store == nil || len(in.store.ByFingerprint(issuer.SHA256)) == 0 {
		return
	}
	label := ""
	for _, f := range fetched {
		if f.crl.IsDelta() || c.metrics.seenCRL(issuer.SHA256, f.url, f.crl) || f.crl.CheckSignatureFrom(issuer.X509) != nil {
			continue
		}
		if label == "" {
			label = trust.DN(issuer.X509.RawSubject)
		}
		c.metrics.crlUsed(label, f.url, f.crl.NextUpdate())
	}
}
