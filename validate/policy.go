package validate

// Certificate policy processing of RFC 5280 §6.1 (steps 6.1.2 (a), (d)-(f),
// 6.1.3 (d)-(f), 6.1.4 (a), (b), (h)-(j) and 6.1.5 (a), (b), (g)).
//
// The valid_policy_tree of RFC 5280 can grow exponentially in the length of
// the path when certificates map many policies to many policies (the
// CVE-2023-0464 / CVE-2023-23524 class of denial of service). This file
// therefore represents it as the equivalent "valid_policy_graph" of RFC 9618
// (which updates RFC 5280 §6.1 and gives the same validation result and the
// same user_constrained_policy_set): a directed acyclic graph split into
// depths, holding at most one node per policy OID at each depth, where a node
// may have several parents. The graph has at most (number of policies in
// certificate i + number of distinct expected policies at depth i-1) nodes at
// depth i, so the work per certificate is polynomial (essentially linear in
// the size of the policy and mapping extensions involved).
//
// Policy qualifiers are not tracked: nothing in this package returns them.

import (
	"crypto/x509"
	"encoding/asn1"
	"errors"
	"fmt"
	"slices"
)

// policyAnyOID is the special policy anyPolicy (RFC 5280 §4.2.1.4).
const policyAnyOID = "2.5.29.32.0"

var (
	policyOIDExtCertificatePolicies = asn1.ObjectIdentifier{2, 5, 29, 32}
	policyOIDExtPolicyMappings      = asn1.ObjectIdentifier{2, 5, 29, 33}
	policyOIDExtPolicyConstraints   = asn1.ObjectIdentifier{2, 5, 29, 36}
	policyOIDExtInhibitAnyPolicy    = asn1.ObjectIdentifier{2, 5, 29, 54}
)

// PolicySettings are the policy inputs of RFC 5280 §6.1.1 (c), (e), (f), (g).
type PolicySettings struct {
	InitialPolicySet     []string // dotted OIDs; empty means {anyPolicy} ("2.5.29.32.0")
	ExplicitPolicy       bool     // initial-explicit-policy
	PolicyMappingInhibit bool     // initial-policy-mapping-inhibit
	InhibitAnyPolicy     bool     // initial-any-policy-inhibit
}

// policyNode is a node of the valid_policy_graph. Qualifiers are not kept.
type policyNode struct {
	policy   string        // valid_policy (dotted OID)
	expected []string      // expected_policy_set; nil means {policy}
	parents  []*policyNode // nodes at the previous depth; empty only at depth 0
	children int           // number of live nodes at the next depth having this node as a parent
}

// expectedSet returns the node's expected_policy_set.
func (nd *policyNode) expectedSet() []string {
	if nd.expected == nil {
		return []string{nd.policy}
	}
	return nd.expected
}

// policyLevel holds the nodes of one depth, keyed by valid_policy (RFC 9618
// keeps at most one node per policy OID and depth).
type policyLevel map[string]*policyNode

// policyState is the policy part of the §6.1 state: the valid_policy_graph
// and the explicit_policy, policy_mapping and inhibit_anyPolicy counters.
// Use it once per path: newPolicyState, processCert for i = 1..n, finish.
type policyState struct {
	n    int // path length, trust anchor excluded
	next int // number (1-based) of the certificate processCert expects next

	initialAny bool            // user-initial-policy-set is {anyPolicy}
	initial    map[string]bool // user-initial-policy-set otherwise

	explicitPolicy   int
	policyMapping    int
	inhibitAnyPolicy int

	// levels[d] are the nodes of depth d; nil means valid_policy_tree is NULL.
	// While the graph is not NULL after certificate i, len(levels) == i+1.
	levels []policyLevel

	// Counters of the work done, for tests and for diagnosing hostile input.
	nodesCreated int
	edgesCreated int

	err      error // sticky: once a step failed the path is rejected
	finished bool
}

// newPolicyState initialises §6.1.2 (a), (d), (e), (f) for a path of n certificates (the trust anchor is not counted; n >= 1).
func newPolicyState(s PolicySettings, n int) *policyState {
	p := &policyState{n: n, next: 1}
	if n < 1 {
		p.err = fmt.Errorf("certificate policy processing needs a path of at least one certificate, got %d", n)
	}

	// §6.1.1 (c). A set naming anyPolicy accepts every policy, whatever else
	// it names, so it is treated as {anyPolicy}.
	if len(s.InitialPolicySet) > 0 {
		p.initial = make(map[string]bool, len(s.InitialPolicySet))
	}
	for _, o := range s.InitialPolicySet {
		o = policyCanonicalOID(o)
		if o == policyAnyOID {
			p.initialAny = true
		}
		p.initial[o] = true
	}
	if len(p.initial) == 0 {
		p.initialAny = true
	}
	if p.initialAny {
		p.initial = nil
	}

	// §6.1.2 (d), (e), (f).
	if !s.ExplicitPolicy {
		p.explicitPolicy = n + 1
	}
	if !s.InhibitAnyPolicy {
		p.inhibitAnyPolicy = n + 1
	}
	if !s.PolicyMappingInhibit {
		p.policyMapping = n + 1
	}

	// §6.1.2 (a): a single anyPolicy node at depth 0.
	root := &policyNode{policy: policyAnyOID}
	p.levels = []policyLevel{{policyAnyOID: root}}
	p.nodesCreated = 1
	return p
}

// processCert runs §6.1.3 (d), (e), (f) for certificate number i (1-based; i == n is the end-entity) and, when i < n, the policy parts of §6.1.4 (a), (b), (h), (i), (j). selfIssued reports whether the certificate is self-issued (subject and issuer names match per RFC 5280 §7.1; the caller computes it). It returns a non-nil error (a plain error with a human-readable reason, e.g. "policy mapping to anyPolicy" or "explicit policy required but valid_policy_tree is NULL at certificate 3") when the path must be rejected at this step.
func (p *policyState) processCert(c *x509.Certificate, i int, selfIssued bool) error {
	if p.err != nil {
		return p.err
	}
	if err := p.processCertErr(c, i, selfIssued); err != nil {
		p.err = err
		return err
	}
	return nil
}

func (p *policyState) processCertErr(c *x509.Certificate, i int, selfIssued bool) error {
	switch {
	case p.finished:
		return errors.New("certificate policy processing already finished")
	case c == nil:
		return fmt.Errorf("certificate %d is nil", i)
	case i != p.next:
		return fmt.Errorf("certificate %d processed out of order: expected certificate %d of %d", i, p.next, p.n)
	}
	p.next++

	policies, present, err := policyCertPolicies(c)
	if err != nil {
		return fmt.Errorf("%v at certificate %d", err, i)
	}

	if present && p.levels != nil {
		p.addPolicies(policies, i, selfIssued) // §6.1.3 (d)
	}
	if !present {
		p.levels = nil // §6.1.3 (e)
	}
	// §6.1.3 (f)
	if p.explicitPolicy == 0 && p.levels == nil {
		return fmt.Errorf("explicit policy required but valid_policy_tree is NULL at certificate %d", i)
	}

	if i == p.n {
		return nil // §6.1.4 is not run for the end-entity certificate
	}

	// §6.1.4 (a)
	mappings, err := policyCertMappings(c)
	if err != nil {
		return fmt.Errorf("%v at certificate %d", err, i)
	}
	// §6.1.4 (b)
	if len(mappings) > 0 && p.levels != nil {
		p.applyMappings(mappings, i)
	}

	// §6.1.4 (h)
	if !selfIssued {
		if p.explicitPolicy > 0 {
			p.explicitPolicy--
		}
		if p.policyMapping > 0 {
			p.policyMapping--
		}
		if p.inhibitAnyPolicy > 0 {
			p.inhibitAnyPolicy--
		}
	}

	// §6.1.4 (i)
	v, ok, err := policySkipCerts(c.RequireExplicitPolicy, c.RequireExplicitPolicyZero, policyHasExt(c, policyOIDExtPolicyConstraints), "policyConstraints requireExplicitPolicy")
	if err != nil {
		return fmt.Errorf("%v at certificate %d", err, i)
	}
	if ok && v < p.explicitPolicy {
		p.explicitPolicy = v
	}
	v, ok, err = policySkipCerts(c.InhibitPolicyMapping, c.InhibitPolicyMappingZero, policyHasExt(c, policyOIDExtPolicyConstraints), "policyConstraints inhibitPolicyMapping")
	if err != nil {
		return fmt.Errorf("%v at certificate %d", err, i)
	}
	if ok && v < p.policyMapping {
		p.policyMapping = v
	}

	// §6.1.4 (j)
	v, ok, err = policySkipCerts(c.InhibitAnyPolicy, c.InhibitAnyPolicyZero, policyHasExt(c, policyOIDExtInhibitAnyPolicy), "inhibitAnyPolicy")
	if err != nil {
		return fmt.Errorf("%v at certificate %d", err, i)
	}
	if ok && v < p.inhibitAnyPolicy {
		p.inhibitAnyPolicy = v
	}
	return nil
}

// addPolicies is §6.1.3 (d) (as restated for the graph by RFC 9618):
// it adds depth i for the policies of certificate i, then prunes.
func (p *policyState) addPolicies(policies []string, i int, selfIssued bool) {
	prev := p.levels[i-1]

	// Index the depth i-1 nodes by the policies they expect.
	byExpected := make(map[string][]*policyNode)
	var expectedOrder []string // deterministic iteration for step (2)
	for _, nd := range prev {
		for _, e := range nd.expectedSet() {
			if _, seen := byExpected[e]; !seen {
				expectedOrder = append(expectedOrder, e)
			}
			byExpected[e] = append(byExpected[e], nd)
		}
	}
	slices.Sort(expectedOrder)

	cur := make(policyLevel, len(policies))
	hasAny := false
	// (d)(1)
	for _, pol := range policies {
		if pol == policyAnyOID {
			hasAny = true
			continue
		}
		if parents := byExpected[pol]; len(parents) > 0 { // (i)
			p.addNode(cur, pol, parents)
		} else if anyNode := prev[policyAnyOID]; anyNode != nil { // (ii)
			p.addNode(cur, pol, []*policyNode{anyNode})
		}
	}
	// (d)(2)
	if hasAny && (p.inhibitAnyPolicy > 0 || (i < p.n && selfIssued)) {
		for _, e := range expectedOrder {
			if cur[e] == nil {
				p.addNode(cur, e, byExpected[e])
			}
		}
	}

	p.levels = append(p.levels, cur)
	// (d)(3)
	p.prune(i - 1)
}

// applyMappings is §6.1.4 (b) (as restated for the graph by RFC 9618)
// for certificate i; mappings are grouped by issuerDomainPolicy.
func (p *policyState) applyMappings(mappings []policyMappingGroup, i int) {
	cur := p.levels[i]
	if p.policyMapping > 0 {
		anyLeaf := cur[policyAnyOID]
		anyParent := p.levels[i-1][policyAnyOID]
		for _, m := range mappings {
			if nd := cur[m.issuer]; nd != nil { // (b)(1)
				nd.expected = m.subjects
			} else if anyLeaf != nil && anyParent != nil { // (b)(2)
				// An anyPolicy node at depth i always has the anyPolicy
				// node of depth i-1 as its only parent, so anyParent is set.
				nd := p.addNode(cur, m.issuer, []*policyNode{anyParent})
				nd.expected = m.subjects
			}
		}
		return
	}
	// (b)(3): policy mapping is inhibited; drop the mapped policies.
	for _, m := range mappings {
		if nd := cur[m.issuer]; nd != nil {
			p.deleteNode(cur, nd)
		}
	}
	p.prune(i - 1)
}

// addNode creates a node of policy pol in level lvl with the given parents.
func (p *policyState) addNode(lvl policyLevel, pol string, parents []*policyNode) *policyNode {
	nd := &policyNode{policy: pol, parents: parents}
	for _, par := range parents {
		par.children++
	}
	lvl[pol] = nd
	p.nodesCreated++
	p.edgesCreated += len(parents)
	return nd
}

// deleteNode removes a childless node from lvl.
func (p *policyState) deleteNode(lvl policyLevel, nd *policyNode) {
	for _, par := range nd.parents {
		par.children--
	}
	delete(lvl, nd.policy)
}

// prune deletes, from depth d upwards, the nodes left without children,
// repeating until none is left (§6.1.3 (d)(3), §6.1.4 (b)(3)(ii)). Nodes at
// depths below d+1 had children before the current step, so a depth with no
// deletion ends the walk. When the deepest level ends up empty the whole
// graph has been pruned away: the tree is NULL.
func (p *policyState) prune(d int) {
	for k := d; k >= 0; k-- {
		removed := false
		for _, nd := range p.levels[k] {
			if nd.children == 0 {
				p.deleteNode(p.levels[k], nd)
				removed = true
			}
		}
		if !removed {
			break
		}
	}
	if len(p.levels[len(p.levels)-1]) == 0 {
		p.levels = nil
	}
}

// finish runs §6.1.5 (a), (b), (g) with the end-entity certificate and returns the user-constrained policy set (dotted OIDs, sorted; contains "2.5.29.32.0" if anyPolicy is in it) or an error if explicit_policy is 0 and the tree is NULL.
//
// The returned slice is sorted as strings and is non-nil (empty when the
// path is valid without any policy, i.e. explicit_policy stayed > 0).
func (p *policyState) finish(ee *x509.Certificate) ([]string, error) {
	if p.err != nil {
		return nil, p.err
	}
	switch {
	case p.finished:
		return nil, errors.New("certificate policy processing already finished")
	case p.next != p.n+1:
		return nil, fmt.Errorf("certificate policy processing finished after %d of %d certificates", p.next-1, p.n)
	case ee == nil:
		return nil, errors.New("end-entity certificate is nil")
	}
	p.finished = true

	// §6.1.5 (a)
	if p.explicitPolicy > 0 {
		p.explicitPolicy--
	}
	// §6.1.5 (b)
	v, ok, err := policySkipCerts(ee.RequireExplicitPolicy, ee.RequireExplicitPolicyZero, policyHasExt(ee, policyOIDExtPolicyConstraints), "policyConstraints requireExplicitPolicy")
	if err != nil {
		p.err = fmt.Errorf("%v at certificate %d", err, p.n)
		return nil, p.err
	}
	if ok && v == 0 {
		p.explicitPolicy = 0
	}

	// §6.1.5 (g) as replaced by RFC 9618.
	authority := make(map[string]bool)
	if p.levels != nil {
		// (2): non-anyPolicy nodes whose only parent is anyPolicy.
		for _, lvl := range p.levels[1:] {
			for _, nd := range lvl {
				if nd.policy != policyAnyOID && len(nd.parents) == 1 && nd.parents[0].policy == policyAnyOID {
					authority[nd.policy] = true
				}
			}
		}
		// (3): the anyPolicy node at depth n.
		if p.levels[p.n][policyAnyOID] != nil {
			authority[policyAnyOID] = true
		}
	}
	user := make([]string, 0, len(authority))
	if p.initialAny {
		for pol := range authority {
			user = append(user, pol)
		}
	} else {
		// (6)(i): keep what the user asked for; (6)(ii): anyPolicy
		// stands for every policy of user-initial-policy-set.
		for pol := range p.initial {
			if authority[pol] || authority[policyAnyOID] {
				user = append(user, pol)
			}
		}
	}
	slices.Sort(user)

	if p.explicitPolicy == 0 && len(user) == 0 {
		if p.levels == nil {
			p.err = errors.New("explicit policy required but valid_policy_tree is NULL at the end of the path")
		} else {
			p.err = errors.New("explicit policy required but no policy of the path is in the user-initial-policy-set (valid_policy_tree is NULL after the intersection of §6.1.5 (g))")
		}
		return nil, p.err
	}
	return user, nil
}

// graphSize reports the live nodes and parent edges of the graph (0, 0 when
// it is NULL), for tests and diagnostics.
func (p *policyState) graphSize() (nodes, edges int) {
	for _, lvl := range p.levels {
		nodes += len(lvl)
		for _, nd := range lvl {
			edges += len(nd.parents)
		}
	}
	return nodes, edges
}

// policyCertPolicies returns the policy OIDs of c's certificatePolicies extension
// and whether the extension is present. A present but empty extension and a
// policy listed twice are errors (RFC 5280 §4.2.1.4).
func policyCertPolicies(c *x509.Certificate) ([]string, bool, error) {
	var policies []string
	switch {
	case len(c.Policies) > 0:
		policies = make([]string, len(c.Policies))
		for k, o := range c.Policies {
			policies[k] = o.String()
		}
	case len(c.PolicyIdentifiers) > 0: // certificate built by hand, not parsed
		policies = make([]string, len(c.PolicyIdentifiers))
		for k, o := range c.PolicyIdentifiers {
			policies[k] = o.String()
		}
	}
	present := len(policies) > 0 || policyHasExt(c, policyOIDExtCertificatePolicies)
	if !present {
		return nil, false, nil
	}
	if len(policies) == 0 {
		return nil, true, errors.New("malformed certificatePolicies extension: no policy")
	}
	seen := make(map[string]bool, len(policies))
	for _, pol := range policies {
		if seen[pol] {
			return nil, true, fmt.Errorf("malformed certificatePolicies extension: policy %s appears more than once", pol)
		}
		seen[pol] = true
	}
	return policies, true, nil
}

// policyMappingGroup is the set of subjectDomainPolicy values mapped from one
// issuerDomainPolicy.
type policyMappingGroup struct {
	issuer   string
	subjects []string // no duplicates
}

// policyCertMappings runs §6.1.4 (a) on c's policyMappings extension and returns
// its mappings grouped by issuerDomainPolicy, in order of first appearance.
func policyCertMappings(c *x509.Certificate) ([]policyMappingGroup, error) {
	if len(c.PolicyMappings) == 0 {
		if policyHasExt(c, policyOIDExtPolicyMappings) {
			return nil, errors.New("malformed policyMappings extension: no mapping")
		}
		return nil, nil
	}
	var out []policyMappingGroup
	index := make(map[string]int)
	seen := make(map[[2]string]bool)
	for _, m := range c.PolicyMappings {
		from, to := m.IssuerDomainPolicy.String(), m.SubjectDomainPolicy.String()
		if from == policyAnyOID {
			return nil, fmt.Errorf("policy mapping from anyPolicy (to %s)", to)
		}
		if to == policyAnyOID {
			return nil, fmt.Errorf("policy mapping to anyPolicy (from %s)", from)
		}
		if seen[[2]string{from, to}] {
			continue
		}
		seen[[2]string{from, to}] = true
		k, ok := index[from]
		if !ok {
			k = len(out)
			index[from] = k
			out = append(out, policyMappingGroup{issuer: from})
		}
		out[k].subjects = append(out[k].subjects, to)
	}
	return out, nil
}

// policySkipCerts interprets one SkipCerts field of crypto/x509 (value plus the
// "present with value 0" flag). A negative value means "absent" for a
// certificate built by hand; in a parsed certificate whose extension is
// present it can only come from a negative encoding, which is malformed.
func policySkipCerts(v int, zero, extPresent bool, name string) (int, bool, error) {
	switch {
	case v > 0:
		return v, true, nil
	case v == 0:
		return 0, zero, nil
	case extPresent:
		return 0, false, fmt.Errorf("malformed %s: negative value %d", name, v)
	default:
		return 0, false, nil
	}
}

// policyHasExt reports whether c carries the extension id.
func policyHasExt(c *x509.Certificate, id asn1.ObjectIdentifier) bool {
	for _, e := range c.Extensions {
		if e.Id.Equal(id) {
			return true
		}
	}
	return false
}

// policyCanonicalOID returns the canonical dotted form of a dotted OID, or s itself
// when it does not parse (it then matches no policy).
func policyCanonicalOID(s string) string {
	o, err := x509.ParseOID(s)
	if err != nil {
		return s
	}
	return o.String()
}
