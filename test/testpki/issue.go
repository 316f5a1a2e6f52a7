package testpki

import (
	"crypto"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/rsa"
	"crypto/sha1"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/asn1"
	"errors"
	"fmt"
	"math/big"
	"time"
)

// Issuer is a CA of a test PKI: a root (PKI.NewRoot) or a subordinate CA
// (Issuer.IssueCA). It is registered with the PKI's OCSP responder and CRL
// server, which answer for every certificate it issues.
//
// The URL fields say where the status of certificates issued BY this CA is
// served; they are what its children carry in their AIA and CRL
// distribution point extensions. An Issuer not made by this package (a
// struct literal) cannot issue.
type Issuer struct {
	// Cert is the CA certificate.
	Cert *x509.Certificate
	// Key is the CA's private key.
	Key crypto.Signer
	// Parent is the CA that issued Cert; nil for a self-signed root.
	Parent *Issuer
	// Name identifies the CA in URLs: [a-z0-9-]+, unique within the PKI.
	Name string
	// OCSPURL is <ocsp-server>/ocsp/<Name>, the AIA id-ad-ocsp of children.
	OCSPURL string
	// CRLURL is <crl-server>/crl/<Name>.crl, the CRL distribution point of
	// children.
	CRLURL string
	// CertURL is <crl-server>/cert/<Name>.cer, which serves Cert in DER;
	// it is the AIA id-ad-caIssuers of children.
	CertURL string

	env *env
}

// Leaf is an end-entity certificate and its private key.
type Leaf struct {
	// Cert is the end-entity certificate.
	Cert *x509.Certificate
	// Key is its private key: the one given with WithKey, else generated.
	Key crypto.Signer
	// Issuer is the CA that issued Cert.
	Issuer *Issuer
}

// Chain returns the certificate path from this CA up to its root: Cert
// first, the self-signed root last.
func (is *Issuer) Chain() []*x509.Certificate {
	var chain []*x509.Certificate
	for c := is; c != nil; c = c.Parent {
		chain = append(chain, c.Cert)
	}
	return chain
}

// Chain returns the leaf's certificate path: the leaf first, then its
// issuer and so on up to the self-signed root.
func (l *Leaf) Chain() []*x509.Certificate {
	return append([]*x509.Certificate{l.Cert}, l.Issuer.Chain()...)
}

// CertOption changes how one certificate is issued. Options apply in order;
// WithMutate hooks run last, on the finished template, just before signing.
type CertOption func(*certConfig)

type certConfig struct {
	key       crypto.Signer
	rsaBits   int
	notBefore time.Time
	notAfter  time.Time
	validity  bool
	sigAlg    x509.SignatureAlgorithm
	subject   *pkix.Name
	name      string
	mutate    []func(*x509.Certificate)
}

// WithMutate registers a hook that edits the template after the defaults
// are filled in and before it is signed. Use it for anything the other
// options do not cover: policies, name constraints, path length, removing
// AIA or CRL distribution points, odd key usages.
//
// x509.CreateCertificate overwrites AuthorityKeyId with the issuer's
// SubjectKeyId unless the certificate is self-signed; to force a different
// authority key identifier add the extension to ExtraExtensions. Setting
// PublicKey has no effect: use WithKey.
func WithMutate(f func(*x509.Certificate)) CertOption {
	return func(c *certConfig) { c.mutate = append(c.mutate, f) }
}

// WithKey certifies the public half of key instead of a freshly generated
// P-256 key. The resulting Issuer or Leaf carries key as its Key.
func WithKey(key crypto.Signer) CertOption {
	return func(c *certConfig) { c.key = key }
}

// WithRSA generates an RSA key of the given size instead of P-256, for
// SHA-1 and weak-key tests. Go refuses sizes below 1024 bits unless
// GODEBUG=rsa1024min=0.
func WithRSA(bits int) CertOption {
	return func(c *certConfig) { c.rsaBits = bits }
}

// WithValidity sets notBefore and notAfter instead of the defaults (clock
// now minus an hour, plus one year for leaves and ten years for CAs).
func WithValidity(notBefore, notAfter time.Time) CertOption {
	return func(c *certConfig) {
		c.notBefore, c.notAfter, c.validity = notBefore, notAfter, true
	}
}

// WithSignatureAlgorithm makes the issuer sign with alg instead of the
// default for its key (ECDSA-SHA256 or SHA256-RSA). x509.SHA1WithRSA needs
// an RSA issuer (see WithRSA) and works with Go 1.26's
// x509.CreateCertificate, which still signs with SHA-1 (it only refuses to
// verify such signatures).
func WithSignatureAlgorithm(alg x509.SignatureAlgorithm) CertOption {
	return func(c *certConfig) { c.sigAlg = alg }
}

// WithSubject sets the whole subject of a CA certificate issued by
// Issuer.IssueCA; its CommonName defaults to the name argument when empty.
// It has no effect on IssueLeaf, which takes the subject directly.
func WithSubject(subject pkix.Name) CertOption {
	return func(c *certConfig) { c.subject = &subject }
}

// WithName sets the CA's URL name (Issuer.Name), which otherwise derives
// from its common name: lower-case ASCII with Vietnamese diacritics
// removed and other characters turned into '-'. A name already taken gets
// a numeric suffix. It has no effect on leaves.
func WithName(name string) CertOption {
	return func(c *certConfig) { c.name = name }
}

// UIDAttribute returns the subject attribute userId (OID
// 0.9.2342.19200300.100.1.1, RFC 4519 §2.39) with the given value, the
// place Vietnamese CAs put identifiers such as "CCCD:001099012345",
// "CMND:012345678" or "MST:0101234567". Put it in pkix.Name.ExtraNames; Go
// encodes it as a PrintableString when it can, else as a UTF8String.
func UIDAttribute(value string) pkix.AttributeTypeAndValue {
	return pkix.AttributeTypeAndValue{
		Type:  asn1.ObjectIdentifier{0, 9, 2342, 19200300, 100, 1, 1},
		Value: value,
	}
}

// certKind says which defaults a certificate gets.
type certKind int

const (
	kindCA certKind = iota
	kindLeaf
)

// IssueCA issues a subordinate CA certificate with subject CN=name (or the
// subject given with WithSubject) and registers the new CA with the OCSP
// responder and CRL server.
//
// Defaults (RFC 5280 §4.2 and the profile of Vietnamese CAs): a random
// 128-bit serial; critical basicConstraints CA:TRUE without a path length;
// critical keyUsage keyCertSign|cRLSign; subject key identifier (SHA-1 of
// the public key, RFC 5280 §4.2.1.2 method 1); authority key identifier =
// is's subject key identifier; AIA with OCSP (is.OCSPURL) and caIssuers
// (is.CertURL); CRL distribution point is.CRLURL; validity from clock now
// minus an hour to ten years later.
func (is *Issuer) IssueCA(name string, opts ...CertOption) (*Issuer, error) {
	if is == nil || is.env == nil {
		return nil, errors.New("testpki: IssueCA on an Issuer not created by this package")
	}
	cfg := newConfig(opts)
	subject := pkix.Name{CommonName: name}
	if cfg.subject != nil {
		subject = *cfg.subject
		if subject.CommonName == "" {
			subject.CommonName = name
		}
	}
	cert, key, err := is.env.issue(is, kindCA, subject, cfg)
	if err != nil {
		return nil, fmt.Errorf("testpki: issuing CA %q: %w", name, err)
	}
	return is.env.register(cert, key, is, cfg.name), nil
}

// IssueLeaf issues an end-entity certificate for subject.
//
// Defaults: a random 128-bit serial; basicConstraints CA:FALSE; critical
// keyUsage digitalSignature|contentCommitment (nonRepudiation); extended
// key usage clientAuth and emailProtection; subject and authority key
// identifiers; AIA with OCSP and caIssuers; CRL distribution point;
// validity from clock now minus an hour to one year later.
func (is *Issuer) IssueLeaf(subject pkix.Name, opts ...CertOption) (*Leaf, error) {
	if is == nil || is.env == nil {
		return nil, errors.New("testpki: IssueLeaf on an Issuer not created by this package")
	}
	cert, key, err := is.env.issue(is, kindLeaf, subject, newConfig(opts))
	if err != nil {
		return nil, fmt.Errorf("testpki: issuing leaf %q: %w", subject.CommonName, err)
	}
	return &Leaf{Cert: cert, Key: key, Issuer: is}, nil
}

// CrossCertify issues a CA certificate that certifies other's subject (the
// exact encoded bytes) and public key, with other's subject key identifier,
// signed by is: a cross-certificate from is's hierarchy into other's. It
// gets the CA defaults of IssueCA; WithKey, WithRSA, WithSubject and
// WithName are ignored. The result is not registered as an issuer: other
// already is.
func (is *Issuer) CrossCertify(other *Issuer, opts ...CertOption) (*x509.Certificate, error) {
	if is == nil || is.env == nil {
		return nil, errors.New("testpki: CrossCertify on an Issuer not created by this package")
	}
	cfg := newConfig(opts)
	cfg.key = nil
	cfg.mutate = append([]func(*x509.Certificate){func(t *x509.Certificate) {
		t.RawSubject = other.Cert.RawSubject
		t.SubjectKeyId = other.Cert.SubjectKeyId
	}}, cfg.mutate...)
	cert, _, err := is.env.issueFor(is, kindCA, other.Cert.Subject, cfg, other.Cert.PublicKey, nil)
	if err != nil {
		return nil, fmt.Errorf("testpki: cross-certifying %q: %w", other.Cert.Subject.CommonName, err)
	}
	return cert, nil
}

func newConfig(opts []CertOption) *certConfig {
	cfg := &certConfig{}
	for _, o := range opts {
		o(cfg)
	}
	return cfg
}

// issue makes a key (unless cfg has one) and a certificate for it, signed
// by parent, or self-signed when parent is nil.
func (e *env) issue(parent *Issuer, kind certKind, subject pkix.Name, cfg *certConfig) (*x509.Certificate, crypto.Signer, error) {
	key := cfg.key
	if key == nil {
		var err error
		if key, err = generateKey(cfg.rsaBits); err != nil {
			return nil, nil, err
		}
	}
	return e.issueFor(parent, kind, subject, cfg, key.Public(), key)
}

// issueFor certifies pub; key is its private half, needed only to
// self-sign (parent nil).
func (e *env) issueFor(parent *Issuer, kind certKind, subject pkix.Name, cfg *certConfig, pub crypto.PublicKey, key crypto.Signer) (*x509.Certificate, crypto.Signer, error) {
	ski, err := subjectKeyID(pub)
	if err != nil {
		return nil, nil, err
	}
	serial, err := randomSerial()
	if err != nil {
		return nil, nil, err
	}
	now := e.clock.Now()
	tmpl := &x509.Certificate{
		SerialNumber:          serial,
		Subject:               subject,
		NotBefore:             now.Add(-time.Hour),
		SubjectKeyId:          ski,
		SignatureAlgorithm:    cfg.sigAlg,
		BasicConstraintsValid: true,
	}
	switch kind {
	case kindCA:
		tmpl.NotAfter = now.AddDate(10, 0, 0)
		tmpl.IsCA = true
		tmpl.MaxPathLen = -1
		tmpl.KeyUsage = x509.KeyUsageCertSign | x509.KeyUsageCRLSign
	case kindLeaf:
		tmpl.NotAfter = now.AddDate(1, 0, 0)
		tmpl.KeyUsage = x509.KeyUsageDigitalSignature | x509.KeyUsageContentCommitment
		tmpl.ExtKeyUsage = []x509.ExtKeyUsage{x509.ExtKeyUsageClientAuth, x509.ExtKeyUsageEmailProtection}
	}
	if cfg.validity {
		tmpl.NotBefore, tmpl.NotAfter = cfg.notBefore, cfg.notAfter
	}
	parentCert, signer := tmpl, key
	if parent != nil {
		parentCert, signer = parent.Cert, parent.Key
		tmpl.AuthorityKeyId = parent.Cert.SubjectKeyId
		tmpl.OCSPServer = []string{parent.OCSPURL}
		tmpl.IssuingCertificateURL = []string{parent.CertURL}
		tmpl.CRLDistributionPoints = []string{parent.CRLURL}
	}
	for _, m := range cfg.mutate {
		m(tmpl)
	}
	if signer == nil {
		return nil, nil, errors.New("no key to sign with")
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, parentCert, pub, signer)
	if err != nil {
		return nil, nil, err
	}
	cert, err := x509.ParseCertificate(der)
	if err != nil {
		return nil, nil, err
	}
	return cert, key, nil
}

// generateKey returns a new P-256 key, or an RSA key when rsaBits > 0.
// Keys are not cached: P-256 generation takes microseconds.
func generateKey(rsaBits int) (crypto.Signer, error) {
	if rsaBits > 0 {
		return rsa.GenerateKey(rand.Reader, rsaBits)
	}
	return ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
}

// randomSerial returns a positive random serial of at most 128 bits
// (CA/Browser Forum practice; RFC 5280 §4.1.2.2 allows up to 20 octets).
func randomSerial() (*big.Int, error) {
	limit := new(big.Int).Lsh(big.NewInt(1), 128)
	for {
		n, err := rand.Int(rand.Reader, limit)
		if err != nil {
			return nil, err
		}
		if n.Sign() > 0 {
			return n, nil
		}
	}
}

// subjectKeyID is the SHA-1 hash of the subjectPublicKey bits (RFC 5280
// §4.2.1.2, method 1).
func subjectKeyID(pub crypto.PublicKey) ([]byte, error) {
	bits, err := publicKeyBits(pub)
	if err != nil {
		return nil, err
	}
	sum := sha1.Sum(bits)
	return sum[:], nil
}

// publicKeyBits returns the contents of the subjectPublicKey BIT STRING.
func publicKeyBits(pub crypto.PublicKey) ([]byte, error) {
	der, err := x509.MarshalPKIXPublicKey(pub)
	if err != nil {
		return nil, err
	}
	return spkiBits(der)
}

func spkiBits(spki []byte) ([]byte, error) {
	var info struct {
		Algorithm pkix.AlgorithmIdentifier
		PublicKey asn1.BitString
	}
	if _, err := asn1.Unmarshal(spki, &info); err != nil {
		return nil, err
	}
	return info.PublicKey.RightAlign(), nil
}
