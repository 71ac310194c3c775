package main

import (
	"fmt"
	"log/slog"
	"net/netip"
	"net/url"
	"strings"

	"github.com/spf13/pflag"

	"github.com/escalator/escalator/internal/ingest"
	"github.com/escalator/escalator/internal/ratelimit"
	"github.com/escalator/escalator/internal/redact"
)

// Default role names, comma lists of which any one suffices: the update
// set's roles and those of Microsoft's "Microsoft 365 support integration"
// app, so existing ServiceNow role assignments keep working.
const (
	defaultRoleInsights = "escalator_insights_user,x_mioms_m365_assis.insights_user"
	defaultRoleAdmin    = "escalator_administrator,x_mioms_m365_assis.administrator"
)

// natsConfig reaches JetStream.
type natsConfig struct {
	URL   string // ESCALATOR_NATS_URL, comma-separated; required outside dev
	Creds string // ESCALATOR_NATS_CREDS, a credentials file
}

func (c *natsConfig) flags(fs *pflag.FlagSet) {
	fs.StringVar(&c.URL, "nats-url", "", "NATS server URL(s), comma-separated")
	fs.StringVar(&c.Creds, "nats-creds", "", "NATS credentials file")
}

func (c *natsConfig) validate() error {
	servers := splitList(c.URL)
	if len(servers) == 0 {
		return configError("ESCALATOR_NATS_URL", "is not set", "set it to your NATS server, e.g. nats://127.0.0.1:4222 (or run `escalator dev`, which embeds one)")
	}
	if err := checkList("ESCALATOR_NATS_URL", servers); err != nil {
		return err
	}
	for _, u := range servers {
		if _, err := url.Parse(u); err != nil {
			return configError("ESCALATOR_NATS_URL", fmt.Sprintf("has an invalid URL %q", redact.URL(u)), "use nats://host:port[,nats://host:port]")
		}
	}
	return nil
}

// servers is the server list as nats.Connect takes it: the trimmed entries,
// comma-separated.
func (c *natsConfig) servers() string { return strings.Join(splitList(c.URL), ",") }

// redisConfig is the shared token cache.
type redisConfig struct {
	URL      string // ESCALATOR_REDIS_URL; empty = in-process cache
	TokenKey string // ESCALATOR_TOKEN_KEY, base64 of 32 bytes; required with Redis
}

func (c *redisConfig) flags(fs *pflag.FlagSet) {
	fs.StringVar(&c.URL, "redis-url", "", "Redis for the shared token cache (redis://, rediss://, unix://; ?addr= for a cluster; ?master_name= for Sentinel); empty = in-process cache")
	fs.StringVar(&c.TokenKey, "token-key", "", "base64 of 32 bytes that encrypts cached tokens (required with Redis)")
	markSecret(fs, "token-key")
}

// validate checks that the URL parses and the key decodes; it connects to
// nothing.
func (c *redisConfig) validate() error {
	if c.URL != "" {
		if _, err := parseRedisURL(c.URL); err != nil {
			return err
		}
	}
	_, err := c.key()
	return err
}

// microsoftConfig reaches Entra, Graph and Azure Resource Manager.
type microsoftConfig struct {
	Tenant                string
	ClientID              string
	ClientSecret          string
	LoginURL              string
	TokenEndpoint         string
	GraphURL              string
	ARMURL                string
	SubscriptionID        string
	SupportServiceID      string
	ProblemClassification string
}

func (c *microsoftConfig) flags(fs *pflag.FlagSet) {
	fs.StringVar(&c.Tenant, "tenant", "", "Microsoft 365 tenant domain, e.g. contoso.onmicrosoft.com")
	fs.StringVar(&c.ClientID, "client-id", "", "Entra app registration client id")
	fs.StringVar(&c.ClientSecret, "client-secret", "", "Entra app registration client secret (prefer ESCALATOR_CLIENT_SECRET_FILE)")
	fs.StringVar(&c.LoginURL, "login-url", "https://login.microsoftonline.com", "token authority")
	fs.StringVar(&c.TokenEndpoint, "token-endpoint", "v1", "v1 (/oauth2/token with resource) or v2 (/oauth2/v2.0/token with scope)")
	fs.StringVar(&c.GraphURL, "graph-url", "https://graph.microsoft.com", "Microsoft Graph")
	fs.StringVar(&c.ARMURL, "arm-url", "https://management.azure.com", "Azure Resource Manager")
	fs.StringVar(&c.SubscriptionID, "azure-subscription-id", "", "subscription the support tickets are filed under")
	fs.StringVar(&c.SupportServiceID, "support-service-id", "", "support ticket serviceId (GET /providers/Microsoft.Support/services)")
	fs.StringVar(&c.ProblemClassification, "support-problem-classification-id", "", "support ticket problemClassificationId")
	markSecret(fs, "client-secret")
}

func (c *microsoftConfig) validate() error {
	if err := requireSet(
		required{settingTenant, c.Tenant}, required{settingClientID, c.ClientID}, required{settingClientSecret, c.ClientSecret},
	); err != nil {
		return err
	}
	if c.TokenEndpoint != "v1" && c.TokenEndpoint != "v2" {
		return configError("ESCALATOR_TOKEN_ENDPOINT", fmt.Sprintf("is %q", c.TokenEndpoint), "use v1 or v2")
	}
	for _, u := range []struct{ variable, value string }{
		{"ESCALATOR_LOGIN_URL", c.LoginURL}, {"ESCALATOR_GRAPH_URL", c.GraphURL}, {"ESCALATOR_ARM_URL", c.ARMURL},
	} {
		if err := validHTTPURL(u.variable, u.value); err != nil {
			return err
		}
	}
	return nil
}

// validateSupport checks what escalation needs to file tickets.
func (c *microsoftConfig) validateSupport() error {
	return requireSet(
		required{settingSubscription, c.SubscriptionID}, required{settingServiceID, c.SupportServiceID},
		required{settingProblemClass, c.ProblemClassification},
	)
}

// serviceNowConfig reaches the ServiceNow instance.
type serviceNowConfig struct {
	URL          string
	ClientID     string
	ClientSecret string
	User         string // basic auth fallback when no OAuth client is set
	Password     string
	// Rate is the instance's budget for Escalator's user ("100/s",
	// "600/min"); empty: unlimited.
	Rate string
	// IntegrationUser is the user_name Escalator acts as on the instance:
	// only its own work notes count for idempotency markers. Default: User
	// with basic auth; with OAuth, asked of the instance.
	IntegrationUser string
}

func (c *serviceNowConfig) flags(fs *pflag.FlagSet) {
	fs.StringVar(&c.URL, "servicenow-url", "", "ServiceNow instance, e.g. https://contoso.service-now.com")
	fs.StringVar(&c.ClientID, "servicenow-client-id", "", "ServiceNow OAuth client id (client credentials at /oauth_token.do)")
	fs.StringVar(&c.ClientSecret, "servicenow-client-secret", "", "ServiceNow OAuth client secret")
	fs.StringVar(&c.User, "servicenow-user", "", "ServiceNow user for basic auth, when no OAuth client is set")
	fs.StringVar(&c.Password, "servicenow-password", "", "ServiceNow password for basic auth")
	fs.StringVar(&c.Rate, "servicenow-rate", "", "ServiceNow requests allowed to Escalator's user, shared by every replica on one Redis: requests/window such as 100/s or 600/min (empty: unlimited)")
	fs.StringVar(&c.IntegrationUser, "servicenow-integration-user", "", "user_name Escalator acts as on the instance (the OAuth Application User); default: the basic auth user, or asked of the instance")
	markSecret(fs, "servicenow-client-secret", "servicenow-password")
}

// budget is the parsed ESCALATOR_SERVICENOW_RATE; ok is false when unset.
func (c *serviceNowConfig) budget() (b ratelimit.Budget, ok bool, err error) {
	if strings.TrimSpace(c.Rate) == "" {
		return ratelimit.Budget{}, false, nil
	}
	if b, err = ratelimit.ParseBudget(c.Rate); err != nil {
		return ratelimit.Budget{}, false, configError("ESCALATOR_SERVICENOW_RATE", fmt.Sprintf("is %q (%v)", c.Rate, err),
			"set requests per window, e.g. 100/s or 600/min, matching the instance's rate limit rule for Escalator's user, or leave it empty")
	}
	return b, true, nil
}

func (c *serviceNowConfig) validate() error {
	if c.URL == "" {
		return settingServiceNow.notSet()
	}
	if err := validHTTPURL("ESCALATOR_SERVICENOW_URL", c.URL); err != nil {
		return err
	}
	switch {
	case c.ClientID != "" && c.ClientSecret == "":
		return configError("ESCALATOR_SERVICENOW_CLIENT_SECRET", "is not set", "set the OAuth client secret of the application registry entry")
	case c.ClientID == "" && (c.User == "" || c.Password == ""):
		return configError("ESCALATOR_SERVICENOW_CLIENT_ID", "is not set", "set the OAuth client id and secret (or ESCALATOR_SERVICENOW_USER and ESCALATOR_SERVICENOW_PASSWORD for basic auth)")
	}
	_, _, err := c.budget()
	return err
}

// ingestConfig is the HTTP ingest listener.
type ingestConfig struct {
	Addr   string
	Tokens []string
	CIDRs  []string
	policy ingestPolicy
}

func (c *ingestConfig) flags(fs *pflag.FlagSet) {
	fs.StringVar(&c.Addr, "ingest-addr", ":8080", "ingest listener")
	listVar(fs, &c.Tokens, "ingest-tokens", "bearer tokens accepted by ingest, comma-separated (several at once for rotation)")
	listVar(fs, &c.CIDRs, "ingest-allow-cidrs", "source networks allowed to post events, comma-separated (default all)")
	markSecret(fs, "ingest-tokens")
	c.policy.flags(fs)
}

func (c *ingestConfig) prefixes() ([]netip.Prefix, error) {
	if err := checkList(ingest.VarAllowCIDRs, c.CIDRs); err != nil {
		return nil, err
	}
	return ingest.ParseNetworks(ingest.VarAllowCIDRs, c.CIDRs)
}

func (c *ingestConfig) validate() error {
	if len(c.Tokens) == 0 {
		return configError("ESCALATOR_INGEST_TOKENS", "is not set", "set one or more bearer tokens (comma-separated) that the ServiceNow business rules send")
	}
	if err := checkList("ESCALATOR_INGEST_TOKENS", c.Tokens); err != nil {
		return err
	}
	for _, t := range c.Tokens {
		if len(t) < 16 {
			return configError("ESCALATOR_INGEST_TOKENS", "has a token shorter than 16 characters", "use long random tokens, e.g. `openssl rand -hex 32`")
		}
	}
	// The event source is ESCALATOR_SERVICENOW_URL (serve): checked here,
	// where the value it quotes is redacted.
	if c.policy.Source != "" {
		if err := validHTTPURL("ESCALATOR_SERVICENOW_URL", c.policy.Source); err != nil {
			return err
		}
	}
	_, err := c.config()
	return err
}

// logConfig chooses slog's level and format.
type logConfig struct {
	Level  string
	Format string
}

func (c *logConfig) flags(fs *pflag.FlagSet) {
	fs.StringVar(&c.Level, "log-level", "info", "debug, info, warn or error")
	fs.StringVar(&c.Format, "log-format", "json", "json or text")
}

func (c *logConfig) level() (slog.Level, error) {
	var l slog.Level
	if err := l.UnmarshalText([]byte(c.Level)); err != nil {
		return 0, configError("ESCALATOR_LOG_LEVEL", fmt.Sprintf("is %q", c.Level), "use debug, info, warn or error")
	}
	return l, nil
}

func (c *logConfig) validate() error {
	if _, err := c.level(); err != nil {
		return err
	}
	if c.Format != "json" && c.Format != "text" {
		return configError("ESCALATOR_LOG_FORMAT", fmt.Sprintf("is %q", c.Format), "use json or text")
	}
	return nil
}

// validHTTPURL refuses what is not an absolute http(s) URL; the value it
// quotes is redacted (a URL may carry a password).
func validHTTPURL(variable, value string) error {
	u, err := url.Parse(value)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		fix := "use a full URL such as https://host"
		if value != "" && !strings.Contains(value, "://") && !strings.Contains(value, "@") {
			fix = "add the scheme: https://" + redact.URL(value)
		}
		return configError(variable, fmt.Sprintf("is %q, not an http(s) URL", redact.URL(value)), fix)
	}
	return nil
}
