package replay

import (
	"context"
	"sync"
)

// dryBatch is how many items travel together through the dry run's
// planners: one channel handoff per batch, not per event, is what keeps a
// dry run close to the speed of reading the stream.
const dryBatch = 64

// planned is one item's dry-run outcome.
type planned struct {
	pos      uint64
	selected bool
	key      string // type|sys_id, for Repeat
	res      Result
}

// batch is a run of consecutive items on their way through the planners.
type batch struct {
	items []item
	out   []planned
	ready chan struct{}
}

// dryRun plans Concurrency batches at once and reports them in source
// order.
func (r *runner) dryRun(parent context.Context) error {
	ctx, cancel := context.WithCancel(parent)
	defer cancel()
	n := r.opts.Concurrency
	order := make(chan *batch, 2*n)
	work := make(chan *batch, 2*n)

	var readErr error
	go func() {
		defer close(order)
		defer close(work)
		send := func(b *batch) bool {
			select {
			case order <- b:
			case <-ctx.Done():
				return false
			}
			work <- b // cannot block for long: the planners drain work
			return true
		}
		b := &batch{ready: make(chan struct{})}
		for {
			it, ok, err := r.rd.next(ctx)
			if err != nil || !ok {
				readErr = err
				if len(b.items) > 0 && err == nil {
					send(b)
				}
				return
			}
			b.items = append(b.items, it)
			// A batch also leaves early when pacing makes each event slow.
			if len(b.items) == dryBatch || r.limiter != nil {
				if !send(b) {
					return
				}
				b = &batch{ready: make(chan struct{})}
			}
		}
	}()
	var wg sync.WaitGroup
	for range n {
		wg.Go(func() {
			for b := range work {
				b.out = make([]planned, len(b.items))
				for i := range b.items {
					r.planItem(ctx, b.items[i], &b.out[i])
				}
				close(b.ready)
			}
		})
	}
	defer wg.Wait()

collect:
	for b := range order {
		<-b.ready
		for _, p := range b.out {
			if ctx.Err() != nil {
				break collect // a plan cut short by ctx is no decision
			}
			r.read++
			r.size(p.pos)
			r.sum.Read++
			if !p.selected {
				r.sum.Filtered++
				r.deps.Reporter.Skipped(p.pos)
			} else {
				if p.key != "" {
					_, p.res.Repeat = r.seen[p.key]
					r.seen[p.key] = struct{}{}
				}
				r.sum.add(p.res)
				r.deps.Reporter.Result(p.res)
			}
			r.sum.Position = p.pos
		}
	}
	cancel()
	for range order { // let the reader finish
	}
	if err := parent.Err(); err != nil {
		return err
	}
	return readErr
}

func (r *runner) planItem(ctx context.Context, it item, p *planned) {
	p.pos = it.pos
	d := decode(it)
	if p.selected = r.selected(d); !p.selected {
		return
	}
	p.res = baseResult(it, d)
	if err := r.wait(ctx); err != nil {
		p.res.Action, p.res.Error = ActionError, err.Error()
		return
	}
	if d.sysID != "" {
		p.key = d.typ + "|" + d.sysID
	}
	plan(ctx, d, r.opts.Roles, r.deps.Planners, &p.res)
}
