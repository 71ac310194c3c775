package health

import (
	"context"
	"errors"
	"testing"
	"testing/synctest"
	"time"
)

// TestLimiterWindows drives the limiter through two hours of saturated
// demand and checks that no sliding minute or hour admits more than Graph
// allows.
func TestLimiterWindows(t *testing.T) {
	tests := []struct {
		name            string
		perMin, perHour int
		requests        int
	}{
		{"graph defaults", 0, 0, 1700},
		{"minute binds", 30, 100000, 500},
		{"small", 5, 20, 100},
	}
	for _, tt := range tests {
		// In the bubble every wait passes at once on its fake clock: two
		// hours of rate limiting run in milliseconds.
		t.Run(tt.name, func(t *testing.T) {
			synctest.Test(t, func(t *testing.T) {
				l, err := NewLimiter(LimiterConfig{PerMinute: tt.perMin, PerHour: tt.perHour})
				if err != nil {
					t.Fatal(err)
				}
				perMin, perHour := tt.perMin, tt.perHour
				if perMin == 0 {
					perMin, perHour = GraphPerMinute, GraphPerHour
				}
				var at []time.Time
				for range tt.requests {
					if err := l.Wait(context.Background()); err != nil {
						t.Fatal(err)
					}
					at = append(at, time.Now())
				}
				checkWindow(t, at, time.Minute, perMin)
				checkWindow(t, at, time.Hour, perHour)
			})
		})
	}
}

func checkWindow(t *testing.T, at []time.Time, window time.Duration, limit int) {
	t.Helper()
	j := 0
	for i := range at {
		for j < len(at) && at[j].Sub(at[i]) < window {
			j++
		}
		if n := j - i; n > limit {
			t.Fatalf("%d requests in the %s from %s, limit %d", n, window, at[i].Format(time.TimeOnly), limit)
		}
	}
}

func TestLimiterBlocksUntilClockAdvances(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		l, err := NewLimiter(LimiterConfig{})
		if err != nil {
			t.Fatal(err)
		}
		start := time.Now()
		// The minute bucket's burst (a tenth of 240) is spent without waiting.
		for i := range 24 {
			if err := l.Wait(context.Background()); err != nil {
				t.Fatalf("wait %d: %v", i, err)
			}
		}
		if d := time.Since(start); d != 0 {
			t.Fatalf("burst waited %s", d)
		}
		done := make(chan error, 1)
		go func() { done <- l.Wait(context.Background()) }()
		synctest.Wait() // the 25th request waits on its timer; the clock has not moved
		select {
		case err := <-done:
			t.Fatalf("returned before the clock moved: %v", err)
		default:
		}
		if err := <-done; err != nil {
			t.Fatal(err)
		}
		if got, want := time.Since(start), time.Minute/216; got != want { // 216 refills a minute
			t.Fatalf("25th request waits %s, want %s", got, want)
		}
	})
}

func TestLimiterCancelledWait(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		l, err := NewLimiter(LimiterConfig{PerMinute: 10, PerHour: 1000})
		if err != nil {
			t.Fatal(err)
		}
		if err := l.Wait(context.Background()); err != nil { // burst of 1
			t.Fatal(err)
		}
		start := time.Now()
		ctx, cancel := context.WithCancel(context.Background())
		done := make(chan error, 1)
		go func() { done <- l.Wait(ctx) }()
		synctest.Wait() // the wait is on its timer
		cancel()
		if err := <-done; !errors.Is(err, context.Canceled) {
			t.Fatalf("err = %v, want context.Canceled", err)
		}
		// The cancelled reservation was given back: the next request waits one
		// refill interval (60s/9), not two.
		if err := l.Wait(context.Background()); err != nil {
			t.Fatal(err)
		}
		if got, want := time.Since(start), time.Minute/9; got != want {
			t.Fatalf("next wait %s, want %s", got, want)
		}
	})
}

func TestNewLimiterRejectsNegative(t *testing.T) {
	if _, err := NewLimiter(LimiterConfig{PerMinute: -1}); err == nil {
		t.Fatal("negative limit accepted")
	}
}
