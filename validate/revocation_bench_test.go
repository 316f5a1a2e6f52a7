package validate

import (
	"context"
	"crypto/x509"
	"encoding/base64"
	"fmt"
	"net/url"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/lienthong/lienthong/test/testpki"
	"github.com/lienthong/lienthong/validate/fetch"
)

// memFetcher answers OCSP, CRL and caIssuers requests from a test PKI in
// memory (OCSPResponder.Respond, CRLServer.CRL), without sockets, and
// counts them.
type memFetcher struct {
	p     *testpki.PKI
	calls atomic.Int64
}

func (m *memFetcher) Fetch(_ context.Context, r fetch.Request) (*fetch.Response, error) {
	m.calls.Add(1)
	u, err := url.Parse(r.URL)
	if err != nil {
		return nil, err
	}
	path := u.EscapedPath()
	var body []byte
	switch {
	case r.Source == fetch.SourceOCSP && r.Method == "POST":
		body, err = m.p.OCSP.Respond(r.Body)
	case r.Source == fetch.SourceOCSP:
		enc, err2 := url.PathUnescape(path[strings.LastIndexByte(path, '/')+1:])
		if err2 != nil {
			return nil, err2
		}
		req, err2 := base64.StdEncoding.DecodeString(enc)
		if err2 != nil {
			return nil, err2
		}
		body, err = m.p.OCSP.Respond(req)
	case r.Source == fetch.SourceCRL:
		is := m.p.Issuer(strings.TrimSuffix(strings.TrimPrefix(path, "/crl/"), ".crl"))
		if is == nil {
			return nil, fmt.Errorf("no issuer for %s", path)
		}
		body, err = m.p.CRL.CRL(is)
	default:
		is := m.p.Issuer(strings.TrimSuffix(strings.TrimPrefix(path, "/cert/"), ".cer"))
		if is == nil {
			return nil, fmt.Errorf("no issuer for %s", path)
		}
		body = is.Cert.Raw
	}
	if err != nil {
		return nil, err
	}
	return &fetch.Response{Body: body, StatusCode: 200, URL: r.URL}, nil
}

// benchValidator returns a Validator over an in-memory fetcher.
func benchValidator(b *testing.B, p *testpki.PKI, mode RevocationMode, prefer string) (*Validator, *memFetcher) {
	b.Helper()
	m := &memFetcher{p: p}
	checker, err := NewRevocationChecker(RevocationOptions{Prefer: prefer}, RevocationDeps{Fetcher: m, Clock: p.Clock})
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(checker.Close)
	v, err := NewValidator(newEngine(b, Options{}), ValidatorOptions{Revocation: mode, Checker: checker})
	if err != nil {
		b.Fatal(err)
	}
	return v, m
}

// BenchmarkRevocationWarm measures a whole ValidateCertificate of a leaf
// (path building and validation, then the revocation status of the leaf
// and its CA from warm caches) against the same validation with
// revocation off, the baseline.
func BenchmarkRevocationWarm(b *testing.B) {
	p := newPKI(b, false)
	store := bothDomains(b, p)
	req := CertificateRequest{Certificate: p.Public.Citizen.Cert, Time: t0}
	for _, c := range []struct {
		name   string
		mode   RevocationMode
		prefer string
	}{
		{"path-only", RevocationOff, SourceOCSP},
		{"ocsp-cached", RevocationHardFail, SourceOCSP},
		{"crl-cached", RevocationHardFail, SourceCRL},
	} {
		b.Run(c.name, func(b *testing.B) {
			v, m := benchValidator(b, p, c.mode, c.prefer)
			if rep := v.ValidateCertificate(context.Background(), store, req); rep.Indication != TotalPassed {
				b.Fatalf("%+v", rep.Signatures[0])
			}
			warm := m.calls.Load()
			b.ReportAllocs()
			for b.Loop() {
				v.ValidateCertificate(context.Background(), store, req)
			}
			if m.calls.Load() != warm {
				b.Fatalf("fetched %d times with warm caches", m.calls.Load()-warm)
			}
		})
	}
}

// BenchmarkRevocationUpstream validates the same four leaves over and over
// while the fake clock advances one second per validation, so that
// answers expire (OCSP nextUpdate is an hour, CRLs a day) and refresh
// ahead, and reports the upstream requests per 10,000 validations.
func BenchmarkRevocationUpstream(b *testing.B) {
	for _, prefer := range []string{SourceOCSP, SourceCRL} {
		b.Run(prefer, func(b *testing.B) {
			p := newPKI(b, false)
			store := bothDomains(b, p)
			leaves := []*x509.Certificate{p.Public.Citizen.Cert, p.Public.Business.Cert, p.Gov.Official.Cert}
			extra, err := p.Gov.CA.IssueLeaf(name("LE VAN C"))
			if err != nil {
				b.Fatal(err)
			}
			leaves = append(leaves, extra.Cert)
			v, m := benchValidator(b, p, RevocationHardFail, prefer)
			n := 0
			b.ReportAllocs()
			for b.Loop() {
				rep := v.ValidateCertificate(context.Background(), store, CertificateRequest{Certificate: leaves[n%len(leaves)], Time: p.Clock.Now()})
				if rep.Indication != TotalPassed {
					b.Fatalf("%+v", rep.Signatures[0])
				}
				n++
				p.Clock.Advance(time.Second)
			}
			b.ReportMetric(float64(m.calls.Load())/float64(n)*10000, "upstream/10k")
		})
	}
}
