package ratelimit

import (
	"context"
	"errors"
	"fmt"
	"time"

	"golang.org/x/time/rate"

	"github.com/escalator/escalator/internal/fault"
)

// Local keeps requests of one process inside every one of its budgets, one
// token bucket per budget. It is safe for concurrent use. It reads the
// time package only: its tests run in a testing/synctest bubble, whose
// fake clock moves when the waits block.
type Local struct {
	name    string
	buckets []*rate.Limiter
}

// NewLocal returns a limiter named name (in its errors: "graph rate limit")
// for budgets.
func NewLocal(name string, budgets ...Budget) (*Local, error) {
	if len(budgets) == 0 {
		return nil, errors.New("rate limit " + name + ": no budget")
	}
	l := &Local{name: name}
	for _, b := range budgets {
		if err := b.validate(); err != nil {
			return nil, fmt.Errorf("rate limit %s: %w", name, err)
		}
		l.buckets = append(l.buckets, rate.NewLimiter(rate.Every(b.Per/time.Duration(b.refill())), b.burst()))
	}
	return l, nil
}

// Wait blocks until every bucket admits one request, or ctx ends. A wait
// that would end after ctx's deadline fails at once, transient, carrying
// the delay; a cancelled wait gives its tokens back.
func (l *Local) Wait(ctx context.Context) error {
	now := time.Now()
	var delay time.Duration
	res := make([]*rate.Reservation, 0, len(l.buckets))
	for _, b := range l.buckets {
		r := b.ReserveN(now, 1)
		res = append(res, r)
		delay = max(delay, r.DelayFrom(now))
	}
	if delay == 0 {
		return nil
	}
	if dl, ok := ctx.Deadline(); ok && dl.Sub(now) < delay {
		l.cancel(res)
		return fault.AsTransient(fmt.Errorf("%s rate limit: next slot in %s, after the deadline: %w", l.name, delay, context.DeadlineExceeded), delay)
	}
	select {
	case <-time.After(delay):
		return nil
	case <-ctx.Done():
		l.cancel(res)
		return fmt.Errorf("%s rate limit: %w", l.name, ctx.Err())
	}
}

func (l *Local) cancel(res []*rate.Reservation) {
	now := time.Now()
	for _, r := range res {
		r.CancelAt(now)
	}
}
