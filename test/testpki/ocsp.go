package testpki

import (
	"bytes"
	"crypto"
	"crypto/rand"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/asn1"
	"encoding/base64"
	"errors"
	"fmt"
	"io"
	"math/big"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"golang.org/x/crypto/ocsp"
)

// OCSPResponder is a fake OCSP responder (RFC 6960) on a loopback
// httptest server. It answers for every Issuer of its PKI:
//
//	POST <URL>/ocsp/<issuer-name>                   body: DER OCSPRequest (RFC 6960 §A.1)
//	GET  <URL>/ocsp/<issuer-name>/<base64 request>  RFC 5019 §5; the base64 may be
//	                                                path-escaped (%2F, %2B, %3D) or not
//
// The issuer is found by the request's CertID (issuer name and key hash,
// SHA-1 or SHA-2), the URL name only being tried first; a CertID of no
// known issuer gets the "unauthorized" status, an unparsable request
// "malformedRequest", both with HTTP 200 as RFC 6960 wants.
//
// Every serial is "good" unless Revoke or SetUnknown said otherwise. In
// Normal mode the response is signed by the issuer itself (responderID by
// name), with producedAt = thisUpdate = clock now and nextUpdate an hour
// later (SetNextUpdate). All methods are safe for concurrent use, also
// while requests are being served.
type OCSPResponder struct {
	env      *env
	srv      *httptest.Server
	closing  chan struct{}
	once     sync.Once
	requests atomic.Int64
	inFlight atomic.Int64
	knobs    knobs

	mu        sync.Mutex
	revoked   map[revKey]revocation
	unknown   map[string]bool // serial in hex
	delegates map[delegateKey]*Leaf
	wrongKey  crypto.Signer
}

type delegateKey struct {
	issuer string
	eku    bool
}

// revKey names one certificate: its issuer's URL name and serial in hex.
type revKey struct {
	issuer string
	serial string
}

type revocation struct {
	serial *big.Int
	at     time.Time
	reason int
}

const (
	ocspContentType    = "application/ocsp-response"
	maxOCSPRequestSize = 64 << 10
)

func newOCSPResponder(e *env) (*OCSPResponder, error) {
	o := &OCSPResponder{
		env:       e,
		closing:   make(chan struct{}),
		revoked:   map[revKey]revocation{},
		unknown:   map[string]bool{},
		delegates: map[delegateKey]*Leaf{},
	}
	o.knobs.set(o.defaults)
	srv, err := startServer(http.HandlerFunc(o.serve))
	if err != nil {
		return nil, fmt.Errorf("testpki: starting OCSP responder: %w", err)
	}
	o.srv = srv
	return o, nil
}

func (o *OCSPResponder) defaults(k *knobs) {
	k.mode, k.delay, k.oversize, k.nextUpdate = Normal, time.Minute, 4<<20, time.Hour
}

// URL returns the responder's base URL, http://127.0.0.1:port, without a
// trailing slash.
func (o *OCSPResponder) URL() string { return o.srv.URL }

// SetMode changes how the responder answers from the next request on.
func (o *OCSPResponder) SetMode(m Mode) { o.knobs.set(func(k *knobs) { k.mode = m }) }

// SetSlow sets Slow mode with delay d.
func (o *OCSPResponder) SetSlow(d time.Duration) {
	o.knobs.set(func(k *knobs) { k.mode, k.delay = Slow, d })
}

// SetOversized sets Oversized mode with a body of n bytes.
func (o *OCSPResponder) SetOversized(n int) {
	o.knobs.set(func(k *knobs) { k.mode, k.oversize = Oversized, n })
}

// SetNextUpdate sets how long after thisUpdate responses say the next
// update is (one hour by default). Zero or less omits nextUpdate, which
// RFC 6960 §2.4 reads as "newer information is always available".
func (o *OCSPResponder) SetNextUpdate(d time.Duration) {
	o.knobs.set(func(k *knobs) { k.nextUpdate = d })
}

// Revoke makes the responder answer "revoked" for serial of issuer, with
// the given revocation time (zero means clock now) and CRLReason (RFC 5280
// §5.3.1; ocsp.Unspecified, ocsp.KeyCompromise, ...). It undoes SetUnknown
// for that serial. It does not touch the CRL server; PKI.Revoke does both.
func (o *OCSPResponder) Revoke(issuer *Issuer, serial *big.Int, at time.Time, reason int) {
	if at.IsZero() {
		at = o.env.clock.Now()
	}
	o.mu.Lock()
	defer o.mu.Unlock()
	o.revoked[revKey{issuer.Name, serial.Text(16)}] = revocation{serial: serial, at: at, reason: reason}
	delete(o.unknown, serial.Text(16))
}

// SetUnknown makes the responder answer "unknown" for serial whatever its
// issuer, until Revoke or Reset.
func (o *OCSPResponder) SetUnknown(serial *big.Int) {
	o.mu.Lock()
	defer o.mu.Unlock()
	o.unknown[serial.Text(16)] = true
}

// Reset forgets every Revoke and SetUnknown and restores Normal mode and
// the default delay, size and nextUpdate. It keeps the request count.
func (o *OCSPResponder) Reset() {
	o.mu.Lock()
	clear(o.revoked)
	clear(o.unknown)
	o.mu.Unlock()
	o.knobs.set(o.defaults)
}

// Requests returns how many HTTP requests the responder has received since
// it started or since ResetCount, whatever their outcome.
func (o *OCSPResponder) Requests() int64 { return o.requests.Load() }

// ResetCount sets the request count back to zero.
func (o *OCSPResponder) ResetCount() { o.requests.Store(0) }

// InFlight returns how many requests the responder is handling right now,
// for instance waiting in Slow mode. Tests use it to check that a client
// gave up on the request (the handler returns when the client goes away).
func (o *OCSPResponder) InFlight() int64 { return o.inFlight.Load() }

// Close stops the server. Requests waiting in Slow mode return at once.
func (o *OCSPResponder) Close() {
	o.once.Do(func() {
		close(o.closing)
		o.srv.Close()
	})
}

// Respond returns the DER OCSPResponse the responder would send for the
// DER OCSPRequest req, without HTTP, for in-memory fetchers and benchmarks.
// Content modes apply; transport modes (Down, HTTPError, Slow, Garbage,
// Oversized) answer as Normal. It does not count as a request.
func (o *OCSPResponder) Respond(req []byte) ([]byte, error) {
	return o.respond("", req, o.knobs.snapshot())
}

func (o *OCSPResponder) serve(w http.ResponseWriter, r *http.Request) {
	o.requests.Add(1)
	o.inFlight.Add(1)
	defer o.inFlight.Add(-1)
	s := o.knobs.snapshot()
	rest, ok := strings.CutPrefix(r.URL.EscapedPath(), "/ocsp/")
	if !ok {
		http.NotFound(w, r)
		return
	}
	name, encoded, _ := strings.Cut(rest, "/")
	var req []byte
	var err error
	switch r.Method {
	case http.MethodGet:
		req, err = decodeGETRequest(encoded)
	case http.MethodPost:
		// Read the body before any delay: net/http only notices that the
		// client went away (and cancels r.Context()) once it has been read.
		req, err = io.ReadAll(io.LimitReader(r.Body, maxOCSPRequestSize))
	default:
		w.Header().Set("Allow", "GET, POST")
		http.Error(w, "method not allowed", http.StatusMethodNotAllowed)
		return
	}
	if serveTransportMode(w, r, s, ocspContentType, o.closing) {
		return
	}
	resp := ocsp.MalformedRequestErrorResponse
	if err == nil {
		if resp, err = o.respond(name, req, s); err != nil {
			resp = ocsp.InternalErrorErrorResponse
		}
	}
	w.Header().Set("Content-Type", ocspContentType)
	_, _ = w.Write(resp)
}

// decodeGETRequest undoes the RFC 5019 §5 encoding: URL-escaping of the
// base64 of the DER request. Unpadded and URL-safe base64 are accepted too.
func decodeGETRequest(escaped string) ([]byte, error) {
	s, err := url.PathUnescape(escaped)
	if err != nil {
		return nil, err
	}
	for _, enc := range []*base64.Encoding{base64.StdEncoding, base64.RawStdEncoding, base64.URLEncoding, base64.RawURLEncoding} {
		if b, err := enc.DecodeString(s); err == nil {
			return b, nil
		}
	}
	return nil, errors.New("request is not base64")
}

// respond builds the OCSPResponse for reqDER under settings s. nameHint is
// the issuer name from the URL, tried first.
func (o *OCSPResponder) respond(nameHint string, reqDER []byte, s settings) ([]byte, error) {
	req, err := ocsp.ParseRequest(reqDER)
	if err != nil {
		return ocsp.MalformedRequestErrorResponse, nil
	}
	is := o.findIssuer(nameHint, req)
	if is == nil {
		return ocsp.UnauthorizedErrorResponse, nil
	}
	if s.mode == TryLater {
		return ocsp.TryLaterErrorResponse, nil
	}

	now := o.env.clock.Now()
	tmpl := ocsp.Response{SerialNumber: req.SerialNumber, IssuerHash: req.HashAlgorithm, ThisUpdate: now}
	if s.nextUpdate > 0 {
		tmpl.NextUpdate = now.Add(s.nextUpdate)
	}
	switch s.mode {
	case Expired:
		tmpl.NextUpdate = now.Add(-skew)
		tmpl.ThisUpdate = tmpl.NextUpdate.Add(-max(s.nextUpdate, time.Hour))
	case FutureThisUpdate:
		tmpl.ThisUpdate = now.Add(skew)
		if s.nextUpdate > 0 {
			tmpl.NextUpdate = tmpl.ThisUpdate.Add(s.nextUpdate)
		}
	}
	// producedAt is thisUpdate: a stale cached response (Expired) or a
	// responder with a fast clock (FutureThisUpdate) would say so too.
	producedAt := tmpl.ThisUpdate
	o.status(is, req.SerialNumber, &tmpl)

	responderCert, signer := is.Cert, is.Key
	switch s.mode {
	case WrongKey:
		if signer, err = o.unrelatedKey(); err != nil {
			return nil, err
		}
	case Delegated, DelegatedNoEKU:
		d, err := o.delegate(is, s.mode == Delegated)
		if err != nil {
			return nil, err
		}
		responderCert, signer, tmpl.Certificate = d.Cert, d.Key, d.Cert
	}
	der, err := ocsp.CreateResponse(is.Cert, responderCert, tmpl, signer)
	if err != nil {
		return nil, err
	}
	return setProducedAt(der, producedAt, signer)
}

// status fills in the certificate status of serial: unknown if SetUnknown,
// revoked if Revoke, else good.
func (o *OCSPResponder) status(is *Issuer, serial *big.Int, tmpl *ocsp.Response) {
	o.mu.Lock()
	defer o.mu.Unlock()
	hex := serial.Text(16)
	if o.unknown[hex] {
		tmpl.Status = ocsp.Unknown
		return
	}
	if r, ok := o.revoked[revKey{is.Name, hex}]; ok {
		tmpl.Status, tmpl.RevokedAt, tmpl.RevocationReason = ocsp.Revoked, r.at, r.reason
		return
	}
	tmpl.Status = ocsp.Good
}

// findIssuer returns the issuer whose name and key hashes match the
// request's CertID, trying the one named in the URL first.
func (o *OCSPResponder) findIssuer(nameHint string, req *ocsp.Request) *Issuer {
	if !req.HashAlgorithm.Available() {
		return nil
	}
	candidates := o.env.issuers()
	if is := o.env.lookup(nameHint); is != nil {
		candidates = append([]*Issuer{is}, candidates...)
	}
	for _, is := range candidates {
		bits, err := spkiBits(is.Cert.RawSubjectPublicKeyInfo)
		if err != nil {
			continue
		}
		h := req.HashAlgorithm.New()
		h.Write(is.Cert.RawSubject)
		if !bytes.Equal(h.Sum(nil), req.IssuerNameHash) {
			continue
		}
		h.Reset()
		h.Write(bits)
		if bytes.Equal(h.Sum(nil), req.IssuerKeyHash) {
			return is
		}
	}
	return nil
}

// unrelatedKey is the key WrongKey mode signs with, made on first use.
func (o *OCSPResponder) unrelatedKey() (crypto.Signer, error) {
	o.mu.Lock()
	defer o.mu.Unlock()
	if o.wrongKey == nil {
		k, err := generateKey(0)
		if err != nil {
			return nil, err
		}
		o.wrongKey = k
	}
	return o.wrongKey, nil
}

// delegate returns the delegated responder certificate of is (RFC 6960
// §4.2.2.2), issued on first use: CN "<issuer CN> OCSP Responder", the
// issuer's validity, keyUsage digitalSignature, id-pkix-ocsp-nocheck, no
// AIA or CRL distribution point, and the id-kp-OCSPSigning EKU only when
// eku is true (otherwise no EKU extension at all).
func (o *OCSPResponder) delegate(is *Issuer, eku bool) (*Leaf, error) {
	o.mu.Lock()
	defer o.mu.Unlock()
	k := delegateKey{is.Name, eku}
	if d := o.delegates[k]; d != nil {
		return d, nil
	}
	cfg := &certConfig{
		validity:  true,
		notBefore: is.Cert.NotBefore,
		notAfter:  is.Cert.NotAfter,
		mutate: []func(*x509.Certificate){func(t *x509.Certificate) {
			t.KeyUsage = x509.KeyUsageDigitalSignature
			t.ExtKeyUsage = nil
			if eku {
				t.ExtKeyUsage = []x509.ExtKeyUsage{x509.ExtKeyUsageOCSPSigning}
			}
			t.OCSPServer, t.IssuingCertificateURL, t.CRLDistributionPoints = nil, nil, nil
			t.ExtraExtensions = append(t.ExtraExtensions, pkix.Extension{
				Id:    asn1.ObjectIdentifier{1, 3, 6, 1, 5, 5, 7, 48, 1, 5}, // id-pkix-ocsp-nocheck
				Value: []byte{0x05, 0x00},                                   // NULL
			})
		}},
	}
	subject := pkix.Name{
		CommonName:   is.Cert.Subject.CommonName + " OCSP Responder",
		Organization: is.Cert.Subject.Organization,
		Country:      is.Cert.Subject.Country,
	}
	cert, key, err := o.env.issue(is, kindLeaf, subject, cfg)
	if err != nil {
		return nil, fmt.Errorf("testpki: issuing delegated OCSP responder: %w", err)
	}
	d := &Leaf{Cert: cert, Key: key, Issuer: is}
	o.delegates[k] = d
	return d, nil
}

// The OCSP structures of RFC 6960 §4.2.1, as far as setProducedAt needs
// them (x/crypto/ocsp does not export its own).
type ocspResponseASN1 struct {
	Status   asn1.Enumerated
	Response ocspResponseBytes `asn1:"explicit,tag:0,optional"`
}

type ocspResponseBytes struct {
	ResponseType asn1.ObjectIdentifier
	Response     []byte
}

type ocspBasicResponse struct {
	TBSResponseData    asn1.RawValue
	SignatureAlgorithm pkix.AlgorithmIdentifier
	Signature          asn1.BitString
	Certificates       []asn1.RawValue `asn1:"explicit,tag:0,optional"`
}

type ocspResponseData struct {
	Version     int `asn1:"optional,default:0,explicit,tag:0"`
	ResponderID asn1.RawValue
	ProducedAt  time.Time `asn1:"generalized"`
	Responses   asn1.RawValue
}

// setProducedAt rewrites producedAt in a successful response made by
// ocsp.CreateResponse, which always stamps the real time, and signs it
// again with signer and the same algorithm.
func setProducedAt(der []byte, t time.Time, signer crypto.Signer) ([]byte, error) {
	var resp ocspResponseASN1
	if _, err := asn1.Unmarshal(der, &resp); err != nil {
		return nil, err
	}
	var basic ocspBasicResponse
	if _, err := asn1.Unmarshal(resp.Response.Response, &basic); err != nil {
		return nil, err
	}
	var tbs ocspResponseData
	if _, err := asn1.Unmarshal(basic.TBSResponseData.FullBytes, &tbs); err != nil {
		return nil, err
	}
	tbs.ProducedAt = t.UTC()
	tbsDER, err := asn1.Marshal(tbs)
	if err != nil {
		return nil, err
	}
	hash, err := signatureHash(basic.SignatureAlgorithm.Algorithm)
	if err != nil {
		return nil, err
	}
	h := hash.New()
	h.Write(tbsDER)
	sig, err := signer.Sign(rand.Reader, h.Sum(nil), hash)
	if err != nil {
		return nil, err
	}
	basic.TBSResponseData = asn1.RawValue{FullBytes: tbsDER}
	basic.Signature = asn1.BitString{Bytes: sig, BitLength: 8 * len(sig)}
	if resp.Response.Response, err = asn1.Marshal(basic); err != nil {
		return nil, err
	}
	return asn1.Marshal(resp)
}

// signatureHash maps the signature algorithms ocsp.CreateResponse uses to
// their hash.
func signatureHash(alg asn1.ObjectIdentifier) (crypto.Hash, error) {
	switch alg.String() {
	case "1.2.840.113549.1.1.5", "1.2.840.10045.4.1":
		return crypto.SHA1, nil
	case "1.2.840.113549.1.1.11", "1.2.840.10045.4.3.2":
		return crypto.SHA256, nil
	case "1.2.840.113549.1.1.12", "1.2.840.10045.4.3.3":
		return crypto.SHA384, nil
	case "1.2.840.113549.1.1.13", "1.2.840.10045.4.3.4":
		return crypto.SHA512, nil
	}
	return 0, fmt.Errorf("testpki: unexpected OCSP signature algorithm %s", alg)
}
