package ingest

import (
	"errors"
	"fmt"
	"log/slog"
	"net/netip"
	"time"

	"github.com/escalator/escalator/internal/event"
	"github.com/escalator/escalator/internal/redact"

	"go.opentelemetry.io/otel/metric"
	"go.opentelemetry.io/otel/trace"

	"github.com/escalator/escalator/internal/telemetry"
)

// Defaults of Config.
const (
	DefaultMaxBody            = 1 << 20 // 1 MiB
	DefaultMaxEvents          = 500
	DefaultPublishTimeout     = 5 * time.Second
	DefaultRetryAfter         = 5 * time.Second
	DefaultPublishConcurrency = 64

	DefaultReadHeaderTimeout = 10 * time.Second
	DefaultReadTimeout       = 30 * time.Second
	DefaultWriteTimeout      = 60 * time.Second
	DefaultIdleTimeout       = 60 * time.Second
	DefaultShutdownTimeout   = 10 * time.Second
	DefaultMaxHeaderBytes    = 64 << 10 // 64 KiB
	DefaultMaxConns          = 1024
)

// Config configures New. Every zero value means its default.
type Config struct {
	// Tokens are the bearer tokens accepted; several at once let a token be
	// rotated without downtime. At least one is required
	// (ESCALATOR_INGEST_TOKENS).
	Tokens []string
	// AllowCIDRs are the source networks allowed to post events; empty
	// allows every network (ESCALATOR_INGEST_ALLOW_CIDRS).
	AllowCIDRs []netip.Prefix
	// TrustedProxies are the networks of the proxies in front of ingest: a
	// request from one of them is checked against AllowCIDRs with the
	// right-most X-Forwarded-For address that is not a trusted proxy. Empty
	// believes no header (ESCALATOR_INGEST_TRUSTED_PROXIES).
	TrustedProxies []netip.Prefix
	// SigningSecrets, when set, make every request carry an
	// Escalator-Signature made with one of them; several at once let a
	// secret be rotated (ESCALATOR_INGEST_SIGNING_SECRETS).
	SigningSecrets []string
	// ServiceNowURL, when set, is the only CloudEvents source accepted,
	// compared by scheme and host (ESCALATOR_SERVICENOW_URL).
	ServiceNowURL string
	// TLSCertFile and TLSKeyFile, both or neither, make Serve speak TLS 1.2
	// or later; the files are read again when they change, so a renewed
	// certificate is served without a restart
	// (ESCALATOR_INGEST_TLS_CERT_FILE, ESCALATOR_INGEST_TLS_KEY_FILE).
	TLSCertFile, TLSKeyFile string

	// MaxBody bounds the request body in bytes. Default 1 MiB.
	MaxBody int64
	// MaxEvents bounds the events of one batch. Default 500.
	MaxEvents int
	// PublishTimeout bounds the wait for JetStream's acknowledgements of one
	// request. Default 5s.
	PublishTimeout time.Duration
	// RetryAfter is the Retry-After of a 503. Default 5s.
	RetryAfter time.Duration
	// PublishConcurrency bounds the events of one batch published at once.
	// Default 64.
	PublishConcurrency int

	// ReadHeaderTimeout bounds the reading of a request's headers. Default
	// 10s.
	ReadHeaderTimeout time.Duration
	// ReadTimeout bounds the reading of a whole request, body included, so
	// a client that announces a body and sends it slowly or never is cut
	// off. Default 30s (ESCALATOR_INGEST_READ_TIMEOUT).
	ReadTimeout time.Duration
	// WriteTimeout bounds a request from the end of its headers to the end
	// of the answer: reading the body, publishing, answering. It must exceed
	// ReadTimeout + PublishTimeout. Default 60s
	// (ESCALATOR_INGEST_WRITE_TIMEOUT).
	WriteTimeout time.Duration
	// IdleTimeout closes a keep-alive connection that sends no request for
	// this long. Default 60s (ESCALATOR_INGEST_IDLE_TIMEOUT).
	IdleTimeout time.Duration
	// MaxHeaderBytes bounds a request's headers. Default 64 KiB.
	MaxHeaderBytes int
	// MaxConns bounds the connections served at once; more wait in the
	// listen backlog. Default 1024 (ESCALATOR_INGEST_MAX_CONNS).
	MaxConns int
	// ShutdownTimeout is how long Serve waits for requests in flight once
	// its context ends before it closes the connections still open.
	// Default 10s (ESCALATOR_INGEST_SHUTDOWN_TIMEOUT).
	ShutdownTimeout time.Duration

	// Logger receives one line per refused request. Default: discard.
	Logger *slog.Logger
	// TracerProvider and MeterProvider default to no-op ones.
	TracerProvider trace.TracerProvider
	MeterProvider  metric.MeterProvider
}

func (c *Config) defaults() {
	def := func(d *time.Duration, v time.Duration) {
		if *d <= 0 {
			*d = v
		}
	}
	defInt := func(n *int, v int) {
		if *n <= 0 {
			*n = v
		}
	}
	if c.MaxBody <= 0 {
		c.MaxBody = DefaultMaxBody
	}
	defInt(&c.MaxEvents, DefaultMaxEvents)
	def(&c.PublishTimeout, DefaultPublishTimeout)
	def(&c.RetryAfter, DefaultRetryAfter)
	defInt(&c.PublishConcurrency, DefaultPublishConcurrency)
	def(&c.ReadHeaderTimeout, DefaultReadHeaderTimeout)
	def(&c.ReadTimeout, DefaultReadTimeout)
	def(&c.WriteTimeout, DefaultWriteTimeout)
	def(&c.IdleTimeout, DefaultIdleTimeout)
	def(&c.ShutdownTimeout, DefaultShutdownTimeout)
	defInt(&c.MaxHeaderBytes, DefaultMaxHeaderBytes)
	defInt(&c.MaxConns, DefaultMaxConns)
	c.Logger = telemetry.OrDiscard(c.Logger)
}

// validate checks a Config whose defaults are filled in. It returns the
// first problem: one line naming the variable and the fix.
func (c *Config) validate() error {
	if len(c.Tokens) == 0 {
		return errors.New("ESCALATOR_INGEST_TOKENS: no ingest token configured; set one or more comma-separated bearer tokens")
	}
	for i, tok := range c.Tokens {
		if tok == "" {
			return fmt.Errorf("ESCALATOR_INGEST_TOKENS: token %d is empty; remove the stray comma", i+1)
		}
	}
	for i, s := range c.SigningSecrets {
		if s == "" {
			return fmt.Errorf("ESCALATOR_INGEST_SIGNING_SECRETS: secret %d is empty; remove the stray comma", i+1)
		}
	}
	if c.ServiceNowURL != "" {
		if _, ok := normalizeSource(c.ServiceNowURL); !ok {
			return fmt.Errorf("ESCALATOR_SERVICENOW_URL: %q is not an http(s) URL; use the instance URL, e.g. https://contoso.service-now.com", redact.URL(c.ServiceNowURL))
		}
	}
	switch {
	case c.TLSCertFile != "" && c.TLSKeyFile == "":
		return errors.New("ESCALATOR_INGEST_TLS_KEY_FILE: not set but ESCALATOR_INGEST_TLS_CERT_FILE is; set both, or neither for plain HTTP")
	case c.TLSCertFile == "" && c.TLSKeyFile != "":
		return errors.New("ESCALATOR_INGEST_TLS_CERT_FILE: not set but ESCALATOR_INGEST_TLS_KEY_FILE is; set both, or neither for plain HTTP")
	}
	if c.MaxEvents > event.MaxBatch {
		return fmt.Errorf("ingest: max events %d exceeds the CloudEvents batch limit %d", c.MaxEvents, event.MaxBatch)
	}
	if c.WriteTimeout <= c.ReadTimeout+c.PublishTimeout {
		return fmt.Errorf("ESCALATOR_INGEST_WRITE_TIMEOUT: %s leaves no time to answer after the read timeout (%s) and the publish timeout (%s); make it longer than both together",
			c.WriteTimeout, c.ReadTimeout, c.PublishTimeout)
	}
	for _, p := range c.AllowCIDRs {
		if err := checkNetwork(VarAllowCIDRs, p); err != nil {
			return err
		}
	}
	for _, p := range c.TrustedProxies {
		if err := checkNetwork(VarTrustedProxies, p); err != nil {
			return err
		}
	}
	return nil
}

// Validate reports what New would refuse in cfg (the TLS files are read
// only by New), so a command can fail at start before it connects to
// anything.
func Validate(cfg Config) error {
	cfg.defaults()
	return cfg.validate()
}
