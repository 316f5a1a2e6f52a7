package testpki

import (
	"context"
	"crypto/rand"
	"fmt"
	"net"
	"net/http"
	"net/http/httptest"
	"sync"
	"time"
)

// Mode selects how the fake OCSP responder or CRL server misbehaves. The
// zero value is Normal.
//
// Transport modes (Down, HTTPError, Slow, Garbage, Oversized) act on the
// HTTP exchange. Content modes (WrongKey, Expired, FutureThisUpdate,
// Delegated, DelegatedNoEKU, TryLater) change the signed answer itself and
// also apply to OCSPResponder.Respond and CRLServer.CRL. The CRL server
// treats the OCSP-only modes (Delegated, DelegatedNoEKU, TryLater) as
// Normal.
type Mode int

const (
	// Normal answers correctly: signed by the issuer, thisUpdate = now.
	Normal Mode = iota
	// Down hijacks the connection and closes it without writing anything,
	// so the client sees an unexpected EOF. An idempotent client request
	// may be retried once by net/http and then counts twice.
	Down
	// HTTPError answers 503 Service Unavailable with a text body.
	HTTPError
	// Slow waits for the configured delay (SetSlow; one minute by default)
	// and then answers as Normal. It gives up early, writing nothing, when
	// the request's context is done or the server is closing.
	Slow
	// Garbage answers 200 with 512 random bytes and the right content type.
	Garbage
	// Oversized answers 200 with the configured number of bytes (SetOversized;
	// 4 MiB for OCSP and 64 MiB for CRLs by default), streamed without a
	// Content-Length. The body starts like a DER SEQUENCE that claims to be
	// that long, so only a size cap protects the client.
	Oversized
	// WrongKey signs with a key unrelated to the issuer, keeping the
	// issuer's name (OCSP responderID, CRL issuer and authority key id).
	WrongKey
	// Expired answers with nextUpdate one hour in the past (and thisUpdate
	// and producedAt before that).
	Expired
	// FutureThisUpdate answers with thisUpdate (and producedAt) one hour in
	// the future, as a responder with a skewed clock would.
	FutureThisUpdate
	// Delegated signs OCSP responses with a delegated responder certificate
	// issued by the issuer with the id-kp-OCSPSigning EKU and id-pkix-ocsp-nocheck,
	// embedded in the response (RFC 6960 §4.2.2.2).
	Delegated
	// DelegatedNoEKU is Delegated with a responder certificate that has no
	// extended key usage extension at all, which RFC 6960 §4.2.2.2 forbids
	// relying on. x/crypto/ocsp.ParseResponseForCert accepts it; a careful
	// client must not.
	DelegatedNoEKU
	// TryLater answers the OCSP response status tryLater (RFC 6960 §4.2.1),
	// which is unsigned.
	TryLater
)

// String returns the mode's name as written in Go, for test names.
func (m Mode) String() string {
	switch m {
	case Normal:
		return "Normal"
	case Down:
		return "Down"
	case HTTPError:
		return "HTTPError"
	case Slow:
		return "Slow"
	case Garbage:
		return "Garbage"
	case Oversized:
		return "Oversized"
	case WrongKey:
		return "WrongKey"
	case Expired:
		return "Expired"
	case FutureThisUpdate:
		return "FutureThisUpdate"
	case Delegated:
		return "Delegated"
	case DelegatedNoEKU:
		return "DelegatedNoEKU"
	case TryLater:
		return "TryLater"
	}
	return fmt.Sprintf("Mode(%d)", int(m))
}

// skew is how far Expired and FutureThisUpdate put their times beyond now:
// well past any clock-skew tolerance a client may have.
const skew = time.Hour

// knobs is the mutable behaviour shared by both servers.
type knobs struct {
	mu         sync.Mutex
	mode       Mode
	delay      time.Duration
	oversize   int
	nextUpdate time.Duration
}

// settings is a snapshot of knobs taken once per request.
type settings struct {
	mode       Mode
	delay      time.Duration
	oversize   int
	nextUpdate time.Duration
}

func (k *knobs) snapshot() settings {
	k.mu.Lock()
	defer k.mu.Unlock()
	return settings{mode: k.mode, delay: k.delay, oversize: k.oversize, nextUpdate: k.nextUpdate}
}

func (k *knobs) set(f func(k *knobs)) {
	k.mu.Lock()
	defer k.mu.Unlock()
	f(k)
}

// serveTransportMode carries out the transport modes. It reports whether the
// request has been dealt with; false means the caller answers normally.
func serveTransportMode(w http.ResponseWriter, r *http.Request, s settings, contentType string, closing <-chan struct{}) bool {
	switch s.mode {
	case Down:
		hj, ok := w.(http.Hijacker)
		if !ok {
			http.Error(w, "connection cannot be hijacked", http.StatusServiceUnavailable)
			return true
		}
		conn, _, err := hj.Hijack()
		if err == nil {
			_ = conn.Close()
		}
		return true
	case HTTPError:
		http.Error(w, "service unavailable (testpki HTTPError mode)", http.StatusServiceUnavailable)
		return true
	case Slow:
		return !sleep(r.Context(), closing, s.delay)
	case Garbage:
		b := make([]byte, 512)
		_, _ = rand.Read(b)
		b[0] = 0xff // never a valid DER tag, so no parser can be lucky
		w.Header().Set("Content-Type", contentType)
		_, _ = w.Write(b)
		return true
	case Oversized:
		w.Header().Set("Content-Type", contentType)
		writeOversized(r.Context(), w, s.oversize)
		return true
	}
	return false
}

// sleep waits for d and reports whether it did; it returns false early when
// ctx is done or closing is closed.
func sleep(ctx context.Context, closing <-chan struct{}, d time.Duration) bool {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-t.C:
		return true
	case <-ctx.Done():
		return false
	case <-closing:
		return false
	}
}

// writeOversized streams n bytes shaped like the start of a huge DER
// SEQUENCE (0x30 0x84 followed by a four-byte length), then zeros.
func writeOversized(ctx context.Context, w http.ResponseWriter, n int) {
	chunk := make([]byte, 32<<10)
	copy(chunk, []byte{0x30, 0x84, 0x7f, 0xff, 0xff, 0xff})
	for n > 0 && ctx.Err() == nil {
		b := chunk[:min(len(chunk), n)]
		if _, err := w.Write(b); err != nil {
			return
		}
		clear(chunk[:6])
		n -= len(b)
	}
}

// startServer starts an httptest server for h on a loopback port, returning
// an error where httptest.NewServer would panic.
func startServer(h http.Handler) (*httptest.Server, error) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		if l, err = net.Listen("tcp6", "[::1]:0"); err != nil {
			return nil, err
		}
	}
	srv := &httptest.Server{
		Listener: l,
		Config:   &http.Server{Handler: h, ReadHeaderTimeout: 10 * time.Second},
	}
	srv.Start()
	return srv, nil
}
