package ratelimit

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"sync"
	"sync/atomic"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/escalator/escalator/internal/fault"
	"github.com/escalator/escalator/internal/telemetry"
)

// The services whose limits are per app or per user, and so the units of
// a hold: every client of one of them shares its hold.
const (
	Graph      = "graph"
	ARM        = "arm"
	ServiceNow = "servicenow"
	Entra      = "entra"
)

// HoldsConfig configures NewHolds. Zero values take the defaults.
type HoldsConfig struct {
	// Redis, when set, shares the holds with every replica using it.
	// Default none: holds are per process.
	Redis redis.UniversalClient
	// Refresh is the interval of a full re-read of the shared holds, which
	// mends what the pub/sub missed while it reconnected. Default 1s.
	Refresh time.Duration
	// Timeout bounds each Redis call. Default 500ms.
	Timeout time.Duration
	// MaxHold caps a hold, whatever Retry-After said. Default 15m.
	MaxHold time.Duration
	// Logger defaults to discarding.
	Logger *slog.Logger
}

// Holds are the holds of every service, local and, with Redis, shared.
// Close stops the Redis subscription.
type Holds struct {
	cfg HoldsConfig
	out *outage

	mu    sync.Mutex
	holds map[string]*Hold

	stop      context.CancelFunc
	done      chan struct{}
	closeOnce sync.Once
}

// NewHolds returns the holds; with Redis it starts reading the shared ones
// (it does not wait for Redis to answer).
func NewHolds(cfg HoldsConfig) (*Holds, error) {
	if cfg.Refresh < 0 || cfg.Timeout < 0 || cfg.MaxHold < 0 {
		return nil, errors.New("holds: negative refresh, timeout or max hold")
	}
	if cfg.Refresh == 0 {
		cfg.Refresh = time.Second
	}
	if cfg.Timeout == 0 {
		cfg.Timeout = 500 * time.Millisecond
	}
	if cfg.MaxHold == 0 {
		cfg.MaxHold = 15 * time.Minute
	}
	cfg.Logger = telemetry.OrDiscard(cfg.Logger)
	hs := &Holds{cfg: cfg, holds: map[string]*Hold{}, done: make(chan struct{}),
		out: &outage{log: cfg.Logger, what: "service holds (Retry-After)", fallback: "are kept per process"}}
	if cfg.Redis == nil {
		close(hs.done)
		hs.stop = func() {}
		return hs, nil
	}
	ctx, cancel := context.WithCancel(context.Background())
	hs.stop = cancel
	go hs.follow(ctx)
	return hs, nil
}

// For returns the hold of service, the same one for every caller.
func (hs *Holds) For(service string) *Hold {
	hs.mu.Lock()
	defer hs.mu.Unlock()
	h, ok := hs.holds[service]
	if !ok {
		h = &Hold{service: service, set: hs}
		hs.holds[service] = h
	}
	return h
}

// lookup returns the hold of service if someone asked For it.
func (hs *Holds) lookup(service string) *Hold {
	hs.mu.Lock()
	defer hs.mu.Unlock()
	return hs.holds[service]
}

// Close stops following the shared holds; it is safe to call twice.
func (hs *Holds) Close() error {
	hs.closeOnce.Do(func() {
		hs.stop()
		<-hs.done
	})
	return nil
}

// Hold is one service's not-before time. Its methods are safe for
// concurrent use; a nil *Hold is never on hold.
type Hold struct {
	service string
	until   atomic.Int64 // unix nanoseconds; past or zero: not on hold
	set     *Holds
}

// Service is the name of the held service.
func (h *Hold) Service() string { return h.service }

// Remaining is how long after now the service stays on hold; zero when it
// is not. It reads a local copy: no Redis call.
func (h *Hold) Remaining(now time.Time) time.Duration {
	if h == nil {
		return 0
	}
	if d := h.until.Load() - now.UnixNano(); d > 0 {
		return time.Duration(d)
	}
	return 0
}

// Check returns a *HeldError while the service is on hold at now.
func (h *Hold) Check(now time.Time) error {
	if d := h.Remaining(now); d > 0 {
		return &HeldError{Service: h.service, Remaining: d}
	}
	return nil
}

// Extend holds the service until until unless it is already held longer
// (at most MaxHold from now): in this process at once and, with Redis, in
// every replica. A Redis failure is logged once; the hold stays local.
func (h *Hold) Extend(ctx context.Context, until time.Time) {
	now := time.Now()
	if !until.After(now) {
		return
	}
	ns := min(until.UnixNano(), now.Add(h.set.cfg.MaxHold).UnixNano())
	h.raise(ns)
	if h.set.cfg.Redis != nil {
		h.set.share(ctx, h, ns)
	}
}

// raise moves the hold's end to ns if that is later.
func (h *Hold) raise(ns int64) {
	for {
		cur := h.until.Load()
		if ns <= cur || h.until.CompareAndSwap(cur, ns) {
			return
		}
	}
}

// HeldError is the answer to a call not made because its service is on
// hold: transient, to be retried no sooner than Remaining.
type HeldError struct {
	Service   string
	Remaining time.Duration
}

func (e *HeldError) Error() string {
	return fmt.Sprintf("%s is on hold for another %s after it answered Retry-After: not called",
		e.Service, e.Remaining.Round(time.Millisecond))
}

// FaultClass implements fault.Classifier: a held call is retried.
func (e *HeldError) FaultClass() fault.Class { return fault.Transient }

// RetryAfter implements fault.RetryAfterer: the rest of the hold.
func (e *HeldError) RetryAfter() time.Duration { return e.Remaining }
