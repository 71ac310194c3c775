// Package metrictest reads back the int64 counters a test recorded through
// an OpenTelemetry SDK reader (sdkmetric.NewManualReader), so every test
// collects and sums data points the same way.
package metrictest

import (
	"context"
	"testing"

	"go.opentelemetry.io/otel/attribute"
	sdkmetric "go.opentelemetry.io/otel/sdk/metric"
	"go.opentelemetry.io/otel/sdk/metric/metricdata"
)

// Sums is every int64 counter reader holds now, by name, summed over
// attributes.
func Sums(t testing.TB, reader sdkmetric.Reader) map[string]int64 {
	t.Helper()
	out := map[string]int64{}
	for _, m := range collect(t, reader) {
		if s, ok := m.Data.(metricdata.Sum[int64]); ok {
			for _, dp := range s.DataPoints {
				out[m.Name] += dp.Value
			}
		}
	}
	return out
}

// Sum is the int64 counter name summed over the data points keep accepts
// (all of them when keep is nil); 0 when nothing was recorded. A metric of
// that name that is not an int64 counter fails the test.
func Sum(t testing.TB, reader sdkmetric.Reader, name string, keep func(attribute.Set) bool) int64 {
	t.Helper()
	var n int64
	for _, dp := range points(t, reader, name) {
		if keep == nil || keep(dp.Attributes) {
			n += dp.Value
		}
	}
	return n
}

// SumsBy is the int64 counter name summed by the value of its attribute key,
// written as OpenTelemetry emits it (an int attribute such as
// http.response.status_code reads "202").
func SumsBy(t testing.TB, reader sdkmetric.Reader, name string, key attribute.Key) map[string]int64 {
	t.Helper()
	out := map[string]int64{}
	for _, dp := range points(t, reader, name) {
		v, _ := dp.Attributes.Value(key)
		out[v.Emit()] += dp.Value
	}
	return out
}

// Is is a keep function of Sum: the attribute key has the value want.
func Is(key attribute.Key, want string) func(attribute.Set) bool {
	return func(s attribute.Set) bool {
		v, _ := s.Value(key)
		return v.AsString() == want
	}
}

func points(t testing.TB, reader sdkmetric.Reader, name string) []metricdata.DataPoint[int64] {
	t.Helper()
	var out []metricdata.DataPoint[int64]
	for _, m := range collect(t, reader) {
		if m.Name != name {
			continue
		}
		s, ok := m.Data.(metricdata.Sum[int64])
		if !ok {
			t.Fatalf("%s is %T, want a Sum[int64]", m.Name, m.Data)
		}
		out = append(out, s.DataPoints...)
	}
	return out
}

func collect(t testing.TB, reader sdkmetric.Reader) []metricdata.Metrics {
	t.Helper()
	var rm metricdata.ResourceMetrics
	if err := reader.Collect(context.Background(), &rm); err != nil {
		t.Fatal(err)
	}
	var out []metricdata.Metrics
	for _, sm := range rm.ScopeMetrics {
		out = append(out, sm.Metrics...)
	}
	return out
}
