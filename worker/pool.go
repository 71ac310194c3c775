package worker

import (
	"errors"
	"log/slog"
	"sync/atomic"
	"time"

	"github.com/nats-io/nats.go/jetstream"

	"github.com/escalator/escalator/internal/event"
)

// The worker runs handlers on Concurrency long-lived goroutines rather than
// one fresh goroutine per message: a fresh goroutine's small stack grows
// (and is copied) during every JSON decode, which cost more CPU than the
// decode itself. One worker-wide ticker keeps long handlers alive instead
// of a ticker goroutine per message.

// delivery is one message being handled; exactly one party settles it.
type delivery struct {
	msg jetstream.Msg
	// received is when a pool goroutine took the message, the start of
	// messaging.process.duration.
	received time.Time
	// progressed is when the message's AckWait last restarted: its
	// receipt by a pool goroutine or the last InProgress, as time since the
	// worker's epoch.
	progressed atomic.Int64
	settled    atomic.Bool
	// message and event are what the handler gets, allocated with the
	// delivery rather than on their own.
	message Message
	event   event.Event
}

// claim reports whether the caller may settle d (only the first caller may).
func (d *delivery) claim() bool { return d.settled.CompareAndSwap(false, true) }

// slot is what one pool goroutine is handling, nil while it is idle.
type slot struct {
	cur atomic.Pointer[delivery]
}

// since is the monotonic time since the worker's epoch.
func (w *Worker) since() int64 { return int64(time.Since(w.epoch)) }

// serve is one pool goroutine: it takes the next message from the
// iterator whenever it is idle, so no message waits in a hand-off and a
// goroutine that finds one already buffered runs it without being woken.
// Next is safe for concurrent use (it holds the iterator's lock). It
// returns once the iterator is closed.
func (w *Worker) serve(s *slot, it jetstream.MessagesContext) {
	for {
		m, err := it.Next()
		if errors.Is(err, jetstream.ErrNoHeartbeat) {
			// The pull request was lost (a NATS node or the consumer's
			// leader went away): the iterator issues a new one and goes on.
			w.log.Warn("consume: no heartbeat from the consumer; pulling again", slog.String("error", err.Error()))
			continue
		}
		if err != nil {
			if !errors.Is(err, jetstream.ErrMsgIteratorClosed) {
				w.log.Warn("consume", slog.String("error", err.Error()))
			}
			w.endedOnce.Do(func() { close(w.ended) })
			return
		}
		d := &delivery{msg: m}
		d.progressed.Store(w.since())
		w.run(s, d)
	}
}

// run handles d in slot s, unless the worker is stopping: a delivery
// handed over as the drain began goes back at once.
func (w *Worker) run(s *slot, d *delivery) {
	w.mu.Lock()
	if w.stopping {
		w.mu.Unlock()
		w.requeue(d.msg)
		return
	}
	d.received = time.Now()
	s.cur.Store(d)
	w.mu.Unlock()
	defer s.cur.Store(nil)
	w.process(d)
}

// keepAlive sends InProgress for every running message whose AckWait last
// restarted ProgressInterval ago or nearly so. It looks every quarter
// interval and acts from three quarters on, so no message waits longer
// than ProgressInterval for its InProgress.
func (w *Worker) keepAlive(quit <-chan struct{}) {
	every := max(w.cfg.ProgressInterval/4, time.Millisecond)
	due := int64(max(w.cfg.ProgressInterval-every, 0))
	t := time.NewTicker(every)
	defer t.Stop()
	for {
		select {
		case <-quit:
			return
		case <-t.C:
		}
		now := w.since()
		for i := range w.slots {
			d := w.slots[i].cur.Load()
			if d == nil || d.settled.Load() || now-d.progressed.Load() < due {
				continue
			}
			_ = d.msg.InProgress()
			d.progressed.Store(now)
		}
	}
}
