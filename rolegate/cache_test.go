package rolegate_test

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"sync"
	"sync/atomic"
	"testing"
	"testing/synctest"
	"time"

	"github.com/escalator/escalator/internal/event"
	"github.com/escalator/escalator/internal/fault"
	"github.com/escalator/escalator/rolegate"
)

// countingReader is a ServiceNow role reader that counts its lookups;
// block, when set, holds each lookup until it is closed.
type countingReader struct {
	roles map[string][]string
	err   error
	block chan struct{}
	calls atomic.Int32
}

func (r *countingReader) UserRoles(_ context.Context, user string) ([]string, error) {
	r.calls.Add(1)
	if r.block != nil {
		<-r.block
	}
	if r.err != nil {
		return nil, r.err
	}
	return r.roles[user], nil
}

func newCache(t *testing.T, r *countingReader, ttl time.Duration, max int) *rolegate.RoleCache {
	t.Helper()
	c, err := rolegate.NewRoleCache(rolegate.CacheConfig{Reader: r, TTL: ttl, MaxUsers: max})
	if err != nil {
		t.Fatal(err)
	}
	return c
}

func TestRoleCacheTTL(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		r := &countingReader{roles: map[string][]string{"beth.anglin": {"itil", roleAdmin}}}
		c := newCache(t, r, time.Minute, 0)
		ctx := context.Background()
		for range 3 {
			got, err := c.UserRoles(ctx, "beth.anglin")
			if err != nil || !slices.Equal(got, []string{"itil", roleAdmin}) {
				t.Fatalf("roles %v, %v", got, err)
			}
		}
		if n := r.calls.Load(); n != 1 {
			t.Fatalf("%d lookups within the TTL, want 1", n)
		}
		time.Sleep(59 * time.Second)
		if _, err := c.UserRoles(ctx, "beth.anglin"); err != nil || r.calls.Load() != 1 {
			t.Fatalf("looked up again before the TTL passed (%d lookups, %v)", r.calls.Load(), err)
		}
		// A role revoked in ServiceNow is seen once the TTL has passed.
		r.roles["beth.anglin"] = []string{"itil"}
		time.Sleep(time.Second)
		got, err := c.UserRoles(ctx, "beth.anglin")
		if err != nil || r.calls.Load() != 2 || !slices.Equal(got, []string{"itil"}) {
			t.Fatalf("after the TTL: roles %v, %d lookups, %v", got, r.calls.Load(), err)
		}
	})
}

func TestRoleCacheDefaultTTLAndNoCache(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		r := &countingReader{}
		c := newCache(t, r, 0, 0) // default 60s
		ctx := context.Background()
		_, _ = c.UserRoles(ctx, "u")
		time.Sleep(rolegate.DefaultRoleCacheTTL - time.Second)
		_, _ = c.UserRoles(ctx, "u")
		if n := r.calls.Load(); n != 1 {
			t.Fatalf("default TTL: %d lookups, want 1", n)
		}
		off := newCache(t, &countingReader{}, -1, 0)
		for range 2 {
			_, _ = off.UserRoles(ctx, "u")
		}
		if n := off.Len(); n != 0 {
			t.Fatalf("a negative TTL cached %d users", n)
		}
	})
}

func TestRoleCacheCoalescesConcurrentLookups(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		r := &countingReader{roles: map[string][]string{"david.miller": {roleInsights}}, block: make(chan struct{})}
		c := newCache(t, r, time.Minute, 0)
		var wg sync.WaitGroup
		results := make([][]string, 10)
		for i := range results {
			wg.Go(func() {
				results[i], _ = c.UserRoles(context.Background(), "david.miller")
			})
		}
		synctest.Wait() // every caller waits on the one lookup
		if n := r.calls.Load(); n != 1 {
			t.Fatalf("%d concurrent lookups of one user, want 1", n)
		}
		close(r.block)
		wg.Wait()
		for i, got := range results {
			if !slices.Equal(got, []string{roleInsights}) {
				t.Fatalf("caller %d got %v", i, got)
			}
		}
	})
}

func TestRoleCacheWaiterStopsOnItsContext(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		r := &countingReader{block: make(chan struct{})}
		c := newCache(t, r, time.Minute, 0)
		ctx, cancel := context.WithCancel(context.Background())
		done := make(chan error, 1)
		go func() {
			_, err := c.UserRoles(ctx, "u")
			done <- err
		}()
		synctest.Wait()
		cancel()
		if err := <-done; !errors.Is(err, context.Canceled) || fault.Classify(err) != fault.Transient {
			t.Fatalf("canceled wait: %v (class %v)", err, fault.Classify(err))
		}
		close(r.block)
	})
}

func TestRoleCacheIsBounded(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		r := &countingReader{}
		c := newCache(t, r, time.Minute, 3)
		ctx := context.Background()
		for i := range 10 {
			_, _ = c.UserRoles(ctx, fmt.Sprintf("user%d", i))
			time.Sleep(time.Second)
		}
		if n := c.Len(); n != 3 {
			t.Fatalf("%d users remembered, want at most 3", n)
		}
		// The most recent users stayed; the oldest went.
		before := r.calls.Load()
		_, _ = c.UserRoles(ctx, "user9")
		_, _ = c.UserRoles(ctx, "user0")
		if got := r.calls.Load() - before; got != 1 {
			t.Fatalf("%d lookups for a kept and an evicted user, want 1", got)
		}
	})
}

func TestRoleCacheFailureIsTransientAndNotCached(t *testing.T) {
	r := &countingReader{err: fault.Permanentf("403 User Not Authorized")}
	c := newCache(t, r, time.Minute, 0)
	for range 2 {
		_, err := c.UserRoles(context.Background(), "beth.anglin")
		if err == nil || fault.Classify(err) != fault.Transient {
			t.Fatalf("lookup failure: %v (class %v), want transient", err, fault.Classify(err))
		}
	}
	if n := r.calls.Load(); n != 2 {
		t.Fatalf("a failed lookup was cached: %d lookups, want 2", n)
	}
}

func TestRoleCacheUserWithoutName(t *testing.T) {
	r := &countingReader{}
	c := newCache(t, r, time.Minute, 0)
	got, err := c.Roles(context.Background(), &event.Event{})
	if err != nil || len(got) != 0 || r.calls.Load() != 0 {
		t.Fatalf("no user name: roles %v, %v, %d lookups", got, err, r.calls.Load())
	}
	if _, err := rolegate.NewRoleCache(rolegate.CacheConfig{}); err == nil {
		t.Fatal("NewRoleCache without a reader succeeded")
	}
}
