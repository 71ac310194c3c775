package worker

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"os"
	"strconv"
	"sync/atomic"
	"time"

	"github.com/nats-io/nats.go/jetstream"

	"github.com/escalator/escalator/internal/telemetry"
)

// A tick is stored once per interval, but two ticks of one job can still be
// handled at the same time: a run that outlasts its interval, or a
// redelivered tick. Exclusive keeps a job's runs apart across the fleet with
// a lease in a KV bucket, so the steps of a job ("is this note posted? post
// it") never interleave with another run's.

// DefaultLeaseTTL is how long a lease lasts without renewal.
const DefaultLeaseTTL = time.Minute

// LeaseKeyPrefix starts the key of every job's lease.
const LeaseKeyPrefix = "lease."

// LeaseKey is the key of the lease of the tick job name: "lease.<name>".
func LeaseKey(name string) string { return LeaseKeyPrefix + name }

// LeaseConfig configures Exclusive.
type LeaseConfig struct {
	// KV holds the lease; required.
	KV jetstream.KeyValue
	// Key of the lease, e.g. LeaseKey(TickHealth); required.
	Key string
	// TTL of the lease; it is renewed every TTL/3 while the job runs.
	// Another replica takes over a lease whose holder stopped renewing
	// (crashed) once the TTL has passed. Default DefaultLeaseTTL.
	TTL time.Duration
	// Owner names the holder in the lease; default host name and pid.
	Owner string
	// Clock defaults to the system clock. Replicas compare expiry times,
	// so their clocks must agree to well within TTL.
	Clock Clock
	// Logger defaults to discarding.
	Logger *slog.Logger
}

type leaseValue struct {
	Owner   string    `json:"owner"`
	Expires time.Time `json:"expires"`
}

type exclusive struct {
	h   Handler
	cfg LeaseConfig
	log *slog.Logger
}

// Exclusive returns a Handler that runs h only while it holds the lease of
// cfg.Key. A message arriving while another run holds the lease is acked
// without running h: the run in progress does the work, and the next tick
// does whatever is left. A run that loses its lease (it could not renew it
// in time) has its context canceled.
func Exclusive(h Handler, cfg LeaseConfig) (Handler, error) {
	if h == nil {
		return nil, errors.New("exclusive: handler is nil")
	}
	x, err := newExclusive(cfg)
	if err != nil {
		return nil, err
	}
	x.h = h
	return x, nil
}

// newExclusive validates cfg and fills in its defaults.
func newExclusive(cfg LeaseConfig) (*exclusive, error) {
	switch {
	case cfg.KV == nil:
		return nil, errors.New("exclusive: KV bucket is nil")
	case cfg.Key == "":
		return nil, errors.New("exclusive: lease key is empty")
	case cfg.TTL < 0:
		return nil, fmt.Errorf("exclusive: negative TTL %s", cfg.TTL)
	}
	if cfg.TTL == 0 {
		cfg.TTL = DefaultLeaseTTL
	}
	if cfg.Owner == "" {
		host, _ := os.Hostname()
		cfg.Owner = host + "/" + strconv.Itoa(os.Getpid())
	}
	if cfg.Clock == nil {
		cfg.Clock = systemClock{}
	}
	log := telemetry.OrDiscard(cfg.Logger)
	return &exclusive{cfg: cfg, log: log}, nil
}

// Handle acquires the lease, runs h while renewing it, and releases it.
func (x *exclusive) Handle(ctx context.Context, msg *Message) error {
	_, err := x.run(ctx, func(ctx context.Context) error { return x.h.Handle(ctx, msg) })
	return err
}

// run calls fn while holding the lease, renewing it, and releases it
// after; ran is false when another holder has the lease (fn is not
// called, and err is nil) or it could not be read.
func (x *exclusive) run(ctx context.Context, fn func(ctx context.Context) error) (ran bool, err error) {
	rev, ok, err := x.acquire(ctx)
	if err != nil {
		return false, fmt.Errorf("acquire lease %s: %w", x.cfg.Key, err)
	}
	if !ok {
		x.log.DebugContext(ctx, "job already running elsewhere; tick skipped", slog.String("lease", x.cfg.Key))
		return false, nil
	}
	runCtx, cancel := context.WithCancel(ctx)
	defer cancel()
	var current atomic.Uint64
	current.Store(rev)
	done := make(chan struct{})
	renewed := make(chan struct{})
	go func() {
		defer close(renewed)
		x.renew(runCtx, &current, done, cancel)
	}()
	err = fn(runCtx)
	close(done)
	<-renewed
	x.release(ctx, current.Load())
	return true, err
}

func (x *exclusive) value() ([]byte, error) {
	return json.Marshal(leaseValue{Owner: x.cfg.Owner, Expires: x.cfg.Clock.Now().Add(x.cfg.TTL).UTC()})
}

// acquire takes the lease if it is free or expired; ok false if another
// holder has it.
func (x *exclusive) acquire(ctx context.Context) (rev uint64, ok bool, err error) {
	for range 3 {
		v, err := x.value()
		if err != nil {
			return 0, false, err
		}
		rev, err := x.cfg.KV.Create(ctx, x.cfg.Key, v)
		if err == nil {
			return rev, true, nil
		}
		if !errors.Is(err, jetstream.ErrKeyExists) {
			return 0, false, err
		}
		e, err := x.cfg.KV.Get(ctx, x.cfg.Key)
		if errors.Is(err, jetstream.ErrKeyNotFound) {
			continue // released meanwhile
		}
		if err != nil {
			return 0, false, err
		}
		var held leaseValue
		if json.Unmarshal(e.Value(), &held) == nil && x.cfg.Clock.Now().Before(held.Expires) {
			return 0, false, nil
		}
		// Expired (or unreadable): take it over, unless someone else did.
		rev, err = x.cfg.KV.Update(ctx, x.cfg.Key, v, e.Revision())
		if err == nil {
			x.log.InfoContext(ctx, "took over an expired lease", slog.String("lease", x.cfg.Key), slog.String("previous_owner", held.Owner))
			return rev, true, nil
		}
		if errors.Is(err, jetstream.ErrKeyExists) || errors.Is(err, jetstream.ErrKeyRevisionMismatch) {
			return 0, false, nil
		}
		return 0, false, err
	}
	return 0, false, nil
}

// renew extends the lease every TTL/3 until done; losing it cancels the run.
func (x *exclusive) renew(ctx context.Context, current *atomic.Uint64, done <-chan struct{}, cancel context.CancelFunc) {
	for {
		select {
		case <-done:
			return
		case <-ctx.Done():
			return
		case <-x.cfg.Clock.After(x.cfg.TTL / 3):
		}
		v, err := x.value()
		if err != nil {
			continue
		}
		rev, err := x.cfg.KV.Update(ctx, x.cfg.Key, v, current.Load())
		if err == nil {
			current.Store(rev)
			continue
		}
		if errors.Is(err, jetstream.ErrKeyExists) || errors.Is(err, jetstream.ErrKeyRevisionMismatch) || errors.Is(err, jetstream.ErrKeyNotFound) {
			x.log.WarnContext(ctx, "lease lost; stopping the run", slog.String("lease", x.cfg.Key))
			cancel()
			return
		}
		// A transient KV error: try again at the next renewal, well before
		// the TTL runs out.
		x.log.WarnContext(ctx, "lease renewal failed", slog.String("lease", x.cfg.Key), slog.String("error", err.Error()))
	}
}

// release deletes the lease if this run still holds it. It runs even when
// ctx was canceled: a lease left behind blocks the job until its TTL.
func (x *exclusive) release(ctx context.Context, rev uint64) {
	ctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 5*time.Second)
	defer cancel()
	if err := x.cfg.KV.Delete(ctx, x.cfg.Key, jetstream.LastRevision(rev)); err != nil {
		x.log.WarnContext(ctx, "lease not released; it expires by itself", slog.String("lease", x.cfg.Key), slog.String("error", err.Error()))
	}
}
