package main

import (
	"context"
	"fmt"
	"net/http"
	"os"
	"regexp"
	"slices"
	"strings"
	"testing"

	"go.opentelemetry.io/otel/attribute"
	sdktrace "go.opentelemetry.io/otel/sdk/trace"
	"go.opentelemetry.io/otel/sdk/trace/tracetest"

	"github.com/escalator/escalator/internal/event"
	"github.com/escalator/escalator/internal/streams"
	"github.com/escalator/escalator/internal/testkit/logtest"
	"github.com/escalator/escalator/internal/testkit/sim"
	"github.com/escalator/escalator/worker"
)

// TestE2ELogLinesJoinTraces: an insights request and an escalation whose
// first delivery fails, through ingest, the worker and the simulator, with
// the production logger (JSON) and a span recorder. Every line the two
// events caused names its event and carries the trace id of the event's
// spans and the span id of the delivery that wrote it: the retry's lines
// carry the retry's span.
func TestE2ELogLinesJoinTraces(t *testing.T) {
	rec := tracetest.NewSpanRecorder()
	tp := sdktrace.NewTracerProvider(sdktrace.WithSpanProcessor(rec))
	var buf logtest.Buffer
	log, err := (&env{stderr: &buf}).logger(logConfig{Level: "info", Format: "json"})
	if err != nil {
		t.Fatal(err)
	}
	x := startE2ELogged(t, nil, tp, log)
	x.link(t, sim.DefaultAdminUPN)
	insights := example(t, "insights-requested.json", nil)
	x.post(t, insights)
	waitFor(t, "insights note", func() bool { return len(x.notes(sim.ExchangeIncidentID)) == 1 })
	x.settle(t)
	// The incident write-back fails: the escalation's first deliveries
	// fail after the ticket exists, a later one finishes it.
	if err := x.sim.SetFaults(sim.Faults{Routes: map[string]sim.RouteFault{
		"PATCH /api/now/table/incident/{sys_id}": {Status: 503, Count: 5},
	}}); err != nil {
		t.Fatal(err)
	}
	escalation := example(t, "escalation-requested.json", nil)
	x.post(t, escalation)
	waitFor(t, "case note", func() bool { return len(x.notes("Escalated to Microsoft support")) == 1 })
	x.settle(t)

	events := map[string]event.Event{insights.ID: insights, escalation.ID: escalation}
	var lines []map[string]any
	for _, l := range buf.JSONLines(t) {
		if id, _ := l["event_id"].(string); events[id].ID != "" {
			lines = append(lines, l)
		}
	}
	for _, l := range lines {
		if id, _ := l["span_id"].(string); id == "" {
			t.Fatalf("a line about an event without its span: %v", l)
		}
	}
	// A process span ends just after its message is settled.
	spans := map[string]sdktrace.ReadOnlySpan{}
	waitFor(t, "the span of every line", func() bool {
		for _, s := range rec.Ended() {
			spans[s.SpanContext().SpanID().String()] = s
		}
		for _, l := range lines {
			if id, _ := l["span_id"].(string); spans[id] == nil {
				return false
			}
		}
		return true
	})

	byMsg := map[string][]string{}
	for _, l := range lines {
		id, msg := l["event_id"].(string), l["msg"].(string)
		byMsg[id] = append(byMsg[id], msg)
		ev := events[id]
		if l["incident"] != ev.Data.Incident.Number || l["subject"] != ev.Subject() {
			t.Errorf("%q: incident %v subject %v, want %s %s", msg, l["incident"], l["subject"], ev.Data.Incident.Number, ev.Subject())
		}
		span := spans[l["span_id"].(string)]
		if l["trace_id"] != span.SpanContext().TraceID().String() || l["trace_flags"] != "01" {
			t.Errorf("%q: trace %v flags %v, its span's trace is %s", msg, l["trace_id"], l["trace_flags"], span.SpanContext().TraceID())
		}
		process := processSpan(span, spans)
		if process == nil || process.Name() != "process "+ev.Subject() {
			t.Errorf("%q: span %s is not under a process span of %s", msg, span.Name(), ev.Subject())
			continue
		}
		if got := attr(process, streams.AttrDeliveryCount); fmt.Sprint(l["delivery"]) != got {
			t.Errorf("%q of delivery %v is in the span of delivery %s", msg, l["delivery"], got)
		}
		if producer := spans[process.Parent().SpanID().String()]; producer == nil ||
			producer.Name() != "send "+ev.Subject() || attr(producer, streams.AttrMessageID) != ev.ID {
			t.Errorf("%q: its trace does not start at ingest's send span of %s", msg, ev.ID)
		}
	}
	if !slices.Contains(byMsg[insights.ID], "insights written") {
		t.Errorf("insights lines %v lack the handler's", byMsg[insights.ID])
	}
	if !slices.Contains(byMsg[escalation.ID], "handler failed; retrying") || !slices.Contains(byMsg[escalation.ID], "incident escalated") {
		t.Errorf("escalation lines %v lack the retry's or the handler's", byMsg[escalation.ID])
	}
	if t.Failed() {
		t.Logf("log:\n%s", buf.String())
	}
}

// processSpan is s or the nearest of its recorded ancestors whose name
// starts with "process ".
func processSpan(s sdktrace.ReadOnlySpan, spans map[string]sdktrace.ReadOnlySpan) sdktrace.ReadOnlySpan {
	for s != nil && !strings.HasPrefix(s.Name(), "process ") {
		s = spans[s.Parent().SpanID().String()]
	}
	return s
}

func attr(s sdktrace.ReadOnlySpan, key attribute.Key) string {
	for _, a := range s.Attributes() {
		if a.Key == key {
			return a.Value.Emit()
		}
	}
	return ""
}

// TestAppLogLinesWithTracesNotExported: with OTEL_TRACES_EXPORTER=none
// (the default) spans are made but not exported, so a line about an event
// still carries the trace it got at ingest (the caller's, when it sent a
// sampled traceparent) and the lines of one event join. A caller that did not
// sample its trace gets no trace fields, and neither does a line without a
// span: never empty ones. The event's identity is there either way.
func TestAppLogLinesWithTracesNotExported(t *testing.T) {
	var buf logtest.Buffer
	log, err := (&env{stderr: &buf}).logger(logConfig{Level: "info", Format: "json"})
	if err != nil {
		t.Fatal(err)
	}
	// Each event is only logged.
	handlers := handlerSet(func(_ context.Context, s spine) (map[string]worker.Handler, error) {
		return everySubject(worker.HandlerFunc(func(ctx context.Context, m *worker.Message) error {
			s.log.InfoContext(ctx, "event received") // the worker's context names the event
			return nil
		})), nil
	})
	app := startAppLogged(t, appConfig{}, handlers.worker, nil, log)

	const callerTrace = "0af7651916cd43dd8448eb211c80319c"
	body, err := os.ReadFile("examples/insights-requested.json")
	if err != nil {
		t.Fatal(err)
	}
	for _, ev := range []struct{ id, extension string }{
		{"no-traceparent", ""},
		{"caller-sampled", `"traceparent": "00-` + callerTrace + `-b7ad6b7169203331-01",`},
		{"caller-unsampled", `"traceparent": "00-` + callerTrace + `-b7ad6b7169203331-00",`},
	} {
		b := strings.Replace(string(body), `"id": "0c2a6e5d8b7f4a1e9c3d5b7a9e1f2c40",`, `"id": "`+ev.id+`",`+ev.extension, 1)
		if resp := postIngest(t, app.IngestURL(), testIngestToken, b); resp.StatusCode != http.StatusAccepted {
			t.Fatalf("post %s: status %d", ev.id, resp.StatusCode)
		}
	}
	byMsg := func() map[string]map[string]any {
		out := map[string]map[string]any{}
		for _, l := range buf.JSONLines(t) {
			id, _ := l["event_id"].(string)
			out[l["msg"].(string)+" "+id] = l
		}
		return out
	}
	waitFor(t, "three events logged", func() bool {
		n := 0
		for k := range byMsg() {
			if strings.HasPrefix(k, "event received ") {
				n++
			}
		}
		return n == 3
	})
	lines := byMsg()
	hex := regexp.MustCompile(`^[0-9a-f]{32}$`)
	if l := lines["event received no-traceparent"]; !hex.MatchString(fmt.Sprint(l["trace_id"])) || l["trace_id"] == strings.Repeat("0", 32) {
		t.Errorf("event without a traceparent: trace_id %v, want ingest's trace", l["trace_id"])
	}
	if got := lines["event received caller-sampled"]["trace_id"]; got != callerTrace {
		t.Errorf("caller-sampled: trace_id %v, want the caller's %s", got, callerTrace)
	}
	for _, key := range []string{"event received caller-unsampled", "escalator running "} {
		if lines[key] == nil {
			t.Errorf("no line %q", key)
		}
		for _, k := range []string{"trace_id", "span_id", "trace_flags"} {
			if v, ok := lines[key][k]; ok {
				t.Errorf("%q has %s = %q: no sampled span, no trace field", key, k, v)
			}
		}
	}
	for key, l := range lines {
		if strings.HasPrefix(key, "event received ") &&
			(l["incident"] != "INC0010023" || l["subject"] != event.SubjectInsights || l["delivery"] != float64(1)) {
			t.Errorf("%s: identity %v", key, l)
		}
	}
}
