package main

import (
	"context"
	"errors"
	"fmt"
	"slices"
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
	c.RawDecode = cfg.RawDecode
	c.Rounds = cfg.Rounds
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
	// Each round reads the events once per phase; the figures are the
	// rounds' medians, the ratios the medians of each round's ratios, so
	// that a busy second on a shared machine skews one round, not the
	// comparison.
	type sample struct{ secs, rate, cpu []float64 }
	samples := make([]sample, len(phases))
	seen := cfg.Events
	for round := range cfg.Rounds {
		for i, p := range phases {
			n, err := runPhase(ctx, e, cfg, prefix, fmt.Sprintf("load-compare-%d-%d", round, i), p)
			seen = min(seen, n)
			if err != nil {
				c.Events = seen
				return fmt.Errorf("compare, %s: %w", p.name, err)
			}
			samples[i].secs = append(samples[i].secs, *p.secs)
			samples[i].rate = append(samples[i].rate, *p.rate)
			samples[i].cpu = append(samples[i].cpu, *p.cpu)
		}
		w, r := len(phases)-1, len(phases)-2
		c.RoundRatios = append(c.RoundRatios, *phases[w].rate / *phases[0].rate)
		c.RoundRatiosDefault = append(c.RoundRatiosDefault, *phases[w].rate / *phases[r].rate)
	}
	for i, p := range phases {
		*p.secs, *p.rate, *p.cpu = median(samples[i].secs), median(samples[i].rate), median(samples[i].cpu)
	}
	c.Events = seen
	if c.DefaultPrefetch == c.Prefetch {
		c.RawDefaultSeconds, c.RawDefaultRate, c.RawDefaultDups, c.RawDefaultCPU = c.RawSeconds, c.RawRate, c.RawDups, c.RawCPU
	}
	c.Ratio, c.RatioDefault = median(c.RoundRatios), median(c.RoundRatiosDefault)
	_, c.CPURatio = ratios(0, 0, c.WorkerCPU, c.RawCPU)
	_, c.CPURatioDefault = ratios(0, 0, c.WorkerCPU, c.RawDefaultCPU)
	return nil
}

// median of xs (the mean of the middle two for an even count); xs is
// sorted in place.
func median(xs []float64) float64 {
	if len(xs) == 0 {
		return 0
	}
	slices.Sort(xs)
	if n := len(xs); n%2 == 0 {
		return (xs[n/2-1] + xs[n/2]) / 2
	}
	return xs[len(xs)/2]
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
	*p.dups += int(tr.dups.Load())
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
