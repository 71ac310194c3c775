package kvsnapshot_test

import (
	"context"
	"fmt"
	"testing"

	"github.com/nats-io/nats.go/jetstream"

	"github.com/escalator/escalator/internal/kvsnapshot"
	"github.com/escalator/escalator/internal/testkit/testserver"
)

// BenchmarkLoad loads a bucket of 10,000 case-sized records; compare with
// a Get per key (keys/s of each).
func BenchmarkLoad(b *testing.B) {
	const keys = 10_000
	ctx := context.Background()
	_, js := testserver.Connect(b, testserver.NATS(b))
	kv, err := js.CreateKeyValue(ctx, jetstream.KeyValueConfig{Bucket: "bench"})
	if err != nil {
		b.Fatal(err)
	}
	value := make([]byte, 400)
	for i := range keys {
		if _, err := kv.Put(ctx, fmt.Sprintf("%032x", i), value); err != nil {
			b.Fatal(err)
		}
	}
	b.Run("load", func(b *testing.B) {
		for b.Loop() {
			s, err := kvsnapshot.Load(ctx, kv)
			if err != nil || s.Len() != keys {
				b.Fatalf("load: %v", err)
			}
		}
		b.ReportMetric(float64(keys*b.N)/b.Elapsed().Seconds(), "keys/s")
	})
	b.Run("get-each", func(b *testing.B) {
		for b.Loop() {
			for i := range keys {
				if _, err := kv.Get(ctx, fmt.Sprintf("%032x", i)); err != nil {
					b.Fatal(err)
				}
			}
		}
		b.ReportMetric(float64(keys*b.N)/b.Elapsed().Seconds(), "keys/s")
	})
}
