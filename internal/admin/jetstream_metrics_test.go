package admin

import (
	"context"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/nats-io/nats.go/jetstream"
	sdkmetric "go.opentelemetry.io/otel/sdk/metric"
	"go.opentelemetry.io/otel/sdk/metric/metricdata"

	"github.com/escalator/escalator/internal/testkit/testserver"
)

// gauges collects rd and returns each gauge's points as "name{k=v,…}" → value.
func gauges(t *testing.T, rd *sdkmetric.ManualReader) map[string]int64 {
	t.Helper()
	var rm metricdata.ResourceMetrics
	if err := rd.Collect(context.Background(), &rm); err != nil {
		t.Fatal(err)
	}
	out := map[string]int64{}
	for _, sm := range rm.ScopeMetrics {
		for _, m := range sm.Metrics {
			g, ok := m.Data.(metricdata.Gauge[int64])
			if !ok {
				continue
			}
			for _, p := range g.DataPoints {
				key := m.Name + "{"
				for i, kv := range p.Attributes.ToSlice() {
					if i > 0 {
						key += ","
					}
					key += string(kv.Key) + "=" + kv.Value.Emit()
				}
				out[key+"}"] = p.Value
			}
		}
	}
	return out
}

func TestJetStreamMetrics(t *testing.T) {
	ctx := context.Background()
	_, js := testserver.Connect(t, testserver.NATS(t))
	if _, err := js.CreateStream(ctx, jetstream.StreamConfig{Name: "EVENTS", Subjects: []string{"ev.>"}}); err != nil {
		t.Fatal(err)
	}
	cons, err := js.CreateOrUpdateConsumer(ctx, "EVENTS", jetstream.ConsumerConfig{Durable: "worker", AckPolicy: jetstream.AckExplicitPolicy})
	if err != nil {
		t.Fatal(err)
	}
	for range 3 {
		if _, err := js.Publish(ctx, "ev.a", []byte("x")); err != nil {
			t.Fatal(err)
		}
	}
	rd := sdkmetric.NewManualReader()
	reg, err := RegisterJetStreamMetrics(sdkmetric.NewMeterProvider(sdkmetric.WithReader(rd)), js, JetStreamMetricsConfig{
		Streams: []string{"EVENTS", "MISSING"}, Stream: "EVENTS", Consumer: "worker", Roles: []string{"ingest", "worker"},
	})
	if err != nil {
		t.Fatal(err)
	}
	defer reg.Unregister()

	want := map[string]int64{
		MetricStreamMessages + "{stream=EVENTS}":                     3,
		MetricStreamLeader + "{stream=EVENTS}":                       1,
		MetricStreamLeader + "{stream=MISSING}":                      0,
		MetricConsumerPending + "{consumer=worker,stream=EVENTS}":    3,
		MetricConsumerAckPending + "{consumer=worker,stream=EVENTS}": 0,
		MetricConsumerWaiting + "{consumer=worker,stream=EVENTS}":    0,
		MetricReplica + "{role=ingest}":                              1,
		MetricReplica + "{role=worker}":                              1,
	}
	// The consumer's pending count follows the stream a moment after the
	// publish acknowledgements: poll until the gauges agree.
	check := func(want map[string]int64) {
		t.Helper()
		deadline := time.Now().Add(10 * time.Second)
		for {
			got := gauges(t, rd)
			if _, ok := got[MetricStreamMessages+"{stream=MISSING}"]; ok {
				t.Fatal("a stream that cannot be read reports a message count")
			}
			var wrong []string
			for k, v := range want {
				if g, ok := got[k]; !ok || g != v {
					wrong = append(wrong, fmt.Sprintf("%s = %d (present %v), want %d", k, g, ok, v))
				}
			}
			if len(wrong) == 0 {
				return
			}
			if time.Now().After(deadline) {
				t.Fatalf("%s\nall: %v", strings.Join(wrong, "\n"), got)
			}
			time.Sleep(10 * time.Millisecond)
		}
	}
	check(want)

	// A worker takes all three and acks none yet, while a pull request of
	// its stays open for more: lag 0, three in flight, a waiting pull.
	it, err := cons.Messages()
	if err != nil {
		t.Fatal(err)
	}
	defer it.Stop()
	for range 3 {
		if _, err := it.Next(); err != nil {
			t.Fatal(err)
		}
	}
	check(map[string]int64{
		MetricConsumerPending + "{consumer=worker,stream=EVENTS}":    0,
		MetricConsumerAckPending + "{consumer=worker,stream=EVENTS}": 3,
	})
	// The client may keep more than one pull request open: at least one.
	if n := gauges(t, rd)[MetricConsumerWaiting+"{consumer=worker,stream=EVENTS}"]; n < 1 {
		t.Fatalf("%s = %d while a worker pulls, want at least 1", MetricConsumerWaiting, n)
	}
}
