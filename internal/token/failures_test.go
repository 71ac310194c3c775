package token

import (
	"context"
	"testing"
	"time"

	"go.opentelemetry.io/otel/attribute"
	sdkmetric "go.opentelemetry.io/otel/sdk/metric"
	"go.opentelemetry.io/otel/sdk/metric/metricdata"
)

// failures returns MetricFailures by error.class.
func failures(t *testing.T, reader *sdkmetric.ManualReader) map[string]int64 {
	t.Helper()
	var rm metricdata.ResourceMetrics
	if err := reader.Collect(context.Background(), &rm); err != nil {
		t.Fatal(err)
	}
	out := map[string]int64{}
	for _, sm := range rm.ScopeMetrics {
		for _, m := range sm.Metrics {
			if m.Name != MetricFailures {
				continue
			}
			for _, dp := range m.Data.(metricdata.Sum[int64]).DataPoints {
				class, _ := dp.Attributes.Value(attribute.Key("error.class"))
				if auth, _ := dp.Attributes.Value(attribute.Key("token.authority")); auth.AsString() == "" {
					t.Errorf("a failure without token.authority: %v", dp.Attributes)
				}
				out[class.AsString()] += dp.Value
			}
		}
	}
	return out
}

// TestFailuresCounted: every failed acquisition is counted once by its
// class (not once per waiting caller), a successful one is not.
func TestFailuresCounted(t *testing.T) {
	f := newFakeEndpoint(t)
	clock := newFakeClock()
	reader := sdkmetric.NewManualReader()
	c := newTestCache(t, CacheOptions{Clock: clock.Now, MeterProvider: sdkmetric.NewMeterProvider(sdkmetric.WithReader(reader))})
	e := f.entra(t, "v1")
	s := c.Source(e, e.Identity())
	ctx := context.Background()

	f.set(func(f *fakeEndpoint) { f.failWith = &fakeFailure{status: 500, body: `{"error":"server_error"}`} })
	if _, err := s.AccessToken(ctx); err == nil {
		t.Fatal("a failing endpoint gave a token")
	}
	clock.Advance(time.Minute) // past the retry backoff
	f.set(func(f *fakeEndpoint) {
		f.failWith = &fakeFailure{status: 401, body: `{"error":"invalid_client","error_description":"AADSTS7000222: The provided client secret keys are expired.","error_codes":[7000222]}`}
	})
	if _, err := s.AccessToken(ctx); err == nil {
		t.Fatal("a refusing endpoint gave a token")
	}
	clock.Advance(time.Minute)
	f.set(func(f *fakeEndpoint) { f.failWith = nil })
	mustToken(t, s)

	got := failures(t, reader)
	if got["transient"] != 1 || got["permanent"] != 1 || len(got) != 2 {
		t.Fatalf("%s by class = %v, want one transient and one permanent", MetricFailures, got)
	}
}
