package testpki_test

import (
	"bytes"
	"context"
	"crypto"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/rsa"
	"crypto/sha1"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/asn1"
	"encoding/base64"
	"encoding/pem"
	"errors"
	"io"
	"net/http"
	"net/url"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"golang.org/x/crypto/ocsp"

	"github.com/lienthong/lienthong/test/testpki"
)

// now is far from the real time on purpose: anything stamped with
// time.Now() instead of the clock shows up.
var now = time.Date(2031, 5, 17, 9, 30, 15, 0, time.UTC)

var oidUID = asn1.ObjectIdentifier{0, 9, 2342, 19200300, 100, 1, 1}

func newPKI(t *testing.T, opts testpki.Options) *testpki.PKI {
	t.Helper()
	if opts.Now.IsZero() && opts.Clock == nil {
		opts.Now = now
	}
	p, err := testpki.New(opts)
	if err != nil {
		t.Fatalf("New: %v", err)
	}
	t.Cleanup(p.Close)
	return p
}

// chainString renders certificates as "CN=leaf -> CN=int -> CN=root".
func chainString(certs []*x509.Certificate) string {
	var s []string
	for _, c := range certs {
		s = append(s, "CN="+c.Subject.CommonName)
	}
	return strings.Join(s, " -> ")
}

func uid(c *x509.Certificate) string {
	for _, n := range c.Subject.Names {
		if n.Type.Equal(oidUID) {
			s, _ := n.Value.(string)
			return s
		}
	}
	return ""
}

func TestNewBuildsBothHierarchies(t *testing.T) {
	p := newPKI(t, testpki.Options{})
	if p.Cross != nil {
		t.Errorf("Cross = %v without Options.Cross", p.Cross.Subject)
	}
	if !p.Clock.Now().Equal(now) {
		t.Errorf("Clock.Now() = %v, want %v", p.Clock.Now(), now)
	}
	roots := map[string]string{
		"public": "CN=Test Vietnam National Root CA,O=Test NEAC,C=VN",
		"gov":    "CN=Test RootCA chuyên dùng Chính phủ,O=Ban Cơ yếu Chính phủ,C=VN",
	}
	if got := p.Public.Root.Cert.Subject.String(); got != roots["public"] {
		t.Errorf("public root subject = %q, want %q", got, roots["public"])
	}
	if got := p.Gov.Root.Cert.Subject.String(); got != roots["gov"] {
		t.Errorf("gov root subject = %q, want %q", got, roots["gov"])
	}
	if got, want := p.Public.CA.Cert.Subject.String(), "CN=Test VNPT-CA,O=Test VNPT,C=VN"; got != want {
		t.Errorf("VNPT-CA subject = %q, want %q", got, want)
	}

	tests := []struct {
		name      string
		leaf      *testpki.Leaf
		root      *testpki.Issuer
		wantChain string
		wantUID   string
		wantOrg   string
	}{
		{"citizen", p.Public.Citizen, p.Public.Root,
			"CN=NGUYEN VAN A -> CN=Test VNPT-CA -> CN=Test Vietnam National Root CA",
			testpki.CitizenUID, ""},
		{"business", p.Public.Business, p.Public.Root,
			"CN=CONG TY TNHH THU NGHIEM -> CN=Test VNPT-CA -> CN=Test Vietnam National Root CA",
			testpki.BusinessUID, "CONG TY TNHH THU NGHIEM"},
		{"official", p.Gov.Official, p.Gov.Root,
			"CN=TRAN THI B -> CN=Test CA phục vụ các cơ quan Nhà nước -> CN=Test RootCA chuyên dùng Chính phủ",
			testpki.OfficialUID, "Bộ Tài chính"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			chain := tt.leaf.Chain()
			if got := chainString(chain); got != tt.wantChain {
				t.Errorf("Chain() = %q, want %q", got, tt.wantChain)
			}
			for i := 0; i+1 < len(chain); i++ {
				if err := chain[i].CheckSignatureFrom(chain[i+1]); err != nil {
					t.Errorf("%s not signed by %s: %v", chain[i].Subject.CommonName, chain[i+1].Subject.CommonName, err)
				}
				if !bytes.Equal(chain[i].AuthorityKeyId, chain[i+1].SubjectKeyId) {
					t.Errorf("%s: AKI != issuer SKI", chain[i].Subject.CommonName)
				}
			}
			root := chain[len(chain)-1]
			if err := root.CheckSignatureFrom(root); err != nil {
				t.Errorf("root not self-signed: %v", err)
			}

			inter := x509.NewCertPool()
			inter.AddCert(tt.leaf.Issuer.Cert)
			anchors := x509.NewCertPool()
			anchors.AddCert(tt.root.Cert)
			chains, err := tt.leaf.Cert.Verify(x509.VerifyOptions{
				Roots: anchors, Intermediates: inter, CurrentTime: p.Clock.Now(),
				KeyUsages: []x509.ExtKeyUsage{x509.ExtKeyUsageAny},
			})
			if err != nil {
				t.Fatalf("Verify: %v", err)
			}
			if got := chainString(chains[0]); got != tt.wantChain {
				t.Errorf("verified chain = %q, want %q", got, tt.wantChain)
			}

			c := tt.leaf.Cert
			if got := uid(c); got != tt.wantUID {
				t.Errorf("UID = %q, want %q", got, tt.wantUID)
			}
			if tt.wantOrg != "" && (len(c.Subject.Organization) != 1 || c.Subject.Organization[0] != tt.wantOrg) {
				t.Errorf("O = %q, want %q", c.Subject.Organization, tt.wantOrg)
			}
			if !slices.Equal(c.Subject.Country, []string{"VN"}) {
				t.Errorf("C = %q, want VN", c.Subject.Country)
			}
			if c.IsCA || !c.BasicConstraintsValid {
				t.Errorf("leaf basicConstraints: IsCA=%v valid=%v", c.IsCA, c.BasicConstraintsValid)
			}
			if want := x509.KeyUsageDigitalSignature | x509.KeyUsageContentCommitment; c.KeyUsage != want {
				t.Errorf("KeyUsage = %b, want %b", c.KeyUsage, want)
			}
			if want := []x509.ExtKeyUsage{x509.ExtKeyUsageClientAuth, x509.ExtKeyUsageEmailProtection}; !slices.Equal(c.ExtKeyUsage, want) {
				t.Errorf("ExtKeyUsage = %v, want %v", c.ExtKeyUsage, want)
			}
			if c.SerialNumber.Sign() <= 0 || c.SerialNumber.BitLen() > 128 {
				t.Errorf("serial %x not a positive 128-bit number", c.SerialNumber)
			}
			if len(c.SubjectKeyId) == 0 {
				t.Error("no SKI")
			}
			if _, ok := c.PublicKey.(*ecdsa.PublicKey); !ok {
				t.Errorf("public key %T, want P-256 ECDSA", c.PublicKey)
			}
			if !c.NotBefore.Equal(now.Add(-time.Hour)) || !c.NotAfter.Equal(now.AddDate(1, 0, 0)) {
				t.Errorf("validity %v..%v, want now-1h..now+1y", c.NotBefore, c.NotAfter)
			}
			checkURLs(t, p, c, tt.leaf.Issuer)
			checkCA(t, p, tt.leaf.Issuer.Cert, tt.root)
			checkCA(t, p, tt.root.Cert, nil)
		})
	}
	if got, want := len(p.Issuers()), 4; got != want {
		t.Errorf("len(Issuers()) = %d, want %d", got, want)
	}
	for _, name := range []string{"public-root", "vnpt-ca", "gov-root", "gov-ca"} {
		if p.Issuer(name) == nil {
			t.Errorf("Issuer(%q) = nil", name)
		}
	}
}

// checkURLs checks AIA and CRL distribution point of c, issued by is.
func checkURLs(t *testing.T, p *testpki.PKI, c *x509.Certificate, is *testpki.Issuer) {
	t.Helper()
	if want := []string{p.OCSP.URL() + "/ocsp/" + is.Name}; !slices.Equal(c.OCSPServer, want) {
		t.Errorf("%s: OCSPServer = %q, want %q", c.Subject.CommonName, c.OCSPServer, want)
	}
	if want := []string{p.CRL.URL() + "/crl/" + is.Name + ".crl"}; !slices.Equal(c.CRLDistributionPoints, want) {
		t.Errorf("%s: CRLDistributionPoints = %q, want %q", c.Subject.CommonName, c.CRLDistributionPoints, want)
	}
	if want := []string{p.CRL.URL() + "/cert/" + is.Name + ".cer"}; !slices.Equal(c.IssuingCertificateURL, want) {
		t.Errorf("%s: IssuingCertificateURL = %q, want %q", c.Subject.CommonName, c.IssuingCertificateURL, want)
	}
}

// checkCA checks the CA defaults of c; root is its issuer, nil for a root.
func checkCA(t *testing.T, p *testpki.PKI, c *x509.Certificate, root *testpki.Issuer) {
	t.Helper()
	if !c.IsCA || !c.BasicConstraintsValid || c.MaxPathLen != -1 {
		t.Errorf("%s: IsCA=%v valid=%v MaxPathLen=%d, want CA without path length", c.Subject.CommonName, c.IsCA, c.BasicConstraintsValid, c.MaxPathLen)
	}
	if want := x509.KeyUsageCertSign | x509.KeyUsageCRLSign; c.KeyUsage != want {
		t.Errorf("%s: KeyUsage = %b, want %b", c.Subject.CommonName, c.KeyUsage, want)
	}
	if len(c.SubjectKeyId) == 0 {
		t.Errorf("%s: no SKI", c.Subject.CommonName)
	}
	if !c.NotAfter.Equal(now.AddDate(10, 0, 0)) {
		t.Errorf("%s: NotAfter = %v, want now+10y", c.Subject.CommonName, c.NotAfter)
	}
	if root == nil {
		if len(c.AuthorityKeyId) != 0 || len(c.OCSPServer) != 0 || len(c.CRLDistributionPoints) != 0 {
			t.Errorf("%s: root carries AKI, AIA or CRLDP", c.Subject.CommonName)
		}
		return
	}
	checkURLs(t, p, c, root)
}

func TestCrossCertificate(t *testing.T) {
	p := newPKI(t, testpki.Options{Cross: true})
	cross := p.Cross
	if cross == nil {
		t.Fatal("Cross = nil with Options.Cross")
	}
	if err := cross.CheckSignatureFrom(p.Public.Root.Cert); err != nil {
		t.Errorf("cross not signed by the public root: %v", err)
	}
	if !bytes.Equal(cross.RawSubject, p.Gov.Root.Cert.RawSubject) {
		t.Error("cross subject differs from the government root's")
	}
	if !bytes.Equal(cross.RawIssuer, p.Public.Root.Cert.RawSubject) {
		t.Error("cross issuer is not the public root")
	}
	if !bytes.Equal(cross.RawSubjectPublicKeyInfo, p.Gov.Root.Cert.RawSubjectPublicKeyInfo) {
		t.Error("cross key differs from the government root's")
	}
	if !bytes.Equal(cross.SubjectKeyId, p.Gov.Root.Cert.SubjectKeyId) {
		t.Error("cross SKI differs from the government root's")
	}
	checkURLs(t, p, cross, p.Public.Root)

	anchors := x509.NewCertPool()
	anchors.AddCert(p.Public.Root.Cert)
	inter := x509.NewCertPool()
	inter.AddCert(p.Gov.CA.Cert)
	inter.AddCert(cross)
	chains, err := p.Gov.Official.Cert.Verify(x509.VerifyOptions{
		Roots: anchors, Intermediates: inter, CurrentTime: p.Clock.Now(),
		KeyUsages: []x509.ExtKeyUsage{x509.ExtKeyUsageAny},
	})
	if err != nil {
		t.Fatalf("official via cross: %v", err)
	}
	want := "CN=TRAN THI B -> CN=Test CA phục vụ các cơ quan Nhà nước -> CN=Test RootCA chuyên dùng Chính phủ -> CN=Test Vietnam National Root CA"
	if got := chainString(chains[0]); got != want {
		t.Errorf("chain = %q, want %q", got, want)
	}
}

// ocspResult is what one OCSP exchange produced.
type ocspResult struct {
	status int
	body   []byte
	err    error
}

type ocspMethod func(ctx context.Context, t *testing.T, url string, req []byte) ocspResult

func postOCSP(ctx context.Context, t *testing.T, u string, req []byte) ocspResult {
	t.Helper()
	r, err := http.NewRequestWithContext(ctx, http.MethodPost, u, bytes.NewReader(req))
	if err != nil {
		t.Fatal(err)
	}
	r.Header.Set("Content-Type", "application/ocsp-request")
	return do(r)
}

func getOCSPEscaped(ctx context.Context, t *testing.T, u string, req []byte) ocspResult {
	t.Helper()
	return get(ctx, t, u+"/"+url.PathEscape(base64.StdEncoding.EncodeToString(req)))
}

// getOCSPRaw leaves '/' and '+' of the base64 as they are, which some
// clients do; "//" must not turn into a redirect.
func getOCSPRaw(ctx context.Context, t *testing.T, u string, req []byte) ocspResult {
	t.Helper()
	return get(ctx, t, u+"/"+base64.StdEncoding.EncodeToString(req))
}

func get(ctx context.Context, t *testing.T, u string) ocspResult {
	t.Helper()
	r, err := http.NewRequestWithContext(ctx, http.MethodGet, u, nil)
	if err != nil {
		t.Fatal(err)
	}
	return do(r)
}

func do(r *http.Request) ocspResult {
	resp, err := http.DefaultClient.Do(r)
	if err != nil {
		return ocspResult{err: err}
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(resp.Body)
	return ocspResult{status: resp.StatusCode, body: body, err: err}
}

func ocspRequest(t *testing.T, cert, issuer *x509.Certificate) []byte {
	t.Helper()
	req, err := ocsp.CreateRequest(cert, issuer, nil)
	if err != nil {
		t.Fatal(err)
	}
	return req
}

func TestOCSPStatus(t *testing.T) {
	revokedAt := now.Add(-24 * time.Hour)
	methods := []struct {
		name string
		do   ocspMethod
	}{
		{"POST", postOCSP},
		{"GET", getOCSPEscaped},
		{"GET unescaped", getOCSPRaw},
	}
	tests := []struct {
		name        string
		setup       func(p *testpki.PKI, l *testpki.Leaf)
		wantStatus  int
		wantReason  int
		wantRevoked time.Time
	}{
		{"good", func(*testpki.PKI, *testpki.Leaf) {}, ocsp.Good, 0, time.Time{}},
		{"revoked", func(p *testpki.PKI, l *testpki.Leaf) {
			p.OCSP.Revoke(l.Issuer, l.Cert.SerialNumber, revokedAt, ocsp.KeyCompromise)
		}, ocsp.Revoked, ocsp.KeyCompromise, revokedAt},
		{"unknown", func(p *testpki.PKI, l *testpki.Leaf) {
			p.OCSP.SetUnknown(l.Cert.SerialNumber)
		}, ocsp.Unknown, 0, time.Time{}},
		{"revoked after unknown", func(p *testpki.PKI, l *testpki.Leaf) {
			p.OCSP.SetUnknown(l.Cert.SerialNumber)
			p.OCSP.Revoke(l.Issuer, l.Cert.SerialNumber, revokedAt, ocsp.Superseded)
		}, ocsp.Revoked, ocsp.Superseded, revokedAt},
		{"reset", func(p *testpki.PKI, l *testpki.Leaf) {
			p.OCSP.Revoke(l.Issuer, l.Cert.SerialNumber, revokedAt, ocsp.KeyCompromise)
			p.OCSP.SetMode(testpki.WrongKey)
			p.OCSP.Reset()
		}, ocsp.Good, 0, time.Time{}},
	}
	for _, tt := range tests {
		for _, m := range methods {
			t.Run(tt.name+"/"+m.name, func(t *testing.T) {
				p := newPKI(t, testpki.Options{})
				leaf := p.Gov.Official
				tt.setup(p, leaf)
				res := m.do(t.Context(), t, leaf.Cert.OCSPServer[0], ocspRequest(t, leaf.Cert, leaf.Issuer.Cert))
				if res.err != nil || res.status != http.StatusOK {
					t.Fatalf("HTTP %d, %v", res.status, res.err)
				}
				resp, err := ocsp.ParseResponseForCert(res.body, leaf.Cert, leaf.Issuer.Cert)
				if err != nil {
					t.Fatalf("ParseResponseForCert: %v", err)
				}
				if resp.Status != tt.wantStatus {
					t.Errorf("Status = %d, want %d", resp.Status, tt.wantStatus)
				}
				if tt.wantStatus == ocsp.Revoked {
					if resp.RevocationReason != tt.wantReason || !resp.RevokedAt.Equal(tt.wantRevoked) {
						t.Errorf("revoked at %v for %d, want %v for %d", resp.RevokedAt, resp.RevocationReason, tt.wantRevoked, tt.wantReason)
					}
				}
				if !resp.ProducedAt.Equal(now) || !resp.ThisUpdate.Equal(now) || !resp.NextUpdate.Equal(now.Add(time.Hour)) {
					t.Errorf("producedAt %v thisUpdate %v nextUpdate %v, want %v, %v, +1h", resp.ProducedAt, resp.ThisUpdate, resp.NextUpdate, now, now)
				}
				if resp.Certificate != nil {
					t.Error("Normal mode embeds a responder certificate")
				}
				if got := p.OCSP.Requests(); got != 1 {
					t.Errorf("Requests() = %d, want 1", got)
				}
			})
		}
	}
}

func TestOCSPFollowsClockAndIssuers(t *testing.T) {
	p := newPKI(t, testpki.Options{})
	p.Clock.Advance(90 * time.Minute)
	p.OCSP.SetNextUpdate(4 * time.Hour)

	// The root answers for its CA, at the URL in the CA certificate.
	ca := p.Public.CA
	res := postOCSP(t.Context(), t, ca.Cert.OCSPServer[0], ocspRequest(t, ca.Cert, p.Public.Root.Cert))
	resp, err := ocsp.ParseResponseForCert(res.body, ca.Cert, p.Public.Root.Cert)
	if err != nil {
		t.Fatalf("ParseResponseForCert: %v", err)
	}
	want := now.Add(90 * time.Minute)
	if resp.Status != ocsp.Good || !resp.ThisUpdate.Equal(want) || !resp.ProducedAt.Equal(want) || !resp.NextUpdate.Equal(want.Add(4*time.Hour)) {
		t.Errorf("status %d thisUpdate %v producedAt %v nextUpdate %v", resp.Status, resp.ThisUpdate, resp.ProducedAt, resp.NextUpdate)
	}

	// A SHA-256 CertID posted to another issuer's URL still finds its issuer.
	leaf := p.Public.Business
	req, err := ocsp.CreateRequest(leaf.Cert, leaf.Issuer.Cert, &ocsp.RequestOptions{Hash: crypto.SHA256})
	if err != nil {
		t.Fatal(err)
	}
	res = postOCSP(t.Context(), t, p.Gov.CA.OCSPURL, req)
	if resp, err = ocsp.ParseResponseForCert(res.body, leaf.Cert, leaf.Issuer.Cert); err != nil || resp.Status != ocsp.Good || resp.IssuerHash != crypto.SHA256 {
		t.Errorf("SHA-256 CertID: %v, %+v", err, resp)
	}

	// Without nextUpdate.
	p.OCSP.SetNextUpdate(0)
	res = postOCSP(t.Context(), t, leaf.Cert.OCSPServer[0], ocspRequest(t, leaf.Cert, leaf.Issuer.Cert))
	if resp, err = ocsp.ParseResponseForCert(res.body, leaf.Cert, leaf.Issuer.Cert); err != nil || !resp.NextUpdate.IsZero() {
		t.Errorf("SetNextUpdate(0): %v, nextUpdate %v", err, resp.NextUpdate)
	}
}

func TestOCSPModes(t *testing.T) {
	tests := []struct {
		mode  testpki.Mode
		setup func(p *testpki.PKI)
		check func(t *testing.T, p *testpki.PKI, leaf *testpki.Leaf, res ocspResult)
	}{
		{testpki.Down, nil, func(t *testing.T, _ *testpki.PKI, _ *testpki.Leaf, res ocspResult) {
			if res.err == nil {
				t.Errorf("no error, HTTP %d", res.status)
			}
		}},
		{testpki.HTTPError, nil, func(t *testing.T, _ *testpki.PKI, _ *testpki.Leaf, res ocspResult) {
			if res.status != http.StatusServiceUnavailable {
				t.Errorf("HTTP %d, %v; want 503", res.status, res.err)
			}
		}},
		{testpki.Slow, func(p *testpki.PKI) { p.OCSP.SetSlow(10 * time.Millisecond) },
			func(t *testing.T, _ *testpki.PKI, leaf *testpki.Leaf, res ocspResult) {
				if resp := mustParse(t, res, leaf); resp.Status != ocsp.Good {
					t.Errorf("Status = %d, want good after the delay", resp.Status)
				}
			}},
		{testpki.Garbage, nil, func(t *testing.T, _ *testpki.PKI, _ *testpki.Leaf, res ocspResult) {
			if res.status != http.StatusOK || len(res.body) == 0 {
				t.Fatalf("HTTP %d, %d bytes, %v", res.status, len(res.body), res.err)
			}
			if _, err := ocsp.ParseResponse(res.body, nil); err == nil {
				t.Error("garbage parsed")
			}
		}},
		{testpki.Oversized, func(p *testpki.PKI) { p.OCSP.SetOversized(3 << 20) },
			func(t *testing.T, _ *testpki.PKI, _ *testpki.Leaf, res ocspResult) {
				if res.status != http.StatusOK || len(res.body) != 3<<20 {
					t.Fatalf("HTTP %d, %d bytes, %v; want 3 MiB", res.status, len(res.body), res.err)
				}
				if _, err := ocsp.ParseResponse(res.body, nil); err == nil {
					t.Error("oversized body parsed")
				}
			}},
		{testpki.WrongKey, nil, func(t *testing.T, _ *testpki.PKI, leaf *testpki.Leaf, res ocspResult) {
			if _, err := ocsp.ParseResponseForCert(res.body, leaf.Cert, leaf.Issuer.Cert); err == nil {
				t.Error("response signed by an unrelated key verified against the issuer")
			}
			if resp, err := ocsp.ParseResponse(res.body, nil); err != nil || resp.Status != ocsp.Good {
				t.Errorf("unverified parse: %v", err)
			}
		}},
		{testpki.Expired, nil, func(t *testing.T, _ *testpki.PKI, leaf *testpki.Leaf, res ocspResult) {
			resp := mustParse(t, res, leaf)
			if !resp.NextUpdate.Before(now) || !resp.ThisUpdate.Before(resp.NextUpdate) {
				t.Errorf("thisUpdate %v nextUpdate %v, want both before %v", resp.ThisUpdate, resp.NextUpdate, now)
			}
		}},
		{testpki.FutureThisUpdate, nil, func(t *testing.T, _ *testpki.PKI, leaf *testpki.Leaf, res ocspResult) {
			if resp := mustParse(t, res, leaf); !resp.ThisUpdate.After(now) {
				t.Errorf("thisUpdate %v not after %v", resp.ThisUpdate, now)
			}
		}},
		{testpki.Delegated, nil, func(t *testing.T, _ *testpki.PKI, leaf *testpki.Leaf, res ocspResult) {
			resp := mustParse(t, res, leaf)
			rc := resp.Certificate
			if rc == nil {
				t.Fatal("no responder certificate")
			}
			if !slices.Equal(rc.ExtKeyUsage, []x509.ExtKeyUsage{x509.ExtKeyUsageOCSPSigning}) {
				t.Errorf("responder EKU = %v, want OCSPSigning", rc.ExtKeyUsage)
			}
			if err := rc.CheckSignatureFrom(leaf.Issuer.Cert); err != nil {
				t.Errorf("responder cert not issued by the CA: %v", err)
			}
			if !bytes.Equal(rc.AuthorityKeyId, leaf.Issuer.Cert.SubjectKeyId) || len(rc.OCSPServer) != 0 {
				t.Errorf("responder AKI/AIA wrong: %x %q", rc.AuthorityKeyId, rc.OCSPServer)
			}
		}},
		{testpki.DelegatedNoEKU, nil, func(t *testing.T, _ *testpki.PKI, leaf *testpki.Leaf, res ocspResult) {
			// x/crypto/ocsp does not check the EKU: callers must.
			resp := mustParse(t, res, leaf)
			rc := resp.Certificate
			if rc == nil {
				t.Fatal("no responder certificate")
			}
			if len(rc.ExtKeyUsage) != 0 || len(rc.UnknownExtKeyUsage) != 0 {
				t.Errorf("responder EKU = %v, want none", rc.ExtKeyUsage)
			}
			if err := rc.CheckSignatureFrom(leaf.Issuer.Cert); err != nil {
				t.Errorf("responder cert not issued by the CA: %v", err)
			}
		}},
		{testpki.TryLater, nil, func(t *testing.T, _ *testpki.PKI, leaf *testpki.Leaf, res ocspResult) {
			_, err := ocsp.ParseResponseForCert(res.body, leaf.Cert, leaf.Issuer.Cert)
			var re ocsp.ResponseError
			if !errors.As(err, &re) || re.Status != ocsp.TryLater {
				t.Errorf("err = %v, want tryLater", err)
			}
		}},
	}
	for _, tt := range tests {
		t.Run(tt.mode.String(), func(t *testing.T) {
			p := newPKI(t, testpki.Options{})
			leaf := p.Public.Citizen
			p.OCSP.SetMode(tt.mode)
			if tt.setup != nil {
				tt.setup(p)
			}
			res := postOCSP(t.Context(), t, leaf.Cert.OCSPServer[0], ocspRequest(t, leaf.Cert, leaf.Issuer.Cert))
			tt.check(t, p, leaf, res)
			if p.OCSP.Requests() < 1 {
				t.Errorf("Requests() = %d", p.OCSP.Requests())
			}
		})
	}
}

func mustParse(t *testing.T, res ocspResult, leaf *testpki.Leaf) *ocsp.Response {
	t.Helper()
	if res.err != nil || res.status != http.StatusOK {
		t.Fatalf("HTTP %d, %v", res.status, res.err)
	}
	resp, err := ocsp.ParseResponseForCert(res.body, leaf.Cert, leaf.Issuer.Cert)
	if err != nil {
		t.Fatalf("ParseResponseForCert: %v", err)
	}
	return resp
}

func TestOCSPErrorStatuses(t *testing.T) {
	p := newPKI(t, testpki.Options{})
	other := newPKI(t, testpki.Options{})
	leaf := p.Public.Citizen
	tests := []struct {
		name string
		url  string
		req  []byte
		want ocsp.ResponseStatus
	}{
		{"unknown issuer", leaf.Cert.OCSPServer[0], ocspRequest(t, other.Public.Citizen.Cert, other.Public.CA.Cert), ocsp.Unauthorized},
		{"malformed", leaf.Cert.OCSPServer[0], []byte("not DER"), ocsp.Malformed},
		{"unknown name, known CertID", p.OCSP.URL() + "/ocsp/nobody", ocspRequest(t, leaf.Cert, leaf.Issuer.Cert), ocsp.Success},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			res := postOCSP(t.Context(), t, tt.url, tt.req)
			if res.status != http.StatusOK {
				t.Fatalf("HTTP %d, %v", res.status, res.err)
			}
			_, err := ocsp.ParseResponse(res.body, nil)
			var re ocsp.ResponseError
			switch {
			case tt.want == ocsp.Success && err != nil:
				t.Errorf("err = %v, want a response", err)
			case tt.want != ocsp.Success && (!errors.As(err, &re) || re.Status != tt.want):
				t.Errorf("err = %v, want status %d", err, tt.want)
			}
		})
	}
}

func TestSlowRespectsContext(t *testing.T) {
	p := newPKI(t, testpki.Options{})
	leaf := p.Public.Citizen
	p.OCSP.SetSlow(time.Hour)
	p.CRL.SetSlow(time.Hour)

	ctx, cancel := context.WithTimeout(t.Context(), 50*time.Millisecond)
	defer cancel()
	res := postOCSP(ctx, t, leaf.Cert.OCSPServer[0], ocspRequest(t, leaf.Cert, leaf.Issuer.Cert))
	if !errors.Is(res.err, context.DeadlineExceeded) {
		t.Errorf("OCSP err = %v, want deadline exceeded", res.err)
	}
	res = get(ctx, t, leaf.Cert.CRLDistributionPoints[0])
	if !errors.Is(res.err, context.DeadlineExceeded) {
		t.Errorf("CRL err = %v, want deadline exceeded", res.err)
	}
	// The handlers notice that the clients went away and return, long
	// before the hour is up. The loop only bounds a broken implementation.
	for deadline := time.Now().Add(10 * time.Second); p.OCSP.InFlight()+p.CRL.InFlight() > 0; {
		if time.Now().After(deadline) {
			t.Fatalf("handlers still waiting: OCSP %d, CRL %d", p.OCSP.InFlight(), p.CRL.InFlight())
		}
		time.Sleep(5 * time.Millisecond)
	}
}

func TestCloseAbandonsSlowRequests(t *testing.T) {
	p, err := testpki.New(testpki.Options{Now: now})
	if err != nil {
		t.Fatal(err)
	}
	p.OCSP.SetSlow(time.Hour)
	leaf := p.Public.Citizen
	var wg sync.WaitGroup
	wg.Go(func() {
		postOCSP(context.Background(), t, leaf.Cert.OCSPServer[0], ocspRequest(t, leaf.Cert, leaf.Issuer.Cert))
	})
	for p.OCSP.InFlight() == 0 {
		time.Sleep(time.Millisecond)
	}
	p.Close() // would block for an hour if Slow ignored Close
	p.Close()
	wg.Wait()
}

func TestCRL(t *testing.T) {
	p := newPKI(t, testpki.Options{})
	ca := p.Public.CA
	fetch := func(t *testing.T) *x509.RevocationList {
		t.Helper()
		res := get(t.Context(), t, p.Public.Citizen.Cert.CRLDistributionPoints[0])
		if res.err != nil || res.status != http.StatusOK {
			t.Fatalf("HTTP %d, %v", res.status, res.err)
		}
		crl, err := x509.ParseRevocationList(res.body)
		if err != nil {
			t.Fatalf("ParseRevocationList: %v", err)
		}
		if err := crl.CheckSignatureFrom(ca.Cert); err != nil {
			t.Errorf("CheckSignatureFrom: %v", err)
		}
		return crl
	}

	first := fetch(t)
	if len(first.RevokedCertificateEntries) != 0 {
		t.Errorf("fresh CRL has %d entries", len(first.RevokedCertificateEntries))
	}
	if !first.ThisUpdate.Equal(now) || !first.NextUpdate.Equal(now.Add(24*time.Hour)) {
		t.Errorf("thisUpdate %v nextUpdate %v, want now and now+24h", first.ThisUpdate, first.NextUpdate)
	}
	if !bytes.Equal(first.AuthorityKeyId, ca.Cert.SubjectKeyId) || !bytes.Equal(first.RawIssuer, ca.Cert.RawSubject) {
		t.Error("CRL issuer or AKI is not the CA's")
	}

	leaf := p.Public.Citizen
	at := now.Add(-time.Hour)
	p.Revoke(leaf.Issuer, leaf.Cert.SerialNumber, at, ocsp.KeyCompromise)
	p.Clock.Advance(time.Minute)
	second := fetch(t)
	if second.Number.Cmp(first.Number) <= 0 {
		t.Errorf("CRL number %v not above %v", second.Number, first.Number)
	}
	if !second.ThisUpdate.Equal(now.Add(time.Minute)) {
		t.Errorf("thisUpdate %v does not follow the clock", second.ThisUpdate)
	}
	if n := len(second.RevokedCertificateEntries); n != 1 {
		t.Fatalf("%d entries, want 1", n)
	}
	e := second.RevokedCertificateEntries[0]
	if e.SerialNumber.Cmp(leaf.Cert.SerialNumber) != 0 || !e.RevocationTime.Equal(at) || e.ReasonCode != ocsp.KeyCompromise {
		t.Errorf("entry %x at %v reason %d", e.SerialNumber, e.RevocationTime, e.ReasonCode)
	}
	// PKI.Revoke reached the OCSP responder too.
	resp, err := ocsp.ParseResponseForCert(mustRespond(t, p, leaf), leaf.Cert, leaf.Issuer.Cert)
	if err != nil || resp.Status != ocsp.Revoked {
		t.Errorf("OCSP after PKI.Revoke: %v, %+v", err, resp)
	}
	// Another issuer's CRL stays empty.
	govCRL, err := p.CRL.CRL(p.Gov.CA)
	if err != nil {
		t.Fatal(err)
	}
	if crl, err := x509.ParseRevocationList(govCRL); err != nil || len(crl.RevokedCertificateEntries) != 0 {
		t.Errorf("government CA CRL: %v, %d entries", err, len(crl.RevokedCertificateEntries))
	}
	if got := p.CRL.Requests(); got != 2 {
		t.Errorf("Requests() = %d, want 2 (CRL() does not count)", got)
	}
	p.CRL.ResetCount()
	if got := p.CRL.Requests(); got != 0 {
		t.Errorf("Requests() after ResetCount = %d", got)
	}
	p.CRL.Reset()
	if third := fetch(t); len(third.RevokedCertificateEntries) != 0 {
		t.Errorf("after Reset: %d entries", len(third.RevokedCertificateEntries))
	}
}

func mustRespond(t *testing.T, p *testpki.PKI, leaf *testpki.Leaf) []byte {
	t.Helper()
	der, err := p.OCSP.Respond(ocspRequest(t, leaf.Cert, leaf.Issuer.Cert))
	if err != nil {
		t.Fatal(err)
	}
	return der
}

func TestCRLModes(t *testing.T) {
	tests := []struct {
		mode  testpki.Mode
		setup func(p *testpki.PKI)
		check func(t *testing.T, is *testpki.Issuer, res ocspResult)
	}{
		{testpki.Down, nil, func(t *testing.T, _ *testpki.Issuer, res ocspResult) {
			if res.err == nil {
				t.Errorf("no error, HTTP %d", res.status)
			}
		}},
		{testpki.HTTPError, nil, func(t *testing.T, _ *testpki.Issuer, res ocspResult) {
			if res.status != http.StatusServiceUnavailable {
				t.Errorf("HTTP %d, want 503", res.status)
			}
		}},
		{testpki.Garbage, nil, func(t *testing.T, _ *testpki.Issuer, res ocspResult) {
			if _, err := x509.ParseRevocationList(res.body); res.status != http.StatusOK || err == nil {
				t.Errorf("HTTP %d, parse error %v", res.status, err)
			}
		}},
		{testpki.Oversized, func(p *testpki.PKI) { p.CRL.SetOversized(5 << 20) },
			func(t *testing.T, _ *testpki.Issuer, res ocspResult) {
				if res.status != http.StatusOK || len(res.body) != 5<<20 {
					t.Errorf("HTTP %d, %d bytes, want 5 MiB", res.status, len(res.body))
				}
			}},
		{testpki.WrongKey, nil, func(t *testing.T, is *testpki.Issuer, res ocspResult) {
			crl, err := x509.ParseRevocationList(res.body)
			if err != nil {
				t.Fatal(err)
			}
			if err := crl.CheckSignatureFrom(is.Cert); err == nil {
				t.Error("CRL signed by an unrelated key verified against the issuer")
			}
			if !bytes.Equal(crl.RawIssuer, is.Cert.RawSubject) {
				t.Error("WrongKey CRL does not claim the issuer's name")
			}
		}},
		{testpki.Expired, nil, func(t *testing.T, is *testpki.Issuer, res ocspResult) {
			crl := parseCRL(t, is, res)
			if !crl.NextUpdate.Before(now) {
				t.Errorf("nextUpdate %v not before %v", crl.NextUpdate, now)
			}
		}},
		{testpki.FutureThisUpdate, nil, func(t *testing.T, is *testpki.Issuer, res ocspResult) {
			if crl := parseCRL(t, is, res); !crl.ThisUpdate.After(now) {
				t.Errorf("thisUpdate %v not after %v", crl.ThisUpdate, now)
			}
		}},
		{testpki.TryLater, nil, func(t *testing.T, is *testpki.Issuer, res ocspResult) {
			parseCRL(t, is, res) // OCSP-only mode: Normal
		}},
	}
	for _, tt := range tests {
		t.Run(tt.mode.String(), func(t *testing.T) {
			p := newPKI(t, testpki.Options{})
			p.CRL.SetMode(tt.mode)
			if tt.setup != nil {
				tt.setup(p)
			}
			is := p.Gov.CA
			tt.check(t, is, get(t.Context(), t, is.CRLURL))
		})
	}
}

func parseCRL(t *testing.T, is *testpki.Issuer, res ocspResult) *x509.RevocationList {
	t.Helper()
	if res.err != nil || res.status != http.StatusOK {
		t.Fatalf("HTTP %d, %v", res.status, res.err)
	}
	crl, err := x509.ParseRevocationList(res.body)
	if err != nil {
		t.Fatal(err)
	}
	if err := crl.CheckSignatureFrom(is.Cert); err != nil {
		t.Errorf("CheckSignatureFrom: %v", err)
	}
	return crl
}

func TestCertRepository(t *testing.T) {
	p := newPKI(t, testpki.Options{})
	p.CRL.SetMode(testpki.Down) // modes do not apply to /cert/
	leaf := p.Gov.Official
	res := get(t.Context(), t, leaf.Cert.IssuingCertificateURL[0])
	if res.err != nil || res.status != http.StatusOK || !bytes.Equal(res.body, leaf.Issuer.Cert.Raw) {
		t.Errorf("caIssuers: HTTP %d, %v, body is issuer: %v", res.status, res.err, bytes.Equal(res.body, leaf.Issuer.Cert.Raw))
	}
	if res := get(t.Context(), t, p.CRL.URL()+"/cert/nobody.cer"); res.status != http.StatusNotFound {
		t.Errorf("unknown issuer: HTTP %d, want 404", res.status)
	}
	if got, want := p.CRL.CertRequests(), int64(2); got != want {
		t.Errorf("CertRequests() = %d, want %d", got, want)
	}
	if got := p.CRL.Requests(); got != 0 {
		t.Errorf("Requests() = %d, want 0", got)
	}
}

func TestRequestCount(t *testing.T) {
	p := newPKI(t, testpki.Options{})
	leaf := p.Public.Business
	req := ocspRequest(t, leaf.Cert, leaf.Issuer.Cert)
	for range 3 {
		postOCSP(t.Context(), t, leaf.Cert.OCSPServer[0], req)
	}
	if _, err := p.OCSP.Respond(req); err != nil {
		t.Fatal(err)
	}
	if got := p.OCSP.Requests(); got != 3 {
		t.Errorf("Requests() = %d, want 3", got)
	}
	p.OCSP.ResetCount()
	if got := p.OCSP.Requests(); got != 0 {
		t.Errorf("Requests() after ResetCount = %d", got)
	}
}

// TestConcurrentKnobs changes behaviour while requests are in flight; run
// with -race.
func TestConcurrentKnobs(t *testing.T) {
	p := newPKI(t, testpki.Options{})
	leaf := p.Public.Citizen
	req := ocspRequest(t, leaf.Cert, leaf.Issuer.Cert)
	var wg sync.WaitGroup
	for i := range 4 {
		wg.Go(func() {
			for range 5 {
				postOCSP(t.Context(), t, leaf.Cert.OCSPServer[0], req)
				get(t.Context(), t, leaf.Cert.CRLDistributionPoints[0])
			}
		})
		wg.Go(func() {
			for j := range 5 {
				p.OCSP.SetMode([]testpki.Mode{testpki.Normal, testpki.Delegated, testpki.WrongKey}[(i+j)%3])
				p.CRL.SetMode([]testpki.Mode{testpki.Normal, testpki.Expired}[(i+j)%2])
				p.Revoke(leaf.Issuer, leaf.Cert.SerialNumber, time.Time{}, ocsp.Unspecified)
				p.OCSP.SetUnknown(leaf.Cert.SerialNumber)
				p.Clock.Advance(time.Second)
			}
		})
	}
	wg.Wait()
	if got := p.OCSP.Requests(); got != 20 {
		t.Errorf("Requests() = %d, want 20", got)
	}
}

func TestSHA1AndWeakKeys(t *testing.T) {
	p := newPKI(t, testpki.Options{})
	sha1Opt := testpki.WithSignatureAlgorithm(x509.SHA1WithRSA)
	root, err := p.NewRoot(pkix.Name{CommonName: "Test RootCA G1", Country: []string{"VN"}}, testpki.WithRSA(2048), sha1Opt)
	if err != nil {
		t.Fatal(err)
	}
	ca, err := root.IssueCA("Test CA G1", testpki.WithRSA(1024), sha1Opt)
	if err != nil {
		t.Fatal(err)
	}
	leaf, err := ca.IssueLeaf(pkix.Name{CommonName: "LE VAN C"}, sha1Opt)
	if err != nil {
		t.Fatal(err)
	}
	if got := ca.Key.(*rsa.PrivateKey).N.BitLen(); got != 1024 {
		t.Errorf("CA key is %d bits, want 1024", got)
	}
	chain := leaf.Chain()
	for i, c := range chain {
		parent := chain[min(i+1, len(chain)-1)]
		t.Run(c.Subject.CommonName, func(t *testing.T) {
			if c.SignatureAlgorithm != x509.SHA1WithRSA {
				t.Errorf("SignatureAlgorithm = %v, want SHA1-RSA", c.SignatureAlgorithm)
			}
			sum := sha1.Sum(c.RawTBSCertificate)
			if err := rsa.VerifyPKCS1v15(parent.PublicKey.(*rsa.PublicKey), crypto.SHA1, sum[:], c.Signature); err != nil {
				t.Errorf("SHA-1 signature does not verify: %v", err)
			}
			// Go refuses SHA-1 in CheckSignatureFrom: the path engine must
			// check these itself.
			var insecure x509.InsecureAlgorithmError
			if err := c.CheckSignatureFrom(parent); !errors.As(err, &insecure) {
				t.Errorf("CheckSignatureFrom = %v, want InsecureAlgorithmError", err)
			}
		})
	}
	// The servers answer for RSA issuers as for any other.
	resp, err := ocsp.ParseResponseForCert(mustRespond(t, p, leaf), leaf.Cert, ca.Cert)
	if err != nil || resp.Status != ocsp.Good {
		t.Errorf("OCSP for RSA issuer: %v", err)
	}
	der, err := p.CRL.CRL(ca)
	if err != nil {
		t.Fatal(err)
	}
	if crl, err := x509.ParseRevocationList(der); err != nil || crl.CheckSignatureFrom(ca.Cert) != nil {
		t.Errorf("CRL of RSA issuer: %v", err)
	}
}

func TestCertOptions(t *testing.T) {
	p := newPKI(t, testpki.Options{})
	ca := p.Public.CA
	tests := []struct {
		name  string
		build func(t *testing.T) (*x509.Certificate, error)
		check func(t *testing.T, c *x509.Certificate)
	}{
		{"WithValidity", func(*testing.T) (*x509.Certificate, error) {
			l, err := ca.IssueLeaf(pkix.Name{CommonName: "expired"}, testpki.WithValidity(now.AddDate(-2, 0, 0), now.AddDate(-1, 0, 0)))
			return leafCert(l), err
		}, func(t *testing.T, c *x509.Certificate) {
			if !c.NotBefore.Equal(now.AddDate(-2, 0, 0)) || !c.NotAfter.Equal(now.AddDate(-1, 0, 0)) {
				t.Errorf("validity %v..%v", c.NotBefore, c.NotAfter)
			}
		}},
		{"WithMutate", func(*testing.T) (*x509.Certificate, error) {
			l, err := ca.IssueLeaf(pkix.Name{CommonName: "mutated"}, testpki.WithMutate(func(c *x509.Certificate) {
				c.KeyUsage = x509.KeyUsageKeyEncipherment
				c.OCSPServer = nil
				c.Policies = []x509.OID{mustOID(t, "1.3.6.1.4.1.99999.1.1")}
			}))
			return leafCert(l), err
		}, func(t *testing.T, c *x509.Certificate) {
			if c.KeyUsage != x509.KeyUsageKeyEncipherment || len(c.OCSPServer) != 0 || len(c.Policies) != 1 {
				t.Errorf("mutation lost: ku %b ocsp %q policies %v", c.KeyUsage, c.OCSPServer, c.Policies)
			}
		}},
		{"WithKey", func(t *testing.T) (*x509.Certificate, error) {
			key, err := ecdsa.GenerateKey(elliptic.P384(), rand.Reader)
			if err != nil {
				t.Fatal(err)
			}
			l, err := ca.IssueLeaf(pkix.Name{CommonName: "own key"}, testpki.WithKey(key))
			if err == nil && l.Key != crypto.Signer(key) {
				t.Error("Leaf.Key is not the given key")
			}
			return leafCert(l), err
		}, func(t *testing.T, c *x509.Certificate) {
			if pub, ok := c.PublicKey.(*ecdsa.PublicKey); !ok || pub.Curve != elliptic.P384() {
				t.Errorf("public key %T, want the P-384 key given", c.PublicKey)
			}
		}},
		{"IssueCA default name", func(*testing.T) (*x509.Certificate, error) {
			sub, err := ca.IssueCA("Test CA phục vụ các cơ quan Nhà nước")
			if err == nil && sub.Name != "test-ca-phuc-vu-cac-co-quan-nha-nuoc" {
				t.Errorf("Name = %q", sub.Name)
			}
			return issuerCert(sub), err
		}, func(t *testing.T, c *x509.Certificate) {
			if c.Subject.String() != "CN=Test CA phục vụ các cơ quan Nhà nước" {
				t.Errorf("subject %q", c.Subject)
			}
		}},
		{"IssueCA duplicate name", func(t *testing.T) (*x509.Certificate, error) {
			sub, err := ca.IssueCA("second", testpki.WithName("vnpt-ca"))
			if err == nil && (sub.Name != "vnpt-ca-2" || p.Issuer("vnpt-ca-2") != sub) {
				t.Errorf("Name = %q, want vnpt-ca-2", sub.Name)
			}
			if err == nil {
				if _, err := sub.IssueLeaf(pkix.Name{CommonName: "grandchild"}); err != nil {
					t.Errorf("sub-CA cannot issue: %v", err)
				}
			}
			return issuerCert(sub), err
		}, func(t *testing.T, c *x509.Certificate) {
			if err := c.CheckSignatureFrom(ca.Cert); err != nil {
				t.Error(err)
			}
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c, err := tt.build(t)
			if err != nil {
				t.Fatal(err)
			}
			tt.check(t, c)
		})
	}
	var bare testpki.Issuer
	if _, err := bare.IssueLeaf(pkix.Name{CommonName: "x"}); err == nil {
		t.Error("IssueLeaf on a struct-literal Issuer did not fail")
	}
}

func leafCert(l *testpki.Leaf) *x509.Certificate {
	if l == nil {
		return nil
	}
	return l.Cert
}

func issuerCert(is *testpki.Issuer) *x509.Certificate {
	if is == nil {
		return nil
	}
	return is.Cert
}

func mustOID(t *testing.T, s string) x509.OID {
	t.Helper()
	oid, err := x509.ParseOID(s)
	if err != nil {
		t.Fatal(err)
	}
	return oid
}

func TestClock(t *testing.T) {
	c := testpki.NewClock(now)
	c.Advance(time.Hour)
	if got := c.Now(); !got.Equal(now.Add(time.Hour)) {
		t.Errorf("after Advance: %v", got)
	}
	c.Set(now)
	if got := c.Now(); !got.Equal(now) {
		t.Errorf("after Set: %v", got)
	}
	var wg sync.WaitGroup
	for range 8 {
		wg.Go(func() {
			c.Advance(time.Second)
			_ = c.Now()
		})
	}
	wg.Wait()
	if got := c.Now(); !got.Equal(now.Add(8 * time.Second)) {
		t.Errorf("after concurrent Advance: %v", got)
	}

	r := testpki.NewRunningClock(now)
	r.Advance(time.Hour)
	if got := r.Now(); got.Before(now.Add(time.Hour)) {
		t.Errorf("running clock went back: %v", got)
	}

	shared := testpki.NewClock(now.Add(-time.Hour))
	p := newPKI(t, testpki.Options{Clock: shared})
	if p.Clock != shared || !p.Public.Citizen.Cert.NotBefore.Equal(now.Add(-2*time.Hour)) {
		t.Error("Options.Clock not used")
	}
}

func TestPEM(t *testing.T) {
	p := newPKI(t, testpki.Options{})
	certs := p.Public.Citizen.Chain()
	rest := testpki.PEM(certs...)
	for i := 0; ; i++ {
		var b *pem.Block
		b, rest = pem.Decode(rest)
		if b == nil {
			if i != len(certs) {
				t.Errorf("decoded %d blocks, want %d", i, len(certs))
			}
			break
		}
		if b.Type != "CERTIFICATE" || !bytes.Equal(b.Bytes, certs[i].Raw) {
			t.Errorf("block %d is not certificate %d", i, i)
		}
	}
}

// BenchmarkNew shows what a fresh PKI costs a test: both hierarchies, the
// cross-certificate and two servers.
func BenchmarkNew(b *testing.B) {
	b.ReportAllocs()
	for b.Loop() {
		p, err := testpki.New(testpki.Options{Now: now, Cross: true})
		if err != nil {
			b.Fatal(err)
		}
		p.Close()
	}
}
