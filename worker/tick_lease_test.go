package worker

import (
	"context"
	"encoding/json"
	"errors"
	"sync/atomic"
	"testing"
	"time"

	"github.com/nats-io/nats.go/jetstream"

	"github.com/escalator/escalator/internal/streams"
)

func exclusiveOf(t *testing.T, kv jetstream.KeyValue, h Handler, owner string) Handler {
	t.Helper()
	x, err := Exclusive(h, LeaseConfig{KV: kv, Key: "lease.test", TTL: time.Minute, Owner: owner})
	if err != nil {
		t.Fatal(err)
	}
	return x
}

func TestExclusiveSkipsWhileAnotherRunHoldsTheLease(t *testing.T) {
	e := newEnv(t, streams.Config{})
	var runs atomic.Int64
	entered, release := make(chan struct{}), make(chan struct{})
	slow := exclusiveOf(t, e.res.Health, HandlerFunc(func(ctx context.Context, _ *Message) error {
		runs.Add(1)
		close(entered)
		<-release
		return nil
	}), "a")
	fast := exclusiveOf(t, e.res.Health, HandlerFunc(func(context.Context, *Message) error {
		runs.Add(1)
		return nil
	}), "b")

	done := make(chan error, 1)
	go func() { done <- slow.Handle(context.Background(), &Message{}) }()
	<-entered
	if err := fast.Handle(context.Background(), &Message{}); err != nil {
		t.Fatalf("a skipped run must ack: %v", err)
	}
	if runs.Load() != 1 {
		t.Fatalf("the second run ran while the first held the lease")
	}
	close(release)
	if err := <-done; err != nil {
		t.Fatal(err)
	}
	// Released: the next run goes ahead.
	if err := fast.Handle(context.Background(), &Message{}); err != nil {
		t.Fatal(err)
	}
	if runs.Load() != 2 {
		t.Fatalf("runs %d after the lease was released, want 2", runs.Load())
	}
	if _, err := e.res.Health.Get(context.Background(), "lease.test"); !errors.Is(err, jetstream.ErrKeyNotFound) {
		t.Fatalf("lease left behind: %v", err)
	}
}

func TestExclusiveTakesOverAnExpiredLease(t *testing.T) {
	tests := []struct {
		name    string
		expires time.Duration
		wantRun bool
	}{
		{"expired lease of a crashed holder", -time.Second, true},
		{"live lease of another holder", time.Minute, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			e := newEnv(t, streams.Config{})
			v, _ := json.Marshal(leaseValue{Owner: "crashed", Expires: time.Now().Add(tt.expires)})
			if _, err := e.res.Health.Create(context.Background(), "lease.test", v); err != nil {
				t.Fatal(err)
			}
			var ran atomic.Bool
			h := exclusiveOf(t, e.res.Health, HandlerFunc(func(context.Context, *Message) error {
				ran.Store(true)
				return nil
			}), "b")
			if err := h.Handle(context.Background(), &Message{}); err != nil {
				t.Fatal(err)
			}
			if ran.Load() != tt.wantRun {
				t.Fatalf("ran %v, want %v", ran.Load(), tt.wantRun)
			}
		})
	}
}

func TestExclusivePassesTheHandlersError(t *testing.T) {
	e := newEnv(t, streams.Config{})
	boom := errors.New("boom")
	h := exclusiveOf(t, e.res.Health, HandlerFunc(func(context.Context, *Message) error { return boom }), "a")
	if err := h.Handle(context.Background(), &Message{}); !errors.Is(err, boom) {
		t.Fatalf("got %v", err)
	}
	// A failed run releases the lease too.
	if _, err := e.res.Health.Get(context.Background(), "lease.test"); !errors.Is(err, jetstream.ErrKeyNotFound) {
		t.Fatalf("lease left behind: %v", err)
	}
}

func TestExclusiveRenewsTheLease(t *testing.T) {
	e := newEnv(t, streams.Config{})
	clock := newTickClock(time.Now())
	entered, release := make(chan struct{}), make(chan struct{})
	h, err := Exclusive(HandlerFunc(func(ctx context.Context, _ *Message) error {
		close(entered)
		<-release
		return nil
	}), LeaseConfig{KV: e.res.Health, Key: "lease.test", TTL: 30 * time.Second, Owner: "a", Clock: clock})
	if err != nil {
		t.Fatal(err)
	}
	done := make(chan error, 1)
	go func() { done <- h.Handle(context.Background(), &Message{}) }()
	<-entered
	expiry := func() time.Time {
		en, err := e.res.Health.Get(context.Background(), "lease.test")
		if err != nil {
			return time.Time{}
		}
		var v leaseValue
		_ = json.Unmarshal(en.Value(), &v)
		return v.Expires
	}
	first := expiry()
	eventually(t, 5*time.Second, "the renewal timer", func() bool { return clock.pending() == 1 })
	clock.Advance(10 * time.Second)
	eventually(t, 5*time.Second, "a renewed lease", func() bool { return expiry().Sub(first) >= 10*time.Second })
	close(release)
	if err := <-done; err != nil {
		t.Fatal(err)
	}
}

func TestExclusiveValidates(t *testing.T) {
	e := newEnv(t, streams.Config{})
	h := HandlerFunc(func(context.Context, *Message) error { return nil })
	tests := []struct {
		name string
		h    Handler
		cfg  LeaseConfig
	}{
		{"no handler", nil, LeaseConfig{KV: e.res.Health, Key: "k"}},
		{"no bucket", h, LeaseConfig{Key: "k"}},
		{"no key", h, LeaseConfig{KV: e.res.Health}},
		{"negative ttl", h, LeaseConfig{KV: e.res.Health, Key: "k", TTL: -time.Second}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if _, err := Exclusive(tt.h, tt.cfg); err == nil {
				t.Fatal("want an error")
			}
		})
	}
}
