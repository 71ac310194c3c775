package token

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"log/slog"
	"time"
)

// Fetcher asks a token endpoint for a new token. Entra and ServiceNow
// implement it; the Cache decides when to call it.
type Fetcher interface {
	Fetch(ctx context.Context) (Grant, error)
}

// Grant is a token endpoint's answer, with lifetimes relative to the moment
// the request was sent: the Cache stamps them with its own clock.
type Grant struct {
	AccessToken string
	// ExpiresIn is the token's lifetime (expires_in).
	ExpiresIn time.Duration
	// RefreshIn, when the endpoint sends refresh_in, is when to refresh.
	RefreshIn time.Duration
}

// Token is an access token with the absolute times the cache works with.
// Its String, GoString and LogValue methods redact the token, so printing or
// logging a Token never leaks it.
type Token struct {
	AccessToken string
	// Expiry is when the endpoint said the token expires.
	Expiry time.Time
	// RefreshAt is when the cache starts refreshing it in the background.
	RefreshAt time.Time
}

// String redacts the token.
func (t Token) String() string {
	return "token(redacted, expires " + t.Expiry.UTC().Format(time.RFC3339) + ")"
}

// GoString redacts the token from %#v.
func (t Token) GoString() string { return t.String() }

// LogValue redacts the token from slog.
func (t Token) LogValue() slog.Value {
	return slog.GroupValue(slog.Time("expiry", t.Expiry), slog.Time("refresh_at", t.RefreshAt))
}

// Identity names a token: one token source, one cached token and one lock per
// identity. It holds no secret, and its hash is the Redis key.
type Identity struct {
	// Authority is the login URL (https://login.microsoftonline.com) or the
	// ServiceNow instance URL.
	Authority string
	// Tenant is the Entra tenant; empty for ServiceNow.
	Tenant string
	// ClientID is the OAuth client (application) id.
	ClientID string
	// Resource is the resource (v1) or scope base (v2); empty for ServiceNow.
	Resource string
}

// keyPrefix starts every Redis key this package writes.
const keyPrefix = "escalator:token:"

// RedisKey is the Redis key of the identity's token: keyPrefix and the hex
// SHA-256 of the identity's fields, so that no client id or tenant appears in
// Redis either.
func (id Identity) RedisKey() string {
	h := sha256.New()
	for _, f := range []string{id.Authority, id.Tenant, id.ClientID, id.Resource} {
		// Length-prefixed so ("ab","c") and ("a","bc") differ.
		var n [8]byte
		for i, l := 0, uint64(len(f)); i < 8; i++ {
			n[i] = byte(l >> (8 * i))
		}
		h.Write(n[:])
		h.Write([]byte(f))
	}
	return keyPrefix + hex.EncodeToString(h.Sum(nil))
}

// lifetimes turns a grant received at issued into the cached token's times:
// the refresh point is refresh_in when the endpoint gave one, else when less
// than max(5 minutes, 10% of the lifetime) remains; a lifetime too short for
// the 5-minute floor (under 10 minutes) is refreshed in its last fifth. The
// skew, the margin kept before expiry, is at most a tenth of the lifetime,
// so short lifetimes keep a window where the refresh runs in the background.
func lifetimes(g Grant, issued time.Time, skew time.Duration) (tok Token, usableUntil time.Time) {
	life := g.ExpiresIn
	tok = Token{AccessToken: g.AccessToken, Expiry: issued.Add(life)}
	if s := life / 10; skew > s {
		skew = s
	}
	usableUntil = tok.Expiry.Add(-skew)
	margin := max(5*time.Minute, life/10)
	if margin > life/2 {
		margin = life / 5
	}
	tok.RefreshAt = tok.Expiry.Add(-margin)
	if g.RefreshIn > 0 && g.RefreshIn < life {
		tok.RefreshAt = issued.Add(g.RefreshIn)
	}
	if tok.RefreshAt.After(usableUntil) {
		tok.RefreshAt = usableUntil
	}
	return tok, usableUntil
}

// FetcherFunc adapts a function to Fetcher.
type FetcherFunc func(ctx context.Context) (Grant, error)

// Fetch calls f.
func (f FetcherFunc) Fetch(ctx context.Context) (Grant, error) { return f(ctx) }
