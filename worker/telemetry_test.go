package worker

import (
	"context"
	"errors"
	"testing"
	"time"

	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/codes"
	sdkmetric "go.opentelemetry.io/otel/sdk/metric"
	"go.opentelemetry.io/otel/sdk/metric/metricdata"
	sdktrace "go.opentelemetry.io/otel/sdk/trace"
	"go.opentelemetry.io/otel/sdk/trace/tracetest"
	"go.opentelemetry.io/otel/trace"

	"github.com/escalator/escalator/internal/event"
	"github.com/escalator/escalator/internal/fault"
	"github.com/escalator/escalator/internal/streams"
	"github.com/escalator/escalator/internal/testkit/eventtest"
)

func TestTraceContinuesFromProducer(t *testing.T) {
	const remote = "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01"
	remoteTrace, _ := trace.TraceIDFromHex("4bf92f3577b34da6a3ce929d0e0e4736")

	e := newEnv(t, streams.Config{AckWait: 5 * time.Second})
	exp := tracetest.NewInMemoryExporter()
	tp := sdktrace.NewTracerProvider(sdktrace.WithSyncer(exp))
	pub := streams.NewPublisher(e.js, tp)

	// The handler's HTTP calls would start children of the span in ctx.
	children := make(chan trace.SpanContext, 4)
	h := HandlerFunc(func(ctx context.Context, m *Message) error {
		_, child := tp.Tracer("handler").Start(ctx, "GET /incident")
		children <- child.SpanContext()
		child.End()
		if m.Event.ID == "traced-fail" {
			return fault.Permanentf("no such incident")
		}
		return nil
	})
	e.start(t, map[string]Handler{event.SubjectInsights: h}, Config{TracerProvider: tp})

	parentCtx, parent := tp.Tracer("ingest").Start(context.Background(), "POST /v1/events")
	tests := []struct {
		name        string
		ctx         context.Context
		id          string
		traceparent string
		wantTrace   trace.TraceID
		wantError   bool
	}{
		{"cloudevent traceparent", context.Background(), "traced-ce", remote, remoteTrace, false},
		{"ingest span", parentCtx, "traced-span", "", parent.SpanContext().TraceID(), false},
		{"failure", parentCtx, "traced-fail", "", parent.SpanContext().TraceID(), true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			exp.Reset()
			ev := eventtest.Insights(tt.id)
			ev.TraceParent = tt.traceparent
			if _, err := pub.Publish(tt.ctx, ev); err != nil {
				t.Fatal(err)
			}
			var child trace.SpanContext
			select {
			case child = <-children:
			case <-time.After(5 * time.Second):
				t.Fatal("handler not called")
			}
			var producer, consumer tracetest.SpanStub
			eventually(t, 5*time.Second, "consumer span ended", func() bool {
				for _, s := range exp.GetSpans() {
					switch s.SpanKind {
					case trace.SpanKindProducer:
						producer = s
					case trace.SpanKindConsumer:
						consumer = s
					}
				}
				return consumer.Name != ""
			})
			if producer.SpanContext.TraceID() != tt.wantTrace || consumer.SpanContext.TraceID() != tt.wantTrace {
				t.Fatalf("producer trace %s, consumer trace %s, want %s",
					producer.SpanContext.TraceID(), consumer.SpanContext.TraceID(), tt.wantTrace)
			}
			if consumer.Parent.SpanID() != producer.SpanContext.SpanID() {
				t.Errorf("consumer parent %s, want the producer span %s", consumer.Parent.SpanID(), producer.SpanContext.SpanID())
			}
			if child.TraceID() != tt.wantTrace {
				t.Errorf("handler's child span in trace %s", child.TraceID())
			}
			if consumer.Name != "process "+event.SubjectInsights {
				t.Errorf("span name %q", consumer.Name)
			}
			attrs := map[attribute.Key]string{}
			for _, a := range consumer.Attributes {
				attrs[a.Key] = a.Value.Emit()
			}
			want := map[attribute.Key]string{
				streams.AttrMessagingSystem: "nats",
				streams.AttrDestination:     event.SubjectInsights,
				streams.AttrMessageID:       tt.id,
				streams.AttrConsumerGroup:   streams.ConsumerName,
				streams.AttrDeliveryCount:   "1",
				streams.AttrIncidentNumber:  "INC0010023",
			}
			if tt.wantError {
				want[streams.AttrErrorType] = "permanent"
			}
			for k, v := range want {
				if attrs[k] != v {
					t.Errorf("attribute %s = %q, want %q", k, attrs[k], v)
				}
			}
			if gotErr := consumer.Status.Code == codes.Error; gotErr != tt.wantError {
				t.Errorf("status %v, want error %v", consumer.Status, tt.wantError)
			}
		})
	}
	parent.End()
}

func TestMetricsRecorded(t *testing.T) {
	e := newEnv(t, streams.Config{AckWait: 5 * time.Second})
	reader := sdkmetric.NewManualReader()
	mp := sdkmetric.NewMeterProvider(sdkmetric.WithReader(reader))
	h := HandlerFunc(func(_ context.Context, m *Message) error {
		switch m.Event.ID {
		case "m-perm":
			return fault.Permanentf("refused")
		case "m-retry":
			if m.NumDelivered == 1 {
				return errors.New("timeout")
			}
		}
		return nil
	})
	e.start(t, map[string]Handler{event.SubjectInsights: h},
		Config{MeterProvider: mp, BackoffInitial: 10 * time.Millisecond, BackoffMax: 10 * time.Millisecond})
	e.publish(t, "m-ok", "m-perm", "m-retry")
	eventually(t, 5*time.Second, "all settled", func() bool { return e.settledAll(t) && e.dlqCount(t) == 1 })

	var rm metricdata.ResourceMetrics
	collect := func() map[string]metricdata.Aggregation {
		if err := reader.Collect(context.Background(), &rm); err != nil {
			t.Fatal(err)
		}
		out := map[string]metricdata.Aggregation{}
		for _, sm := range rm.ScopeMetrics {
			for _, m := range sm.Metrics {
				out[m.Name] = m.Data
			}
		}
		return out
	}
	var got map[string]metricdata.Aggregation
	// The last settle's metrics are recorded just after its ack.
	eventually(t, 5*time.Second, "four settles recorded", func() bool {
		got = collect()
		s, ok := got["escalator.messages"].(metricdata.Sum[int64])
		n := int64(0)
		for _, dp := range s.DataPoints {
			n += dp.Value
		}
		return ok && n == 4
	})

	outcomes := map[string]int64{}
	for _, dp := range got["escalator.messages"].(metricdata.Sum[int64]).DataPoints {
		o, _ := dp.Attributes.Value("outcome")
		outcomes[o.AsString()] += dp.Value
	}
	if outcomes[OutcomeAck] != 2 || outcomes[OutcomeRetry] != 1 || outcomes[OutcomeDeadLetter] != 1 {
		t.Errorf("outcomes %v", outcomes)
	}
	dl := got["escalator.dead_letters"].(metricdata.Sum[int64])
	if len(dl.DataPoints) != 1 || dl.DataPoints[0].Value != 1 {
		t.Errorf("dead letters %+v", dl.DataPoints)
	}
	hist := got["messaging.process.duration"].(metricdata.Histogram[float64])
	var count uint64
	for _, dp := range hist.DataPoints {
		count += dp.Count
	}
	if count != 4 {
		t.Errorf("duration histogram counted %d, want 4", count)
	}
	eventually(t, 5*time.Second, "in-flight back to zero", func() bool {
		inflight, ok := collect()["escalator.messages.in_flight"].(metricdata.Sum[int64])
		if !ok || len(inflight.DataPoints) == 0 {
			return false
		}
		return inflight.DataPoints[0].Value == 0
	})
}
