package worker

import (
	"context"
	"errors"
	"log/slog"
	"strings"
	"testing"
	"time"

	"github.com/nats-io/nats.go"
	sdktrace "go.opentelemetry.io/otel/sdk/trace"
	"go.opentelemetry.io/otel/sdk/trace/tracetest"

	"github.com/escalator/escalator/internal/event"
	"github.com/escalator/escalator/internal/fault"
	"github.com/escalator/escalator/internal/streams"
	"github.com/escalator/escalator/internal/telemetry"
	"github.com/escalator/escalator/internal/testkit/logtest"
)

// TestLogLinesCarryMessageIdentity: what a handler logs with its context,
// and what the worker logs settling the message, carry the message's
// identity and the trace id and span id of that delivery's span; a retry's
// lines carry the retry's span.
func TestLogLinesCarryMessageIdentity(t *testing.T) {
	e := newEnv(t, streams.Config{AckWait: 5 * time.Second})
	rec := tracetest.NewSpanRecorder()
	tp := sdktrace.NewTracerProvider(sdktrace.WithSpanProcessor(rec))
	var buf logtest.Buffer
	logger := slog.New(telemetry.NewLogHandler(slog.NewJSONHandler(&buf, nil)))
	h := HandlerFunc(func(ctx context.Context, m *Message) error {
		logger.InfoContext(ctx, "handling")
		if m.NumDelivered == 1 {
			return fault.AsTransient(errors.New("ServiceNow answered 503"), 0)
		}
		return nil
	})
	e.start(t, map[string]Handler{event.SubjectInsights: h},
		Config{Logger: logger, TracerProvider: tp, BackoffInitial: 10 * time.Millisecond})
	e.publish(t, "identity-1")
	eventually(t, 10*time.Second, "second delivery", func() bool { return strings.Count(buf.String(), `"handling"`) == 2 })
	eventually(t, 10*time.Second, "two process spans", func() bool { return len(rec.Ended()) == 2 })

	spans := map[string]string{} // span id → trace id, of the process spans
	for _, s := range rec.Ended() {
		spans[s.SpanContext().SpanID().String()] = s.SpanContext().TraceID().String()
	}
	lines := buf.JSONLines(t)
	if len(lines) != 3 {
		t.Fatalf("%d lines, want handling, retrying, handling:\n%s", len(lines), buf.String())
	}
	for i, want := range []struct {
		msg      string
		delivery float64
	}{{"handling", 1}, {"handler failed; retrying", 1}, {"handling", 2}} {
		l := lines[i]
		if l["msg"] != want.msg {
			t.Fatalf("line %d is %v, want %q", i, l["msg"], want.msg)
		}
		for k, v := range map[string]any{"event_id": "identity-1", "incident": "INC0010023",
			"subject": event.SubjectInsights, "delivery": want.delivery} {
			if l[k] != v {
				t.Errorf("line %d (%s): %s = %v, want %v", i, want.msg, k, l[k], v)
			}
		}
		spanID, _ := l["span_id"].(string)
		if tid, ok := spans[spanID]; !ok || l["trace_id"] != tid {
			t.Errorf("line %d (%s): trace %v span %v is not a process span of this message %v", i, want.msg, l["trace_id"], spanID, spans)
		}
	}
	if lines[0]["span_id"] != lines[1]["span_id"] || lines[1]["span_id"] == lines[2]["span_id"] {
		t.Errorf("the retry's line should carry the retry's span: spans %v, %v, %v",
			lines[0]["span_id"], lines[1]["span_id"], lines[2]["span_id"])
	}
}

// TestLogLinesWithoutTracing: with a no-op tracer and an undecodable body
// the dead letter's line has no trace fields and no empty incident.
func TestLogLinesWithoutTracing(t *testing.T) {
	e := newEnv(t, streams.Config{AckWait: 5 * time.Second})
	var buf logtest.Buffer
	logger := slog.New(telemetry.NewLogHandler(slog.NewJSONHandler(&buf, nil)))
	e.start(t, map[string]Handler{event.SubjectInsights: HandlerFunc(func(context.Context, *Message) error { return nil })},
		Config{Logger: logger})
	msg := nats.NewMsg(event.SubjectInsights)
	msg.Header.Set("Nats-Msg-Id", "undecodable-1")
	msg.Data = []byte("{not json")
	if _, err := e.js.PublishMsg(context.Background(), msg); err != nil {
		t.Fatal(err)
	}
	eventually(t, 5*time.Second, "dead letter line", func() bool { return strings.Contains(buf.String(), "dead-lettered") })
	l := buf.JSONLines(t)[0]
	for _, k := range []string{"trace_id", "span_id", "trace_flags", "incident"} {
		if v, ok := l[k]; ok {
			t.Errorf("%s = %q on a line without a span or an incident", k, v)
		}
	}
	if l["event_id"] != "undecodable-1" || l["delivery"] != float64(1) {
		t.Errorf("identity of an undecodable message: %v", l)
	}
}

// BenchmarkWithMessageLog is what the identity costs a message that logs
// nothing: one context value (the attributes are built only when a line is
// written).
func BenchmarkWithMessageLog(b *testing.B) {
	d := &delivery{}
	ctx := context.Background()
	b.ReportAllocs()
	for b.Loop() {
		_ = withMessageLog(ctx, d)
	}
}
