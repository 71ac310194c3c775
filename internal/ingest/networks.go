package ingest

import (
	"fmt"
	"net"
	"net/http"
	"net/netip"
	"strings"
)

// Variables whose networks ParseNetworks reads; they name the errors.
const (
	VarAllowCIDRs     = "ESCALATOR_INGEST_ALLOW_CIDRS"
	VarTrustedProxies = "ESCALATOR_INGEST_TRUSTED_PROXIES"
)

// ParseNetworks parses the comma-separated entries of variable: CIDRs
// ("10.0.0.0/8") or single addresses ("192.0.2.10"). An entry that is
// empty, not a network, or a network that could never match is an error
// naming the variable and the fix.
func ParseNetworks(variable string, entries []string) ([]netip.Prefix, error) {
	out := make([]netip.Prefix, 0, len(entries))
	for i, e := range entries {
		e = strings.TrimSpace(e)
		if e == "" {
			return nil, fmt.Errorf("%s: entry %d is empty: remove the stray comma", variable, i+1)
		}
		var p netip.Prefix
		if strings.Contains(e, "/") {
			var err error
			if p, err = netip.ParsePrefix(e); err != nil {
				return nil, fmt.Errorf("%s: %q is not a network: use CIDRs such as 10.0.0.0/8,2001:db8::/32 or single addresses", variable, e)
			}
		} else {
			a, err := netip.ParseAddr(e)
			if err != nil {
				return nil, fmt.Errorf("%s: %q is not a network: use CIDRs such as 10.0.0.0/8,2001:db8::/32 or single addresses", variable, e)
			}
			p = netip.PrefixFrom(a, a.BitLen())
		}
		p = p.Masked()
		if err := checkNetwork(variable, p); err != nil {
			return nil, err
		}
		out = append(out, p)
	}
	return out, nil
}

// checkNetwork refuses a network no client address can be in. Addresses
// are compared unmapped (an IPv4 client on a dual-stack listener is
// ::ffff:a.b.c.d on the wire and a.b.c.d here), so an IPv4-mapped IPv6
// network would silently never match.
func checkNetwork(variable string, p netip.Prefix) error {
	if !p.IsValid() {
		return fmt.Errorf("%s: invalid network %v", variable, p)
	}
	if a := p.Addr(); a.Is4In6() {
		return fmt.Errorf("%s: %v is an IPv4-mapped IPv6 network, which never matches (client addresses are compared as IPv4): write it as %v",
			variable, p, netip.PrefixFrom(a.Unmap(), p.Bits()-96))
	}
	return nil
}

// clientAddr is the address the request came from: the connection's peer,
// or, when the peer is one of the trusted proxies, the right-most
// X-Forwarded-For entry that is not a trusted proxy itself (each proxy
// appends the address it saw, so entries left of the first untrusted one
// may be forged by the client). An entry that is not an address makes the
// client unknown.
func clientAddr(r *http.Request, trusted []netip.Prefix) (netip.Addr, bool) {
	peer, ok := parseHostAddr(r.RemoteAddr)
	if !ok || len(trusted) == 0 || !inAny(trusted, peer) {
		return peer, ok
	}
	var hops []string
	for _, v := range r.Header.Values("X-Forwarded-For") {
		hops = append(hops, strings.Split(v, ",")...)
	}
	client := peer
	for i := len(hops) - 1; i >= 0; i-- {
		a, ok := parseHostAddr(strings.TrimSpace(hops[i]))
		if !ok {
			return netip.Addr{}, false
		}
		client = a
		if !inAny(trusted, a) {
			break
		}
	}
	return client, true
}

// parseHostAddr parses "addr", "addr:port" or "[addr]:port", unmapped.
func parseHostAddr(s string) (netip.Addr, bool) {
	if a, err := netip.ParseAddr(s); err == nil {
		return a.Unmap(), true
	}
	host, _, err := net.SplitHostPort(s)
	if err != nil {
		return netip.Addr{}, false
	}
	a, err := netip.ParseAddr(host)
	if err != nil {
		return netip.Addr{}, false
	}
	return a.Unmap(), true
}

func inAny(nets []netip.Prefix, a netip.Addr) bool {
	for _, p := range nets {
		if p.Contains(a) {
			return true
		}
	}
	return false
}

// allowed reports whether addr is inside one of the networks (all when
// there are none).
func allowed(nets []netip.Prefix, addr netip.Addr, known bool) bool {
	if len(nets) == 0 {
		return true
	}
	return known && inAny(nets, addr)
}
