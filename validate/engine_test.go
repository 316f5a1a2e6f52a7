package validate

import (
	"context"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/asn1"
	"errors"
	"net"
	"slices"
	"testing"
	"time"

	"github.com/lienthong/lienthong/test/testpki"
	"github.com/lienthong/lienthong/trust"
)

// pathCase builds its own fixtures and says what VerifyPath must return.
type pathCase struct {
	name  string
	setup func(t *testing.T) (Options, *trust.Store, PathRequest)
	// On success:
	chain   string // "CN=leaf -> CN=int -> CN=root"
	domain  string
	message string // a message code that must be present
	// On failure:
	ind   Indication
	sub   SubIndication
	cause error // errors.Is(failure, cause)
}

func TestVerifyPath(t *testing.T) {
	cases := []pathCase{
		{
			name: "public citizen",
			setup: func(t *testing.T) (Options, *trust.Store, PathRequest) {
				p := newPKI(t, false)
				return Options{}, bothDomains(t, p), PathRequest{Target: p.Public.Citizen.Cert}
			},
			chain:  "CN=NGUYEN VAN A -> CN=Test VNPT-CA -> CN=Test Vietnam National Root CA",
			domain: "public",
		},
		{
			name: "government official, CA offered in the request",
			setup: func(t *testing.T) (Options, *trust.Store, PathRequest) {
				p := newPKI(t, false)
				s := newStore(t, nil,
					trust.DomainSpec{Name: "public", Hierarchy: trust.Public, Anchors: []*x509.Certificate{p.Public.Root.Cert}},
					trust.DomainSpec{Name: "government", Hierarchy: trust.Government, Anchors: []*x509.Certificate{p.Gov.Root.Cert}})
				return Options{}, s, PathRequest{Target: p.Gov.Official.Cert, Intermediates: []*x509.Certificate{p.Gov.CA.Cert}}
			},
			chain:  "CN=TRAN THI B -> CN=Test CA phục vụ các cơ quan Nhà nước -> CN=Test RootCA chuyên dùng Chính phủ",
			domain: "government",
		},
		{
			name: "government official stays in its domain when the cross-certificate is offered",
			setup: func(t *testing.T) (Options, *trust.Store, PathRequest) {
				p := newPKI(t, true)
				s := bothDomains(t, p)
				return Options{}, s, PathRequest{Target: p.Gov.Official.Cert, Intermediates: []*x509.Certificate{p.Cross}}
			},
			chain:  "CN=TRAN THI B -> CN=Test CA phục vụ các cơ quan Nhà nước -> CN=Test RootCA chuyên dùng Chính phủ",
			domain: "government",
		},
		{
			name: "cross-certificate takes the official to the public anchor when the government root is not trusted",
			setup: func(t *testing.T) (Options, *trust.Store, PathRequest) {
				p := newPKI(t, true)
				s := newStore(t, []*x509.Certificate{p.Cross},
					trust.DomainSpec{Name: "public", Hierarchy: trust.Public, Anchors: []*x509.Certificate{p.Public.Root.Cert}})
				return Options{}, s, PathRequest{Target: p.Gov.Official.Cert,
					Intermediates: []*x509.Certificate{p.Gov.Root.Cert, p.Gov.CA.Cert}}
			},
			chain:  "CN=TRAN THI B -> CN=Test CA phục vụ các cơ quan Nhà nước -> CN=Test RootCA chuyên dùng Chính phủ -> CN=Test Vietnam National Root CA",
			domain: "public",
		},
		{
			name: "target is an anchor (purpose any)",
			setup: func(t *testing.T) (Options, *trust.Store, PathRequest) {
				p := newPKI(t, false)
				return Options{}, bothDomains(t, p), PathRequest{Target: p.Gov.Root.Cert, Purpose: PurposeAny}
			},
			chain:  "CN=Test RootCA chuyên dùng Chính phủ",
			domain: "government",
		},
		{
			name: "target is an anchor but cannot sign documents",
			setup: func(t *testing.T) (Options, *trust.Store, PathRequest) {
				p := newPKI(t, false)
				return Options{}, bothDomains(t, p), PathRequest{Target: p.Gov.Root.Cert}
			},
			ind: Indeterminate, sub: ChainConstraintsFailure, cause: errKeyUsage,
		},
		{
			name: "unknown issuer",
			setup: func(t *testing.T) (Options, *trust.Store, PathRequest) {
				p := newPKI(t, false)
				return Options{}, oneDomain(t, p.Gov.Root.Cert), PathRequest{Target: p.Public.Citizen.Cert}
			},
			ind: Indeterminate, sub: NoCertificateChainFound, cause: errNoPath,
		},
		{
			name: "expired leaf",
			setup: func(t *testing.T) (Options, *trust.Store, PathRequest) {
				p := newPKI(t, false)
				leaf := must[*testpki.Leaf](t)(p.Public.CA.IssueLeaf(name("EXPIRED"), testpki.WithValidity(t0.AddDate(-2, 0, 0), t0.AddDate(-1, 0, 0))))
				return Options{}, bothDomains(t, p), PathRequest{Target: leaf.Cert}
			},
			ind: Indeterminate, sub: OutOfBoundsNoPOE, cause: errExpired,
		},
		{
			name: "expired CA",
			setup: func(t *testing.T) (Options, *trust.Store, PathRequest) {
				p := newPKI(t, false)
				ca := must[*testpki.Issuer](t)(p.Public.Root.IssueCA("OLD CA", testpki.WithValidity(t0.AddDate(-5, 0, 0), t0.AddDate(0, 0, -1))))
				leaf := must[*testpki.Leaf](t)(ca.IssueLeaf(name("LEAF")))
				return Options{}, bothDomains(t, p), PathRequest{Target: leaf.Cert, Intermediates: []*x509.Certificate{ca.Cert}}
			},
			ind: Indeterminate, sub: OutOfBoundsNoPOE, cause: errExpired,
		},
		{
			name: "leaf not yet valid",
			setup: func(t *testing.T) (Options, *trust.Store, PathRequest) {
				p := newPKI(t, false)
				leaf := must[*testpki.Leaf](t)(p.Public.CA.IssueLeaf(name("FUTURE"), testpki.WithValidity(t0.AddDate(0, 1, 0), t0.AddDate(1, 0, 0))))
				return Options{}, bothDomains(t, p), PathRequest{Target: leaf.Cert}
			},
			ind: TotalFailed, sub: NotYetValid, cause: errNotYetValid,
		},
		{
			name: "CA not yet valid",
			setup: func(t *testing.T) (Options, *trust.Store, PathRequest) {
				p := newPKI(t, false)
				ca := must[*testpki.Issuer](t)(p.Public.Root.IssueCA("FUTURE CA", testpki.WithValidity(t0.AddDate(0, 1, 0), t0.AddDate(5, 0, 0))))
				leaf := must[*testpki.Leaf](t)(ca.IssueLeaf(name("LEAF")))
				return Options{}, bothDomains(t, p), PathRequest{Target: leaf.Cert, Intermediates: []*x509.Certificate{ca.Cert}}
			},
			ind: Indeterminate, sub: OutOfBoundsNoPOE, cause: errNotYetValid,
		},
		{
			name: "bad leaf signature",
			setup: func(t *testing.T) (Options, *trust.Store, PathRequest) {
				p := newPKI(t, false)
				return Options{}, bothDomains(t, p), PathRequest{Target: corrupt(t, p.Public.Business.Cert)}
			},
			ind: Indeterminate, sub: CertificateChainGeneralFailure, cause: errBadSignature,
		},
		{
			name: "bad CA signature",
			setup: func(t *testing.T) (Options, *trust.Store, PathRequest) {
				p := newPKI(t, false)
				s := oneDomain(t, p.Public.Root.Cert)
				return Options{}, s, PathRequest{Target: p.Public.Business.Cert, Intermediates: []*x509.Certificate{corrupt(t, p.Public.CA.Cert)}}
			},
			ind: Indeterminate, sub: CertificateChainGeneralFailure, cause: errBadSignature,
		},
		{
			name: "look-alike issuer with the real names and other keys never reaches the anchor",
			setup: func(t *testing.T) (Options, *trust.Store, PathRequest) {
				p := newPKI(t, false)
				fakeRoot := must[*testpki.Issuer](t)(p.NewRoot(p.Public.Root.Cert.Subject))
				fakeCA := must[*testpki.Issuer](t)(fakeRoot.IssueCA("Test VNPT-CA", testpki.WithSubject(p.Public.CA.Cert.Subject)))
				leaf := must[*testpki.Leaf](t)(fakeCA.IssueLeaf(name("IMPOSTOR")))
				return Options{}, bothDomains(t, p), PathRequest{Target: leaf.Cert,
					Intermediates: []*x509.Certificate{fakeCA.Cert, fakeRoot.Cert}}
			},
			ind: Indeterminate, sub: NoCertificateChainFound, cause: errNoPath,
		},
		{
			name: "path length violated",
			setup: func(t *testing.T) (Options, *trust.Store, PathRequest) {
				p := newPKI(t, false)
				ca1 := must[*testpki.Issuer](t)(p.Public.Root.IssueCA("CA PATHLEN 0", testpki.WithMutate(func(c *x509.Certificate) {
					c.MaxPathLen, c.MaxPathLenZero = 0, true
				})))
				ca2 := must[*testpki.Issuer](t)(ca1.IssueCA("SUB CA"))
				leaf := must[*testpki.Leaf](t)(ca2.IssueLeaf(name("LEAF")))
				return Options{}, bothDomains(t, p), PathRequest{Target: leaf.Cert, Intermediates: []*x509.Certificate{ca2.Cert, ca1.Cert}}
			},
			ind: Indeterminate, sub: ChainConstraintsFailure, cause: errPathLength,
		},
		{
			name: "path length 0 allows one CA",
			setup: func(t *testing.T) (Options, *trust.Store, PathRequest) {
				p := newPKI(t, false)
				ca1 := must[*testpki.Issuer](t)(p.Public.Root.IssueCA("CA PATHLEN 0", testpki.WithMutate(func(c *x509.Certificate) {
					c.MaxPathLen, c.MaxPathLenZero = 0, true
				})))
				leaf := must[*testpki.Leaf](t)(ca1.IssueLeaf(name("LEAF")))
				return Options{}, bothDomains(t, p), PathRequest{Target: leaf.Cert, Intermediates: []*x509.Certificate{ca1.Cert}}
			},
			chain: "CN=LEAF -> CN=CA PATHLEN 0 -> CN=Test Vietnam National Root CA", domain: "public",
		},
		{
			name: "CA without keyCertSign",
			setup: func(t *testing.T) (Options, *trust.Store, PathRequest) {
				p := newPKI(t, false)
				ca := must[*testpki.Issuer](t)(p.Public.Root.IssueCA("CRL ONLY CA", testpki.WithMutate(func(c *x509.Certificate) {
					c.KeyUsage = x509.KeyUsageCRLSign
				})))
				leaf := must[*testpki.Leaf](t)(ca.IssueLeaf(name("LEAF")))
				return Options{}, bothDomains(t, p), PathRequest{Target: leaf.Cert, Intermediates: []*x509.Certificate{ca.Cert}}
			},
			ind: Indeterminate, sub: ChainConstraintsFailure, cause: errKeyCertSign,
		},
		{
			name: "issuer that is not a CA",
			setup: func(t *testing.T) (Options, *trust.Store, PathRequest) {
				p := newPKI(t, false)
				ca := must[*testpki.Issuer](t)(p.Public.Root.IssueCA("NOT A CA", testpki.WithMutate(func(c *x509.Certificate) {
					c.IsCA, c.MaxPathLen = false, 0
				})))
				leaf := must[*testpki.Leaf](t)(ca.IssueLeaf(name("LEAF")))
				return Options{Domains: map[string]DomainOptions{"public": {Profile: ProfileRFC5280}}},
					bothDomains(t, p), PathRequest{Target: leaf.Cert, Intermediates: []*x509.Certificate{ca.Cert}}
			},
			ind: Indeterminate, sub: ChainConstraintsFailure, cause: errNotCA,
		},
		{
			name: "missing AKI refused by the strict profile",
			setup: func(t *testing.T) (Options, *trust.Store, PathRequest) {
				p := newPKI(t, false)
				return Options{}, bothDomains(t, p), PathRequest{Target: issueWithoutAKI(t, p.Public.CA)}
			},
			ind: Indeterminate, sub: ChainConstraintsFailure, cause: errProfile,
		},
		{
			name: "missing AKI accepted by the RFC 5280 §6.1-only profile",
			setup: func(t *testing.T) (Options, *trust.Store, PathRequest) {
				p := newPKI(t, false)
				return Options{Domains: map[string]DomainOptions{"public": {Profile: ProfileRFC5280}}},
					bothDomains(t, p), PathRequest{Target: issueWithoutAKI(t, p.Public.CA)}
			},
			chain: "CN=NO AKI LEAF -> CN=Test VNPT-CA -> CN=Test Vietnam National Root CA", domain: "public",
		},
		{
			name:    "SHA-1 CA signature before the cut-off: warning",
			setup:   sha1Setup(sha1Cutoff),
			chain:   "CN=LEAF -> CN=SHA1 CA -> CN=RSA ROOT",
			domain:  "test",
			message: CodeSHA1CertificateSignature,
		},
		{
			name:  "SHA-1 CA signature after the cut-off: refused",
			setup: sha1Setup(t0.Add(-time.Second)),
			ind:   Indeterminate, sub: CryptoConstraintsFailure, cause: errAlgorithm,
		},
		{
			name: "RSA-1024 leaf",
			setup: func(t *testing.T) (Options, *trust.Store, PathRequest) {
				p := newPKI(t, false)
				leaf := must[*testpki.Leaf](t)(p.Public.CA.IssueLeaf(name("WEAK"), testpki.WithRSA(1024)))
				return Options{}, bothDomains(t, p), PathRequest{Target: leaf.Cert}
			},
			ind: Indeterminate, sub: CryptoConstraintsFailure, cause: errAlgorithm,
		},
		{
			name: "RSA-1024 CA",
			setup: func(t *testing.T) (Options, *trust.Store, PathRequest) {
				p := newPKI(t, false)
				ca := must[*testpki.Issuer](t)(p.Public.Root.IssueCA("WEAK CA", testpki.WithRSA(1024)))
				leaf := must[*testpki.Leaf](t)(ca.IssueLeaf(name("LEAF")))
				return Options{}, bothDomains(t, p), PathRequest{Target: leaf.Cert, Intermediates: []*x509.Certificate{ca.Cert}}
			},
			ind: Indeterminate, sub: CryptoConstraintsFailure, cause: errAlgorithm,
		},
		{
			name: "RSA-1024 accepted by a legacy domain",
			setup: func(t *testing.T) (Options, *trust.Store, PathRequest) {
				p := newPKI(t, false)
				leaf := must[*testpki.Leaf](t)(p.Public.CA.IssueLeaf(name("WEAK"), testpki.WithRSA(1024)))
				return Options{Domains: map[string]DomainOptions{"public": {MinRSABits: 1024}}}, bothDomains(t, p), PathRequest{Target: leaf.Cert}
			},
			chain: "CN=WEAK -> CN=Test VNPT-CA -> CN=Test Vietnam National Root CA", domain: "public",
		},
		{
			name:  "serverAuth-only leaf refused for document signing",
			setup: ekuSetup([]x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth}, PurposeDocumentSigning),
			ind:   Indeterminate, sub: ChainConstraintsFailure, cause: errExtKeyUsage,
		},
		{
			name:   "serverAuth-only leaf accepted for purpose any",
			setup:  ekuSetup([]x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth}, PurposeAny),
			chain:  "CN=EKU LEAF -> CN=Test VNPT-CA -> CN=Test Vietnam National Root CA",
			domain: "public",
		},
		{
			name:  "timeStamping-only leaf refused for document signing",
			setup: ekuSetup([]x509.ExtKeyUsage{x509.ExtKeyUsageTimeStamping}, PurposeDocumentSigning),
			ind:   Indeterminate, sub: ChainConstraintsFailure, cause: errExtKeyUsage,
		},
		{
			name:   "serverAuth with emailProtection accepted",
			setup:  ekuSetup([]x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth, x509.ExtKeyUsageEmailProtection}, PurposeDocumentSigning),
			chain:  "CN=EKU LEAF -> CN=Test VNPT-CA -> CN=Test Vietnam National Root CA",
			domain: "public",
		},
		{
			name: "leaf without digitalSignature or nonRepudiation",
			setup: func(t *testing.T) (Options, *trust.Store, PathRequest) {
				p := newPKI(t, false)
				leaf := must[*testpki.Leaf](t)(p.Public.CA.IssueLeaf(name("ENCRYPTION ONLY"), testpki.WithMutate(func(c *x509.Certificate) {
					c.KeyUsage = x509.KeyUsageKeyEncipherment
				})))
				return Options{}, bothDomains(t, p), PathRequest{Target: leaf.Cert}
			},
			ind: Indeterminate, sub: ChainConstraintsFailure, cause: errKeyUsage,
		},
		{
			name: "leaf without keyUsage extension",
			setup: func(t *testing.T) (Options, *trust.Store, PathRequest) {
				p := newPKI(t, false)
				leaf := must[*testpki.Leaf](t)(p.Public.CA.IssueLeaf(name("NO KU"), testpki.WithMutate(func(c *x509.Certificate) {
					c.KeyUsage = 0
				})))
				return Options{}, bothDomains(t, p), PathRequest{Target: leaf.Cert}
			},
			ind: Indeterminate, sub: ChainConstraintsFailure, cause: errKeyUsage,
		},
		{
			name:   "domain policy carried by the path",
			setup:  policySetup("1.2.3.4", "1.2.3.4"),
			chain:  "CN=POLICY LEAF -> CN=POLICY CA -> CN=Test Vietnam National Root CA",
			domain: "test",
		},
		{
			name:  "domain policy not carried by the path",
			setup: policySetup("1.2.3.4", "1.2.3.5"),
			ind:   Indeterminate, sub: ChainConstraintsFailure, cause: errDomainPolicy,
		},
		{
			name: "domain policy and a path without policies",
			setup: func(t *testing.T) (Options, *trust.Store, PathRequest) {
				p := newPKI(t, false)
				s := newStore(t, nil, trust.DomainSpec{Name: "test", Hierarchy: trust.Public,
					Anchors: []*x509.Certificate{p.Public.Root.Cert}, Intermediates: []*x509.Certificate{p.Public.CA.Cert}, Policies: []string{"1.2.3.4"}})
				return Options{}, s, PathRequest{Target: p.Public.Citizen.Cert}
			},
			ind: Indeterminate, sub: ChainConstraintsFailure, cause: errDomainPolicy,
		},
		{
			name: "unknown critical extension in the leaf",
			setup: func(t *testing.T) (Options, *trust.Store, PathRequest) {
				p := newPKI(t, false)
				leaf := must[*testpki.Leaf](t)(p.Public.CA.IssueLeaf(name("CRITICAL"), testpki.WithMutate(func(c *x509.Certificate) {
					c.ExtraExtensions = append(c.ExtraExtensions, pkix.Extension{Id: asn1.ObjectIdentifier{1, 3, 6, 1, 4, 1, 99999, 1}, Critical: true, Value: []byte{5, 0}})
				})))
				return Options{}, bothDomains(t, p), PathRequest{Target: leaf.Cert}
			},
			ind: Indeterminate, sub: ChainConstraintsFailure, cause: errUnknownCritical,
		},
		{
			name: "unknown non-critical extension ignored",
			setup: func(t *testing.T) (Options, *trust.Store, PathRequest) {
				p := newPKI(t, false)
				leaf := must[*testpki.Leaf](t)(p.Public.CA.IssueLeaf(name("NONCRITICAL"), testpki.WithMutate(func(c *x509.Certificate) {
					c.ExtraExtensions = append(c.ExtraExtensions, pkix.Extension{Id: asn1.ObjectIdentifier{1, 3, 6, 1, 4, 1, 99999, 1}, Value: []byte{5, 0}})
				})))
				return Options{}, bothDomains(t, p), PathRequest{Target: leaf.Cert}
			},
			chain: "CN=NONCRITICAL -> CN=Test VNPT-CA -> CN=Test Vietnam National Root CA", domain: "public",
		},
		{
			name: "name constraints of a CA violated",
			setup: func(t *testing.T) (Options, *trust.Store, PathRequest) {
				p := newPKI(t, false)
				ca := must[*testpki.Issuer](t)(p.Public.Root.IssueCA("CONSTRAINED CA", testpki.WithMutate(func(c *x509.Certificate) {
					c.PermittedDNSDomainsCritical = true
					c.PermittedDNSDomains = []string{"gov.vn"}
				})))
				leaf := must[*testpki.Leaf](t)(ca.IssueLeaf(name("SERVER"), testpki.WithMutate(func(c *x509.Certificate) {
					c.DNSNames = []string{"example.com"}
				})))
				return Options{}, bothDomains(t, p), PathRequest{Target: leaf.Cert, Intermediates: []*x509.Certificate{ca.Cert}}
			},
			ind: Indeterminate, sub: ChainConstraintsFailure, cause: errNameConstraints,
		},
		{
			name: "name constraints in an end entity refused by the strict profile",
			setup: func(t *testing.T) (Options, *trust.Store, PathRequest) {
				p := newPKI(t, false)
				leaf := must[*testpki.Leaf](t)(p.Public.CA.IssueLeaf(name("NC LEAF"), testpki.WithMutate(func(c *x509.Certificate) {
					c.PermittedDNSDomainsCritical = true
					c.PermittedIPRanges = []*net.IPNet{{IP: net.IPv4(10, 0, 0, 0), Mask: net.CIDRMask(8, 32)}}
				})))
				return Options{}, bothDomains(t, p), PathRequest{Target: leaf.Cert}
			},
			ind: Indeterminate, sub: ChainConstraintsFailure, cause: errProfile,
		},
		{
			name: "re-issued CA certificate with the same key: the valid one is chosen",
			setup: func(t *testing.T) (Options, *trust.Store, PathRequest) {
				p := newPKI(t, false)
				ca := p.Public.CA
				old := must[*testpki.Issuer](t)(p.Public.Root.IssueCA("Test VNPT-CA", testpki.WithKey(ca.Key),
					testpki.WithSubject(ca.Cert.Subject), testpki.WithValidity(t0.AddDate(-10, 0, 0), t0.AddDate(-1, 0, 0))))
				s := oneDomain(t, p.Public.Root.Cert)
				return Options{}, s, PathRequest{Target: p.Public.Business.Cert, Intermediates: []*x509.Certificate{old.Cert, ca.Cert}}
			},
			chain: "CN=CONG TY TNHH THU NGHIEM -> CN=Test VNPT-CA -> CN=Test Vietnam National Root CA", domain: "test",
		},
		{
			name: "timestamping: critical timeStamping EKU",
			setup: func(t *testing.T) (Options, *trust.Store, PathRequest) {
				p := newPKI(t, false)
				leaf := must[*testpki.Leaf](t)(p.Public.CA.IssueLeaf(name("TSA"), testpki.WithMutate(timeStampingEKU(true))))
				return Options{}, bothDomains(t, p), PathRequest{Target: leaf.Cert, Purpose: PurposeTimestamping}
			},
			chain: "CN=TSA -> CN=Test VNPT-CA -> CN=Test Vietnam National Root CA", domain: "public",
		},
		{
			name: "timestamping: non-critical timeStamping EKU refused",
			setup: func(t *testing.T) (Options, *trust.Store, PathRequest) {
				p := newPKI(t, false)
				leaf := must[*testpki.Leaf](t)(p.Public.CA.IssueLeaf(name("TSA"), testpki.WithMutate(timeStampingEKU(false))))
				return Options{}, bothDomains(t, p), PathRequest{Target: leaf.Cert, Purpose: PurposeTimestamping}
			},
			ind: Indeterminate, sub: ChainConstraintsFailure, cause: errExtKeyUsage,
		},
		{
			name: "timestamping: a signing certificate is not a TSA",
			setup: func(t *testing.T) (Options, *trust.Store, PathRequest) {
				p := newPKI(t, false)
				return Options{}, bothDomains(t, p), PathRequest{Target: p.Public.Citizen.Cert, Purpose: PurposeTimestamping}
			},
			ind: Indeterminate, sub: ChainConstraintsFailure, cause: errExtKeyUsage,
		},
		{
			name: "unknown purpose",
			setup: func(t *testing.T) (Options, *trust.Store, PathRequest) {
				p := newPKI(t, false)
				return Options{}, bothDomains(t, p), PathRequest{Target: p.Public.Citizen.Cert, Purpose: "tls"}
			},
			ind: Indeterminate, sub: CertificateChainGeneralFailure, cause: errBadRequest,
		},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			opts, s, req := tc.setup(t)
			p, f := verify(t, newEngine(t, opts), s, req)
			if (p == nil) == (f == nil) {
				t.Fatalf("VerifyPath returned path %v and failure %v", p, f)
			}
			if tc.sub != "" {
				if f == nil {
					t.Fatalf("valid path %s, want %s/%s", chainString(p), tc.ind, tc.sub)
				}
				if f.Indication != tc.ind || f.SubIndication != tc.sub {
					t.Fatalf("got %v, want %s/%s", f, tc.ind, tc.sub)
				}
				if tc.cause != nil && !errors.Is(f, tc.cause) {
					t.Fatalf("got %v, want cause %v", f, tc.cause)
				}
				return
			}
			if f != nil {
				t.Fatalf("got %v, want a valid path", f)
			}
			if got := chainString(p); got != tc.chain {
				t.Errorf("chain %s\nwant  %s", got, tc.chain)
			}
			if p.Domain == nil || p.Domain.Name != tc.domain {
				t.Errorf("domain %v, want %s", p.Domain, tc.domain)
			}
			if tc.message != "" && !slices.ContainsFunc(p.Messages, func(m Message) bool { return m.Code == tc.message && m.Level == LevelWarning }) {
				t.Errorf("messages %v lack a %s warning", p.Messages, tc.message)
			}
			if tc.message == "" && len(p.Messages) > 0 {
				t.Errorf("unexpected messages %v", p.Messages)
			}
		})
	}
}

// sha1Setup: an RSA root signs a CA with SHA-1; the engine's cut-off is
// until.
func sha1Setup(until time.Time) func(t *testing.T) (Options, *trust.Store, PathRequest) {
	return func(t *testing.T) (Options, *trust.Store, PathRequest) {
		p := newPKI(t, false)
		root := must[*testpki.Issuer](t)(p.NewRoot(name("RSA ROOT"), testpki.WithRSA(2048)))
		ca := must[*testpki.Issuer](t)(root.IssueCA("SHA1 CA", testpki.WithSignatureAlgorithm(x509.SHA1WithRSA)))
		leaf := must[*testpki.Leaf](t)(ca.IssueLeaf(name("LEAF")))
		return Options{SHA1Until: until}, oneDomain(t, root.Cert), PathRequest{Target: leaf.Cert, Intermediates: []*x509.Certificate{ca.Cert}}
	}
}

func ekuSetup(ekus []x509.ExtKeyUsage, purpose Purpose) func(t *testing.T) (Options, *trust.Store, PathRequest) {
	return func(t *testing.T) (Options, *trust.Store, PathRequest) {
		p := newPKI(t, false)
		leaf := must[*testpki.Leaf](t)(p.Public.CA.IssueLeaf(name("EKU LEAF"), testpki.WithMutate(func(c *x509.Certificate) {
			c.ExtKeyUsage = ekus
		})))
		return Options{}, bothDomains(t, p), PathRequest{Target: leaf.Cert, Purpose: purpose}
	}
}

// policySetup: domain "test" accepts domainPolicy; a CA with anyPolicy
// issues a leaf with leafPolicy.
func policySetup(domainPolicy, leafPolicy string) func(t *testing.T) (Options, *trust.Store, PathRequest) {
	return func(t *testing.T) (Options, *trust.Store, PathRequest) {
		p := newPKI(t, false)
		ca := must[*testpki.Issuer](t)(p.Public.Root.IssueCA("POLICY CA", testpki.WithMutate(func(c *x509.Certificate) {
			c.Policies = []x509.OID{must[x509.OID](t)(x509.ParseOID(anyPolicy))}
		})))
		leaf := must[*testpki.Leaf](t)(ca.IssueLeaf(name("POLICY LEAF"), testpki.WithMutate(func(c *x509.Certificate) {
			c.Policies = []x509.OID{must[x509.OID](t)(x509.ParseOID(leafPolicy))}
		})))
		return Options{}, oneDomain(t, p.Public.Root.Cert, domainPolicy), PathRequest{Target: leaf.Cert, Intermediates: []*x509.Certificate{ca.Cert}}
	}
}

// timeStampingEKU replaces the EKU with id-kp-timeStamping alone.
func timeStampingEKU(critical bool) func(*x509.Certificate) {
	return func(c *x509.Certificate) {
		c.ExtKeyUsage = nil
		v, _ := asn1.Marshal([]asn1.ObjectIdentifier{{1, 3, 6, 1, 5, 5, 7, 3, 8}})
		c.ExtraExtensions = append(c.ExtraExtensions, pkix.Extension{Id: oidExtExtKeyUsage, Critical: critical, Value: v})
	}
}

func TestVerifyPathContextCancelled(t *testing.T) {
	p := newPKI(t, false)
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	_, f := newEngine(t, Options{}).VerifyPath(ctx, bothDomains(t, p), PathRequest{Target: p.Public.Citizen.Cert, Time: t0})
	if f == nil || f.SubIndication != TryLater || !errors.Is(f, context.Canceled) {
		t.Fatalf("got %v, want TRY_LATER wrapping context.Canceled", f)
	}
}

func TestVerifyPathBadRequests(t *testing.T) {
	p := newPKI(t, false)
	e := newEngine(t, Options{})
	s := bothDomains(t, p)
	for _, tc := range []struct {
		name string
		s    *trust.Store
		req  PathRequest
		sub  SubIndication
	}{
		{"no target", s, PathRequest{Time: t0}, NoSigningCertificateFound},
		{"no time", s, PathRequest{Target: p.Public.Citizen.Cert}, CertificateChainGeneralFailure},
		{"no store", nil, PathRequest{Target: p.Public.Citizen.Cert, Time: t0}, CertificateChainGeneralFailure},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, f := e.VerifyPath(context.Background(), tc.s, tc.req)
			if f == nil || f.SubIndication != tc.sub || !errors.Is(f, errBadRequest) {
				t.Fatalf("got %v, want %s", f, tc.sub)
			}
		})
	}
}

func TestNewEngineRefusesBadOptions(t *testing.T) {
	for _, tc := range []struct {
		name string
		opts Options
	}{
		{"negative depth", Options{MaxDepth: -1}},
		{"unknown profile", Options{Domains: map[string]DomainOptions{"d": {Profile: "lenient"}}}},
		{"bad EKU OID", Options{Domains: map[string]DomainOptions{"d": {ExtKeyUsages: []string{"clientAuth"}}}}},
		{"bad policy OID", Options{Domains: map[string]DomainOptions{"d": {Policy: PolicySettings{InitialPolicySet: []string{"1..2"}}}}}},
		{"tiny RSA", Options{Domains: map[string]DomainOptions{"d": {MinRSABits: 256}}}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if _, err := NewEngine(tc.opts, Deps{}); err == nil {
				t.Fatal("NewEngine accepted bad options")
			}
		})
	}
}

func TestFailureError(t *testing.T) {
	f := &Failure{Indication: Indeterminate, SubIndication: ChainConstraintsFailure, Reason: "path length", Err: errPathLength}
	if got, want := f.Error(), "INDETERMINATE/CHAIN_CONSTRAINTS_FAILURE: path length: path length constraint exceeded"; got != want {
		t.Errorf("Error() = %q, want %q", got, want)
	}
	var err error = f
	var got *Failure
	if !errors.As(err, &got) || !errors.Is(err, errPathLength) {
		t.Error("errors.As / errors.Is do not see through Failure")
	}
}
