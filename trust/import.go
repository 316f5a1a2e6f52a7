package trust

import (
	"context"
	"crypto/sha256"
	"crypto/x509"
	"errors"
	"fmt"
	"io"
	"net/http"
	"strings"
)

// Kept is a certificate that import or fetch stored in the trust folder.
type Kept struct {
	Source  string
	Name    string // pin name for roots, SHA-256 for intermediates
	Subject string
	SHA256  string
}

// ImportResult lists what an import or fetch kept and refused.
type ImportResult struct {
	Roots         []Kept
	Intermediates []Kept
	Refused       []Refusal
}

// Input is one file given to Import: its name (for messages) and content.
type Input struct {
	Name string
	Data []byte
}

// Import stores into the folder the certificates of inputs that are pinned
// roots, and the CA certificates that chain by signature to a pinned root
// (present before or imported now) as intermediates. Everything else is
// refused with a reason: end-entity certificates, unpinned roots, and
// look-alikes that carry a pinned root's name with another key. Inputs are
// bytes, not paths: the caller reads the files.
func (f Folder) Import(inputs []Input) (*ImportResult, error) {
	st, err := f.Read()
	if err != nil {
		return nil, err
	}
	res := &ImportResult{}
	var cands []sourced
	seen := map[Fingerprint]bool{}
	for _, in := range inputs {
		cs, err := ParseCertificates(in.Data)
		if err != nil {
			res.Refused = append(res.Refused, Refusal{Source: in.Name, Reason: "unreadable: " + err.Error()})
			continue
		}
		for _, c := range cs {
			fp := Fingerprint(sha256.Sum256(c.Raw))
			if seen[fp] {
				continue
			}
			seen[fp] = true
			if p, ok := PinFor(f.Pins, fp); ok {
				if err := f.writeCert(RootsDir, p.Name+".pem", c); err != nil {
					return res, err
				}
				st.Roots[p.Name] = c
				res.Roots = append(res.Roots, Kept{Source: in.Name, Name: p.Name, Subject: DN(c.RawSubject), SHA256: fp.Hex()})
				continue
			}
			cands = append(cands, sourced{in.Name, c})
		}
	}
	kept, rest := chainToRoots(append(rootList(st.Roots), st.Intermediates...), cands)
	for _, sc := range kept {
		fp := Fingerprint(sha256.Sum256(sc.cert.Raw)).Hex()
		if err := f.writeCert(IntermediatesDir, fp+".pem", sc.cert); err != nil {
			return res, err
		}
		res.Intermediates = append(res.Intermediates, Kept{Source: sc.source, Name: fp, Subject: DN(sc.cert.RawSubject), SHA256: fp})
	}
	for _, sc := range rest {
		res.Refused = append(res.Refused, refusal(sc, f.whyRefused(sc.cert)))
	}
	return res, nil
}

// whyRefused explains, for people, why a certificate was not kept.
func (f Folder) whyRefused(c *x509.Certificate) string {
	if !c.BasicConstraintsValid || !c.IsCA {
		return "not a CA certificate (end-entity certificates are not stored in the trust folder)"
	}
	selfIssued := SameName(c.RawSubject, c.RawIssuer)
	for _, p := range f.Pins {
		if strings.EqualFold(c.Subject.CommonName, p.Subject) && selfIssued {
			return fmt.Sprintf("LOOK-ALIKE: same name as the pinned root %q but not its certificate (sha256 must be %s)", p.Name, p.SHA256)
		}
	}
	if selfIssued {
		return "self-signed root that is not in the pinned list"
	}
	for _, p := range f.Pins {
		if strings.EqualFold(c.Issuer.CommonName, p.Subject) {
			return fmt.Sprintf("names the pinned root %q as issuer but its signature does not verify with that root's key (look-alike chain), or that root is not present", p.Name)
		}
	}
	return "does not chain by signature to a pinned root"
}

// MaxFetchBytes bounds one downloaded root bundle.
const MaxFetchBytes = 1 << 20

// Fetch downloads every pinned root from its official addresses (first
// address that yields the pinned certificate wins) and stores the
// certificates whose SHA-256 matches the pin. Bundles (.p7b) may hold more
// than the root; only pinned certificates are kept, the rest is listed as
// refused. It returns an error only for local failures (the folder); each
// unreachable or wrong address is reported in Refused, so the caller decides
// from len(res.Roots) whether fetching worked.
func (f Folder) Fetch(ctx context.Context, client *http.Client) (*ImportResult, error) {
	if client == nil {
		return nil, errors.New("trust: Fetch needs an HTTP client")
	}
	res := &ImportResult{}
	for _, p := range f.Pins {
		pfp, err := p.Fingerprint()
		if err != nil {
			res.Refused = append(res.Refused, Refusal{Source: p.Name, Reason: err.Error()})
			continue
		}
		got := false
		for _, u := range p.URLs {
			data, err := get(ctx, client, u)
			if err != nil {
				res.Refused = append(res.Refused, Refusal{Source: u, Reason: err.Error()})
				continue
			}
			cs, err := ParseCertificates(data)
			if err != nil {
				res.Refused = append(res.Refused, Refusal{Source: u, Reason: "unreadable: " + err.Error()})
				continue
			}
			for _, c := range cs {
				fp := Fingerprint(sha256.Sum256(c.Raw))
				if fp != pfp {
					res.Refused = append(res.Refused, refusal(sourced{u, c}, fmt.Sprintf("fingerprint does not match the pin of %q", p.Name)))
					continue
				}
				if err := f.writeCert(RootsDir, p.Name+".pem", c); err != nil {
					return res, err
				}
				res.Roots = append(res.Roots, Kept{Source: u, Name: p.Name, Subject: DN(c.RawSubject), SHA256: fp.Hex()})
				got = true
			}
			if got {
				break
			}
		}
	}
	return res, nil
}

func get(ctx context.Context, client *http.Client, url string) ([]byte, error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, url, nil)
	if err != nil {
		return nil, err
	}
	resp, err := client.Do(req)
	if err != nil {
		return nil, err
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		return nil, fmt.Errorf("HTTP %s", resp.Status)
	}
	data, err := io.ReadAll(io.LimitReader(resp.Body, MaxFetchBytes+1))
	if err != nil {
		return nil, err
	}
	if len(data) > MaxFetchBytes {
		return nil, errors.New("answer larger than 1 MiB: not a root certificate bundle")
	}
	return data, nil
}
