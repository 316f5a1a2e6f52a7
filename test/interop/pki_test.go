package interop

import (
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/pem"
	"flag"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/lienthong/lienthong/test/testpki"
	"github.com/lienthong/lienthong/trust"
)

// keep, when set, is a folder where the corpus is written instead of
// t.TempDir(), and left behind for inspection with the tools by hand.
var keep = flag.String("interop.keep", "", "write the corpus into this folder and keep it")

// signer is a test certificate with its key, written to files the tools
// read: PKCS#8 key, certificate, and its CA (the chain minus leaf and root).
type signer struct {
	name string // file stem and NSS nickname
	key  string // <dir>/<name>.key.pem, PKCS#8
	cert string // <dir>/<name>.cert.pem
	ca   string // <dir>/<name>.ca.pem: the issuing CA
}

// corpusPKI is the test PKI and the files written from it.
type corpusPKI struct {
	pki   *testpki.PKI
	dir   string
	roots string // both roots, PEM
	// rootFiles and caFiles hold one certificate each, for tools that read
	// only the first certificate of a file (xmlsec1, certutil).
	rootFiles []string
	caFiles   []string
	store     *trust.Store
	signers   map[string]*signer // by name
}

// newCorpusPKI builds the two hierarchies at now, adds RSA-2048 leaves
// beside the P-256 ones and a look-alike chain, writes every key and
// certificate into dir, and makes lienthong's trust store: domains public
// and government, each with its root as anchor and its CA as intermediate.
func newCorpusPKI(t *testing.T, dir string, now time.Time) *corpusPKI {
	t.Helper()
	p, err := testpki.New(testpki.Options{Now: now})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(p.Close)
	c := &corpusPKI{pki: p, dir: dir, signers: map[string]*signer{}}
	c.roots = c.write(t, "roots.pem", testpki.PEM(p.Public.Root.Cert, p.Gov.Root.Cert))
	for _, is := range []*testpki.Issuer{p.Public.Root, p.Gov.Root} {
		c.rootFiles = append(c.rootFiles, c.write(t, is.Name+".pem", testpki.PEM(is.Cert)))
	}
	for _, is := range []*testpki.Issuer{p.Public.CA, p.Gov.CA} {
		c.caFiles = append(c.caFiles, c.write(t, is.Name+".pem", testpki.PEM(is.Cert)))
	}

	rsaCitizen, err := p.Public.CA.IssueLeaf(pkix.Name{CommonName: "LE VAN C", Country: []string{"VN"},
		ExtraNames: []pkix.AttributeTypeAndValue{testpki.UIDAttribute("CCCD:079099000111")}}, testpki.WithRSA(2048))
	if err != nil {
		t.Fatal(err)
	}
	rsaBusiness, err := p.Public.CA.IssueLeaf(pkix.Name{CommonName: "CONG TY CO PHAN HOA DON MAU",
		Organization: []string{"CONG TY CO PHAN HOA DON MAU"}, Country: []string{"VN"},
		ExtraNames: []pkix.AttributeTypeAndValue{testpki.UIDAttribute("MST:0109876543")}}, testpki.WithRSA(2048))
	if err != nil {
		t.Fatal(err)
	}
	rsaOfficial, err := p.Gov.CA.IssueLeaf(pkix.Name{CommonName: "PHAM VAN D", Organization: []string{"Bộ Tài chính"},
		Country: []string{"VN"}, ExtraNames: []pkix.AttributeTypeAndValue{testpki.UIDAttribute("CMND:012345999")}},
		testpki.WithRSA(2048))
	if err != nil {
		t.Fatal(err)
	}
	for name, leaf := range map[string]*testpki.Leaf{
		"citizen-ec": p.Public.Citizen, "business-ec": p.Public.Business, "official-ec": p.Gov.Official,
		"citizen-rsa": rsaCitizen, "business-rsa": rsaBusiness, "official-rsa": rsaOfficial,
	} {
		c.signers[name] = c.addSigner(t, name, leaf)
	}

	// The look-alike chain copies the names of the public root, its CA and
	// the citizen with keys of its own, like the look-alike CAs met in the
	// wild: nothing it signs may chain to the real root.
	sameName := func(real *x509.Certificate) testpki.CertOption {
		return testpki.WithMutate(func(tmpl *x509.Certificate) { tmpl.RawSubject = real.RawSubject })
	}
	fakeRoot, err := p.NewRoot(p.Public.Root.Cert.Subject, testpki.WithName("lookalike-root"), sameName(p.Public.Root.Cert))
	if err != nil {
		t.Fatal(err)
	}
	fakeCA, err := fakeRoot.IssueCA(p.Public.CA.Cert.Subject.CommonName, testpki.WithName("lookalike-ca"),
		sameName(p.Public.CA.Cert))
	if err != nil {
		t.Fatal(err)
	}
	fakeLeaf, err := fakeCA.IssueLeaf(p.Public.Citizen.Cert.Subject, sameName(p.Public.Citizen.Cert))
	if err != nil {
		t.Fatal(err)
	}
	c.signers["lookalike"] = c.addSigner(t, "lookalike", fakeLeaf)

	c.store, err = trust.New([]trust.DomainSpec{
		{Name: "public", Hierarchy: trust.Public,
			Anchors: []*x509.Certificate{p.Public.Root.Cert}, Intermediates: []*x509.Certificate{p.Public.CA.Cert}},
		{Name: "government", Hierarchy: trust.Government,
			Anchors: []*x509.Certificate{p.Gov.Root.Cert}, Intermediates: []*x509.Certificate{p.Gov.CA.Cert}},
	}, nil)
	if err != nil {
		t.Fatal(err)
	}
	return c
}

// addSigner writes l's key and certificates as the files of signer name.
func (c *corpusPKI) addSigner(t *testing.T, name string, l *testpki.Leaf) *signer {
	t.Helper()
	der, err := x509.MarshalPKCS8PrivateKey(l.Key)
	if err != nil {
		t.Fatal(err)
	}
	return &signer{
		name: name,
		key:  c.write(t, name+".key.pem", pem.EncodeToMemory(&pem.Block{Type: "PRIVATE KEY", Bytes: der})),
		cert: c.write(t, name+".cert.pem", testpki.PEM(l.Cert)),
		ca:   c.write(t, name+".ca.pem", testpki.PEM(l.Issuer.Cert)),
	}
}

// write puts data into the corpus folder and returns its path.
func (c *corpusPKI) write(t *testing.T, name string, data []byte) string {
	t.Helper()
	path := filepath.Join(c.dir, name)
	if err := os.WriteFile(path, data, 0o600); err != nil {
		t.Fatal(err)
	}
	return path
}

// path is the name of a file in the corpus folder.
func (c *corpusPKI) path(name string) string { return filepath.Join(c.dir, name) }

// corpusDir is t.TempDir(), or the -interop.keep folder (emptied first).
func corpusDir(t *testing.T) string {
	t.Helper()
	if *keep == "" {
		return t.TempDir()
	}
	if err := os.RemoveAll(*keep); err != nil {
		t.Fatal(err)
	}
	if err := os.MkdirAll(*keep, 0o755); err != nil {
		t.Fatal(err)
	}
	t.Logf("corpus kept in %s", *keep)
	return *keep
}
