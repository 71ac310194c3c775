package worker

import (
	"context"
	"errors"
	"net/http"
	"net/http/httptest"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/escalator/escalator/internal/event"
	"github.com/escalator/escalator/internal/outbound"
	"github.com/escalator/escalator/internal/ratelimit"
	"github.com/escalator/escalator/internal/streams"
)

// A message whose service is on hold is not sent there: the handler's call
// fails at once with the hold, and the worker Naks it for the rest of the
// hold, not for its (much shorter) backoff. It runs once more, after the
// hold, and that call reaches the service.
func TestHeldServiceNakedForTheRestOfTheHold(t *testing.T) {
	var (
		mu     sync.Mutex
		peerAt []time.Time
	)
	peer := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		mu.Lock()
		peerAt = append(peerAt, time.Now())
		first := len(peerAt) == 1
		mu.Unlock()
		if first {
			w.Header().Set("Retry-After", "1")
			w.WriteHeader(http.StatusTooManyRequests)
			return
		}
		_, _ = w.Write([]byte(`{"result":{}}`))
	}))
	t.Cleanup(peer.Close)
	holds, err := ratelimit.NewHolds(ratelimit.HoldsConfig{})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = holds.Close() })
	snow := outbound.Caller{Client: outbound.NewClient(outbound.Options{
		Name: "servicenow", Service: ratelimit.ServiceNow, Holds: holds, MaxAttempts: 1})}
	call := func(ctx context.Context) error {
		req, err := outbound.NewJSONRequest(ctx, http.MethodGet, peer.URL+"/api/now/table/incident", nil)
		if err != nil {
			return err
		}
		_, err = snow.Send(req)
		return err
	}
	// Another incident's call gets the 429: ServiceNow is on hold for 1s.
	if err := call(context.Background()); err == nil {
		t.Fatal("want the 429")
	}
	now := time.Now()
	end := now.Add(holds.For(ratelimit.ServiceNow).Remaining(now))

	e := newEnv(t, streams.Config{AckWait: 5 * time.Second})
	var heldErrs atomic.Int32
	rec := &recorder{fn: func(ctx context.Context, _ *Message, _ int) error {
		err := call(ctx)
		if errors.As(err, new(*ratelimit.HeldError)) {
			heldErrs.Add(1)
		}
		return err
	}}
	e.start(t, map[string]Handler{event.SubjectInsights: rec},
		Config{MaxDeliver: 10, BackoffInitial: 10 * time.Millisecond, BackoffMax: 20 * time.Millisecond})
	e.publish(t, "held-1")
	eventually(t, 10*time.Second, "acked after the hold", func() bool { return rec.count() >= 2 && e.settledAll(t) })

	calls := rec.snapshot()
	if len(calls) != 2 || heldErrs.Load() != 1 {
		t.Fatalf("handler ran %d times (%d held), want once held and once after the hold", len(calls), heldErrs.Load())
	}
	if calls[1].at.Before(end) {
		t.Fatalf("redelivered %s before the hold ended", end.Sub(calls[1].at))
	}
	mu.Lock()
	defer mu.Unlock()
	if len(peerAt) != 2 || peerAt[1].Before(end) {
		t.Fatalf("peer calls at %v, want the 429 and one after %s", peerAt, end)
	}
}
