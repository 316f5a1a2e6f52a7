package trust

import (
	"bytes"
	"crypto/x509"
	"encoding/asn1"
	"encoding/base64"
	"encoding/pem"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"sort"

	"github.com/digitorus/pkcs7"
)

// MaxBundleBytes bounds one certificate file or bundle read by LoadFiles.
// Real bundles are a few kilobytes; anything near this is not a trust bundle.
const MaxBundleBytes = 16 << 20

// ParseCertificates decodes every certificate in data, which may be PEM
// (CERTIFICATE, X509 CERTIFICATE, TRUSTED CERTIFICATE, PKCS7 and CMS blocks,
// several per file), a single DER certificate, a DER PKCS#7 / CMS
// SignedData bundle (.p7b/.p7c, RFC 2315 "certs-only"), or base64 of one of
// those without PEM armour (as some Windows tools write .cer files).
// It fails if data holds no certificate or any part of it is malformed: a
// bundle that half parses is refused whole, so a trust store never silently
// loses a certificate.
func ParseCertificates(data []byte) ([]*x509.Certificate, error) {
	trimmed := bytes.TrimSpace(data)
	if len(trimmed) == 0 {
		return nil, errors.New("empty input")
	}
	if bytes.Contains(trimmed, []byte("-----BEGIN")) {
		return parsePEM(trimmed)
	}
	if trimmed[0] != 0x30 { // not DER SEQUENCE: maybe bare base64
		if der, err := base64.StdEncoding.DecodeString(string(bytes.Join(bytes.Fields(trimmed), nil))); err == nil && len(der) > 0 && der[0] == 0x30 {
			return parseDER(der)
		}
		return nil, errors.New("neither PEM, DER nor base64 DER")
	}
	return parseDER(data)
}

var pemBegin = []byte("-----BEGIN")

func parsePEM(data []byte) ([]*x509.Certificate, error) {
	var out []*x509.Certificate
	rest := data
	for n := 1; ; n++ {
		block, after := pem.Decode(rest)
		if block == nil {
			// pem.Decode gives up silently on a block without its END
			// line or with bad base64: refuse the whole input instead.
			if bytes.Contains(rest, pemBegin) {
				return nil, fmt.Errorf("malformed PEM block %d (bad base64 or missing END line)", n)
			}
			break
		}
		// pem.Decode also skips a malformed block and returns the next
		// good one: the text it consumed must hold exactly one BEGIN line.
		if bytes.Count(rest[:len(rest)-len(after)], pemBegin) != 1 {
			return nil, fmt.Errorf("malformed PEM block %d (bad base64 or missing END line)", n)
		}
		rest = after
		switch block.Type {
		case "CERTIFICATE", "X509 CERTIFICATE", "TRUSTED CERTIFICATE":
			der := block.Bytes
			if block.Type == "TRUSTED CERTIFICATE" {
				var err error
				if der, err = splitTrustedCertificate(der); err != nil {
					return nil, fmt.Errorf("PEM block %d: %w", n, err)
				}
			}
			c, err := x509.ParseCertificate(der)
			if err != nil {
				return nil, fmt.Errorf("PEM block %d: %w", n, err)
			}
			out = append(out, c)
		case "PKCS7", "CMS":
			cs, err := parsePKCS7(block.Bytes)
			if err != nil {
				return nil, fmt.Errorf("PEM block %d: %w", n, err)
			}
			out = append(out, cs...)
		}
	}
	if len(out) == 0 {
		return nil, errors.New("no CERTIFICATE or PKCS7 block in PEM input")
	}
	return out, nil
}

// splitTrustedCertificate returns the certificate of an OpenSSL TRUSTED
// CERTIFICATE block, which is the DER certificate followed by an optional
// X509_CERT_AUX SEQUENCE (OpenSSL's own trust settings). The trust settings
// are not used: what a certificate is trusted for is the configuration's
// business.
func splitTrustedCertificate(der []byte) ([]byte, error) {
	var cert, aux asn1.RawValue
	rest, err := asn1.Unmarshal(der, &cert)
	if err != nil {
		return nil, fmt.Errorf("TRUSTED CERTIFICATE: %w", err)
	}
	if len(rest) > 0 {
		if rest, err = asn1.Unmarshal(rest, &aux); err != nil || len(rest) > 0 || aux.Class != asn1.ClassUniversal || aux.Tag != asn1.TagSequence {
			return nil, errors.New("TRUSTED CERTIFICATE: malformed trust settings after the certificate")
		}
	}
	return cert.FullBytes, nil
}

func parseDER(der []byte) ([]*x509.Certificate, error) {
	c, certErr := x509.ParseCertificate(der)
	if certErr == nil {
		return []*x509.Certificate{c}, nil
	}
	cs, p7Err := parsePKCS7(der)
	if p7Err == nil {
		return cs, nil
	}
	return nil, fmt.Errorf("not a DER certificate (%v) nor a PKCS#7 bundle (%v)", certErr, p7Err)
}

func parsePKCS7(der []byte) (cs []*x509.Certificate, err error) {
	// The PKCS#7 parser is third-party code fed with files from outside; a
	// panic in it must become an error, not a crash of the gateway.
	defer func() {
		if r := recover(); r != nil {
			cs, err = nil, fmt.Errorf("malformed PKCS#7 bundle: %v", r)
		}
	}()
	p7, err := pkcs7.Parse(der)
	if err != nil {
		return nil, fmt.Errorf("PKCS#7: %w", err)
	}
	if len(p7.Certificates) == 0 {
		return nil, errors.New("PKCS#7 bundle holds no certificate")
	}
	return p7.Certificates, nil
}

// LoadFiles reads every file named by patterns (plain paths or
// filepath.Match globs) and returns their certificates in a stable order
// (sorted by path, then file order). A pattern that matches nothing is an
// error, as is an unreadable or malformed file: a typo in a config must not
// quietly leave a trust domain empty. Files above MaxBundleBytes are refused.
func LoadFiles(patterns []string) ([]*x509.Certificate, error) {
	var out []*x509.Certificate
	for _, p := range patterns {
		files, err := filepath.Glob(p)
		if err != nil {
			return nil, fmt.Errorf("%s: %w", p, err)
		}
		if len(files) == 0 {
			return nil, fmt.Errorf("%s: no such file", p)
		}
		sort.Strings(files)
		for _, f := range files {
			cs, err := ReadFile(f)
			if err != nil {
				return nil, err
			}
			out = append(out, cs...)
		}
	}
	return out, nil
}

// ReadFile reads and parses one certificate file (see ParseCertificates).
func ReadFile(path string) ([]*x509.Certificate, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	st, err := f.Stat()
	if err != nil {
		return nil, err
	}
	if st.IsDir() {
		return nil, fmt.Errorf("%s: is a directory", path)
	}
	if st.Size() > MaxBundleBytes {
		return nil, fmt.Errorf("%s: %d bytes is too large for a certificate bundle", path, st.Size())
	}
	data := make([]byte, st.Size())
	if _, err := f.ReadAt(data, 0); err != nil && st.Size() > 0 {
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	cs, err := ParseCertificates(data)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	return cs, nil
}
