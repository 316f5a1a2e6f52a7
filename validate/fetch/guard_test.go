package fetch

import (
	"errors"
	"net"
	"net/netip"
	"strings"
	"testing"
)

func TestBlockedURL(t *testing.T) {
	srv := newServer(t, okHandler("x"))
	tests := []struct {
		name         string
		url          string
		allowPrivate bool
		want         string
	}{
		{"file", "file:///etc/passwd", true, "scheme file not supported"},
		{"ftp", "ftp://ftp.ca.test/ca.crl", true, "scheme ftp not supported"},
		{"gopher", "gopher://ca.test:70/_GET", true, "scheme gopher not supported"},
		{"data", "data:application/pkix-crl;base64,MAA=", true, "scheme data not supported"},
		{"ldap CRL DP", "ldap://ldap.ca.test/CN=CA,O=VN?certificateRevocationList;binary", true, "scheme ldap not supported"},
		{"ldaps", "ldaps://ldap.ca.test/", true, "scheme ldaps not supported"},
		{"relative", "/ca.crl", true, "not absolute"},
		{"scheme-relative", "//ca.test/ca.crl", true, "not absolute"},
		{"opaque", "http:ca.test", true, "opaque"},
		{"userinfo", "http://user:pass@a.test:" + srv.port() + "/", true, "userinfo"},
		{"userinfo literal", "http://user@127.0.0.1:" + srv.port() + "/", true, "userinfo"},
		{"no host", "http:///ca.crl", true, "no host"},
		{"port zero", "http://a.test:0/", true, "bad port"},
		{"decimal IPv4", "http://2130706433:" + srv.port() + "/", true, "not a valid DNS name"},
		{"hex IPv4", "http://0x7f000001:" + srv.port() + "/", true, "not a valid DNS name"},
		{"short IPv4", "http://127.1:" + srv.port() + "/", true, "not a valid DNS name"},
		{"octal IPv4", "http://0177.0.0.1:" + srv.port() + "/", true, "not a valid DNS name"},
		{"non-ASCII host", "http://cá.test/", true, "not a valid DNS name"},
		{"malformed", "http://[::1/", true, "malformed URL"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			fx := newFixture(t, Options{AllowPrivateNetworks: tt.allowPrivate})
			_, err := fx.get(t, SourceCRL, tt.url)
			wantErrIs(t, err, ErrBlocked)
			if !strings.Contains(err.Error(), tt.want) {
				t.Errorf("err = %v, want containing %q", err, tt.want)
			}
			if d := fx.dialed(); len(d) != 0 {
				t.Errorf("dials = %v, want none", d)
			}
			if n := fx.res.lookups.Load(); n != 0 {
				t.Errorf("resolver called %d times, want 0", n)
			}
			if got := fx.count(SourceCRL, outcomeBlocked); got != 1 {
				t.Errorf("blocked count = %v, want 1", got)
			}
		})
	}
	if n := srv.hits.Load(); n != 0 {
		t.Errorf("server hit %d times", n)
	}
}

// TestLiteralAddressRefusedBeforeConnect: a literal IP in a refused range
// is refused before any dial; the live server on 127.0.0.1 is never hit.
func TestLiteralAddressRefusedBeforeConnect(t *testing.T) {
	srv := newServer(t, okHandler("x"))
	p := srv.port()
	tests := []struct {
		name         string
		url          string
		allowPrivate bool
	}{
		{"loopback", "http://127.0.0.1:" + p + "/ca.crl", false},
		{"loopback other", "http://127.0.0.2:" + p + "/", false},
		{"IPv6 loopback", "http://[::1]:" + p + "/", false},
		{"IPv4-mapped loopback", "http://[::ffff:127.0.0.1]:" + p + "/", false},
		{"unspecified", "http://0.0.0.0:" + p + "/", false},
		{"metadata", "http://169.254.169.254/latest/meta-data/", false},
		{"RFC 1918", "http://10.0.0.1/ca.crl", false},
		{"RFC 1918 172.16", "http://172.16.5.4/", false},
		{"CGNAT", "http://100.64.0.1/", false},
		{"NAT64 of metadata", "http://[64:ff9b::a9fe:a9fe]/", false},
		{"link-local v6 with zone", "http://[fe80::1%25eth0]/", false},
		{"ULA", "http://[fd12:3456::1]/", false},
		{"documentation v6", "http://[2001:db8::1]/", false},
		{"broadcast", "http://255.255.255.255/", false},
		// Refused even when private networks are allowed.
		{"metadata, private allowed", "http://169.254.169.254/latest/meta-data/", true},
		{"mapped metadata, private allowed", "http://[::ffff:169.254.169.254]/", true},
		{"AWS v6 metadata, private allowed", "http://[fd00:ec2::254]/", true},
		{"Alibaba metadata, private allowed", "http://100.100.100.200/", true},
		{"unspecified, private allowed", "http://0.0.0.0:" + p + "/", true},
		{"multicast, private allowed", "http://224.0.0.1/", true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			fx := newFixture(t, Options{AllowPrivateNetworks: tt.allowPrivate})
			_, err := fx.get(t, SourceOCSP, tt.url)
			wantErrIs(t, err, ErrBlocked)
			if d := fx.dialed(); len(d) != 0 {
				t.Errorf("dials = %v, want none", d)
			}
		})
	}
	if n := srv.hits.Load(); n != 0 {
		t.Errorf("server hit %d times, want 0", n)
	}
}

// TestResolvedAddressRefused: names are resolved and every address is
// checked at dial time; a refused address is never dialled.
func TestResolvedAddressRefused(t *testing.T) {
	srv := newServer(t, okHandler("x"))
	tests := []struct {
		name         string
		host         string
		allowPrivate bool
	}{
		{"metadata", "metadata.test", false},
		{"internal", "internal.test", false},
		{"loopback", "loop.test:" + srv.port(), false},
		{"one private answer among public", "mixed.test", false},
		{"IPv4-mapped private", "mapped.test", false},
		{"NAT64 of metadata", "nat64.test", false},
		{"ULA", "ula.test", false},
		{"CGNAT", "cgnat.test", false},
		{"metadata, private allowed", "metadata.test", true},
		{"NAT64 of metadata, private allowed", "nat64.test", true},
		{"unspecified, private allowed", "zero.test:" + srv.port(), true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			fx := newFixture(t, Options{AllowPrivateNetworks: tt.allowPrivate})
			_, err := fx.get(t, SourceAIA, "http://"+tt.host+"/ca.cer")
			wantErrIs(t, err, ErrBlocked)
			if fx.res.lookups.Load() == 0 {
				t.Error("resolver not called: the refusal must come from the resolved address")
			}
			if d := fx.dialed(); len(d) != 0 {
				t.Errorf("dials = %v, want none", d)
			}
			if got := fx.count(SourceAIA, outcomeBlocked); got != 1 {
				t.Errorf("blocked count = %v, want 1", got)
			}
			if fx.f.hosts.len() != 0 {
				t.Error("a refused request left host state behind (blocked must not back off)")
			}
		})
	}
	if n := srv.hits.Load(); n != 0 {
		t.Errorf("server hit %d times, want 0", n)
	}
}

func TestDialControlRefuses(t *testing.T) {
	for _, tt := range []struct {
		addr         string
		allowPrivate bool
		blocked      bool
	}{
		{"169.254.169.254:80", true, true},
		{"10.0.0.1:80", false, true},
		{"10.0.0.1:80", true, false},
		{"[::ffff:127.0.0.1]:80", false, true},
		{"8.8.8.8:80", false, false},
		{"not-an-address", true, true},
	} {
		g := newGuard(tt.allowPrivate, net.DefaultResolver, &net.Dialer{})
		err := g.control("tcp", tt.addr, nil)
		if got := errors.Is(err, ErrBlocked); got != tt.blocked {
			t.Errorf("control(%s, allowPrivate=%v) = %v, want blocked %v", tt.addr, tt.allowPrivate, err, tt.blocked)
		}
	}
}

func TestCheckAddr(t *testing.T) {
	// refused: refused with private networks off; always: refused even
	// with them on.
	tests := []struct {
		addr            string
		refused, always bool
	}{
		{"8.8.8.8", false, false},
		{"203.162.4.190", false, false}, // VNPT
		{"172.32.0.1", false, false},
		{"100.128.0.1", false, false},
		{"198.20.0.1", false, false},
		{"192.0.1.255", false, false},
		{"2001:4860:4860::8888", false, false},
		{"2001:ee0:4141::1", false, false}, // VNPT IPv6
		{"::ffff:8.8.8.8", false, false},
		{"64:ff9b::808:808", false, false},

		{"0.0.0.0", true, true},
		{"0.1.2.3", true, true},
		{"10.0.0.1", true, false},
		{"10.255.255.255", true, false},
		{"100.64.0.1", true, false},
		{"100.127.255.255", true, false},
		{"100.100.100.200", true, true},
		{"127.0.0.1", true, false},
		{"127.255.255.254", true, false},
		{"169.254.0.1", true, true},
		{"169.254.169.254", true, true},
		{"172.16.0.1", true, false},
		{"172.31.255.255", true, false},
		{"192.0.0.8", true, false},
		{"192.0.2.1", true, false},
		{"192.88.99.1", true, false},
		{"192.168.1.1", true, false},
		{"198.18.0.1", true, false},
		{"198.19.255.255", true, false},
		{"198.51.100.7", true, false},
		{"203.0.113.9", true, false},
		{"224.0.0.1", true, true},
		{"239.255.255.250", true, true},
		{"240.0.0.1", true, true},
		{"255.255.255.255", true, true},

		{"::", true, true},
		{"::1", true, false},
		{"::127.0.0.1", true, false},
		{"::ffff:127.0.0.1", true, false},
		{"::ffff:10.1.2.3", true, false},
		{"::ffff:169.254.169.254", true, true},
		{"64:ff9b::a00:1", true, false},
		{"64:ff9b::7f00:1", true, false},
		{"64:ff9b::a9fe:a9fe", true, true},
		{"64:ff9b:1::1", true, false},
		{"100::1", true, false},
		{"2001::1", true, false},
		{"2001:db8::1", true, false},
		{"2002:7f00:1::1", true, false},
		{"3fff::1", true, false},
		{"5f00::1", true, false},
		{"fc00::1", true, false},
		{"fd12:3456::1", true, false},
		{"fd00:ec2::254", true, true},
		{"fe80::1", true, true},
		{"fe80::1%eth0", true, true},
		{"fec0::1", true, false},
		{"ff02::1", true, true},
		{"4000::1", true, false},
	}
	for _, tt := range tests {
		t.Run(tt.addr, func(t *testing.T) {
			a := netip.MustParseAddr(tt.addr)
			if err := checkAddr(a, false); (err != nil) != tt.refused || err != nil && !errors.Is(err, ErrBlocked) {
				t.Errorf("private off: %v, want refused=%v", err, tt.refused)
			}
			if err := checkAddr(a, true); (err != nil) != tt.always || err != nil && !errors.Is(err, ErrBlocked) {
				t.Errorf("private on: %v, want refused=%v", err, tt.always)
			}
		})
	}
	if err := checkAddr(netip.Addr{}, true); !errors.Is(err, ErrBlocked) {
		t.Errorf("zero Addr: %v, want ErrBlocked", err)
	}
}

func TestAllowHosts(t *testing.T) {
	srv := newServer(t, okHandler("x"))
	p := srv.port()
	tests := []struct {
		host string
		ok   bool
	}{
		{"a.test", true},
		{"A.TEST", true},
		{"a.test.", true},
		{"ca.test", true},
		{"ocsp.ca.test", true},
		{"x.y.ca.test", true},
		{"evilca.test", false},
		{"b.test", false},
		{"loop.test", false},
		{"127.0.0.1", false},
	}
	for _, tt := range tests {
		t.Run(tt.host, func(t *testing.T) {
			fx := newFixture(t, Options{AllowPrivateNetworks: true, AllowHosts: []string{"a.test", ".ca.test"}})
			before := srv.hits.Load()
			_, err := fx.get(t, SourceCRL, "http://"+tt.host+":"+p+"/ca.crl")
			hit := srv.hits.Load() - before
			if tt.ok {
				if err != nil || hit != 1 {
					t.Fatalf("err = %v, hits = %d; want success", err, hit)
				}
				return
			}
			wantErrIs(t, err, ErrBlocked)
			if !strings.Contains(err.Error(), "allow_hosts") {
				t.Errorf("err = %v, want the allow_hosts reason", err)
			}
			if hit != 0 || len(fx.dialed()) != 0 || fx.res.lookups.Load() != 0 {
				t.Errorf("hits %d, dials %v, lookups %d: want nothing", hit, fx.dialed(), fx.res.lookups.Load())
			}
		})
	}
}

// TestNoProxyFromEnvironment: proxy variables are ignored, since the proxy
// would connect on our behalf, past the address check.
func TestNoProxyFromEnvironment(t *testing.T) {
	proxy := newServer(t, okHandler("from proxy"))
	target := newServer(t, okHandler("direct"))
	t.Setenv("HTTP_PROXY", proxy.URL)
	t.Setenv("http_proxy", proxy.URL)
	fx := newFixture(t, Options{AllowPrivateNetworks: true})
	resp, err := fx.get(t, SourceCRL, "http://a.test:"+target.port()+"/")
	if err != nil {
		t.Fatal(err)
	}
	if string(resp.Body) != "direct" || proxy.hits.Load() != 0 {
		t.Errorf("body %q, proxy hits %d: the request went through the proxy", resp.Body, proxy.hits.Load())
	}
}
