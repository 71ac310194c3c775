package ingest

import (
	"context"

	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/metric"

	"github.com/escalator/escalator/internal/event"
	"github.com/escalator/escalator/internal/telemetry"
)

// Event outcomes counted by escalator.ingest.events.
const (
	outcomeAccepted  = "accepted"
	outcomeDuplicate = "duplicate"
	outcomeRefused   = "refused"
)

// attrEventType labels escalator.ingest.events with the event's type, the
// name rolegate's refusal counter uses (semconv cloudevents.event_type).
// Its values are the types Escalator knows (event.Subject), and
// eventTypeOther for any other or unread type: whatever a client posts,
// the label stays a short list.
const (
	attrEventType  = attribute.Key("cloudevents.event_type")
	eventTypeOther = "other"
)

type metrics struct {
	requestCount metric.Int64Counter
	eventCount   metric.Int64Counter
}

func newMetrics(mp metric.MeterProvider) (*metrics, error) {
	mp = telemetry.OrNoopMeter(mp)
	meter := mp.Meter("github.com/escalator/escalator/internal/ingest")
	req, err := meter.Int64Counter("escalator.ingest.requests",
		metric.WithDescription("Ingest requests by HTTP status."), metric.WithUnit("{request}"))
	if err != nil {
		return nil, err
	}
	ev, err := meter.Int64Counter("escalator.ingest.events",
		metric.WithDescription("Events posted to ingest by outcome (accepted, duplicate, refused) and cloudevents.event_type."),
		metric.WithUnit("{event}"))
	if err != nil {
		return nil, err
	}
	return &metrics{requestCount: req, eventCount: ev}, nil
}

func (m *metrics) request(ctx context.Context, status int) {
	m.requestCount.Add(ctx, 1, metric.WithAttributes(attribute.Int("http.response.status_code", status)))
}

// events counts one event of outcome per entry of types, by type label.
func (m *metrics) events(ctx context.Context, outcome string, types []string) {
	counts := map[string]int64{}
	for _, t := range types {
		counts[typeLabel(t)]++
	}
	for t, n := range counts {
		m.eventCount.Add(ctx, n, metric.WithAttributes(attribute.String("outcome", outcome), attrEventType.String(t)))
	}
}

// typeLabel is the cloudevents.event_type of an event of type t.
func typeLabel(t string) string {
	if _, known := event.Subject(t); known {
		return t
	}
	return eventTypeOther
}

// typesOf lists the types of events, in order.
func typesOf(events []event.Event) []string {
	types := make([]string, len(events))
	for i := range events {
		types[i] = events[i].Type
	}
	return types
}
