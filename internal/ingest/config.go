package ingest

import (
	"errors"
	"fmt"
	"log/slog"
	"net/netip"
	"time"

	"github.com/escalator/escalator/internal/event"

	"go.opentelemetry.io/otel/metric"
	"go.opentelemetry.io/otel/trace"
)

// Defaults of Config.
const (
	DefaultMaxBody            = 1 << 20 // 1 MiB
	DefaultMaxEvents          = 500
	DefaultPublishTimeout     = 5 * time.Second
	DefaultRetryAfter         = 5 * time.Second
	DefaultPublishConcurrency = 64
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
	// TrustProxyHeaders takes the client address from the last
	// X-Forwarded-For entry (the one the proxy in front appended), else
	// X-Real-IP, instead of the connection's address. Enable it only behind
	// a proxy that sets these headers, or any client can claim any address.
	// Default false.
	TrustProxyHeaders bool
	// Logger receives one line per refused request. Default: discard.
	Logger *slog.Logger
	// TracerProvider and MeterProvider default to the otel globals.
	TracerProvider trace.TracerProvider
	MeterProvider  metric.MeterProvider
}

func (c *Config) defaults() {
	if c.MaxBody <= 0 {
		c.MaxBody = DefaultMaxBody
	}
	if c.MaxEvents <= 0 {
		c.MaxEvents = DefaultMaxEvents
	}
	if c.PublishTimeout <= 0 {
		c.PublishTimeout = DefaultPublishTimeout
	}
	if c.RetryAfter <= 0 {
		c.RetryAfter = DefaultRetryAfter
	}
	if c.PublishConcurrency <= 0 {
		c.PublishConcurrency = DefaultPublishConcurrency
	}
	if c.Logger == nil {
		c.Logger = slog.New(slog.DiscardHandler)
	}
}

func (c *Config) validate() error {
	var errs []error
	if len(c.Tokens) == 0 {
		errs = append(errs, errors.New("ESCALATOR_INGEST_TOKENS: no ingest token configured; set one or more comma-separated bearer tokens"))
	}
	for i, tok := range c.Tokens {
		if tok == "" {
			errs = append(errs, fmt.Errorf("ESCALATOR_INGEST_TOKENS: token %d is empty; remove the stray comma", i+1))
		}
	}
	if c.MaxEvents > event.MaxBatch {
		errs = append(errs, fmt.Errorf("ingest: max events %d exceeds the CloudEvents batch limit %d", c.MaxEvents, event.MaxBatch))
	}
	for _, p := range c.AllowCIDRs {
		if !p.IsValid() {
			errs = append(errs, fmt.Errorf("ESCALATOR_INGEST_ALLOW_CIDRS: invalid network %v", p))
		}
	}
	return errors.Join(errs...)
}
