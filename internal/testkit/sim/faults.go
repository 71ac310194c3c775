package sim

import (
	"encoding/json"
	"fmt"
	"maps"
	"math"
	"time"
)

// Duration is a time.Duration that reads from JSON as a Go duration string
// ("1.5s", "200ms") or a number of seconds, and writes as a string.
type Duration time.Duration

// MarshalJSON writes the duration as a Go duration string.
func (d Duration) MarshalJSON() ([]byte, error) {
	return json.Marshal(time.Duration(d).String())
}

// UnmarshalJSON reads "1.5s" or 1.5 (seconds).
func (d *Duration) UnmarshalJSON(b []byte) error {
	var s string
	if err := json.Unmarshal(b, &s); err == nil {
		v, err := time.ParseDuration(s)
		if err != nil {
			return fmt.Errorf("duration %q: %w", s, err)
		}
		*d = Duration(v)
		return nil
	}
	var f float64
	if err := json.Unmarshal(b, &f); err != nil {
		return fmt.Errorf("duration: want a string like \"1.5s\" or a number of seconds")
	}
	if math.IsNaN(f) || math.IsInf(f, 0) {
		return fmt.Errorf("duration: invalid number")
	}
	*d = Duration(f * float64(time.Second))
	return nil
}

// Entra secret states settable through Faults.EntraSecret.
const (
	SecretRejected = "rejected" // every secret answers AADSTS7000215
	SecretExpired  = "expired"  // the right secret answers AADSTS7000222
)

// Faults is the injected misbehaviour. The zero value injects nothing.
// See the package documentation for its JSON form.
type Faults struct {
	// Latency delays every API answer (not /_sim).
	Latency Duration `json:"latency,omitempty"`
	// Seed, when non-zero, reseeds the random source deciding error rates.
	Seed uint64 `json:"seed,omitempty"`
	// Routes holds per-route faults keyed by "<METHOD> <pattern>" as in
	// State.Calls, or "*" for every API route without its own entry.
	Routes map[string]RouteFault `json:"routes,omitempty"`
	// TokenLifetime, when non-zero, is the lifetime of tokens issued from now
	// on (Entra and ServiceNow).
	TokenLifetime Duration `json:"token_lifetime,omitempty"`
	// EntraSecret: "" (normal), "rejected" or "expired".
	EntraSecret string `json:"entra_secret,omitempty"`
	// GraphForbidden makes the service health routes answer 403 (the app
	// lacks ServiceHealth.Read.All).
	GraphForbidden bool `json:"graph_forbidden,omitempty"`
	// GraphUsersForbidden makes the user routes answer 403
	// Authorization_RequestDenied (the app lacks User.Read.All/Directory.Read.All).
	GraphUsersForbidden bool `json:"graph_users_forbidden,omitempty"`
	// SupportForbidden makes the configured subscription answer 403
	// AuthorizationFailed (no Support Request Contributor role).
	SupportForbidden bool `json:"support_forbidden,omitempty"`
	// SupportAzureOnly serves the support service list without its
	// Microsoft 365 entry, as a subscription whose Azure support lists
	// Azure services only: no Exchange Online, Teams or SharePoint.
	SupportAzureOnly bool `json:"support_azure_only,omitempty"`
	// ServiceNowCrossScope makes the Table API answer 403 with the
	// cross-scope access policy error.
	ServiceNowCrossScope bool `json:"servicenow_cross_scope,omitempty"`
	// ServiceNowOAuthDenied makes /oauth_token.do refuse every client the way
	// a misconfigured OAuth application does (401 access_denied).
	ServiceNowOAuthDenied bool `json:"servicenow_oauth_denied,omitempty"`
}

// RouteFault misbehaves on one route.
type RouteFault struct {
	// Latency delays this route's answers (added to the global latency).
	Latency Duration `json:"latency,omitempty"`
	// ErrorRate is the probability (0..1] that a call gets the injected
	// error. Zero with Status or RetryAfter set means every call.
	ErrorRate float64 `json:"error_rate,omitempty"`
	// Status of the injected error; default 503, or 429 when RetryAfter is set.
	Status int `json:"status,omitempty"`
	// RetryAfter, when set, is sent verbatim as the Retry-After header
	// ("2", "1.5", or an HTTP date).
	RetryAfter string `json:"retry_after,omitempty"`
	// Count, when positive, limits the rule to the next Count calls of the
	// route; the rule is removed after that. Zero: until cleared.
	Count int `json:"count,omitempty"`
}

func (f RouteFault) injects() bool {
	return f.ErrorRate > 0 || f.Status != 0 || f.RetryAfter != ""
}

func (f RouteFault) status() int {
	switch {
	case f.Status != 0:
		return f.Status
	case f.RetryAfter != "":
		return 429
	default:
		return 503
	}
}

func (f Faults) clone() Faults {
	f.Routes = maps.Clone(f.Routes)
	return f
}

func (f Faults) validate() error {
	switch f.EntraSecret {
	case "", SecretRejected, SecretExpired:
	default:
		return fmt.Errorf("entra_secret %q: want \"\", %q or %q", f.EntraSecret, SecretRejected, SecretExpired)
	}
	if f.Latency < 0 || f.TokenLifetime < 0 {
		return fmt.Errorf("latency and token_lifetime must not be negative")
	}
	for k, r := range f.Routes {
		if r.ErrorRate < 0 || r.ErrorRate > 1 {
			return fmt.Errorf("routes[%q].error_rate %v: want 0..1", k, r.ErrorRate)
		}
		if r.Status != 0 && (r.Status < 400 || r.Status > 599) {
			return fmt.Errorf("routes[%q].status %d: want 400..599", k, r.Status)
		}
		if r.Count < 0 || r.Latency < 0 {
			return fmt.Errorf("routes[%q]: count and latency must not be negative", k)
		}
	}
	return nil
}

// injection is what the fault layer decided for one call.
type injection struct {
	delay      time.Duration
	status     int // 0: no injected error
	retryAfter string
}

// decide applies the route rules for one call of route; the caller holds s.mu.
func (s *Server) decideLocked(route string) injection {
	inj := injection{delay: time.Duration(s.faults.Latency)}
	key := route
	rule, ok := s.faults.Routes[key]
	if !ok {
		key = "*"
		rule, ok = s.faults.Routes[key]
	}
	if !ok {
		return inj
	}
	inj.delay += time.Duration(rule.Latency)
	if rule.injects() {
		hit := rule.ErrorRate == 0 || rule.ErrorRate >= 1 || s.rng.Float64() < rule.ErrorRate
		if hit {
			inj.status = rule.status()
			inj.retryAfter = rule.RetryAfter
		}
	}
	if rule.Count > 0 {
		rule.Count--
		if rule.Count == 0 {
			delete(s.faults.Routes, key)
		} else {
			s.faults.Routes[key] = rule
		}
	}
	return inj
}

// SetFaults replaces the injected faults.
func (s *Server) SetFaults(f Faults) error {
	if err := f.validate(); err != nil {
		return err
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	s.setFaultsLocked(f.clone())
	return nil
}

func (s *Server) setFaultsLocked(f Faults) {
	for k, r := range f.Routes {
		if r == (RouteFault{}) {
			delete(f.Routes, k)
		}
	}
	if f.Seed != 0 {
		s.reseedLocked(f.Seed)
	}
	s.faults = f
}

// MergeFaults applies a JSON fault document over the current faults: fields
// present replace, route entries are replaced one by one (null or {} removes
// one). It is what POST /_sim/faults does.
func (s *Server) MergeFaults(doc []byte) (Faults, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	next := s.faults.clone()
	if next.Routes == nil {
		next.Routes = map[string]RouteFault{}
	}
	next.Seed = 0
	if err := json.Unmarshal(doc, &next); err != nil {
		return Faults{}, fmt.Errorf("fault document: %w", err)
	}
	if err := next.validate(); err != nil {
		return Faults{}, err
	}
	s.setFaultsLocked(next)
	return s.faults.clone(), nil
}

// ClearFaults removes every injected fault.
func (s *Server) ClearFaults() {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.faults = Faults{}
}

// CurrentFaults returns the faults in force (route counts as they stand).
func (s *Server) CurrentFaults() Faults {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.faults.clone()
}
