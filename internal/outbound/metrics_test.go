package outbound

import (
	"context"
	"net/http"
	"net/http/httptest"
	"testing"
	"time"

	"go.opentelemetry.io/otel/attribute"
	sdkmetric "go.opentelemetry.io/otel/sdk/metric"
	"go.opentelemetry.io/otel/sdk/metric/metricdata"

	"github.com/escalator/escalator/internal/ratelimit"
)

// The client metrics carry the service the client calls, the same for
// every client of a service whatever its name or host; a client without a
// Service is labelled with its Name.
func TestClientMetricsCarryService(t *testing.T) {
	peer := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path == "/busy" {
			w.WriteHeader(http.StatusServiceUnavailable)
		}
	}))
	t.Cleanup(peer.Close)
	reader := sdkmetric.NewManualReader()
	mp := sdkmetric.NewMeterProvider(sdkmetric.WithReader(reader))

	for _, c := range []struct{ name, service, path string }{
		{"servicenow", ratelimit.ServiceNow, "/ok"},
		{"servicenow-oauth", ratelimit.ServiceNow, "/ok"},
		{"arm", ratelimit.ARM, "/busy"},
		{"graph", "", "/ok"},
	} {
		hc := NewClient(Options{Name: c.name, Service: c.service, MeterProvider: mp, MaxAttempts: 2, InitialBackoff: time.Millisecond})
		resp, err := hc.Get(peer.URL + c.path)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
	}

	var rm metricdata.ResourceMetrics
	if err := reader.Collect(context.Background(), &rm); err != nil {
		t.Fatal(err)
	}
	got := map[string]uint64{} // requests by service and status
	for _, sm := range rm.ScopeMetrics {
		for _, m := range sm.Metrics {
			if m.Name != "http.client.request.duration" {
				continue
			}
			for _, dp := range m.Data.(metricdata.Histogram[float64]).DataPoints {
				svc, _ := dp.Attributes.Value(AttrService)
				status, _ := dp.Attributes.Value(attribute.Key("http.response.status_code"))
				got[svc.Emit()+" "+status.Emit()] += dp.Count
			}
		}
	}
	want := map[string]uint64{"servicenow 200": 2, "arm 503": 2, "graph 200": 1}
	if len(got) != len(want) {
		t.Errorf("requests by service and status %v, want %v", got, want)
	}
	for k, v := range want {
		if got[k] != v {
			t.Errorf("requests[%s] = %d, want %d (all %v)", k, got[k], v, got)
		}
	}
}
