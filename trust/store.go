// Package trust holds lienthong's combined trust store: the trust domains of
// Vietnam's public hierarchy (National Root CA and the licensed CAs under it)
// and of the government-dedicated hierarchy (Government Cipher Committee),
// each with its anchors and intermediates, plus cross-certificates.
//
// A Store is immutable once built: readers never lock, and a reload builds a
// new Store and swaps it in (see Holder). Certificates are identified by
// SHA-256 fingerprint and by public key, never by name alone: real look-alike
// CAs carry the same subject DN as real Vietnamese roots with other keys.
package trust

import (
	"bytes"
	"crypto/sha256"
	"crypto/x509"
	"encoding/hex"
	"errors"
	"fmt"
	"regexp"
	"sort"
	"strings"
)

// Hierarchy says which side of the interconnection a trust domain belongs to.
type Hierarchy string

// The hierarchies of DESIGN.md.
const (
	Public     Hierarchy = "public"
	Government Hierarchy = "government"
	Other      Hierarchy = "other"
)

// ParseHierarchy validates a hierarchy name from configuration.
func ParseHierarchy(s string) (Hierarchy, error) {
	switch h := Hierarchy(s); h {
	case Public, Government, Other:
		return h, nil
	}
	return "", fmt.Errorf("hierarchy %q is not one of public, government, other", s)
}

// Role is the part a certificate plays in the store.
type Role int

// Roles. An anchor ends a path; an intermediate or cross-certificate is only
// a candidate for path building and is trusted only through an anchor.
const (
	RoleAnchor Role = iota + 1
	RoleIntermediate
	RoleCross
)

func (r Role) String() string {
	switch r {
	case RoleAnchor:
		return "anchor"
	case RoleIntermediate:
		return "intermediate"
	case RoleCross:
		return "cross"
	}
	return "unknown"
}

// Fingerprint is the SHA-256 of a certificate's DER encoding.
type Fingerprint [32]byte

// Hex returns the lower-case hex form used in reports.
func (f Fingerprint) Hex() string { return hex.EncodeToString(f[:]) }

// Cert is a certificate as the store knows it. SHA256 identifies the
// certificate; KeyHash (SHA-256 of SubjectPublicKeyInfo) with SubjectKey
// identifies the entity (RFC 5280 §6.1.1 d: a trust anchor is a name and a
// key). Domain is nil for cross-certificates, which belong to no domain.
type Cert struct {
	X509       *x509.Certificate
	SHA256     Fingerprint
	KeyHash    [32]byte
	SubjectKey string // CanonicalName(RawSubject)
	IssuerKey  string // CanonicalName(RawIssuer)
	SubjectDN  string // DN(RawSubject), for reports
	Role       Role
	Domain     *Domain
}

// NewCert computes the identifiers of c. It fails only if c's names are not
// valid DER, which crypto/x509 would already have refused.
func NewCert(c *x509.Certificate) (*Cert, error) {
	sk, err := CanonicalName(c.RawSubject)
	if err != nil {
		return nil, fmt.Errorf("subject: %w", err)
	}
	ik, err := CanonicalName(c.RawIssuer)
	if err != nil {
		return nil, fmt.Errorf("issuer: %w", err)
	}
	return &Cert{
		X509:       c,
		SHA256:     sha256.Sum256(c.Raw),
		KeyHash:    sha256.Sum256(c.RawSubjectPublicKeyInfo),
		SubjectKey: sk,
		IssuerKey:  ik,
		SubjectDN:  DN(c.RawSubject),
	}, nil
}

// Domain is one trust domain: its anchors and the intermediates offered for
// path building under them. Policies are the certificate policy OIDs its end
// entities must carry (empty = any); they are stored here so that reports and
// path validation read one immutable value.
type Domain struct {
	Name          string
	Hierarchy     Hierarchy
	Anchors       []*Cert
	Intermediates []*Cert
	Policies      []string
}

// DomainSpec is the input for one domain of New.
type DomainSpec struct {
	Name          string
	Hierarchy     Hierarchy
	Anchors       []*x509.Certificate
	Intermediates []*x509.Certificate
	Policies      []string
}

// Store is an immutable combined trust store. The zero value is not usable;
// build one with New. All methods are safe for concurrent use.
type Store struct {
	domains   []*Domain
	cross     []*Cert
	all       []*Cert // every distinct entry (anchor entries first)
	bySubject map[string][]*Cert
	bySKI     map[string][]*Cert
	byFP      map[Fingerprint][]*Cert
	anchors   map[string][]*Cert // key: SubjectKey + "\x00" + KeyHash
	digest    string
}

var domainName = regexp.MustCompile(`^[a-z0-9-]+$`)

// New builds a Store. It refuses: no domain, a bad or duplicate domain name,
// an unknown hierarchy, a domain without anchors, a non-CA certificate as
// anchor, intermediate or cross-certificate (basicConstraints cA must be
// true), and one certificate that is an anchor of two domains (the report
// could not say which side it reached). Duplicates within one role of a
// domain are dropped (dedup by SHA-256 fingerprint).
func New(specs []DomainSpec, cross []*x509.Certificate) (*Store, error) {
	if len(specs) == 0 {
		return nil, errors.New("trust store: no trust domain")
	}
	s := &Store{
		bySubject: map[string][]*Cert{},
		bySKI:     map[string][]*Cert{},
		byFP:      map[Fingerprint][]*Cert{},
		anchors:   map[string][]*Cert{},
	}
	names := map[string]bool{}
	anchorOf := map[Fingerprint]string{}
	for _, sp := range specs {
		if !domainName.MatchString(sp.Name) {
			return nil, fmt.Errorf("trust store: domain name %q must match [a-z0-9-]+", sp.Name)
		}
		if names[sp.Name] {
			return nil, fmt.Errorf("trust store: domain %q defined twice", sp.Name)
		}
		names[sp.Name] = true
		if _, err := ParseHierarchy(string(sp.Hierarchy)); err != nil {
			return nil, fmt.Errorf("trust store: domain %s: %w", sp.Name, err)
		}
		d := &Domain{Name: sp.Name, Hierarchy: sp.Hierarchy, Policies: append([]string(nil), sp.Policies...)}
		var err error
		if d.Anchors, err = s.addAll(d, RoleAnchor, sp.Anchors); err != nil {
			return nil, err
		}
		if len(d.Anchors) == 0 {
			return nil, fmt.Errorf("trust store: domain %s has no anchor", sp.Name)
		}
		for _, a := range d.Anchors {
			if other, ok := anchorOf[a.SHA256]; ok {
				return nil, fmt.Errorf("trust store: %s is an anchor of both domains %s and %s", describe(a.X509), other, d.Name)
			}
			anchorOf[a.SHA256] = d.Name
		}
		if d.Intermediates, err = s.addAll(d, RoleIntermediate, sp.Intermediates); err != nil {
			return nil, err
		}
		s.domains = append(s.domains, d)
	}
	var err error
	if s.cross, err = s.addAll(nil, RoleCross, cross); err != nil {
		return nil, err
	}
	s.digest = s.computeDigest()
	return s, nil
}

func (s *Store) addAll(d *Domain, role Role, certs []*x509.Certificate) ([]*Cert, error) {
	seen := map[Fingerprint]bool{}
	var out []*Cert
	where := "cross-certificates"
	if d != nil {
		where = "domain " + d.Name + " " + role.String() + "s"
	}
	for _, x := range certs {
		if x == nil {
			continue
		}
		c, err := NewCert(x)
		if err != nil {
			return nil, fmt.Errorf("trust store: %s: %s: %w", where, describe(x), err)
		}
		if seen[c.SHA256] {
			continue
		}
		if !x.BasicConstraintsValid || !x.IsCA {
			return nil, fmt.Errorf("trust store: %s: %s is not a CA certificate (basicConstraints cA is not true); refusing it as %s", where, describe(x), role)
		}
		seen[c.SHA256] = true
		c.Role, c.Domain = role, d
		out = append(out, c)
		s.index(c)
	}
	return out, nil
}

func (s *Store) index(c *Cert) {
	s.all = append(s.all, c)
	s.bySubject[c.SubjectKey] = append(s.bySubject[c.SubjectKey], c)
	if len(c.X509.SubjectKeyId) > 0 {
		k := string(c.X509.SubjectKeyId)
		s.bySKI[k] = append(s.bySKI[k], c)
	}
	s.byFP[c.SHA256] = append(s.byFP[c.SHA256], c)
	if c.Role == RoleAnchor {
		k := anchorKey(c.SubjectKey, c.KeyHash)
		s.anchors[k] = append(s.anchors[k], c)
	}
}

func anchorKey(subject string, keyHash [32]byte) string {
	return subject + "\x00" + string(keyHash[:])
}

// computeDigest hashes the sorted list of (domain, hierarchy, role,
// fingerprint) entries: it changes when the set of anchors, intermediates or
// cross-certificates (or the domain they belong to) changes, and only then.
func (s *Store) computeDigest() string {
	lines := make([]string, 0, len(s.all))
	for _, c := range s.all {
		dn, h := "", ""
		if c.Domain != nil {
			dn, h = c.Domain.Name, string(c.Domain.Hierarchy)
		}
		lines = append(lines, strings.Join([]string{dn, h, c.Role.String(), c.SHA256.Hex()}, " "))
	}
	sort.Strings(lines)
	h := sha256.New()
	for _, l := range lines {
		h.Write([]byte(l))
		h.Write([]byte{'\n'})
	}
	return "sha256:" + hex.EncodeToString(h.Sum(nil))
}

// Digest is the store's content digest, "sha256:<hex>", reported in every
// validation report as trust_store.
func (s *Store) Digest() string { return s.digest }

// Domains returns the domains in configuration order. Callers must not
// modify the returned values.
func (s *Store) Domains() []*Domain { return s.domains }

// Domain returns the domain with the given name, or nil.
func (s *Store) Domain(name string) *Domain {
	for _, d := range s.domains {
		if d.Name == name {
			return d
		}
	}
	return nil
}

// CrossCertificates returns the cross-certificates.
func (s *Store) CrossCertificates() []*Cert { return s.cross }

// All returns every entry of the store (a certificate that is an anchor of
// one domain and an intermediate of another appears twice, once per role).
func (s *Store) All() []*Cert { return s.all }

// BySubject returns the entries whose subject matches the DER name under
// RFC 5280 §7.1 comparison, in store order.
func (s *Store) BySubject(rawName []byte) []*Cert {
	k, err := CanonicalName(rawName)
	if err != nil {
		return nil
	}
	return s.bySubject[k]
}

// BySubjectKey is BySubject for a name already canonicalised with
// CanonicalName (as in Cert.IssuerKey), saving the parse on hot paths.
func (s *Store) BySubjectKey(key string) []*Cert { return s.bySubject[key] }

// BySubjectKeyID returns the entries whose subject key identifier equals id
// (for matching a child's authority key identifier).
func (s *Store) BySubjectKeyID(id []byte) []*Cert {
	if len(id) == 0 {
		return nil
	}
	return s.bySKI[string(id)]
}

// ByFingerprint returns the entries of the certificate with that SHA-256.
func (s *Store) ByFingerprint(fp Fingerprint) []*Cert { return s.byFP[fp] }

// IssuerCandidates returns the store entries that may have issued child:
// those whose subject matches child's issuer name (RFC 5280 §7.1), with the
// ones whose subject key identifier equals child's authority key identifier
// first. A candidate is only a candidate: the path engine must still check
// the signature. Names alone never make a match trusted.
func (s *Store) IssuerCandidates(child *x509.Certificate) []*Cert {
	k, err := CanonicalName(child.RawIssuer)
	if err != nil {
		return nil
	}
	cands := s.bySubject[k]
	if len(child.AuthorityKeyId) == 0 || len(cands) < 2 {
		return cands
	}
	out := make([]*Cert, 0, len(cands))
	for _, c := range cands {
		if bytes.Equal(c.X509.SubjectKeyId, child.AuthorityKeyId) {
			out = append(out, c)
		}
	}
	for _, c := range cands {
		if !bytes.Equal(c.X509.SubjectKeyId, child.AuthorityKeyId) {
			out = append(out, c)
		}
	}
	return out
}

// Anchor returns the anchor entries whose name and public key equal c's
// (RFC 5280 §6.1.1 d: a trust anchor is a name and a key, so a re-issued
// root with the same name and key is the same anchor), or nil. A look-alike
// with the same name and another key is never an anchor.
func (s *Store) Anchor(c *Cert) []*Cert {
	return s.anchors[anchorKey(c.SubjectKey, c.KeyHash)]
}

// IsAnchorKey reports whether some anchor has subject key subjectKey and
// SubjectPublicKeyInfo hash keyHash.
func (s *Store) IsAnchorKey(subjectKey string, keyHash [32]byte) bool {
	return len(s.anchors[anchorKey(subjectKey, keyHash)]) > 0
}

// Len returns the number of distinct certificates in the store.
func (s *Store) Len() int { return len(s.byFP) }

func describe(c *x509.Certificate) string {
	fp := sha256.Sum256(c.Raw)
	return fmt.Sprintf("%q (sha256 %s)", DN(c.RawSubject), hex.EncodeToString(fp[:]))
}
