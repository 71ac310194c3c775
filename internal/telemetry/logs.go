package telemetry

import (
	"context"
	"log/slog"
	"slices"
	"sync"

	"go.opentelemetry.io/otel/trace"
)

// The trace context fields of a log record, as OpenTelemetry's "Trace Context
// in non-OTLP Log Formats" names them: lower-case hex, W3C trace flags.
const (
	LogKeyTraceID    = "trace_id"
	LogKeySpanID     = "span_id"
	LogKeyTraceFlags = "trace_flags"
)

// LogAttrs supplies attributes to every record logged with a context that
// carries it (ContextWithLogAttrs). It is asked at each log call, so what it
// reports may be filled in after the context was made (the worker's message
// identity learns the incident once the body is decoded).
type LogAttrs interface {
	// AppendLogAttrs appends the attributes to dst and returns it. Attributes
	// with an empty string value are left out of the record.
	AppendLogAttrs(dst []slog.Attr) []slog.Attr
}

type logAttrsKey struct{}

// ContextWithLogAttrs returns ctx carrying a: a LogHandler adds its
// attributes to every record logged with the context. The innermost call
// wins; a nil a returns ctx.
func ContextWithLogAttrs(ctx context.Context, a LogAttrs) context.Context {
	if a == nil {
		return ctx
	}
	return context.WithValue(ctx, logAttrsKey{}, a)
}

// spanContext is the span context of ctx when it is worth a log field: a
// valid one that is sampled or being recorded. A non-recording, unsampled
// span (tracing off, or the caller's sampler said no) is a trace nobody can
// look up.
func spanContext(ctx context.Context) (trace.SpanContext, bool) {
	span := trace.SpanFromContext(ctx)
	sc := span.SpanContext()
	return sc, sc.IsValid() && (sc.IsSampled() || span.IsRecording())
}

// TraceID is the W3C hex trace id of ctx's span, the one a tracing UI
// searches by, or "" when ctx holds no sampled or recording span (then a log
// line carries none either).
func TraceID(ctx context.Context) string {
	sc, ok := spanContext(ctx)
	if !ok {
		return ""
	}
	return sc.TraceID().String()
}

// LogHandler wraps a slog.Handler (the JSON or the text one) so that every
// record logged with a context holding a sampled or recording span gets
// trace_id, span_id and trace_flags, and the attributes the context carries
// (ContextWithLogAttrs), as top-level fields, also under WithGroup. A key the
// record or the logger's With already has is not added again.
type LogHandler struct {
	inner slog.Handler
	// base is inner as it was before the first WithGroup (nil: no group),
	// and ops what was applied since: the fields are added to base and ops
	// replayed, so they stay at the top level.
	base slog.Handler
	ops  []func(slog.Handler) slog.Handler
	// keys are the top-level keys added by WithAttrs.
	keys []string
	// bufs holds the scratch arrays of Handle (shared by the handlers
	// With and WithGroup derive): the attributes go through an interface
	// call, so a local array would be allocated on every call.
	bufs *sync.Pool
}

var _ slog.Handler = (*LogHandler)(nil)

// NewLogHandler wraps inner.
func NewLogHandler(inner slog.Handler) *LogHandler {
	return &LogHandler{inner: inner, bufs: &sync.Pool{New: func() any { return new([8]slog.Attr) }}}
}

// Enabled reports whether inner handles level.
func (h *LogHandler) Enabled(ctx context.Context, level slog.Level) bool {
	return h.inner.Enabled(ctx, level)
}

// Handle adds the context's fields to r and hands it to inner.
func (h *LogHandler) Handle(ctx context.Context, r slog.Record) error {
	sc, traced := spanContext(ctx)
	src, _ := ctx.Value(logAttrsKey{}).(LogAttrs)
	if !traced && src == nil {
		return h.inner.Handle(ctx, r)
	}
	buf := h.bufs.Get().(*[8]slog.Attr)
	defer h.bufs.Put(buf)
	extra := buf[:0]
	if traced {
		extra = append(extra,
			slog.String(LogKeyTraceID, sc.TraceID().String()),
			slog.String(LogKeySpanID, sc.SpanID().String()),
			slog.String(LogKeyTraceFlags, sc.TraceFlags().String()))
	}
	if src != nil {
		extra = src.AppendLogAttrs(extra)
	}
	extra = h.dropPresent(extra, r)
	if len(extra) == 0 {
		return h.inner.Handle(ctx, r)
	}
	if h.base == nil {
		// r is this call's own copy of the logger's record, which the
		// logger drops afterwards: adding to it needs no Clone.
		r.AddAttrs(extra...)
		return h.inner.Handle(ctx, r)
	}
	grouped := h.base.WithAttrs(slices.Clone(extra))
	for _, op := range h.ops {
		grouped = op(grouped)
	}
	return grouped.Handle(ctx, r)
}

// dropPresent removes from extra the attributes with an empty value and
// those whose key the record (outside any group) or WithAttrs already set.
func (h *LogHandler) dropPresent(extra []slog.Attr, r slog.Record) []slog.Attr {
	if h.base == nil && r.NumAttrs() > 0 {
		r.Attrs(func(a slog.Attr) bool {
			for i := range extra {
				if extra[i].Key == a.Key {
					extra[i].Key = ""
				}
			}
			return true
		})
	}
	out := extra[:0]
	for _, a := range extra {
		if a.Key == "" || slices.Contains(h.keys, a.Key) ||
			(a.Value.Kind() == slog.KindString && a.Value.String() == "") {
			continue
		}
		out = append(out, a)
	}
	return out
}

// WithAttrs returns a LogHandler whose inner handler has attrs.
func (h *LogHandler) WithAttrs(attrs []slog.Attr) slog.Handler {
	if len(attrs) == 0 {
		return h
	}
	n := *h
	n.inner = h.inner.WithAttrs(attrs)
	if h.base == nil {
		n.keys = appendKeys(slices.Clip(h.keys), attrs)
	} else {
		n.ops = append(slices.Clip(h.ops), func(x slog.Handler) slog.Handler { return x.WithAttrs(attrs) })
	}
	return &n
}

// WithGroup returns a LogHandler whose inner handler opens group name.
func (h *LogHandler) WithGroup(name string) slog.Handler {
	if name == "" {
		return h
	}
	n := *h
	if h.base == nil {
		n.base = h.inner
	}
	n.inner = h.inner.WithGroup(name)
	n.ops = append(slices.Clip(h.ops), func(x slog.Handler) slog.Handler { return x.WithGroup(name) })
	return &n
}

// appendKeys appends the top-level keys attrs set, looking into inline
// (unnamed) groups.
func appendKeys(keys []string, attrs []slog.Attr) []string {
	for _, a := range attrs {
		if a.Key == "" && a.Value.Kind() == slog.KindGroup {
			keys = appendKeys(keys, a.Value.Group())
			continue
		}
		keys = append(keys, a.Key)
	}
	return keys
}
