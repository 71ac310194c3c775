package ingest

import (
	"context"
	"fmt"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/escalator/escalator/internal/event"
	"github.com/escalator/escalator/internal/testkit/metrictest"
	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/sdk/metric/metricdata"
	"go.opentelemetry.io/otel/sdk/trace/tracetest"
	"go.opentelemetry.io/otel/trace"
)

const (
	httpTraceID = "4bf92f3577b34da6a3ce929d0e0e4736"
	httpSpanID  = "00f067aa0ba902b7"
	ceTraceID   = "0af7651916cd43dd8448eb211c80319c"
	ceSpanID    = "b7ad6b7169203331"
)

func withTraceParent(ev map[string]any, tid, sid string) map[string]any {
	ev["traceparent"] = "00-" + tid + "-" + sid + "-01"
	return ev
}

// waitSpans polls until n spans have ended.
func waitSpans(t *testing.T, exp *tracetest.InMemoryExporter, n int) tracetest.SpanStubs {
	t.Helper()
	deadline := time.Now().Add(5 * time.Second)
	for {
		spans := exp.GetSpans()
		if len(spans) >= n {
			return spans
		}
		if time.Now().After(deadline) {
			t.Fatalf("%d spans ended, want %d", len(spans), n)
		}
		time.Sleep(5 * time.Millisecond)
	}
}

func spansByKind(spans tracetest.SpanStubs, kind trace.SpanKind) tracetest.SpanStubs {
	var out tracetest.SpanStubs
	for _, s := range spans {
		if s.SpanKind == kind {
			out = append(out, s)
		}
	}
	return out
}

// serverSpans is the server spans among spans, failing the test unless
// there are n of them.
func serverSpans(t *testing.T, spans tracetest.SpanStubs, n int) tracetest.SpanStubs {
	t.Helper()
	servers := spansByKind(spans, trace.SpanKindServer)
	if len(servers) != n {
		t.Fatalf("%d server spans, want %d", len(servers), n)
	}
	return servers
}

func producerFor(t *testing.T, spans tracetest.SpanStubs, id string) tracetest.SpanStub {
	t.Helper()
	for _, s := range spansByKind(spans, trace.SpanKindProducer) {
		for _, a := range s.Attributes {
			if a.Key == "messaging.message.id" && a.Value.AsString() == id {
				return s
			}
		}
	}
	t.Fatalf("no producer span for event %s", id)
	return tracetest.SpanStub{}
}

func TestTraceFromHTTPTraceparent(t *testing.T) {
	f := newFixture(t, fixtureOpts{})
	// The request's traceparent wins over the event's own.
	body := mustJSON(t, []any{newEvent("tp-http-1"), withTraceParent(newEvent("tp-http-2"), ceTraceID, ceSpanID)})
	wantAccepted(t, f.post("application/cloudevents-batch+json", tokenA, body,
		"traceparent", "00-"+httpTraceID+"-"+httpSpanID+"-01"))

	spans := waitSpans(t, f.spans, 3)
	servers := serverSpans(t, spans, 1)
	srv := servers[0]
	if srv.SpanContext.TraceID().String() != httpTraceID || srv.Parent.SpanID().String() != httpSpanID {
		t.Fatalf("server span %s parent %s, want the request's trace", srv.SpanContext.TraceID(), srv.Parent.SpanID())
	}
	for _, id := range []string{"tp-http-1", "tp-http-2"} {
		p := producerFor(t, spans, id)
		if p.SpanContext.TraceID() != srv.SpanContext.TraceID() || p.Parent.SpanID() != srv.SpanContext.SpanID() {
			t.Fatalf("producer span of %s: trace %s parent %s, want child of server span %s",
				id, p.SpanContext.TraceID(), p.Parent.SpanID(), srv.SpanContext.SpanID())
		}
	}
}

func TestTraceFromCloudEventTraceparent(t *testing.T) {
	f := newFixture(t, fixtureOpts{})
	body := mustJSON(t, []any{withTraceParent(newEvent("tp-ce-1"), ceTraceID, ceSpanID), newEvent("tp-ce-2")})
	wantAccepted(t, f.post("application/cloudevents-batch+json", tokenA, body))
	// Binary mode carries the extension as the ce-traceparent header.
	wantAccepted(t, f.post("application/json", tokenA, mustJSON(t, newEvent("x")["data"]),
		"ce-specversion", "1.0", "ce-id", "tp-ce-3", "ce-source", "https://contoso.service-now.com",
		"ce-type", event.TypeUpdated, "ce-time", "2026-11-25T09:02:47Z",
		"ce-traceparent", "00-"+ceTraceID+"-"+ceSpanID+"-01"))

	spans := waitSpans(t, f.spans, 5)
	servers := serverSpans(t, spans, 2)
	srv := servers[0]
	for _, id := range []string{"tp-ce-1", "tp-ce-3"} {
		p := producerFor(t, spans, id)
		if p.SpanContext.TraceID().String() != ceTraceID || p.Parent.SpanID().String() != ceSpanID || !p.Parent.IsRemote() {
			t.Fatalf("producer span of %s: trace %s parent %s, want the event's trace %s/%s",
				id, p.SpanContext.TraceID(), p.Parent.SpanID(), ceTraceID, ceSpanID)
		}
	}
	// An event without its own trace context stays in the server's trace.
	p := producerFor(t, spans, "tp-ce-2")
	if p.Parent.SpanID() != srv.SpanContext.SpanID() {
		t.Fatalf("producer span of tp-ce-2 parent %s, want server span %s", p.Parent.SpanID(), srv.SpanContext.SpanID())
	}
	// The server span links to the event's trace.
	linked := false
	for _, l := range srv.Links {
		linked = linked || l.SpanContext.TraceID().String() == ceTraceID
	}
	if !linked {
		t.Fatalf("server span links %v, want one to %s", srv.Links, ceTraceID)
	}
}

func TestMetrics(t *testing.T) {
	f := newFixture(t, fixtureOpts{})
	wantAccepted(t, f.post("application/cloudevents-batch+json", tokenA, batchOf(t, "m", 3)))
	wantAccepted(t, f.post("application/cloudevents+json", tokenA, mustJSON(t, newEvent("m-0"))))
	bad := newEvent("m-bad")
	delete(bad, "time")
	wantStatus(t, f.post("application/cloudevents-batch+json", tokenA, mustJSON(t, []any{newEvent("m-9"), bad})), http.StatusBadRequest)
	wantStatus(t, f.post("application/cloudevents+json", "wrong", nil), http.StatusUnauthorized)

	requests := metrictest.SumsBy(t, f.metrics, "escalator.ingest.requests", "http.response.status_code")
	events := metrictest.SumsBy(t, f.metrics, "escalator.ingest.events", "outcome")
	wantReq := map[string]int64{"202": 2, "400": 1, "401": 1}
	wantEv := map[string]int64{"accepted": 3, "duplicate": 1, "refused": 2}
	for k, v := range wantReq {
		if requests[k] != v {
			t.Errorf("requests[%s] = %d, want %d (all %v)", k, requests[k], v, requests)
		}
	}
	for k, v := range wantEv {
		if events[k] != v {
			t.Errorf("events[%s] = %d, want %d (all %v)", k, events[k], v, events)
		}
	}
}

// sums adds up the data points of the counter name by the values of keys,
// joined by spaces: metrictest.SumsBy for more than one key.
func sums(t *testing.T, rm metricdata.ResourceMetrics, name string, keys ...attribute.Key) map[string]int64 {
	t.Helper()
	out := map[string]int64{}
	for _, sm := range rm.ScopeMetrics {
		for _, m := range sm.Metrics {
			if m.Name != name {
				continue
			}
			sum, ok := m.Data.(metricdata.Sum[int64])
			if !ok {
				t.Fatalf("%s is %T", name, m.Data)
			}
			for _, dp := range sum.DataPoints {
				vals := make([]string, len(keys))
				for i, k := range keys {
					v, _ := dp.Attributes.Value(k)
					vals[i] = v.Emit()
				}
				out[strings.Join(vals, " ")] += dp.Value
			}
		}
	}
	return out
}

// The events counter carries the event type, and "other" for a type that
// is not one of Escalator's: a client cannot grow the label's values.
func TestEventMetricsByType(t *testing.T) {
	f := newFixture(t, fixtureOpts{})
	up := newEvent("ty-1")
	up["type"] = event.TypeUpdated
	wantAccepted(t, f.post("application/cloudevents-batch+json", tokenA, mustJSON(t, []any{newEvent("ty-0"), up})))
	wantAccepted(t, f.post("application/cloudevents+json", tokenA, mustJSON(t, newEvent("ty-0"))))
	for i, typ := range []string{"com.example.unknown", event.TypeTickHealth} {
		ev := newEvent(fmt.Sprintf("ty-bad-%d", i))
		ev["type"] = typ
		wantStatus(t, f.post("application/cloudevents+json", tokenA, mustJSON(t, ev)), http.StatusBadRequest)
	}
	wantStatus(t, f.post("application/cloudevents+json", tokenA, []byte("{")), http.StatusBadRequest)

	var rm metricdata.ResourceMetrics
	if err := f.metrics.Collect(context.Background(), &rm); err != nil {
		t.Fatal(err)
	}
	got := sums(t, rm, "escalator.ingest.events", "outcome", attrEventType)
	want := map[string]int64{
		"accepted " + event.TypeInsights:  1,
		"accepted " + event.TypeUpdated:   1,
		"duplicate " + event.TypeInsights: 1,
		"refused " + event.TypeTickHealth: 1,
		"refused other":                   2, // the unknown type and the unreadable body
	}
	if len(got) != len(want) {
		t.Errorf("events by outcome and type %v, want %v", got, want)
	}
	for k, v := range want {
		if got[k] != v {
			t.Errorf("events[%s] = %d, want %d (all %v)", k, got[k], v, got)
		}
	}
}

func TestRefusalLogOmitsBody(t *testing.T) {
	f := newFixture(t, fixtureOpts{})
	ev := newEvent("log-1")
	ev["type"] = "com.example.marker-in-body"
	wantStatus(t, f.post("application/cloudevents+json", tokenA, mustJSON(t, ev)), http.StatusBadRequest)
	if f.logs.contains("marker-in-body") || f.logs.contains(tokenA) {
		t.Fatalf("log quotes the body or token: %s", f.logs.String())
	}
	if !f.logs.contains(`"fields":["type"]`) {
		t.Fatalf("log lacks the invalid field: %s", f.logs.String())
	}
}
