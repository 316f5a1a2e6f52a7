// Package fetch performs the gateway's outbound HTTP requests: OCSP
// (RFC 6960 Appendix A, RFC 5019), CRLs from distribution points
// (RFC 5280 §4.2.1.13) and issuer certificates from AIA caIssuers URLs
// (RFC 5280 §4.2.2.1).
//
// Those URLs are named inside certificates that untrusted callers submit, so
// this package is an SSRF boundary: only http and https, no userinfo, no
// proxy from the environment, an optional host allow-list applied to every
// redirect, and an address policy enforced on the resolved address at dial
// time (see guard.go). It also caps bodies, bounds concurrent requests per
// host, backs off from failing hosts and exports metrics with bounded labels.
//
// It does not cache, deduplicate (singleflight) or parse what it fetches,
// and it does not check the response Content-Type (several CAs serve CRLs as
// application/octet-stream): callers wrap or inspect a Fetcher for that.
package fetch

import (
	"bytes"
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"net/url"
	"strings"
	"time"

	"github.com/prometheus/client_golang/prometheus"
)

// Sentinel errors, for errors.Is. Every error Fetch returns for a refused
// or failed request wraps exactly one of them, or context.DeadlineExceeded
// for a timeout, or is an ordinary error for a network failure, a caller's
// cancellation or an invalid Request.
var (
	// ErrBlocked: the URL, a redirect target or a resolved address was
	// refused by policy (scheme, userinfo, allow_hosts, reserved address).
	// Nothing was sent to the refused address.
	ErrBlocked = errors.New("fetch: blocked")
	// ErrTooLarge: the response body (declared or actual) exceeds the cap.
	ErrTooLarge = errors.New("fetch: response too large")
	// ErrBackoff: the host failed recently and is backing off; nothing was
	// sent.
	ErrBackoff = errors.New("fetch: host backing off after failures")
	// ErrStatus: the final response was not 2xx, or the redirect limit was
	// reached.
	ErrStatus = errors.New("fetch: unexpected HTTP status")
)

// Request is one upstream request.
type Request struct {
	// Source is SourceOCSP, SourceCRL or SourceAIA. It selects the default
	// body cap and is the metric label; any other value is refused.
	Source string
	// URL is the absolute http or https URL to fetch.
	URL string
	// Method is "GET" (the default when empty) or "POST".
	Method string
	// Body is sent with POST; GET must not have one.
	Body []byte
	// ContentType is the request Content-Type for POST, for OCSP
	// "application/ocsp-request" (RFC 6960 Appendix A.1). Empty sends none.
	ContentType string
	// MaxBytes caps the response body; 0 means the Options default for
	// Source.
	MaxBytes int64
}

// Response is a successful (2xx) upstream response.
type Response struct {
	// Body is the whole response body, at most the request's cap.
	Body []byte
	// ContentType is the response Content-Type header, unchecked.
	ContentType string
	// StatusCode is the final HTTP status, always 2xx.
	StatusCode int
	// URL is the final URL, after redirects.
	URL string
}

// Fetcher performs upstream requests. Implementations must be safe for
// concurrent use.
type Fetcher interface {
	Fetch(ctx context.Context, r Request) (*Response, error)
}

// Options configures an HTTPFetcher. The zero value of each field selects
// its default; negative values are an error.
type Options struct {
	// Timeout bounds each Fetch, from the wait for a per-host slot to the
	// last body byte, on top of the caller's context (fetch.timeout).
	// Default 5s.
	Timeout time.Duration
	// AllowPrivateNetworks lets fetches reach loopback, RFC 1918, unique
	// local, CGNAT and the other non-public ranges in guard.go
	// (fetch.allow_private_networks). It never allows unspecified,
	// multicast, broadcast, link-local or cloud metadata addresses.
	AllowPrivateNetworks bool
	// AllowHosts, when non-empty, is the only hosts fetched from, on the
	// first URL and on every redirect (fetch.allow_hosts). Entries are host
	// names or IP literals, matched exactly and case-insensitively; an entry
	// ".example.vn" allows example.vn and every name below it. It does not
	// lift the address policy.
	AllowHosts []string
	// MaxRedirects is the number of redirects followed. Default 3; set
	// NoRedirects to follow none.
	MaxRedirects int
	// NoRedirects makes any redirect fail with ErrStatus. It exists because
	// MaxRedirects 0 means the default.
	NoRedirects bool
	// PerHostConcurrency bounds the requests in flight to one host (host
	// and port of the first URL). Default 4.
	PerHostConcurrency int
	// MaxHosts bounds the per-host state (semaphores, backoff). Default 4096.
	MaxHosts int
	// MaxOCSPBytes, MaxCRLBytes and MaxAIABytes are the default body caps
	// per source. Defaults 1 MiB, 64 MiB and 1 MiB.
	MaxOCSPBytes, MaxCRLBytes, MaxAIABytes int64
	// BackoffBase and BackoffMax bound the exponential backoff of a failing
	// host: base·2^(failures-1), at most max. Defaults 1s and 5m.
	BackoffBase, BackoffMax time.Duration
}

// Defaults applied by New to zero Options fields.
const (
	DefaultTimeout            = 5 * time.Second
	DefaultMaxRedirects       = 3
	DefaultPerHostConcurrency = 4
	DefaultMaxHosts           = 4096
	DefaultMaxOCSPBytes       = 1 << 20
	DefaultMaxCRLBytes        = 64 << 20
	DefaultMaxAIABytes        = 1 << 20
	DefaultBackoffBase        = time.Second
	DefaultBackoffMax         = 5 * time.Minute
)

// Deps are the collaborators of an HTTPFetcher.
type Deps struct {
	// Registerer receives the fetcher's metrics. Nil registers nothing (the
	// metrics are still kept, unexported), as in trust.HolderDeps.
	Registerer prometheus.Registerer
	// Logger receives backoff transitions and refused requests. Nil
	// discards.
	Logger *slog.Logger
	// Now is the clock for backoff and durations, called concurrently.
	// Required: this package never reads the wall clock itself.
	Now func() time.Time
	// Resolver resolves host names before the address check. Nil means
	// net.DefaultResolver.
	Resolver interface {
		LookupIPAddr(ctx context.Context, host string) ([]net.IPAddr, error)
	}
}

// HTTPFetcher is the Fetcher that talks HTTP, built by New. It is safe for
// concurrent use. Its zero value is not usable.
type HTTPFetcher struct {
	opts       Options
	allowHosts []hostPattern
	guard      *guard
	transport  *http.Transport
	client     *http.Client
	hosts      *hostTable
	metrics    *metrics
	log        *slog.Logger
	now        func() time.Time
}

var _ Fetcher = (*HTTPFetcher)(nil)

// userAgent identifies the gateway to CA operators.
const userAgent = "lienthong-fetch/1"

// New validates opts, applies defaults, registers the metrics and builds
// the guarded http.Client. Its transport ignores proxy environment
// variables (a proxy would dial on our behalf, past the address check).
func New(opts Options, deps Deps) (*HTTPFetcher, error) {
	if deps.Now == nil {
		return nil, errors.New("fetch: Deps.Now is required")
	}
	if err := applyDefaults(&opts); err != nil {
		return nil, err
	}
	allow, err := parseAllowHosts(opts.AllowHosts)
	if err != nil {
		return nil, err
	}
	m, err := newMetrics(deps.Registerer)
	if err != nil {
		return nil, fmt.Errorf("fetch: registering metrics: %w", err)
	}
	f := &HTTPFetcher{
		opts:       opts,
		allowHosts: allow,
		metrics:    m,
		log:        deps.Logger,
		now:        deps.Now,
		hosts:      newHostTable(deps.Now, opts.PerHostConcurrency, opts.MaxHosts, opts.BackoffBase, opts.BackoffMax),
	}
	if f.log == nil {
		f.log = slog.New(slog.DiscardHandler)
	}
	var res resolver = net.DefaultResolver
	if deps.Resolver != nil {
		res = deps.Resolver
	}
	f.guard = newGuard(opts.AllowPrivateNetworks, res, &net.Dialer{Timeout: opts.Timeout, KeepAlive: 30 * time.Second})
	f.transport = &http.Transport{
		Proxy:                  nil,
		DialContext:            func(ctx context.Context, n, a string) (net.Conn, error) { return f.guard.dialContext(ctx, n, a) },
		TLSClientConfig:        &tls.Config{MinVersion: tls.VersionTLS12},
		ForceAttemptHTTP2:      true,
		TLSHandshakeTimeout:    opts.Timeout,
		ResponseHeaderTimeout:  opts.Timeout,
		MaxResponseHeaderBytes: 64 << 10,
		MaxIdleConns:           64,
		MaxIdleConnsPerHost:    opts.PerHostConcurrency,
		IdleConnTimeout:        90 * time.Second,
		// Transparent gzip would hide Content-Length from the early size
		// check; OCSP and CRL DER barely compress anyway.
		DisableCompression: true,
	}
	f.client = &http.Client{Transport: f.transport, CheckRedirect: f.checkRedirect}
	return f, nil
}

func applyDefaults(o *Options) error {
	if o.Timeout < 0 || o.MaxRedirects < 0 || o.PerHostConcurrency < 0 || o.MaxHosts < 0 ||
		o.MaxOCSPBytes < 0 || o.MaxCRLBytes < 0 || o.MaxAIABytes < 0 || o.BackoffBase < 0 || o.BackoffMax < 0 {
		return errors.New("fetch: negative option")
	}
	def := func(v *int64, d int64) {
		if *v == 0 {
			*v = d
		}
	}
	defInt := func(v *int, d int) {
		if *v == 0 {
			*v = d
		}
	}
	defDur := func(v *time.Duration, d time.Duration) {
		if *v == 0 {
			*v = d
		}
	}
	defDur(&o.Timeout, DefaultTimeout)
	defInt(&o.MaxRedirects, DefaultMaxRedirects)
	defInt(&o.PerHostConcurrency, DefaultPerHostConcurrency)
	defInt(&o.MaxHosts, DefaultMaxHosts)
	def(&o.MaxOCSPBytes, DefaultMaxOCSPBytes)
	def(&o.MaxCRLBytes, DefaultMaxCRLBytes)
	def(&o.MaxAIABytes, DefaultMaxAIABytes)
	defDur(&o.BackoffBase, DefaultBackoffBase)
	defDur(&o.BackoffMax, DefaultBackoffMax)
	if o.BackoffBase > o.BackoffMax {
		return fmt.Errorf("fetch: backoff base %s exceeds max %s", o.BackoffBase, o.BackoffMax)
	}
	return nil
}

// CloseIdleConnections closes the transport's idle connections, for
// shutdown. Requests in flight are not affected.
func (f *HTTPFetcher) CloseIdleConnections() { f.transport.CloseIdleConnections() }

// checkRedirect is http.Client.CheckRedirect: the limit, then the same URL
// policy as the first URL. The address is checked again when dialling.
func (f *HTTPFetcher) checkRedirect(req *http.Request, via []*http.Request) error {
	if f.opts.NoRedirects {
		return fmt.Errorf("%w: redirect to %s not followed (redirects disabled)", ErrStatus, req.URL.Redacted())
	}
	if len(via) > f.opts.MaxRedirects {
		return fmt.Errorf("%w: stopped after %d redirects", ErrStatus, f.opts.MaxRedirects)
	}
	_, err := f.checkURL(req.URL)
	return err
}

// Fetch performs r. See the package documentation for the policy applied.
// A timeout (Options.Timeout or the caller's deadline) returns an error
// wrapping context.DeadlineExceeded. Failures (network errors, timeouts,
// 5xx) put the host into backoff; ErrBlocked, ErrTooLarge and 4xx do not.
func (f *HTTPFetcher) Fetch(ctx context.Context, r Request) (*Response, error) {
	limit, method, err := f.validateRequest(r)
	if err != nil {
		return nil, err
	}
	u, err := url.Parse(r.URL)
	if err != nil {
		// Never echo a malformed URL: it may carry credentials.
		return nil, f.refuse(r.Source, fmt.Errorf("%w: malformed URL", ErrBlocked))
	}
	key, err := f.checkURL(u)
	if err != nil {
		return nil, f.refuse(r.Source, err)
	}

	tctx, cancel := context.WithTimeout(ctx, f.opts.Timeout)
	defer cancel()

	st, err := f.hosts.acquire(tctx, key)
	if err != nil {
		outcome := outcomeError
		switch {
		case errors.Is(err, ErrBackoff):
			outcome = outcomeBackoff
		case errors.Is(err, context.DeadlineExceeded):
			outcome = outcomeTimeout
		}
		f.metrics.observe(r.Source, outcome, false, 0)
		return nil, fmt.Errorf("fetching %s from %s: %w", r.Source, key, err)
	}
	start := f.now()
	resp, err := f.do(tctx, u, method, r, limit)
	outcome, h := classify(ctx, tctx, err)
	backoff, failures, until := f.hosts.release(st, h)
	// Refused at dial time or on a redirect: not timed, like other refusals.
	f.metrics.observe(r.Source, outcome, outcome != outcomeBlocked, f.now().Sub(start))
	if err == nil {
		return resp, nil
	}
	if outcome == outcomeTimeout && !errors.Is(err, context.DeadlineExceeded) {
		err = fmt.Errorf("%w: %w", context.DeadlineExceeded, err)
	}
	err = fmt.Errorf("fetching %s from %s: %w", r.Source, key, err)
	if backoff {
		f.log.Warn("upstream host backing off", "source", r.Source, "host", key, "failures", failures, "until", until, "err", err)
	} else {
		f.log.Debug("upstream request failed", "source", r.Source, "host", key, "outcome", outcome, "err", err)
	}
	return nil, err
}

// validateRequest checks the parts of r that are the caller's
// responsibility; errors here are programming errors and are not counted.
func (f *HTTPFetcher) validateRequest(r Request) (limit int64, method string, err error) {
	switch r.Source {
	case SourceOCSP:
		limit = f.opts.MaxOCSPBytes
	case SourceCRL:
		limit = f.opts.MaxCRLBytes
	case SourceAIA:
		limit = f.opts.MaxAIABytes
	default:
		return 0, "", fmt.Errorf("fetch: unknown source %q", r.Source)
	}
	switch {
	case r.MaxBytes < 0:
		return 0, "", fmt.Errorf("fetch: negative MaxBytes %d", r.MaxBytes)
	case r.MaxBytes > 0:
		limit = r.MaxBytes
	}
	method = strings.ToUpper(r.Method)
	switch method {
	case "", http.MethodGet:
		method = http.MethodGet
		if len(r.Body) > 0 {
			return 0, "", errors.New("fetch: GET request with a body")
		}
	case http.MethodPost:
	default:
		return 0, "", fmt.Errorf("fetch: method %q not supported", r.Method)
	}
	return limit, method, nil
}

// refuse counts and logs a request refused before anything was sent.
func (f *HTTPFetcher) refuse(source string, err error) error {
	f.metrics.observe(source, outcomeBlocked, false, 0)
	f.log.Debug("upstream request refused", "source", source, "err", err)
	return err
}

// do sends the request and reads the capped body.
func (f *HTTPFetcher) do(ctx context.Context, u *url.URL, method string, r Request, limit int64) (*Response, error) {
	var body io.Reader
	if method == http.MethodPost {
		body = bytes.NewReader(r.Body)
	}
	req, err := http.NewRequestWithContext(ctx, method, u.String(), body)
	if err != nil {
		return nil, err
	}
	req.Header.Set("User-Agent", userAgent)
	if method == http.MethodPost && r.ContentType != "" {
		req.Header.Set("Content-Type", r.ContentType)
	}
	resp, err := f.client.Do(req)
	if err != nil {
		// With a CheckRedirect error Do also returns the last response,
		// body already closed: ignore it.
		return nil, err
	}
	defer resp.Body.Close()
	final := resp.Request.URL
	if resp.StatusCode < 200 || resp.StatusCode > 299 {
		// Drain a little so the connection can be reused.
		_, _ = io.Copy(io.Discard, io.LimitReader(resp.Body, 4<<10))
		return nil, &statusError{code: resp.StatusCode}
	}
	if resp.ContentLength > limit {
		return nil, fmt.Errorf("%w: Content-Length %d exceeds %d", ErrTooLarge, resp.ContentLength, limit)
	}
	b, err := readCapped(resp.Body, limit, resp.ContentLength)
	if err != nil {
		return nil, err
	}
	return &Response{Body: b, ContentType: resp.Header.Get("Content-Type"), StatusCode: resp.StatusCode, URL: final.String()}, nil
}

// statusError is a non-2xx final response. It wraps ErrStatus.
type statusError struct{ code int }

func (e *statusError) Error() string {
	return fmt.Sprintf("%v: %d %s", ErrStatus, e.code, http.StatusText(e.code))
}

func (e *statusError) Unwrap() error { return ErrStatus }

// maxInitialBuffer bounds the buffer readCapped reserves up front; a body
// larger than it grows the buffer as its bytes arrive.
const maxInitialBuffer = 1 << 20

// readCapped reads r to EOF, holding at most limit+1 bytes: one byte past
// the limit proves the body too large without reading the rest. hint is
// the Content-Length (-1 if unknown, never above limit), used to size the
// first buffer, but only up to maxInitialBuffer: a server's declared length
// must not make us reserve memory before it sends anything.
func readCapped(r io.Reader, limit, hint int64) ([]byte, error) {
	size := int64(512)
	if hint >= 0 {
		size = hint + 1
	}
	size = min(size, limit+1, maxInitialBuffer)
	buf := make([]byte, 0, size)
	lr := io.LimitReader(r, limit+1)
	for {
		if len(buf) == cap(buf) {
			buf = append(buf, 0)[:len(buf)]
		}
		n, err := lr.Read(buf[len(buf):cap(buf)])
		buf = buf[:len(buf)+n]
		if int64(len(buf)) > limit {
			return nil, fmt.Errorf("%w: body exceeds %d bytes", ErrTooLarge, limit)
		}
		if err == io.EOF {
			return buf, nil
		}
		if err != nil {
			return nil, err
		}
	}
}

// classify maps a request's error to its metric outcome and to what it says
// about the host's health. ctx is the caller's context (when the caller
// gave up, the host is not blamed) and tctx the one bounded by
// Options.Timeout.
func classify(ctx, tctx context.Context, err error) (string, health) {
	callerDone := ctx.Err() != nil
	var se *statusError
	var ne net.Error
	switch {
	case err == nil:
		return outcomeSuccess, healthOK
	case errors.Is(err, ErrBlocked):
		return outcomeBlocked, healthNeutral
	case errors.Is(err, ErrTooLarge):
		return outcomeTooLarge, healthNeutral
	case errors.As(err, &se):
		if se.code >= 500 {
			return outcomeStatus, healthFailed
		}
		return outcomeStatus, healthNeutral
	case errors.Is(err, ErrStatus): // redirect limit
		return outcomeStatus, healthNeutral
	case errors.Is(err, context.DeadlineExceeded), errors.Is(tctx.Err(), context.DeadlineExceeded),
		errors.As(err, &ne) && ne.Timeout():
		if callerDone {
			return outcomeTimeout, healthNeutral
		}
		return outcomeTimeout, healthFailed
	case callerDone:
		return outcomeError, healthNeutral
	default:
		return outcomeError, healthFailed
	}
}
