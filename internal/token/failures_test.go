package token

import (
	"context"
	"testing"
	"time"

	sdkmetric "go.opentelemetry.io/otel/sdk/metric"

	"github.com/escalator/escalator/internal/testkit/metrictest"
)

// failures returns MetricFailures by error.class, and fails the test on a
// failure counted without its token.authority.
func failures(t *testing.T, reader sdkmetric.Reader) map[string]int64 {
	t.Helper()
	if n := metrictest.Sum(t, reader, MetricFailures, metrictest.Is("token.authority", "")); n != 0 {
		t.Errorf("%d failures without token.authority", n)
	}
	return metrictest.SumsBy(t, reader, MetricFailures, "error.class")
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
