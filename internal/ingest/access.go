package ingest

import (
	"crypto/sha256"
	"crypto/subtle"
	"net"
	"net/http"
	"net/netip"
	"strings"
)

// tokenSet holds the SHA-256 of every accepted token: comparing digests
// makes every comparison the same length, so neither a token's length nor
// which token matched shows in the time an answer takes.
type tokenSet [][sha256.Size]byte

func newTokenSet(tokens []string) tokenSet {
	set := make(tokenSet, len(tokens))
	for i, t := range tokens {
		set[i] = sha256.Sum256([]byte(t))
	}
	return set
}

// match compares the token against every accepted one, with no early exit.
func (s tokenSet) match(token string) bool {
	got := sha256.Sum256([]byte(token))
	ok := 0
	for i := range s {
		ok |= subtle.ConstantTimeCompare(got[:], s[i][:])
	}
	return ok == 1
}

// bearer returns the token of an "Authorization: Bearer <token>" header.
func bearer(r *http.Request) (string, bool) {
	h := r.Header.Get("Authorization")
	scheme, token, found := strings.Cut(h, " ")
	if !found || !strings.EqualFold(scheme, "Bearer") {
		return "", false
	}
	token = strings.TrimSpace(token)
	return token, token != ""
}

// clientAddr is the address the request came from: the connection's peer,
// or with trustProxy the address the proxy in front of us saw.
func clientAddr(r *http.Request, trustProxy bool) (netip.Addr, bool) {
	if trustProxy {
		if xff := r.Header.Values("X-Forwarded-For"); len(xff) > 0 {
			last := xff[len(xff)-1]
			if i := strings.LastIndexByte(last, ','); i >= 0 {
				last = last[i+1:]
			}
			if a, err := netip.ParseAddr(strings.TrimSpace(last)); err == nil {
				return a.Unmap(), true
			}
		}
		if a, err := netip.ParseAddr(strings.TrimSpace(r.Header.Get("X-Real-IP"))); err == nil {
			return a.Unmap(), true
		}
	}
	host, _, err := net.SplitHostPort(r.RemoteAddr)
	if err != nil {
		host = r.RemoteAddr
	}
	a, err := netip.ParseAddr(host)
	if err != nil {
		return netip.Addr{}, false
	}
	return a.Unmap(), true
}

// allowed reports whether addr is inside one of the networks (all when
// there are none).
func allowed(nets []netip.Prefix, addr netip.Addr, known bool) bool {
	if len(nets) == 0 {
		return true
	}
	if !known {
		return false
	}
	for _, p := range nets {
		if p.Contains(addr) {
			return true
		}
	}
	return false
}
