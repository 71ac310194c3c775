package worker

import (
	"context"
	"sync"
	"testing"
	"time"

	sdkmetric "go.opentelemetry.io/otel/sdk/metric"

	"github.com/escalator/escalator/internal/event"
	"github.com/escalator/escalator/internal/streams"
	"github.com/escalator/escalator/internal/testkit/metrictest"
)

// acks counts, per event id, the handler runs that succeeded (each is
// followed by an Ack).
type acks struct {
	mu sync.Mutex
	n  map[string]int
}

func (a *acks) handler(work time.Duration) Handler {
	return HandlerFunc(func(ctx context.Context, m *Message) error {
		select {
		case <-time.After(work):
		case <-ctx.Done():
			return ctx.Err()
		}
		a.add(m.Event.ID)
		return nil
	})
}

func (a *acks) add(id string) {
	a.mu.Lock()
	a.n[id]++
	a.mu.Unlock()
}

// wantEachOnce checks each event of all was acked exactly once.
func (a *acks) wantEachOnce(t *testing.T, all []string) {
	t.Helper()
	a.mu.Lock()
	defer a.mu.Unlock()
	for _, id := range all {
		if a.n[id] != 1 {
			t.Errorf("event %s acked %d times, want exactly 1", id, a.n[id])
		}
	}
}

func (a *acks) total() int {
	a.mu.Lock()
	defer a.mu.Unlock()
	s := 0
	for _, v := range a.n {
		s += v
	}
	return s
}

// finish runs a fresh worker on e until every event of all is handled,
// and checks each was acked exactly once.
func (a *acks) finish(t *testing.T, e *env, all []string) {
	t.Helper()
	e.start(t, map[string]Handler{event.SubjectInsights: a.handler(0)}, Config{})
	eventually(t, 10*time.Second, "every event handled", func() bool { return a.total() >= len(all) && e.settledAll(t) })
	a.wantEachOnce(t, all)
}

func TestDrainLosesNothingAndHandlesNothingTwice(t *testing.T) {
	const n = 200
	e := newEnv(t, streams.Config{AckWait: 5 * time.Second})
	all := ids("drain", n)
	e.publish(t, all...)

	a := &acks{n: map[string]int{}}
	handlers := map[string]Handler{event.SubjectInsights: a.handler(5 * time.Millisecond)}
	cfg := Config{Concurrency: 8, DrainTimeout: 5 * time.Second}
	first, stop := e.start(t, handlers, cfg)
	eventually(t, 10*time.Second, "a quarter handled", func() bool { return a.total() >= n/4 })
	stop()
	if first.InFlight() != 0 {
		t.Fatalf("%d handlers in flight after Run returned", first.InFlight())
	}
	handledByFirst := a.total()
	if handledByFirst >= n {
		t.Fatalf("first worker handled everything before the cancel; the test proves nothing")
	}

	e.start(t, handlers, cfg)
	eventually(t, 20*time.Second, "every event handled", func() bool { return a.total() >= n && e.settledAll(t) })
	a.wantEachOnce(t, all)
	t.Logf("first worker handled %d of %d before the drain", handledByFirst, n)
}

func TestDrainTimeoutNaksRunningHandler(t *testing.T) {
	e := newEnv(t, streams.Config{AckWait: 5 * time.Second})
	started := make(chan struct{}, 1)
	stuck := HandlerFunc(func(ctx context.Context, _ *Message) error {
		started <- struct{}{}
		<-ctx.Done() // outlives the drain timeout
		return ctx.Err()
	})
	_, stop := e.start(t, map[string]Handler{event.SubjectInsights: stuck}, Config{DrainTimeout: 100 * time.Millisecond})
	e.publish(t, "stuck-1")
	select {
	case <-started:
	case <-time.After(5 * time.Second):
		t.Fatal("handler never started")
	}
	stop()

	// The message was Nak'ed, not retried with a backoff nor lost: the next
	// worker gets it at once, as its second delivery.
	rec := &recorder{}
	e.start(t, map[string]Handler{event.SubjectInsights: rec}, Config{})
	eventually(t, 3*time.Second, "redelivered and acked", func() bool { return rec.count() == 1 && e.settledAll(t) })
	if got := rec.snapshot()[0].numDelivered; got != 2 {
		t.Fatalf("delivery count %d, want 2", got)
	}
	if n := e.dlqCount(t); n != 0 {
		t.Fatalf("%d dead letters", n)
	}
}

func TestDrainNaksBufferedMessagesWhileEveryHandlerIsBusy(t *testing.T) {
	e := newEnv(t, streams.Config{AckWait: 2 * time.Second})
	reader := sdkmetric.NewManualReader()
	mp := sdkmetric.NewMeterProvider(sdkmetric.WithReader(reader))
	drained := func() int64 { return drainedCount(t, reader) }

	a := &acks{n: map[string]int{}}
	release := make(chan struct{})
	started := make(chan struct{}, 10)
	busy := HandlerFunc(func(_ context.Context, m *Message) error {
		started <- struct{}{}
		<-release
		a.add(m.Event.ID)
		return nil
	})
	all := ids("buffered", 10)
	e.publish(t, all...)
	_, stop := e.start(t, map[string]Handler{event.SubjectInsights: busy},
		Config{Concurrency: 4, DrainTimeout: 20 * time.Second, MeterProvider: mp})
	var once sync.Once
	free := func() { once.Do(func() { close(release) }) }
	t.Cleanup(free) // runs before stop on failure
	for range 4 {
		select {
		case <-started:
		case <-time.After(20 * time.Second):
			t.Fatal("handlers never started")
		}
	}
	eventually(t, 20*time.Second, "messages buffered", func() bool {
		ci, err := e.res.Consumer.Info(context.Background())
		return err == nil && ci.NumAckPending > 4
	})
	stopped := make(chan struct{})
	go func() { stop(); close(stopped) }()
	// The buffered messages go back while every handler is still busy,
	// not after one frees up (none does before free: the deadline only
	// bounds a loaded machine's wait).
	eventually(t, 20*time.Second, "buffered messages Nak'ed", func() bool { return drained() > 0 })
	free()
	<-stopped

	a.finish(t, e, all)
}

func TestRunFailsWhenTheConsumerIsDeleted(t *testing.T) {
	e := newEnv(t, streams.Config{})
	w, err := New(e.res.Consumer, e.js, map[string]Handler{event.SubjectInsights: &recorder{}}, Config{Concurrency: 4})
	if err != nil {
		t.Fatal(err)
	}
	done := make(chan error, 1)
	go func() { done <- w.Run(context.Background()) }()
	e.publish(t, "before-delete")
	eventually(t, 5*time.Second, "message handled", func() bool { return e.settledAll(t) })
	info := e.res.Consumer.CachedInfo()
	if err := e.js.DeleteConsumer(context.Background(), info.Stream, info.Name); err != nil {
		t.Fatal(err)
	}
	select {
	case err := <-done:
		if err == nil {
			t.Fatal("Run returned nil after its consumer was deleted")
		}
	case <-time.After(10 * time.Second):
		t.Fatal("Run did not return after its consumer was deleted")
	}
}

// drainedCount is the escalator.messages count with outcome drained.
func drainedCount(t *testing.T, reader *sdkmetric.ManualReader) int64 {
	t.Helper()
	return metrictest.Sum(t, reader, "escalator.messages", metrictest.Is("outcome", OutcomeDrained))
}
