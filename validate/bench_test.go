package validate

import (
	"crypto/x509"
	"testing"

	"github.com/lienthong/lienthong/test/testpki"
	"github.com/lienthong/lienthong/trust"
)

// BenchmarkVerifyPath measures path building and validation of a
// 3-certificate chain (leaf, CA, anchor) in each hierarchy of testpki
// (P-256 keys) and in an RSA hierarchy shaped like the real ones (RSA-4096
// root and CA, RSA-2048 leaf). "warm" reuses one Engine, so every
// signature verification is a cache hit after the first iteration; "cold"
// runs with the signature cache disabled, so each iteration verifies both
// signatures. "hostile" offers 200 impostor CAs with the real CA's name
// and key identifier ahead of the real one: the bounds (64 candidate
// paths, 128 signature checks) cap the work.
func BenchmarkVerifyPath(b *testing.B) {
	p := newPKI(b, false)
	s := bothDomains(b, p)
	rsaRoot := must[*testpki.Issuer](b)(p.NewRoot(name("RSA ROOT"), testpki.WithRSA(4096)))
	rsaCA := must[*testpki.Issuer](b)(rsaRoot.IssueCA("RSA CA", testpki.WithRSA(4096)))
	rsaLeaf := must[*testpki.Leaf](b)(rsaCA.IssueLeaf(name("RSA LEAF"), testpki.WithRSA(2048)))
	rsaStore := oneDomain(b, rsaRoot.Cert)
	hostileStore := oneDomain(b, p.Public.Root.Cert)
	hostilePool := append(impostors(b, p.Public.Root, p.Public.CA, 200, true), p.Public.CA.Cert)

	cases := []struct {
		name  string
		store *trust.Store
		req   PathRequest
		ok    bool
	}{
		{"public", s, PathRequest{Target: p.Public.Citizen.Cert, Time: t0}, true},
		{"government", s, PathRequest{Target: p.Gov.Official.Cert, Time: t0}, true},
		{"rsa4096", rsaStore, PathRequest{Target: rsaLeaf.Cert, Time: t0, Intermediates: []*x509.Certificate{rsaCA.Cert}}, true},
		{"hostile", hostileStore, PathRequest{Target: p.Public.Business.Cert, Time: t0, Intermediates: hostilePool}, false},
	}
	for _, tc := range cases {
		for _, mode := range []struct {
			name  string
			cache int
		}{{"warm", 0}, {"cold", -1}} {
			b.Run(tc.name+"/"+mode.name, func(b *testing.B) {
				e := newEngine(b, Options{SignatureCacheSize: mode.cache})
				b.ReportAllocs()
				for b.Loop() {
					if _, f := e.VerifyPath(b.Context(), tc.store, tc.req); (f == nil) != tc.ok {
						b.Fatal(f)
					}
				}
				st := e.Stats()
				b.ReportMetric(float64(st.SignatureChecks)/float64(st.Requests), "sigchecks/op")
			})
		}
	}
}
