package validate

import (
	"context"
	"crypto/x509"
	"fmt"
	"strings"
	"time"

	"github.com/lienthong/lienthong/trust"
)

// revocationInput is one path to check.
type revocationInput struct {
	store *trust.Store
	path  *Path
	// t is the validation time: a revocation dated after it does not
	// count (the status at t is asked).
	t time.Time
	// intermediates are the request's certificates, candidate CRL signers.
	intermediates []*x509.Certificate
	// verifySigner validates the path of a CRL signer that is not the
	// issuer (RFC 5280 §6.3.3 (f)); nil accepts none.
	verifySigner func(ctx context.Context, signer *x509.Certificate) error
}

// certRevocation is the evidence on one certificate of a path.
type certRevocation struct {
	// entry is the report's evidence. Its Status is the status at the
	// validation time: a certificate revoked after it is "good" there,
	// with RevocationTime set and a note.
	entry RevocationEntry
	// revokedAt is the revocation time when entry.Status is revoked.
	revokedAt time.Time
	// problem says why there is no proof (unknown, unavailable).
	problem string
	// notes are info messages for the report (fallback used, revoked
	// after the validation time, CRL remarks), their text not yet prefixed
	// with the certificate's position.
	notes []Message
}

func (r *certRevocation) note(code, text string) {
	r.notes = append(r.notes, Message{Level: LevelInfo, Code: code, Text: text})
}

func (r *certRevocation) proven() bool {
	return r.entry.Status == StatusGood || r.entry.Status == StatusRevoked
}

// checkPath returns the evidence for every certificate of in.path but the
// anchor, leaf first. Certificates are checked concurrently; when ctx ends,
// those not answered yet are unavailable and checkPath returns at once
// (their look-ups go on in the background and fill the caches).
func (c *RevocationChecker) checkPath(ctx context.Context, in revocationInput) []certRevocation {
	n := len(in.path.Chain) - 1
	if n <= 0 {
		return nil
	}
	type result struct {
		i int
		r certRevocation
	}
	ch := make(chan result, n)
	for i := 1; i < n; i++ {
		go func() { ch <- result{i, c.checkCert(ctx, in, i)} }()
	}
	// The target's own check runs here: every wait in it ends with ctx.
	out := make([]certRevocation, n)
	done := make([]bool, n)
	out[0], done[0] = c.checkCert(ctx, in, 0), true
	for range n - 1 {
		select {
		case r := <-ch:
			out[r.i], done[r.i] = r.r, true
		case <-ctx.Done():
			for i := range n {
				if !done[i] {
					out[i] = c.unavailable(in.path.Chain[i], c.prefer, "no answer before the request budget ran out: "+ctx.Err().Error())
				}
			}
			return out
		}
	}
	return out
}

// checkCert checks in.path.Chain[i] with the preferred source, then the
// other one if the first gave no proof.
func (c *RevocationChecker) checkCert(ctx context.Context, in revocationInput, i int) certRevocation {
	order := [2]string{SourceOCSP, SourceCRL}
	if c.prefer == SourceCRL {
		order = [2]string{SourceCRL, SourceOCSP}
	}
	var first *certRevocation
	var tried []string
	for _, src := range order {
		var r certRevocation
		var ok bool
		switch src {
		case SourceOCSP:
			r, ok = c.ocspStatus(ctx, in, i)
		case SourceCRL:
			r, ok = c.crlStatus(ctx, in, i)
		}
		if !ok {
			continue // the certificate names no such source
		}
		c.metrics.check(src, r.entry.Status)
		if r.proven() {
			if first != nil {
				r.note(CodeRevocationNote, fmt.Sprintf("%s gave no proof (%s); the status comes from %s", first.entry.Source, first.problem, src))
			}
			return r
		}
		tried = append(tried, src+": "+r.problem)
		if first == nil || (first.entry.Status == StatusUnavailable && r.entry.Status == StatusUnknown) {
			first = &r
		}
	}
	if first == nil {
		return c.unavailable(in.path.Chain[i], c.prefer, "the certificate names no OCSP responder and no CRL distribution point")
	}
	first.problem = strings.Join(tried, "; ")
	return *first
}

// unavailable is the evidence when source gave nothing.
func (c *RevocationChecker) unavailable(cert *trust.Cert, source, why string) certRevocation {
	return certRevocation{entry: RevocationEntry{SHA256: cert.SHA256.Hex(), Source: source, Status: StatusUnavailable}, problem: why}
}

// cacheAge fills the cached and age fields of an entry served from the
// cache (Result Hit).
func (c *RevocationChecker) cacheAge(e *RevocationEntry, hit bool, fetched time.Time) {
	if !hit {
		return
	}
	e.Cached = true
	age := c.clk.Now().Sub(fetched).Seconds()
	e.AgeSeconds = &age
}
