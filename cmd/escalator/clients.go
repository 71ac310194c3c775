package main

import (
	"errors"
	"fmt"
	"log/slog"
	"net/http"

	"github.com/redis/go-redis/v9"

	"github.com/escalator/escalator/escalation"
	"github.com/escalator/escalator/health"
	"github.com/escalator/escalator/internal/azuresupport"
	"github.com/escalator/escalator/internal/outbound"
	"github.com/escalator/escalator/internal/ratelimit"
	"github.com/escalator/escalator/internal/servicenow"
	"github.com/escalator/escalator/internal/telemetry"
	"github.com/escalator/escalator/internal/token"
)

// Token audiences.
const (
	graphResource = "https://graph.microsoft.com"
	armResource   = "https://management.azure.com/"
)

// remotes are the clients of everything Escalator talks to beyond NATS:
// token sources sharing one cache, and the Graph, Azure Support and
// ServiceNow clients built on them.
type remotes struct {
	rdb        redis.UniversalClient // nil without ESCALATOR_REDIS_URL
	cache      *token.Cache
	graph      *token.Source
	arm        *token.Source
	snowTokens *token.Source // nil with basic auth
	limits     *fleetLimits

	health    *health.Client
	support   *azuresupport.Client
	directory *escalation.Directory
	snow      *servicenow.Client
}

// newRemotes builds the clients; it makes no network call. httpBase tunes
// the outbound policy (zero: its defaults); its name and providers are set
// per client. A failure part way releases what was built (Redis, the
// cache's background work) and returns only the error.
func newRemotes(ms microsoftConfig, snow serviceNowConfig, rc redisConfig, log *slog.Logger, tel *telemetry.Providers, httpBase outbound.Options) (*remotes, error) {
	if err := ms.validate(); err != nil {
		return nil, err
	}
	if err := snow.validate(); err != nil {
		return nil, err
	}
	keyring, err := rc.keyring()
	if err != nil {
		return nil, err
	}
	r := &remotes{}
	if err := r.open(ms, snow, rc.URL, keyring, log, tel, httpBase); err != nil {
		return nil, rollback(err, r.Close())
	}
	return r, nil
}

// open builds the clients into r; Close releases whatever it got to.
func (r *remotes) open(ms microsoftConfig, snow serviceNowConfig, redisURL string, keyring *token.Keyring, log *slog.Logger, tel *telemetry.Providers, httpBase outbound.Options) error {
	var err error
	opts := token.CacheOptions{Logger: log, TracerProvider: tel.TracerProvider, MeterProvider: tel.MeterProvider}
	if redisURL != "" {
		if r.rdb, err = newRedis(redisURL); err != nil {
			return err
		}
		if err := token.InstrumentRedis(r.rdb, tel.TracerProvider, tel.MeterProvider); err != nil {
			return fmt.Errorf("instrument redis: %w", err)
		}
		opts.Keyring, opts.Redis = keyring, r.rdb
	}
	if r.cache, err = token.NewCache(opts); err != nil {
		return fmt.Errorf("token cache: %w", err)
	}
	if r.limits, err = newFleetLimits(r.rdb, snow, log); err != nil {
		return err
	}
	// httpClient is a client of name calling service: the service is the
	// unit of a hold, so every client of one service shares it.
	httpClient := func(name, service string, limiter outbound.Limiter) *http.Client {
		opts := httpBase
		opts.Name, opts.TracerProvider, opts.MeterProvider = name, tel.TracerProvider, tel.MeterProvider
		opts.Service, opts.Holds, opts.Limiter = service, r.limits.holds, limiter
		return outbound.NewClient(opts)
	}
	entra := func(resource string) (*token.Source, error) {
		f, err := token.NewEntra(token.EntraConfig{
			LoginURL: ms.LoginURL, Tenant: ms.Tenant, ClientID: ms.ClientID, ClientSecret: ms.ClientSecret,
			Resource: resource, Version: ms.TokenEndpoint, HTTPClient: httpClient("entra", ratelimit.Entra, nil),
		})
		if err != nil {
			return nil, err
		}
		return r.cache.Source(f, f.Identity()), nil
	}
	if r.graph, err = entra(graphResource); err != nil {
		return err
	}
	if r.arm, err = entra(armResource); err != nil {
		return err
	}
	if r.health, err = health.NewClient(health.ClientConfig{GraphURL: ms.GraphURL, Tokens: r.graph,
		HTTPClient: httpClient("graph", ratelimit.Graph, nil), Limiter: r.limits.graph}); err != nil {
		return err
	}
	if r.directory, err = escalation.NewDirectory(escalation.DirectoryConfig{GraphURL: ms.GraphURL, Tokens: r.graph, HTTPClient: httpClient("graph", ratelimit.Graph, nil)}); err != nil {
		return err
	}
	if r.support, err = azuresupport.New(azuresupport.Config{
		ARMURL: ms.ARMURL, SubscriptionID: ms.SubscriptionID, Tokens: r.arm, HTTPClient: httpClient("arm", ratelimit.ARM, nil),
	}); err != nil {
		return err
	}
	snowCfg := servicenow.Config{BaseURL: snow.URL, Username: snow.User, Password: snow.Password,
		IntegrationUser: snow.IntegrationUser, HTTPClient: httpClient("servicenow", ratelimit.ServiceNow, r.limits.snow)}
	if snow.ClientID != "" {
		f, err := token.NewServiceNow(token.ServiceNowConfig{InstanceURL: snow.URL, ClientID: snow.ClientID, ClientSecret: snow.ClientSecret, HTTPClient: httpClient("servicenow-oauth", ratelimit.ServiceNow, nil)})
		if err != nil {
			return err
		}
		r.snowTokens = r.cache.Source(f, f.Identity())
		snowCfg.Tokens = r.snowTokens
	}
	if r.snow, err = servicenow.New(snowCfg); err != nil {
		return err
	}
	return nil
}

// Close stops the token cache's and the holds' background work and closes
// Redis.
func (r *remotes) Close() error {
	var errs []error
	if r.cache != nil {
		errs = append(errs, r.cache.Close())
	}
	if r.limits != nil {
		errs = append(errs, r.limits.holds.Close())
	}
	if r.rdb != nil {
		errs = append(errs, r.rdb.Close())
	}
	return errors.Join(errs...)
}
