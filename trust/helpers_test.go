package trust_test

import (
	"bytes"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/sha256"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/pem"
	"math/big"
	"os"
	"path/filepath"
	"sort"
	"sync/atomic"
	"testing"
	"time"

	"github.com/lienthong/lienthong/test/shared"
	"github.com/lienthong/lienthong/trust"
)

// The trust package never looks at validity periods, so fixed times keep the
// generated certificates independent of the wall clock.
var (
	testNotBefore = time.Date(2024, 1, 1, 0, 0, 0, 0, time.UTC)
	testNotAfter  = time.Date(2044, 1, 1, 0, 0, 0, 0, time.UTC)
	serialCounter atomic.Int64
)

// tcert is a generated certificate with its P-256 key.
type tcert struct {
	cert *x509.Certificate
	key  *ecdsa.PrivateKey
}

// certSpec describes one generated certificate. The zero value (plus a CN)
// is a self-signed CA root with a fresh key.
type certSpec struct {
	cn      string
	subject *pkix.Name        // overrides cn when set
	parent  *tcert            // nil: self-signed
	key     *ecdsa.PrivateKey // nil: fresh key
	notCA   bool              // end entity (basicConstraints cA false)
	noBC    bool              // no basicConstraints extension at all
	ski     []byte            // explicit subject key identifier
	mutate  func(*x509.Certificate)
}

func newKey(t testing.TB) *ecdsa.PrivateKey {
	t.Helper()
	k, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	return k
}

// mkCert issues a certificate from spec with x509.CreateCertificate.
func mkCert(t testing.TB, spec certSpec) *tcert {
	t.Helper()
	key := spec.key
	if key == nil {
		key = newKey(t)
	}
	subj := pkix.Name{CommonName: spec.cn, Organization: []string{"Lienthong Test"}, Country: []string{"VN"}}
	if spec.subject != nil {
		subj = *spec.subject
	}
	tmpl := &x509.Certificate{
		SerialNumber:          big.NewInt(1000 + serialCounter.Add(1)),
		Subject:               subj,
		NotBefore:             testNotBefore,
		NotAfter:              testNotAfter,
		BasicConstraintsValid: !spec.noBC,
		IsCA:                  !spec.notCA && !spec.noBC,
		SubjectKeyId:          spec.ski,
	}
	if tmpl.IsCA {
		tmpl.KeyUsage = x509.KeyUsageCertSign | x509.KeyUsageCRLSign
	} else {
		tmpl.KeyUsage = x509.KeyUsageDigitalSignature
	}
	if spec.mutate != nil {
		spec.mutate(tmpl)
	}
	parentCert, parentKey := tmpl, key
	if spec.parent != nil {
		parentCert, parentKey = spec.parent.cert, spec.parent.key
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, parentCert, &key.PublicKey, parentKey)
	if err != nil {
		t.Fatalf("creating %q: %v", spec.cn, err)
	}
	c, err := x509.ParseCertificate(der)
	if err != nil {
		t.Fatal(err)
	}
	return &tcert{cert: c, key: key}
}

func root(t testing.TB, cn string) *tcert { return mkCert(t, certSpec{cn: cn}) }

func subCA(t testing.TB, cn string, parent *tcert) *tcert {
	return mkCert(t, certSpec{cn: cn, parent: parent})
}

func leaf(t testing.TB, cn string, parent *tcert) *tcert {
	return mkCert(t, certSpec{cn: cn, parent: parent, notCA: true})
}

func fp(c *x509.Certificate) trust.Fingerprint { return sha256.Sum256(c.Raw) }

func fpHex(c *x509.Certificate) string {
	f := fp(c)
	return f.Hex()
}

func pemOf(cs ...*x509.Certificate) []byte {
	var b bytes.Buffer
	for _, c := range cs {
		if err := pem.Encode(&b, &pem.Block{Type: "CERTIFICATE", Bytes: c.Raw}); err != nil {
			panic(err)
		}
	}
	return b.Bytes()
}

func certsOf(ts ...*tcert) []*x509.Certificate {
	out := make([]*x509.Certificate, len(ts))
	for i, tc := range ts {
		out[i] = tc.cert
	}
	return out
}

func mustCert(t testing.TB, c *x509.Certificate) *trust.Cert {
	t.Helper()
	tc, err := trust.NewCert(c)
	if err != nil {
		t.Fatal(err)
	}
	return tc
}

func writeFile(t testing.TB, path string, data []byte) {
	t.Helper()
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(path, data, 0o644); err != nil {
		t.Fatal(err)
	}
}

// fingerprints returns the sorted hex fingerprints of entries.
func fingerprints(cs []*trust.Cert) []string {
	out := make([]string, len(cs))
	for i, c := range cs {
		out[i] = c.SHA256.Hex()
	}
	sort.Strings(out)
	return out
}

// vnReal is one certificate of shared/testdata/vn-real. Only its file name
// and fingerprint may appear in test output: the samples carry personal data.
type vnReal struct {
	file string // base name
	cert *x509.Certificate
}

// loadVNReal reads the PEM files matching glob under shared/testdata/vn-real
// (read-only; they are never copied into the repository). Each file holds one
// certificate.
func loadVNReal(t testing.TB, glob string) []vnReal {
	t.Helper()
	dir := shared.Path(t, "vn-real")
	files, err := filepath.Glob(filepath.Join(dir, glob))
	if err != nil {
		t.Fatal(err)
	}
	if len(files) == 0 {
		t.Fatalf("no file matches vn-real/%s", glob)
	}
	sort.Strings(files)
	var out []vnReal
	for _, f := range files {
		cs, err := trust.ReadFile(f)
		if err != nil {
			t.Fatalf("%s: %v", filepath.Base(f), err)
		}
		if len(cs) != 1 {
			t.Fatalf("%s: %d certificates, want 1", filepath.Base(f), len(cs))
		}
		out = append(out, vnReal{file: filepath.Base(f), cert: cs[0]})
	}
	return out
}

// vnRealByPrefix returns the one certificate whose file name starts with prefix.
func vnRealByPrefix(t testing.TB, all []vnReal, prefix string) vnReal {
	t.Helper()
	var found []vnReal
	for _, r := range all {
		if len(r.file) >= len(prefix) && r.file[:len(prefix)] == prefix {
			found = append(found, r)
		}
	}
	if len(found) != 1 {
		t.Fatalf("%d vn-real files start with %q, want 1", len(found), prefix)
	}
	return found[0]
}
