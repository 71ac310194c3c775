package replay

import (
	"context"
	"sync"
)

// job is one item on its way through the dry run's planners.
type job struct {
	it       item
	selected bool
	key      string // type|sys_id, for Repeat
	res      Result
	ready    chan struct{}
}

// dryRun plans Concurrency events at once and reports them in source
// order.
func (r *runner) dryRun(parent context.Context) error {
	ctx, cancel := context.WithCancel(parent)
	defer cancel()
	n := r.opts.Concurrency
	order := make(chan *job, 4*n)
	work := make(chan *job, 4*n)

	var readErr error
	go func() {
		defer close(order)
		defer close(work)
		for {
			it, ok, err := r.rd.next(ctx)
			if err != nil || !ok {
				readErr = err
				return
			}
			j := &job{it: it, ready: make(chan struct{})}
			select {
			case order <- j:
			case <-ctx.Done():
				readErr = ctx.Err()
				return
			}
			work <- j // cannot block for long: the planners drain work
		}
	}()
	var wg sync.WaitGroup
	for range n {
		wg.Go(func() {
			for j := range work {
				r.planJob(ctx, j)
				close(j.ready)
			}
		})
	}
	defer wg.Wait()

	for j := range order {
		<-j.ready
		if ctx.Err() != nil {
			break // a plan cut short by ctx is no decision
		}
		r.read++
		r.sum.Read++
		if !j.selected {
			r.sum.Filtered++
			r.deps.Reporter.Skipped(j.it.pos)
		} else {
			if j.key != "" {
				_, j.res.Repeat = r.seen[j.key]
				r.seen[j.key] = struct{}{}
			}
			r.sum.add(j.res)
			r.deps.Reporter.Result(j.res)
		}
		r.sum.Position = j.it.pos
	}
	cancel()
	for range order { // let the reader finish
	}
	if err := parent.Err(); err != nil {
		return err
	}
	return readErr
}

func (r *runner) planJob(ctx context.Context, j *job) {
	d := decode(j.it)
	if j.selected = r.selected(d); !j.selected {
		return
	}
	j.res = baseResult(j.it, d)
	if err := r.wait(ctx); err != nil {
		j.res.Action, j.res.Error = ActionError, err.Error()
		return
	}
	if d.sysID != "" {
		j.key = d.typ + "|" + d.sysID
	}
	plan(ctx, d, r.opts.Roles, r.deps.Planners, &j.res)
}
