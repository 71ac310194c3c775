package streams

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/nats-io/nats.go/jetstream"
	sdktrace "go.opentelemetry.io/otel/sdk/trace"
	"go.opentelemetry.io/otel/sdk/trace/tracetest"
	"go.opentelemetry.io/otel/trace"

	"github.com/escalator/escalator/internal/event"
	"github.com/escalator/escalator/internal/testkit/eventtest"
	"github.com/escalator/escalator/internal/testkit/testserver"
)

func ctxT(t *testing.T) context.Context { return ctxWithin(t, 10*time.Second) }

// ctxWithin is a context the test cancels at its end or after d.
func ctxWithin(t *testing.T, d time.Duration) context.Context {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), d)
	t.Cleanup(cancel)
	return ctx
}

func TestEnsureIdempotentKeepsMessages(t *testing.T) {
	_, js := testserver.Connect(t, testserver.NATS(t))
	ctx := ctxT(t)
	res, err := Ensure(ctx, js, Config{})
	if err != nil {
		t.Fatalf("first ensure: %v", err)
	}
	if _, err := NewPublisher(js, nil).Publish(ctx, eventtest.Insights("e1")); err != nil {
		t.Fatalf("publish: %v", err)
	}
	if _, err := res.Cases.PutString(ctx, "k", "v"); err != nil {
		t.Fatalf("kv put: %v", err)
	}
	res, err = Ensure(ctx, js, Config{})
	if err != nil {
		t.Fatalf("second ensure: %v", err)
	}
	info, err := res.Stream.Info(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if info.State.Msgs != 1 {
		t.Fatalf("stream holds %d messages after re-ensure, want 1", info.State.Msgs)
	}
	if e, err := res.Cases.Get(ctx, "k"); err != nil || string(e.Value()) != "v" {
		t.Fatalf("kv after re-ensure: %v", err)
	}
	ci, err := res.Consumer.Info(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if ci.Config.AckPolicy != jetstream.AckExplicitPolicy || ci.Config.FilterSubject != StreamSubjects ||
		ci.Config.MaxAckPending != 4*DefaultConcurrency || ci.Config.AckWait != DefaultAckWait ||
		ci.Config.MaxDeliver != DefaultMaxDeliver+DeliverMargin {
		t.Fatalf("consumer config %+v", ci.Config)
	}
	if ci.NumPending != 1 {
		t.Fatalf("consumer pending %d, want 1", ci.NumPending)
	}
	for _, kv := range []jetstream.KeyValue{res.Cases, res.Accounts, res.Health, res.Insights, res.Replay, res.Outbox} {
		st, err := kv.Status(ctx)
		if err != nil {
			t.Fatal(err)
		}
		if st.History() != DefaultKVHistory {
			t.Fatalf("bucket %s history %d", st.Bucket(), st.History())
		}
		// Only the outbox records expire, with the events they stand for.
		if want := map[string]time.Duration{BucketOutbox: DefaultMaxAge}[st.Bucket()]; st.TTL() != want {
			t.Fatalf("bucket %s TTL %s, want %s", st.Bucket(), st.TTL(), want)
		}
	}
}

func TestEnsureUpdatesExisting(t *testing.T) {
	_, js := testserver.Connect(t, testserver.NATS(t))
	ctx := ctxT(t)
	// The layout of earlier versions: no size limits, discard old, a
	// consumer that redelivers for ever.
	old := StreamConfig(Config{}.WithDefaults())
	old.MaxAge = time.Hour
	old.Duplicates = time.Minute
	old.MaxBytes = -1
	old.Discard = jetstream.DiscardOld
	if _, err := js.CreateStream(ctx, old); err != nil {
		t.Fatal(err)
	}
	oldDLQ := DLQConfig(Config{}.WithDefaults())
	oldDLQ.MaxBytes = -1
	oldDLQ.Discard = jetstream.DiscardOld
	if _, err := js.CreateStream(ctx, oldDLQ); err != nil {
		t.Fatal(err)
	}
	if _, err := js.CreateOrUpdateConsumer(ctx, StreamName, jetstream.ConsumerConfig{
		Durable: ConsumerName, AckPolicy: jetstream.AckExplicitPolicy, AckWait: time.Minute, FilterSubject: StreamSubjects,
		MaxDeliver: -1,
	}); err != nil {
		t.Fatal(err)
	}
	res, err := Ensure(ctx, js, Config{AckWait: 5 * time.Second, Concurrency: 4})
	if err != nil {
		t.Fatalf("ensure: %v", err)
	}
	info, err := res.Stream.Info(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if info.Config.MaxAge != DefaultMaxAge || info.Config.Duplicates != DefaultDuplicateWindow ||
		info.Config.MaxBytes != DefaultMaxBytes || info.Config.Discard != jetstream.DiscardNew {
		t.Fatalf("stream not updated: max age %s, duplicates %s, max bytes %d, discard %s",
			info.Config.MaxAge, info.Config.Duplicates, info.Config.MaxBytes, info.Config.Discard)
	}
	dlq, err := res.DLQ.Info(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if dlq.Config.MaxBytes != DefaultDLQMaxBytes || dlq.Config.MaxAge != DefaultDLQMaxAge || dlq.Config.Discard != jetstream.DiscardNew {
		t.Fatalf("DLQ not updated: max bytes %d, max age %s, discard %s", dlq.Config.MaxBytes, dlq.Config.MaxAge, dlq.Config.Discard)
	}
	ci, err := res.Consumer.Info(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if ci.Config.AckWait != 5*time.Second || ci.Config.MaxAckPending != 16 ||
		ci.Config.MaxDeliver != ConsumerMaxDeliver(DefaultMaxDeliver) {
		t.Fatalf("consumer not updated: %+v", ci.Config)
	}
}

func TestConfigValidate(t *testing.T) {
	tests := []struct {
		name string
		cfg  Config
	}{
		{"window beyond age", Config{DuplicateWindow: time.Hour, MaxAge: time.Minute}},
		{"negative concurrency", Config{Concurrency: -1}},
		{"too many replicas", Config{Replicas: 7}},
		{"history too long", Config{KVHistory: 100}},
		{"negative max bytes", Config{MaxBytes: -2}},
		{"negative DLQ max bytes", Config{DLQMaxBytes: -5}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if err := tt.cfg.WithDefaults().Validate(); err == nil {
				t.Fatal("want an error")
			}
		})
	}
	if err := (Config{}).WithDefaults().Validate(); err != nil {
		t.Fatalf("defaults invalid: %v", err)
	}
}

func TestPublishDuplicateStoredOnce(t *testing.T) {
	_, js := testserver.Connect(t, testserver.NATS(t))
	ctx := ctxT(t)
	res, err := Ensure(ctx, js, Config{})
	if err != nil {
		t.Fatal(err)
	}
	p := NewPublisher(js, nil)
	first, err := p.Publish(ctx, eventtest.Insights("dup-1"))
	if err != nil {
		t.Fatal(err)
	}
	second, err := p.Publish(ctx, eventtest.Insights("dup-1"))
	if err != nil {
		t.Fatal(err)
	}
	if first.Duplicate || !second.Duplicate || second.Sequence != first.Sequence {
		t.Fatalf("first %+v second %+v", first, second)
	}
	other, err := p.Publish(ctx, eventtest.Insights("dup-1"), WithMsgID("other"), WithHeader("X-Test", "1"))
	if err != nil || other.Duplicate {
		t.Fatalf("override id: %+v %v", other, err)
	}
	info, err := res.Stream.Info(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if info.State.Msgs != 2 {
		t.Fatalf("stream holds %d, want 2", info.State.Msgs)
	}
	msg, err := res.Stream.GetMsg(ctx, other.Sequence)
	if err != nil {
		t.Fatal(err)
	}
	if msg.Header.Get(jetstream.MsgIDHeader) != "other" || msg.Header.Get("X-Test") != "1" {
		t.Fatalf("headers %v", msg.Header)
	}
	got, err := event.Decode(msg.Data)
	if err != nil || got.ID != "dup-1" {
		t.Fatalf("body does not decode: %v", err)
	}
}

func TestPublishUnavailable(t *testing.T) {
	t.Run("no stream", func(t *testing.T) {
		_, js := testserver.Connect(t, testserver.NATS(t))
		_, err := NewPublisher(js, nil).Publish(ctxT(t), eventtest.Insights("x"))
		if !errors.Is(err, ErrUnavailable) {
			t.Fatalf("want ErrUnavailable, got %v", err)
		}
	})
	t.Run("server stopped", func(t *testing.T) {
		srv := testserver.NATS(t)
		_, js := testserver.Connect(t, srv)
		if _, err := Ensure(ctxT(t), js, Config{}); err != nil {
			t.Fatal(err)
		}
		srv.Shutdown()
		ctx, cancel := context.WithTimeout(context.Background(), 500*time.Millisecond)
		defer cancel()
		_, err := NewPublisher(js, nil).Publish(ctx, eventtest.Insights("x"))
		if !errors.Is(err, ErrUnavailable) {
			t.Fatalf("want ErrUnavailable, got %v", err)
		}
	})
	t.Run("unknown type is not unavailable", func(t *testing.T) {
		_, js := testserver.Connect(t, testserver.NATS(t))
		ev := eventtest.Insights("x")
		ev.Type = "com.example.unknown"
		_, err := NewPublisher(js, nil).Publish(ctxT(t), ev)
		if err == nil || errors.Is(err, ErrUnavailable) {
			t.Fatalf("want a permanent error, got %v", err)
		}
	})
}

func TestPublishTraceContext(t *testing.T) {
	const remote = "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01"
	remoteTrace, _ := trace.TraceIDFromHex("4bf92f3577b34da6a3ce929d0e0e4736")

	_, js := testserver.Connect(t, testserver.NATS(t))
	res, err := Ensure(ctxT(t), js, Config{})
	if err != nil {
		t.Fatal(err)
	}
	exp := tracetest.NewInMemoryExporter()
	tp := sdktrace.NewTracerProvider(sdktrace.WithSyncer(exp))
	p := NewPublisher(js, tp)

	parentCtx, parent := tp.Tracer("test").Start(context.Background(), "parent")
	defer parent.End()

	tests := []struct {
		name        string
		ctx         context.Context
		traceparent string
		wantTrace   trace.TraceID
	}{
		{"from event traceparent", context.Background(), remote, remoteTrace},
		{"ctx span wins over event", parentCtx, remote, parent.SpanContext().TraceID()},
		{"ctx span only", parentCtx, "", parent.SpanContext().TraceID()},
	}
	for i, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			exp.Reset()
			ev := eventtest.Insights("trace-" + string(rune('a'+i)))
			ev.TraceParent = tt.traceparent
			ack, err := p.Publish(tt.ctx, ev)
			if err != nil {
				t.Fatal(err)
			}
			spans := exp.GetSpans()
			if len(spans) != 1 {
				t.Fatalf("%d spans, want 1", len(spans))
			}
			s := spans[0]
			if s.Name != "send "+event.SubjectInsights || s.SpanKind != trace.SpanKindProducer {
				t.Fatalf("span %q kind %v", s.Name, s.SpanKind)
			}
			if s.SpanContext.TraceID() != tt.wantTrace {
				t.Fatalf("trace %s, want %s", s.SpanContext.TraceID(), tt.wantTrace)
			}
			attrs := map[string]string{}
			for _, a := range s.Attributes {
				attrs[string(a.Key)] = a.Value.Emit()
			}
			want := map[string]string{
				"messaging.system":           "nats",
				"messaging.destination.name": event.SubjectInsights,
				"messaging.message.id":       ev.ID,
				"app.incident.number":        "INC0010023",
			}
			for k, v := range want {
				if attrs[k] != v {
					t.Errorf("attribute %s = %q, want %q", k, attrs[k], v)
				}
			}
			msg, err := res.Stream.GetMsg(context.Background(), ack.Sequence)
			if err != nil {
				t.Fatal(err)
			}
			tp := msg.Header["traceparent"]
			if len(tp) != 1 {
				t.Fatalf("no lower-case traceparent header: %v", msg.Header)
			}
			wantTP := "00-" + tt.wantTrace.String() + "-" + s.SpanContext.SpanID().String() + "-01"
			if tp[0] != wantTP {
				t.Fatalf("traceparent %s, want %s", tp[0], wantTP)
			}
		})
	}
}
