package config

import (
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
	"time"
)

const minimal = `
domains:
  - name: public
    hierarchy: public
    anchors: [trust/public/*.pem]
`

func TestExampleLoads(t *testing.T) {
	cfg, err := Load("example.yaml")
	if err != nil {
		t.Fatalf("Load(example.yaml): %v", err)
	}
	if err := cfg.Validate(); err != nil {
		t.Fatalf("Validate: %v", err)
	}
	dir, err := filepath.Abs(".")
	if err != nil {
		t.Fatal(err)
	}
	checks := []struct {
		name      string
		got, want any
	}{
		{"listen", cfg.Listen, "127.0.0.1:8080"},
		{"metrics_listen", cfg.MetricsListen, "127.0.0.1:9100"},
		{"domain names", []string{cfg.Domains[0].Name, cfg.Domains[1].Name}, []string{"public", "government"}},
		{"hierarchies", []string{cfg.Domains[0].Hierarchy, cfg.Domains[1].Hierarchy}, []string{"public", "government"}},
		{"anchors", cfg.Domains[0].Anchors, []string{filepath.Join(dir, "trust/public/*.pem")}},
		{"intermediates", cfg.Domains[1].Intermediates, []string{filepath.Join(dir, "trust/gov/ca/*.pem")}},
		{"cross_certificates", cfg.CrossCertificates, []string{filepath.Join(dir, "trust/cross/*.pem")}},
		{"initial_policy_set", cfg.Domains[1].InitialPolicySet, []string{AnyPolicy}},
		{"min_rsa_bits", cfg.Domains[0].MinRSABits, 2048},
		{"profile", cfg.Domains[0].Profile, "strict"},
		{"sha1_until", cfg.Algorithms.SHA1Until.Time, time.Date(2030, 12, 31, 23, 59, 59, 0, time.UTC)},
		{"url_rewrites", cfg.Revocation.URLRewrites, map[string]string{"http://ocsp.ca.ptc": "http://ocsp.ca.gov.vn"}},
		{"clock_skew", cfg.Revocation.ClockSkew.Duration, 5 * time.Minute},
		{"max_cache_ttl", cfg.Revocation.MaxCacheTTL.Duration, 24 * time.Hour},
		{"timeout", cfg.Fetch.Timeout.Duration, 5 * time.Second},
		{"max_crl_bytes", cfg.Fetch.MaxCRLBytes, int64(64 << 20)},
		{"request_budget", cfg.Limits.RequestBudget.Duration, 10 * time.Second},
		{"max_path_candidates", cfg.Limits.MaxPathCandidates, 64},
	}
	for _, c := range checks {
		t.Run(c.name, func(t *testing.T) {
			if !reflect.DeepEqual(c.got, c.want) {
				t.Errorf("got %v, want %v", c.got, c.want)
			}
		})
	}
}

// TestExampleHasEveryKey keeps example.yaml complete: every field is set there.
func TestExampleHasEveryKey(t *testing.T) {
	data, err := os.ReadFile("example.yaml")
	if err != nil {
		t.Fatal(err)
	}
	var keys func(reflect.Type)
	keys = func(typ reflect.Type) {
		for f := range typ.Fields() {
			tag := f.Tag.Get("yaml")
			if tag == "" {
				continue
			}
			if !strings.Contains(string(data), "\n"+tag+":") && !strings.Contains(string(data), " "+tag+":") {
				t.Errorf("example.yaml lacks key %q", tag)
			}
			switch ft := f.Type; {
			case ft.Kind() == reflect.Struct && ft != reflect.TypeFor[Duration]() && ft != reflect.TypeFor[Time]():
				keys(ft)
			case ft.Kind() == reflect.Slice && ft.Elem().Kind() == reflect.Struct:
				keys(ft.Elem())
			}
		}
	}
	keys(reflect.TypeFor[Config]())
}

func TestMinimalGetsDefaults(t *testing.T) {
	cfg, err := Parse([]byte(minimal), "")
	if err != nil {
		t.Fatal(err)
	}
	want := Default()
	want.Domains = []Domain{DefaultDomain("public", "public", "trust/public/*.pem")}
	if !reflect.DeepEqual(cfg, want) {
		t.Errorf("got  %+v\nwant %+v", cfg, want)
	}
}

func TestExplicitZeroKept(t *testing.T) {
	cfg, err := Parse([]byte(minimal+"fetch:\n  max_redirects: 0\n  allow_private_networks: true\n"), "")
	if err != nil {
		t.Fatal(err)
	}
	if cfg.Fetch.MaxRedirects != 0 || !cfg.Fetch.AllowPrivateNetworks || cfg.Fetch.PerHostConcurrency != 4 {
		t.Errorf("fetch = %+v", cfg.Fetch)
	}
}

func TestMetricsListen(t *testing.T) {
	tests := []struct {
		name, yaml, want string
	}{
		{"absent", minimal, "127.0.0.1:9100"},
		{"empty string", minimal + `metrics_listen: ""`, ""},
		{"null", minimal + "metrics_listen:\n", ""},
		{"set", minimal + "metrics_listen: 0.0.0.0:9200", "0.0.0.0:9200"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			cfg, err := Parse([]byte(tt.yaml), "")
			if err != nil {
				t.Fatal(err)
			}
			if cfg.MetricsListen != tt.want {
				t.Errorf("MetricsListen = %q, want %q", cfg.MetricsListen, tt.want)
			}
		})
	}
}

func TestPathResolution(t *testing.T) {
	base := filepath.FromSlash("/etc/lienthong")
	abs := filepath.FromSlash("/srv/roots/*.der")
	y := `
domains:
  - name: gov
    hierarchy: government
    anchors: [trust/gov/*.pem, ` + abs + `]
    intermediates: [../ca/int.pem]
cross_certificates: [cross.p7b]
`
	tests := []struct {
		name, base                 string
		anchors, inter, crossCerts []string
	}{
		{"with base", base,
			[]string{filepath.Join(base, "trust/gov/*.pem"), abs},
			[]string{filepath.FromSlash("/etc/ca/int.pem")},
			[]string{filepath.Join(base, "cross.p7b")}},
		{"no base", "",
			[]string{"trust/gov/*.pem", abs}, []string{"../ca/int.pem"}, []string{"cross.p7b"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			cfg, err := Parse([]byte(y), tt.base)
			if err != nil {
				t.Fatal(err)
			}
			d := cfg.Domains[0]
			for _, c := range []struct{ got, want []string }{
				{d.Anchors, tt.anchors}, {d.Intermediates, tt.inter}, {cfg.CrossCertificates, tt.crossCerts},
			} {
				if !reflect.DeepEqual(c.got, c.want) {
					t.Errorf("got %q, want %q", c.got, c.want)
				}
			}
		})
	}
}

func TestLoadResolvesAgainstFileFolder(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "lienthong.yaml")
	if err := os.WriteFile(path, []byte(minimal), 0o600); err != nil {
		t.Fatal(err)
	}
	cfg, err := Load(path)
	if err != nil {
		t.Fatal(err)
	}
	if want := filepath.Join(dir, "trust/public/*.pem"); cfg.Domains[0].Anchors[0] != want {
		t.Errorf("anchor = %q, want %q", cfg.Domains[0].Anchors[0], want)
	}
	if _, err := Load(filepath.Join(dir, "missing.yaml")); err == nil || !strings.HasPrefix(err.Error(), "config: ") {
		t.Errorf("Load(missing) error = %v", err)
	}
}

func TestErrors(t *testing.T) {
	tests := []struct {
		name, yaml string
		want       []string // substrings of the error
	}{
		{"unknown top-level key", minimal + "listn: x\n",
			[]string{`config: line 6: unknown key "listn" at top level`}},
		{"unknown nested key", minimal + "revocation:\n  mode: off\n  moed: soft-fail\n",
			[]string{`config: line 8: unknown key "moed" in revocation`}},
		{"unknown domain key", minimal + "  - name: b\n    hierarchy: other\n    anchors: [a]\n    anchor: [b]\n",
			[]string{`config: line 9: unknown key "anchor" in domains[1]`}},
		{"bad duration", minimal + "fetch:\n  timeout: 5\n",
			[]string{`config: line 7: fetch.timeout: "5" is not a duration`}},
		{"bad duration unit", minimal + "limits:\n  request_budget: 10 s\n",
			[]string{`line 7: limits.request_budget: "10 s" is not a duration`}},
		{"date only", minimal + "algorithms:\n  sha1_until: 2030-12-31\n",
			[]string{`config: line 7: algorithms.sha1_until: "2030-12-31" is not an RFC 3339 time`}},
		{"bad date", minimal + "algorithms:\n  sha1_until: 2030-13-31T00:00:00Z\n",
			[]string{`algorithms.sha1_until: "2030-13-31T00:00:00Z" is not an RFC 3339 time`}},
		{"bad int", minimal + "limits:\n  max_chain_depth: deep\n",
			[]string{`config: line 7: limits.max_chain_depth: cannot unmarshal`}},
		{"bad hierarchy", minimal + "  - name: gov\n    hierarchy: gov\n    anchors: [a]\n",
			[]string{`config: line 7: domains[1].hierarchy: "gov" is not one of public, government, other`}},
		{"bad domain name", "domains:\n  - name: Public\n    hierarchy: public\n    anchors: [a]\n",
			[]string{`config: line 2: domains[0].name: "Public" does not match [a-z0-9-]+`}},
		{"duplicate domain", minimal + "  - name: public\n    hierarchy: other\n    anchors: [a]\n",
			[]string{`domains[1].name: "public" is already the name of domains[0]`}},
		{"no domains", "listen: 127.0.0.1:1\n",
			[]string{`config: domains: at least one domain is required`}},
		{"empty file", "", []string{`config: domains: at least one domain is required`}},
		{"no anchors", "domains:\n  - name: x\n    hierarchy: other\n",
			[]string{`config: domains[0].anchors: at least one file or glob is required`}},
		{"bad mode", minimal + "revocation:\n  mode: hard\n",
			[]string{`line 7: revocation.mode: "hard" is not one of hard-fail, soft-fail, off`}},
		{"bad prefer", minimal + "revocation:\n  prefer: ldap\n",
			[]string{`line 7: revocation.prefer: "ldap" is not one of ocsp, crl`}},
		{"negative size", minimal + "limits:\n  max_body_bytes: -1\n",
			[]string{`line 7: limits.max_body_bytes: -1 must be positive`}},
		{"negative crl size", minimal + "fetch:\n  max_crl_bytes: -5\n",
			[]string{`fetch.max_crl_bytes: -5 must be positive`}},
		{"negative redirects", minimal + "fetch:\n  max_redirects: -1\n",
			[]string{`fetch.max_redirects: -1 must not be negative`}},
		{"negative rsa bits", minimal + "    min_rsa_bits: -1\n",
			[]string{`domains[0].min_rsa_bits: -1 must be positive`}},
		{"bad profile", minimal + "    profile: lax\n",
			[]string{`domains[0].profile: "lax" is not one of strict, rfc5280`}},
		{"zero timeout", minimal + "fetch:\n  timeout: 0s\n",
			[]string{`fetch.timeout: 0s must be positive`}},
		{"bad rewrite key", minimal + "revocation:\n  url_rewrites:\n    \"ocsp.ca.ptc\": \"http://ocsp.ca.gov.vn\"\n",
			[]string{`config: line 8: revocation.url_rewrites["ocsp.ca.ptc"]: key "ocsp.ca.ptc" is not an absolute http or https URL`}},
		{"bad rewrite value", minimal + "revocation:\n  url_rewrites: {\"http://a\": \"ftp://b\"}\n",
			[]string{`revocation.url_rewrites["http://a"]: "ftp://b" is not an absolute http or https URL`}},
		{"bad listen", minimal + "listen: localhost\n",
			[]string{`config: line 6: listen: "localhost" is not host:port`}},
		{"bad metrics_listen", minimal + "metrics_listen: \"127.0.0.1:99999\"\n",
			[]string{`metrics_listen: "127.0.0.1:99999" is not host:port`}},
		{"bad policy oid", minimal + "    policies: [any]\n",
			[]string{`line 6: domains[0].policies[0]: "any" is not a dotted OID`}},
		{"bad eku oid", minimal + "    extended_key_usages: [1.3.6.1.5.5.7.3.]\n",
			[]string{`domains[0].extended_key_usages[0]: "1.3.6.1.5.5.7.3." is not a dotted OID`}},
		{"bad glob", minimal + "cross_certificates: [\"trust/[x.pem\"]\n",
			[]string{`cross_certificates[0]: "trust/[x.pem" is not a file name or glob`}},
		{"bad allow_hosts", minimal + "fetch:\n  allow_hosts: [\"http://ocsp.example/\"]\n",
			[]string{`fetch.allow_hosts[0]: "http://ocsp.example/" is not a host name`}},
		{"duplicate key", minimal + "    anchors: [b]\n",
			[]string{`config: line 6: duplicate key "anchors" in domains[0] (first at line 5)`}},
		{"syntax error", "domains: [\n", []string{"config: "}},
		{"several at once", minimal + "revocation:\n  mode: x\n  prefer: y\n",
			[]string{`revocation.mode: "x"`, `revocation.prefer: "y"`}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			cfg, err := Parse([]byte(tt.yaml), "")
			if err == nil {
				t.Fatalf("Parse succeeded: %+v", cfg)
			}
			for _, w := range tt.want {
				if !strings.Contains(err.Error(), w) {
					t.Errorf("error %q\ndoes not contain %q", err, w)
				}
			}
		})
	}
}

func TestValidateWithoutFile(t *testing.T) {
	cfg := Default()
	if err := cfg.Validate(); err == nil || err.Error() != "config: domains: at least one domain is required" {
		t.Errorf("Validate() = %v", err)
	}
	cfg.Domains = append(cfg.Domains, DefaultDomain("public", HierarchyPublic, "/trust/*.pem"))
	if err := cfg.Validate(); err != nil {
		t.Errorf("Validate() = %v", err)
	}
	cfg.Listen = "nope"
	if err := cfg.Validate(); err == nil || err.Error() != `config: listen: "nope" is not host:port` {
		t.Errorf("Validate() after override = %v", err)
	}
}
