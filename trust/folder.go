package trust

import (
	"crypto/sha256"
	"crypto/x509"
	"encoding/pem"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"sort"
	"strings"
)

// Folder is the trust folder of the built-in default trust: the official
// roots that `trust fetch` or `trust import` stored (roots/<pin name>.pem)
// and the sub-CA certificates that import found chaining to them
// (intermediates/<sha256>.pem). Nothing in the folder is trusted for being
// there: every read re-checks roots against the pins and intermediates
// against the roots by signature.
type Folder struct {
	Dir  string
	Pins []Pin
}

// RootsDir and IntermediatesDir are the sub-folders of a trust folder.
const (
	RootsDir         = "roots"
	IntermediatesDir = "intermediates"
)

// DefaultDomains maps the hierarchies of pinned roots to the names of the
// built-in default domains.
var defaultDomainName = map[Hierarchy]string{Public: "public", Government: "government"}

// FolderState is what a trust folder holds after verification.
type FolderState struct {
	Roots         map[string]*x509.Certificate // pin name → certificate
	Intermediates []*x509.Certificate          // each chains by signature to a root
	Ignored       []Refusal                    // files or certificates not used, with the reason
}

// Refusal says why a certificate or file was not kept.
type Refusal struct {
	Source  string // file name
	Subject string // empty when the file did not parse
	SHA256  string
	Reason  string
}

func (r Refusal) String() string {
	if r.Subject == "" {
		return fmt.Sprintf("%s: %s", r.Source, r.Reason)
	}
	return fmt.Sprintf("%s: %q (sha256 %s): %s", r.Source, r.Subject, r.SHA256, r.Reason)
}

// Read loads and verifies the folder. A missing folder is an empty state,
// not an error.
func (f Folder) Read() (*FolderState, error) {
	st := &FolderState{Roots: map[string]*x509.Certificate{}}
	roots, err := f.readDir(RootsDir, st)
	if err != nil {
		return nil, err
	}
	for _, sc := range roots {
		fp := Fingerprint(sha256.Sum256(sc.cert.Raw))
		if p, ok := PinFor(f.Pins, fp); ok {
			st.Roots[p.Name] = sc.cert
			continue
		}
		st.Ignored = append(st.Ignored, refusal(sc, "not a pinned root"))
	}
	inter, err := f.readDir(IntermediatesDir, st)
	if err != nil {
		return nil, err
	}
	kept, rest := chainToRoots(rootList(st.Roots), inter)
	for _, sc := range kept {
		st.Intermediates = append(st.Intermediates, sc.cert)
	}
	for _, sc := range rest {
		st.Ignored = append(st.Ignored, refusal(sc, "does not chain by signature to a pinned root"))
	}
	return st, nil
}

// DomainSpecs turns the state into the built-in default domains: "public"
// and "government", each made of the pinned roots of that hierarchy that are
// present, with the intermediates that chain to them. A hierarchy without any
// root present gives no domain.
func (st *FolderState) DomainSpecs(pins []Pin) []DomainSpec {
	var specs []DomainSpec
	for _, h := range []Hierarchy{Public, Government} {
		sp := DomainSpec{Name: defaultDomainName[h], Hierarchy: h}
		for _, p := range pins {
			if c, ok := st.Roots[p.Name]; ok && p.Hierarchy == h {
				sp.Anchors = append(sp.Anchors, c)
			}
		}
		if len(sp.Anchors) == 0 {
			continue
		}
		kept, _ := chainToRoots(sp.Anchors, wrap("", st.Intermediates))
		for _, sc := range kept {
			sp.Intermediates = append(sp.Intermediates, sc.cert)
		}
		specs = append(specs, sp)
	}
	return specs
}

type sourced struct {
	source string
	cert   *x509.Certificate
}

func wrap(source string, cs []*x509.Certificate) []sourced {
	out := make([]sourced, len(cs))
	for i, c := range cs {
		out[i] = sourced{source, c}
	}
	return out
}

func refusal(sc sourced, reason string) Refusal {
	fp := sha256.Sum256(sc.cert.Raw)
	return Refusal{Source: sc.source, Subject: DN(sc.cert.RawSubject), SHA256: Fingerprint(fp).Hex(), Reason: reason}
}

func rootList(m map[string]*x509.Certificate) []*x509.Certificate {
	names := make([]string, 0, len(m))
	for n := range m {
		names = append(names, n)
	}
	sort.Strings(names)
	out := make([]*x509.Certificate, 0, len(m))
	for _, n := range names {
		out = append(out, m[n])
	}
	return out
}

// chainToRoots returns the CA certificates of cands that chain by signature
// (through each other) to one of roots, and the others. Only CA certificates
// can be kept.
func chainToRoots(roots []*x509.Certificate, cands []sourced) (kept, rest []sourced) {
	parents := append([]*x509.Certificate(nil), roots...)
	rest = append(rest, cands...)
	for changed := true; changed; {
		changed = false
		var next []sourced
		for _, sc := range rest {
			if sc.cert.BasicConstraintsValid && sc.cert.IsCA && issuedByAny(sc.cert, parents) {
				kept = append(kept, sc)
				parents = append(parents, sc.cert)
				changed = true
				continue
			}
			next = append(next, sc)
		}
		rest = next
	}
	return kept, rest
}

func issuedByAny(c *x509.Certificate, parents []*x509.Certificate) bool {
	for _, p := range parents {
		if p == c || !SameName(c.RawIssuer, p.RawSubject) {
			continue
		}
		if CheckSignature(c, p) == nil {
			return true
		}
	}
	return false
}

func (f Folder) readDir(sub string, st *FolderState) ([]sourced, error) {
	dir := filepath.Join(f.Dir, sub)
	entries, err := os.ReadDir(dir)
	if errors.Is(err, os.ErrNotExist) {
		return nil, nil
	}
	if err != nil {
		return nil, err
	}
	var out []sourced
	for _, e := range entries {
		if e.IsDir() || strings.HasPrefix(e.Name(), ".") {
			continue
		}
		path := filepath.Join(dir, e.Name())
		cs, err := ReadFile(path)
		if err != nil {
			st.Ignored = append(st.Ignored, Refusal{Source: path, Reason: err.Error()})
			continue
		}
		out = append(out, wrap(path, cs)...)
	}
	return out, nil
}

// writeCert stores c as PEM at dir/sub/name atomically (temporary file and
// rename), so a crash never leaves a half-written certificate.
func (f Folder) writeCert(sub, name string, c *x509.Certificate) error {
	dir := filepath.Join(f.Dir, sub)
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return err
	}
	tmp, err := os.CreateTemp(dir, ".tmp-*")
	if err != nil {
		return err
	}
	defer os.Remove(tmp.Name())
	if err := pem.Encode(tmp, &pem.Block{Type: "CERTIFICATE", Bytes: c.Raw}); err != nil {
		tmp.Close()
		return err
	}
	if err := tmp.Close(); err != nil {
		return err
	}
	if err := os.Chmod(tmp.Name(), 0o644); err != nil { // public certificates; CreateTemp made it 0600
		return err
	}
	return os.Rename(tmp.Name(), filepath.Join(dir, name))
}
