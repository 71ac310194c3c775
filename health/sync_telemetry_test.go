package health

import (
	"context"
	"testing"

	"github.com/escalator/escalator/internal/testkit/metrictest"
	sdkmetric "go.opentelemetry.io/otel/sdk/metric"
	sdktrace "go.opentelemetry.io/otel/sdk/trace"
	"go.opentelemetry.io/otel/sdk/trace/tracetest"
)

func TestSyncMetricsAndSpan(t *testing.T) {
	e := newSyncEnv(t)
	reader := sdkmetric.NewManualReader()
	exp := tracetest.NewInMemoryExporter()
	tp := sdktrace.NewTracerProvider(sdktrace.WithSyncer(exp))
	sync := e.newSync(t, func(c *SyncConfig) {
		c.MeterProvider = sdkmetric.NewMeterProvider(sdkmetric.WithReader(reader))
		c.TracerProvider = tp
	})
	ctx, parent := tp.Tracer("test").Start(context.Background(), "process escalator.tick.health")
	if _, err := sync.RunOnce(ctx, nil); err != nil {
		t.Fatal(err)
	}
	parent.End()

	// The seeded simulator has one active incident (two posts) among its
	// issues; the advisories are filtered out.
	got := metrictest.Sums(t, reader)
	want := map[string]int64{
		"escalator.health.issues_seen":       4, // the seeded issues of classification incident, resolved ones included
		"escalator.health.incidents_created": 1,
		"escalator.health.updates_posted":    2,
	}
	for k, v := range want {
		if got[k] != v {
			t.Errorf("%s = %d, want %d (all: %v)", k, got[k], v, got)
		}
	}
	var found bool
	for _, s := range exp.GetSpans() {
		if s.Name == "health sync" {
			found = true
			if s.Parent.SpanID() != parent.SpanContext().SpanID() {
				t.Errorf("health sync span is not a child of the consumer span")
			}
		}
	}
	if !found {
		t.Fatal("no health sync span")
	}
}
