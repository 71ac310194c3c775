package streams

import (
	"errors"
	"fmt"
	"time"

	"github.com/nats-io/nats.go/jetstream"
)

// Config sizes the JetStream resources. Zero values take the defaults.
type Config struct {
	// Replicas of every stream, the consumer and every bucket. Zero means
	// automatic (see ResolveReplicas): 3 when the NATS connection sees a
	// cluster of 3 or more servers, else 1, and never fewer than the event
	// stream already has.
	Replicas int
	// DuplicateWindow is how long a Nats-Msg-Id is remembered; default 10m.
	// It must be at least the longest tick interval, so a tick published
	// by two replicas for the same interval is stored once.
	DuplicateWindow time.Duration
	// MaxAge of events in StreamName; default 7 days (the replay window).
	MaxAge time.Duration
	// MaxBytes of StreamName; default 10 GiB, -1 for no limit. The stream
	// discards new messages when full: a publish is refused (ingest answers
	// 503) rather than old events, perhaps not handled yet, being dropped.
	MaxBytes int64
	// DLQMaxAge of dead letters; default 30 days.
	DLQMaxAge time.Duration
	// DLQMaxBytes of DLQStreamName; default 1 GiB, -1 for no limit. A full
	// DLQ refuses new dead letters: the worker keeps the message in the
	// event stream and retries the dead-lettering.
	DLQMaxBytes int64
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
	// that still fails; default 6. The consumer's own limit is
	// ConsumerMaxDeliver(MaxDeliver), a little higher, so the worker always
	// ends a message's life first (with a dead letter) and the server's
	// limit only stops a message whose dead letter could not be stored for
	// DeliverMargin more deliveries.
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
	DefaultMaxBytes        = 10 << 30 // 10 GiB
	DefaultDLQMaxAge       = 30 * 24 * time.Hour
	DefaultDLQMaxBytes     = 1 << 30 // 1 GiB
	DefaultConcurrency     = 32
	DefaultMaxDeliver      = 6
	DefaultAckWait         = 30 * time.Second
	DefaultKVHistory       = 5
	// MaxReplicas is the most replicas JetStream allows.
	MaxReplicas = 5
)

// DeliverMargin is how many deliveries past the worker's MaxDeliver the
// consumer still allows. They happen only when a dead letter could not be
// stored (or its Term was lost); each waits the worker's longest backoff
// (5 minutes by default), so 20 cover more than an hour of DLQ outage.
const DeliverMargin = 20

// ConsumerMaxDeliver is the consumer's MaxDeliver for a worker that
// dead-letters at delivery workerMax: finite, so a message whose Term the
// server ignored is not redelivered for ever, and above workerMax, so the
// worker's own limit always acts first.
func ConsumerMaxDeliver(workerMax int) int { return workerMax + DeliverMargin }

// WithDefaults returns cfg with every zero field set to its default.
// Replicas 0 becomes 1 here; Ensure resolves it against the server first.
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
	if c.MaxBytes == 0 {
		c.MaxBytes = DefaultMaxBytes
	}
	if c.DLQMaxAge == 0 {
		c.DLQMaxAge = DefaultDLQMaxAge
	}
	if c.DLQMaxBytes == 0 {
		c.DLQMaxBytes = DefaultDLQMaxBytes
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
	case c.Replicas < 1 || c.Replicas > MaxReplicas:
		return fmt.Errorf("streams: replicas %d: want 1 to %d", c.Replicas, MaxReplicas)
	case c.DuplicateWindow < 0 || c.MaxAge < 0 || c.DLQMaxAge < 0 || c.AckWait < 0:
		return errors.New("streams: durations must not be negative")
	case c.MaxBytes < -1 || c.MaxBytes == 0 || c.DLQMaxBytes < -1 || c.DLQMaxBytes == 0:
		return fmt.Errorf("streams: max bytes %d, DLQ max bytes %d: want a positive size or -1 for no limit", c.MaxBytes, c.DLQMaxBytes)
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
