package main

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"sync"
	"time"

	"github.com/nats-io/nats.go/jetstream"

	"github.com/escalator/escalator/internal/event"
	"github.com/escalator/escalator/internal/streams"
	"github.com/escalator/escalator/worker"
)

// consumers is a set of running consumers; stop ends them and reports the
// first error any of them returned.
type consumers struct {
	cancel context.CancelFunc
	wg     sync.WaitGroup
	mu     sync.Mutex
	errs   []error
	stops  []func()
}

func (c *consumers) fail(err error) {
	c.mu.Lock()
	c.errs = append(c.errs, err)
	c.mu.Unlock()
}

func (c *consumers) stop() error {
	if c.cancel != nil {
		c.cancel()
	}
	for _, s := range c.stops {
		s()
	}
	c.wg.Wait()
	c.mu.Lock()
	defer c.mu.Unlock()
	return errors.Join(c.errs...)
}

// startWorkers runs k worker.Workers, each on its own connection, on the
// durable consumer named durable, with a no-op handler that reports every
// event it sees to tr.
func startWorkers(ctx context.Context, e *env, cfg Config, durable string, tr *tracker) (*consumers, error) {
	ctx, cancel := context.WithCancel(ctx)
	c := &consumers{cancel: cancel}
	noop := worker.HandlerFunc(func(_ context.Context, msg *worker.Message) error {
		tr.see(msg.Event.ID)
		return nil
	})
	for i := range cfg.Workers {
		_, js, err := e.connect(fmt.Sprintf("escalator-load worker %d", i))
		if err != nil {
			return c, err
		}
		cons, err := js.Consumer(ctx, streams.StreamName, durable)
		if err != nil {
			return c, fmt.Errorf("worker %d: consumer %s: %w", i, durable, err)
		}
		w, err := worker.New(cons, js, map[string]worker.Handler{event.SubjectUpdate: noop}, worker.Config{
			Concurrency: cfg.WorkerConcurrency,
			Prefetch:    cfg.Prefetch,
			Logger:      cfg.Logger,
		})
		if err != nil {
			return c, fmt.Errorf("worker %d: %w", i, err)
		}
		c.wg.Go(func() {
			if err := w.Run(ctx); err != nil {
				c.fail(fmt.Errorf("worker %d: %w", i, err))
			}
		})
	}
	return c, nil
}

// startRaw runs k minimal consume-and-ack loops, each on its own
// connection, on the durable consumer named durable, each pulling prefetch
// messages at a time: the baseline the worker runtime is compared with. It
// reads the event id from the Nats-Msg-Id header, does not decode the body
// (unless cfg.RawDecode: then it decodes it as the worker does), and acks without waiting for the server's confirmation (or with, when
// doubleAck). Like the worker it asks for heartbeats every second, so a
// refill nats.go skips under CPU contention costs both two seconds rather
// than thirty.
func startRaw(ctx context.Context, e *env, cfg Config, durable string, prefetch int, tr *tracker) (*consumers, error) {
	c := &consumers{}
	for i := range cfg.Workers {
		_, js, err := e.connect(fmt.Sprintf("escalator-load raw %d", i))
		if err != nil {
			return c, err
		}
		cons, err := js.Consumer(ctx, streams.StreamName, durable)
		if err != nil {
			return c, fmt.Errorf("raw %d: consumer %s: %w", i, durable, err)
		}
		cc, err := cons.Consume(func(m jetstream.Msg) {
			if cfg.RawDecode {
				ev, err := event.Decode(m.Data())
				if err != nil {
					cfg.Logger.Warn("raw decode", slog.String("error", err.Error()))
				}
				tr.see(ev.ID)
			} else {
				tr.see(m.Headers().Get(jetstream.MsgIDHeader))
			}
			var err error
			if cfg.RawDoubleAck {
				err = m.DoubleAck(ctx)
			} else {
				err = m.Ack()
			}
			if err != nil {
				cfg.Logger.Warn("raw ack", slog.String("error", err.Error()))
			}
		}, jetstream.PullMaxMessages(prefetch), jetstream.PullHeartbeat(time.Second))
		if err != nil {
			return c, fmt.Errorf("raw %d: consume: %w", i, err)
		}
		c.stops = append(c.stops, func() {
			cc.Drain()
			select {
			case <-cc.Closed():
			case <-time.After(10 * time.Second):
				cc.Stop()
			}
		})
	}
	return c, nil
}
