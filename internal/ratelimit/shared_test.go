package ratelimit

import (
	"context"
	"errors"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/escalator/escalator/internal/fault"
	"github.com/escalator/escalator/internal/testkit/testserver"
)

// Two replicas, each with its own Redis connection and limiter, spend one
// budget: Graph's two (scaled down to 12/s and 20/4s) are kept by the pair
// together. Per process, each would spend both budgets on its own, and the
// pair would make more than 20 requests in 2.5s.
func TestSharedBudgetHoldsForTheFleet(t *testing.T) {
	srv := testserver.StartRedis(t)
	budgets := []Budget{{12, time.Second}, {20, 4 * time.Second}}
	var (
		mu sync.Mutex
		at []time.Time
		by = map[int]int{}
	)
	ctx, cancel := context.WithTimeout(context.Background(), 2500*time.Millisecond)
	defer cancel()
	var wg sync.WaitGroup
	for replica := range 2 {
		l, err := NewShared(SharedConfig{Redis: client(t, srv.Addr), Name: "graph-test", Budgets: budgets})
		if err != nil {
			t.Fatal(err)
		}
		for range 3 { // a few handlers per replica
			wg.Go(func() {
				for l.Wait(ctx) == nil {
					mu.Lock()
					at = append(at, time.Now())
					by[replica]++
					mu.Unlock()
				}
			})
		}
	}
	wg.Wait()
	slices.SortFunc(at, func(a, b time.Time) int { return a.Compare(b) })
	for _, b := range budgets {
		checkWindows(t, at, b)
	}
	if by[0] == 0 || by[1] == 0 {
		t.Fatalf("requests by replica %v: both should get a share", by)
	}
}

// Without Redis answering, a Shared limiter keeps its budgets per process,
// says so once, and says once when Redis is back.
func TestSharedFallsBackWhileRedisIsDown(t *testing.T) {
	srv := testserver.StartRedis(t)
	var logs logBuffer
	// A cooldown of 1ns: every wait asks Redis first.
	l, err := NewShared(SharedConfig{Redis: client(t, srv.Addr), Name: "servicenow", Budgets: []Budget{{2, time.Hour}},
		Cooldown: time.Nanosecond, Logger: logs.logger()})
	if err != nil {
		t.Fatal(err)
	}
	if err := l.Wait(context.Background()); err != nil {
		t.Fatal(err)
	}
	srv.Stop()
	// The local bucket admits its burst of one, then refuses for the hour.
	if err := l.Wait(context.Background()); err != nil {
		t.Fatalf("fallback wait: %v", err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), time.Second)
	defer cancel()
	if err := l.Wait(ctx); !errors.Is(err, context.DeadlineExceeded) || fault.RetryAfter(err) == 0 {
		t.Fatalf("second fallback wait in the hour = %v, want the local budget's refusal", err)
	}
	if n := logs.count("redis unreachable"); n != 1 {
		t.Fatalf("%d outage warnings, want 1:\n%s", n, logs.String())
	}
	srv.Start(t)
	eventually(t, "limiter back on Redis", func() bool {
		ctx, cancel := context.WithTimeout(context.Background(), time.Second)
		defer cancel()
		_ = l.Wait(ctx)
		return logs.count("redis answers again") == 1
	})
}

func TestNewSharedRejectsBadConfig(t *testing.T) {
	srv := testserver.StartRedis(t)
	c := client(t, srv.Addr)
	for name, cfg := range map[string]SharedConfig{
		"no redis":   {Name: "graph", Budgets: []Budget{{1, time.Second}}},
		"no name":    {Redis: c, Budgets: []Budget{{1, time.Second}}},
		"no budget":  {Redis: c, Name: "graph"},
		"bad budget": {Redis: c, Name: "graph", Budgets: []Budget{{0, time.Second}}},
	} {
		if _, err := NewShared(cfg); err == nil {
			t.Errorf("%s: accepted", name)
		}
	}
}
