package main

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/nats-io/nats.go/jetstream"

	"github.com/escalator/escalator/internal/streams"
	"github.com/escalator/escalator/worker"
)

// phase is one read of the stored events through fresh consumers.
type phase struct {
	name  string
	start func(context.Context, *env, Config, string, *tracker) (*consumers, error)
	secs  *float64
	rate  *float64
	dups  *int
	cpu   *float64
}

// compare reads the stored events through K raw loops at the worker's
// prefetch, through K raw loops at nats.go's default prefetch (unless that
// is the same), and through K workers, each on a fresh durable consumer.
func compare(ctx context.Context, e *env, cfg Config, prefix string, rep *Report) error {
	c := &rep.Compare
	c.RawDoubleAck = cfg.RawDoubleAck
	c.Prefetch = max(cfg.Prefetch, cfg.WorkerConcurrency)
	if cfg.Prefetch == 0 {
		c.Prefetch = max(worker.DefaultPrefetch, cfg.WorkerConcurrency)
	}
	c.DefaultPrefetch = jetstream.DefaultMaxMessages
	raw := func(prefetch int) func(context.Context, *env, Config, string, *tracker) (*consumers, error) {
		return func(ctx context.Context, e *env, cfg Config, durable string, tr *tracker) (*consumers, error) {
			return startRaw(ctx, e, cfg, durable, prefetch, tr)
		}
	}
	phases := []phase{{fmt.Sprintf("raw consume+ack, prefetch %d", c.Prefetch), raw(c.Prefetch),
		&c.RawSeconds, &c.RawRate, &c.RawDups, &c.RawCPU}}
	if c.DefaultPrefetch != c.Prefetch {
		phases = append(phases, phase{fmt.Sprintf("raw consume+ack, prefetch %d", c.DefaultPrefetch), raw(c.DefaultPrefetch),
			&c.RawDefaultSeconds, &c.RawDefaultRate, &c.RawDefaultDups, &c.RawDefaultCPU})
	}
	phases = append(phases, phase{"worker (no-op)", startWorkers, &c.WorkerSeconds, &c.WorkerRate, &c.WorkerDups, &c.WorkerCPU})
	seen := cfg.Events
	for i, p := range phases {
		n, err := runPhase(ctx, e, cfg, prefix, fmt.Sprintf("load-compare-%d", i), p)
		seen = min(seen, n)
		if err != nil {
			c.Events = seen
			return fmt.Errorf("compare, %s: %w", p.name, err)
		}
	}
	c.Events = seen
	if c.DefaultPrefetch == c.Prefetch {
		c.RawDefaultSeconds, c.RawDefaultRate, c.RawDefaultDups, c.RawDefaultCPU = c.RawSeconds, c.RawRate, c.RawDups, c.RawCPU
	}
	c.Ratio, c.CPURatio = ratios(c.WorkerRate, c.RawRate, c.WorkerCPU, c.RawCPU)
	c.RatioDefault, c.CPURatioDefault = ratios(c.WorkerRate, c.RawDefaultRate, c.WorkerCPU, c.RawDefaultCPU)
	return nil
}

// runPhase reads every stored event through p's consumers on a fresh
// durable and returns how many distinct events they saw.
func runPhase(ctx context.Context, e *env, cfg Config, prefix, durable string, p phase) (int, error) {
	if _, err := e.consumer(ctx, durable); err != nil {
		return 0, err
	}
	defer func() { _ = e.admin.DeleteConsumer(context.WithoutCancel(ctx), streams.StreamName, durable) }()
	tr := newTracker(prefix, cfg.Events, false)
	tr.markSent(0, 0) // the clock starts now
	cpu0 := cpuTime()
	cs, err := p.start(ctx, e, cfg, durable, tr)
	if err == nil {
		err = wait(ctx, cfg, p.name, tr, tr.done, nil)
	}
	*p.cpu = perEvent(cpuTime()-cpu0, int(tr.unique.Load()))
	err = errors.Join(err, cs.stop())
	*p.secs = tr.span().Seconds()
	if *p.secs > 0 {
		*p.rate = float64(cfg.Events) / *p.secs
	}
	*p.dups = int(tr.dups.Load())
	return int(tr.unique.Load()), err
}

// ratios are worker/raw by events/s and raw/worker by CPU per event.
func ratios(workerRate, rawRate, workerCPU, rawCPU float64) (rate, cpu float64) {
	if rawRate > 0 {
		rate = workerRate / rawRate
	}
	if workerCPU > 0 {
		cpu = rawCPU / workerCPU
	}
	return rate, cpu
}

// perEvent is cpu per event in µs.
func perEvent(cpu time.Duration, events int) float64 {
	if events == 0 {
		return 0
	}
	return float64(cpu) / float64(time.Microsecond) / float64(events)
}
