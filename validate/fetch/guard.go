package fetch

import (
	"context"
	"fmt"
	"net"
	"net/netip"
	"net/url"
	"strconv"
	"strings"
	"syscall"
)

// This file is the SSRF boundary. URLs come from certificates that callers
// submit (OCSP AccessLocation and caIssuers in the AIA extension, RFC 5280
// §4.2.2.1; CRL distribution points, RFC 5280 §4.2.1.13), so every URL, every
// redirect target and every address actually dialled is checked here.
//
// Two layers:
//   - checkURL refuses what can be refused from the URL alone: scheme,
//     userinfo, odd host spellings, hosts outside allow_hosts, and literal IPs
//     in refused ranges. It runs on the first URL and on every redirect.
//   - guard.dialContext resolves the name itself, checks every address it got,
//     and dials only those checked IP literals, so a DNS answer cannot change
//     between check and dial (rebinding). net.Dialer.Control checks the
//     address once more at connect(2) time.

// addrRange is one refused address block.
type addrRange struct {
	prefix netip.Prefix
	name   string
	// always means the block is refused even with AllowPrivateNetworks:
	// nothing fetchable is served there (unspecified, multicast, broadcast)
	// or it is the classic SSRF target: link-local and the cloud instance
	// metadata services (169.254.169.254, fd00:ec2::254, 100.100.100.200).
	// No PKI publishes OCSP or CRLs on them.
	always bool
}

// refusedRanges is modelled on the IANA special-purpose address registries
// (RFC 6890 and updates; letsencrypt/boulder iana/ip.go), reduced to what
// matters for an outbound fetch. IPv4-mapped IPv6 addresses are unmapped
// before the lookup, and NAT64 addresses (RFC 6052) are judged by the IPv4
// address they embed, so neither needs its own entry.
var refusedRanges = []addrRange{
	// IPv4.
	{netip.MustParsePrefix("0.0.0.0/8"), "this network (RFC 791), includes unspecified", true},
	{netip.MustParsePrefix("10.0.0.0/8"), "private use (RFC 1918)", false},
	{netip.MustParsePrefix("100.100.100.200/32"), "cloud instance metadata (Alibaba Cloud)", true},
	{netip.MustParsePrefix("100.64.0.0/10"), "shared address space, CGNAT (RFC 6598)", false},
	{netip.MustParsePrefix("127.0.0.0/8"), "loopback (RFC 1122)", false},
	{netip.MustParsePrefix("169.254.0.0/16"), "link-local, cloud metadata (RFC 3927)", true},
	{netip.MustParsePrefix("172.16.0.0/12"), "private use (RFC 1918)", false},
	{netip.MustParsePrefix("192.0.0.0/24"), "IETF protocol assignments (RFC 6890)", false},
	{netip.MustParsePrefix("192.0.2.0/24"), "documentation TEST-NET-1 (RFC 5737)", false},
	{netip.MustParsePrefix("192.88.99.0/24"), "6to4 relay anycast (RFC 7526)", false},
	{netip.MustParsePrefix("192.168.0.0/16"), "private use (RFC 1918)", false},
	{netip.MustParsePrefix("198.18.0.0/15"), "benchmarking (RFC 2544)", false},
	{netip.MustParsePrefix("198.51.100.0/24"), "documentation TEST-NET-2 (RFC 5737)", false},
	{netip.MustParsePrefix("203.0.113.0/24"), "documentation TEST-NET-3 (RFC 5737)", false},
	{netip.MustParsePrefix("224.0.0.0/4"), "multicast (RFC 5771)", true},
	{netip.MustParsePrefix("240.0.0.0/4"), "reserved and limited broadcast (RFC 1112, RFC 919)", true},

	// IPv6.
	{netip.MustParsePrefix("::/128"), "unspecified (RFC 4291)", true},
	{netip.MustParsePrefix("::1/128"), "loopback (RFC 4291)", false},
	{netip.MustParsePrefix("::/8"), "reserved, IPv4-compatible (RFC 4291)", false},
	{netip.MustParsePrefix("64:ff9b:1::/48"), "local-use IPv4/IPv6 translation (RFC 8215)", false},
	{netip.MustParsePrefix("100::/64"), "discard-only (RFC 6666)", false},
	{netip.MustParsePrefix("2001::/23"), "IETF protocol assignments, Teredo (RFC 2928, RFC 4380)", false},
	{netip.MustParsePrefix("2001:db8::/32"), "documentation (RFC 3849)", false},
	{netip.MustParsePrefix("2002::/16"), "6to4, embeds an IPv4 address (RFC 3056)", false},
	{netip.MustParsePrefix("3fff::/20"), "documentation (RFC 9637)", false},
	{netip.MustParsePrefix("5f00::/16"), "SRv6 SIDs (RFC 9602)", false},
	{netip.MustParsePrefix("fd00:ec2::254/128"), "cloud instance metadata (AWS IPv6)", true},
	{netip.MustParsePrefix("fc00::/7"), "unique local (RFC 4193)", false},
	{netip.MustParsePrefix("fe80::/10"), "link-local (RFC 4291)", true},
	{netip.MustParsePrefix("fec0::/10"), "site-local, deprecated (RFC 3879)", false},
	{netip.MustParsePrefix("ff00::/8"), "multicast (RFC 4291)", true},
}

var (
	nat64Prefix  = netip.MustParsePrefix("64:ff9b::/96") // RFC 6052 well-known prefix
	globalUnicst = netip.MustParsePrefix("2000::/3")     // RFC 4291 §2.4
)

// checkAddr returns nil when a may be dialled, or an error wrapping
// ErrBlocked that names the refused block. allowPrivate lifts the refusal of
// every block not marked always.
func checkAddr(a netip.Addr, allowPrivate bool) error {
	if !a.IsValid() {
		return fmt.Errorf("%w: invalid address", ErrBlocked)
	}
	a = a.WithZone("").Unmap()
	if a.Is6() && nat64Prefix.Contains(a) {
		b := a.As16()
		v4 := netip.AddrFrom4([4]byte{b[12], b[13], b[14], b[15]})
		if err := checkAddr(v4, allowPrivate); err != nil {
			return fmt.Errorf("NAT64 address %s embeds %s: %w", a, v4, err)
		}
		return nil
	}
	var private *addrRange
	for i := range refusedRanges {
		r := &refusedRanges[i]
		if !r.prefix.Contains(a) {
			continue
		}
		if r.always {
			return fmt.Errorf("%w: address %s is in %s %s", ErrBlocked, a, r.prefix, r.name)
		}
		if private == nil {
			private = r
		}
	}
	if allowPrivate {
		return nil
	}
	if private != nil {
		return fmt.Errorf("%w: address %s is in %s %s (fetch.allow_private_networks is off)", ErrBlocked, a, private.prefix, private.name)
	}
	if a.Is6() && !globalUnicst.Contains(a) {
		return fmt.Errorf("%w: address %s is not IPv6 global unicast (fetch.allow_private_networks is off)", ErrBlocked, a)
	}
	return nil
}

// resolver is the part of *net.Resolver the guard uses.
type resolver interface {
	LookupIPAddr(ctx context.Context, host string) ([]net.IPAddr, error)
}

// guard dials only addresses that pass check.
type guard struct {
	resolver resolver
	// check decides on one address and port; by default checkAddr.
	// Tests replace it to refuse one loopback server but not another.
	check func(netip.AddrPort) error
	// dial connects to an IP literal "ip:port"; by default a net.Dialer
	// whose Control runs check again. Tests wrap it to count dials.
	dial func(ctx context.Context, network, address string) (net.Conn, error)
}

func newGuard(allowPrivate bool, r resolver, dialer *net.Dialer) *guard {
	g := &guard{resolver: r}
	g.check = func(ap netip.AddrPort) error { return checkAddr(ap.Addr(), allowPrivate) }
	dialer.Control = g.control
	g.dial = dialer.DialContext
	return g
}

// control is net.Dialer.Control: the last check, on the address the socket
// is about to connect to.
func (g *guard) control(_, address string, _ syscall.RawConn) error {
	ap, err := netip.ParseAddrPort(address)
	if err != nil {
		return fmt.Errorf("%w: dialling unparsable address %q", ErrBlocked, address)
	}
	return g.check(ap)
}

// dialContext is http.Transport.DialContext. It resolves host itself,
// refuses the host if any of its addresses is refused (a name that mixes
// public and private answers is not trusted with either), then dials the
// checked IP literals in order.
func (g *guard) dialContext(ctx context.Context, network, address string) (net.Conn, error) {
	host, portStr, err := net.SplitHostPort(address)
	if err != nil {
		return nil, fmt.Errorf("%w: bad dial address %q", ErrBlocked, address)
	}
	port, err := strconv.ParseUint(portStr, 10, 16)
	if err != nil || port == 0 {
		return nil, fmt.Errorf("%w: bad port in %q", ErrBlocked, address)
	}
	var addrs []netip.Addr
	if a, err := netip.ParseAddr(host); err == nil {
		addrs = []netip.Addr{a}
	} else {
		ips, err := g.resolver.LookupIPAddr(ctx, host)
		if err != nil {
			return nil, fmt.Errorf("resolving %s: %w", host, err)
		}
		for _, ip := range ips {
			a, ok := netip.AddrFromSlice(ip.IP)
			if !ok {
				return nil, fmt.Errorf("%w: resolver returned a malformed address for %s", ErrBlocked, host)
			}
			addrs = append(addrs, a.Unmap().WithZone(ip.Zone))
		}
		if len(addrs) == 0 {
			return nil, fmt.Errorf("resolving %s: no addresses", host)
		}
	}
	for _, a := range addrs {
		if err := g.check(netip.AddrPortFrom(a, uint16(port))); err != nil {
			return nil, fmt.Errorf("dialling %s: %w", host, err)
		}
	}
	var firstErr error
	for _, a := range addrs {
		if (network == "tcp4" && !a.Is4()) || (network == "tcp6" && !a.Is6()) {
			continue
		}
		c, err := g.dial(ctx, network, netip.AddrPortFrom(a, uint16(port)).String())
		if err == nil {
			return c, nil
		}
		if firstErr == nil {
			firstErr = err
		}
		if ctx.Err() != nil {
			break
		}
	}
	if firstErr == nil {
		firstErr = fmt.Errorf("dialling %s: no %s address", host, network)
	}
	return nil, firstErr
}

// hostPattern is one normalised fetch.allow_hosts entry.
type hostPattern struct {
	host       string // lower case, no trailing dot
	subdomains bool   // the entry was ".host": host and every name below it
}

// parseAllowHosts validates and normalises fetch.allow_hosts. Entries are
// host names or IP literals, without scheme, port, path or wildcard; a
// leading dot allows the name and all its subdomains.
func parseAllowHosts(entries []string) ([]hostPattern, error) {
	var out []hostPattern
	for _, e := range entries {
		p := hostPattern{host: strings.TrimSuffix(strings.ToLower(strings.TrimSpace(e)), ".")}
		if strings.HasPrefix(p.host, ".") {
			p.subdomains = true
			p.host = p.host[1:]
		}
		if a, err := netip.ParseAddr(p.host); err == nil && !p.subdomains {
			p.host = a.Unmap().String()
		} else if !validHostname(p.host) {
			return nil, fmt.Errorf("fetch: allow_hosts entry %q is not a host name (no scheme, port, path or wildcard)", e)
		}
		out = append(out, p)
	}
	return out, nil
}

// validHostname accepts LDH names (RFC 1123 §2.1) plus underscore, which
// some CA hosts use, and refuses a numeric last label: no TLD starts with a
// digit, while "127.1", "2130706433" or "0x7f000001" are IPv4 spellings that
// some resolvers (getaddrinfo, inet_aton) would turn into loopback.
func validHostname(h string) bool {
	if h == "" || len(h) > 253 {
		return false
	}
	labels := strings.Split(h, ".")
	for _, l := range labels {
		if l == "" || len(l) > 63 || l[0] == '-' || l[len(l)-1] == '-' {
			return false
		}
		for i := 0; i < len(l); i++ {
			c := l[i]
			if !(c >= 'a' && c <= 'z' || c >= '0' && c <= '9' || c == '-' || c == '_') {
				return false
			}
		}
	}
	last := labels[len(labels)-1]
	return !(last[0] >= '0' && last[0] <= '9')
}

// checkURL applies the URL-level policy to u, the first URL or a redirect
// target, and returns the per-host key (host:port) used for concurrency
// limits and backoff.
func (f *HTTPFetcher) checkURL(u *url.URL) (string, error) {
	switch u.Scheme {
	case "http", "https":
	case "":
		return "", fmt.Errorf("%w: URL %q is not absolute", ErrBlocked, u.Redacted())
	default:
		return "", fmt.Errorf("%w: scheme %s not supported", ErrBlocked, u.Scheme)
	}
	if u.User != nil {
		return "", fmt.Errorf("%w: URL with userinfo refused", ErrBlocked)
	}
	if u.Opaque != "" {
		return "", fmt.Errorf("%w: opaque URL refused", ErrBlocked)
	}
	host := strings.TrimSuffix(strings.ToLower(u.Hostname()), ".")
	if host == "" {
		return "", fmt.Errorf("%w: URL has no host", ErrBlocked)
	}
	port := uint64(80)
	if u.Scheme == "https" {
		port = 443
	}
	if p := u.Port(); p != "" {
		n, err := strconv.ParseUint(p, 10, 16)
		if err != nil || n == 0 {
			return "", fmt.Errorf("%w: bad port %q", ErrBlocked, p)
		}
		port = n
	}
	if a, err := netip.ParseAddr(host); err == nil {
		// Literal IPs are refused here, before any connection, and again
		// at dial time.
		if err := f.guard.check(netip.AddrPortFrom(a, uint16(port))); err != nil {
			return "", err
		}
		host = a.WithZone("").Unmap().String()
	} else if !validHostname(host) {
		return "", fmt.Errorf("%w: host %q is not a valid DNS name", ErrBlocked, u.Hostname())
	}
	if len(f.allowHosts) > 0 && !hostAllowed(f.allowHosts, host) {
		return "", fmt.Errorf("%w: host %s is not in fetch.allow_hosts", ErrBlocked, host)
	}
	return net.JoinHostPort(host, strconv.FormatUint(port, 10)), nil
}

// hostAllowed reports whether the normalised host matches an entry: exactly,
// or below it on a label boundary for ".domain" entries.
func hostAllowed(patterns []hostPattern, host string) bool {
	for _, p := range patterns {
		if host == p.host || p.subdomains && strings.HasSuffix(host, "."+p.host) {
			return true
		}
	}
	return false
}
