package worker

import (
	"errors"
	"fmt"
	"log/slog"
	"sync"
	"sync/atomic"
	"time"

	"github.com/nats-io/nats.go/jetstream"
)

// Prefetch. nats.go buffers what it pulled until a pool goroutine asks for
// it, and a buffered message's AckWait runs meanwhile where no InProgress
// can reach it (nats.go issue 1929). A small prefetch (one message per
// handler) keeps that wait within about one handler run but costs a pull
// round trip, and often a parked goroutine, every few messages; a large one
// is what makes a consume loop fast. The worker uses both:
//
//   - A fast feed pulls Prefetch messages. It is used while the handlers
//     keep up: keepAlive checks every tick that, at the rate messages were
//     taken during the tick, a full buffer would be through within a
//     quarter of AckWait. When it would not (slow handlers, or no traffic),
//     the worker rescues the fast feed: it drains it, takes what it had
//     buffered out of it, sends each an InProgress and holds them, where
//     keepAlive keeps them alive until a pool goroutine is free. No feed is
//     opened again until the held messages are all running.
//   - A slow feed pulls Concurrency messages, as the worker always did. It
//     is used after a rescue, until Prefetch messages are taken within a
//     sixteenth of AckWait: then a fast feed replaces it.
//
// Thus no message stays buffered in a fast feed for more than four ticks
// (three ticks of at least Prefetch/3 messages each empty a full buffer),
// at most a third of AckWait, and held messages are renewed like running
// ones. The first feed is fast.

// feed is one iterator over the consumer and the prefetch it pulls with.
type feed struct {
	it       jetstream.MessagesContext
	prefetch int
	// retired is set when the worker drained the feed on purpose (a change
	// of prefetch, a rescue or the worker's drain): its end is not the
	// consumer's.
	retired atomic.Bool
}

var errStopping = errors.New("worker: stopping")

// fastBufferedAge is the longest a message can wait in a fast feed's
// buffer before a rescue takes it out (see the comment above).
func (w *Worker) fastBufferedAge() time.Duration { return 4 * w.tick() }

// openFeed starts a feed with prefetch and makes it the current one; the
// caller holds w.mu.
func (w *Worker) openFeed(prefetch int) (*feed, error) {
	opts := []jetstream.PullMessagesOpt{jetstream.PullMaxMessages(prefetch)}
	expiry := jetstream.DefaultExpires
	if w.cfg.pullExpiry > 0 {
		expiry = w.cfg.pullExpiry
		opts = append(opts, jetstream.PullExpiry(expiry))
	}
	if expiry/2 >= time.Second {
		// Heartbeats every second rather than every 15: a pull request
		// that went missing, or a refill nats.go skipped (its threshold
		// check can miss one when the goroutine that sends the pull request
		// is descheduled while the whole batch arrives), costs two seconds
		// rather than thirty.
		opts = append(opts, jetstream.PullHeartbeat(time.Second))
	}
	it, err := w.cons.Messages(opts...)
	if err != nil {
		return nil, fmt.Errorf("worker: consume: %w", err)
	}
	f := &feed{it: it, prefetch: prefetch}
	w.feeds[f] = struct{}{}
	w.cur.Store(f)
	return f, nil
}

// retire stops f pulling; Next returns what it buffered, then
// ErrMsgIteratorClosed. The caller holds w.mu.
func (w *Worker) retire(f *feed) {
	f.retired.Store(true)
	f.it.Drain()
}

// forget drops a retired feed that has nothing left.
func (w *Worker) forget(f *feed) {
	w.mu.Lock()
	delete(w.feeds, f)
	w.mu.Unlock()
}

// idleFeed is the feed an idle pool goroutine reads: the current one, or a
// new slow one when a rescue left none. It is nil while messages are held
// (they go first), and errStopping once the worker drains.
func (w *Worker) idleFeed() (*feed, error) {
	w.mu.Lock()
	defer w.mu.Unlock()
	switch {
	case w.stopping.Load():
		return nil, errStopping
	case w.cur.Load() != nil:
		return w.cur.Load(), nil
	case w.held.len() > 0:
		return nil, nil
	}
	return w.openFeed(w.cfg.Concurrency)
}

// took counts a message taken from f; a slow feed from which Prefetch
// messages were taken within a sixteenth of AckWait gives way to a fast
// one.
func (w *Worker) took(f *feed) {
	n := w.taken.Add(1)
	if f.prefetch >= w.fast || n%int64(w.fast) != 0 {
		return
	}
	now := w.since()
	if now-w.checkpoint.Swap(now) >= int64(w.cfg.AckWait/16) {
		return
	}
	w.mu.Lock()
	defer w.mu.Unlock()
	if w.stopping.Load() || w.cur.Load() != f {
		return
	}
	if _, err := w.openFeed(w.fast); err != nil {
		w.log.Warn("prefetch: keeping the small prefetch", slog.String("error", err.Error()))
		return
	}
	// Its few buffered messages go to the goroutines still reading it.
	w.retire(f)
	w.log.Debug("prefetch raised", slog.Int("prefetch", w.fast))
}

// checkPrefetch runs every tick with the messages taken during it: if the
// current feed is fast and a full buffer would not be through within a
// quarter of AckWait at that rate, it is rescued.
func (w *Worker) checkPrefetch(taken int64, elapsed time.Duration) {
	f := w.cur.Load()
	if f == nil || f.prefetch <= w.cfg.Concurrency {
		return
	}
	if float64(taken)*float64(w.cfg.AckWait/4) >= float64(f.prefetch)*float64(elapsed) {
		return
	}
	go w.rescue(f)
}

// rescue replaces the fast feed f by nothing, takes what it buffered out
// of it and holds it with an InProgress each, so that no AckWait runs out
// in its buffer. The next idle pool goroutine after the held messages
// opens a slow feed.
func (w *Worker) rescue(f *feed) {
	w.mu.Lock()
	defer w.mu.Unlock()
	if w.stopping.Load() || w.cur.Load() != f {
		return
	}
	w.cur.Store(nil)
	w.retire(f)
	n := 0
	for {
		// Bounded, in case the drain never completes (a connection
		// that went away meanwhile): what is left is redelivered after
		// its AckWait.
		m, err := f.it.Next(jetstream.NextMaxWait(w.cfg.AckWait / 4))
		if err != nil {
			if errors.Is(err, jetstream.ErrMsgIteratorClosed) {
				delete(w.feeds, f)
			}
			break
		}
		_ = m.InProgress()
		d := &delivery{msg: m}
		d.progressed.Store(w.since())
		w.held.push(d)
		n++
	}
	w.log.Debug("prefetch lowered", slog.Int("prefetch", w.cfg.Concurrency), slog.Int("held", n))
}

// heldQueue holds rescued messages until a pool goroutine is free.
type heldQueue struct {
	mu sync.Mutex
	q  []*delivery
	n  atomic.Int64 // len(q), read without mu on every take
}

func (h *heldQueue) len() int { return int(h.n.Load()) }

func (h *heldQueue) push(d *delivery) {
	h.mu.Lock()
	h.q = append(h.q, d)
	h.n.Store(int64(len(h.q)))
	h.mu.Unlock()
}

// take returns the oldest held delivery, nil if there is none.
func (h *heldQueue) take() *delivery {
	if h.n.Load() == 0 {
		return nil
	}
	h.mu.Lock()
	defer h.mu.Unlock()
	if len(h.q) == 0 {
		return nil
	}
	d := h.q[0]
	h.q[0] = nil
	h.q = h.q[1:]
	h.n.Store(int64(len(h.q)))
	return d
}

// each calls fn for every held delivery.
func (h *heldQueue) each(fn func(*delivery)) {
	if h.n.Load() == 0 {
		return
	}
	h.mu.Lock()
	defer h.mu.Unlock()
	for _, d := range h.q {
		fn(d)
	}
}

// takeAll empties the queue.
func (h *heldQueue) takeAll() []*delivery {
	h.mu.Lock()
	defer h.mu.Unlock()
	q := h.q
	h.q = nil
	h.n.Store(0)
	return q
}
