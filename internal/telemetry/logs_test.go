package telemetry

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"log/slog"
	"strings"
	"testing"

	sdktrace "go.opentelemetry.io/otel/sdk/trace"
	"go.opentelemetry.io/otel/sdk/trace/tracetest"
	"go.opentelemetry.io/otel/trace"
	tracenoop "go.opentelemetry.io/otel/trace/noop"
)

// attrs is a LogAttrs of fixed attributes.
type attrs []slog.Attr

func (a attrs) AppendLogAttrs(dst []slog.Attr) []slog.Attr { return append(dst, a...) }

func jsonLogger(buf *bytes.Buffer) *slog.Logger {
	return slog.New(NewLogHandler(slog.NewJSONHandler(buf, nil)))
}

// lines decodes each JSON line of buf.
func lines(t *testing.T, buf *bytes.Buffer) []map[string]any {
	t.Helper()
	var out []map[string]any
	for _, l := range strings.Split(strings.TrimSpace(buf.String()), "\n") {
		var rec map[string]any
		if err := json.Unmarshal([]byte(l), &rec); err != nil {
			t.Fatalf("line %q: %v", l, err)
		}
		out = append(out, rec)
	}
	return out
}

// recordingSpan starts a span of an SDK provider that records it.
func recordingSpan(t *testing.T) (context.Context, trace.Span) {
	t.Helper()
	rec := tracetest.NewSpanRecorder()
	tp := sdktrace.NewTracerProvider(sdktrace.WithSpanProcessor(rec))
	ctx, span := tp.Tracer("test").Start(context.Background(), "handle")
	t.Cleanup(func() { span.End() })
	return ctx, span
}

func TestLogHandlerTraceFields(t *testing.T) {
	tid, _ := trace.TraceIDFromHex("4bf92f3577b34da6a3ce929d0e0e4736")
	sid, _ := trace.SpanIDFromHex("00f067aa0ba902b7")
	remote := func(flags trace.TraceFlags) context.Context {
		return trace.ContextWithSpanContext(context.Background(),
			trace.NewSpanContext(trace.SpanContextConfig{TraceID: tid, SpanID: sid, TraceFlags: flags, Remote: true}))
	}
	recorded, span := recordingSpan(t)
	unsampledSDK := sdktrace.NewTracerProvider(sdktrace.WithSampler(sdktrace.NeverSample()))
	unsampled, _ := unsampledSDK.Tracer("test").Start(context.Background(), "dropped")
	noopCtx, _ := tracenoop.NewTracerProvider().Tracer("test").Start(context.Background(), "off")

	tests := []struct {
		name      string
		ctx       context.Context
		wantTrace string
		wantSpan  string
		wantFlags string
	}{
		{"recording span", recorded, span.SpanContext().TraceID().String(), span.SpanContext().SpanID().String(), "01"},
		{"sampled remote parent", remote(trace.FlagsSampled), tid.String(), sid.String(), "01"},
		{"unsampled remote parent", remote(0), "", "", ""},
		{"non-recording unsampled span", unsampled, "", "", ""},
		{"no-op tracer, no parent", noopCtx, "", "", ""},
		{"no span", context.Background(), "", "", ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var buf bytes.Buffer
			jsonLogger(&buf).InfoContext(tt.ctx, "handled", "k", "v")
			rec := lines(t, &buf)[0]
			for key, want := range map[string]string{LogKeyTraceID: tt.wantTrace, LogKeySpanID: tt.wantSpan, LogKeyTraceFlags: tt.wantFlags} {
				got, present := rec[key]
				if want == "" {
					if present {
						t.Errorf("%s = %v, want it absent (no empty ids)", key, got)
					}
					continue
				}
				if got != want {
					t.Errorf("%s = %v, want %s", key, got, want)
				}
			}
			if rec["k"] != "v" || rec["msg"] != "handled" {
				t.Errorf("record lost its own fields: %v", rec)
			}
			if got := TraceID(tt.ctx); got != tt.wantTrace {
				t.Errorf("TraceID = %q, want %q", got, tt.wantTrace)
			}
		})
	}
}

func TestLogHandlerText(t *testing.T) {
	ctx, span := recordingSpan(t)
	ctx = ContextWithLogAttrs(ctx, attrs{slog.String("incident", "INC0010023")})
	var buf bytes.Buffer
	slog.New(NewLogHandler(slog.NewTextHandler(&buf, nil))).WarnContext(ctx, "handler failed; retrying")
	line := buf.String()
	for _, want := range []string{
		"trace_id=" + span.SpanContext().TraceID().String(),
		"span_id=" + span.SpanContext().SpanID().String(),
		"trace_flags=01", "incident=INC0010023",
	} {
		if !strings.Contains(line, want) {
			t.Errorf("text line lacks %s: %s", want, line)
		}
	}
}

func TestLogHandlerContextAttrs(t *testing.T) {
	identity := attrs{
		slog.String("event_id", "ev-1"), slog.String("incident", "INC0010023"),
		slog.String("subject", "escalator.incident.escalate"), slog.Uint64("delivery", 2),
		slog.String("empty", ""),
	}
	ctx := ContextWithLogAttrs(context.Background(), identity)
	var buf bytes.Buffer
	log := jsonLogger(&buf)
	log.InfoContext(ctx, "escalated")
	log.InfoContext(ctx, "repeats", "incident", "INC0099999", "event_id", "ev-1")
	log.With("incident", "INC0088888").InfoContext(ctx, "with")
	log.Info("no context")
	log.InfoContext(ContextWithLogAttrs(ctx, nil), "nil attrs keep the context's")

	recs := lines(t, &buf)
	if got := recs[0]; got["event_id"] != "ev-1" || got["incident"] != "INC0010023" ||
		got["subject"] != "escalator.incident.escalate" || got["delivery"] != float64(2) {
		t.Errorf("identity missing: %v", got)
	}
	if _, ok := recs[0]["empty"]; ok {
		t.Errorf("an empty attribute was written: %v", recs[0])
	}
	if _, ok := recs[0][LogKeyTraceID]; ok {
		t.Errorf("trace id without a span: %v", recs[0])
	}
	for i, want := range map[int]string{1: "INC0099999", 2: "INC0088888"} {
		line := strings.Split(strings.TrimSpace(buf.String()), "\n")[i]
		if n := strings.Count(line, `"incident"`); n != 1 {
			t.Errorf("line %d has %d incident keys: %s", i, n, line)
		}
		if recs[i]["incident"] != want {
			t.Errorf("line %d incident = %v, want the record's own %s", i, recs[i]["incident"], want)
		}
	}
	if strings.Count(strings.Split(buf.String(), "\n")[1], `"event_id"`) != 1 {
		t.Errorf("duplicate event_id: %s", buf.String())
	}
	if _, ok := recs[3]["incident"]; ok {
		t.Errorf("a line without the context got its attributes: %v", recs[3])
	}
	if recs[4]["incident"] != "INC0010023" {
		t.Errorf("ContextWithLogAttrs(ctx, nil) dropped the attributes: %v", recs[4])
	}
}

// TestLogHandlerGroupsAndAttrs: With and WithGroup still apply, and the
// trace fields stay at the top level under a group, where the OTel
// convention and the log stores look for them.
func TestLogHandlerGroupsAndAttrs(t *testing.T) {
	ctx, span := recordingSpan(t)
	ctx = ContextWithLogAttrs(ctx, attrs{slog.String("incident", "INC0010023")})
	var buf bytes.Buffer
	log := jsonLogger(&buf).With("component", "casesync").WithGroup("case").With("ticket", "t-1")
	log.InfoContext(ctx, "synced", "status", "open")
	log.WithGroup("").InfoContext(ctx, "empty group name")
	jsonLogger(&buf).With().WithGroup("g").InfoContext(context.Background(), "no context", "a", 1)

	recs := lines(t, &buf)
	rec := recs[0]
	if rec[LogKeyTraceID] != span.SpanContext().TraceID().String() || rec["incident"] != "INC0010023" {
		t.Errorf("context fields not at the top level: %v", rec)
	}
	if rec["component"] != "casesync" {
		t.Errorf("With before the group lost: %v", rec)
	}
	group, _ := rec["case"].(map[string]any)
	if group["ticket"] != "t-1" || group["status"] != "open" {
		t.Errorf("group content = %v, want ticket and status", rec["case"])
	}
	if _, ok := group[LogKeyTraceID]; ok {
		t.Errorf("trace id inside the group: %v", group)
	}
	if recs[1]["case"] == nil || recs[1][LogKeyTraceID] == nil {
		t.Errorf("WithGroup(\"\") changed the logger: %v", recs[1])
	}
	if g, _ := recs[2]["g"].(map[string]any); g["a"] != float64(1) {
		t.Errorf("group without context fields = %v", recs[2])
	}
}

func TestLogHandlerEnabled(t *testing.T) {
	h := NewLogHandler(slog.NewJSONHandler(io.Discard, &slog.HandlerOptions{Level: slog.LevelWarn}))
	if h.Enabled(context.Background(), slog.LevelInfo) || !h.Enabled(context.Background(), slog.LevelError) {
		t.Fatal("Enabled does not follow the inner handler's level")
	}
}

// BenchmarkLogCall compares a log call through the bare JSON handler with
// one through LogHandler, without and with a span (and the worker's kind of
// context attributes).
func BenchmarkLogCall(b *testing.B) {
	rec := tracetest.NewSpanRecorder()
	tp := sdktrace.NewTracerProvider(sdktrace.WithSpanProcessor(rec))
	spanCtx, span := tp.Tracer("bench").Start(context.Background(), "process")
	defer span.End()
	identity := attrs{slog.String("event_id", "0c2a6e5d8b7f4a1e9c3d5b7a9e1f2c40"), slog.String("incident", "INC0010023"),
		slog.String("subject", "escalator.incident.escalate"), slog.Uint64("delivery", 1)}
	bare := slog.New(slog.NewJSONHandler(io.Discard, nil))
	wrapped := slog.New(NewLogHandler(slog.NewJSONHandler(io.Discard, nil)))
	for _, bb := range []struct {
		name string
		log  *slog.Logger
		ctx  context.Context
	}{
		{"bare/no-span", bare, context.Background()},
		{"wrapped/no-span", wrapped, context.Background()},
		{"bare/span", bare, spanCtx},
		{"wrapped/span", wrapped, spanCtx},
		{"wrapped/span+identity", wrapped, ContextWithLogAttrs(spanCtx, identity)},
	} {
		b.Run(bb.name, func(b *testing.B) {
			b.ReportAllocs()
			for b.Loop() {
				bb.log.InfoContext(bb.ctx, "handler failed; retrying", "class", "transient")
			}
		})
	}
}

// BenchmarkLogDisabled is a Debug call below the level: the wrapper must
// cost nothing there.
func BenchmarkLogDisabled(b *testing.B) {
	ctx, span := sdktrace.NewTracerProvider().Tracer("bench").Start(context.Background(), "process")
	defer span.End()
	for _, bb := range []struct {
		name string
		h    slog.Handler
	}{
		{"bare", slog.NewJSONHandler(io.Discard, nil)},
		{"wrapped", NewLogHandler(slog.NewJSONHandler(io.Discard, nil))},
	} {
		log := slog.New(bb.h)
		b.Run(bb.name, func(b *testing.B) {
			b.ReportAllocs()
			for b.Loop() {
				log.DebugContext(ctx, "tick published", "job", "health")
			}
		})
	}
}
