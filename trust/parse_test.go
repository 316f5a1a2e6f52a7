package trust_test

import (
	"bytes"
	"crypto/rand"
	"crypto/x509"
	"encoding/asn1"
	"encoding/base64"
	"encoding/pem"
	"math/big"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/digitorus/pkcs7"

	"github.com/lienthong/lienthong/trust"
)

// p7 builds a certs-only (degenerate) PKCS#7 SignedData holding cs.
func p7(t testing.TB, cs ...*x509.Certificate) []byte {
	t.Helper()
	var concat []byte
	for _, c := range cs {
		concat = append(concat, c.Raw...)
	}
	der, err := pkcs7.DegenerateCertificate(concat)
	if err != nil {
		t.Fatal(err)
	}
	return der
}

func pemBlock(typ string, der []byte) []byte {
	return pem.EncodeToMemory(&pem.Block{Type: typ, Bytes: der})
}

// wrap76 is base64 with line breaks, as Windows .cer exports write it.
func wrap76(der []byte) []byte {
	s := base64.StdEncoding.EncodeToString(der)
	var b strings.Builder
	for len(s) > 64 {
		b.WriteString(s[:64] + "\r\n")
		s = s[64:]
	}
	b.WriteString(s + "\r\n")
	return []byte(b.String())
}

func TestParseCertificates(t *testing.T) {
	r := root(t, "Parse Root")
	i := subCA(t, "Parse Sub CA", r)
	l := leaf(t, "Parse Leaf", i)
	all := certsOf(r, i, l)

	keyDER, err := x509.MarshalPKCS8PrivateKey(l.key)
	if err != nil {
		t.Fatal(err)
	}
	ecKeyDER, err := x509.MarshalECPrivateKey(l.key)
	if err != nil {
		t.Fatal(err)
	}
	// OpenSSL's TRUSTED CERTIFICATE: the certificate followed by its
	// X509_CERT_AUX trust settings (here: trusted for serverAuth).
	aux := mustMarshal(struct{ Trust []asn1.ObjectIdentifier }{[]asn1.ObjectIdentifier{{1, 3, 6, 1, 5, 5, 7, 3, 1}}})
	trusted := append(bytes.Clone(r.cert.Raw), aux...)

	emptyP7 := p7(t)
	crl, err := x509.CreateRevocationList(rand.Reader, &x509.RevocationList{Number: big.NewInt(1), ThisUpdate: testNotBefore, NextUpdate: testNotAfter}, r.cert, r.key)
	if err != nil {
		t.Fatal(err)
	}

	concat := func(parts ...[]byte) []byte { return bytes.Join(parts, nil) }
	good := pemOf(r.cert)
	badBase64 := []byte("-----BEGIN CERTIFICATE-----\nMIIB!!!!not*base64\n-----END CERTIFICATE-----\n")
	truncatedPEM := good[:len(good)-40]

	tests := []struct {
		name    string
		data    []byte
		want    []*x509.Certificate
		wantErr string
	}{
		{name: "PEM one certificate", data: pemOf(r.cert), want: all[:1]},
		{name: "PEM several blocks in order", data: pemOf(l.cert, i.cert, r.cert), want: []*x509.Certificate{l.cert, i.cert, r.cert}},
		{name: "PEM with text around the blocks", data: concat([]byte("subject=CN = Parse Root\nissuer=CN = Parse Root\n"), pemOf(r.cert), []byte("\nBag Attributes\n"), pemOf(i.cert), []byte("\n")), want: all[:2]},
		{name: "PEM with CRLF line ends", data: bytes.ReplaceAll(pemOf(r.cert, i.cert), []byte("\n"), []byte("\r\n")), want: all[:2]},
		{name: "PEM X509 CERTIFICATE block", data: pemBlock("X509 CERTIFICATE", i.cert.Raw), want: all[1:2]},
		{name: "PEM TRUSTED CERTIFICATE with trust settings", data: pemBlock("TRUSTED CERTIFICATE", trusted), want: all[:1]},
		{name: "PEM TRUSTED CERTIFICATE without trust settings", data: pemBlock("TRUSTED CERTIFICATE", r.cert.Raw), want: all[:1]},
		{name: "PEM private key next to the certificate is skipped", data: concat(pemBlock("PRIVATE KEY", keyDER), pemOf(l.cert)), want: all[2:]},
		{name: "PEM PKCS7 block", data: pemBlock("PKCS7", p7(t, r.cert, i.cert, l.cert)), want: all},
		{name: "PEM CMS block", data: pemBlock("CMS", p7(t, i.cert)), want: all[1:2]},
		{name: "PEM certificate then PKCS7", data: concat(pemOf(l.cert), pemBlock("PKCS7", p7(t, r.cert, i.cert))), want: []*x509.Certificate{l.cert, r.cert, i.cert}},
		{name: "DER certificate", data: r.cert.Raw, want: all[:1]},
		{name: "PKCS#7 DER, three certificates", data: p7(t, r.cert, i.cert, l.cert), want: all},
		{name: "PKCS#7 DER, one certificate", data: p7(t, i.cert), want: all[1:2]},
		{name: "base64 DER without armour", data: []byte(base64.StdEncoding.EncodeToString(i.cert.Raw)), want: all[1:2]},
		{name: "base64 DER wrapped in lines", data: wrap76(i.cert.Raw), want: all[1:2]},
		{name: "base64 PKCS#7 without armour", data: wrap76(p7(t, r.cert, l.cert)), want: []*x509.Certificate{r.cert, l.cert}},

		{name: "empty", data: nil, wantErr: "empty"},
		{name: "whitespace only", data: []byte(" \n\t\r\n"), wantErr: "empty"},
		{name: "garbage text", data: []byte("this is not a certificate"), wantErr: "neither PEM, DER nor base64"},
		{name: "base64 of something that is not DER", data: []byte(base64.StdEncoding.EncodeToString([]byte("hello world"))), wantErr: "neither PEM, DER nor base64"},
		{name: "garbage that looks like DER", data: []byte{0x30, 0x03, 0x02, 0x01, 0x01}, wantErr: "not a DER certificate"},
		{name: "truncated DER", data: r.cert.Raw[:len(r.cert.Raw)/2], wantErr: "not a DER certificate"},
		{name: "DER with trailing garbage", data: concat(r.cert.Raw, []byte{0x01, 0x02}), wantErr: "not a DER certificate"},
		{name: "truncated PKCS#7", data: p7(t, r.cert, i.cert)[:300], wantErr: "not a DER certificate"},
		{name: "PKCS#7 without certificates", data: emptyP7, wantErr: "no certificate"},
		{name: "PEM PKCS7 without certificates", data: pemBlock("PKCS7", emptyP7), wantErr: "no certificate"},
		{name: "DER CRL", data: crl, wantErr: "not a DER certificate"},
		{name: "PEM TRUSTED CERTIFICATE with garbage after the certificate", data: pemBlock("TRUSTED CERTIFICATE", concat(r.cert.Raw, []byte{0x02, 0x01, 0x01})), wantErr: "TRUSTED CERTIFICATE"},
		{name: "PEM TRUSTED CERTIFICATE with two SEQUENCEs after the certificate", data: pemBlock("TRUSTED CERTIFICATE", concat(trusted, aux)), wantErr: "TRUSTED CERTIFICATE"},
		{name: "PEM with only a private key", data: pemBlock("PRIVATE KEY", keyDER), wantErr: "no CERTIFICATE"},
		{name: "PEM with only an EC private key", data: pemBlock("EC PRIVATE KEY", ecKeyDER), wantErr: "no CERTIFICATE"},
		{name: "PEM CERTIFICATE block holding garbage", data: pemBlock("CERTIFICATE", []byte{0x30, 0x03, 0x02, 0x01, 0x01}), wantErr: "PEM block 1"},
		{name: "PEM second CERTIFICATE block holding garbage", data: concat(good, pemBlock("CERTIFICATE", []byte("junk"))), wantErr: "PEM block 2"},
		{name: "PEM PKCS7 block holding garbage", data: pemBlock("PKCS7", []byte{0x30, 0x03, 0x02, 0x01, 0x01}), wantErr: "PKCS#7"},
		{name: "PEM block with bad base64 after a good one", data: concat(good, badBase64), wantErr: "malformed PEM"},
		{name: "PEM block with bad base64 between good ones", data: concat(good, badBase64, pemOf(i.cert)), wantErr: "malformed PEM"},
		{name: "PEM truncated after a good block", data: concat(pemOf(i.cert), truncatedPEM), wantErr: "malformed PEM"},
		{name: "PEM truncated", data: truncatedPEM, wantErr: "malformed PEM"},
		{name: "PEM end line missing", data: bytes.Replace(good, []byte("-----END CERTIFICATE-----"), nil, 1), wantErr: "malformed PEM"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := trust.ParseCertificates(tt.data)
			if tt.wantErr != "" {
				if err == nil {
					t.Fatalf("ParseCertificates = %d certificates, nil; want error containing %q", len(got), tt.wantErr)
				}
				if got != nil {
					t.Errorf("ParseCertificates returned %d certificates with an error", len(got))
				}
				if !strings.Contains(err.Error(), tt.wantErr) {
					t.Errorf("error %q does not contain %q", err, tt.wantErr)
				}
				return
			}
			if err != nil {
				t.Fatalf("ParseCertificates: %v", err)
			}
			assertSameCerts(t, got, tt.want)
		})
	}
}

func assertSameCerts(t *testing.T, got, want []*x509.Certificate) {
	t.Helper()
	if len(got) != len(want) {
		t.Fatalf("got %d certificates, want %d", len(got), len(want))
	}
	for k := range want {
		if !bytes.Equal(got[k].Raw, want[k].Raw) {
			t.Errorf("certificate %d is %q, want %q", k, got[k].Subject.CommonName, want[k].Subject.CommonName)
		}
	}
}

func TestLoadFiles(t *testing.T) {
	r := root(t, "Load Root")
	i := subCA(t, "Load Sub CA", r)
	l := leaf(t, "Load Leaf", i)

	dir := t.TempDir()
	// Written in an order other than the sorted one, to see the sorting.
	writeFile(t, filepath.Join(dir, "certs", "c-leaf.pem"), pemOf(l.cert))
	writeFile(t, filepath.Join(dir, "certs", "a-root.der"), r.cert.Raw)
	writeFile(t, filepath.Join(dir, "certs", "b-sub.p7b"), p7(t, i.cert, r.cert))
	writeFile(t, filepath.Join(dir, "bad", "broken.pem"), []byte("-----BEGIN CERTIFICATE-----\nAAAA\n-----END CERTIFICATE-----\n"))
	writeFile(t, filepath.Join(dir, "bad", "empty.pem"), nil)
	writeFile(t, filepath.Join(dir, "mixed", "a.pem"), pemOf(r.cert))
	if err := os.MkdirAll(filepath.Join(dir, "mixed", "b.pem"), 0o755); err != nil {
		t.Fatal(err)
	}
	huge := filepath.Join(dir, "huge", "huge.pem")
	writeFile(t, huge, pemOf(r.cert))
	if err := os.Truncate(huge, trust.MaxBundleBytes+1); err != nil { // sparse
		t.Fatal(err)
	}
	limit := filepath.Join(dir, "limit", "limit.der")
	writeFile(t, limit, nil)
	if err := os.Truncate(limit, trust.MaxBundleBytes); err != nil {
		t.Fatal(err)
	}
	p := func(elem ...string) string { return filepath.Join(append([]string{dir}, elem...)...) }

	tests := []struct {
		name     string
		patterns []string
		want     []*x509.Certificate
		wantErr  string
	}{
		{name: "plain path", patterns: []string{p("certs", "c-leaf.pem")}, want: []*x509.Certificate{l.cert}},
		{name: "glob sorted by path", patterns: []string{p("certs", "*")}, want: []*x509.Certificate{r.cert, i.cert, r.cert, l.cert}},
		{name: "glob with extension", patterns: []string{p("certs", "*.p7b")}, want: []*x509.Certificate{i.cert, r.cert}},
		{name: "patterns in given order", patterns: []string{p("certs", "c-*"), p("certs", "a-*")}, want: []*x509.Certificate{l.cert, r.cert}},
		{name: "no pattern", patterns: nil, want: nil},
		{name: "pattern matching nothing", patterns: []string{p("certs", "*.crt")}, wantErr: "no such file"},
		{name: "one of two patterns matching nothing", patterns: []string{p("certs", "*.pem"), p("nowhere", "*.pem")}, wantErr: "no such file"},
		{name: "missing plain path", patterns: []string{p("certs", "missing.pem")}, wantErr: "no such file"},
		{name: "malformed glob", patterns: []string{p("certs", "[")}, wantErr: "syntax error"},
		{name: "directory", patterns: []string{p("certs")}, wantErr: "is a directory"},
		{name: "glob matching a directory", patterns: []string{p("mixed", "*.pem")}, wantErr: "is a directory"},
		{name: "malformed file", patterns: []string{p("certs", "*"), p("bad", "broken.pem")}, wantErr: "broken.pem"},
		{name: "empty file", patterns: []string{p("bad", "empty.pem")}, wantErr: "empty"},
		{name: "file over MaxBundleBytes", patterns: []string{huge}, wantErr: "too large"},
		{name: "file of exactly MaxBundleBytes is read and parsed", patterns: []string{limit}, wantErr: "neither PEM, DER nor base64"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := trust.LoadFiles(tt.patterns)
			if tt.wantErr != "" {
				if err == nil {
					t.Fatalf("LoadFiles = %d certificates, nil; want error containing %q", len(got), tt.wantErr)
				}
				if !strings.Contains(err.Error(), tt.wantErr) {
					t.Errorf("error %q does not contain %q", err, tt.wantErr)
				}
				return
			}
			if err != nil {
				t.Fatalf("LoadFiles: %v", err)
			}
			assertSameCerts(t, got, tt.want)
		})
	}
}

func TestReadFile(t *testing.T) {
	r := root(t, "ReadFile Root")
	dir := t.TempDir()
	good := filepath.Join(dir, "root.cer")
	writeFile(t, good, wrap76(r.cert.Raw))
	t.Run("base64 .cer file", func(t *testing.T) {
		cs, err := trust.ReadFile(good)
		if err != nil {
			t.Fatal(err)
		}
		assertSameCerts(t, cs, []*x509.Certificate{r.cert})
	})
	t.Run("missing file", func(t *testing.T) {
		if _, err := trust.ReadFile(filepath.Join(dir, "missing")); err == nil {
			t.Fatal("no error")
		}
	})
	t.Run("error names the file", func(t *testing.T) {
		bad := filepath.Join(dir, "bad.pem")
		writeFile(t, bad, []byte("nonsense"))
		_, err := trust.ReadFile(bad)
		if err == nil || !strings.Contains(err.Error(), bad) {
			t.Fatalf("error %v does not name %s", err, bad)
		}
	})
}
