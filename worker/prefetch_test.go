package worker

import (
	"context"
	"sync/atomic"
	"testing"
	"time"

	sdkmetric "go.opentelemetry.io/otel/sdk/metric"

	"github.com/escalator/escalator/internal/event"
	"github.com/escalator/escalator/internal/streams"
)

// sleeper is a handler that takes d for each message (or until ctx ends).
func sleeper(rec *recorder, d *atomic.Int64) *recorder {
	rec.fn = func(ctx context.Context, _ *Message, _ int) error {
		select {
		case <-time.After(time.Duration(d.Load())):
			return nil
		case <-ctx.Done():
			return ctx.Err()
		}
	}
	return rec
}

// checkOnce fails unless every id was handled exactly once, on its first
// delivery, and the consumer redelivered nothing.
func checkOnce(t *testing.T, e *env, rec *recorder, all []string) {
	t.Helper()
	seen := map[string]int{}
	for _, c := range rec.snapshot() {
		seen[c.id]++
		if c.numDelivered != 1 {
			t.Errorf("%s handled on delivery %d: its AckWait ran out while it waited", c.id, c.numDelivered)
		}
	}
	for _, id := range all {
		if seen[id] != 1 {
			t.Errorf("%s handled %d times, want 1", id, seen[id])
		}
	}
	ci, err := e.res.Consumer.Info(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	if ci.NumRedelivered != 0 {
		t.Errorf("%d messages redelivered", ci.NumRedelivered)
	}
}

// A prefetch far larger than the handlers can start within AckWait: the
// fast feed buffers all 24 messages, the two handlers take 3 s for them,
// three AckWaits. The worker takes what was buffered out of the feed and
// keeps it alive, so none is redelivered or handled twice.
func TestLargePrefetchWithSlowHandlersNeverLetsABufferedMessageExpire(t *testing.T) {
	const ackWait = time.Second
	e := newEnv(t, streams.Config{AckWait: ackWait, Concurrency: 2, MaxAckPending: 100})
	all := ids("slow", 24)
	e.publish(t, all...)
	var work atomic.Int64
	work.Store(int64(250 * time.Millisecond))
	rec := sleeper(&recorder{}, &work)
	w, _ := e.start(t, map[string]Handler{event.SubjectInsights: rec}, Config{Concurrency: 2, Prefetch: 50})
	eventually(t, 20*time.Second, "every message handled", func() bool { return rec.count() >= len(all) && e.settledAll(t) })
	checkOnce(t, e, rec, all)
	if f := w.cur.Load(); f != nil && f.prefetch != 2 {
		t.Errorf("prefetch %d after slow handlers, want 2 (one per handler)", f.prefetch)
	}
}

// After slow handlers lowered the prefetch, handlers that keep up raise it
// again, and a later slowdown lowers it again without a redelivery.
func TestPrefetchFollowsTheHandlers(t *testing.T) {
	const ackWait = 2 * time.Second
	e := newEnv(t, streams.Config{AckWait: ackWait, Concurrency: 2, MaxAckPending: 200})
	var work atomic.Int64
	work.Store(int64(200 * time.Millisecond))
	rec := sleeper(&recorder{}, &work)
	w, _ := e.start(t, map[string]Handler{event.SubjectInsights: rec}, Config{Concurrency: 2, Prefetch: 20})
	prefetch := func() int {
		if f := w.cur.Load(); f != nil {
			return f.prefetch
		}
		return 0
	}
	slow := ids("slow-a", 10)
	e.publish(t, slow...)
	eventually(t, 10*time.Second, "prefetch lowered", func() bool { return prefetch() == 2 })

	work.Store(0)
	fast := ids("fast", 100)
	e.publish(t, fast...)
	eventually(t, 10*time.Second, "prefetch raised", func() bool { return prefetch() == 20 })
	eventually(t, 10*time.Second, "fast ones handled", func() bool { return rec.count() >= len(slow)+len(fast) })

	work.Store(int64(200 * time.Millisecond))
	again := ids("slow-b", 30)
	e.publish(t, again...)
	eventually(t, 20*time.Second, "every message handled", func() bool {
		return rec.count() >= len(slow)+len(fast)+len(again) && e.settledAll(t)
	})
	checkOnce(t, e, rec, append(append(slow, fast...), again...))
	if got := prefetch(); got != 2 && got != 0 {
		t.Errorf("prefetch %d after the second slowdown, want 2", got)
	}
}

// Messages taken out of a fast feed and held when the drain begins go back
// at once, while every handler is still busy, and the next worker handles
// each exactly once.
func TestDrainReturnsHeldMessages(t *testing.T) {
	e := newEnv(t, streams.Config{AckWait: 2 * time.Second, Concurrency: 2, MaxAckPending: 100})
	a := &acks{n: map[string]int{}}
	release := make(chan struct{})
	busy := HandlerFunc(func(_ context.Context, m *Message) error {
		<-release
		a.add(m.Event.ID)
		return nil
	})
	all := ids("held", 20)
	e.publish(t, all...)
	reader := sdkmetric.NewManualReader()
	mp := sdkmetric.NewMeterProvider(sdkmetric.WithReader(reader))
	w, stop := e.start(t, map[string]Handler{event.SubjectInsights: busy},
		Config{Concurrency: 2, Prefetch: 50, DrainTimeout: 20 * time.Second, MeterProvider: mp})
	freed := false
	free := func() {
		if !freed {
			freed = true
			close(release)
		}
	}
	t.Cleanup(free)
	eventually(t, 5*time.Second, "buffered messages held", func() bool { return w.held.len() >= 10 })
	stopped := make(chan struct{})
	go func() { stop(); close(stopped) }()
	held := w.held.len()
	eventually(t, 5*time.Second, "held messages returned", func() bool { return drainedCount(t, reader) >= int64(held) })
	free()
	<-stopped

	a.finish(t, e, all)
}
