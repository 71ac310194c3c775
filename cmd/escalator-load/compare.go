package main

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/escalator/escalator/internal/streams"
)

// compare reads the stored events once through K raw loops and once
// through K workers, each on a fresh durable consumer.
func compare(ctx context.Context, e *env, cfg Config, prefix string, rep *Report) error {
	c := &rep.Compare
	c.RawDoubleAck = cfg.RawDoubleAck
	type phase struct {
		name  string
		start func(context.Context, *env, Config, string, *tracker) (*consumers, error)
		secs  *float64
		rate  *float64
		dups  *int
		cpu   *float64
	}
	phases := []phase{
		{"raw consume+ack", startRaw, &c.RawSeconds, &c.RawRate, &c.RawDups, &c.RawCPU},
		{"worker (no-op)", startWorkers, &c.WorkerSeconds, &c.WorkerRate, &c.WorkerDups, &c.WorkerCPU},
	}
	seen := cfg.Events
	for i, p := range phases {
		durable := fmt.Sprintf("load-compare-%d", i)
		if _, err := e.consumer(ctx, durable); err != nil {
			return err
		}
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
		seen = min(seen, int(tr.unique.Load()))
		_ = e.admin.DeleteConsumer(context.WithoutCancel(ctx), streams.StreamName, durable)
		if err != nil {
			c.Events = seen
			return fmt.Errorf("compare, %s: %w", p.name, err)
		}
	}
	c.Events = seen
	if c.RawRate > 0 {
		c.Ratio = c.WorkerRate / c.RawRate
	}
	if c.WorkerCPU > 0 {
		c.CPURatio = c.RawCPU / c.WorkerCPU
	}
	return nil
}

// perEvent is cpu per event in µs.
func perEvent(cpu time.Duration, events int) float64 {
	if events == 0 {
		return 0
	}
	return float64(cpu) / float64(time.Microsecond) / float64(events)
}
