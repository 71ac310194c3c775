package metrictest

import (
	"context"
	"maps"
	"testing"

	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/metric"
	sdkmetric "go.opentelemetry.io/otel/sdk/metric"
)

func TestSums(t *testing.T) {
	reader := sdkmetric.NewManualReader()
	m := sdkmetric.NewMeterProvider(sdkmetric.WithReader(reader)).Meter("test")
	c, err := m.Int64Counter("c")
	if err != nil {
		t.Fatal(err)
	}
	h, err := m.Float64Histogram("h")
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	c.Add(ctx, 2, metric.WithAttributes(attribute.String("k", "a")))
	c.Add(ctx, 3, metric.WithAttributes(attribute.String("k", "b")))
	c.Add(ctx, 4, metric.WithAttributes(attribute.String("k", "a")))
	h.Record(ctx, 1)

	if got, want := Sums(t, reader), map[string]int64{"c": 9}; !maps.Equal(got, want) {
		t.Errorf("Sums = %v, want %v", got, want)
	}
	if got := Sum(t, reader, "c", nil); got != 9 {
		t.Errorf("Sum = %d, want 9", got)
	}
	if got := Sum(t, reader, "c", Is("k", "a")); got != 6 {
		t.Errorf("Sum of k=a = %d, want 6", got)
	}
	if got := Sum(t, reader, "none", nil); got != 0 {
		t.Errorf("Sum of an unrecorded counter = %d, want 0", got)
	}
	if got, want := SumsBy(t, reader, "c", "k"), map[string]int64{"a": 6, "b": 3}; !maps.Equal(got, want) {
		t.Errorf("SumsBy = %v, want %v", got, want)
	}
}

func TestSumsByIntAttribute(t *testing.T) {
	reader := sdkmetric.NewManualReader()
	c, err := sdkmetric.NewMeterProvider(sdkmetric.WithReader(reader)).Meter("test").Int64Counter("c")
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	c.Add(ctx, 2, metric.WithAttributes(attribute.Int("code", 202)))
	c.Add(ctx, 1, metric.WithAttributes(attribute.Int("code", 400)))
	if got, want := SumsBy(t, reader, "c", "code"), map[string]int64{"202": 2, "400": 1}; !maps.Equal(got, want) {
		t.Errorf("SumsBy = %v, want %v", got, want)
	}
}
