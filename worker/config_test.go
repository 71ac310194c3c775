package worker

import (
	"context"
	"errors"
	"fmt"
	"testing"
	"time"

	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"

	"github.com/escalator/escalator/internal/event"
	"github.com/escalator/escalator/internal/fault"
	"github.com/escalator/escalator/internal/streams"
)

func TestRetryDelay(t *testing.T) {
	cfg := Config{BackoffInitial: 50 * time.Millisecond, BackoffMax: 300 * time.Millisecond}
	plain := errors.New("timeout")
	noLeader := &jetstream.APIError{Code: 503, ErrorCode: 10008, Description: "JetStream system temporarily unavailable"}
	tests := []struct {
		delivered uint64
		err       error
		want      time.Duration
	}{
		{1, plain, 50 * time.Millisecond},
		{2, plain, 100 * time.Millisecond},
		{3, plain, 200 * time.Millisecond},
		{4, plain, 300 * time.Millisecond},
		{40, plain, 300 * time.Millisecond},
		{1, fault.AsTransient(plain, 2*time.Second), 2 * time.Second},
		{3, fault.AsTransient(plain, 10*time.Millisecond), 200 * time.Millisecond},
		// JetStream without a leader: no sooner than an election.
		{1, fmt.Errorf("claim: %w", jetstream.ErrNoStreamResponse), leaderElection},
		{2, fmt.Errorf("get: %w", nats.ErrNoResponders), leaderElection},
		{1, fmt.Errorf("info: %w", noLeader), leaderElection},
		{1, context.DeadlineExceeded, 50 * time.Millisecond},
	}
	for _, tt := range tests {
		if got := cfg.retryDelay(tt.delivered, tt.err); got != tt.want {
			t.Errorf("retryDelay(%d, %v) = %s, want %s", tt.delivered, tt.err, got, tt.want)
		}
	}
}

func TestNewValidates(t *testing.T) {
	e := newEnv(t, streams.Config{AckWait: 3 * time.Second})
	h := map[string]Handler{event.SubjectInsights: HandlerFunc(nil)}
	ok := map[string]Handler{event.SubjectInsights: &recorder{}}
	tests := []struct {
		name     string
		handlers map[string]Handler
		cfg      Config
	}{
		{"no handlers", nil, Config{}},
		{"nil handler", map[string]Handler{event.SubjectInsights: nil}, Config{}},
		{"empty subject", map[string]Handler{"": h[event.SubjectInsights]}, Config{}},
		{"negative concurrency", ok, Config{Concurrency: -1}},
		{"negative prefetch", ok, Config{Prefetch: -1}},
		{"progress not below ack wait", ok, Config{ProgressInterval: 3 * time.Second}},
		{"backoff max below initial", ok, Config{BackoffInitial: time.Second, BackoffMax: time.Millisecond}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if _, err := New(e.res.Consumer, e.js, tt.handlers, tt.cfg); err == nil {
				t.Fatal("want an error")
			}
		})
	}
	w, err := New(e.res.Consumer, e.js, ok, Config{})
	if err != nil {
		t.Fatal(err)
	}
	if w.cfg.AckWait != 3*time.Second || w.cfg.ProgressInterval != time.Second || w.cfg.ConsumerName != streams.ConsumerName {
		t.Fatalf("defaults from the consumer not applied: %+v", w.cfg)
	}
	if w.fast != DefaultPrefetch {
		t.Fatalf("fast prefetch %d, want the default %d", w.fast, DefaultPrefetch)
	}
	// A prefetch below Concurrency is Concurrency: there is no fast feed.
	small, err := New(e.res.Consumer, e.js, ok, Config{Concurrency: 64, Prefetch: 10})
	if err != nil {
		t.Fatal(err)
	}
	if small.fast != 64 {
		t.Fatalf("prefetch 10 at concurrency 64: fast %d, want 64", small.fast)
	}
}
