package telemetry

import (
	"context"
	"testing"

	"github.com/nats-io/nats.go"
	"go.opentelemetry.io/otel/trace"
)

func TestHeaderCarrierRoundTrip(t *testing.T) {
	tid, _ := trace.TraceIDFromHex("4bf92f3577b34da6a3ce929d0e0e4736")
	sid, _ := trace.SpanIDFromHex("00f067aa0ba902b7")
	sc := trace.NewSpanContext(trace.SpanContextConfig{TraceID: tid, SpanID: sid, TraceFlags: trace.FlagsSampled, Remote: true})
	ctx := trace.ContextWithSpanContext(context.Background(), sc)

	h := nats.Header{}
	Propagator().Inject(ctx, HeaderCarrier(h))
	if got := h["traceparent"]; len(got) != 1 {
		t.Fatalf("want lower-case traceparent key, got headers %v", h)
	}
	got := trace.SpanContextFromContext(Propagator().Extract(context.Background(), HeaderCarrier(h)))
	if got.TraceID() != tid || got.SpanID() != sid {
		t.Fatalf("extracted %v", got)
	}
}

func TestHeaderCarrierCaseInsensitive(t *testing.T) {
	h := nats.Header{"Traceparent": {"00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01"}}
	c := HeaderCarrier(h)
	if c.Get("traceparent") == "" {
		t.Fatal("canonical-case key not found by lower-case lookup")
	}
	c.Set("TRACEPARENT", "x")
	if len(h) != 1 || h["traceparent"][0] != "x" {
		t.Fatalf("Set left case variants behind: %v", h)
	}
}
