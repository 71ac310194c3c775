package main

import (
	"fmt"
	"time"

	"github.com/spf13/pflag"

	"github.com/escalator/escalator/internal/ingest"
)

// ingestPolicy is what ingest enforces beyond its tokens: the proxies it
// believes, TLS, signed push, the event source, and the listener's limits.
type ingestPolicy struct {
	TrustedProxies []string // ESCALATOR_INGEST_TRUSTED_PROXIES
	TLSCertFile    string   // ESCALATOR_INGEST_TLS_CERT_FILE
	TLSKeyFile     string   // ESCALATOR_INGEST_TLS_KEY_FILE
	SigningSecrets []string // ESCALATOR_INGEST_SIGNING_SECRETS

	ReadTimeout     time.Duration // ESCALATOR_INGEST_READ_TIMEOUT
	WriteTimeout    time.Duration // ESCALATOR_INGEST_WRITE_TIMEOUT
	IdleTimeout     time.Duration // ESCALATOR_INGEST_IDLE_TIMEOUT
	ShutdownTimeout time.Duration // ESCALATOR_INGEST_SHUTDOWN_TIMEOUT
	MaxConns        int           // ESCALATOR_INGEST_MAX_CONNS

	// Source is the CloudEvents source every event must carry. serve sets
	// it to ESCALATOR_SERVICENOW_URL; dev leaves it empty, since its
	// simulator is not the instance the example events name.
	Source string
}

func (c *ingestPolicy) flags(fs *pflag.FlagSet) {
	listVar(fs, &c.TrustedProxies, "ingest-trusted-proxies", "networks of the proxies in front of ingest, whose X-Forwarded-For is believed for the allowlist")
	fs.StringVar(&c.TLSCertFile, "ingest-tls-cert-file", "", "PEM certificate chain: serve ingest over TLS 1.2+ (reloaded when the file changes)")
	fs.StringVar(&c.TLSKeyFile, "ingest-tls-key-file", "", "PEM private key of the ingest certificate")
	listVar(fs, &c.SigningSecrets, "ingest-signing-secrets", "HMAC secrets, comma-separated: every request must carry an Escalator-Signature made with one of them")
	fs.DurationVar(&c.ReadTimeout, "ingest-read-timeout", ingest.DefaultReadTimeout, "longest time to read a request, body included")
	fs.DurationVar(&c.WriteTimeout, "ingest-write-timeout", ingest.DefaultWriteTimeout, "longest time from a request's headers to the end of its answer")
	fs.DurationVar(&c.IdleTimeout, "ingest-idle-timeout", ingest.DefaultIdleTimeout, "close a keep-alive connection idle this long")
	fs.DurationVar(&c.ShutdownTimeout, "ingest-shutdown-timeout", ingest.DefaultShutdownTimeout, "on shutdown, wait this long for requests in flight, then close")
	fs.IntVar(&c.MaxConns, "ingest-max-conns", ingest.DefaultMaxConns, "connections served at once; more wait")
	markSecret(fs, "ingest-signing-secrets")
}

// secrets are the signing secrets (trimmed by the list parser); an empty
// one is refused.
func (c *ingestPolicy) secrets() ([]string, error) {
	if err := checkList("ESCALATOR_INGEST_SIGNING_SECRETS", c.SigningSecrets); err != nil {
		return nil, err
	}
	return c.SigningSecrets, nil
}

func (c *ingestPolicy) validate() error {
	for _, d := range []struct {
		variable string
		value    time.Duration
	}{
		{"ESCALATOR_INGEST_READ_TIMEOUT", c.ReadTimeout}, {"ESCALATOR_INGEST_WRITE_TIMEOUT", c.WriteTimeout},
		{"ESCALATOR_INGEST_IDLE_TIMEOUT", c.IdleTimeout}, {"ESCALATOR_INGEST_SHUTDOWN_TIMEOUT", c.ShutdownTimeout},
	} {
		if d.value < 0 {
			return configError(d.variable, fmt.Sprintf("is %s", d.value), "use a positive duration, e.g. 30s")
		}
	}
	if c.MaxConns < 0 {
		return configError("ESCALATOR_INGEST_MAX_CONNS", fmt.Sprintf("is %d", c.MaxConns), fmt.Sprintf("use a positive number (default %d)", ingest.DefaultMaxConns))
	}
	_, err := c.secrets()
	return err
}

// config is the ingest.Config of this process, without its logger and
// telemetry; the rules themselves are ingest's (ingest.Validate).
func (c *ingestConfig) config() (ingest.Config, error) {
	if err := c.policy.validate(); err != nil {
		return ingest.Config{}, err
	}
	allow, err := c.prefixes()
	if err != nil {
		return ingest.Config{}, err
	}
	if err := checkList(ingest.VarTrustedProxies, c.policy.TrustedProxies); err != nil {
		return ingest.Config{}, err
	}
	proxies, err := ingest.ParseNetworks(ingest.VarTrustedProxies, c.policy.TrustedProxies)
	if err != nil {
		return ingest.Config{}, err
	}
	secrets, _ := c.policy.secrets()
	cfg := ingest.Config{
		Tokens:          c.Tokens,
		AllowCIDRs:      allow,
		TrustedProxies:  proxies,
		SigningSecrets:  secrets,
		ServiceNowURL:   c.policy.Source,
		TLSCertFile:     c.policy.TLSCertFile,
		TLSKeyFile:      c.policy.TLSKeyFile,
		ReadTimeout:     c.policy.ReadTimeout,
		WriteTimeout:    c.policy.WriteTimeout,
		IdleTimeout:     c.policy.IdleTimeout,
		ShutdownTimeout: c.policy.ShutdownTimeout,
		MaxConns:        c.policy.MaxConns,
	}
	if err := ingest.Validate(cfg); err != nil {
		return ingest.Config{}, err
	}
	return cfg, nil
}
