package worker

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"sync"
	"sync/atomic"
	"time"

	"github.com/nats-io/nats.go/jetstream"
	"go.opentelemetry.io/otel/propagation"

	"github.com/escalator/escalator/internal/telemetry"
)

// Worker consumes one durable consumer. Create it with New; Run it once.
type Worker struct {
	cons   jetstream.Consumer
	dlq    DeadLetterPublisher
	routes map[string]*route // by subject
	cfg    Config
	log    *slog.Logger
	ins    *instruments
	prop   propagation.TextMapPropagator

	// base is the parent context of every handler: Run's context without
	// its cancellation, so in-flight handlers finish during the drain.
	base     context.Context
	slots    []slot // one per pool goroutine
	epoch    time.Time
	running  atomic.Bool
	inFlight atomic.Int64
	// pool counts the pool goroutines; each leaves once the worker stops
	// (or consuming ended) and its handler has returned.
	pool sync.WaitGroup
	// ended closes when consuming ends by itself (consumer deleted,
	// connection closed).
	ended     chan struct{}
	endedOnce sync.Once

	// fast is a fast feed's prefetch (see prefetch.go); cur is the feed
	// idle pool goroutines read, nil after a rescue until one opens the
	// next; taken counts messages taken from every feed, checkpoint is when
	// the last multiple of fast was; held are rescued messages.
	fast       int
	cur        atomic.Pointer[feed]
	taken      atomic.Int64
	checkpoint atomic.Int64
	held       heldQueue

	// mu orders opening, replacing and rescuing feeds with the drain;
	// feeds are every feed not yet closed. stopping is set under mu, and
	// read without it by a delivery after it joined its slot, so the
	// drain's timeout sees every running delivery.
	mu       sync.Mutex
	feeds    map[*feed]struct{}
	stopping atomic.Bool
}

// New validates cfg and returns a Worker that dispatches messages of cons to
// handlers by subject and publishes dead letters through dlq.
func New(cons jetstream.Consumer, dlq DeadLetterPublisher, handlers map[string]Handler, cfg Config) (*Worker, error) {
	if cons == nil {
		return nil, errors.New("worker: consumer is nil")
	}
	if dlq == nil {
		return nil, errors.New("worker: dead-letter publisher is nil")
	}
	if len(handlers) == 0 {
		return nil, errors.New("worker: no handlers")
	}
	for subject, h := range handlers {
		if subject == "" || h == nil {
			return nil, fmt.Errorf("worker: handler for subject %q is missing", subject)
		}
	}
	if info := cons.CachedInfo(); info != nil {
		if cfg.AckWait == 0 {
			cfg.AckWait = info.Config.AckWait
		}
		if cfg.ConsumerName == "" {
			cfg.ConsumerName = info.Name
		}
	}
	cfg = cfg.withDefaults()
	if err := cfg.validate(); err != nil {
		return nil, err
	}
	if info := cons.CachedInfo(); info != nil && info.Config.MaxDeliver > 0 && info.Config.MaxDeliver <= cfg.MaxDeliver {
		// The server would stop delivering a failing message before the
		// worker dead-letters it: it would be neither done nor a dead letter.
		return nil, fmt.Errorf("worker: consumer %s has MaxDeliver %d, not above the worker's %d: provision it with streams.Ensure",
			info.Name, info.Config.MaxDeliver, cfg.MaxDeliver)
	}
	routes := make(map[string]*route, len(handlers))
	for subject, h := range handlers {
		routes[subject] = newRoute(subject, h, cfg.ConsumerName)
	}
	w := &Worker{
		cons:   cons,
		dlq:    dlq,
		routes: routes,
		cfg:    cfg,
		log:    cfg.Logger,
		prop:   telemetry.Propagator(),
		slots:  make([]slot, cfg.Concurrency),
		epoch:  time.Now(),
		ended:  make(chan struct{}),
		fast:   max(cfg.Prefetch, cfg.Concurrency),
		feeds:  map[*feed]struct{}{},
	}
	ins, err := newInstruments(cfg.TracerProvider, cfg.MeterProvider, &w.inFlight)
	if err != nil {
		return nil, err
	}
	w.ins = ins
	return w, nil
}

// InFlight is the number of handlers running now.
func (w *Worker) InFlight() int { return int(w.inFlight.Load()) }

// Run consumes until ctx is done, then drains: it stops fetching, Naks
// what was fetched but not started, lets running handlers finish within
// DrainTimeout and Naks those still running after it. It returns nil after
// a drain, or an error if consuming could not start or stopped by itself
// (the consumer was deleted).
func (w *Worker) Run(ctx context.Context) error {
	if !w.running.CompareAndSwap(false, true) {
		return errors.New("worker: Run called twice")
	}
	base, cancelHandlers := context.WithCancel(context.WithoutCancel(ctx))
	defer cancelHandlers()
	w.base = base
	quit := make(chan struct{})
	defer close(quit)

	w.mu.Lock()
	_, err := w.openFeed(w.fast)
	w.mu.Unlock()
	if err != nil {
		return err
	}
	for i := range w.slots {
		w.pool.Go(func() { w.serve(&w.slots[i]) })
	}
	go w.keepAlive(quit)

	var runErr error
	select {
	case <-ctx.Done():
	case <-w.ended:
		runErr = errors.New("worker: consuming stopped (consumer deleted or connection closed)")
	}
	w.drain(cancelHandlers)
	return runErr
}

// drain stops fetching and settles everything this worker holds: Run
// returns once every pool goroutine has left, or after DrainTimeout.
func (w *Worker) drain(cancelHandlers context.CancelFunc) {
	ctx, cancel := context.WithTimeout(context.Background(), w.cfg.DrainTimeout)
	defer cancel()

	// Fetch no more. What was fetched but not started is Nak'ed by idle
	// pool goroutines (run sees stopping) and by this loop, which does not
	// wait for a busy one to become idle.
	w.mu.Lock()
	w.stopping.Store(true)
	feeds := make([]*feed, 0, len(w.feeds))
	for f := range w.feeds {
		w.retire(f)
		feeds = append(feeds, f)
	}
	w.mu.Unlock()
	done := make(chan struct{})
	go func() {
		for _, f := range feeds {
			for {
				m, err := f.it.Next()
				if err != nil {
					break
				}
				w.requeue(m)
			}
		}
		for _, d := range w.held.takeAll() {
			if d.claim() {
				w.requeue(d.msg)
			}
		}
		w.pool.Wait()
		close(done)
	}()
	select {
	case <-done:
		return
	case <-ctx.Done():
	}
	// Settle first, then cancel: a handler returning ctx.Err() must not
	// win the claim and turn the drain into a delayed retry.
	n := 0
	for i := range w.slots {
		if d := w.slots[i].cur.Load(); d != nil && d.claim() {
			w.requeue(d.msg)
			n++
		}
	}
	cancelHandlers()
	w.log.Warn("drain timed out; running handlers' messages returned for redelivery",
		slog.Duration("drain_timeout", w.cfg.DrainTimeout), slog.Int("nakd", n))
}

// requeue hands m back for immediate redelivery, to this or another worker.
func (w *Worker) requeue(m jetstream.Msg) {
	ctx := context.Background()
	if err := m.Nak(); err != nil {
		w.log.Warn("nak on drain failed; the message is redelivered after AckWait",
			slog.String("subject", m.Subject()), slog.String("error", err.Error()))
	}
	w.ins.messages.Add(ctx, 1, metricAttrs(m.Subject(), OutcomeDrained))
}
