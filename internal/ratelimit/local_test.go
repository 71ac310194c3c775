package ratelimit

import (
	"context"
	"errors"
	"testing"
	"testing/synctest"
	"time"

	"github.com/escalator/escalator/internal/fault"
)

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
		// In the bubble every wait passes at once on its fake clock: hours
		// of rate limiting run in milliseconds.
		t.Run(tt.name, func(t *testing.T) {
			synctest.Test(t, func(t *testing.T) {
				l, err := NewLocal("test", tt.budgets...)
				if err != nil {
					t.Fatal(err)
				}
				var at []time.Time
				for range tt.requests {
					if err := l.Wait(context.Background()); err != nil {
						t.Fatal(err)
					}
					at = append(at, time.Now())
				}
				for _, b := range tt.budgets {
					checkWindows(t, at, b)
				}
			})
		})
	}
}

// A wait past the caller's deadline fails at once, transient, with the
// delay for the worker's Nak.
func TestLocalDeadlineIsTransientWithDelay(t *testing.T) {
	l, err := NewLocal("servicenow", Budget{1, time.Hour})
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
		if _, err := NewLocal("test", b...); err == nil {
			t.Errorf("NewLocal(%v) accepted", b)
		}
	}
}
