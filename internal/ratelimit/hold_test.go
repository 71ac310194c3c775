package ratelimit

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/escalator/escalator/internal/fault"
	"github.com/escalator/escalator/internal/testkit/testserver"
)

func newHolds(t testing.TB, cfg HoldsConfig) *Holds {
	t.Helper()
	hs, err := NewHolds(cfg)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = hs.Close() })
	return hs
}

func TestHoldLocal(t *testing.T) {
	hs := newHolds(t, HoldsConfig{MaxHold: time.Minute})
	h := hs.For(Graph)
	if hs.For(Graph) != h {
		t.Fatal("two holds for one service")
	}
	now := time.Now()
	if err := h.Check(now); err != nil {
		t.Fatalf("fresh hold: %v", err)
	}
	h.Extend(context.Background(), now.Add(2*time.Second))
	h.Extend(context.Background(), now.Add(time.Second)) // an earlier end never shortens it
	err := h.Check(now)
	var he *HeldError
	if !errors.As(err, &he) || he.Service != Graph {
		t.Fatalf("Check = %v, want a *HeldError for graph", err)
	}
	if fault.Classify(err) != fault.Transient || fault.RetryAfter(err) <= time.Second || fault.RetryAfter(err) > 2*time.Second {
		t.Fatalf("held error: class %v, retry after %s; want transient, (1s, 2s]", fault.Classify(err), fault.RetryAfter(err))
	}
	if d := hs.For(ARM).Remaining(now); d != 0 {
		t.Fatalf("arm held for %s by graph's hold", d)
	}
	if d := h.Remaining(now.Add(2 * time.Second)); d != 0 {
		t.Fatalf("still held %s after the end", d)
	}
	h.Extend(context.Background(), now.Add(time.Hour))
	if d := h.Remaining(now); d > time.Minute+time.Second {
		t.Fatalf("held %s, over MaxHold", d)
	}
	var nilHold *Hold
	if nilHold.Check(now) != nil {
		t.Fatal("a nil hold holds")
	}
}

// A hold one replica sets reaches another at once (pub/sub) and one that
// starts later (the re-read at start), and only for that service.
func TestHoldShared(t *testing.T) {
	srv := testserver.StartRedis(t)
	a := newHolds(t, HoldsConfig{Redis: client(t, srv.Addr), Refresh: time.Hour})
	b := newHolds(t, HoldsConfig{Redis: client(t, srv.Addr), Refresh: time.Hour})
	ga, gb, sb := a.For(ServiceNow), b.For(ServiceNow), b.For(Graph)
	eventually(t, "b subscribed", func() bool { return subscribers(t, srv.Addr) >= 2 })

	until := time.Now().Add(3 * time.Second)
	ga.Extend(context.Background(), until)
	eventually(t, "b sees the hold", func() bool { return gb.Remaining(time.Now()) > 0 })
	if d := gb.Remaining(until); d > time.Millisecond {
		t.Fatalf("b holds %s past a's end", d)
	}
	if d := gb.Remaining(until.Add(-time.Millisecond)); d == 0 {
		t.Fatal("b's hold ends before a's") // milliseconds round up, never down
	}
	if d := sb.Remaining(time.Now()); d != 0 {
		t.Fatalf("graph held %s by servicenow's hold", d)
	}

	c := newHolds(t, HoldsConfig{Redis: client(t, srv.Addr), Refresh: 10 * time.Millisecond})
	gc := c.For(ServiceNow)
	eventually(t, "a late replica reads the hold", func() bool { return gc.Remaining(time.Now()) > 0 })
}

// subscribers is how many clients listen for hold announcements.
func subscribers(t testing.TB, addr string) int64 {
	t.Helper()
	n, err := client(t, addr).PubSubNumSub(context.Background(), holdChannel).Result()
	if err != nil {
		t.Fatal(err)
	}
	return n[holdChannel]
}

// Without Redis a hold is local to its Holds: another process is not held.
func TestHoldPerProcessWithoutRedis(t *testing.T) {
	a, b := newHolds(t, HoldsConfig{}), newHolds(t, HoldsConfig{})
	a.For(Graph).Extend(context.Background(), time.Now().Add(time.Minute))
	if a.For(Graph).Remaining(time.Now()) == 0 || b.For(Graph).Remaining(time.Now()) != 0 {
		t.Fatal("want a held and b not")
	}
}

// With Redis down a hold still holds locally, and the outage is logged
// once however many holds fail to be shared.
func TestHoldRedisDownStaysLocal(t *testing.T) {
	srv := testserver.StartRedis(t)
	var logs logBuffer
	hs := newHolds(t, HoldsConfig{Redis: client(t, srv.Addr), Refresh: 5 * time.Millisecond, Logger: logs.logger()})
	h := hs.For(Entra)
	srv.Stop()
	for i := range 3 {
		h.Extend(context.Background(), time.Now().Add(time.Duration(i+1)*time.Minute))
	}
	if h.Remaining(time.Now()) < 2*time.Minute {
		t.Fatal("the hold did not hold locally")
	}
	eventually(t, "a re-read fails too", func() bool { return logs.count("level=WARN") >= 1 })
	if n := logs.count("redis unreachable"); n != 1 {
		t.Fatalf("%d outage warnings, want 1:\n%s", n, logs.String())
	}
}

// BenchmarkHold is the hot path: a call to a service not on hold reads
// the local copy (no Redis round trip), here with Redis configured.
func BenchmarkHold(b *testing.B) {
	srv := testserver.StartRedis(b)
	hs := newHolds(b, HoldsConfig{Redis: client(b, srv.Addr)})
	h := hs.For(Graph)
	b.Run("not held", func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			if h.Check(time.Now()) != nil {
				b.Fatal("held")
			}
		}
	})
	b.Run("not held, time given", func(b *testing.B) {
		// The check without time.Now, which costs most of the above on
		// some virtual machines' clocks.
		now := time.Now()
		b.ReportAllocs()
		for b.Loop() {
			if h.Check(now) != nil {
				b.Fatal("held")
			}
		}
	})
	b.Run("not held parallel", func(b *testing.B) {
		b.ReportAllocs()
		b.RunParallel(func(pb *testing.PB) {
			for pb.Next() {
				if h.Check(time.Now()) != nil {
					b.Fatal("held")
				}
			}
		})
	})
}
