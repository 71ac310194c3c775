package streams

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/nats-io/nats.go/jetstream"
)

// Config sizes the JetStream resources. Zero values take the defaults.
type Config struct {
	// Replicas of every stream and bucket; default 1 (3 in a cluster).
	Replicas int
	// DuplicateWindow is how long a Nats-Msg-Id is remembered; default 10m.
	// It must be at least the longest tick interval, so a tick published
	// by two replicas for the same interval is stored once.
	DuplicateWindow time.Duration
	// MaxAge of events in StreamName; default 7 days (the replay window).
	MaxAge time.Duration
	// DLQMaxAge of dead letters; default 30 days.
	DLQMaxAge time.Duration
	// Concurrency is the handlers in flight per worker process; default 32.
	// It sizes the consumer's MaxAckPending (see MaxAckPending).
	Concurrency int
	// MaxAckPending is the consumer-wide cap on unacknowledged messages;
	// default 4×Concurrency. It is shared by every worker replica and also
	// counts messages waiting out a NakWithDelay, so it is larger than one
	// process's Concurrency; the client-side prefetch (the worker's
	// PullMaxMessages) is what keeps buffered messages from outliving AckWait.
	MaxAckPending int
	// MaxDeliver is the delivery at which the worker dead-letters a message
	// that still fails; default 6. The consumer itself is left unlimited
	// (MaxDeliver -1): the worker, not the server, ends a message's life, so
	// a dead letter that cannot be published yet is retried rather than
	// dropped by the server.
	MaxDeliver int
	// AckWait before the server redelivers an unacknowledged message;
	// default 30s. Workers send InProgress while a handler runs.
	AckWait time.Duration
	// KVHistory is the number of revisions each KV key keeps; default 5.
	KVHistory int
}

// Defaults.
const (
	DefaultDuplicateWindow = 10 * time.Minute
	DefaultMaxAge          = 7 * 24 * time.Hour
	DefaultDLQMaxAge       = 30 * 24 * time.Hour
	DefaultConcurrency     = 32
	DefaultMaxDeliver      = 6
	DefaultAckWait         = 30 * time.Second
	DefaultKVHistory       = 5
)

// WithDefaults returns cfg with every zero field set to its default.
func (c Config) WithDefaults() Config {
	if c.Replicas == 0 {
		c.Replicas = 1
	}
	if c.DuplicateWindow == 0 {
		c.DuplicateWindow = DefaultDuplicateWindow
	}
	if c.MaxAge == 0 {
		c.MaxAge = DefaultMaxAge
	}
	if c.DLQMaxAge == 0 {
		c.DLQMaxAge = DefaultDLQMaxAge
	}
	if c.Concurrency == 0 {
		c.Concurrency = DefaultConcurrency
	}
	if c.MaxAckPending == 0 {
		c.MaxAckPending = 4 * c.Concurrency
	}
	if c.MaxDeliver == 0 {
		c.MaxDeliver = DefaultMaxDeliver
	}
	if c.AckWait == 0 {
		c.AckWait = DefaultAckWait
	}
	if c.KVHistory == 0 {
		c.KVHistory = DefaultKVHistory
	}
	return c
}

// Validate reports the first setting that cannot work.
func (c Config) Validate() error {
	switch {
	case c.Replicas < 1 || c.Replicas > 5:
		return fmt.Errorf("streams: replicas %d: want 1 to 5", c.Replicas)
	case c.DuplicateWindow < 0 || c.MaxAge < 0 || c.DLQMaxAge < 0 || c.AckWait < 0:
		return errors.New("streams: durations must not be negative")
	case c.DuplicateWindow > c.MaxAge:
		return fmt.Errorf("streams: duplicate window %s exceeds max age %s", c.DuplicateWindow, c.MaxAge)
	case c.DuplicateWindow > c.DLQMaxAge:
		return fmt.Errorf("streams: duplicate window %s exceeds DLQ max age %s", c.DuplicateWindow, c.DLQMaxAge)
	case c.Concurrency < 1:
		return fmt.Errorf("streams: concurrency %d: want at least 1", c.Concurrency)
	case c.MaxAckPending < c.Concurrency:
		return fmt.Errorf("streams: max ack pending %d below concurrency %d", c.MaxAckPending, c.Concurrency)
	case c.MaxDeliver < 1:
		return fmt.Errorf("streams: max deliver %d: want at least 1", c.MaxDeliver)
	case c.KVHistory < 1 || c.KVHistory > jetstream.KeyValueMaxHistory:
		return fmt.Errorf("streams: kv history %d: want 1 to %d", c.KVHistory, jetstream.KeyValueMaxHistory)
	}
	return nil
}

// Resources are the provisioned streams, consumer and buckets.
type Resources struct {
	Stream, DLQ jetstream.Stream
	Consumer    jetstream.Consumer

	Cases, Accounts, Health, Insights, Replay jetstream.KeyValue
}

// StreamConfig is the configuration Ensure gives StreamName.
func StreamConfig(cfg Config) jetstream.StreamConfig {
	return jetstream.StreamConfig{
		Name:        StreamName,
		Description: "Escalator events",
		Subjects:    []string{StreamSubjects},
		// Limits retention, not work-queue: acked events stay for replay.
		Retention:  jetstream.LimitsPolicy,
		Storage:    jetstream.FileStorage,
		Replicas:   cfg.Replicas,
		MaxAge:     cfg.MaxAge,
		Duplicates: cfg.DuplicateWindow,
		Discard:    jetstream.DiscardOld,
	}
}

// DLQConfig is the configuration Ensure gives DLQStreamName.
func DLQConfig(cfg Config) jetstream.StreamConfig {
	return jetstream.StreamConfig{
		Name:        DLQStreamName,
		Description: "Escalator dead letters",
		Subjects:    []string{DLQSubjects},
		Retention:   jetstream.LimitsPolicy,
		Storage:     jetstream.FileStorage,
		Replicas:    cfg.Replicas,
		MaxAge:      cfg.DLQMaxAge,
		Duplicates:  cfg.DuplicateWindow,
		Discard:     jetstream.DiscardOld,
	}
}

// ConsumerConfig is the configuration Ensure gives ConsumerName.
func ConsumerConfig(cfg Config) jetstream.ConsumerConfig {
	return jetstream.ConsumerConfig{
		Durable:       ConsumerName,
		Description:   "Escalator workers",
		DeliverPolicy: jetstream.DeliverAllPolicy,
		AckPolicy:     jetstream.AckExplicitPolicy,
		AckWait:       cfg.AckWait,
		MaxDeliver:    -1,
		MaxAckPending: cfg.MaxAckPending,
		FilterSubject: StreamSubjects,
		Replicas:      cfg.Replicas,
	}
}

// Ensure creates or updates every stream, the consumer and the buckets. It
// is idempotent and never deletes data: run it at every start.
func Ensure(ctx context.Context, js jetstream.JetStream, cfg Config) (*Resources, error) {
	cfg = cfg.WithDefaults()
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	var (
		res Resources
		err error
	)
	if res.Stream, err = js.CreateOrUpdateStream(ctx, StreamConfig(cfg)); err != nil {
		return nil, fmt.Errorf("ensure stream %s: %w", StreamName, err)
	}
	if res.DLQ, err = js.CreateOrUpdateStream(ctx, DLQConfig(cfg)); err != nil {
		return nil, fmt.Errorf("ensure stream %s: %w", DLQStreamName, err)
	}
	if res.Consumer, err = js.CreateOrUpdateConsumer(ctx, StreamName, ConsumerConfig(cfg)); err != nil {
		return nil, fmt.Errorf("ensure consumer %s: %w", ConsumerName, err)
	}
	buckets := []struct {
		name string
		kv   *jetstream.KeyValue
		desc string
	}{
		{BucketCases, &res.Cases, "incident to Microsoft support case"},
		{BucketAccounts, &res.Accounts, "the linked Microsoft 365 admin account"},
		{BucketHealth, &res.Health, "service health issue to incident"},
		{BucketInsights, &res.Insights, "last insights digest per incident"},
		{BucketReplay, &res.Replay, "replay progress"},
	}
	for _, b := range buckets {
		kv, err := js.CreateOrUpdateKeyValue(ctx, jetstream.KeyValueConfig{
			Bucket:      b.name,
			Description: b.desc,
			History:     uint8(cfg.KVHistory),
			Storage:     jetstream.FileStorage,
			Replicas:    cfg.Replicas,
		})
		if err != nil {
			return nil, fmt.Errorf("ensure bucket %s: %w", b.name, err)
		}
		*b.kv = kv
	}
	return &res, nil
}
