package streams

import (
	"context"
	"errors"
	"fmt"

	"github.com/nats-io/nats.go/jetstream"
)

// Bucket is one KV bucket Escalator keeps durable state in.
type Bucket struct {
	Name, Description string
	// expires: entries last as long as the events (Config.MaxAge), not
	// for ever.
	expires bool
}

// buckets is the one list of KV buckets: Ensure provisions these, doctor
// and the readiness check look these up.
var buckets = []Bucket{
	{BucketCases, "incident to Microsoft support case", false},
	{BucketAccounts, "the linked Microsoft 365 admin account", false},
	{BucketHealth, "service health issue to incident", false},
	{BucketInsights, "last insights digest per incident", false},
	{BucketReplay, "replay progress", false},
	{BucketOutbox, "ServiceNow outbox row to its stored event and outcome", true},
	{BucketLeases, "leases of the scheduled jobs' runs", false},
}

// Buckets returns every KV bucket, in the order Ensure provisions them.
func Buckets() []Bucket { return append([]Bucket(nil), buckets...) }

// BucketStream is the name of the stream that backs KV bucket name.
func BucketStream(name string) string { return "KV_" + name }

// StreamNames are the streams Ensure provisions: the event stream, the DLQ
// and the stream behind every bucket.
func StreamNames() []string {
	out := []string{StreamName, DLQStreamName}
	for _, b := range buckets {
		out = append(out, BucketStream(b.Name))
	}
	return out
}

// BucketConfig is the configuration every bucket gets.
func BucketConfig(b Bucket, cfg Config) jetstream.KeyValueConfig {
	kv := jetstream.KeyValueConfig{
		Bucket:      b.Name,
		Description: b.Description,
		History:     uint8(cfg.KVHistory),
		Storage:     jetstream.FileStorage,
		Replicas:    cfg.Replicas,
	}
	if b.expires {
		kv.TTL = cfg.MaxAge
	}
	return kv
}

// OpenBucket opens bucket name, creating it with the settings Ensure would
// give it when no Escalator has provisioned JetStream yet. An existing
// bucket is left as it is: only Ensure updates.
func OpenBucket(ctx context.Context, js jetstream.JetStream, name string, cfg Config) (jetstream.KeyValue, error) {
	b, ok := bucketByName(name)
	if !ok {
		return nil, fmt.Errorf("open bucket %s: not one of Escalator's buckets", name)
	}
	kv, err := js.KeyValue(ctx, name)
	if err == nil {
		return kv, nil
	}
	if !errors.Is(err, jetstream.ErrBucketNotFound) {
		return nil, fmt.Errorf("open bucket %s: %w", name, err)
	}
	if cfg.Replicas == 0 {
		if cfg.Replicas, err = ResolveReplicas(ctx, js, 0); err != nil {
			return nil, err
		}
	}
	cfg = cfg.WithDefaults()
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	kv, err = js.CreateKeyValue(ctx, BucketConfig(b, cfg))
	if errors.Is(err, jetstream.ErrBucketExists) {
		// Another process created it meanwhile.
		return js.KeyValue(ctx, name)
	}
	if err != nil {
		return nil, fmt.Errorf("create bucket %s: %w", name, provisionHint(err))
	}
	return kv, nil
}

func bucketByName(name string) (Bucket, bool) {
	for _, b := range buckets {
		if b.Name == name {
			return b, true
		}
	}
	return Bucket{}, false
}
