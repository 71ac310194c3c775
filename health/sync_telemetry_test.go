package health

import (
	"context"
	"testing"

	sdkmetric "go.opentelemetry.io/otel/sdk/metric"
	"go.opentelemetry.io/otel/sdk/metric/metricdata"
	sdktrace "go.opentelemetry.io/otel/sdk/trace"
	"go.opentelemetry.io/otel/sdk/trace/tracetest"
)

// sums collects the int64 counters of reader, by name, summed over
// attributes.
func sums(t *testing.T, reader *sdkmetric.ManualReader) map[string]int64 {
	t.Helper()
	var rm metricdata.ResourceMetrics
	if err := reader.Collect(context.Background(), &rm); err != nil {
		t.Fatal(err)
	}
	out := map[string]int64{}
	for _, sm := range rm.ScopeMetrics {
		for _, m := range sm.Metrics {
			if s, ok := m.Data.(metricdata.Sum[int64]); ok {
				for _, dp := range s.DataPoints {
					out[m.Name] += dp.Value
				}
			}
		}
	}
	return out
}

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
	got := sums(t, reader)
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
