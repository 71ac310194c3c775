package doctor

import (
	"fmt"
	"net/http"
	"sync/atomic"
	"time"

	metricnoop "go.opentelemetry.io/otel/metric/noop"
	tracenoop "go.opentelemetry.io/otel/trace/noop"

	"github.com/escalator/escalator/escalation"
	"github.com/escalator/escalator/health"
	"github.com/escalator/escalator/internal/azuresupport"
	"github.com/escalator/escalator/internal/outbound"
	"github.com/escalator/escalator/internal/servicenow"
	"github.com/escalator/escalator/internal/testkit/sim"
	"github.com/escalator/escalator/internal/token"
)

// Token audiences, as the worker uses them.
const (
	graphResource = "https://graph.microsoft.com"
	armResource   = "https://management.azure.com/"
)

// MicrosoftConfig is the Entra app registration and the Microsoft endpoints.
type MicrosoftConfig struct {
	LoginURL      string // default https://login.microsoftonline.com
	TokenEndpoint string // v1 or v2; default v1
	Tenant        string
	ClientID      string
	ClientSecret  string
	GraphURL      string // default https://graph.microsoft.com
	ARMURL        string // default https://management.azure.com
	// Support is nil when the support settings are unusable.
	Support *SupportConfig
}

// SupportConfig is where support tickets are filed.
type SupportConfig struct {
	SubscriptionID, ServiceID, ProblemClassificationID string
}

// ServiceNowConfig is the instance and its credentials: OAuth when ClientID
// is set, else basic authentication.
type ServiceNowConfig struct {
	URL                    string
	ClientID, ClientSecret string
	User, Password         string
	// IntegrationUser is ESCALATOR_SERVICENOW_INTEGRATION_USER.
	IntegrationUser string
	// CaseField is the incident field the write check writes back.
	CaseField string
	// VerifyRoles is ESCALATOR_VERIFY_ROLES; Outbox is
	// ESCALATOR_SERVICENOW_OUTBOX.
	VerifyRoles, Outbox bool
	SkipWrite           bool
}

// Remote builds the Microsoft and ServiceNow parts of a Setup: the same
// clients the worker uses, over an in-process token cache (doctor tests the
// endpoints, not the shared cache, which the Redis check covers) and an
// HTTP policy that tries each request at most twice, so that a check reports
// the present state quickly.
type Remote struct {
	cache   *token.Cache
	timeout time.Duration
	// simulated is set by the first answer that carries the simulator's
	// header (sim.Header).
	simulated atomic.Bool
}

// NewRemote returns a Remote whose requests are bounded by timeout (zero:
// DefaultTimeout). Close it when done.
func NewRemote(timeout time.Duration) (*Remote, error) {
	if timeout <= 0 {
		timeout = DefaultTimeout
	}
	c, err := token.NewCache(token.CacheOptions{
		FetchTimeout:   timeout,
		TracerProvider: tracenoop.NewTracerProvider(),
		MeterProvider:  metricnoop.NewMeterProvider(),
	})
	if err != nil {
		return nil, err
	}
	return &Remote{cache: c, timeout: timeout}, nil
}

// Close stops the token cache.
func (r *Remote) Close() error { return r.cache.Close() }

// HTTPClient is the outbound client doctor's requests go through.
func (r *Remote) HTTPClient(name string) *http.Client {
	return outbound.NewClient(outbound.Options{
		Name: name, Timeout: r.timeout, MaxAttempts: 2, MaxElapsed: r.timeout,
		TracerProvider: tracenoop.NewTracerProvider(), MeterProvider: metricnoop.NewMeterProvider(),
		Transport: simulatorSpotter{base: http.DefaultTransport.(*http.Transport).Clone(), seen: &r.simulated},
	})
}

// Simulated reports whether any answer so far came from Escalator's
// simulator: doctor then says so rather than "production".
func (r *Remote) Simulated() bool { return r.simulated.Load() }

// simulatorSpotter notes answers that carry the simulator's header.
type simulatorSpotter struct {
	base http.RoundTripper
	seen *atomic.Bool
}

func (t simulatorSpotter) RoundTrip(req *http.Request) (*http.Response, error) {
	resp, err := t.base.RoundTrip(req)
	if err == nil && resp.Header.Get(sim.Header) != "" {
		t.seen.Store(true)
	}
	return resp, err
}

// Microsoft fills s.Entra, s.Graph, s.Support (when c.Support is set) and
// s.Account's directory.
func (r *Remote) Microsoft(s *Setup, c MicrosoftConfig) error {
	s.Simulator = r.Simulated
	entra := func(resource string) (*token.Entra, error) {
		return token.NewEntra(token.EntraConfig{
			LoginURL: c.LoginURL, Tenant: c.Tenant, ClientID: c.ClientID, ClientSecret: c.ClientSecret,
			Resource: resource, Version: c.TokenEndpoint, HTTPClient: r.HTTPClient("entra"),
		})
	}
	gf, err := entra(graphResource)
	if err != nil {
		return err
	}
	af, err := entra(armResource)
	if err != nil {
		return err
	}
	// The tenant and credentials checks fetch straight from the endpoint;
	// the API checks take tokens from the cache.
	direct, err := entra(graphResource)
	if err != nil {
		return err
	}
	login := c.LoginURL
	if login == "" {
		login = "https://login.microsoftonline.com"
	}
	graphTokens := r.cache.Source(gf, gf.Identity())
	hc, err := health.NewClient(health.ClientConfig{GraphURL: c.GraphURL, Tokens: graphTokens, HTTPClient: r.HTTPClient("graph")})
	if err != nil {
		return err
	}
	dir, err := escalation.NewDirectory(escalation.DirectoryConfig{GraphURL: c.GraphURL, Tokens: graphTokens, HTTPClient: r.HTTPClient("graph")})
	if err != nil {
		return err
	}
	s.Entra = &Entra{Fetcher: direct, Tenant: c.Tenant, ClientID: c.ClientID, LoginURL: login}
	s.Graph = hc
	s.Account = &Account{Directory: dir, Tenant: c.Tenant}
	if c.Support != nil {
		sc, err := azuresupport.New(azuresupport.Config{
			ARMURL: c.ARMURL, SubscriptionID: c.Support.SubscriptionID,
			Tokens: r.cache.Source(af, af.Identity()), HTTPClient: r.HTTPClient("arm"),
		})
		if err != nil {
			return fmt.Errorf("support client: %w", err)
		}
		s.Support = &Support{Client: sc, SubscriptionID: c.Support.SubscriptionID,
			ServiceID: c.Support.ServiceID, ProblemClassificationID: c.Support.ProblemClassificationID}
	}
	return nil
}

// ServiceNow fills s.ServiceNow and s.Access.
func (r *Remote) ServiceNow(s *Setup, c ServiceNowConfig) error {
	s.Simulator = r.Simulated
	sn := &ServiceNow{User: c.User, CaseField: c.CaseField, SkipWrite: c.SkipWrite,
		Table: &Table{InstanceURL: c.URL, User: c.User, Password: c.Password, HTTPClient: r.HTTPClient("servicenow")}}
	if sn.CaseField == "" {
		sn.CaseField = "correlation_id"
	}
	cfg := servicenow.Config{BaseURL: c.URL, Username: c.User, Password: c.Password, IntegrationUser: c.IntegrationUser,
		HTTPClient: r.HTTPClient("servicenow")}
	if c.ClientID != "" {
		tc := token.ServiceNowConfig{InstanceURL: c.URL, ClientID: c.ClientID, ClientSecret: c.ClientSecret, HTTPClient: r.HTTPClient("servicenow-oauth")}
		direct, err := token.NewServiceNow(tc)
		if err != nil {
			return err
		}
		cached, err := token.NewServiceNow(tc)
		if err != nil {
			return err
		}
		src := r.cache.Source(cached, cached.Identity())
		sn.OAuth, sn.Table.Tokens, cfg.Tokens = direct, src, src
	}
	client, err := servicenow.New(cfg)
	if err != nil {
		return err
	}
	sn.Incidents = client
	s.ServiceNow = sn
	from := "asked of the instance: user_name=javascript:gs.getUserName()"
	switch {
	case c.IntegrationUser != "":
		from = "ESCALATOR_SERVICENOW_INTEGRATION_USER"
	case c.ClientID == "":
		from = "the basic auth user"
	}
	s.Access = &Access{Table: sn.Table, Self: client, SelfFrom: from,
		VerifyRoles: c.VerifyRoles, Outbox: c.Outbox, SkipWrite: c.SkipWrite}
	return nil
}
