package worker

import (
	"context"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/nats-io/nats.go/jetstream"

	"github.com/escalator/escalator/internal/event"
	"github.com/escalator/escalator/internal/fault"
	"github.com/escalator/escalator/internal/streams"
	"github.com/escalator/escalator/internal/testkit/eventtest"
)

func TestSuccessAckedOnce(t *testing.T) {
	e := newEnv(t, streams.Config{AckWait: 2 * time.Second})
	rec := &recorder{}
	e.start(t, map[string]Handler{event.SubjectInsights: rec}, Config{})
	e.publish(t, "ok-1", "ok-2")
	eventually(t, 5*time.Second, "both acked", func() bool { return e.settledAll(t) && rec.count() == 2 })

	ci, err := e.res.Consumer.Info(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	if ci.NumRedelivered != 0 || ci.AckFloor.Stream != 2 {
		t.Fatalf("consumer after acks: redelivered %d, ack floor %d", ci.NumRedelivered, ci.AckFloor.Stream)
	}
	if got := rec.count(); got != 2 {
		t.Fatalf("handler called %d times, want 2", got)
	}
	if n := e.dlqCount(t); n != 0 {
		t.Fatalf("%d dead letters", n)
	}
}

func TestTransientRetriedWithGrowingDelayThenDeadLettered(t *testing.T) {
	e := newEnv(t, streams.Config{AckWait: 5 * time.Second})
	failure := errors.New("graph answered 503")
	rec := &recorder{fn: func(context.Context, *Message, int) error { return failure }}
	cfg := Config{MaxDeliver: 4, BackoffInitial: 50 * time.Millisecond, BackoffMax: time.Second}
	e.start(t, map[string]Handler{event.SubjectInsights: rec}, cfg)
	e.publish(t, "flaky-1")
	eventually(t, 5*time.Second, "dead letter", func() bool { return e.dlqCount(t) == 1 })
	eventually(t, 5*time.Second, "consumer settled", func() bool { return e.settledAll(t) })

	calls := rec.snapshot()
	if len(calls) != 4 {
		t.Fatalf("handler called %d times, want 4 (MaxDeliver)", len(calls))
	}
	want := []time.Duration{50 * time.Millisecond, 100 * time.Millisecond, 200 * time.Millisecond}
	for i, w := range want {
		if calls[i+1].numDelivered != uint64(i+2) {
			t.Fatalf("call %d has delivery count %d", i+1, calls[i+1].numDelivered)
		}
		if gap := calls[i+1].at.Sub(calls[i].at); gap < w {
			t.Errorf("gap before delivery %d is %s, want at least %s", i+2, gap, w)
		}
	}

	dl := e.deadLetters(t)[0]
	orig, err := e.res.Stream.GetMsg(context.Background(), 1)
	if err != nil {
		t.Fatal(err)
	}
	wantHeaders := map[string]string{
		streams.HeaderOrigSubject: event.SubjectInsights,
		streams.HeaderOrigSeq:     "1",
		streams.HeaderDeliveries:  "4",
		streams.HeaderErrorClass:  "transient",
		streams.HeaderReason:      "graph answered 503",
		jetstream.MsgIDHeader:     "dlq-1",
		"traceparent":             orig.Header.Get("traceparent"),
	}
	for k, v := range wantHeaders {
		if got := dl.Header.Get(k); got != v {
			t.Errorf("dead letter header %s = %q, want %q", k, got, v)
		}
	}
	if _, err := time.Parse(time.RFC3339, dl.Header.Get(streams.HeaderFailedAt)); err != nil {
		t.Errorf("failed-at header: %v", err)
	}
	if dl.Subject != "dlq."+event.SubjectInsights || string(dl.Data) != string(orig.Data) {
		t.Errorf("dead letter subject %q or body differs", dl.Subject)
	}
}

func TestRetryAfterRespected(t *testing.T) {
	e := newEnv(t, streams.Config{AckWait: 5 * time.Second})
	rec := &recorder{fn: func(_ context.Context, _ *Message, n int) error {
		if n == 1 {
			return fault.AsTransient(errors.New("429"), 300*time.Millisecond)
		}
		return nil
	}}
	e.start(t, map[string]Handler{event.SubjectInsights: rec},
		Config{BackoffInitial: 10 * time.Millisecond, BackoffMax: 20 * time.Millisecond})
	e.publish(t, "throttled")
	eventually(t, 5*time.Second, "second delivery acked", func() bool { return rec.count() == 2 && e.settledAll(t) })
	calls := rec.snapshot()
	if gap := calls[1].at.Sub(calls[0].at); gap < 300*time.Millisecond {
		t.Fatalf("redelivered after %s, before the 300ms Retry-After", gap)
	}
}

func TestDeadLetteredAtOnce(t *testing.T) {
	tests := []struct {
		name       string
		subject    string
		body       []byte
		handlerErr error
		wantReason string
	}{
		{
			name:       "permanent error",
			subject:    event.SubjectInsights,
			handlerErr: fault.Permanentf("incident %s not found", "INC0010023"),
			wantReason: "incident INC0010023 not found",
		},
		{
			name:       "undecodable body",
			subject:    event.SubjectInsights,
			body:       []byte(`{"specversion":"1.0","id":"x"}`),
			wantReason: "invalid event",
		},
		{
			name:       "not json",
			subject:    event.SubjectInsights,
			body:       []byte("\x00garbage"),
			wantReason: "body",
		},
		{
			name:       "unknown subject",
			subject:    "escalator.incident.unknown",
			wantReason: "no handler for subject escalator.incident.unknown",
		},
		{
			name:       "handler panic",
			subject:    event.SubjectInsights,
			handlerErr: errPanic,
			wantReason: "handler panic",
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			e := newEnv(t, streams.Config{AckWait: 5 * time.Second})
			rec := &recorder{fn: func(context.Context, *Message, int) error {
				if tt.handlerErr == errPanic {
					panic("boom")
				}
				return tt.handlerErr
			}}
			e.start(t, map[string]Handler{event.SubjectInsights: rec},
				Config{BackoffInitial: 10 * time.Millisecond, BackoffMax: 10 * time.Millisecond})
			body := tt.body
			if body == nil {
				var err error
				if body, err = eventtest.Insights("dead-1").Marshal(); err != nil {
					t.Fatal(err)
				}
			}
			if _, err := e.js.Publish(context.Background(), tt.subject, body, jetstream.WithMsgID("dead-1")); err != nil {
				t.Fatal(err)
			}
			eventually(t, 5*time.Second, "dead letter", func() bool { return e.dlqCount(t) == 1 })
			eventually(t, 5*time.Second, "consumer settled", func() bool { return e.settledAll(t) })
			dl := e.deadLetters(t)[0]
			if got := dl.Header.Get(streams.HeaderErrorClass); got != "permanent" {
				t.Errorf("class %q", got)
			}
			if got := dl.Header.Get(streams.HeaderDeliveries); got != "1" {
				t.Errorf("deliveries %q, want 1", got)
			}
			if got := dl.Header.Get(streams.HeaderReason); !strings.Contains(got, tt.wantReason) {
				t.Errorf("reason %q does not contain %q", got, tt.wantReason)
			}
			if tt.handlerErr == nil && rec.count() != 0 {
				t.Errorf("handler ran %d times on an undeliverable message", rec.count())
			}
		})
	}
}

var errPanic = errors.New("panic marker")

func TestDeadLetterPublishFailureRetries(t *testing.T) {
	e := newEnv(t, streams.Config{AckWait: 5 * time.Second})
	ctx := context.Background()
	if err := e.js.DeleteStream(ctx, streams.DLQStreamName); err != nil {
		t.Fatal(err)
	}
	rec := &recorder{fn: func(ctx context.Context, _ *Message, n int) error {
		if n == 2 {
			// The DLQ is back for the second delivery.
			if _, err := e.js.CreateOrUpdateStream(ctx, streams.DLQConfig(streams.Config{}.WithDefaults())); err != nil {
				t.Errorf("recreate dlq: %v", err)
			}
		}
		return fault.Permanentf("bad request")
	}}
	e.start(t, map[string]Handler{event.SubjectInsights: rec},
		Config{BackoffInitial: 10 * time.Millisecond, BackoffMax: 10 * time.Millisecond, SettleTimeout: time.Second})
	e.publish(t, "dlq-down")
	eventually(t, 10*time.Second, "dlq recreated on the second delivery", func() bool {
		s, err := e.js.Stream(ctx, streams.DLQStreamName)
		e.res.DLQ = s
		return err == nil
	})
	eventually(t, 5*time.Second, "dead letter", func() bool { return e.dlqCount(t) == 1 })
	eventually(t, 5*time.Second, "consumer settled", func() bool { return e.settledAll(t) })
	if got := e.deadLetters(t)[0].Header.Get(streams.HeaderDeliveries); got != "2" {
		t.Fatalf("dead letter after %s deliveries, want 2", got)
	}
}

func TestOverDeliveredDeadLetteredWithoutHandler(t *testing.T) {
	e := newEnv(t, streams.Config{AckWait: 200 * time.Millisecond})
	e.publish(t, "crashed")
	// A worker that crashed: it fetched the message and never settled it.
	batch, err := e.res.Consumer.Fetch(1, jetstream.FetchMaxWait(2*time.Second))
	if err != nil {
		t.Fatal(err)
	}
	for range batch.Messages() {
	}
	rec := &recorder{}
	e.start(t, map[string]Handler{event.SubjectInsights: rec}, Config{MaxDeliver: 1, ProgressInterval: 50 * time.Millisecond})
	eventually(t, 5*time.Second, "dead letter", func() bool { return e.dlqCount(t) == 1 })
	if rec.count() != 0 {
		t.Fatalf("handler ran past MaxDeliver")
	}
	if got := e.deadLetters(t)[0].Header.Get(streams.HeaderDeliveries); got != "2" {
		t.Fatalf("deliveries %s", got)
	}
}

func TestInProgressKeepsLongHandler(t *testing.T) {
	const ackWait = 300 * time.Millisecond
	e := newEnv(t, streams.Config{AckWait: ackWait})
	rec := &recorder{fn: func(ctx context.Context, _ *Message, _ int) error {
		select { // work that takes over three AckWaits
		case <-time.After(4 * ackWait):
			return nil
		case <-ctx.Done():
			return ctx.Err()
		}
	}}
	e.start(t, map[string]Handler{event.SubjectInsights: rec}, Config{Concurrency: 4})
	e.publish(t, "slow-1")
	eventually(t, 5*time.Second, "acked", func() bool { return e.settledAll(t) && rec.count() >= 1 })
	ci, err := e.res.Consumer.Info(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	if rec.count() != 1 || ci.NumRedelivered != 0 {
		t.Fatalf("handler called %d times, %d redelivered; want 1 and 0", rec.count(), ci.NumRedelivered)
	}
}

func TestInProgressKeepsMessageWaitingForAFreeHandler(t *testing.T) {
	const ackWait = 300 * time.Millisecond
	e := newEnv(t, streams.Config{AckWait: ackWait})
	rec := &recorder{fn: func(ctx context.Context, _ *Message, _ int) error {
		select { // each takes over two AckWaits, one at a time
		case <-time.After(3 * ackWait):
			return nil
		case <-ctx.Done():
			return ctx.Err()
		}
	}}
	e.start(t, map[string]Handler{event.SubjectInsights: rec}, Config{Concurrency: 1})
	e.publish(t, "queued-1", "queued-2")
	eventually(t, 10*time.Second, "both acked", func() bool { return e.settledAll(t) && rec.count() >= 2 })
	ci, err := e.res.Consumer.Info(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	if rec.count() != 2 || ci.NumRedelivered != 0 {
		t.Fatalf("handler called %d times, %d redelivered; want 2 and 0", rec.count(), ci.NumRedelivered)
	}
}

// A handler whose JetStream bucket has no leader for a while (the quorum
// just came back and the bucket's election is still running, as after a
// cluster lost two of three nodes) fails with "no response from stream".
// Those failures wait for an election between deliveries, so the
// dead-letter budget outlasts it, however short BackoffInitial is: the
// event is handled, not dead-lettered.
func TestLeaderlessBucketOutlastedNotDeadLettered(t *testing.T) {
	e := newEnv(t, streams.Config{AckWait: 5 * time.Second})
	ctx := context.Background()
	bucket := jetstream.KeyValueConfig{Bucket: "claims"}
	kv, err := e.js.CreateKeyValue(ctx, bucket)
	if err != nil {
		t.Fatal(err)
	}
	// The bucket's stream answers nothing, as one without a leader; it is
	// back 3 s after the first failure. Each failed Create takes about half
	// a second (nats.go retries a publish nobody answered), so BackoffInitial
	// alone would spend the three deliveries in less.
	if err := e.js.DeleteKeyValue(ctx, bucket.Bucket); err != nil {
		t.Fatal(err)
	}
	back := make(chan error, 1)
	rec := &recorder{fn: func(ctx context.Context, m *Message, n int) error {
		_, err := kv.Create(ctx, m.Event.ID, []byte("done"))
		if err != nil && n == 1 {
			time.AfterFunc(3*time.Second, func() {
				_, err := e.js.CreateKeyValue(context.Background(), bucket)
				back <- err
			})
		}
		return err
	}}
	cfg := Config{MaxDeliver: 3, BackoffInitial: 10 * time.Millisecond, BackoffMax: time.Second}
	e.start(t, map[string]Handler{event.SubjectInsights: rec}, cfg)
	e.publish(t, "after-quorum")

	eventually(t, 4*leaderElection, "event handled or dead-lettered", func() bool {
		return e.dlqCount(t) > 0 || e.settledAll(t) && rec.count() > 1
	})
	if n := e.dlqCount(t); n != 0 {
		t.Fatalf("%d dead letters after %d deliveries: the retries were spent before the bucket was back", n, rec.count())
	}
	if err := <-back; err != nil {
		t.Fatalf("recreate the bucket: %v", err)
	}
	if _, err := kv.Get(ctx, "after-quorum"); err != nil {
		t.Fatalf("effect not stored: %v", err)
	}
	calls := rec.snapshot()
	if gap := calls[1].at.Sub(calls[0].at); gap < leaderElection {
		t.Errorf("redelivered %s after a leaderless failure, want at least %s", gap, leaderElection)
	}
}
