package token

import (
	"context"
	"testing"
	"time"
)

func TestLifetimes(t *testing.T) {
	t0 := time.Date(2025, 6, 1, 8, 0, 0, 0, time.UTC)
	tests := []struct {
		name        string
		grant       Grant
		skew        time.Duration
		wantRefresh time.Duration // after t0
		wantUsable  time.Duration
	}{
		{"1h: 10% (6m) beats 5m", Grant{ExpiresIn: time.Hour}, 30 * time.Second, 54 * time.Minute, time.Hour - 30*time.Second},
		{"30m: the 5m floor", Grant{ExpiresIn: 30 * time.Minute}, 30 * time.Second, 25 * time.Minute, 30*time.Minute - 30*time.Second},
		{"24h with refresh_in 12h", Grant{ExpiresIn: 24 * time.Hour, RefreshIn: 12 * time.Hour}, 30 * time.Second, 12 * time.Hour, 24*time.Hour - 30*time.Second},
		{"refresh_in beyond the lifetime is ignored", Grant{ExpiresIn: time.Hour, RefreshIn: 2 * time.Hour}, 0, 54 * time.Minute, time.Hour},
		{"8m: last fifth", Grant{ExpiresIn: 8 * time.Minute}, 30 * time.Second, 384 * time.Second, 450 * time.Second},
		{"2s: last fifth, skew capped at a tenth", Grant{ExpiresIn: 2 * time.Second}, 30 * time.Second, 1600 * time.Millisecond, 1800 * time.Millisecond},
		{"50ms", Grant{ExpiresIn: 50 * time.Millisecond}, 30 * time.Second, 40 * time.Millisecond, 45 * time.Millisecond},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			tok, usable := lifetimes(tt.grant, t0, tt.skew)
			if got := tok.RefreshAt.Sub(t0); got != tt.wantRefresh {
				t.Errorf("refresh after %v, want %v", got, tt.wantRefresh)
			}
			if got := usable.Sub(t0); got != tt.wantUsable {
				t.Errorf("usable for %v, want %v", got, tt.wantUsable)
			}
			if !tok.Expiry.Equal(t0.Add(tt.grant.ExpiresIn)) {
				t.Errorf("expiry %v", tok.Expiry)
			}
		})
	}
}

// TestSkewAndExpiry walks an injected clock through a token's life, with
// and without Redis: local hits until the refresh point, the old token
// served while one background refresh runs, callers blocked (not served an
// expiring token) once only the skew remains.
func TestSkewAndExpiry(t *testing.T) {
	for _, withRedis := range []bool{false, true} {
		name := "memory"
		if withRedis {
			name = "redis"
		}
		t.Run(name, func(t *testing.T) {
			f := newFakeEndpoint(t)
			clock := newFakeClock()
			opts := CacheOptions{Clock: clock.Now, Skew: 30 * time.Second}
			if withRedis {
				opts.Redis = newRedisClient(t, startRedis(t))
				opts.Keyring, _ = NewKeyring(GenerateKey())
			}
			c := newTestCache(t, opts)
			e := f.entra(t, "v1") // expires_in "3600" as a string
			s := c.Source(e, e.Identity())
			ctx := context.Background()

			first, err := s.Token(ctx)
			if err != nil {
				t.Fatal(err)
			}
			if got := first.Expiry.Sub(clock.Now()); got != time.Hour {
				t.Fatalf("expiry in %v, want 1h (v1 string expires_in)", got)
			}
			clock.Advance(54*time.Minute - time.Second) // just before the refresh point
			if mustToken(t, s) != first.AccessToken || f.calls.Load() != 1 {
				t.Fatalf("before the refresh point: calls %d", f.calls.Load())
			}

			// Hold the endpoint: the refresh must not block callers.
			gate := make(chan struct{})
			f.set(func(f *fakeEndpoint) { f.gate = gate })
			clock.Advance(2 * time.Second) // 54m01s: refresh due
			for range 5 {
				if mustToken(t, s) != first.AccessToken {
					t.Fatal("the current token was not served during the refresh")
				}
			}
			eventually(t, "background refresh to start", func() bool { return !idle(s) })
			close(gate)
			f.set(func(f *fakeEndpoint) { f.gate = nil })
			eventually(t, "background refresh to end", func() bool { return idle(s) })
			second := mustToken(t, s)
			if second == first.AccessToken || f.calls.Load() != 2 {
				t.Fatalf("after refresh: calls %d, token changed %v", f.calls.Load(), second != first.AccessToken)
			}

			// Let the second token reach its skew without a background
			// refresh finishing: the endpoint fails, then recovers.
			f.set(func(f *fakeEndpoint) { f.failWith = &fakeFailure{status: 500, body: `{"error":"server_error"}`} })
			clock.Advance(time.Hour - 30*time.Second) // second token: exactly at expiry - skew
			if _, err := s.AccessToken(ctx); err == nil {
				t.Fatal("a token within the skew of its expiry was served")
			}
			f.set(func(f *fakeEndpoint) { f.failWith = nil })
			if third := mustToken(t, s); third == second {
				t.Fatal("expired token served")
			}
		})
	}
}

func TestRefreshInHonoured(t *testing.T) {
	f := newFakeEndpoint(t)
	f.set(func(f *fakeEndpoint) { f.expiresIn, f.refreshIn = 86400, 43200 })
	clock := newFakeClock()
	c := newTestCache(t, CacheOptions{Clock: clock.Now})
	e := f.entra(t, "v2")
	s := c.Source(e, e.Identity())
	tok, err := s.Token(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	if got := tok.RefreshAt.Sub(clock.Now()); got != 12*time.Hour {
		t.Fatalf("refresh in %v, want refresh_in's 12h", got)
	}
	clock.Advance(12*time.Hour + time.Second) // without refresh_in: not before 21.6h
	mustToken(t, s)
	eventually(t, "refresh at refresh_in", func() bool { return f.calls.Load() == 2 && idle(s) })
}

func TestSourceIsSharedPerIdentity(t *testing.T) {
	f := newFakeEndpoint(t)
	c := newTestCache(t, CacheOptions{})
	e := f.entra(t, "v1")
	if c.Source(e, e.Identity()) != c.Source(e, e.Identity()) {
		t.Fatal("two sources for one identity")
	}
	other := e.Identity()
	other.Resource = "https://management.azure.com/"
	if c.Source(e, e.Identity()) == c.Source(e, other) {
		t.Fatal("one source for two identities")
	}
	if e.Identity().RedisKey() == other.RedisKey() {
		t.Fatal("two identities share a Redis key")
	}
}
