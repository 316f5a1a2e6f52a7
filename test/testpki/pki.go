// Package testpki builds, in code and in milliseconds, a test PKI shaped
// like Vietnam's two hierarchies (the public one under the National Root
// CA and the government one under the Government Cipher Committee root),
// with a fake OCSP responder and CRL server on loopback whose behaviour
// tests can change while they run.
//
// Everything takes its time from an injected Clock. Keys are P-256 unless
// an option asks for RSA. Nothing here is safe to use outside tests and the
// demo command: keys are throwaway and the servers trust every request.
//
// Typical use:
//
//	p, err := testpki.New(testpki.Options{Now: now})
//	if err != nil { t.Fatal(err) }
//	t.Cleanup(p.Close)
//	leaf := p.Public.Citizen
//	p.Revoke(leaf.Issuer, leaf.Cert.SerialNumber, now, ocsp.KeyCompromise)
//	p.OCSP.SetMode(testpki.Slow)
package testpki

import (
	"crypto"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/pem"
	"fmt"
	"math/big"
	"strings"
	"sync"
	"time"
	"unicode"
)

// Identifiers carried in the subject UID attribute of the built-in leaves.
const (
	// CitizenUID is the UID of PKI.Public.Citizen (citizen ID card number).
	CitizenUID = "CCCD:001099012345"
	// BusinessUID is the UID of PKI.Public.Business (tax code).
	BusinessUID = "MST:0101234567"
	// OfficialUID is the UID of PKI.Gov.Official (old ID card number).
	OfficialUID = "CMND:012345678"
)

// Options says how New builds a PKI. The zero value builds both
// hierarchies at the current real time, without a cross-certificate.
type Options struct {
	// Now is the starting time of the PKI's stopped Clock. Zero means
	// time.Now() when New runs. Ignored when Clock is set.
	Now time.Time
	// Clock, when set, is used as the PKI's clock (for example a clock
	// shared with the code under test, or NewRunningClock for a demo).
	Clock *Clock
	// Cross makes New also issue PKI.Cross: the government root's subject
	// and key certified by the public root.
	Cross bool
}

// PKI is a test PKI of both hierarchies with its OCSP responder and CRL
// server. Build one with New and stop its servers with Close.
type PKI struct {
	// Clock is the time source of every certificate, response and CRL.
	Clock *Clock
	// OCSP answers for every Issuer of the PKI.
	OCSP *OCSPResponder
	// CRL serves a CRL and the certificate of every Issuer of the PKI.
	CRL *CRLServer
	// Public is the public hierarchy.
	Public PublicHierarchy
	// Gov is the government hierarchy.
	Gov GovHierarchy
	// Cross is the cross-certificate from the public root to the
	// government root when Options.Cross was set, else nil. Its subject
	// and key are Gov.Root's, its issuer is Public.Root.
	Cross *x509.Certificate

	env *env
}

// PublicHierarchy is the public side: National Root CA -> licensed CA ->
// citizens and businesses.
type PublicHierarchy struct {
	// Root is "CN=Test Vietnam National Root CA,O=Test NEAC,C=VN" (URL name
	// public-root).
	Root *Issuer
	// CA is "CN=Test VNPT-CA,O=Test VNPT,C=VN" (URL name vnpt-ca).
	CA *Issuer
	// Citizen is "CN=NGUYEN VAN A", UID CitizenUID, L=Hà Nội, C=VN.
	Citizen *Leaf
	// Business is "CN=CONG TY TNHH THU NGHIEM", the same O, UID
	// BusinessUID, L=Hà Nội, C=VN.
	Business *Leaf
}

// GovHierarchy is the government side: Government Cipher Committee root ->
// government CA -> officials.
type GovHierarchy struct {
	// Root is "CN=Test RootCA chuyên dùng Chính phủ,O=Ban Cơ yếu Chính
	// phủ,C=VN" (URL name gov-root).
	Root *Issuer
	// CA is "CN=Test CA phục vụ các cơ quan Nhà nước,O=Ban Cơ yếu Chính
	// phủ,C=VN" (URL name gov-ca).
	CA *Issuer
	// Official is "CN=TRAN THI B,O=Bộ Tài chính,C=VN" with UID OfficialUID.
	Official *Leaf
}

// env is what issuance and the servers share: the clock, the server base
// URLs and the registry of issuers.
type env struct {
	clock    *Clock
	ocspBase string // set once in New, before any issuance
	crlBase  string

	mu     sync.RWMutex
	byName map[string]*Issuer
	list   []*Issuer
}

// New starts the OCSP responder and CRL server, then issues both
// hierarchies (and the cross-certificate when asked) so that every
// certificate points at those servers. On error it stops the servers.
func New(opts Options) (*PKI, error) {
	clk := opts.Clock
	if clk == nil {
		now := opts.Now
		if now.IsZero() {
			now = time.Now()
		}
		clk = NewClock(now)
	}
	e := &env{clock: clk, byName: map[string]*Issuer{}}
	p := &PKI{Clock: clk, env: e}
	var err error
	if p.OCSP, err = newOCSPResponder(e); err != nil {
		return nil, err
	}
	if p.CRL, err = newCRLServer(e); err != nil {
		p.OCSP.Close()
		return nil, err
	}
	e.ocspBase, e.crlBase = p.OCSP.URL(), p.CRL.URL()
	if err := p.build(opts); err != nil {
		p.Close()
		return nil, err
	}
	return p, nil
}

func (p *PKI) build(opts Options) error {
	var err error
	vn := []string{"VN"}
	hanoi := []string{"Hà Nội"}
	pub := &p.Public
	if pub.Root, err = p.NewRoot(pkix.Name{CommonName: "Test Vietnam National Root CA",
		Organization: []string{"Test NEAC"}, Country: vn}, WithName("public-root")); err != nil {
		return err
	}
	if pub.CA, err = pub.Root.IssueCA("Test VNPT-CA", WithName("vnpt-ca"),
		WithSubject(pkix.Name{Organization: []string{"Test VNPT"}, Country: vn})); err != nil {
		return err
	}
	if pub.Citizen, err = pub.CA.IssueLeaf(pkix.Name{CommonName: "NGUYEN VAN A", Locality: hanoi,
		Country: vn, ExtraNames: []pkix.AttributeTypeAndValue{UIDAttribute(CitizenUID)}}); err != nil {
		return err
	}
	if pub.Business, err = pub.CA.IssueLeaf(pkix.Name{CommonName: "CONG TY TNHH THU NGHIEM",
		Organization: []string{"CONG TY TNHH THU NGHIEM"}, Locality: hanoi, Country: vn,
		ExtraNames: []pkix.AttributeTypeAndValue{UIDAttribute(BusinessUID)}}); err != nil {
		return err
	}

	gov := &p.Gov
	cipher := []string{"Ban Cơ yếu Chính phủ"}
	if gov.Root, err = p.NewRoot(pkix.Name{CommonName: "Test RootCA chuyên dùng Chính phủ",
		Organization: cipher, Country: vn}, WithName("gov-root")); err != nil {
		return err
	}
	if gov.CA, err = gov.Root.IssueCA("Test CA phục vụ các cơ quan Nhà nước", WithName("gov-ca"),
		WithSubject(pkix.Name{Organization: cipher, Country: vn})); err != nil {
		return err
	}
	if gov.Official, err = gov.CA.IssueLeaf(pkix.Name{CommonName: "TRAN THI B",
		Organization: []string{"Bộ Tài chính"}, Country: vn,
		ExtraNames: []pkix.AttributeTypeAndValue{UIDAttribute(OfficialUID)}}); err != nil {
		return err
	}

	if opts.Cross {
		if p.Cross, err = pub.Root.CrossCertify(gov.Root); err != nil {
			return err
		}
	}
	return nil
}

// NewRoot creates a self-signed root CA for subject with the CA defaults of
// Issuer.IssueCA, minus what a root does not carry (authority key
// identifier, AIA, CRL distribution point), and registers it with the
// servers. Use it to build hierarchies beyond the two built-in ones.
func (p *PKI) NewRoot(subject pkix.Name, opts ...CertOption) (*Issuer, error) {
	cfg := newConfig(opts)
	cert, key, err := p.env.issue(nil, kindCA, subject, cfg)
	if err != nil {
		return nil, fmt.Errorf("testpki: creating root %q: %w", subject.CommonName, err)
	}
	return p.env.register(cert, key, nil, cfg.name), nil
}

// Issuers returns every CA of the PKI in creation order.
func (p *PKI) Issuers() []*Issuer {
	p.env.mu.RLock()
	defer p.env.mu.RUnlock()
	return append([]*Issuer(nil), p.env.list...)
}

// Issuer returns the CA with the given URL name, or nil.
func (p *PKI) Issuer(name string) *Issuer {
	return p.env.lookup(name)
}

// Revoke marks serial, issued by issuer, revoked at the given time for the
// given CRLReason (RFC 5280 §5.3.1; the ocsp package has constants) in
// both the OCSP responder and the CRL server. A zero time means clock now.
func (p *PKI) Revoke(issuer *Issuer, serial *big.Int, at time.Time, reason int) {
	p.OCSP.Revoke(issuer, serial, at, reason)
	p.CRL.Revoke(issuer, serial, at, reason)
}

// Close stops both servers. It waits for requests in progress, which Slow
// mode abandons at once. Close may be called more than once.
func (p *PKI) Close() {
	p.OCSP.Close()
	p.CRL.Close()
}

// PEM encodes certs as concatenated PEM CERTIFICATE blocks.
func PEM(certs ...*x509.Certificate) []byte {
	var b []byte
	for _, c := range certs {
		b = append(b, pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: c.Raw})...)
	}
	return b
}

// register records a new CA under a unique URL name.
func (e *env) register(cert *x509.Certificate, key crypto.Signer, parent *Issuer, name string) *Issuer {
	if name == "" {
		name = slug(cert.Subject.CommonName)
	}
	e.mu.Lock()
	defer e.mu.Unlock()
	unique := name
	for i := 2; e.byName[unique] != nil; i++ {
		unique = fmt.Sprintf("%s-%d", name, i)
	}
	is := &Issuer{
		Cert:    cert,
		Key:     key,
		Parent:  parent,
		Name:    unique,
		OCSPURL: e.ocspBase + "/ocsp/" + unique,
		CRLURL:  e.crlBase + "/crl/" + unique + ".crl",
		CertURL: e.crlBase + "/cert/" + unique + ".cer",
		env:     e,
	}
	e.byName[unique] = is
	e.list = append(e.list, is)
	return is
}

func (e *env) lookup(name string) *Issuer {
	e.mu.RLock()
	defer e.mu.RUnlock()
	return e.byName[name]
}

func (e *env) issuers() []*Issuer {
	e.mu.RLock()
	defer e.mu.RUnlock()
	return append([]*Issuer(nil), e.list...)
}

// slug turns a common name into a URL name: lower-case ASCII letters and
// digits, Vietnamese letters without their diacritics, runs of anything
// else as one '-'.
func slug(s string) string {
	var b strings.Builder
	dash := false
	for _, r := range strings.ToLower(s) {
		r = foldVietnamese(r)
		if r < unicode.MaxASCII && (unicode.IsLetter(r) || unicode.IsDigit(r)) {
			if dash && b.Len() > 0 {
				b.WriteByte('-')
			}
			b.WriteRune(r)
			dash = false
			continue
		}
		dash = true
	}
	if b.Len() == 0 {
		return "ca"
	}
	return b.String()
}

// foldVietnamese maps a lower-case Vietnamese letter to its base letter.
func foldVietnamese(r rune) rune {
	const (
		a = "àáạảãâầấậẩẫăằắặẳẵ"
		e = "èéẹẻẽêềếệểễ"
		i = "ìíịỉĩ"
		o = "òóọỏõôồốộổỗơờớợởỡ"
		u = "ùúụủũưừứựửữ"
		y = "ỳýỵỷỹ"
	)
	switch {
	case r < unicode.MaxASCII:
		return r
	case strings.ContainsRune(a, r):
		return 'a'
	case strings.ContainsRune(e, r):
		return 'e'
	case strings.ContainsRune(i, r):
		return 'i'
	case strings.ContainsRune(o, r):
		return 'o'
	case strings.ContainsRune(u, r):
		return 'u'
	case strings.ContainsRune(y, r):
		return 'y'
	case r == 'đ':
		return 'd'
	}
	return r
}
