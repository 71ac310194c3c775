package ingest

import (
	"context"
	"net/http"
	"testing"
	"time"

	"github.com/escalator/escalator/internal/streams"
)

func TestUnavailableWithoutStream(t *testing.T) {
	f := newFixture(t, fixtureOpts{noStream: true, cfg: func(c *Config) { c.RetryAfter = 7 * time.Second }})
	tests := []struct {
		name string
		ct   string
		body []byte
	}{
		{"single", "application/cloudevents+json", mustJSON(t, newEvent("lost-1"))},
		{"batch", "application/cloudevents-batch+json", batchOf(t, "lost-batch", 20)},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			resp := f.post(tt.ct, tokenA, tt.body)
			wantProblem(t, resp, http.StatusServiceUnavailable)
			if got := resp.Header.Get("Retry-After"); got != "7" {
				t.Fatalf("Retry-After %q, want 7", got)
			}
		})
	}
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	if _, err := streams.Ensure(ctx, f.js, streams.Config{}); err != nil {
		t.Fatal(err)
	}
	if got := f.stored(); got != 0 {
		t.Fatalf("stream holds %d messages after 503s", got)
	}
	// Once JetStream takes events again, the client's retry succeeds.
	wantAccepted(t, f.post("application/cloudevents-batch+json", tokenA, batchOf(t, "lost-batch", 20)))
	if !f.logs.contains(`"status":503`) {
		t.Fatalf("503 not logged: %s", f.logs.String())
	}
}

func TestUnavailableWhenNATSIsDown(t *testing.T) {
	f := newFixture(t, fixtureOpts{cfg: func(c *Config) { c.PublishTimeout = 300 * time.Millisecond }})
	wantAccepted(t, f.post("application/cloudevents+json", tokenA, mustJSON(t, newEvent("up-1"))))
	f.nats.Shutdown()
	f.nats.WaitForShutdown()
	for _, body := range [][]byte{mustJSON(t, newEvent("down-1")), batchOf(t, "down", 10)} {
		ct := "application/cloudevents+json"
		if body[0] == '[' {
			ct = "application/cloudevents-batch+json"
		}
		resp := f.post(ct, tokenA, body)
		wantProblem(t, resp, http.StatusServiceUnavailable)
		if resp.Header.Get("Retry-After") != "5" {
			t.Fatalf("Retry-After %q, want the default 5", resp.Header.Get("Retry-After"))
		}
	}
}
