package health

import (
	"context"
	"fmt"
	"time"

	"golang.org/x/time/rate"
)

// Clock is the time source of the limiter and the snapshot; tests pass a
// fake one they advance by hand.
type Clock interface {
	Now() time.Time
	After(d time.Duration) <-chan time.Time
}

type realClock struct{}

func (realClock) Now() time.Time                         { return time.Now() }
func (realClock) After(d time.Duration) <-chan time.Time { return time.After(d) }

// RequestLimiter is what the Client waits on before every request.
type RequestLimiter interface {
	Wait(ctx context.Context) error
}

// Graph's documented limits for service communications, per app per tenant.
const (
	GraphPerMinute = 240
	GraphPerHour   = 800
)

// Limiter keeps requests inside a per-minute and a per-hour limit with two
// token buckets. A token bucket of burst b refilling at r admits up to
// b + r·w requests in any window w, so each bucket gets a tenth of its limit
// as burst and refills the rest over its window: no sliding minute or hour
// ever sees more than its limit.
type Limiter struct {
	clock   Clock
	buckets []*rate.Limiter
}

// LimiterConfig configures NewLimiter.
type LimiterConfig struct {
	PerMinute int   // default GraphPerMinute
	PerHour   int   // default GraphPerHour
	Clock     Clock // default the system clock
}

// NewLimiter returns a Limiter for cfg.
func NewLimiter(cfg LimiterConfig) (*Limiter, error) {
	if cfg.PerMinute == 0 {
		cfg.PerMinute = GraphPerMinute
	}
	if cfg.PerHour == 0 {
		cfg.PerHour = GraphPerHour
	}
	if cfg.PerMinute < 0 || cfg.PerHour < 0 {
		return nil, fmt.Errorf("health limiter: negative limit (%d/min, %d/h)", cfg.PerMinute, cfg.PerHour)
	}
	if cfg.Clock == nil {
		cfg.Clock = realClock{}
	}
	return &Limiter{clock: cfg.Clock, buckets: []*rate.Limiter{
		bucket(cfg.PerMinute, time.Minute),
		bucket(cfg.PerHour, time.Hour),
	}}, nil
}

func bucket(limit int, window time.Duration) *rate.Limiter {
	burst := max(limit/10, 1)
	refill := max(limit-burst, 1)
	return rate.NewLimiter(rate.Every(window/time.Duration(refill)), burst)
}

// Wait blocks until both buckets admit one request, or ctx ends. A cancelled
// wait gives its tokens back.
func (l *Limiter) Wait(ctx context.Context) error {
	now := l.clock.Now()
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
		return fmt.Errorf("graph rate limit: next slot in %s, after the deadline: %w", delay, context.DeadlineExceeded)
	}
	select {
	case <-l.clock.After(delay):
		return nil
	case <-ctx.Done():
		l.cancel(res)
		return fmt.Errorf("graph rate limit: %w", ctx.Err())
	}
}

func (l *Limiter) cancel(res []*rate.Reservation) {
	now := l.clock.Now()
	for _, r := range res {
		r.CancelAt(now)
	}
}
