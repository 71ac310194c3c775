package ingest

import (
	"context"
	"fmt"
	"net/http"
	"testing"
	"time"

	"github.com/escalator/escalator/internal/streams"
	"github.com/escalator/escalator/internal/testkit/streamtest"
	"github.com/nats-io/nats.go/jetstream"
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
	streamtest.Ensure(t, f.js, streams.Config{})
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

// TestStreamFull: a stream at its MaxBytes with DiscardNew refuses new
// events; ingest answers 503 with Retry-After, naming the full store.
func TestStreamFull(t *testing.T) {
	f := newFixture(t, fixtureOpts{noStream: true, cfg: func(c *Config) { c.RetryAfter = 3 * time.Second }})
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	sc := streams.StreamConfig(streams.Config{}.WithDefaults())
	sc.MaxBytes = 4 << 10
	sc.Discard = jetstream.DiscardNew
	if _, err := f.js.CreateStream(ctx, sc); err != nil {
		t.Fatal(err)
	}
	var resp *http.Response
	for i := 0; ; i++ {
		if i > 100 {
			t.Fatal("a 4 KiB stream took 100 events")
		}
		resp = f.post("application/cloudevents+json", tokenA, mustJSON(t, newEvent(fmt.Sprintf("full-%d", i))))
		if resp.StatusCode != http.StatusAccepted {
			break
		}
		resp.Body.Close()
	}
	p := wantProblem(t, resp, http.StatusServiceUnavailable)
	if got := resp.Header.Get("Retry-After"); got != "3" {
		t.Fatalf("Retry-After %q, want 3", got)
	}
	if p.Type != problemTypeBase+"stream-full" {
		t.Fatalf("problem type %q, want the stream-full one", p.Type)
	}
	if !f.logs.contains(`"reason":"stream-full"`) {
		t.Fatalf("refusal not logged as stream-full: %s", f.logs.String())
	}
}
