package health

import (
	"context"
	"errors"
	"sync"
	"sync/atomic"
	"testing"
	"time"
)

// fakeSource answers from fields the test sets; gate, when set, holds every
// read until closed.
type fakeSource struct {
	mu      sync.Mutex
	calls   atomic.Int32
	gate    chan struct{}
	err     error
	issues  []Issue
	filters []string
}

func (s *fakeSource) HealthOverviews(ctx context.Context) ([]Overview, error) {
	s.calls.Add(1)
	s.mu.Lock()
	gate, err := s.gate, s.err
	s.mu.Unlock()
	if gate != nil {
		<-gate
	}
	if err != nil {
		return nil, err
	}
	return []Overview{{ID: "Exchange", Service: "Exchange Online", Status: StatusServiceDegradation}}, nil
}

func (s *fakeSource) Issues(ctx context.Context, filter string) ([]Issue, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.filters = append(s.filters, filter)
	return s.issues, nil
}

func (s *fakeSource) set(f func(s *fakeSource)) {
	s.mu.Lock()
	defer s.mu.Unlock()
	f(s)
}

func TestSnapshotRefreshKeepsActiveIssues(t *testing.T) {
	src := &fakeSource{issues: []Issue{{ID: "EX1", IsResolved: false}, {ID: "EX2", IsResolved: true}}}
	clock := newFakeClock()
	s, err := NewSnapshot(src, SnapshotConfig{Clock: clock})
	if err != nil {
		t.Fatal(err)
	}
	if d, at := s.Current(); !at.IsZero() || len(d.Issues) != 0 {
		t.Fatalf("new snapshot not empty: %+v %s", d, at)
	}
	if err := s.Refresh(context.Background()); err != nil {
		t.Fatal(err)
	}
	d, at := s.Current()
	if !at.Equal(clock.Now()) || len(d.Overviews) != 1 || len(d.Issues) != 1 || d.Issues[0].ID != "EX1" {
		t.Fatalf("current = %+v at %s", d, at)
	}
	if src.filters[0] != ActiveFilter {
		t.Errorf("filter = %q", src.filters[0])
	}
}

func TestSnapshotCoalescesRefreshes(t *testing.T) {
	src := &fakeSource{gate: make(chan struct{})}
	s, err := NewSnapshot(src, SnapshotConfig{Clock: newFakeClock()})
	if err != nil {
		t.Fatal(err)
	}
	const callers = 8
	errs := make(chan error, callers)
	for range callers {
		go func() { errs <- s.Refresh(context.Background()) }()
	}
	eventually(t, func() bool {
		s.mu.Lock()
		defer s.mu.Unlock()
		return s.inflight != nil && s.inflight.waiters == callers
	})
	close(src.gate)
	for range callers {
		if err := <-errs; err != nil {
			t.Fatal(err)
		}
	}
	if n := src.calls.Load(); n != 1 {
		t.Fatalf("%d reads for %d concurrent refreshes, want 1", n, callers)
	}
	// Once done, the next Refresh reads again.
	src.set(func(s *fakeSource) { s.gate = nil })
	if err := s.Refresh(context.Background()); err != nil {
		t.Fatal(err)
	}
	if n := src.calls.Load(); n != 2 {
		t.Fatalf("%d reads, want 2", n)
	}
}

func TestSnapshotKeepsDataOnError(t *testing.T) {
	src := &fakeSource{issues: []Issue{{ID: "EX1"}}}
	clock := newFakeClock()
	s, err := NewSnapshot(src, SnapshotConfig{Clock: clock})
	if err != nil {
		t.Fatal(err)
	}
	if err := s.Refresh(context.Background()); err != nil {
		t.Fatal(err)
	}
	_, good := s.Current()
	clock.Advance(time.Minute)
	boom := errors.New("graph down")
	src.set(func(s *fakeSource) { s.err = boom; s.issues = nil })
	if err := s.Refresh(context.Background()); !errors.Is(err, boom) {
		t.Fatalf("err = %v, want %v", err, boom)
	}
	d, at := s.Current()
	if !at.Equal(good) || len(d.Issues) != 1 || d.Issues[0].ID != "EX1" {
		t.Fatalf("after a failed refresh: %+v at %s, want the data from %s", d, at, good)
	}
}

func TestSnapshotRefreshCallerCancel(t *testing.T) {
	src := &fakeSource{gate: make(chan struct{})}
	s, err := NewSnapshot(src, SnapshotConfig{Clock: newFakeClock()})
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if err := s.Refresh(ctx); !errors.Is(err, context.Canceled) {
		t.Fatalf("err = %v", err)
	}
	// The refresh itself carries on and lands for the others.
	close(src.gate)
	eventually(t, func() bool { _, at := s.Current(); return !at.IsZero() })
}

func TestSnapshotRun(t *testing.T) {
	src := &fakeSource{}
	clock := newFakeClock()
	s, err := NewSnapshot(src, SnapshotConfig{Clock: clock, Interval: time.Minute})
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- s.Run(ctx) }()
	eventually(t, func() bool { return src.calls.Load() == 1 })
	for i := 2; i <= 3; i++ {
		if d := clock.waitTimers(t, 1); d[0] != time.Minute {
			t.Fatalf("next refresh in %s, want 1m", d[0])
		}
		clock.Advance(time.Minute)
		eventually(t, func() bool { return src.calls.Load() == int32(i) })
	}
	cancel()
	if err := <-done; err != nil {
		t.Fatalf("Run = %v", err)
	}
}

func TestNewSnapshotValidates(t *testing.T) {
	if _, err := NewSnapshot(nil, SnapshotConfig{}); err == nil {
		t.Error("nil source accepted")
	}
	if _, err := NewSnapshot(&fakeSource{}, SnapshotConfig{Interval: -time.Second}); err == nil {
		t.Error("negative interval accepted")
	}
	s, err := NewSnapshot(&fakeSource{}, SnapshotConfig{})
	if err != nil || s.cfg.Interval != 5*time.Minute {
		t.Errorf("defaults: %v %v", s, err)
	}
}
