// Package config loads the lienthong YAML configuration file.
//
// The keys are the outside contract of DESIGN.md ("Config file (YAML)"):
// renaming or removing one breaks operators' files. Decoding is strict: an
// unknown key is an error that names the key and its line. Paths in the file
// are relative to the file's folder. config is a leaf package: cmd translates a
// Config into each package's own Options, so nothing else imports it.
package config

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"time"

	"go.yaml.in/yaml/v3"
)

// Hierarchy values of Domain.Hierarchy.
const (
	HierarchyPublic     = "public"
	HierarchyGovernment = "government"
	HierarchyOther      = "other"
)

// Revocation.Mode values. Off and soft-fail are stated in every report.
const (
	ModeHardFail = "hard-fail"
	ModeSoftFail = "soft-fail"
	ModeOff      = "off"
)

// Revocation.Prefer values: the source tried first.
const (
	PreferOCSP = "ocsp"
	PreferCRL  = "crl"
)

// AnyPolicy is the anyPolicy OID (RFC 5280 §4.2.1.4), the default
// Domain.InitialPolicySet.
const AnyPolicy = "2.5.29.32.0"

// ProfileStrict and ProfileRFC5280 are the values of domains[].profile.
const (
	ProfileStrict  = "strict"
	ProfileRFC5280 = "rfc5280"
)

// Config is the whole configuration file. The zero value is not usable: start
// from Default, or from Load/Parse, which apply the defaults before decoding.
type Config struct {
	// Listen is the API address, host:port. Default 127.0.0.1:8080; the
	// --listen flag overrides it.
	Listen string `yaml:"listen"`
	// MetricsListen is the /metrics address, host:port. Default
	// 127.0.0.1:9100 when the key is absent; an explicit empty value (or
	// null) means /metrics is served on the API listener.
	MetricsListen string `yaml:"metrics_listen"`
	// Domains are the trust domains of the combined trust store; at least one.
	Domains []Domain `yaml:"domains"`
	// CrossCertificates are files or globs of cross-certificates between
	// domains (PEM, DER or PKCS#7).
	CrossCertificates []string `yaml:"cross_certificates"`
	// Algorithms holds the legacy algorithm cut-offs.
	Algorithms Algorithms `yaml:"algorithms"`
	// Revocation holds the OCSP/CRL policy and cache settings.
	Revocation Revocation `yaml:"revocation"`
	// Fetch holds the outbound HTTP (OCSP, CRL, AIA) settings.
	Fetch Fetch `yaml:"fetch"`
	// Limits bounds the work one request may cause.
	Limits Limits `yaml:"limits"`
}

// Domain is one trust domain: a set of anchors with its own path validation
// inputs (RFC 5280 §6.1.1). Zero MinRSABits and empty InitialPolicySet are
// replaced by their defaults in Parse, not in Validate.
type Domain struct {
	// Name is [a-z0-9-]+, unique; it appears in reports and metric labels.
	Name string `yaml:"name"`
	// Hierarchy is public, government or other.
	Hierarchy string `yaml:"hierarchy"`
	// Anchors are files or globs (PEM, DER or PKCS#7); each cert is a trust
	// anchor. At least one entry.
	Anchors []string `yaml:"anchors"`
	// Intermediates are files or globs of CA certs offered to path building,
	// trusted only through an anchor.
	Intermediates []string `yaml:"intermediates"`
	// Policies are the certificate policy OIDs accepted for end entities;
	// empty means any.
	Policies []string `yaml:"policies"`
	// InitialPolicySet is user-initial-policy-set (RFC 5280 §6.1.1 c);
	// empty means [AnyPolicy].
	InitialPolicySet []string `yaml:"initial_policy_set"`
	// InitialExplicitPolicy is initial-explicit-policy (RFC 5280 §6.1.1 f).
	InitialExplicitPolicy bool `yaml:"initial_explicit_policy"`
	// InitialPolicyMappingInhibit is initial-policy-mapping-inhibit
	// (RFC 5280 §6.1.1 e).
	InitialPolicyMappingInhibit bool `yaml:"initial_policy_mapping_inhibit"`
	// InitialInhibitAnyPolicy is initial-any-policy-inhibit (RFC 5280 §6.1.1 g).
	InitialInhibitAnyPolicy bool `yaml:"initial_inhibit_any_policy"`
	// ExtendedKeyUsages are the EKU OIDs accepted for end-entity signing
	// certificates that carry an EKU extension; empty means the validator's
	// built-in list.
	ExtendedKeyUsages []string `yaml:"extended_key_usages"`
	// MinRSABits is the smallest RSA modulus accepted in the chain; 0 means 2048.
	MinRSABits int `yaml:"min_rsa_bits"`
	// AllowMD5 accepts MD5 certificate signatures, for legacy chains only.
	AllowMD5 bool `yaml:"allow_md5"`
	// Profile is the certificate profile enforced besides RFC 5280 §6.1 path
	// validation: "strict" (default) also refuses CA certificates that break
	// the MUSTs of RFC 5280 §4.2 (AKI, SKI, critical basicConstraints, …);
	// "rfc5280" runs §6.1 alone, for test suites such as NIST PKITS whose
	// certificates break §4.2 on purpose.
	Profile string `yaml:"profile"`
}

// Algorithms holds algorithm cut-offs.
type Algorithms struct {
	// SHA1Until is the instant before which SHA-1 certificate signatures are
	// accepted with a warning. Default 2030-12-31T23:59:59Z; the zero Time
	// accepts SHA-1 never.
	SHA1Until Time `yaml:"sha1_until"`
}

// Revocation holds the revocation policy and the OCSP/CRL cache bounds.
type Revocation struct {
	// Mode is hard-fail (default), soft-fail or off.
	Mode string `yaml:"mode"`
	// Prefer is the source tried first: ocsp (default) or crl.
	Prefer string `yaml:"prefer"`
	// URLRewrites maps an OCSP/CRL URL prefix found in certificates to the
	// prefix actually fetched. Keys and values are absolute http(s) URLs.
	URLRewrites map[string]string `yaml:"url_rewrites"`
	// CacheMaxEntries bounds the revocation cache. Default 100000.
	CacheMaxEntries int `yaml:"cache_max_entries"`
	// MaxCacheTTL caps how long an answer is cached, whatever its
	// nextUpdate. Default 24h.
	MaxCacheTTL Duration `yaml:"max_cache_ttl"`
	// DefaultTTL is how long an answer without nextUpdate is cached.
	// Default 1h.
	DefaultTTL Duration `yaml:"default_ttl"`
	// ClockSkew is the tolerance on thisUpdate/nextUpdate checks. Default 5m.
	ClockSkew Duration `yaml:"clock_skew"`
}

// Fetch holds the outbound HTTP settings for OCSP, CRL and AIA fetches.
type Fetch struct {
	// Timeout is per upstream request. Default 5s.
	Timeout Duration `yaml:"timeout"`
	// AllowPrivateNetworks lets fetches reach loopback and private addresses.
	AllowPrivateNetworks bool `yaml:"allow_private_networks"`
	// AllowHosts, when non-empty, are the only hosts fetched from.
	AllowHosts []string `yaml:"allow_hosts"`
	// MaxCRLBytes caps a CRL body. Default 64 MiB.
	MaxCRLBytes int64 `yaml:"max_crl_bytes"`
	// MaxOCSPBytes caps an OCSP response body. Default 1 MiB.
	MaxOCSPBytes int64 `yaml:"max_ocsp_bytes"`
	// MaxRedirects is the number of redirects followed; 0 follows none.
	// Default 3.
	MaxRedirects int `yaml:"max_redirects"`
	// PerHostConcurrency bounds concurrent requests to one host. Default 4.
	PerHostConcurrency int `yaml:"per_host_concurrency"`
	// AIACacheEntries bounds the cache of certificates fetched through AIA
	// caIssuers. Default 1000.
	AIACacheEntries int `yaml:"aia_cache_entries"`
}

// Limits bounds the work a single request may cause.
type Limits struct {
	// MaxBodyBytes caps a request body; larger is 413. Default 33554432.
	MaxBodyBytes int64 `yaml:"max_body_bytes"`
	// RequestBudget is the time one request may take; past it, unmet
	// revocation is INDETERMINATE/TRY_LATER. Default 10s.
	RequestBudget Duration `yaml:"request_budget"`
	// MaxChainDepth is the longest path built, anchor included. Default 10.
	MaxChainDepth int `yaml:"max_chain_depth"`
	// MaxPathCandidates bounds the candidate paths tried. Default 64.
	MaxPathCandidates int `yaml:"max_path_candidates"`
}

// Duration is a time.Duration written as a Go duration string ("5s").
// Bare numbers are refused: "5" could mean seconds or nanoseconds.
type Duration struct{ time.Duration }

// UnmarshalYAML parses a Go duration string; the error carries the line.
func (d *Duration) UnmarshalYAML(n *yaml.Node) error {
	v, err := time.ParseDuration(n.Value)
	if n.Kind != yaml.ScalarNode || err != nil {
		return lineError(n, "%q is not a duration such as 5s or 1h30m", n.Value)
	}
	d.Duration = v
	return nil
}

// Time is a time.Time written in RFC 3339 ("2030-12-31T23:59:59Z"). YAML's
// other timestamp forms, such as a date alone, are refused.
type Time struct{ time.Time }

// UnmarshalYAML parses an RFC 3339 date-time; the error carries the line.
func (t *Time) UnmarshalYAML(n *yaml.Node) error {
	v, err := time.Parse(time.RFC3339, n.Value)
	if n.Kind != yaml.ScalarNode || err != nil {
		return lineError(n, "%q is not an RFC 3339 time such as 2030-12-31T23:59:59Z", n.Value)
	}
	t.Time = v
	return nil
}

// lineError returns a *yaml.TypeError so the decoder collects it with the
// others; Parse then adds the key path.
func lineError(n *yaml.Node, format string, args ...any) error {
	return &yaml.TypeError{Errors: []string{fmt.Sprintf("line %d: ", n.Line) + fmt.Sprintf(format, args...)}}
}

// Default returns the built-in defaults with no domains, for callers that
// build a configuration without a file. It does not pass Validate until a
// domain is added (see DefaultDomain).
func Default() *Config {
	return &Config{
		Listen:        "127.0.0.1:8080",
		MetricsListen: "127.0.0.1:9100",
		Algorithms:    Algorithms{SHA1Until: Time{time.Date(2030, 12, 31, 23, 59, 59, 0, time.UTC)}},
		Revocation: Revocation{
			Mode:            ModeHardFail,
			Prefer:          PreferOCSP,
			CacheMaxEntries: 100000,
			MaxCacheTTL:     Duration{24 * time.Hour},
			DefaultTTL:      Duration{time.Hour},
			ClockSkew:       Duration{5 * time.Minute},
		},
		Fetch: Fetch{
			Timeout:            Duration{5 * time.Second},
			MaxCRLBytes:        64 << 20,
			MaxOCSPBytes:       1 << 20,
			MaxRedirects:       3,
			PerHostConcurrency: 4,
			AIACacheEntries:    1000,
		},
		Limits: Limits{
			MaxBodyBytes:      33554432,
			RequestBudget:     Duration{10 * time.Second},
			MaxChainDepth:     10,
			MaxPathCandidates: 64,
		},
	}
}

// DefaultDomain returns a domain with the per-domain defaults and the given
// name, hierarchy and anchors. It does not check them: Validate does.
func DefaultDomain(name, hierarchy string, anchors ...string) Domain {
	return Domain{
		Name:             name,
		Hierarchy:        hierarchy,
		Anchors:          anchors,
		InitialPolicySet: []string{AnyPolicy},
		MinRSABits:       2048,
		Profile:          ProfileStrict,
	}
}

// Load reads the file at path and parses it with Parse, resolving relative
// paths in it against the file's folder. It does not read the certificate
// files the config names.
func Load(path string) (*Config, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("config: %w", err)
	}
	abs, err := filepath.Abs(path)
	if err != nil {
		return nil, fmt.Errorf("config: %w", err)
	}
	return Parse(data, filepath.Dir(abs))
}

// Parse decodes data strictly, applies the defaults, joins the relative paths
// of anchors, intermediates and cross_certificates to baseDir (kept as given
// when baseDir is ""), and validates the result. Every error names the key
// path and, where known, its line; several problems are joined.
func Parse(data []byte, baseDir string) (*Config, error) {
	var root yaml.Node
	if err := yaml.Unmarshal(data, &root); err != nil {
		return nil, rewriteError(err, nil)
	}
	var refs []nodeRef
	walk(&root, "", &refs)

	cfg := Default()
	dec := yaml.NewDecoder(bytes.NewReader(data))
	dec.KnownFields(true)
	if err := dec.Decode(cfg); err != nil && !errors.Is(err, io.EOF) {
		return nil, rewriteError(err, refs)
	}
	lines := make(map[string]int, len(refs))
	for _, r := range refs {
		if _, ok := lines[r.path]; !ok {
			lines[r.path] = r.keyLine
		}
		if r.path == "metrics_listen" && r.val.ShortTag() == "!!null" {
			cfg.MetricsListen = "" // "metrics_listen:" reads as empty, not absent
		}
	}
	for i := range cfg.Domains {
		d, def := &cfg.Domains[i], DefaultDomain("", "")
		if len(d.InitialPolicySet) == 0 {
			d.InitialPolicySet = def.InitialPolicySet
		}
		if d.MinRSABits == 0 {
			d.MinRSABits = def.MinRSABits
		}
		if d.Profile == "" {
			d.Profile = def.Profile
		}
		if baseDir != "" {
			resolve(baseDir, d.Anchors)
			resolve(baseDir, d.Intermediates)
		}
	}
	if baseDir != "" {
		resolve(baseDir, cfg.CrossCertificates)
	}
	if err := cfg.validate(lines); err != nil {
		return nil, err
	}
	return cfg, nil
}

// resolve joins the relative entries of paths to baseDir in place; absolute
// ones are kept. Globs stay globs: filepath.Join does not expand them.
func resolve(baseDir string, paths []string) {
	for i, p := range paths {
		if p != "" && !filepath.IsAbs(p) {
			paths[i] = filepath.Join(baseDir, p)
		}
	}
}

// nodeRef is one key or sequence item of the YAML tree with its path
// ("domains[1].hierarchy"), used to put paths and lines on errors.
type nodeRef struct {
	path, parent, key string
	keyLine           int
	val               *yaml.Node
}

func walk(n *yaml.Node, path string, refs *[]nodeRef) {
	switch n.Kind {
	case yaml.DocumentNode:
		for _, c := range n.Content {
			walk(c, path, refs)
		}
	case yaml.MappingNode:
		for i := 0; i+1 < len(n.Content); i += 2 {
			k, v := n.Content[i], n.Content[i+1]
			p := child(path, k.Value)
			*refs = append(*refs, nodeRef{path: p, parent: path, key: k.Value, keyLine: k.Line, val: v})
			walk(v, p, refs)
		}
	case yaml.SequenceNode:
		for i, c := range n.Content {
			p := fmt.Sprintf("%s[%d]", path, i)
			*refs = append(*refs, nodeRef{path: p, parent: path, keyLine: c.Line, val: c})
			walk(c, p, refs)
		}
	}
}

var plainKey = regexp.MustCompile(`^[a-z0-9_]+$`)

// child is the path of key under path: a.b for plain keys, a["http://x"] for
// others such as url_rewrites keys.
func child(path, key string) string {
	switch {
	case !plainKey.MatchString(key):
		return path + "[" + strconv.Quote(key) + "]"
	case path == "":
		return key
	default:
		return path + "." + key
	}
}

var (
	lineMsg   = regexp.MustCompile(`^line (\d+): (.*)$`)
	unknown   = regexp.MustCompile(`^field (.+) not found in type `)
	duplicate = regexp.MustCompile(`^mapping key "(.*)" already defined at line (\d+)`)
	yamlLine  = regexp.MustCompile(`^yaml: `)
)

// rewriteError turns yaml's messages ("line 7: field foo not found in type
// config.Revocation") into ones that name the key path.
func rewriteError(err error, refs []nodeRef) error {
	var te *yaml.TypeError
	if !errors.As(err, &te) {
		return fmt.Errorf("config: %s", yamlLine.ReplaceAllString(err.Error(), ""))
	}
	errs := make([]error, 0, len(te.Errors))
	for _, e := range te.Errors {
		m := lineMsg.FindStringSubmatch(e)
		if m == nil {
			errs = append(errs, fmt.Errorf("config: %s", e))
			continue
		}
		line, _ := strconv.Atoi(m[1])
		if u := unknown.FindStringSubmatch(m[2]); u != nil {
			errs = append(errs, fmt.Errorf("config: line %d: unknown key %q %s", line, u[1], keyParent(refs, line, u[1])))
			continue
		}
		if d := duplicate.FindStringSubmatch(m[2]); d != nil {
			errs = append(errs, fmt.Errorf("config: line %d: duplicate key %q %s (first at line %s)", line, d[1], keyParent(refs, line, d[1]), d[2]))
			continue
		}
		errs = append(errs, fmt.Errorf("config: line %d: %s%s", line, pathAt(refs, line, m[2]), m[2]))
	}
	return errors.Join(errs...)
}

// keyParent says where the key on line sits: "in domains[1]" or "at top level".
func keyParent(refs []nodeRef, line int, key string) string {
	for _, r := range refs {
		if r.keyLine == line && r.key == key && r.parent != "" {
			return "in " + r.parent
		}
	}
	return "at top level"
}

// pathAt returns "path: " for the value on line that msg is about: a mapping
// or sequence for yaml's "cannot unmarshal !!map/!!seq", else a scalar. Flow
// collections with several values on one line get the first one.
func pathAt(refs []nodeRef, line int, msg string) string {
	collection := strings.HasPrefix(msg, "cannot unmarshal !!map") || strings.HasPrefix(msg, "cannot unmarshal !!seq")
	for _, r := range refs {
		if r.val.Line == line && (r.val.Kind != yaml.ScalarNode) == collection {
			return r.path + ": "
		}
	}
	return ""
}
