package ratelimit

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"sync/atomic"
	"time"

	"github.com/go-redis/redis_rate/v10"
	"github.com/redis/go-redis/v9"

	"github.com/escalator/escalator/internal/fault"
	"github.com/escalator/escalator/internal/telemetry"
)

// SharedConfig configures NewShared. Zero values take the defaults.
type SharedConfig struct {
	// Redis keeps the budgets' state for the fleet; required.
	Redis redis.UniversalClient
	// Name names the limiter in errors and logs and keys its budgets in
	// Redis: rate:escalator:limit:<Name>:<budget>. Required.
	Name string
	// Budgets are enforced together: a request waits until every one
	// admits it. Required.
	Budgets []Budget
	// Fallback is waited on while Redis does not answer. Default a Local
	// of the same budgets: per process, as without Redis.
	Fallback *Local
	// Timeout bounds each Redis call. Default 500ms.
	Timeout time.Duration
	// Cooldown is how long the fallback is used after a failed Redis call
	// before Redis is asked again. Default 5s.
	Cooldown time.Duration
	// Logger defaults to discarding.
	Logger *slog.Logger
}

// Shared keeps the requests of every process that shares its Redis inside
// its budgets, with the GCRA of github.com/go-redis/redis_rate: one key per
// budget, the state a single timestamp updated by a Lua script, the time
// Redis's own. It is safe for concurrent use.
//
// Budgets are asked in order: when a later one refuses, the earlier ones
// have already counted the request. List the roomier budget first (Graph:
// the minute before the hour) so that what is lost is what is plentiful.
type Shared struct {
	name     string
	lim      *redis_rate.Limiter
	keys     []string
	limits   []redis_rate.Limit
	fallback *Local
	timeout  time.Duration
	cooldown time.Duration
	retryAt  atomic.Int64 // unix nanos before which Redis is not asked
	out      *outage
}

// NewShared validates cfg and returns a Shared limiter. It makes no call.
func NewShared(cfg SharedConfig) (*Shared, error) {
	switch {
	case cfg.Redis == nil:
		return nil, errors.New("shared rate limit: no Redis")
	case cfg.Name == "":
		return nil, errors.New("shared rate limit: no name")
	case len(cfg.Budgets) == 0:
		return nil, fmt.Errorf("rate limit %s: no budget", cfg.Name)
	case cfg.Timeout < 0 || cfg.Cooldown < 0:
		return nil, fmt.Errorf("rate limit %s: negative timeout or cooldown", cfg.Name)
	}
	if cfg.Fallback == nil {
		l, err := NewLocal(cfg.Name, cfg.Budgets...)
		if err != nil {
			return nil, err
		}
		cfg.Fallback = l
	}
	if cfg.Timeout == 0 {
		cfg.Timeout = 500 * time.Millisecond
	}
	if cfg.Cooldown == 0 {
		cfg.Cooldown = 5 * time.Second
	}
	cfg.Logger = telemetry.OrDiscard(cfg.Logger)
	s := &Shared{
		name: cfg.Name, lim: redis_rate.NewLimiter(cfg.Redis), fallback: cfg.Fallback,
		timeout: cfg.Timeout, cooldown: cfg.Cooldown,
		out: &outage{log: cfg.Logger.With(slog.String("limiter", cfg.Name)), what: cfg.Name + " rate limit", fallback: "is kept per process"},
	}
	for _, b := range cfg.Budgets {
		if err := b.validate(); err != nil {
			return nil, fmt.Errorf("rate limit %s: %w", cfg.Name, err)
		}
		s.keys = append(s.keys, "escalator:limit:"+cfg.Name+":"+b.String())
		s.limits = append(s.limits, redis_rate.Limit{Rate: b.refill(), Burst: b.burst(), Period: b.Per})
	}
	return s, nil
}

// Wait blocks until every budget admits one request for the fleet, or ctx
// ends. A wait that would end after ctx's deadline fails at once,
// transient, carrying the delay. While Redis does not answer it waits on
// the fallback instead.
func (s *Shared) Wait(ctx context.Context) error {
	for {
		if time.Now().UnixNano() < s.retryAt.Load() {
			return s.fallback.Wait(ctx)
		}
		delay, err := s.allow(ctx)
		if err != nil {
			if ctx.Err() != nil {
				return fmt.Errorf("%s rate limit: %w", s.name, ctx.Err())
			}
			s.out.failed(err)
			s.retryAt.Store(time.Now().Add(s.cooldown).UnixNano())
			return s.fallback.Wait(ctx)
		}
		s.out.answered()
		if delay <= 0 {
			return nil
		}
		if dl, ok := ctx.Deadline(); ok && time.Until(dl) < delay {
			return fault.AsTransient(fmt.Errorf("%s rate limit: next slot in %s, after the deadline: %w", s.name, delay, context.DeadlineExceeded), delay)
		}
		t := time.NewTimer(delay)
		select {
		case <-t.C:
		case <-ctx.Done():
			t.Stop()
			return fmt.Errorf("%s rate limit: %w", s.name, ctx.Err())
		}
	}
}

// allow asks each budget in turn for one request; it returns how long to
// wait before asking again when one refuses (a refusal counts nothing).
func (s *Shared) allow(ctx context.Context) (time.Duration, error) {
	ctx, cancel := context.WithTimeout(ctx, s.timeout)
	defer cancel()
	for i, key := range s.keys {
		res, err := s.lim.Allow(ctx, key, s.limits[i])
		if err != nil {
			return 0, err
		}
		if res.Allowed == 0 {
			return max(res.RetryAfter, time.Millisecond), nil
		}
	}
	return 0, nil
}
