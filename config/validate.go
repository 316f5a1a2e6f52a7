package config

import (
	"errors"
	"fmt"
	"maps"
	"net"
	"net/url"
	"path/filepath"
	"regexp"
	"slices"
	"strconv"
	"strings"
)

var (
	domainName = regexp.MustCompile(`^[a-z0-9-]+$`)
	dottedOID  = regexp.MustCompile(`^[0-2](\.(0|[1-9][0-9]*))+$`)
)

// Validate checks every value of c and returns all problems joined, each
// naming its key path. It does not apply defaults, touch the files the paths
// name, or resolve host names. Parse calls it; cmd calls it again after
// applying flag overrides such as --listen.
func (c *Config) Validate() error { return c.validate(nil) }

// checker collects errors; lines maps key paths to lines when the Config came
// from a file.
type checker struct {
	lines map[string]int
	errs  []error
}

func (ck *checker) add(path, format string, args ...any) {
	msg := fmt.Sprintf(format, args...)
	if line, ok := ck.lines[path]; ok {
		ck.errs = append(ck.errs, fmt.Errorf("config: line %d: %s: %s", line, path, msg))
		return
	}
	ck.errs = append(ck.errs, fmt.Errorf("config: %s: %s", path, msg))
}

func (ck *checker) oneOf(path, v string, allowed ...string) {
	if !slices.Contains(allowed, v) {
		ck.add(path, "%q is not one of %s", v, strings.Join(allowed, ", "))
	}
}

func (ck *checker) hostPort(path, v string) {
	host, port, err := net.SplitHostPort(v)
	if err == nil {
		if n, perr := strconv.Atoi(port); perr != nil || n < 0 || n > 65535 {
			err = errors.New("bad port")
		}
	}
	if err != nil || strings.ContainsAny(host, "/ ") {
		ck.add(path, "%q is not host:port", v)
	}
}

func (ck *checker) positive(path string, v int64) {
	if v <= 0 {
		ck.add(path, "%d must be positive", v)
	}
}

func (ck *checker) duration(path string, d Duration, allowZero bool) {
	if d.Duration < 0 || (d.Duration == 0 && !allowZero) {
		ck.add(path, "%s must be positive", d.Duration)
	}
}

func (ck *checker) oids(path string, v []string) {
	for i, s := range v {
		if !dottedOID.MatchString(s) {
			ck.add(fmt.Sprintf("%s[%d]", path, i), "%q is not a dotted OID such as 2.5.29.32.0", s)
		}
	}
}

func (ck *checker) files(path string, v []string) {
	for i, s := range v {
		if _, err := filepath.Match(s, ""); s == "" || err != nil {
			ck.add(fmt.Sprintf("%s[%d]", path, i), "%q is not a file name or glob", s)
		}
	}
}

func (ck *checker) httpURL(path, what, v string) {
	u, err := url.Parse(v)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		ck.add(path, "%s%q is not an absolute http or https URL", what, v)
	}
}

func (c *Config) validate(lines map[string]int) error {
	ck := &checker{lines: lines}
	ck.hostPort("listen", c.Listen)
	if c.MetricsListen != "" {
		ck.hostPort("metrics_listen", c.MetricsListen)
	}

	if len(c.Domains) == 0 {
		ck.add("domains", "at least one domain is required")
	}
	seen := make(map[string]int)
	for i, d := range c.Domains {
		p := fmt.Sprintf("domains[%d]", i)
		switch j, dup := seen[d.Name]; {
		case !domainName.MatchString(d.Name):
			ck.add(p+".name", "%q does not match [a-z0-9-]+", d.Name)
		case dup:
			ck.add(p+".name", "%q is already the name of domains[%d]", d.Name, j)
		default:
			seen[d.Name] = i
		}
		ck.oneOf(p+".hierarchy", d.Hierarchy, HierarchyPublic, HierarchyGovernment, HierarchyOther)
		if len(d.Anchors) == 0 {
			ck.add(p+".anchors", "at least one file or glob is required")
		}
		ck.files(p+".anchors", d.Anchors)
		ck.files(p+".intermediates", d.Intermediates)
		ck.oids(p+".policies", d.Policies)
		ck.oids(p+".initial_policy_set", d.InitialPolicySet)
		ck.oids(p+".extended_key_usages", d.ExtendedKeyUsages)
		ck.positive(p+".min_rsa_bits", int64(d.MinRSABits))
		ck.oneOf(p+".profile", d.Profile, ProfileStrict, ProfileRFC5280)
	}
	ck.files("cross_certificates", c.CrossCertificates)

	r := c.Revocation
	ck.oneOf("revocation.mode", r.Mode, ModeHardFail, ModeSoftFail, ModeOff)
	ck.oneOf("revocation.prefer", r.Prefer, PreferOCSP, PreferCRL)
	for _, from := range slices.Sorted(maps.Keys(r.URLRewrites)) {
		p := child("revocation.url_rewrites", from)
		ck.httpURL(p, "key ", from)
		ck.httpURL(p, "", r.URLRewrites[from])
	}
	ck.positive("revocation.cache_max_entries", int64(r.CacheMaxEntries))
	ck.duration("revocation.max_cache_ttl", r.MaxCacheTTL, false)
	ck.duration("revocation.default_ttl", r.DefaultTTL, false)
	ck.duration("revocation.clock_skew", r.ClockSkew, true)

	f := c.Fetch
	ck.duration("fetch.timeout", f.Timeout, false)
	for i, h := range f.AllowHosts {
		if h == "" || strings.ContainsAny(h, "/ ") {
			ck.add(fmt.Sprintf("fetch.allow_hosts[%d]", i), "%q is not a host name", h)
		}
	}
	ck.positive("fetch.max_crl_bytes", f.MaxCRLBytes)
	ck.positive("fetch.max_ocsp_bytes", f.MaxOCSPBytes)
	if f.MaxRedirects < 0 {
		ck.add("fetch.max_redirects", "%d must not be negative", f.MaxRedirects)
	}
	ck.positive("fetch.per_host_concurrency", int64(f.PerHostConcurrency))
	ck.positive("fetch.aia_cache_entries", int64(f.AIACacheEntries))

	l := c.Limits
	ck.positive("limits.max_body_bytes", l.MaxBodyBytes)
	ck.duration("limits.request_budget", l.RequestBudget, false)
	ck.positive("limits.max_chain_depth", int64(l.MaxChainDepth))
	ck.positive("limits.max_path_candidates", int64(l.MaxPathCandidates))
	return errors.Join(ck.errs...)
}
