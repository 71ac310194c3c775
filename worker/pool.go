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
// decode itself. Each goroutine takes its next message from the feed
// itself and runs it, so a message is never handed from one goroutine to
// another on the way. One worker-wide ticker keeps long handlers alive
// instead of a ticker goroutine per message.

// delivery is one message being handled; exactly one party settles it.
type delivery struct {
	msg jetstream.Msg
	// received is when a pool goroutine took the message, the start of
	// messaging.process.duration.
	received time.Time
	// progressed is when the message's AckWait last restarted as far as
	// the worker knows, as time since the worker's epoch: its receipt (less
	// the most it can have waited in a fast feed's buffer), a rescue, or the
	// last InProgress. Zero: not received yet.
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

// serve is one pool goroutine: whenever it is idle it takes a held message
// (see rescue), else the next message of the current feed, and runs it.
// Next is safe for concurrent use (it holds the iterator's lock). It
// returns once the worker stops or consuming ends by itself.
func (w *Worker) serve(s *slot) {
	f := w.cur.Load()
	for {
		if d := w.held.take(); d != nil {
			w.run(s, d, 0)
			continue
		}
		if f == nil {
			var err error
			if f, err = w.idleFeed(); err != nil {
				if !errors.Is(err, errStopping) {
					w.log.Warn("consume", slog.String("error", err.Error()))
					w.end()
				}
				return
			}
			if f == nil {
				continue // messages were held meanwhile: those first
			}
		}
		m, err := f.it.Next()
		switch {
		case err == nil:
		case errors.Is(err, jetstream.ErrNoHeartbeat):
			// The pull request was lost (a NATS node or the consumer's
			// leader went away, or nats.go skipped a refill): the iterator
			// issues a new one and goes on.
			w.log.Warn("consume: no heartbeat from the consumer; pulling again", slog.String("error", err.Error()))
			continue
		case errors.Is(err, jetstream.ErrMsgIteratorClosed) && f.retired.Load():
			// Replaced (or drained) by the worker, and empty now.
			w.forget(f)
			f = nil
			continue
		default:
			if !errors.Is(err, jetstream.ErrMsgIteratorClosed) {
				w.log.Warn("consume", slog.String("error", err.Error()))
			}
			w.end()
			return
		}
		w.took(f)
		d := &delivery{msg: m}
		// A fast feed's buffer may have held the message for up to
		// fastBufferedAge (see rescue): count its AckWait from then.
		var early time.Duration
		if f.prefetch > w.cfg.Concurrency {
			early = w.fastBufferedAge()
		}
		w.run(s, d, early)
	}
}

// end reports that consuming stopped by itself.
func (w *Worker) end() { w.endedOnce.Do(func() { close(w.ended) }) }

// run handles d in slot s, unless the worker is stopping: a delivery
// handed over as the drain began goes back at once. early is how long
// before its receipt a fresh delivery's AckWait may have started.
func (w *Worker) run(s *slot, d *delivery, early time.Duration) {
	now := time.Now()
	d.received = now
	if d.progressed.Load() == 0 {
		d.progressed.Store(int64(now.Sub(w.epoch) - early))
	}
	// Slot first, then the flag; the drain sets the flag, then reads the
	// slots: one of the two sees the other, so no delivery slips past both.
	s.cur.Store(d)
	if w.stopping.Load() {
		s.cur.Store(nil)
		if d.claim() {
			w.requeue(d.msg)
		}
		return
	}
	w.process(d)
	s.cur.Store(nil)
}

// keepAlive sends InProgress for every running or held message whose
// AckWait last restarted ProgressInterval ago or nearly so, and adjusts
// the prefetch (see checkPrefetch). It looks every tick and acts from
// ProgressInterval less a tick on, so no message waits longer than
// ProgressInterval for its InProgress.
func (w *Worker) keepAlive(quit <-chan struct{}) {
	every := w.tick()
	due := int64(max(w.cfg.ProgressInterval-every, 0))
	t := time.NewTicker(every)
	defer t.Stop()
	last, lastTaken := w.since(), w.taken.Load()
	for {
		select {
		case <-quit:
			return
		case <-t.C:
		}
		now := w.since()
		alive := func(d *delivery) {
			if d == nil || d.settled.Load() || now-d.progressed.Load() < due {
				return
			}
			_ = d.msg.InProgress()
			d.progressed.Store(now)
		}
		for i := range w.slots {
			alive(w.slots[i].cur.Load())
		}
		w.held.each(alive)
		taken := w.taken.Load()
		w.checkPrefetch(taken-lastTaken, time.Duration(now-last))
		last, lastTaken = now, taken
	}
}

// tick is keepAlive's period: a quarter of ProgressInterval, and at most
// a twelfth of AckWait, which bounds how long a fast feed's buffer can hold
// a message (see rescue).
func (w *Worker) tick() time.Duration {
	return max(min(w.cfg.ProgressInterval/4, w.cfg.AckWait/12), time.Millisecond)
}
