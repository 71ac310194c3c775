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
	base context.Context
	// work hands a delivery from Consume's callback to an idle pool
	// goroutine. It is unbuffered: the callback blocks while every
	// goroutine is busy, which bounds the prefetch.
	work     chan *delivery
	slots    []slot // one per pool goroutine
	epoch    time.Time
	draining chan struct{}
	running  atomic.Bool
	inFlight atomic.Int64
	wg       sync.WaitGroup

	// mu guards stopping; a delivery joins wg and its slot only under mu
	// and before stopping, so the drain's wg.Wait never races a wg.Add
	// and the drain sees every delivery it has to settle.
	mu       sync.Mutex
	stopping bool
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
	ins, err := newInstruments(cfg.TracerProvider, cfg.MeterProvider)
	if err != nil {
		return nil, err
	}
	routes := make(map[string]*route, len(handlers))
	for subject, h := range handlers {
		routes[subject] = newRoute(subject, h, cfg.ConsumerName)
	}
	return &Worker{
		cons:     cons,
		dlq:      dlq,
		routes:   routes,
		cfg:      cfg,
		log:      cfg.Logger,
		ins:      ins,
		prop:     telemetry.Propagator(),
		work:     make(chan *delivery),
		slots:    make([]slot, cfg.Concurrency),
		epoch:    time.Now(),
		draining: make(chan struct{}),
	}, nil
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
	for i := range w.slots {
		go w.serve(&w.slots[i], quit)
	}
	go w.keepAlive(quit)

	cc, err := w.cons.Consume(w.onMessage,
		// Prefetch no more than can start soon: a buffered message's AckWait
		// runs while it waits (nats.go issue 1929).
		jetstream.PullMaxMessages(w.cfg.Concurrency),
		jetstream.ConsumeErrHandler(func(_ jetstream.ConsumeContext, err error) {
			w.log.Warn("consume", slog.String("error", err.Error()))
		}))
	if err != nil {
		return fmt.Errorf("worker: consume: %w", err)
	}

	var runErr error
	select {
	case <-ctx.Done():
	case <-cc.Closed():
		runErr = errors.New("worker: consuming stopped (consumer deleted or connection closed)")
	}
	w.drain(cc, cancelHandlers)
	return runErr
}

// drain stops fetching and settles everything this worker holds.
func (w *Worker) drain(cc jetstream.ConsumeContext, cancelHandlers context.CancelFunc) {
	ctx, cancel := context.WithTimeout(context.Background(), w.cfg.DrainTimeout)
	defer cancel()

	w.mu.Lock()
	w.stopping = true
	w.mu.Unlock()
	close(w.draining) // new and waiting deliveries are Nak'ed from now on
	cc.Drain()
	select {
	case <-cc.Closed():
	case <-ctx.Done():
		cc.Stop()
	}

	done := make(chan struct{})
	go func() { w.wg.Wait(); close(done) }()
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
