package health

import (
	"context"
	"errors"
	"testing"
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
		t.Run(tt.name, func(t *testing.T) {
			clock := &jumpClock{now: time.Unix(0, 0)}
			l, err := NewLimiter(LimiterConfig{PerMinute: tt.perMin, PerHour: tt.perHour, Clock: clock})
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
				at = append(at, clock.Now())
			}
			checkWindow(t, at, time.Minute, perMin)
			checkWindow(t, at, time.Hour, perHour)
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
	clock := newFakeClock()
	l, err := NewLimiter(LimiterConfig{Clock: clock})
	if err != nil {
		t.Fatal(err)
	}
	// The minute bucket's burst (a tenth of 240) is spent without waiting.
	for i := range 24 {
		if err := l.Wait(context.Background()); err != nil {
			t.Fatalf("wait %d: %v", i, err)
		}
	}
	if p := clock.pending(); len(p) != 0 {
		t.Fatalf("burst waited: %v", p)
	}
	done := make(chan error, 1)
	go func() { done <- l.Wait(context.Background()) }()
	delays := clock.waitTimers(t, 1)
	if want := time.Minute / 216; delays[0] != want { // 216 refills a minute
		t.Fatalf("25th request waits %s, want %s", delays[0], want)
	}
	select {
	case err := <-done:
		t.Fatalf("returned before the clock moved: %v", err)
	default:
	}
	clock.Advance(delays[0])
	if err := <-done; err != nil {
		t.Fatal(err)
	}
}

func TestLimiterCancelledWait(t *testing.T) {
	clock := newFakeClock()
	l, err := NewLimiter(LimiterConfig{PerMinute: 10, PerHour: 1000, Clock: clock})
	if err != nil {
		t.Fatal(err)
	}
	if err := l.Wait(context.Background()); err != nil { // burst of 1
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- l.Wait(ctx) }()
	clock.waitTimers(t, 1)
	cancel()
	if err := <-done; !errors.Is(err, context.Canceled) {
		t.Fatalf("err = %v, want context.Canceled", err)
	}
	// The cancelled reservation was given back: the next request waits one
	// refill interval (60s/9), not two.
	go func() { done <- l.Wait(context.Background()) }()
	delays := clock.waitTimers(t, 2) // the cancelled wait's timer stays registered
	if got, want := delays[1], time.Minute/9; got != want {
		t.Fatalf("next wait %s, want %s", got, want)
	}
	clock.Advance(time.Minute / 9)
	if err := <-done; err != nil {
		t.Fatal(err)
	}
}

func TestNewLimiterRejectsNegative(t *testing.T) {
	if _, err := NewLimiter(LimiterConfig{PerMinute: -1}); err == nil {
		t.Fatal("negative limit accepted")
	}
}
