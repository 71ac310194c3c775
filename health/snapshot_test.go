package health

import (
	"context"
	"errors"
	"sync"
	"sync/atomic"
	"testing"
	"testing/synctest"
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

// The snapshot tests run in testing/synctest bubbles: the clock that stamps
// the data and times Run is the bubble's, and synctest.Wait says when the
// refresh goroutines have nothing left to do.

func TestSnapshotRefreshKeepsActiveIssues(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		src := &fakeSource{issues: []Issue{{ID: "EX1", IsResolved: false}, {ID: "EX2", IsResolved: true}}}
		s, err := NewSnapshot(src, SnapshotConfig{})
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
		if !at.Equal(time.Now()) || len(d.Overviews) != 1 || len(d.Issues) != 1 || d.Issues[0].ID != "EX1" {
			t.Fatalf("current = %+v at %s", d, at)
		}
		if src.filters[0] != ActiveFilter {
			t.Errorf("filter = %q", src.filters[0])
		}
	})
}

func TestSnapshotCoalescesRefreshes(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		src := &fakeSource{gate: make(chan struct{})}
		s, err := NewSnapshot(src, SnapshotConfig{})
		if err != nil {
			t.Fatal(err)
		}
		const callers = 8
		errs := make(chan error, callers)
		for range callers {
			go func() { errs <- s.Refresh(context.Background()) }()
		}
		synctest.Wait() // every caller is waiting on the one refresh, held at the gate
		s.mu.Lock()
		waiters := 0
		if s.inflight != nil {
			waiters = s.inflight.waiters
		}
		s.mu.Unlock()
		if waiters != callers {
			t.Fatalf("%d callers share the refresh, want %d", waiters, callers)
		}
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
	})
}

func TestSnapshotKeepsDataOnError(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		src := &fakeSource{issues: []Issue{{ID: "EX1"}}}
		s, err := NewSnapshot(src, SnapshotConfig{})
		if err != nil {
			t.Fatal(err)
		}
		if err := s.Refresh(context.Background()); err != nil {
			t.Fatal(err)
		}
		_, good := s.Current()
		time.Sleep(time.Minute)
		boom := errors.New("graph down")
		src.set(func(s *fakeSource) { s.err = boom; s.issues = nil })
		if err := s.Refresh(context.Background()); !errors.Is(err, boom) {
			t.Fatalf("err = %v, want %v", err, boom)
		}
		d, at := s.Current()
		if !at.Equal(good) || len(d.Issues) != 1 || d.Issues[0].ID != "EX1" {
			t.Fatalf("after a failed refresh: %+v at %s, want the data from %s", d, at, good)
		}
	})
}

func TestSnapshotRefreshCallerCancel(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		src := &fakeSource{gate: make(chan struct{})}
		s, err := NewSnapshot(src, SnapshotConfig{})
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
		synctest.Wait()
		if _, at := s.Current(); at.IsZero() {
			t.Fatal("the refresh did not land after its caller left")
		}
	})
}

func TestSnapshotRun(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		src := &fakeSource{}
		s, err := NewSnapshot(src, SnapshotConfig{Interval: time.Minute})
		if err != nil {
			t.Fatal(err)
		}
		ctx, cancel := context.WithCancel(context.Background())
		done := make(chan error, 1)
		go func() { done <- s.Run(ctx) }()
		synctest.Wait()
		if n := src.calls.Load(); n != 1 {
			t.Fatalf("%d reads at start, want 1", n)
		}
		for i := int32(2); i <= 3; i++ {
			// The next refresh is a minute on: not a nanosecond earlier.
			time.Sleep(time.Minute - time.Nanosecond)
			synctest.Wait()
			if n := src.calls.Load(); n != i-1 {
				t.Fatalf("%d reads before the minute passed, want %d", n, i-1)
			}
			time.Sleep(time.Nanosecond)
			synctest.Wait()
			if n := src.calls.Load(); n != i {
				t.Fatalf("%d reads once the minute passed, want %d", n, i)
			}
		}
		cancel()
		if err := <-done; err != nil {
			t.Fatalf("Run = %v", err)
		}
	})
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
