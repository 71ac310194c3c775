// Package streamtest sets up Escalator's streams and buckets on a test's
// JetStream server (internal/testkit/testserver), the first step of every
// test environment that talks to real NATS.
package streamtest

import (
	"context"
	"testing"

	"github.com/nats-io/nats.go/jetstream"

	"github.com/escalator/escalator/internal/streams"
)

// Ensure is streams.Ensure of cfg on js, failing the test on an error.
func Ensure(t testing.TB, js jetstream.JetStream, cfg streams.Config) *streams.Resources {
	t.Helper()
	res, err := streams.Ensure(context.Background(), js, cfg)
	if err != nil {
		t.Fatalf("ensure streams: %v", err)
	}
	return res
}
