package token

import (
	"context"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"
)

// fleet is several caches (replicas) sharing one Redis and one clock.
type fleet struct {
	clock   *fakeClock
	caches  []*Cache
	sources []*Source
}

func newFleet(t *testing.T, rdb redis.UniversalClient, f *fakeEndpoint, n int, edit func(*CacheOptions)) *fleet {
	t.Helper()
	fl := &fleet{clock: newFakeClock()}
	ring, err := NewKeyring(GenerateKey())
	if err != nil {
		t.Fatal(err)
	}
	for range n {
		opts := CacheOptions{Redis: rdb, Keyring: ring, Clock: fl.clock.Now}
		if edit != nil {
			edit(&opts)
		}
		c := newTestCache(t, opts)
		e := f.entra(t, "v1")
		fl.caches = append(fl.caches, c)
		fl.sources = append(fl.sources, c.Source(e, e.Identity()))
	}
	return fl
}

// hammer calls AccessToken from perCache goroutines on every replica and
// returns the tokens they got.
func (fl *fleet) hammer(t *testing.T, perCache int) map[string]int {
	t.Helper()
	var mu sync.Mutex
	got := map[string]int{}
	var wg sync.WaitGroup
	for _, s := range fl.sources {
		for range perCache {
			wg.Go(func() {
				tok, err := s.AccessToken(context.Background())
				mu.Lock()
				defer mu.Unlock()
				if err != nil {
					t.Errorf("AccessToken: %v", err)
					return
				}
				got[tok]++
			})
		}
	}
	wg.Wait()
	return got
}

func (fl *fleet) waitIdle(t *testing.T) {
	t.Helper()
	eventually(t, "refreshes to finish", func() bool {
		for _, s := range fl.sources {
			if !idle(s) {
				return false
			}
		}
		return true
	})
}

// TestFleetFetchesOncePerLifetime: three replicas with 20 goroutines each
// make exactly one token fetch per token lifetime, over many lifetimes,
// both when callers find the token expired (they block) and when they find
// it due for refresh (background refresh, no caller waits).
func TestFleetFetchesOncePerLifetime(t *testing.T) {
	r := startRedis(t)
	f := newFakeEndpoint(t)
	fl := newFleet(t, newRedisClient(t, r), f, 3, nil)

	fl.hammer(t, 20)
	if n := f.calls.Load(); n != 1 {
		t.Fatalf("cold start: %d fetches, want 1", n)
	}
	const lifetimes = 30
	for i := range lifetimes {
		before := f.calls.Load()
		if i%2 == 0 {
			fl.clock.Advance(time.Hour) // expired: every caller blocks
		} else {
			fl.clock.Advance(55 * time.Minute) // refresh due: served at once
		}
		fl.hammer(t, 20)
		fl.waitIdle(t)
		if n := f.calls.Load() - before; n != 1 {
			t.Fatalf("lifetime %d: %d fetches, want 1", i, n)
		}
		latest := f.tokens()[len(f.tokens())-1]
		for j, s := range fl.sources {
			if got := mustToken(t, s); got != latest {
				t.Fatalf("lifetime %d: replica %d serves an older token", i, j)
			}
		}
	}
	var shared int64
	for _, c := range fl.caches {
		shared += c.counts[redisHit].Load() + c.counts[waited].Load()
	}
	if shared == 0 {
		t.Fatal("no replica took its token from Redis")
	}
	t.Logf("%d lifetimes, %d fetches, %d tokens taken from Redis by the other replicas", lifetimes, f.calls.Load(), shared)
}

// TestRedisOutage: with Redis stopped tokens keep coming (fetched directly,
// logged once), Status reports degraded, and sharing resumes when Redis
// returns.
func TestRedisOutage(t *testing.T) {
	r := startRedis(t)
	f := newFakeEndpoint(t)
	var logs logBuffer
	fl := newFleet(t, newRedisClient(t, r), f, 2, func(o *CacheOptions) {
		o.Logger = slogTo(&logs)
		o.RedisTimeout = 500 * time.Millisecond
	})
	fl.hammer(t, 5)
	if f.calls.Load() != 1 {
		t.Fatalf("%d fetches before the outage", f.calls.Load())
	}

	r.Stop()
	for i := range 3 {
		before := f.calls.Load()
		fl.clock.Advance(time.Hour)
		fl.hammer(t, 5) // errors fail the test inside hammer
		if n := f.calls.Load() - before; n != 2 {
			t.Fatalf("outage lifetime %d: %d fetches, want one per replica (2)", i, n)
		}
	}
	for i, c := range fl.caches {
		st := c.Status()
		if c.Healthy() || !st.Degraded || st.Backend != "redis" || st.Reason == "" {
			t.Fatalf("replica %d during the outage: healthy %v, status %+v", i, c.Healthy(), st)
		}
	}
	if n := logs.count("Redis unreachable"); n != 2 {
		t.Fatalf("outage logged %d times, want once per replica:\n%s", n, logs.String())
	}

	r.Start(t)
	for i, c := range fl.caches {
		eventually(t, "recovery", c.Healthy)
		if st := c.Status(); st.Degraded {
			t.Fatalf("replica %d after recovery: %+v", i, st)
		}
	}
	before := f.calls.Load()
	fl.clock.Advance(time.Hour)
	fl.hammer(t, 5)
	fl.waitIdle(t)
	if n := f.calls.Load() - before; n != 1 {
		t.Fatalf("after recovery: %d fetches, want 1 for the fleet", n)
	}
	if logs.count("Redis answers again") != 2 {
		t.Fatalf("recovery not logged:\n%s", logs.String())
	}
}

// TestRedisHoldsNoPlaintext scans every key and value in Redis.
func TestRedisHoldsNoPlaintext(t *testing.T) {
	r := startRedis(t)
	rdb := newRedisClient(t, r)
	f := newFakeEndpoint(t)
	fl := newFleet(t, rdb, f, 2, nil)
	for range 3 {
		fl.hammer(t, 3)
		fl.clock.Advance(time.Hour)
	}
	// Leave a lock behind too, as a crashed fetcher would.
	gate := make(chan struct{})
	f.set(func(f *fakeEndpoint) { f.gate = gate })
	go func() { _, _ = fl.sources[0].AccessToken(context.Background()) }()
	ctx := context.Background()
	eventually(t, "a lock", func() bool {
		n, _ := rdb.Exists(ctx, fl.sources[0].lockKey).Result()
		return n == 1
	})

	forbidden := append(f.tokens(), testSecret, testClientID, testTenant)
	var keys []string
	iter := rdb.Scan(ctx, 0, "*", 100).Iterator()
	for iter.Next(ctx) {
		keys = append(keys, iter.Val())
	}
	if err := iter.Err(); err != nil {
		t.Fatal(err)
	}
	if len(keys) != 2 {
		t.Fatalf("keys %q, want the token and its lock", keys)
	}
	for _, k := range keys {
		if !strings.HasPrefix(k, keyPrefix) {
			t.Errorf("key %q outside %s", k, keyPrefix)
		}
		v, err := rdb.Get(ctx, k).Result()
		if err != nil {
			t.Fatal(err)
		}
		for _, s := range forbidden {
			if strings.Contains(k, s) || strings.Contains(v, s) {
				t.Errorf("Redis key %q (or its value) holds %q in plaintext", k, s)
			}
		}
		if ttl := rdb.PTTL(ctx, k).Val(); ttl <= 0 {
			t.Errorf("key %q has no TTL (%v)", k, ttl)
		}
	}
	close(gate)
	f.set(func(f *fakeEndpoint) { f.gate = nil })
}

// TestTokenTTLInRedis: the shared copy leaves Redis at expiry minus skew.
func TestTokenTTLInRedis(t *testing.T) {
	r := startRedis(t)
	rdb := newRedisClient(t, r)
	f := newFakeEndpoint(t)
	fl := newFleet(t, rdb, f, 1, func(o *CacheOptions) { o.Skew = time.Minute })
	mustToken(t, fl.sources[0])
	ttl := rdb.PTTL(context.Background(), fl.sources[0].key).Val()
	if ttl > 59*time.Minute || ttl < 58*time.Minute {
		t.Fatalf("TTL %v, want just under 59m (1h - 1m skew)", ttl)
	}
}
