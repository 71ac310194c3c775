package token

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"

	"golang.org/x/oauth2"
	"golang.org/x/oauth2/clientcredentials"

	"github.com/escalator/escalator/internal/fault"
	"github.com/escalator/escalator/internal/redact"
)

// defaultLifetime is assumed when an endpoint omits expires_in (RFC 6749
// makes it optional); short, so that a wrong guess costs little.
const defaultLifetime = 5 * time.Minute

// defaultHTTPTimeout bounds a token request when no HTTP client is given.
const defaultHTTPTimeout = 30 * time.Second

// endpoint is a client-credentials token endpoint: x/oauth2 builds the
// request (credentials in the form body) and parses the answer; this type
// reads the lifetimes and classifies the errors.
type endpoint struct {
	conf   clientcredentials.Config
	client *http.Client
}

func newEndpoint(tokenURL, clientID, secret string, scopes []string, params url.Values, client *http.Client) *endpoint {
	if client == nil {
		client = &http.Client{Timeout: defaultHTTPTimeout}
	}
	return &endpoint{
		conf: clientcredentials.Config{
			ClientID:       clientID,
			ClientSecret:   secret,
			TokenURL:       tokenURL,
			Scopes:         scopes,
			EndpointParams: params,
			AuthStyle:      oauth2.AuthStyleInParams,
		},
		client: client,
	}
}

// Fetch asks the endpoint for a token.
func (e *endpoint) Fetch(ctx context.Context) (Grant, error) {
	// x/oauth2 takes its HTTP client from the context; this is the only
	// place one travels that way.
	ctx = context.WithValue(ctx, oauth2.HTTPClient, e.client)
	tok, err := e.conf.Token(ctx)
	if err != nil {
		return Grant{}, classify(e.conf.TokenURL, e.conf.ClientSecret, err)
	}
	g := Grant{AccessToken: tok.AccessToken}
	// expires_in is read from the raw answer rather than tok.Expiry, which
	// x/oauth2 stamps with the wall clock; Entra v1 sends it as a string.
	var ok bool
	if g.ExpiresIn, ok = seconds(tok.Extra("expires_in")); !ok {
		if !tok.Expiry.IsZero() {
			g.ExpiresIn = time.Until(tok.Expiry)
		}
	}
	if g.ExpiresIn <= 0 {
		g.ExpiresIn = defaultLifetime
	}
	g.RefreshIn, _ = seconds(tok.Extra("refresh_in"))
	if !strings.EqualFold(tok.TokenType, "bearer") && tok.TokenType != "" {
		return Grant{}, fault.AsPermanent(fmt.Errorf("token endpoint %s: token_type %q, want Bearer", redact.URL(e.conf.TokenURL), tok.TokenType))
	}
	return g, nil
}

// seconds reads a JSON number or numeric string (Entra v1) of seconds.
func seconds(v any) (time.Duration, bool) {
	var f float64
	switch v := v.(type) {
	case float64:
		f = v
	case json.Number:
		n, err := v.Float64()
		if err != nil {
			return 0, false
		}
		f = n
	case string:
		n, err := strconv.ParseFloat(strings.TrimSpace(v), 64)
		if err != nil {
			return 0, false
		}
		f = n
	default:
		return 0, false
	}
	if !(f > 0 && f <= 1e9) { // also rejects NaN
		return 0, false
	}
	return time.Duration(f * float64(time.Second)), true
}

// EntraConfig configures a Microsoft Entra ID client-credentials source.
type EntraConfig struct {
	// LoginURL is the authority. Default https://login.microsoftonline.com.
	LoginURL string
	// Tenant is the tenant id or domain, e.g. contoso.onmicrosoft.com. Required.
	Tenant string
	// ClientID and ClientSecret are the app registration's. Required.
	ClientID, ClientSecret string
	// Resource is the API the token is for, e.g. https://graph.microsoft.com.
	// Required. v1 sends it as resource=, v2 as scope=<Resource>/.default.
	Resource string
	// Version is "v1" (/oauth2/token) or "v2" (/oauth2/v2.0/token). Default v1.
	Version string
	// HTTPClient sends the request. Default: a client with a 30s timeout.
	HTTPClient *http.Client
}

// Entra fetches tokens from Microsoft Entra ID.
type Entra struct {
	*endpoint
	id Identity
}

// NewEntra validates cfg and returns a Fetcher for it.
func NewEntra(cfg EntraConfig) (*Entra, error) {
	if cfg.LoginURL == "" {
		cfg.LoginURL = "https://login.microsoftonline.com"
	}
	if cfg.Version == "" {
		cfg.Version = "v1"
	}
	var missing []string
	for _, f := range []struct{ name, v string }{
		{"tenant", cfg.Tenant}, {"client id", cfg.ClientID},
		{"client secret", cfg.ClientSecret}, {"resource", cfg.Resource},
	} {
		if f.v == "" {
			missing = append(missing, f.name)
		}
	}
	if len(missing) > 0 {
		return nil, fmt.Errorf("entra token source: missing %s", strings.Join(missing, ", "))
	}
	login, err := baseURL(cfg.LoginURL)
	if err != nil {
		return nil, fmt.Errorf("entra token source: login URL: %w", err)
	}
	base := login + "/" + url.PathEscape(cfg.Tenant)
	var ep *endpoint
	switch cfg.Version {
	case "v1":
		ep = newEndpoint(base+"/oauth2/token", cfg.ClientID, cfg.ClientSecret, nil,
			url.Values{"resource": {cfg.Resource}}, cfg.HTTPClient)
	case "v2":
		ep = newEndpoint(base+"/oauth2/v2.0/token", cfg.ClientID, cfg.ClientSecret,
			[]string{strings.TrimRight(cfg.Resource, "/") + "/.default"}, nil, cfg.HTTPClient)
	default:
		return nil, fmt.Errorf("entra token source: version %q: want v1 or v2", cfg.Version)
	}
	return &Entra{endpoint: ep, id: Identity{Authority: login, Tenant: cfg.Tenant, ClientID: cfg.ClientID, Resource: cfg.Resource}}, nil
}

// Identity names the tokens this source fetches.
func (e *Entra) Identity() Identity { return e.id }

// ServiceNowConfig configures a ServiceNow client-credentials source.
type ServiceNowConfig struct {
	// InstanceURL is e.g. https://contoso.service-now.com. Required.
	InstanceURL string
	// ClientID and ClientSecret are the OAuth application's. Required.
	ClientID, ClientSecret string
	// HTTPClient sends the request. Default: a client with a 30s timeout.
	HTTPClient *http.Client
}

// ServiceNow fetches tokens from a ServiceNow instance's /oauth_token.do.
type ServiceNow struct {
	*endpoint
	id Identity
}

// NewServiceNow validates cfg and returns a Fetcher for it.
func NewServiceNow(cfg ServiceNowConfig) (*ServiceNow, error) {
	if cfg.InstanceURL == "" || cfg.ClientID == "" || cfg.ClientSecret == "" {
		return nil, errors.New("servicenow token source: instance URL, client id and client secret are required")
	}
	inst, err := baseURL(cfg.InstanceURL)
	if err != nil {
		return nil, fmt.Errorf("servicenow token source: instance URL: %w", err)
	}
	return &ServiceNow{
		endpoint: newEndpoint(inst+"/oauth_token.do", cfg.ClientID, cfg.ClientSecret, nil, nil, cfg.HTTPClient),
		id:       Identity{Authority: inst, ClientID: cfg.ClientID},
	}, nil
}

// Identity names the tokens this source fetches.
func (s *ServiceNow) Identity() Identity { return s.id }

// baseURL checks raw is an absolute http(s) URL and drops a trailing slash.
func baseURL(raw string) (string, error) {
	u, err := url.Parse(raw)
	if err != nil {
		return "", err
	}
	if (u.Scheme != "https" && u.Scheme != "http") || u.Host == "" {
		return "", fmt.Errorf("%q is not an absolute http(s) URL", raw)
	}
	return strings.TrimRight(raw, "/"), nil
}
