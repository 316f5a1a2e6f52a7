package validate

import (
	"context"
	"crypto/x509"
	"errors"
	"fmt"
	"net/http"
	"time"

	"github.com/lienthong/lienthong/validate/fetch"
	ocspcheck "github.com/lienthong/lienthong/validate/ocsp"
	"github.com/lienthong/lienthong/validate/revcache"
)

// ocspAnswer is what the OCSP cache holds: a verified answer and the URL
// it came from.
type ocspAnswer struct {
	res *ocspcheck.Result
	url string
}

// ocspStatus asks the OCSP responders of in.path.Chain[i] (RFC 6960), or
// the cache. ok is false when the certificate names no http(s) responder
// or no fetcher is configured: OCSP is then not a source for it.
//
// Answers are verified by ocspcheck at the clock's now (freshness is about
// the answer, not about the validation time); a revocation dated after the
// validation time in.t makes the certificate good at in.t, with a note.
// Unknown answers and every failure give no proof: they are never read as
// good nor as revoked. The revocation status of a delegated responder's
// own certificate is not checked (such certificates carry
// id-pkix-ocsp-nocheck, RFC 6960 §4.2.2.2.1, and checking them would
// recurse).
func (c *RevocationChecker) ocspStatus(ctx context.Context, in revocationInput, i int) (r certRevocation, ok bool) {
	cert, issuer := in.path.Chain[i], in.path.Chain[i+1]
	urls := c.rewrite.urls(cert.X509.OCSPServer, maxOCSPURLs)
	if len(urls) == 0 || c.fetcher == nil {
		return r, false
	}
	r.entry = RevocationEntry{SHA256: cert.SHA256.Hex(), Source: SourceOCSP, Status: StatusUnavailable}
	// issuer.KeyHash is revcache.IssuerKeyHash, computed once per
	// certificate by the trust store or the engine.
	key := revcache.Key{Source: revcache.SourceOCSP, IssuerKeyHash: issuer.KeyHash, Serial: cert.X509.SerialNumber.Text(16)}
	e, res, err := c.ocsp.GetOrFetch(ctx, key, func(fctx context.Context) (ocspAnswer, time.Time, error) {
		return c.fetchOCSP(fctx, cert.X509, issuer.X509, urls)
	})
	c.metrics.lookup(SourceOCSP, res.String())
	if err != nil {
		r.problem = err.Error()
		r.entry.URL = urls[0]
		c.log.Debug("no OCSP answer", "err", err)
		return r, true
	}
	a := e.Value
	r.entry.URL = a.url
	r.entry.ThisUpdate = timePtr(a.res.ThisUpdate)
	r.entry.NextUpdate = timePtr(a.res.NextUpdate)
	r.entry.ProducedAt = timePtr(a.res.ProducedAt)
	c.cacheAge(&r.entry, res == revcache.Hit, e.Fetched)
	if weaknessOf(0, a.res.SignatureAlgorithm) == weakSHA1 {
		if !c.clk.Now().Before(c.sha1Until) { // a cached answer outliving the cut-off
			r.entry.Status = StatusUnavailable
			r.problem = "the OCSP response is signed with SHA-1 at or after the SHA-1 cut-off " + stamp(c.sha1Until)
			return r, true
		}
		c.sha1Note(&r, "OCSP response")
	}
	switch a.res.Status {
	case ocspcheck.Good:
		if cert.X509.NotAfter.Before(c.clk.Now()) {
			// RFC 6960 §4.4.4: without archiveCutoff (not read here) a
			// responder may drop expired certificates and answer "good":
			// the same rule as a CRL without expiredCertsOnCRL.
			r.entry.Status = StatusUnknown
			r.problem = "the certificate has expired and an OCSP \"good\" for an expired certificate proves nothing (responders may drop expired certificates)"
			break
		}
		r.entry.Status = StatusGood
	case ocspcheck.Revoked:
		r.entry.RevocationTime = timePtr(a.res.RevokedAt)
		r.entry.Reason = reasonName(a.res.Reason)
		if a.res.RevokedAt.After(in.t) {
			r.entry.Status = StatusGood
			r.note(CodeRevokedAfterValidationTime, fmt.Sprintf("the OCSP responder says it was revoked on %s (%s), after the validation time: it was not revoked then",
				stamp(a.res.RevokedAt), r.entry.Reason))
		} else {
			r.entry.Status, r.revokedAt = StatusRevoked, a.res.RevokedAt
		}
	default:
		r.entry.Status = StatusUnknown
		r.problem = "the OCSP responder does not know the certificate (status unknown)"
	}
	return r, true
}

// fetchOCSP asks each URL in turn until one gives an answer that verifies
// (RFC 6960 §3.2 via ocspcheck.Verify). It is the shared fetch of the
// cache: it runs detached from the calling request, bounded by
// FetchTimeout. An "unknown" answer is cached for DefaultUnknownTTL at most.
func (c *RevocationChecker) fetchOCSP(ctx context.Context, cert, issuer *x509.Certificate, urls []string) (ocspAnswer, time.Time, error) {
	ctx, cancel := context.WithTimeout(ctx, c.fetchTimeout)
	defer cancel()
	var errs []error
	for _, u := range urls {
		der, getURL, err := ocspcheck.BuildRequest(cert, issuer, u)
		if err != nil {
			return ocspAnswer{}, time.Time{}, err
		}
		req := fetch.Request{Source: fetch.SourceOCSP, URL: u, Method: http.MethodPost, Body: der,
			ContentType: "application/ocsp-request"}
		if getURL != "" {
			req = fetch.Request{Source: fetch.SourceOCSP, URL: getURL, Method: http.MethodGet}
		}
		resp, err := c.fetcher.Fetch(ctx, req)
		if err != nil {
			errs = append(errs, err)
			continue
		}
		now := c.clk.Now()
		res, err := ocspcheck.Verify(resp.Body, cert, issuer, now, ocspcheck.Options{Skew: c.skew})
		if err == nil && weaknessOf(0, res.SignatureAlgorithm) == weakSHA1 && !now.Before(c.sha1Until) {
			err = fmt.Errorf("signed with SHA-1 (%v) at or after the SHA-1 cut-off %s", res.SignatureAlgorithm, stamp(c.sha1Until))
		}
		if err != nil {
			errs = append(errs, fmt.Errorf("response from %s: %w", u, err))
			continue
		}
		next := res.NextUpdate
		if res.Status == ocspcheck.Unknown && (next.IsZero() || next.After(now.Add(DefaultUnknownTTL))) {
			next = now.Add(DefaultUnknownTTL)
		}
		return ocspAnswer{res: res, url: u}, next, nil
	}
	return ocspAnswer{}, time.Time{}, errors.Join(errs...)
}

func stamp(t time.Time) string { return t.UTC().Format(time.RFC3339) }
