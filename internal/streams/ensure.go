package streams

import (
	"context"
	"fmt"

	"github.com/nats-io/nats.go/jetstream"
)

// Resources are the provisioned streams, consumer and buckets.
type Resources struct {
	Stream, DLQ jetstream.Stream
	Consumer    jetstream.Consumer

	Cases, Accounts, Health, Insights, Replay, Outbox, Leases jetstream.KeyValue
}

// bucket is where the handle of bucket name goes.
func (r *Resources) bucket(name string) *jetstream.KeyValue {
	switch name {
	case BucketCases:
		return &r.Cases
	case BucketAccounts:
		return &r.Accounts
	case BucketHealth:
		return &r.Health
	case BucketInsights:
		return &r.Insights
	case BucketReplay:
		return &r.Replay
	case BucketOutbox:
		return &r.Outbox
	case BucketLeases:
		return &r.Leases
	}
	return nil
}

// StreamConfig is the configuration Ensure gives StreamName.
func StreamConfig(cfg Config) jetstream.StreamConfig {
	return jetstream.StreamConfig{
		Name:        StreamName,
		Description: "Escalator events",
		Subjects:    []string{StreamSubjects},
		// Limits retention, not work-queue: acked events stay for replay.
		Retention: jetstream.LimitsPolicy,
		Storage:   jetstream.FileStorage,
		Replicas:  cfg.Replicas,
		MaxAge:    cfg.MaxAge,
		MaxBytes:  cfg.MaxBytes,
		// A full stream refuses new events (ingest answers 503 with
		// Retry-After) instead of dropping the oldest, which may not have
		// been handled yet. MaxAge still removes old events.
		Discard:    jetstream.DiscardNew,
		Duplicates: cfg.DuplicateWindow,
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
		MaxBytes:    cfg.DLQMaxBytes,
		// A full DLQ refuses a dead letter; the worker then leaves the
		// message in the event stream and retries, rather than losing the
		// oldest dead letters.
		Discard:    jetstream.DiscardNew,
		Duplicates: cfg.DuplicateWindow,
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
		MaxDeliver:    ConsumerMaxDeliver(cfg.MaxDeliver),
		MaxAckPending: cfg.MaxAckPending,
		FilterSubject: StreamSubjects,
		// Zero: as many as the stream. The server scales a durable consumer
		// of replicas 0 with its stream, whereas an explicit count could
		// not grow until the stream's new peers are placed.
		Replicas: 0,
	}
}

// Ensure creates or updates every stream, the consumer and the buckets to
// cfg (replicas, limits, consumer settings). It is idempotent and never
// deletes data: run it at every start.
func Ensure(ctx context.Context, js jetstream.JetStream, cfg Config) (*Resources, error) {
	replicas, err := ResolveReplicas(ctx, js, cfg.Replicas)
	if err != nil {
		return nil, err
	}
	cfg.Replicas = replicas
	cfg = cfg.WithDefaults()
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	var res Resources
	if _, err := js.Stream(ctx, StreamName); err == nil {
		// Update the consumer before its stream: one an earlier version
		// made with an explicit replica count follows the stream only
		// once it has replicas 0, and cannot grow while the stream does.
		if _, err := js.CreateOrUpdateConsumer(ctx, StreamName, ConsumerConfig(cfg)); err != nil {
			return nil, fmt.Errorf("ensure consumer %s: %w", ConsumerName, provisionHint(err))
		}
	}
	if res.Stream, err = js.CreateOrUpdateStream(ctx, StreamConfig(cfg)); err != nil {
		return nil, fmt.Errorf("ensure stream %s: %w", StreamName, provisionHint(err))
	}
	if res.DLQ, err = js.CreateOrUpdateStream(ctx, DLQConfig(cfg)); err != nil {
		return nil, fmt.Errorf("ensure stream %s: %w", DLQStreamName, provisionHint(err))
	}
	if res.Consumer, err = js.CreateOrUpdateConsumer(ctx, StreamName, ConsumerConfig(cfg)); err != nil {
		return nil, fmt.Errorf("ensure consumer %s: %w", ConsumerName, provisionHint(err))
	}
	for _, b := range buckets {
		kv, err := js.CreateOrUpdateKeyValue(ctx, BucketConfig(b, cfg))
		if err != nil {
			return nil, fmt.Errorf("ensure bucket %s: %w", b.Name, provisionHint(err))
		}
		*res.bucket(b.Name) = kv
	}
	return &res, nil
}
