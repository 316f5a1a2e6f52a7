package validate

import (
	"fmt"
	"slices"
	"strings"
)

// urlRewriter applies revocation.url_rewrites: a URL that starts with a
// configured prefix is fetched with that prefix replaced, the longest
// matching prefix winning. CAs move their OCSP and CRL hosts while old
// certificates keep naming the old ones (the Vietnamese government CA's
// ocsp.ca.ptc became ocsp.ca.gov.vn).
type urlRewriter struct {
	rules []rewriteRule // longest prefix first
}

type rewriteRule struct{ from, to string }

// newURLRewriter checks that every prefix and replacement is an absolute
// http or https URL.
func newURLRewriter(m map[string]string) (*urlRewriter, error) {
	rw := &urlRewriter{}
	for from, to := range m {
		for _, u := range []string{from, to} {
			if !isHTTPURL(u) {
				return nil, fmt.Errorf("validate: URL rewrite %q -> %q: %q is not an absolute http(s) URL", from, to, u)
			}
		}
		rw.rules = append(rw.rules, rewriteRule{from, to})
	}
	slices.SortFunc(rw.rules, func(a, b rewriteRule) int {
		if d := len(b.from) - len(a.from); d != 0 {
			return d
		}
		return strings.Compare(a.from, b.from)
	})
	return rw, nil
}

// apply returns u rewritten, or u itself when no prefix matches.
func (rw *urlRewriter) apply(u string) string {
	for _, r := range rw.rules {
		if rest, ok := strings.CutPrefix(u, r.from); ok {
			return r.to + rest
		}
	}
	return u
}

// urls returns the http and https URLs of list, rewritten, without
// duplicates, at most max of them. Other schemes (ldap, file, ...) are
// dropped here rather than refused by the fetcher: they are common in
// certificates and not an attack.
func (rw *urlRewriter) urls(list []string, max int) []string {
	var out []string
	for _, u := range list {
		if len(out) >= max {
			break
		}
		if !isHTTPURL(u) {
			continue
		}
		if u = rw.apply(u); !slices.Contains(out, u) {
			out = append(out, u)
		}
	}
	return out
}

// isHTTPURL reports whether s is an absolute http or https URL with a
// host: a cheap syntactic check on the hot path; the fetcher parses and
// checks every URL again before any request.
func isHTTPURL(s string) bool {
	var rest string
	switch {
	case len(s) > 7 && strings.EqualFold(s[:7], "http://"):
		rest = s[7:]
	case len(s) > 8 && strings.EqualFold(s[:8], "https://"):
		rest = s[8:]
	default:
		return false
	}
	return rest != "" && rest[0] != '/' && rest[0] != '?' && rest[0] != '#'
}
