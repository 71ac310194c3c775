package main

import (
	"context"
	"fmt"

	"github.com/escalator/escalator/internal/admin"
	"github.com/escalator/escalator/internal/streams"
)

// registerJetStreamMetrics exports, on /metrics, the consumer's lag, each
// stream's (and bucket's) message count and leader, and this process's
// roles: what the alerts in deploy/prometheus read without a NATS exporter.
func (a *App) registerJetStreamMetrics() error {
	var roles []string
	if a.cfg.runIngest {
		roles = append(roles, "ingest")
	}
	if a.cfg.runWorker {
		roles = append(roles, "worker")
	}
	reg, err := admin.RegisterJetStreamMetrics(a.tel.MeterProvider, a.js, admin.JetStreamMetricsConfig{
		Streams: streams.StreamNames(), Stream: streams.StreamName, Consumer: streams.ConsumerName, Roles: roles,
	})
	if err != nil {
		return fmt.Errorf("jetstream metrics: %w", err)
	}
	a.onClose(func(context.Context) error { return reg.Unregister() })
	return nil
}
