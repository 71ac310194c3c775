package health

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"sync"
	"time"

	"github.com/escalator/escalator/internal/telemetry"
)

// Source is what a Snapshot reads; *Client implements it.
type Source interface {
	HealthOverviews(ctx context.Context) ([]Overview, error)
	Issues(ctx context.Context, filter string) ([]Issue, error)
}

// ActiveFilter is the OData filter the snapshot lists issues with.
const ActiveFilter = "isResolved eq false"

// Data is one consistent reading of service health. Its slices are shared
// between readers: treat them as read-only.
type Data struct {
	Overviews []Overview
	Issues    []Issue // unresolved issues only
}

// SnapshotConfig configures NewSnapshot.
type SnapshotConfig struct {
	Interval time.Duration // between refreshes in Run; default 5m
	Timeout  time.Duration // bound of one refresh; default 1m
	Logger   *slog.Logger  // default: discard
	// Clock stamps the data read; default time.Now. Tests that age the
	// data around real I/O (insights against the simulator over HTTP),
	// which a testing/synctest bubble cannot hold, pass their own. The
	// wait between refreshes is always the time package's.
	Clock func() time.Time
}

// Snapshot holds the last good Data for the handlers, so that answering an
// event costs no Graph call. Refreshes are coalesced: callers arriving
// while one runs share its result. A failed refresh keeps the previous data.
type Snapshot struct {
	src Source
	cfg SnapshotConfig

	mu       sync.Mutex
	data     Data
	at       time.Time // when data was read; zero before the first success
	inflight *refresh
}

type refresh struct {
	done    chan struct{}
	err     error
	waiters int // callers sharing this refresh; read by tests
}

// NewSnapshot returns an empty Snapshot reading from src.
func NewSnapshot(src Source, cfg SnapshotConfig) (*Snapshot, error) {
	if src == nil {
		return nil, errors.New("health snapshot: no source")
	}
	if cfg.Interval < 0 || cfg.Timeout < 0 {
		return nil, fmt.Errorf("health snapshot: negative interval %s or timeout %s", cfg.Interval, cfg.Timeout)
	}
	if cfg.Interval == 0 {
		cfg.Interval = 5 * time.Minute
	}
	if cfg.Timeout == 0 {
		cfg.Timeout = time.Minute
	}
	if cfg.Clock == nil {
		cfg.Clock = time.Now
	}
	cfg.Logger = telemetry.OrDiscard(cfg.Logger)
	return &Snapshot{src: src, cfg: cfg}, nil
}

// Current returns the last good data and when it was read (zero time: never).
func (s *Snapshot) Current() (Data, time.Time) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.data, s.at
}

// Refresh reads Graph now, or joins the refresh already running, and returns
// its error. The refresh itself is not cancelled with ctx (others may be
// waiting for it); it is bounded by SnapshotConfig.Timeout.
func (s *Snapshot) Refresh(ctx context.Context) error {
	s.mu.Lock()
	r := s.inflight
	if r == nil {
		r = &refresh{done: make(chan struct{})}
		s.inflight = r
		go s.run(context.WithoutCancel(ctx), r)
	}
	r.waiters++
	s.mu.Unlock()
	select {
	case <-r.done:
		return r.err
	case <-ctx.Done():
		return fmt.Errorf("refresh service health: %w", ctx.Err())
	}
}

func (s *Snapshot) run(ctx context.Context, r *refresh) {
	ctx, cancel := context.WithTimeout(ctx, s.cfg.Timeout)
	defer cancel()
	d, err := s.read(ctx)
	s.mu.Lock()
	if err == nil {
		s.data, s.at = d, s.cfg.Clock()
	}
	r.err = err
	s.inflight = nil
	s.mu.Unlock()
	close(r.done)
}

func (s *Snapshot) read(ctx context.Context) (Data, error) {
	ov, err := s.src.HealthOverviews(ctx)
	if err != nil {
		return Data{}, fmt.Errorf("refresh service health: %w", err)
	}
	all, err := s.src.Issues(ctx, ActiveFilter)
	if err != nil {
		return Data{}, fmt.Errorf("refresh service health: %w", err)
	}
	active := make([]Issue, 0, len(all))
	for _, is := range all {
		if !is.IsResolved {
			active = append(active, is)
		}
	}
	return Data{Overviews: ov, Issues: active}, nil
}

// Run refreshes now and then every Interval until ctx ends; failures are
// logged and the previous data kept. It returns nil when ctx ends.
func (s *Snapshot) Run(ctx context.Context) error {
	for {
		if err := s.Refresh(ctx); err != nil && ctx.Err() == nil {
			_, at := s.Current()
			s.cfg.Logger.WarnContext(ctx, "service health refresh failed; keeping previous data",
				"error", err, "data_from", at)
		}
		select {
		case <-ctx.Done():
			return nil
		case <-time.After(s.cfg.Interval):
		}
	}
}
