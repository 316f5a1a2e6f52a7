package testpki

import (
	"crypto"
	"crypto/rand"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/asn1"
	"fmt"
	"math/big"
	"net/http"
	"net/http/httptest"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"time"
)

// CRLServer is a fake CRL distribution point and certificate repository on
// a loopback httptest server. For every Issuer of its PKI it serves
//
//	GET <URL>/crl/<issuer-name>.crl   the issuer's CRL, DER (application/pkix-crl)
//	GET <URL>/cert/<issuer-name>.cer  the issuer's certificate, DER (application/pkix-cert)
//
// The CRL (RFC 5280 §5) is made afresh for every request by
// x509.CreateRevocationList from the current revocations, signed by the
// issuer, with thisUpdate = clock now, nextUpdate a day later
// (SetNextUpdate) and a CRL number that grows with every CRL made by this
// server. Modes apply to /crl/ only: certificates (the AIA caIssuers
// target) are always served. All methods are safe for concurrent use, also
// while requests are being served.
type CRLServer struct {
	env          *env
	srv          *httptest.Server
	closing      chan struct{}
	once         sync.Once
	requests     atomic.Int64
	certRequests atomic.Int64
	inFlight     atomic.Int64
	number       atomic.Int64
	knobs        knobs

	mu          sync.Mutex
	revoked     map[revKey]revocation
	wrongKey    crypto.Signer
	expiredFrom time.Time // expiredCertsOnCRL; zero = absent
}

const crlContentType = "application/pkix-crl"

func newCRLServer(e *env) (*CRLServer, error) {
	c := &CRLServer{env: e, closing: make(chan struct{}), revoked: map[revKey]revocation{}}
	c.knobs.set(c.defaults)
	srv, err := startServer(http.HandlerFunc(c.serve))
	if err != nil {
		return nil, fmt.Errorf("testpki: starting CRL server: %w", err)
	}
	c.srv = srv
	return c, nil
}

func (c *CRLServer) defaults(k *knobs) {
	k.mode, k.delay, k.oversize, k.nextUpdate = Normal, time.Minute, 64<<20, 24*time.Hour
}

// URL returns the server's base URL, http://127.0.0.1:port, without a
// trailing slash.
func (c *CRLServer) URL() string { return c.srv.URL }

// SetMode changes how CRLs are served from the next request on. Delegated,
// DelegatedNoEKU and TryLater behave as Normal.
func (c *CRLServer) SetMode(m Mode) { c.knobs.set(func(k *knobs) { k.mode = m }) }

// SetSlow sets Slow mode with delay d.
func (c *CRLServer) SetSlow(d time.Duration) {
	c.knobs.set(func(k *knobs) { k.mode, k.delay = Slow, d })
}

// SetOversized sets Oversized mode with a body of n bytes.
func (c *CRLServer) SetOversized(n int) {
	c.knobs.set(func(k *knobs) { k.mode, k.oversize = Oversized, n })
}

// SetNextUpdate sets how long after thisUpdate CRLs say the next one is
// due (a day by default). RFC 5280 §5.1.2.5 makes nextUpdate mandatory, so
// zero or less restores the default.
func (c *CRLServer) SetNextUpdate(d time.Duration) {
	if d <= 0 {
		d = 24 * time.Hour
	}
	c.knobs.set(func(k *knobs) { k.nextUpdate = d })
}

// SetExpiredCertsOnCRL makes every CRL carry the X.509 expiredCertsOnCRL
// extension (2.5.29.60) with time at: the CA keeps the entries of
// certificates that expired at or after at. Zero removes it.
func (c *CRLServer) SetExpiredCertsOnCRL(at time.Time) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.expiredFrom = at
}

// Revoke lists serial in issuer's CRL with the given revocation time (zero
// means clock now) and CRLReason (RFC 5280 §5.3.1; 0, unspecified, is left
// out of the entry as §5.3.1 recommends). It does not touch the OCSP
// responder; PKI.Revoke does both.
func (c *CRLServer) Revoke(issuer *Issuer, serial *big.Int, at time.Time, reason int) {
	if at.IsZero() {
		at = c.env.clock.Now()
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	c.revoked[revKey{issuer.Name, serial.Text(16)}] = revocation{serial: serial, at: at, reason: reason}
}

// Reset forgets every Revoke and restores Normal mode and the default
// delay, size and nextUpdate. It keeps the request counts and the CRL
// number, which never goes back.
func (c *CRLServer) Reset() {
	c.mu.Lock()
	clear(c.revoked)
	c.mu.Unlock()
	c.knobs.set(c.defaults)
}

// Requests returns how many requests for /crl/ the server has received
// since it started or since ResetCount, whatever their outcome.
func (c *CRLServer) Requests() int64 { return c.requests.Load() }

// CertRequests returns how many requests for /cert/ the server has
// received since it started or since ResetCount.
func (c *CRLServer) CertRequests() int64 { return c.certRequests.Load() }

// ResetCount sets both request counts back to zero.
func (c *CRLServer) ResetCount() {
	c.requests.Store(0)
	c.certRequests.Store(0)
}

// InFlight returns how many requests (to /crl/ or /cert/) the server is
// handling right now, for instance waiting in Slow mode.
func (c *CRLServer) InFlight() int64 { return c.inFlight.Load() }

// Close stops the server. Requests waiting in Slow mode return at once.
func (c *CRLServer) Close() {
	c.once.Do(func() {
		close(c.closing)
		c.srv.Close()
	})
}

// CRL returns the DER CRL the server would send for issuer now, without
// HTTP, for in-memory fetchers and benchmarks. Content modes (WrongKey,
// Expired, FutureThisUpdate) apply; transport modes answer as Normal. It
// does not count as a request but does use up a CRL number.
func (c *CRLServer) CRL(issuer *Issuer) ([]byte, error) {
	return c.crl(issuer, c.knobs.snapshot())
}

func (c *CRLServer) serve(w http.ResponseWriter, r *http.Request) {
	c.inFlight.Add(1)
	defer c.inFlight.Add(-1)
	path := r.URL.Path
	if strings.HasPrefix(path, "/cert/") {
		c.certRequests.Add(1)
	} else if strings.HasPrefix(path, "/crl/") {
		c.requests.Add(1)
	}
	if r.Method != http.MethodGet && r.Method != http.MethodHead {
		w.Header().Set("Allow", "GET, HEAD")
		http.Error(w, "method not allowed", http.StatusMethodNotAllowed)
		return
	}
	if name, ok := cutAffixes(path, "/cert/", ".cer"); ok {
		is := c.env.lookup(name)
		if is == nil {
			http.NotFound(w, r)
			return
		}
		w.Header().Set("Content-Type", "application/pkix-cert")
		_, _ = w.Write(is.Cert.Raw)
		return
	}
	if !strings.HasPrefix(path, "/crl/") {
		http.NotFound(w, r)
		return
	}
	s := c.knobs.snapshot()
	if serveTransportMode(w, r, s, crlContentType, c.closing) {
		return
	}
	name, ok := cutAffixes(path, "/crl/", ".crl")
	is := c.env.lookup(name)
	if !ok || is == nil {
		http.NotFound(w, r)
		return
	}
	der, err := c.crl(is, s)
	if err != nil {
		http.Error(w, err.Error(), http.StatusInternalServerError)
		return
	}
	w.Header().Set("Content-Type", crlContentType)
	_, _ = w.Write(der)
}

func cutAffixes(s, prefix, suffix string) (string, bool) {
	s, ok := strings.CutPrefix(s, prefix)
	if !ok {
		return "", false
	}
	return strings.CutSuffix(s, suffix)
}

// crl makes issuer's CRL under settings s.
func (c *CRLServer) crl(is *Issuer, s settings) ([]byte, error) {
	now := c.env.clock.Now()
	thisUpdate, nextUpdate := now, now.Add(s.nextUpdate)
	switch s.mode {
	case Expired:
		nextUpdate = now.Add(-skew)
		thisUpdate = nextUpdate.Add(-s.nextUpdate)
	case FutureThisUpdate:
		thisUpdate = now.Add(skew)
		nextUpdate = thisUpdate.Add(s.nextUpdate)
	}
	signer := is.Key
	c.mu.Lock()
	var entries []x509.RevocationListEntry
	for k, r := range c.revoked {
		if k.issuer == is.Name {
			entries = append(entries, x509.RevocationListEntry{
				SerialNumber:   r.serial,
				RevocationTime: r.at,
				ReasonCode:     r.reason,
			})
		}
	}
	if s.mode == WrongKey {
		if c.wrongKey == nil {
			k, err := generateKey(0)
			if err != nil {
				c.mu.Unlock()
				return nil, err
			}
			c.wrongKey = k
		}
		signer = c.wrongKey
	}
	expiredFrom := c.expiredFrom
	c.mu.Unlock()
	slices.SortFunc(entries, func(a, b x509.RevocationListEntry) int {
		return a.SerialNumber.Cmp(b.SerialNumber)
	})
	tmpl := &x509.RevocationList{
		Number:                    big.NewInt(c.number.Add(1)),
		ThisUpdate:                thisUpdate,
		NextUpdate:                nextUpdate,
		RevokedCertificateEntries: entries,
	}
	if !expiredFrom.IsZero() {
		v, err := asn1.MarshalWithParams(expiredFrom.UTC(), "generalized")
		if err != nil {
			return nil, err
		}
		tmpl.ExtraExtensions = append(tmpl.ExtraExtensions, pkix.Extension{Id: asn1.ObjectIdentifier{2, 5, 29, 60}, Value: v})
	}
	der, err := x509.CreateRevocationList(rand.Reader, tmpl, is.Cert, signer)
	if err != nil {
		return nil, fmt.Errorf("testpki: making CRL of %s: %w", is.Name, err)
	}
	return der, nil
}
