package ingest

import (
	"context"

	"go.opentelemetry.io/otel"
	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/metric"
)

// Event outcomes counted by escalator.ingest.events.
const (
	outcomeAccepted  = "accepted"
	outcomeDuplicate = "duplicate"
	outcomeRefused   = "refused"
)

type metrics struct {
	requestCount metric.Int64Counter
	eventCount   metric.Int64Counter
}

func newMetrics(mp metric.MeterProvider) (*metrics, error) {
	if mp == nil {
		mp = otel.GetMeterProvider()
	}
	meter := mp.Meter("github.com/escalator/escalator/internal/ingest")
	req, err := meter.Int64Counter("escalator.ingest.requests",
		metric.WithDescription("Ingest requests by HTTP status."), metric.WithUnit("{request}"))
	if err != nil {
		return nil, err
	}
	ev, err := meter.Int64Counter("escalator.ingest.events",
		metric.WithDescription("Events posted to ingest by outcome: accepted, duplicate, refused."), metric.WithUnit("{event}"))
	if err != nil {
		return nil, err
	}
	return &metrics{requestCount: req, eventCount: ev}, nil
}

func (m *metrics) request(ctx context.Context, status int) {
	m.requestCount.Add(ctx, 1, metric.WithAttributes(attribute.Int("http.response.status_code", status)))
}

func (m *metrics) events(ctx context.Context, outcome string, n int) {
	if n <= 0 {
		return
	}
	m.eventCount.Add(ctx, int64(n), metric.WithAttributes(attribute.String("outcome", outcome)))
}
