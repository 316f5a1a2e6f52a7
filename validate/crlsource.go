package validate

import (
	"bytes"
	"context"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/asn1"
	"encoding/pem"
	"errors"
	"fmt"
	"time"

	"github.com/lienthong/lienthong/validate/crl"
	"github.com/lienthong/lienthong/validate/fetch"
	"github.com/lienthong/lienthong/validate/revcache"
)

// CRLSource supplies the candidate CRLs (complete and delta) for cert,
// issued by issuer. It may return CRLs out of scope, stale or signed by
// anyone: crl.Determine sorts them out and verifies every signature it
// relies on. An error with no CRL means no CRL evidence; an error with some
// CRLs is a partial failure, and the CRLs are still used.
//
// The production source fetches the certificate's distribution points;
// StaticCRLs serves a fixed list (NIST PKITS, evidence embedded in a
// document).
type CRLSource interface {
	CRLs(ctx context.Context, cert, issuer *x509.Certificate) ([]*crl.CRL, error)
}

// StaticCRLs is a CRLSource that offers the same CRLs for every
// certificate. The zero value offers none.
type StaticCRLs []*crl.CRL

// CRLs returns s.
func (s StaticCRLs) CRLs(context.Context, *x509.Certificate, *x509.Certificate) ([]*crl.CRL, error) {
	return s, nil
}

// fetchedCRL is a CRL with where and when it was obtained, for the report.
type fetchedCRL struct {
	crl     *crl.CRL
	url     string // "" when the source does not say
	cached  bool   // served from the cache (revcache.Hit)
	fetched time.Time
}

// crlProvenance is implemented by sources that can say where each CRL
// came from; others are wrapped with no provenance.
type crlProvenance interface {
	fetchCRLs(ctx context.Context, cert, issuer *x509.Certificate) ([]fetchedCRL, error)
}

// errNoCRLLocation: the certificate names no http(s) distribution point,
// so the fetching source has nothing to offer (not a failure).
var errNoCRLLocation = errors.New("the certificate names no http(s) CRL distribution point")

// httpCRLSource fetches the CRLs of a certificate's distribution points
// (RFC 5280 §4.2.1.13) and the delta CRLs its freshest CRL extensions name
// (the certificate's and the complete CRLs', §5.2.6), through the Fetcher,
// and caches each by (issuer key hash, URL). A CRL is thus bound to the
// issuer whose certificate named it: one fetched for issuer A's
// certificate is never offered for issuer B's, even from the same URL.
type httpCRLSource struct {
	fetcher Fetcher
	cache   *revcache.Cache[*crl.CRL]
	clk     Clock
	rewrite *urlRewriter
	timeout time.Duration
	skew    time.Duration
	lookup  func(result string) // counts cache look-ups
}

var (
	_ CRLSource     = (*httpCRLSource)(nil)
	_ crlProvenance = (*httpCRLSource)(nil)
)

var (
	oidExtCRLDP       = asn1.ObjectIdentifier{2, 5, 29, 31}
	oidExtFreshestCRL = asn1.ObjectIdentifier{2, 5, 29, 46}
)

// CRLs implements CRLSource.
func (s *httpCRLSource) CRLs(ctx context.Context, cert, issuer *x509.Certificate) ([]*crl.CRL, error) {
	f, err := s.fetchCRLs(ctx, cert, issuer)
	out := make([]*crl.CRL, len(f))
	for i := range f {
		out[i] = f[i].crl
	}
	return out, err
}

func (s *httpCRLSource) fetchCRLs(ctx context.Context, cert, issuer *x509.Certificate) ([]fetchedCRL, error) {
	if s.fetcher == nil {
		return nil, errNoCRLLocation
	}
	dps, err := crl.DistributionPoints(cert)
	if err != nil {
		return nil, fmt.Errorf("CRL distribution points: %w", err)
	}
	urls := s.rewrite.urls(dpURIs(dps), maxCRLURLs)
	if len(urls) == 0 {
		return nil, errNoCRLLocation
	}
	var out []fetchedCRL
	var errs []error
	for _, u := range urls {
		f, err := s.get(ctx, issuer, u)
		if err != nil {
			errs = append(errs, err)
			continue
		}
		out = append(out, f)
	}
	// Delta CRLs: the freshest CRL locations of the certificate, then of
	// the complete CRLs obtained.
	var deltas []string
	for _, e := range cert.Extensions {
		if e.Id.Equal(oidExtFreshestCRL) {
			deltas = append(deltas, freshestURIs(e.Value)...)
		}
	}
	for _, f := range out {
		if der := f.crl.FreshestCRL(); der != nil {
			deltas = append(deltas, freshestURIs(der)...)
		}
	}
	for _, u := range s.rewrite.urls(deltas, maxDeltaURL) {
		if containsURL(out, u) {
			continue
		}
		f, err := s.get(ctx, issuer, u)
		if err != nil {
			errs = append(errs, err)
			continue
		}
		out = append(out, f)
	}
	return out, errors.Join(errs...)
}

func containsURL(f []fetchedCRL, u string) bool {
	for _, x := range f {
		if x.url == u {
			return true
		}
	}
	return false
}

// dpURIs lists the fullName URIs of every distribution point, in order.
func dpURIs(dps []crl.DistributionPoint) []string {
	var out []string
	for _, dp := range dps {
		out = append(out, dp.URIs()...)
	}
	return out
}

// freshestURIs reads the URIs of a freshest CRL extension value, which has
// the syntax of CRL distribution points (RFC 5280 §4.2.1.15), by handing
// it to crl.DistributionPoints under the distribution points OID.
func freshestURIs(der []byte) []string {
	dps, err := crl.DistributionPoints(&x509.Certificate{Extensions: []pkix.Extension{{Id: oidExtCRLDP, Value: der}}})
	if err != nil {
		return nil
	}
	return dpURIs(dps)
}

// get returns the CRL of issuer at u, from the cache or fetched.
func (s *httpCRLSource) get(ctx context.Context, issuer *x509.Certificate, u string) (fetchedCRL, error) {
	e, res, err := s.cache.GetOrFetch(ctx, revcache.CRLKey(issuer, u), func(fctx context.Context) (*crl.CRL, time.Time, error) {
		return s.download(fctx, issuer, u)
	})
	s.lookup(res.String())
	if err != nil {
		return fetchedCRL{}, fmt.Errorf("CRL from %s: %w", u, err)
	}
	return fetchedCRL{crl: e.Value, url: u, cached: res == revcache.Hit, fetched: e.Fetched}, nil
}

// download fetches and parses one CRL (DER, or PEM "X509 CRL" as some CAs
// serve). It refuses a CRL whose thisUpdate is in the future (beyond the
// skew). The cache keeps the CRL until its nextUpdate, except for one that
// issuer's key did not sign (an indirect CRL, a rolled-over key, or a
// forgery, told apart by crl.Determine on each use) or whose nextUpdate has
// passed: those are kept DefaultUnverifiedCRLTTL at most, so that a bad or
// expired CRL is neither fetched again on every request nor kept for long.
func (s *httpCRLSource) download(ctx context.Context, issuer *x509.Certificate, u string) (*crl.CRL, time.Time, error) {
	ctx, cancel := context.WithTimeout(ctx, s.timeout)
	defer cancel()
	resp, err := s.fetcher.Fetch(ctx, fetch.Request{Source: fetch.SourceCRL, URL: u})
	if err != nil {
		return nil, time.Time{}, err
	}
	der := resp.Body
	if bytes.HasPrefix(bytes.TrimSpace(der), []byte("-----BEGIN")) {
		if b, _ := pem.Decode(bytes.TrimSpace(der)); b != nil && b.Type == "X509 CRL" {
			der = b.Bytes
		}
	}
	c, err := crl.Parse(der)
	if err != nil {
		return nil, time.Time{}, err
	}
	now := s.clk.Now()
	if c.ThisUpdate().After(now.Add(effectiveSkew(s.skew))) {
		return nil, time.Time{}, fmt.Errorf("CRL thisUpdate %s is in the future", stamp(c.ThisUpdate()))
	}
	next := c.NextUpdate()
	unverified := c.CheckSignatureFrom(issuer) != nil
	expired := !next.IsZero() && !next.After(now)
	if short := now.Add(DefaultUnverifiedCRLTTL); (unverified || expired) && (next.IsZero() || expired || next.After(short)) {
		next = short
	}
	return c, next, nil
}
