package sim

import (
	"math"
	"net/http"
	"time"
)

// audiences of issued tokens.
const (
	audGraph      = "https://graph.microsoft.com"
	audARM        = "https://management.azure.com/"
	audServiceNow = "servicenow"
)

type tokenInfo struct {
	audience string
	expires  time.Time
}

// tokenProblem says why a bearer token was refused; "" means accepted.
type tokenProblem string

const (
	tokenOK       tokenProblem = ""
	tokenMissing  tokenProblem = "missing"
	tokenUnknown  tokenProblem = "unknown"
	tokenExpired  tokenProblem = "expired"
	tokenAudience tokenProblem = "audience"
)

// issueToken remembers a new token for aud; life is the configured default
// unless a token_lifetime fault is in force.
func (s *Server) issueToken(aud string, life time.Duration) (string, time.Duration, time.Time) {
	tok := randomToken()
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.faults.TokenLifetime > 0 {
		life = time.Duration(s.faults.TokenLifetime)
	}
	now := s.now()
	exp := now.Add(life)
	s.tokens[tok] = tokenInfo{audience: aud, expires: exp}
	return tok, life, now
}

// checkToken validates the request's bearer token for aud.
func (s *Server) checkToken(r *http.Request, aud string) (tokenProblem, tokenInfo) {
	tok := bearer(r)
	if tok == "" {
		return tokenMissing, tokenInfo{}
	}
	s.mu.Lock()
	info, ok := s.tokens[tok]
	s.mu.Unlock()
	switch {
	case !ok:
		return tokenUnknown, info
	case !s.now().Before(info.expires):
		return tokenExpired, info
	case info.audience != aud:
		return tokenAudience, info
	}
	return tokenOK, info
}

// ExpireTokens makes every token issued so far expired, as if its lifetime
// had passed; clients must fetch new ones.
func (s *Server) ExpireTokens() {
	s.mu.Lock()
	defer s.mu.Unlock()
	past := s.now().Add(-time.Second)
	for k, v := range s.tokens {
		v.expires = past
		s.tokens[k] = v
	}
}

// expiresIn is the expires_in a token endpoint reports for a lifetime: a
// second less than the lifetime (3599 for an hour), never below 1 so that no
// client mistakes it for "no expiry".
func expiresIn(life time.Duration) int64 {
	secs := int64(math.Ceil(life.Seconds()))
	if secs > 60 {
		secs--
	}
	return max(secs, 1)
}
