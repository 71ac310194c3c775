package admin

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/nats-io/nats.go/jetstream"
	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/metric"
)

// Metric names of RegisterJetStreamMetrics; Prometheus shows them with "."
// as "_" (escalator_jetstream_consumer_pending, …).
const (
	MetricStreamMessages     = "escalator.jetstream.stream.messages"
	MetricStreamLeader       = "escalator.jetstream.stream.leader"
	MetricConsumerPending    = "escalator.jetstream.consumer.pending"
	MetricConsumerAckPending = "escalator.jetstream.consumer.ack_pending"
	MetricConsumerWaiting    = "escalator.jetstream.consumer.waiting"
	MetricReplica            = "escalator.replica"
)

// JetStreamMetricsConfig names what RegisterJetStreamMetrics reports.
type JetStreamMetricsConfig struct {
	// Streams whose message count and leader are reported (the event
	// stream, the dead letters, the KV buckets' streams).
	Streams []string
	// Stream and Consumer name the durable consumer whose lag is reported.
	Stream, Consumer string
	// Roles this process runs ("ingest", "worker"): one escalator.replica
	// series each, so replicas are counted by role without relabelling.
	Roles []string
	// Timeout bounds the JetStream requests of one scrape. Default 2s.
	Timeout time.Duration
}

// RegisterJetStreamMetrics reports, at each collection, gauges read from
// JetStream: the consumer's lag (pending, ack pending, waiting pull
// requests), each stream's message count and whether it has a leader. They
// come from this process, so alerts need no NATS exporter; every replica
// reports the same values (aggregate with max).
//
// A stream whose info cannot be read (no leader, no quorum, not found,
// NATS unreachable) reports leader 0 and no message count.
func RegisterJetStreamMetrics(mp metric.MeterProvider, js jetstream.JetStream, cfg JetStreamMetricsConfig) (metric.Registration, error) {
	if cfg.Timeout <= 0 {
		cfg.Timeout = 2 * time.Second
	}
	m := mp.Meter("github.com/escalator/escalator/internal/admin")
	gauge := func(name, desc, unit string) (metric.Int64ObservableGauge, error) {
		g, err := m.Int64ObservableGauge(name, metric.WithDescription(desc), metric.WithUnit(unit))
		if err != nil {
			return nil, fmt.Errorf("admin: metric %s: %w", name, err)
		}
		return g, nil
	}
	var errs []error
	must := func(g metric.Int64ObservableGauge, err error) metric.Int64ObservableGauge {
		errs = append(errs, err)
		return g
	}
	msgs := must(gauge(MetricStreamMessages, "Messages stored in the stream (the dead-letter stream's count is the DLQ backlog).", "{message}"))
	leader := must(gauge(MetricStreamLeader, "1 when the stream has a leader (or runs on a single server), 0 when it has none or cannot be read.", ""))
	pending := must(gauge(MetricConsumerPending, "Messages of the stream not yet delivered to the consumer: its lag.", "{message}"))
	ackPending := must(gauge(MetricConsumerAckPending, "Messages delivered to the consumer and not yet acknowledged (in flight or waiting out a retry delay).", "{message}"))
	waiting := must(gauge(MetricConsumerWaiting, "Pull requests waiting on the consumer: 0 means no worker is pulling.", "{request}"))
	replica := must(gauge(MetricReplica, "1 for each role (ingest, worker) this process runs.", ""))
	if err := errors.Join(errs...); err != nil {
		return nil, err
	}
	consumerAttrs := metric.WithAttributes(attribute.String("stream", cfg.Stream), attribute.String("consumer", cfg.Consumer))
	return m.RegisterCallback(func(ctx context.Context, o metric.Observer) error {
		ctx, cancel := context.WithTimeout(ctx, cfg.Timeout)
		defer cancel()
		for _, role := range cfg.Roles {
			o.ObserveInt64(replica, 1, metric.WithAttributes(attribute.String("role", role)))
		}
		for _, name := range cfg.Streams {
			attrs := metric.WithAttributes(attribute.String("stream", name))
			s, err := js.Stream(ctx, name)
			if err != nil {
				o.ObserveInt64(leader, 0, attrs)
				continue
			}
			info := s.CachedInfo()
			o.ObserveInt64(msgs, int64(info.State.Msgs), attrs)
			o.ObserveInt64(leader, hasLeader(info), attrs)
		}
		if cfg.Consumer == "" {
			return nil
		}
		c, err := js.Consumer(ctx, cfg.Stream, cfg.Consumer)
		if err != nil {
			return nil // the stream's leader gauge already tells
		}
		info := c.CachedInfo()
		o.ObserveInt64(pending, int64(info.NumPending), consumerAttrs)
		o.ObserveInt64(ackPending, int64(info.NumAckPending), consumerAttrs)
		o.ObserveInt64(waiting, int64(info.NumWaiting), consumerAttrs)
		return nil
	}, msgs, leader, pending, ackPending, waiting, replica)
}

// hasLeader is 1 unless the stream is clustered and has no leader.
func hasLeader(info *jetstream.StreamInfo) int64 {
	if info.Cluster != nil && info.Cluster.Leader == "" {
		return 0
	}
	return 1
}
