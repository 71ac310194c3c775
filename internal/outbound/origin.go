package outbound

import "net/url"

// SameOrigin reports whether link is on base's origin: the same scheme and
// the same host (port included), compared as parsed. It is the rule that
// keeps a bearer token on the host it was issued for: a link an answer
// names (an @odata.nextLink, an ARM nextLink, an operation URL) is followed
// with the token only when SameOrigin holds. A relative link, or a nil one,
// is not on base's origin: answers name absolute URLs, and resolving one
// here would let a crafted path decide where the token goes.
func SameOrigin(base, link *url.URL) bool {
	if base == nil || link == nil || base.Host == "" {
		return false
	}
	return link.Scheme == base.Scheme && link.Host == base.Host
}
