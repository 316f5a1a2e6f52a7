package crl_test

import (
	"bufio"
	"bytes"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/x509"
	"crypto/x509/pkix"
	"math/big"
	mrand "math/rand/v2"
	"os"
	"path/filepath"
	"runtime"
	"runtime/debug"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/lienthong/lienthong/validate/crl"
)

// The 1,000,000-entry CRL of the benchmarks: generated once per process with
// x509.CreateRevocationList (several seconds), and cached across runs in
// the temporary directory under a name that changes with its recipe.
const (
	bigCRLEntries = 1_000_000
	bigCRLFile    = "lienthong-crl1m-v1.der"
)

var bigCRL struct {
	once sync.Once
	der  []byte
	err  error
}

// load1M returns the DER of the 1M-entry CRL, generating it on first use.
// When LIENTHONG_CRL1M_OUT is set, the CRL is also written there (to time
// `openssl crl -noout -inform DER -in FILE` against Parse).
func load1M(b *testing.B) []byte {
	b.Helper()
	bigCRL.once.Do(func() {
		path := filepath.Join(os.TempDir(), bigCRLFile)
		if der, err := os.ReadFile(path); err == nil {
			if c, err := crl.Parse(der); err == nil && c.Len() == bigCRLEntries {
				bigCRL.der = der
			}
		}
		if bigCRL.der == nil {
			start := time.Now()
			bigCRL.der, bigCRL.err = generate1M()
			if bigCRL.err != nil {
				return
			}
			b.Logf("generated a %d-entry CRL (%.1f MB) in %v", bigCRLEntries, float64(len(bigCRL.der))/1e6, time.Since(start).Round(time.Millisecond))
			tmp := path + ".tmp"
			if err := os.WriteFile(tmp, bigCRL.der, 0o644); err == nil {
				_ = os.Rename(tmp, path)
			}
		}
		if out := os.Getenv("LIENTHONG_CRL1M_OUT"); out != "" {
			bigCRL.err = os.WriteFile(out, bigCRL.der, 0o644)
		}
		runtime.GC()
		debug.FreeOSMemory()
	})
	if bigCRL.err != nil {
		b.Fatal(bigCRL.err)
	}
	return bigCRL.der
}

// generate1M builds a CRL shaped like a large real one: 16-octet random
// positive serials, revocation times spread over three years, three
// entries in four with a reason code.
func generate1M() ([]byte, error) {
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		return nil, err
	}
	issuer := &x509.Certificate{
		Subject:      pkix.Name{Country: []string{"VN"}, Organization: []string{"Lienthong benchmark"}, CommonName: "Big CRL CA"},
		SubjectKeyId: []byte{1, 2, 3, 4, 5, 6, 7, 8},
		KeyUsage:     x509.KeyUsageCRLSign,
	}
	r := mrand.New(mrand.NewChaCha8([32]byte{'l', 'i', 'e', 'n', 't', 'h', 'o', 'n', 'g'}))
	base := time.Date(2022, 1, 1, 0, 0, 0, 0, time.UTC)
	reasons := []int{0, crl.ReasonKeyCompromise, crl.ReasonSuperseded, crl.ReasonCessationOfOperation}
	entries := make([]x509.RevocationListEntry, bigCRLEntries)
	var serial [16]byte
	for i := range entries {
		for j := 0; j < len(serial); j += 8 {
			v := r.Uint64()
			for k := range 8 {
				serial[j+k] = byte(v >> (8 * k))
			}
		}
		serial[0] = serial[0]&0x7f | 0x01 // positive, exactly 16 octets
		entries[i] = x509.RevocationListEntry{
			SerialNumber:   new(big.Int).SetBytes(serial[:]),
			RevocationTime: base.Add(time.Duration(r.Int64N(3*365*24)) * time.Hour),
			ReasonCode:     reasons[i%len(reasons)],
		}
	}
	return x509.CreateRevocationList(rand.Reader, &x509.RevocationList{
		Number:                    big.NewInt(123456),
		ThisUpdate:                time.Date(2025, 1, 1, 0, 0, 0, 0, time.UTC),
		NextUpdate:                time.Date(2025, 1, 8, 0, 0, 0, 0, time.UTC),
		RevokedCertificateEntries: entries,
	}, issuer, key)
}

// BenchmarkParse1M parses and indexes the 1M-entry CRL. Besides time and
// allocations per parse it reports, for one parse measured alone: alloc-MB
// (bytes allocated by Parse), index-MB (heap kept by the parsed CRL on top
// of its DER), DER-MB, and peakRSS-MB (the process's peak resident set
// during that parse, DER included; Linux only).
func BenchmarkParse1M(b *testing.B) {
	der := load1M(b)
	var before, after, kept runtime.MemStats
	runtime.GC()
	debug.FreeOSMemory()
	runtime.ReadMemStats(&before)
	rssOK := resetPeakRSS()
	start := time.Now()
	c, err := crl.Parse(der)
	elapsed := time.Since(start)
	peak := peakRSS()
	if err != nil {
		b.Fatal(err)
	}
	runtime.ReadMemStats(&after)
	runtime.GC()
	runtime.ReadMemStats(&kept)
	if c.Len() != bigCRLEntries {
		b.Fatalf("indexed %d entries, want %d", c.Len(), bigCRLEntries)
	}
	runtime.KeepAlive(c)
	b.Logf("single parse: %v, %d entries", elapsed.Round(time.Millisecond), c.Len())
	c = nil

	b.SetBytes(int64(len(der)))
	b.ReportAllocs()
	b.ResetTimer()
	for b.Loop() {
		if _, err := crl.Parse(der); err != nil {
			b.Fatal(err)
		}
	}
	b.ReportMetric(float64(len(der))/1e6, "DER-MB")
	b.ReportMetric(float64(after.TotalAlloc-before.TotalAlloc)/1e6, "alloc-MB")
	b.ReportMetric(float64(int64(kept.HeapAlloc)-int64(before.HeapAlloc))/1e6, "index-MB")
	if rssOK && peak > 0 {
		b.ReportMetric(peak, "peakRSS-MB")
	}
}

// BenchmarkLookup1M looks serials up in the 1M-entry CRL: listed ones
// (hit) and unlisted ones (miss).
func BenchmarkLookup1M(b *testing.B) {
	c, err := crl.Parse(load1M(b))
	if err != nil {
		b.Fatal(err)
	}
	var hits, misses []*big.Int
	for serial := range c.All() {
		hits = append(hits, new(big.Int).SetBytes(serial))
		if len(hits) == 4096 {
			break
		}
	}
	for _, h := range hits {
		misses = append(misses, new(big.Int).Add(h, big.NewInt(1)))
	}
	for _, tc := range []struct {
		name    string
		serials []*big.Int
		want    bool
	}{{"hit", hits, true}, {"miss", misses, false}} {
		b.Run(tc.name, func(b *testing.B) {
			b.ReportAllocs()
			i := 0
			for b.Loop() {
				if _, ok := c.Lookup(tc.serials[i&4095]); ok != tc.want {
					b.Fatalf("Lookup(%v) = %v", tc.serials[i&4095], ok)
				}
				i++
			}
		})
	}
}

// BenchmarkDetermine runs §6.3.3 for an end entity against a 10,000-entry
// CRL and a delta CRL (signature results are cached in the CRLs after the
// first call, as they would be in a CRL cache).
func BenchmarkDetermine(b *testing.B) {
	f := newFixture(b, nil)
	var entries []x509.RevocationListEntry
	for i := range 10_000 {
		entries = append(entries, revoked(int64(100+i), crl.ReasonKeyCompromise, now.AddDate(0, 0, -1)))
	}
	complete := sign(b, crlTemplate(7, entries...), f.ca)
	dt := crlTemplate(8, revoked(99, crl.ReasonKeyCompromise, now.AddDate(0, 0, -1)))
	dt.ExtraExtensions = []pkix.Extension{ext(oidDelta, true, mustMarshal(big.NewInt(7)))}
	delta := sign(b, dt, f.ca)
	ch := f.check(f.ee, complete, delta)
	b.ReportAllocs()
	for b.Loop() {
		if r := crl.Determine(ch); r.Status != crl.Good {
			b.Fatal(r.Reason)
		}
	}
}

// resetPeakRSS resets the kernel's peak resident set size of this process
// (VmHWM), reporting whether that is supported.
func resetPeakRSS() bool {
	return os.WriteFile("/proc/self/clear_refs", []byte("5"), 0) == nil
}

// peakRSS returns VmHWM in MB, 0 when unavailable.
func peakRSS() float64 {
	raw, err := os.ReadFile("/proc/self/status")
	if err != nil {
		return 0
	}
	sc := bufio.NewScanner(bytes.NewReader(raw))
	for sc.Scan() {
		if rest, ok := strings.CutPrefix(sc.Text(), "VmHWM:"); ok {
			kb, err := strconv.ParseFloat(strings.TrimSpace(strings.TrimSuffix(strings.TrimSpace(rest), "kB")), 64)
			if err != nil {
				return 0
			}
			return kb * 1024 / 1e6 // the kernel's kB are KiB
		}
	}
	return 0
}
