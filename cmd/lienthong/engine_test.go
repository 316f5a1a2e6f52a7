package main

import (
	"crypto/x509/pkix"
	"encoding/json"
	"io"
	"net/http"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"golang.org/x/crypto/ocsp"

	"github.com/lienthong/lienthong/config"
	"github.com/lienthong/lienthong/test/testpki"
	"github.com/lienthong/lienthong/validate"
)

func TestFetchOptions(t *testing.T) {
	cfg := config.Default()
	if o := fetchOptions(cfg); o.NoRedirects || o.MaxRedirects != 3 || o.MaxCRLBytes != 64<<20 || o.Timeout != 5*time.Second {
		t.Errorf("defaults: %+v", o)
	}
	cfg.Fetch.MaxRedirects = 0
	if o := fetchOptions(cfg); !o.NoRedirects {
		t.Errorf("max_redirects 0 follows redirects: %+v", o)
	}
}

// post sends a JSON validation request and decodes the report.
func (s *started) post(t *testing.T, body string) validate.Report {
	t.Helper()
	resp, err := http.Post(s.base+"/v1/validate", "application/json", strings.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	var rep validate.Report
	if resp.StatusCode != 200 || json.Unmarshal(b, &rep) != nil || len(rep.Signatures) != 1 {
		t.Fatalf("POST /v1/validate: %d %s", resp.StatusCode, b)
	}
	return rep
}

// TestServeRevocation runs serve over a test PKI with its OCSP responder
// and CRL servers on loopback: the built-in default's roots-only shape
// (the CA comes through AIA), revocation in hard-fail, the metrics, and
// the cache purge on a trust store reload.
func TestServeRevocation(t *testing.T) {
	p, err := testpki.New(testpki.Options{Now: time.Now()})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(p.Close)
	dir := t.TempDir()
	writePEM(t, filepath.Join(dir, "public.pem"), p.Public.Root.Cert)
	writePEM(t, filepath.Join(dir, "gov.pem"), p.Gov.Root.Cert)
	cfg := filepath.Join(dir, "lienthong.yaml")
	writeFile(t, cfg, []byte(`metrics_listen: ""
domains:
  - name: public
    hierarchy: public
    anchors: [public.pem]
  - name: government
    hierarchy: government
    anchors: [gov.pem]
fetch:
  allow_private_networks: true
limits:
  request_budget: 1s
`))
	s := startServe(t, newHost(t, nil), "serve", "--config", cfg, "--listen", "127.0.0.1:0")
	for _, line := range []string{
		`lienthong_revocation_checks_total{source="ocsp",status="good"} 0`,
		`lienthong_revocation_checks_total{source="crl",status="unavailable"} 0`,
		`lienthong_revocation_cache_requests_total{result="stale",source="crl"} 0`,
		`lienthong_upstream_requests_total{outcome="success",source="aia"} 0`,
	} {
		s.waitMetric(t, line)
	}
	leafJSON := func(c *testpki.Leaf) string {
		b, _ := json.Marshal(map[string]string{"certificate": string(testpki.PEM(c.Cert))})
		return string(b)
	}

	rep := s.post(t, leafJSON(p.Public.Citizen))
	sig := rep.Signatures[0]
	if rep.Indication != validate.TotalPassed || len(sig.Chain) != 3 || len(sig.Revocation) != 2 || sig.Revocation[0].Status != "good" {
		t.Fatalf("citizen: %+v", sig)
	}
	if sig = s.post(t, leafJSON(p.Public.Citizen)).Signatures[0]; !sig.Revocation[0].Cached {
		t.Errorf("second look-up not cached: %+v", sig.Revocation[0])
	}
	s.waitMetric(t, `lienthong_revocation_checks_total{source="ocsp",status="good"} 4`)
	s.waitMetric(t, `lienthong_revocation_cache_requests_total{result="hit",source="ocsp"} 2`)

	p.Revoke(p.Gov.CA, p.Gov.Official.Cert.SerialNumber, time.Now().Add(-time.Minute), ocsp.KeyCompromise)
	if rep := s.post(t, leafJSON(p.Gov.Official)); rep.Signatures[0].SubIndication != validate.Revoked {
		t.Errorf("revoked official: %+v", rep.Signatures[0])
	}

	// A reload purges the caches: the citizen's status is asked again.
	before := p.OCSP.Requests()
	s.hup <- syscall.SIGHUP
	s.waitMetric(t, `lienthong_trust_reloads_total{result="success"} 1`)
	if sig := s.post(t, leafJSON(p.Public.Citizen)).Signatures[0]; sig.Revocation[0].Cached || p.OCSP.Requests() != before+2 {
		t.Errorf("after reload: %d OCSP requests (before %d), %+v", p.OCSP.Requests(), before, sig.Revocation[0])
	}

	// A responder that does not answer within the request budget.
	p.OCSP.SetSlow(time.Minute)
	p.CRL.SetSlow(time.Minute)
	leaf, err := p.Public.CA.IssueLeaf(pkix.Name{CommonName: "PHAM VAN D"})
	if err != nil {
		t.Fatal(err)
	}
	rep = s.post(t, leafJSON(leaf))
	if rep.Signatures[0].SubIndication != validate.TryLater {
		t.Errorf("slow responder: %+v", rep.Signatures[0])
	}
	if code := s.stop(t); code != exitOK {
		t.Errorf("exit %d\n%s", code, s.tio.stderr)
	}
}
