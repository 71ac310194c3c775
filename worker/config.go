package worker

import (
	"fmt"
	"log/slog"
	"time"

	"go.opentelemetry.io/otel/metric"
	"go.opentelemetry.io/otel/trace"

	"github.com/escalator/escalator/internal/telemetry"
)

// Config tunes a Worker. Zero values take the defaults.
type Config struct {
	// Concurrency is the number of handlers in flight; default 32.
	Concurrency int
	// Prefetch is how many messages the worker pulls ahead while its
	// handlers keep up; default 500 (nats.go's own default), never less
	// than Concurrency. When they do not, it pulls Concurrency, one per
	// handler, and takes what the larger buffer held out of it and keeps it
	// alive with InProgress, so no buffered message's AckWait runs out
	// (nats.go issue 1929; see prefetch.go). The consumer's MaxAckPending
	// caps what is buffered in any case.
	Prefetch int
	// MaxDeliver is the delivery on which a message that still fails is
	// dead-lettered; default 6. A message delivered more often than that (a
	// previous attempt crashed) is dead-lettered without running the handler.
	// A consumer with a finite MaxDeliver must allow more deliveries than
	// this (streams.ConsumerMaxDeliver), so this limit always acts first.
	MaxDeliver int
	// AckWait is the consumer's; default: read from the consumer, else 30s.
	AckWait time.Duration
	// ProgressInterval between InProgress calls while a handler runs;
	// default AckWait/3.
	ProgressInterval time.Duration
	// DrainTimeout bounds how long Run lets in-flight handlers finish after
	// its context ends; what is still running then is Nak'ed. Default 20s.
	DrainTimeout time.Duration
	// BackoffInitial is the retry delay after the first delivery fails; it
	// doubles with each delivery up to BackoffMax. Defaults 5s and 5m.
	BackoffInitial, BackoffMax time.Duration
	// SettleTimeout bounds each dead-letter publish (Ack, Nak and Term
	// do not wait for the server); default 5s.
	SettleTimeout time.Duration

	// Reporter, when set, is told each message's outcome before it is
	// settled (see Reporter). Default: none.
	Reporter Reporter

	// Logger defaults to discarding.
	Logger *slog.Logger
	// TracerProvider and MeterProvider default to no-ops.
	TracerProvider trace.TracerProvider
	MeterProvider  metric.MeterProvider
	// ConsumerName labels spans (messaging.consumer.group.name); default:
	// the consumer's name.
	ConsumerName string

	// pullExpiry shortens the pull requests, and with them the heartbeat
	// interval (half of it), in tests; zero keeps nats.go's 30s.
	pullExpiry time.Duration
}

// Defaults.
const (
	DefaultConcurrency    = 32
	DefaultPrefetch       = 500
	DefaultMaxDeliver     = 6
	DefaultAckWait        = 30 * time.Second
	DefaultDrainTimeout   = 20 * time.Second
	DefaultBackoffInitial = 5 * time.Second
	DefaultBackoffMax     = 5 * time.Minute
	DefaultSettleTimeout  = 5 * time.Second
)

func (c Config) withDefaults() Config {
	if c.Concurrency == 0 {
		c.Concurrency = DefaultConcurrency
	}
	if c.Prefetch == 0 {
		c.Prefetch = DefaultPrefetch
	}
	if c.MaxDeliver == 0 {
		c.MaxDeliver = DefaultMaxDeliver
	}
	if c.AckWait == 0 {
		c.AckWait = DefaultAckWait
	}
	if c.ProgressInterval == 0 {
		c.ProgressInterval = c.AckWait / 3
	}
	if c.DrainTimeout == 0 {
		c.DrainTimeout = DefaultDrainTimeout
	}
	if c.BackoffInitial == 0 {
		c.BackoffInitial = DefaultBackoffInitial
	}
	if c.BackoffMax == 0 {
		c.BackoffMax = max(DefaultBackoffMax, c.BackoffInitial)
	}
	if c.SettleTimeout == 0 {
		c.SettleTimeout = DefaultSettleTimeout
	}
	c.Logger = telemetry.OrDiscard(c.Logger)
	return c
}

func (c Config) validate() error {
	switch {
	case c.Concurrency < 1:
		return fmt.Errorf("worker: concurrency %d: want at least 1", c.Concurrency)
	case c.Prefetch < 0:
		return fmt.Errorf("worker: prefetch %d: want 0 (the default, %d) or more", c.Prefetch, DefaultPrefetch)
	case c.MaxDeliver < 1:
		return fmt.Errorf("worker: max deliver %d: want at least 1", c.MaxDeliver)
	case c.AckWait < 0 || c.ProgressInterval < 0 || c.DrainTimeout < 0 || c.SettleTimeout < 0:
		return fmt.Errorf("worker: durations must not be negative")
	case c.ProgressInterval >= c.AckWait:
		return fmt.Errorf("worker: progress interval %s must be shorter than ack wait %s", c.ProgressInterval, c.AckWait)
	case c.BackoffInitial < 0 || c.BackoffMax < c.BackoffInitial:
		return fmt.Errorf("worker: backoff max %s below initial %s", c.BackoffMax, c.BackoffInitial)
	}
	return nil
}
