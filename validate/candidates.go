package validate

import (
	"bytes"
	"slices"
	"time"

	"github.com/lienthong/lienthong/trust"
)

// Candidate issuers and the order they are tried in (RFC 4158 §3 calls
// this path building prioritisation).

// candidates returns the certificates whose subject matches cur's issuer
// name (RFC 5280 §7.1): store entries first, then the request's.
func (b *builder) candidates(cur *trust.Cert) []*trust.Cert {
	st := b.store.BySubjectKey(cur.IssuerKey)
	rq := b.byName[cur.IssuerKey]
	if len(rq) == 0 {
		return st
	}
	if len(st) == 0 {
		return rq
	}
	return append(slices.Clip(st), rq...)
}

// fromSource asks the IssuerSource for more issuers of cur.
func (b *builder) fromSource(cur *trust.Cert) []*trust.Cert {
	b.sourceCalls++
	var out []*trust.Cert
	for i, x := range b.e.issuers.Issuers(b.ctx, cur.X509) {
		if i >= maxIssuerSourceResults {
			break
		}
		if x == nil {
			continue
		}
		if c := b.addCandidate(x); c != nil && c.SubjectKey == cur.IssuerKey {
			out = append(out, c)
		}
	}
	return out
}

// order sorts candidate issuers of child: authority/subject key identifier
// match first (mismatch last), then valid at the validation time, then
// anchors (by name and key) before intermediates, then those of the domain
// the path is already in. The sort is stable: store order, then request
// order, breaks ties.
func (b *builder) order(child *trust.Cert, cands []*trust.Cert) []*trust.Cert {
	if len(cands) < 2 {
		return cands
	}
	pref := b.preferredDomain()
	type scored struct {
		c     *trust.Cert
		score int
	}
	s := make([]scored, len(cands))
	for i, c := range cands {
		score := 0
		switch {
		case len(child.X509.AuthorityKeyId) == 0 || len(c.X509.SubjectKeyId) == 0:
			score += 1 << 3
		case !bytes.Equal(child.X509.AuthorityKeyId, c.X509.SubjectKeyId):
			score += 2 << 3
		}
		if !validAt(c, b.t) {
			score += 1 << 2
		}
		if !b.store.IsAnchorKey(c.SubjectKey, c.KeyHash) {
			score += 1 << 1
		}
		if pref != nil && c.Domain != pref {
			score++
		}
		s[i] = scored{c, score}
	}
	slices.SortStableFunc(s, func(x, y scored) int { return x.score - y.score })
	out := make([]*trust.Cert, len(s))
	for i := range s {
		out[i] = s[i].c
	}
	return out
}

// orderAnchors puts the anchors of the preferred domain first.
func (b *builder) orderAnchors(anchors []*trust.Cert, pref *trust.Domain) []*trust.Cert {
	if len(anchors) < 2 || pref == nil {
		return anchors
	}
	out := make([]*trust.Cert, 0, len(anchors))
	for _, a := range anchors {
		if a.Domain == pref {
			out = append(out, a)
		}
	}
	for _, a := range anchors {
		if a.Domain != pref {
			out = append(out, a)
		}
	}
	return out
}

// preferredDomain is the domain of the store certificate nearest the top
// of the path, or nil.
func (b *builder) preferredDomain() *trust.Domain {
	for i := len(b.path) - 1; i >= 0; i-- {
		if d := b.path[i].Domain; d != nil {
			return d
		}
	}
	return nil
}

// inPath reports whether c, or another certificate with c's subject and
// key, is already in the path.
func (b *builder) inPath(c *trust.Cert) bool {
	for _, p := range b.path {
		if p.SHA256 == c.SHA256 || (p.KeyHash == c.KeyHash && p.SubjectKey == c.SubjectKey) {
			return true
		}
	}
	return false
}

func keyIDMatch(child, parent *trust.Cert) bool {
	return len(child.X509.AuthorityKeyId) > 0 && bytes.Equal(child.X509.AuthorityKeyId, parent.X509.SubjectKeyId)
}

func validAt(c *trust.Cert, t time.Time) bool {
	return !t.Before(c.X509.NotBefore) && !t.After(c.X509.NotAfter)
}
