package ratelimit

import (
	"context"
	"errors"
	"sync"
	"testing"
	"time"

	"github.com/escalator/escalator/internal/fault"
)

// jumpClock advances itself by every delay it is asked to wait: hours of
// rate limiting run in microseconds.
type jumpClock struct {
	mu  sync.Mutex
	now time.Time
}

func (c *jumpClock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.now
}

func (c *jumpClock) After(d time.Duration) <-chan time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.now = c.now.Add(d)
	ch := make(chan time.Time, 1)
	ch <- c.now
	return ch
}

// checkWindows fails when any half-open window of b.Per starting at a
// request holds more than b.N of the requests at (sorted).
func checkWindows(t *testing.T, at []time.Time, b Budget) {
	t.Helper()
	j := 0
	for i := range at {
		for j < len(at) && at[j].Sub(at[i]) < b.Per {
			j++
		}
		if n := j - i; n > b.N {
			t.Fatalf("%d requests in the %s from %s, budget %v", n, b.Per, at[i].Format(time.TimeOnly), b)
		}
	}
}

func TestLocalKeepsEveryBudget(t *testing.T) {
	tests := []struct {
		name     string
		budgets  []Budget
		requests int
	}{
		{"graph", []Budget{{240, time.Minute}, {800, time.Hour}}, 1700},
		{"minute binds", []Budget{{30, time.Minute}, {100000, time.Hour}}, 500},
		{"servicenow per second", []Budget{{100, time.Second}}, 1000},
		{"one a window", []Budget{{1, time.Minute}}, 20},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			clock := &jumpClock{now: time.Unix(0, 0)}
			l, err := NewLocal("test", clock, tt.budgets...)
			if err != nil {
				t.Fatal(err)
			}
			var at []time.Time
			for range tt.requests {
				if err := l.Wait(context.Background()); err != nil {
					t.Fatal(err)
				}
				at = append(at, clock.Now())
			}
			for _, b := range tt.budgets {
				checkWindows(t, at, b)
			}
		})
	}
}

// A wait past the caller's deadline fails at once, transient, with the
// delay for the worker's Nak.
func TestLocalDeadlineIsTransientWithDelay(t *testing.T) {
	l, err := NewLocal("servicenow", nil, Budget{1, time.Hour})
	if err != nil {
		t.Fatal(err)
	}
	if err := l.Wait(context.Background()); err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	err = l.Wait(ctx)
	if !errors.Is(err, context.DeadlineExceeded) || fault.Classify(err) != fault.Transient {
		t.Fatalf("err = %v, want a transient deadline error", err)
	}
	if d := fault.RetryAfter(err); d < 59*time.Minute {
		t.Fatalf("RetryAfter = %s, want the hour's next slot", d)
	}
}

func TestNewLocalRejectsBadBudgets(t *testing.T) {
	for _, b := range [][]Budget{nil, {{0, time.Second}}, {{5, 0}}, {{5, time.Second}, {-1, time.Hour}}} {
		if _, err := NewLocal("test", nil, b...); err == nil {
			t.Errorf("NewLocal(%v) accepted", b)
		}
	}
}
