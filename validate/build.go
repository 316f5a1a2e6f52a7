package validate

import (
	"context"
	"crypto/sha256"
	"crypto/x509"
	"fmt"
	"slices"
	"time"

	"github.com/lienthong/lienthong/trust"
)

// builder is the state of one VerifyPath call: a depth-first search from
// the target towards the anchors (RFC 4158 style), trying candidate issuers
// in preference order and validating every path that reaches an anchor.
//
// Bounds that hostile input cannot get around: MaxDepth certificates per
// path, MaxCandidates candidate paths (each complete path and each dead end
// counts), MaxSignatureChecks signature verifications that miss the cache,
// 256 request certificates, a few IssuerSource calls. Loops are impossible:
// a path never holds the same certificate, nor the same (subject, key)
// pair, twice.
type builder struct {
	ctx    context.Context
	e      *Engine
	store  *trust.Store
	t      time.Time
	req    PathRequest
	target *trust.Cert
	// only, when set, is the one anchor paths may end at (VerifyCRLSigner).
	only *trust.Cert

	// byName indexes the request's certificates (and IssuerSource
	// results) by canonical subject; known holds the fingerprints of all
	// of them, to drop duplicates.
	byName map[string][]*trust.Cert
	known  map[trust.Fingerprint]bool

	path       []*trust.Cert // target first
	brokenFrom int           // index in path of the first child whose signature by its successor failed; -1 if none

	paths, sigChecks, sourceCalls int
	stopped                       error // errBuildLimit or the context's error

	result   *Path
	best     *Failure
	bestRank rank
}

// rank orders failures by relevance: a path that reached an anchor beats a
// dead end; among complete paths, the one whose validation got further
// (stage: 0 while processing certificates, 1 time checks only, 2 end-entity
// checks only; then pos, the RFC 5280 index reached); among dead ends, the
// longest. Equal ranks keep the first failure found, which came from the
// preferred candidates.
type rank struct {
	complete bool
	stage    int
	pos      int
}

func (r rank) better(o rank) bool {
	if r.complete != o.complete {
		return r.complete
	}
	if r.stage != o.stage {
		return r.stage > o.stage
	}
	return r.pos > o.pos
}

func newBuilder(ctx context.Context, e *Engine, store *trust.Store, req PathRequest, target *trust.Cert) *builder {
	return &builder{ctx: ctx, e: e, store: store, t: req.Time, req: req, target: target, brokenFrom: -1}
}

func (b *builder) run() (*Path, *Failure) {
	if anchors := b.anchors(b.target); len(anchors) > 0 {
		for _, a := range b.orderAnchors(anchors, nil) {
			p, f, r := b.validateAnchorOnly(a)
			if p != nil {
				return p, nil
			}
			b.record(f, r)
		}
		return nil, b.best
	}
	b.indexRequest()
	b.path = append(make([]*trust.Cert, 0, b.e.maxDepth+1), b.target)
	b.extend()
	b.e.pathsTried.Add(int64(b.paths))
	if b.result != nil {
		return b.result, nil
	}
	return nil, b.failure()
}

// anchors returns the store's anchors for c's name and key, restricted to
// b.only when it is set (an anchor is a name and a key in a domain).
func (b *builder) anchors(c *trust.Cert) []*trust.Cert {
	all := b.store.Anchor(c)
	if b.only == nil || len(all) == 0 {
		return all
	}
	var out []*trust.Cert
	for _, a := range all {
		if a == b.only || (a.SubjectKey == b.only.SubjectKey && a.KeyHash == b.only.KeyHash && a.Domain == b.only.Domain) {
			out = append(out, a)
		}
	}
	return out
}

// indexRequest wraps the request's intermediates once. Certificates the
// store already holds are skipped: the store's entries (with their
// precomputed names) are found by name anyway.
func (b *builder) indexRequest() {
	n := 0
	for _, x := range b.req.Intermediates {
		if x == nil {
			continue
		}
		if n++; n > maxRequestIntermediates {
			break
		}
		b.addCandidate(x)
	}
}

// addCandidate indexes one non-store certificate and returns it, or nil if
// it is a duplicate, a store certificate or malformed.
func (b *builder) addCandidate(x *x509.Certificate) *trust.Cert {
	if b.known == nil {
		b.known = map[trust.Fingerprint]bool{b.target.SHA256: true}
		b.byName = make(map[string][]*trust.Cert, len(b.req.Intermediates))
	}
	fp := trust.Fingerprint(sha256.Sum256(x.Raw))
	if b.known[fp] || len(b.store.ByFingerprint(fp)) > 0 {
		return nil
	}
	b.known[fp] = true
	c, err := b.e.wrap(x, fp)
	if err != nil {
		return nil
	}
	b.byName[c.SubjectKey] = append(b.byName[c.SubjectKey], c)
	return c
}

// extend tries every candidate issuer of the last certificate of the path.
// It returns true when the search is over (a path validated, or a bound or
// the context stopped it).
func (b *builder) extend() bool {
	cur := b.path[len(b.path)-1]
	tried, named := false, 0
	var seenAnchors []*trust.Cert
	try := func(cands []*trust.Cert) bool {
		for _, cand := range b.order(cur, cands) {
			if b.inPath(cand) {
				continue
			}
			named++
			done, ok := b.try(cur, cand, &seenAnchors)
			tried = tried || ok
			if done {
				return true
			}
		}
		return false
	}
	if try(b.candidates(cur)) {
		return true
	}
	if b.e.issuers != nil && b.sourceCalls < maxIssuerSourceCalls {
		if more := b.fromSource(cur); len(more) > 0 && try(more) {
			return true
		}
	}
	if !tried {
		if !b.countPath() {
			return true
		}
		reason := fmt.Sprintf("no issuer of %s found in the trust store or the request", b.where(len(b.path)-1))
		if named > 0 {
			reason = fmt.Sprintf("%d certificate(s) carry the issuer name of %s but none of their keys signed it", named, b.where(len(b.path)-1))
		}
		b.record(&Failure{Indication: Indeterminate, SubIndication: NoCertificateChainFound,
			Cert: cur.X509, Reason: reason, Err: errNoPath}, rank{pos: len(b.path)})
	}
	return false
}

// try extends the path with cand. done reports the end of the search;
// counted reports that cand was a candidate path (it reached an anchor or
// was a dead end that counts against MaxCandidates).
func (b *builder) try(cur, cand *trust.Cert, seen *[]*trust.Cert) (done, counted bool) {
	if anchors := b.anchors(cand); len(anchors) > 0 {
		for _, a := range b.orderAnchors(anchors, b.preferredDomain()) {
			if slices.Contains(*seen, a) {
				continue
			}
			*seen = append(*seen, a)
			if !b.countPath() {
				return true, true
			}
			counted = true
			if err := b.verify(cur, a); err != nil {
				if b.stopped != nil {
					return true, true
				}
				if !keyIDMatch(cur, a) {
					// Same name as an anchor, another key: not its issuer.
					b.record(&Failure{Indication: Indeterminate, SubIndication: NoCertificateChainFound,
						Cert: cur.X509, Reason: fmt.Sprintf("%s names a trust anchor as issuer but the anchor's key did not sign it", b.where(len(b.path)-1)),
						Err: errNoPath}, rank{pos: len(b.path)})
					continue
				}
				// The key identifiers say the anchor signed cur: the path
				// is complete but a signature in it is bad.
				b.brokenPath(len(b.path) - 1)
				continue
			}
			p, f, r := b.validate(a)
			if p != nil {
				b.result = p
				return true, true
			}
			b.record(f, r)
			if b.ctx.Err() != nil {
				b.stop(b.ctx.Err())
				return true, true
			}
		}
		return false, counted
	}
	if len(b.path) >= b.e.maxDepth {
		if !b.countPath() {
			return true, true
		}
		b.record(&Failure{Indication: Indeterminate, SubIndication: NoCertificateChainFound,
			Cert: cur.X509, Reason: fmt.Sprintf("path longer than %d certificates", b.e.maxDepth),
			Err: errNoPath}, rank{pos: len(b.path)})
		return false, true
	}
	err := b.verify(cur, cand)
	if b.stopped != nil {
		return true, true
	}
	if err != nil && !keyIDMatch(cur, cand) {
		if !b.countPath() {
			return true, true
		}
		b.record(&Failure{Indication: Indeterminate, SubIndication: NoCertificateChainFound,
			Cert: cur.X509, Reason: fmt.Sprintf("a certificate named as the issuer of %s did not sign it", b.where(len(b.path)-1)),
			Err: errNoPath}, rank{pos: len(b.path)})
		return false, true
	}
	prevBroken := b.brokenFrom
	if err != nil && b.brokenFrom < 0 {
		// The key identifiers match, so cand is the issuer and cur is
		// damaged: keep building to report it on a complete path.
		b.brokenFrom = len(b.path) - 1
	}
	b.path = append(b.path, cand)
	done = b.extend()
	b.path = b.path[:len(b.path)-1]
	b.brokenFrom = prevBroken
	return done, true
}

// brokenPath records a complete path whose link from path[k] up is bad.
func (b *builder) brokenPath(k int) {
	if b.brokenFrom >= 0 {
		k = b.brokenFrom
	}
	n := len(b.path)
	b.record(&Failure{Indication: Indeterminate, SubIndication: CertificateChainGeneralFailure,
		Cert: b.path[k].X509, Reason: fmt.Sprintf("the signature of %s does not verify with the key of the issuer its authority key identifier names", b.where(k)),
		Err: errBadSignature}, rank{complete: true, pos: n - k})
}

// verify checks that parent's key signed child, through the Engine's
// signature cache. A miss counts against MaxSignatureChecks.
func (b *builder) verify(child, parent *trust.Cert) error {
	k := sigKey{child.SHA256, parent.SHA256}
	if b.e.sigs != nil {
		if err, ok := b.e.sigs.get(k); ok {
			b.e.sigHits.Add(1)
			return err
		}
	}
	if b.sigChecks >= b.e.maxSigChecks {
		b.stop(errBuildLimit)
		return errBuildLimit
	}
	b.sigChecks++
	b.e.sigChecks.Add(1)
	err := trust.CheckSignature(child.X509, parent.X509)
	if err != nil {
		err = fmt.Errorf("%w: %v", errBadSignature, err)
	}
	if b.e.sigs != nil {
		b.e.sigs.put(k, err)
	}
	return err
}

// countPath counts one more candidate path; it returns false (and stops
// the search) when the bound is reached or the context has ended.
func (b *builder) countPath() bool {
	if b.stopped != nil {
		return false
	}
	if err := b.ctx.Err(); err != nil {
		b.stop(err)
		return false
	}
	if b.paths >= b.e.maxCandidates {
		b.stop(errBuildLimit)
		return false
	}
	b.paths++
	return true
}

func (b *builder) stop(err error) {
	if b.stopped == nil {
		b.stopped = err
		if err == errBuildLimit {
			b.e.limitHits.Add(1)
		}
	}
}

func (b *builder) record(f *Failure, r rank) {
	if f == nil {
		return
	}
	if b.best == nil || r.better(b.bestRank) {
		b.best, b.bestRank = f, r
	}
}

// failure is the verdict when no path validated.
func (b *builder) failure() *Failure {
	switch {
	case b.stopped != nil && b.stopped != errBuildLimit:
		return &Failure{Indication: Indeterminate, SubIndication: TryLater, Cert: b.req.Target,
			Reason: "path building interrupted: " + b.stopped.Error(), Err: b.stopped}
	case b.best == nil:
		return &Failure{Indication: Indeterminate, SubIndication: NoCertificateChainFound, Cert: b.req.Target,
			Reason: "no certification path to a trust anchor", Err: errNoPath}
	case b.stopped == errBuildLimit && !b.bestRank.complete:
		f := *b.best
		f.Reason += fmt.Sprintf("; path building stopped after %d candidate paths and %d signature checks", b.paths, b.sigChecks)
		f.Err = fmt.Errorf("%w (%w)", errBuildLimit, f.Err)
		return &f
	}
	return b.best
}

// where names path[k] by position, without personal data.
func (b *builder) where(k int) string {
	if k == 0 {
		return "the target certificate"
	}
	return fmt.Sprintf("CA certificate %d above the target", k)
}
