package validate

import (
	"context"
	"crypto/x509"
	"errors"
	"fmt"
	"sync"
	"testing"

	"github.com/lienthong/lienthong/test/testpki"
	"github.com/lienthong/lienthong/trust"
)

// impostors issues n CA certificates under root with the subject of ca and
// fresh keys; sameSKI copies ca's subject key identifier into them, so that
// key identifiers cannot tell them apart.
func impostors(t testing.TB, root, ca *testpki.Issuer, n int, sameSKI bool) []*x509.Certificate {
	t.Helper()
	out := make([]*x509.Certificate, 0, n)
	for i := range n {
		opts := []testpki.CertOption{testpki.WithSubject(ca.Cert.Subject), testpki.WithName(fmt.Sprintf("impostor-%d", i))}
		if sameSKI {
			opts = append(opts, testpki.WithMutate(func(c *x509.Certificate) { c.SubjectKeyId = ca.Cert.SubjectKeyId }))
		}
		out = append(out, must[*testpki.Issuer](t)(root.IssueCA(ca.Cert.Subject.CommonName, opts...)).Cert)
	}
	return out
}

func TestHostileCandidatesAreBounded(t *testing.T) {
	p := newPKI(t, false)
	s := oneDomain(t, p.Public.Root.Cert)
	noAKI := issueWithoutAKI(t, p.Public.CA)
	cases := []struct {
		name    string
		target  *x509.Certificate
		sameSKI bool
		profile Profile
		valid   bool
		limit   bool
	}{
		// Key identifiers point at the real CA: found first, at once.
		{name: "different key identifiers", target: p.Public.Business.Cert, valid: true},
		// Key identifiers cannot help: every impostor is a full
		// candidate path; the bounds stop the search before the real CA.
		{name: "same key identifiers", target: p.Public.Business.Cert, sameSKI: true, limit: true},
		// No AKI in the target: every impostor is a dead end.
		{name: "target without AKI", target: noAKI, profile: ProfileRFC5280, limit: true},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			pool := append(impostors(t, p.Public.Root, p.Public.CA, 200, tc.sameSKI), p.Public.CA.Cert)
			e := newEngine(t, Options{Domains: map[string]DomainOptions{"test": {Profile: tc.profile}}})
			path, f := verify(t, e, s, PathRequest{Target: tc.target, Intermediates: pool})
			st := e.Stats()
			t.Logf("paths tried %d, signature checks %d, limit hits %d, failure: %v", st.PathsTried, st.SignatureChecks, st.LimitHits, f)
			if st.PathsTried > DefaultMaxCandidates || st.SignatureChecks > DefaultMaxSignatureChecks {
				t.Fatalf("bounds exceeded: %+v", st)
			}
			if tc.valid != (path != nil) {
				t.Fatalf("path %v, failure %v; want valid=%v", path, f, tc.valid)
			}
			if tc.valid && st.SignatureChecks > 2 {
				t.Errorf("%d signature checks for a path of two links", st.SignatureChecks)
			}
			if tc.limit != (st.LimitHits == 1) {
				t.Errorf("limit hits %d, want limit reached %v", st.LimitHits, tc.limit)
			}
		})
	}
	// The store's own CA comes before request certificates that rank the
	// same, so impostors offered in a request cannot hide it.
	t.Run("real CA in the store", func(t *testing.T) {
		s := newStore(t, nil, trust.DomainSpec{Name: "test", Hierarchy: trust.Other,
			Anchors: []*x509.Certificate{p.Public.Root.Cert}, Intermediates: []*x509.Certificate{p.Public.CA.Cert}})
		e := newEngine(t, Options{})
		pool := impostors(t, p.Public.Root, p.Public.CA, 200, true)
		if _, f := verify(t, e, s, PathRequest{Target: p.Public.Business.Cert, Intermediates: pool}); f != nil {
			t.Fatal(f)
		}
		if st := e.Stats(); st.SignatureChecks != 2 {
			t.Errorf("%d signature checks", st.SignatureChecks)
		}
	})
}

func TestCyclicCrossCertificates(t *testing.T) {
	p := newPKI(t, false)
	a := must[*testpki.Issuer](t)(p.NewRoot(name("ROOT A")))
	b := must[*testpki.Issuer](t)(p.NewRoot(name("ROOT B")))
	ab := must[*x509.Certificate](t)(a.CrossCertify(b)) // B's name and key, signed by A
	ba := must[*x509.Certificate](t)(b.CrossCertify(a)) // A's name and key, signed by B
	bCA := must[*testpki.Issuer](t)(b.IssueCA("B CA"))
	leaf := must[*testpki.Leaf](t)(bCA.IssueLeaf(name("LEAF")))
	pool := []*x509.Certificate{ab, ba, a.Cert, b.Cert, bCA.Cert}

	t.Run("no anchor reachable", func(t *testing.T) {
		e := newEngine(t, Options{})
		_, f := verify(t, e, oneDomain(t, p.Public.Root.Cert), PathRequest{Target: leaf.Cert, Intermediates: pool})
		if f == nil || f.SubIndication != NoCertificateChainFound {
			t.Fatalf("got %v, want NO_CERTIFICATE_CHAIN_FOUND", f)
		}
		if st := e.Stats(); st.PathsTried > 8 || st.LimitHits != 0 {
			t.Errorf("a cycle of two cross-certificates cost %+v", st)
		}
	})
	t.Run("anchor A through the cross-certificate", func(t *testing.T) {
		path, f := verify(t, newEngine(t, Options{}), oneDomain(t, a.Cert), PathRequest{Target: leaf.Cert, Intermediates: pool})
		if f != nil {
			t.Fatal(f)
		}
		if got, want := chainString(path), "CN=LEAF -> CN=B CA -> CN=ROOT B -> CN=ROOT A"; got != want {
			t.Errorf("chain %s, want %s", got, want)
		}
		if path.Chain[2].SHA256 != (must[*trust.Cert](t)(trust.NewCert(ab))).SHA256 {
			t.Error("the path does not go through the cross-certificate")
		}
	})
}

func TestMaxDepth(t *testing.T) {
	p := newPKI(t, false)
	is, pool := p.Public.Root, []*x509.Certificate(nil)
	for i := range 11 {
		is = must[*testpki.Issuer](t)(is.IssueCA(fmt.Sprintf("CA %d", i)))
		pool = append(pool, is.Cert)
	}
	leaf := must[*testpki.Leaf](t)(is.IssueLeaf(name("DEEP")))
	s := oneDomain(t, p.Public.Root.Cert)
	if _, f := verify(t, newEngine(t, Options{}), s, PathRequest{Target: leaf.Cert, Intermediates: pool}); f == nil || f.SubIndication != NoCertificateChainFound {
		t.Fatalf("12-certificate path with MaxDepth 10: got %v", f)
	}
	if _, f := verify(t, newEngine(t, Options{MaxDepth: 12}), s, PathRequest{Target: leaf.Cert, Intermediates: pool}); f != nil {
		t.Fatalf("12-certificate path with MaxDepth 12: %v", f)
	}
}

func TestSignatureCache(t *testing.T) {
	p := newPKI(t, false)
	s := bothDomains(t, p)
	req := PathRequest{Target: p.Public.Citizen.Cert}
	e := newEngine(t, Options{})
	for range 3 {
		if _, f := verify(t, e, s, req); f != nil {
			t.Fatal(f)
		}
	}
	if st := e.Stats(); st.SignatureChecks != 2 || st.SignatureCacheHits != 4 {
		t.Errorf("warm engine: %+v, want 2 checks then 4 cache hits", st)
	}
	off := newEngine(t, Options{SignatureCacheSize: -1})
	for range 3 {
		if _, f := verify(t, off, s, req); f != nil {
			t.Fatal(f)
		}
	}
	if st := off.Stats(); st.SignatureChecks != 6 || st.SignatureCacheHits != 0 {
		t.Errorf("engine without cache: %+v", st)
	}
}

func TestSigCacheBounded(t *testing.T) {
	c := newCache[sigKey, error](10)
	key := func(i int) sigKey { return sigKey{child: trust.Fingerprint{byte(i), byte(i >> 8)}} }
	for i := range 1000 {
		c.put(key(i), nil)
		if _, ok := c.get(key(0)); i < 5 && !ok {
			t.Fatalf("entry 0 lost after %d puts", i)
		}
		if n := c.len(); n > 10 {
			t.Fatalf("cache holds %d entries, bound 10", n)
		}
	}
	if _, ok := c.get(key(999)); !ok {
		t.Error("most recent entry missing")
	}
	bad := errors.New("bad")
	c.put(key(5000), bad)
	if err, ok := c.get(key(5000)); !ok || err != bad {
		t.Error("failures are not remembered")
	}
}

// fakeSource returns fixed issuers and counts its calls.
type fakeSource struct {
	mu    sync.Mutex
	certs []*x509.Certificate
	calls int
}

func (f *fakeSource) Issuers(_ context.Context, _ *x509.Certificate) []*x509.Certificate {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.calls++
	return f.certs
}

var _ IssuerSource = (*fakeSource)(nil)

func TestIssuerSource(t *testing.T) {
	p := newPKI(t, false)
	s := oneDomain(t, p.Gov.Root.Cert)
	t.Run("supplies the missing CA", func(t *testing.T) {
		src := &fakeSource{certs: []*x509.Certificate{p.Public.CA.Cert, p.Gov.CA.Cert}}
		e, err := NewEngine(Options{}, Deps{Issuers: src})
		if err != nil {
			t.Fatal(err)
		}
		path, f := verify(t, e, s, PathRequest{Target: p.Gov.Official.Cert})
		if f != nil {
			t.Fatal(f)
		}
		if len(path.Chain) != 3 || src.calls != 1 {
			t.Errorf("chain %s after %d calls", chainString(path), src.calls)
		}
	})
	t.Run("calls are bounded", func(t *testing.T) {
		src := &fakeSource{certs: impostors(t, p.Gov.Root, p.Gov.CA, 20, false)}
		e, err := NewEngine(Options{}, Deps{Issuers: src})
		if err != nil {
			t.Fatal(err)
		}
		if _, f := verify(t, e, s, PathRequest{Target: p.Gov.Official.Cert}); f == nil {
			t.Fatal("impostors validated")
		}
		if src.calls > maxIssuerSourceCalls {
			t.Errorf("%d IssuerSource calls", src.calls)
		}
	})
}

func TestVerifyPathConcurrent(t *testing.T) {
	p := newPKI(t, true)
	s := bothDomains(t, p)
	e := newEngine(t, Options{SignatureCacheSize: 4})
	targets := []*x509.Certificate{p.Public.Citizen.Cert, p.Public.Business.Cert, p.Gov.Official.Cert}
	var wg sync.WaitGroup
	for i := range 16 {
		wg.Go(func() {
			for j := range 20 {
				tgt := targets[(i+j)%len(targets)]
				if _, f := e.VerifyPath(context.Background(), s, PathRequest{Target: tgt, Time: t0, Intermediates: []*x509.Certificate{p.Cross}}); f != nil {
					t.Error(f)
					return
				}
			}
		})
	}
	wg.Wait()
}
