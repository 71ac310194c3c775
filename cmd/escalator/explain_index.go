package main

import (
	"context"
	"fmt"
	"log/slog"

	"github.com/nats-io/nats.go/jetstream"

	"github.com/escalator/escalator/internal/eventindex"
	"github.com/escalator/escalator/internal/streams"
)

// indexedPublisher is how serve and dev publish: every incident event is
// recorded in the index `escalator explain` reads, whose bucket follows
// the event stream st (its replicas, its max age).
func indexedPublisher(ctx context.Context, js jetstream.JetStream, st jetstream.Stream, pub *streams.Publisher, log *slog.Logger) (*eventindex.Publisher, error) {
	ix, err := eventindex.EnsureFor(ctx, js, st)
	if err != nil {
		return nil, fmt.Errorf("provision the incident index: %w", err)
	}
	return eventindex.NewPublisher(pub, ix, log), nil
}

// oneShotPublisher is how publish and replay publish: through the index
// when a serve or dev has provisioned it, else as they are (they provision
// nothing of their own).
func oneShotPublisher(ctx context.Context, js jetstream.JetStream, pub *streams.Publisher, log *slog.Logger) eventindex.Inner {
	ix, err := eventindex.Open(ctx, js)
	if err != nil {
		log.Debug("publishing without the incident index", "err", err)
		return pub
	}
	return eventindex.NewPublisher(pub, ix, log)
}
