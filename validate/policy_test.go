package validate

import (
	"bytes"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/asn1"
	"fmt"
	"math/big"
	mathrand "math/rand/v2"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/lienthong/lienthong/test/shared"
)

// pkitsPolicyExcluded lists entries of the policy sections whose verdict does
// not come from policy processing, with the reason. None is needed: in
// sections 4.8-4.12 every other check passes, so policy alone decides.
var pkitsPolicyExcluded = map[string]string{}

// runPolicyChain drives a policyState over chain (trust anchor first; the
// anchor is not processed). Self-issued is decided by comparing the encoded
// names, which is exact for PKITS.
func runPolicyChain(t *testing.T, s PolicySettings, chain []*x509.Certificate) (*policyState, []string, error) {
	t.Helper()
	n := len(chain) - 1
	p := newPolicyState(s, n)
	for i := 1; i <= n; i++ {
		c := chain[i]
		if err := p.processCert(c, i, bytes.Equal(c.RawSubject, c.RawIssuer)); err != nil {
			return p, nil, err
		}
	}
	set, err := p.finish(chain[n])
	return p, set, err
}

func TestPolicyPKITS(t *testing.T) {
	pk := shared.LoadPKITS(t)

	sections := []string{"4.8", "4.9", "4.10", "4.11", "4.12"}
	type tally struct{ pass, total, excluded int }
	results := map[string]*tally{}
	for _, s := range sections {
		results[s] = &tally{}
	}
	for k := range pk.Tests {
		e := &pk.Tests[k]
		tl, ok := results[e.Section]
		if !ok {
			continue
		}
		if reason, ok := pkitsPolicyExcluded[e.Label()]; ok {
			tl.excluded++
			t.Logf("%s excluded: %s", e.Label(), reason)
			continue
		}
		tl.total++
		t.Run(e.Label(), func(t *testing.T) {
			chain := make([]*x509.Certificate, len(e.Chain))
			for j, name := range e.Chain {
				chain[j] = pk.Cert(t, name)
			}
			s := PolicySettings{
				InitialPolicySet:     e.Settings.InitialPolicySetOIDs,
				ExplicitPolicy:       e.Settings.InitialExplicitPolicy,
				PolicyMappingInhibit: e.Settings.InitialPolicyMappingInhibit,
				InhibitAnyPolicy:     e.Settings.InitialInhibitAnyPolicy,
			}
			_, set, err := runPolicyChain(t, s, chain)
			switch e.Expected {
			case "valid":
				if err != nil {
					t.Fatalf("%s (%s): want valid, got error: %v", e.Label(), e.Name, err)
				}
				want := slices.Clone(e.ExpectedPolicySetOIDs)
				slices.Sort(want)
				if want == nil {
					want = []string{}
				}
				if !slices.Equal(set, want) {
					t.Fatalf("%s (%s): user-constrained policy set = %v, want %v", e.Label(), e.Name, set, want)
				}
			case "invalid":
				if err == nil {
					t.Fatalf("%s (%s): want invalid, got valid with user-constrained policy set %v", e.Label(), e.Name, set)
				}
				t.Logf("rejected as expected: %v", err)
			default:
				t.Fatalf("unknown expected verdict %q", e.Expected)
			}
			tl.pass++
		})
	}
	for _, s := range sections {
		r := results[s]
		t.Logf("PKITS %s: %d/%d passed (%d excluded)", s, r.pass, r.total, r.excluded)
		if r.total == 0 {
			t.Errorf("PKITS %s: no entries found", s)
		}
	}
}

// --- synthetic certificates -------------------------------------------------

type testPolicyCA struct {
	cert *x509.Certificate
	key  *ecdsa.PrivateKey
}

var testPolicySerial int64

// policyTestOID returns the OID 1.3.6.1.4.1.55555.1.k.
func policyTestOID(k int) x509.OID {
	o, err := x509.OIDFromInts([]uint64{1, 3, 6, 1, 4, 1, 55555, 1, uint64(k)})
	if err != nil {
		panic(err)
	}
	return o
}

// policyMappingsExtension encodes a policyMappings extension (RFC 5280
// §4.2.1.5); crypto/x509 does not marshal Certificate.PolicyMappings.
func policyMappingsExtension(t testing.TB, m [][2]asn1.ObjectIdentifier) pkix.Extension {
	t.Helper()
	type mapping struct {
		Issuer, Subject asn1.ObjectIdentifier
	}
	seq := make([]mapping, len(m))
	for k, pm := range m {
		seq[k] = mapping{pm[0], pm[1]}
	}
	der, err := asn1.Marshal(seq)
	if err != nil {
		t.Fatal(err)
	}
	return pkix.Extension{Id: asn1.ObjectIdentifier{2, 5, 29, 33}, Critical: true, Value: der}
}

// issuePolicyCert creates a certificate named cn signed by parent (self-signed
// when parent is nil) with the given policies and extra extensions, and
// parses it back.
func issuePolicyCert(t testing.TB, parent *testPolicyCA, cn string, isCA bool, policies []x509.OID, extra []pkix.Extension) *testPolicyCA {
	t.Helper()
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	testPolicySerial++
	tmpl := &x509.Certificate{
		SerialNumber:          big.NewInt(testPolicySerial),
		Subject:               pkix.Name{CommonName: cn},
		NotBefore:             time.Date(2025, 1, 1, 0, 0, 0, 0, time.UTC),
		NotAfter:              time.Date(2035, 1, 1, 0, 0, 0, 0, time.UTC),
		BasicConstraintsValid: true,
		IsCA:                  isCA,
		KeyUsage:              x509.KeyUsageDigitalSignature,
		Policies:              policies,
		ExtraExtensions:       extra,
	}
	if isCA {
		tmpl.KeyUsage |= x509.KeyUsageCertSign
	}
	signer, signerCert := key, tmpl
	if parent != nil {
		signer, signerCert = parent.key, parent.cert
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, signerCert, &key.PublicKey, signer)
	if err != nil {
		t.Fatal(err)
	}
	c, err := x509.ParseCertificate(der)
	if err != nil {
		t.Fatal(err)
	}
	return &testPolicyCA{cert: c, key: key}
}

// TestPolicyHostileMappings builds the classic exponential-blow-up chain: ten
// CAs each asserting the same 20 policies and mapping every one of them to
// every one of them (400 mappings). An RFC 5280 policy tree would hold 20^10
// leaves; the graph must stay at ~21 nodes per depth.
func TestPolicyHostileMappings(t *testing.T) {
	const (
		numPolicies = 20
		numCAs      = 10
	)
	policies := make([]x509.OID, numPolicies)
	asn1OIDs := make([]asn1.ObjectIdentifier, numPolicies)
	want := make([]string, numPolicies)
	for k := range policies {
		policies[k] = policyTestOID(k + 1)
		want[k] = policies[k].String()
		asn1OIDs[k] = asn1.ObjectIdentifier{1, 3, 6, 1, 4, 1, 55555, 1, k + 1}
	}
	slices.Sort(want)
	var pairs [][2]asn1.ObjectIdentifier
	for _, a := range asn1OIDs {
		for _, b := range asn1OIDs {
			pairs = append(pairs, [2]asn1.ObjectIdentifier{a, b})
		}
	}
	mapExt := policyMappingsExtension(t, pairs)
	anyOID, err := x509.ParseOID(policyAnyOID)
	if err != nil {
		t.Fatal(err)
	}

	// withAny: the CAs also assert anyPolicy, which adds an anyPolicy node
	// per depth and exercises §6.1.3 (d)(2).
	for _, withAny := range []bool{false, true} {
		caPolicies := policies
		if withAny {
			caPolicies = append(slices.Clone(policies), anyOID)
		}
		root := issuePolicyCert(t, nil, "Hostile Root", true, nil, nil)
		chain := []*x509.Certificate{root.cert}
		parent := root
		for k := 1; k <= numCAs; k++ {
			ca := issuePolicyCert(t, parent, fmt.Sprintf("Hostile CA %d", k), true, caPolicies, []pkix.Extension{mapExt})
			if len(ca.cert.PolicyMappings) != numPolicies*numPolicies {
				t.Fatalf("CA %d parsed with %d mappings", k, len(ca.cert.PolicyMappings))
			}
			chain = append(chain, ca.cert)
			parent = ca
		}
		ee := issuePolicyCert(t, parent, "Hostile EE", false, policies, nil)
		chain = append(chain, ee.cert)
		n := len(chain) - 1

		for _, initial := range [][]string{nil, {want[3]}} {
			p, set, err := runPolicyChain(t, PolicySettings{InitialPolicySet: initial, ExplicitPolicy: true}, chain)
			if err != nil {
				t.Fatalf("anyPolicy %v, initial %v: %v", withAny, initial, err)
			}
			wantSet := want
			if initial != nil {
				wantSet = initial
			}
			if !slices.Equal(set, wantSet) {
				t.Fatalf("anyPolicy %v, initial %v: user-constrained policy set = %v, want %v", withAny, initial, set, wantSet)
			}
			// Per depth: at most one node per policy plus anyPolicy; edges
			// at most (nodes at depth i-1) x (nodes at depth i).
			perDepth := numPolicies + 1
			maxNodes := 1 + n*perDepth
			maxEdges := n * perDepth * perDepth
			nodes, edges := p.graphSize()
			t.Logf("anyPolicy %v, initial %v: n=%d, %d nodes created (%d live), %d edges created (%d live); bounds %d nodes, %d edges",
				withAny, initial, n, p.nodesCreated, nodes, p.edgesCreated, edges, maxNodes, maxEdges)
			if p.nodesCreated > maxNodes || nodes > maxNodes {
				t.Errorf("graph nodes not bounded: created %d, live %d, bound %d", p.nodesCreated, nodes, maxNodes)
			}
			if p.edgesCreated > maxEdges || edges > maxEdges {
				t.Errorf("graph edges not bounded: created %d, live %d, bound %d", p.edgesCreated, edges, maxEdges)
			}
		}
	}
}

func TestPolicyDuplicateOID(t *testing.T) {
	p1 := policyTestOID(1)
	// crypto/x509 refuses to parse such a certificate, so build it by hand.
	c := &x509.Certificate{Policies: []x509.OID{p1, policyTestOID(2), p1}}
	p := newPolicyState(PolicySettings{}, 1)
	err := p.processCert(c, 1, false)
	if err == nil || !strings.Contains(err.Error(), "more than once") {
		t.Fatalf("duplicate policy: got %v, want an error about a policy appearing more than once", err)
	}
	if _, err := p.finish(c); err == nil {
		t.Fatal("finish after a rejected certificate succeeded")
	}

	// A present but empty certificatePolicies extension is malformed too.
	empty := &x509.Certificate{Extensions: []pkix.Extension{{Id: asn1.ObjectIdentifier{2, 5, 29, 32}, Value: []byte{0x30, 0x00}}}}
	p = newPolicyState(PolicySettings{}, 1)
	if err := p.processCert(empty, 1, false); err == nil || !strings.Contains(err.Error(), "no policy") {
		t.Fatalf("empty certificatePolicies: got %v, want an error", err)
	}
}

func TestPolicyMappingToAnyPolicy(t *testing.T) {
	anyOID, err := x509.ParseOID(policyAnyOID)
	if err != nil {
		t.Fatal(err)
	}
	p1 := policyTestOID(1)
	ee := &x509.Certificate{Policies: []x509.OID{p1}}
	for _, tc := range []struct {
		name string
		m    x509.PolicyMapping
		want string
	}{
		{"to", x509.PolicyMapping{IssuerDomainPolicy: p1, SubjectDomainPolicy: anyOID}, "policy mapping to anyPolicy"},
		{"from", x509.PolicyMapping{IssuerDomainPolicy: anyOID, SubjectDomainPolicy: p1}, "policy mapping from anyPolicy"},
	} {
		for _, inhibit := range []bool{false, true} {
			ca := &x509.Certificate{Policies: []x509.OID{p1}, PolicyMappings: []x509.PolicyMapping{tc.m}}
			p := newPolicyState(PolicySettings{PolicyMappingInhibit: inhibit}, 2)
			err := p.processCert(ca, 1, false)
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Fatalf("%s (mapping inhibited %v): got %v, want %q", tc.name, inhibit, err, tc.want)
			}
			if err := p.processCert(ee, 2, false); err == nil {
				t.Fatalf("%s: processing continued after a rejected certificate", tc.name)
			}
		}
	}

	// Also through a real encoding: the parser accepts it, processCert must not.
	root := issuePolicyCert(t, nil, "Root", true, nil, nil)
	ext := policyMappingsExtension(t, [][2]asn1.ObjectIdentifier{{{1, 3, 6, 1, 4, 1, 55555, 1, 1}, {2, 5, 29, 32, 0}}})
	ca := issuePolicyCert(t, root, "CA", true, []x509.OID{p1}, []pkix.Extension{ext})
	leaf := issuePolicyCert(t, ca, "EE", false, []x509.OID{p1}, nil)
	if _, _, err := runPolicyChain(t, PolicySettings{}, []*x509.Certificate{root.cert, ca.cert, leaf.cert}); err == nil || !strings.Contains(err.Error(), "to anyPolicy") {
		t.Fatalf("encoded mapping to anyPolicy: got %v", err)
	}
}

// TestPolicyOrder checks the misuse guards of the state machine.
func TestPolicyOrder(t *testing.T) {
	c := &x509.Certificate{Policies: []x509.OID{policyTestOID(1)}}
	p := newPolicyState(PolicySettings{}, 2)
	if err := p.processCert(c, 2, false); err == nil {
		t.Fatal("out-of-order certificate accepted")
	}
	p = newPolicyState(PolicySettings{}, 2)
	if err := p.processCert(c, 1, false); err != nil {
		t.Fatal(err)
	}
	if _, err := p.finish(c); err == nil {
		t.Fatal("finish before the end-entity accepted")
	}
}

// --- differential test against the RFC 5280 policy tree ---------------------

// policyRefTreeNode is a node of the classic RFC 5280 valid_policy_tree.
type policyRefTreeNode struct {
	policy   string
	expected []string
	parent   *policyRefTreeNode
	children []*policyRefTreeNode
	deleted  bool
}

// policyRefTree is a direct, deliberately naive transcription of RFC 5280
// §6.1.2-§6.1.5 with the original tree (exponential in the worst case; only
// used on tiny inputs). It returns the authority-constrained set computed
// from the tree the way RFC 9618's §6.1.5 (g) does, then the user-constrained
// set, or ok == false when the path is rejected.
func policyRefTree(s PolicySettings, certs []*x509.Certificate, selfIssued []bool) (user []string, ok bool) {
	n := len(certs)
	explicit, mapping, inhibitAny := n+1, n+1, n+1
	if s.ExplicitPolicy {
		explicit = 0
	}
	if s.PolicyMappingInhibit {
		mapping = 0
	}
	if s.InhibitAnyPolicy {
		inhibitAny = 0
	}
	root := &policyRefTreeNode{policy: policyAnyOID, expected: []string{policyAnyOID}}
	levels := [][]*policyRefTreeNode{{root}}
	null := false
	live := func(lvl []*policyRefTreeNode) []*policyRefTreeNode {
		var out []*policyRefTreeNode
		for _, nd := range lvl {
			if !nd.deleted {
				out = append(out, nd)
			}
		}
		return out
	}
	addChild := func(par *policyRefTreeNode, pol string) *policyRefTreeNode {
		c := &policyRefTreeNode{policy: pol, expected: []string{pol}, parent: par}
		par.children = append(par.children, c)
		return c
	}
	liveChildren := func(nd *policyRefTreeNode) int {
		k := 0
		for _, c := range nd.children {
			if !c.deleted {
				k++
			}
		}
		return k
	}
	prune := func(upTo int) {
		for d := upTo; d >= 0; d-- {
			for _, nd := range levels[d] {
				if !nd.deleted && liveChildren(nd) == 0 {
					nd.deleted = true
				}
			}
		}
		if len(live(levels[len(levels)-1])) == 0 {
			null = true
		}
	}
	for k, c := range certs {
		i := k + 1
		var pols []string
		for _, o := range c.Policies {
			pols = append(pols, o.String())
		}
		if len(pols) > 0 && !null {
			prev := live(levels[i-1])
			var cur []*policyRefTreeNode
			hasAny := false
			for _, pol := range pols {
				if pol == policyAnyOID {
					hasAny = true
					continue
				}
				matched := false
				for _, par := range prev {
					if slices.Contains(par.expected, pol) {
						cur = append(cur, addChild(par, pol))
						matched = true
					}
				}
				if !matched {
					for _, par := range prev {
						if par.policy == policyAnyOID {
							cur = append(cur, addChild(par, pol))
						}
					}
				}
			}
			if hasAny && (inhibitAny > 0 || (i < n && selfIssued[k])) {
				for _, par := range prev {
					for _, e := range par.expected {
						found := false
						for _, ch := range par.children {
							if !ch.deleted && ch.policy == e {
								found = true
							}
						}
						if !found {
							cur = append(cur, addChild(par, e))
						}
					}
				}
			}
			levels = append(levels, cur)
			prune(i - 1)
		}
		if len(pols) == 0 {
			null = true
		}
		if explicit == 0 && null {
			return nil, false
		}
		if i == n {
			break
		}
		for _, m := range c.PolicyMappings {
			if m.IssuerDomainPolicy.String() == policyAnyOID || m.SubjectDomainPolicy.String() == policyAnyOID {
				return nil, false
			}
		}
		if len(c.PolicyMappings) > 0 && !null {
			subjects := map[string][]string{}
			var issuers []string
			for _, m := range c.PolicyMappings {
				from, to := m.IssuerDomainPolicy.String(), m.SubjectDomainPolicy.String()
				if _, ok := subjects[from]; !ok {
					issuers = append(issuers, from)
				}
				if !slices.Contains(subjects[from], to) {
					subjects[from] = append(subjects[from], to)
				}
			}
			if mapping > 0 {
				for _, from := range issuers {
					found := false
					var anyLeaf *policyRefTreeNode
					for _, nd := range live(levels[i]) {
						if nd.policy == from {
							nd.expected = subjects[from]
							found = true
						}
						if nd.policy == policyAnyOID {
							anyLeaf = nd
						}
					}
					if !found && anyLeaf != nil {
						nd := addChild(anyLeaf.parent, from)
						nd.expected = subjects[from]
						levels[i] = append(levels[i], nd)
					}
				}
			} else {
				for _, nd := range live(levels[i]) {
					if _, ok := subjects[nd.policy]; ok {
						nd.deleted = true
					}
				}
				prune(i - 1)
			}
		}
		if !selfIssued[k] {
			explicit = max(explicit-1, 0)
			mapping = max(mapping-1, 0)
			inhibitAny = max(inhibitAny-1, 0)
		}
		if (c.RequireExplicitPolicy > 0 || c.RequireExplicitPolicyZero) && c.RequireExplicitPolicy < explicit {
			explicit = c.RequireExplicitPolicy
		}
		if (c.InhibitPolicyMapping > 0 || c.InhibitPolicyMappingZero) && c.InhibitPolicyMapping < mapping {
			mapping = c.InhibitPolicyMapping
		}
		if (c.InhibitAnyPolicy > 0 || c.InhibitAnyPolicyZero) && c.InhibitAnyPolicy < inhibitAny {
			inhibitAny = c.InhibitAnyPolicy
		}
	}
	explicit = max(explicit-1, 0)
	if certs[n-1].RequireExplicitPolicyZero {
		explicit = 0
	}
	authority := map[string]bool{}
	if !null {
		for d := 1; d <= n; d++ {
			for _, nd := range live(levels[d]) {
				if nd.policy != policyAnyOID && nd.parent.policy == policyAnyOID {
					authority[nd.policy] = true
				}
				if d == n && nd.policy == policyAnyOID {
					authority[policyAnyOID] = true
				}
			}
		}
	}
	initialAny := len(s.InitialPolicySet) == 0 || slices.Contains(s.InitialPolicySet, policyAnyOID)
	user = []string{}
	for pol := range authority {
		if initialAny || slices.Contains(s.InitialPolicySet, pol) {
			user = append(user, pol)
		}
	}
	if !initialAny && authority[policyAnyOID] {
		for _, pol := range s.InitialPolicySet {
			if !slices.Contains(user, pol) {
				user = append(user, pol)
			}
		}
	}
	slices.Sort(user)
	if explicit == 0 && len(user) == 0 {
		return nil, false
	}
	return user, true
}

// TestPolicyGraphMatchesTree compares the graph with the naive RFC 5280 tree
// on many small random paths (policies, mappings, constraints, self-issued
// certificates and settings all random).
func TestPolicyGraphMatchesTree(t *testing.T) {
	rng := mathrand.New(mathrand.NewPCG(5280, 9618))
	anyOID, err := x509.ParseOID(policyAnyOID)
	if err != nil {
		t.Fatal(err)
	}
	pool := []x509.OID{policyTestOID(1), policyTestOID(2), policyTestOID(3), anyOID}
	skip := func() (int, bool) { // absent, 0, 1 or 2
		switch v := rng.IntN(6); {
		case v >= 3:
			return 0, false
		default:
			return v, v == 0
		}
	}
	const cases = 30000
	valid := 0
	for tc := 0; tc < cases; tc++ {
		n := 1 + rng.IntN(5)
		certs := make([]*x509.Certificate, n)
		selfIssued := make([]bool, n)
		for k := range certs {
			c := &x509.Certificate{}
			if rng.IntN(8) != 0 {
				for _, o := range pool {
					if rng.IntN(2) == 0 {
						c.Policies = append(c.Policies, o)
					}
				}
			}
			for range rng.IntN(4) {
				c.PolicyMappings = append(c.PolicyMappings, x509.PolicyMapping{
					IssuerDomainPolicy:  pool[rng.IntN(3)],
					SubjectDomainPolicy: pool[rng.IntN(3)],
				})
			}
			if rng.IntN(40) == 0 { // occasionally an illegal mapping
				c.PolicyMappings = append(c.PolicyMappings, x509.PolicyMapping{IssuerDomainPolicy: pool[0], SubjectDomainPolicy: anyOID})
			}
			c.RequireExplicitPolicy, c.RequireExplicitPolicyZero = skip()
			c.InhibitPolicyMapping, c.InhibitPolicyMappingZero = skip()
			c.InhibitAnyPolicy, c.InhibitAnyPolicyZero = skip()
			certs[k] = c
			selfIssued[k] = rng.IntN(4) == 0
		}
		s := PolicySettings{
			ExplicitPolicy:       rng.IntN(2) == 0,
			PolicyMappingInhibit: rng.IntN(3) == 0,
			InhibitAnyPolicy:     rng.IntN(3) == 0,
		}
		if rng.IntN(2) == 0 {
			for _, o := range pool[:3] {
				if rng.IntN(2) == 0 {
					s.InitialPolicySet = append(s.InitialPolicySet, o.String())
				}
			}
		}

		wantSet, wantOK := policyRefTree(s, certs, selfIssued)

		p := newPolicyState(s, n)
		var gotSet []string
		var gotErr error
		for k, c := range certs {
			if gotErr = p.processCert(c, k+1, selfIssued[k]); gotErr != nil {
				break
			}
		}
		if gotErr == nil {
			gotSet, gotErr = p.finish(certs[n-1])
		}
		if (gotErr == nil) != wantOK || (wantOK && !slices.Equal(gotSet, wantSet)) {
			var b strings.Builder
			fmt.Fprintf(&b, "settings %+v\n", s)
			for k, c := range certs {
				fmt.Fprintf(&b, "  cert %d selfIssued=%v policies=%v mappings=%v rep=%d/%v ipm=%d/%v iap=%d/%v\n", k+1, selfIssued[k], c.Policies, c.PolicyMappings,
					c.RequireExplicitPolicy, c.RequireExplicitPolicyZero, c.InhibitPolicyMapping, c.InhibitPolicyMappingZero, c.InhibitAnyPolicy, c.InhibitAnyPolicyZero)
			}
			t.Fatalf("case %d: graph = %v, %v; tree = %v, ok=%v\n%s", tc, gotSet, gotErr, wantSet, wantOK, b.String())
		}
		if wantOK {
			valid++
		}
	}
	t.Logf("%d random paths, %d valid, graph and tree agree", cases, valid)
}
