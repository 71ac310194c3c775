package outbound

import (
	"context"
	"errors"
	"io"
	"net/http"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/escalator/escalator/internal/fault"
	"github.com/escalator/escalator/internal/ratelimit"
	"github.com/escalator/escalator/internal/testkit/wait"
)

func newTestHolds(t testing.TB) *ratelimit.Holds {
	t.Helper()
	hs, err := ratelimit.NewHolds(ratelimit.HoldsConfig{})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = hs.Close() })
	return hs
}

// Which answers hold the whole service: 429 and 503 with a Retry-After,
// nothing else.
func TestAnswersThatHold(t *testing.T) {
	tests := []struct {
		status     int
		retryAfter string
		hold       bool
	}{
		{429, "2", true},
		{503, "1.5", true},
		{429, "", false},
		{503, "", false},
		{500, "2", false},
		{502, "2", false},
		{429, "0", false},
		{200, "2", false},
	}
	for _, tt := range tests {
		t.Run(http.StatusText(tt.status)+" "+tt.retryAfter, func(t *testing.T) {
			h := http.Header{}
			if tt.retryAfter != "" {
				h.Set("Retry-After", tt.retryAfter)
			}
			srv, _ := scripted(t, []int{tt.status}, h)
			holds := newTestHolds(t)
			opts := fastOptions()
			opts.MaxAttempts, opts.Service, opts.Holds = 1, ratelimit.Graph, holds
			req, _ := http.NewRequest(http.MethodGet, srv.URL, nil)
			_ = do(t, NewClient(opts), req)
			if held := holds.For(ratelimit.Graph).Remaining(time.Now()) > 0; held != tt.hold {
				t.Fatalf("held = %v, want %v", held, tt.hold)
			}
		})
	}
}

// While a service is on hold a new request fails at once, transient with
// the rest of the hold, and sends nothing; other clients of the same
// service are held too, clients of another service are not.
func TestHeldRequestIsNotSent(t *testing.T) {
	srv, rec := scripted(t, []int{429, 200}, http.Header{"Retry-After": {"30"}})
	holds := newTestHolds(t)
	client := func(name, service string) *http.Client {
		opts := fastOptions()
		opts.Name, opts.Service, opts.Holds, opts.MaxRetryAfter = name, service, holds, time.Second
		return NewClient(opts)
	}
	health, directory, arm := client("graph", ratelimit.Graph), client("graph-users", ratelimit.Graph), client("arm", ratelimit.ARM)

	req, _ := http.NewRequest(http.MethodGet, srv.URL, nil)
	if resp := do(t, health, req); resp.StatusCode != 429 {
		t.Fatalf("status %d, want the 429 back (Retry-After beyond MaxRetryAfter)", resp.StatusCode)
	}
	body := &closeCounter{Reader: strings.NewReader("{}")}
	req, _ = http.NewRequest(http.MethodPost, srv.URL, body)
	_, err := directory.Do(req)
	var he *ratelimit.HeldError
	if !errors.As(err, &he) || he.Service != ratelimit.Graph {
		t.Fatalf("err = %v, want a *HeldError for graph", err)
	}
	if fault.Classify(err) != fault.Transient || fault.RetryAfter(err) < 29*time.Second {
		t.Fatalf("class %v, retry after %s: want transient, the rest of 30s", fault.Classify(err), fault.RetryAfter(err))
	}
	if body.closed.Load() != 1 {
		t.Fatal("the held request's body was not closed")
	}
	if rec.count() != 1 {
		t.Fatalf("%d requests reached the peer, want only the 429", rec.count())
	}
	req, _ = http.NewRequest(http.MethodGet, srv.URL, nil)
	if resp := do(t, arm, req); resp.StatusCode != 200 {
		t.Fatalf("arm: status %d, want 200: graph's hold is graph's", resp.StatusCode)
	}
}

type closeCounter struct {
	io.Reader
	closed atomic.Int32
}

func (c *closeCounter) Close() error { c.closed.Add(1); return nil }

// The request that got the 429 retries in place after Retry-After, as
// before; a request that arrives during the hold fails fast instead of
// piling on.
func TestRetryWaitsOutItsOwnHold(t *testing.T) {
	srv, rec := scripted(t, []int{429, 200}, http.Header{"Retry-After": {"1"}})
	holds := newTestHolds(t)
	opts := fastOptions()
	opts.Service, opts.Holds = ratelimit.ServiceNow, holds
	c := NewClient(opts)
	done := make(chan *http.Response, 1)
	go func() {
		req, _ := http.NewRequest(http.MethodGet, srv.URL, nil)
		resp, err := c.Do(req)
		if err != nil {
			t.Error(err)
		}
		done <- resp
	}()
	hold := holds.For(ratelimit.ServiceNow)
	eventually(t, "the 429 holds the service", func() bool { return hold.Remaining(time.Now()) > 0 })
	req, _ := http.NewRequest(http.MethodGet, srv.URL, nil)
	if _, err := c.Do(req); !errors.As(err, new(*ratelimit.HeldError)) {
		t.Fatalf("request during the hold: %v, want a *HeldError", err)
	}
	resp := <-done
	if resp == nil || resp.StatusCode != 200 {
		t.Fatalf("the retried request: %v, want 200", resp)
	}
	_ = resp.Body.Close()
	if rec.count() != 2 {
		t.Fatalf("%d requests, want the 429 and its retry", rec.count())
	}
}

type countingLimiter struct {
	n   atomic.Int32
	err error
}

func (l *countingLimiter) Wait(context.Context) error { l.n.Add(1); return l.err }

// The limiter is waited on before every attempt, retries included, and a
// refusal sends nothing.
func TestLimiterBeforeEveryAttempt(t *testing.T) {
	srv, rec := scripted(t, []int{503, 503, 200})
	lim := &countingLimiter{}
	opts := fastOptions()
	opts.Limiter = lim
	req, _ := http.NewRequest(http.MethodGet, srv.URL, nil)
	if resp := do(t, NewClient(opts), req); resp.StatusCode != 200 {
		t.Fatalf("status %d", resp.StatusCode)
	}
	if lim.n.Load() != 3 || rec.count() != 3 {
		t.Fatalf("%d waits for %d attempts, want 3 and 3", lim.n.Load(), rec.count())
	}
	refusal := fault.AsTransient(errors.New("servicenow rate limit: next slot in 1m"), time.Minute)
	opts.Limiter = &countingLimiter{err: refusal}
	req, _ = http.NewRequest(http.MethodGet, srv.URL, nil)
	if _, err := NewClient(opts).Do(req); fault.RetryAfter(err) != time.Minute {
		t.Fatalf("err = %v, want the limiter's refusal", err)
	}
	if rec.count() != 3 {
		t.Fatal("a refused request was sent")
	}
}

// eventually polls cond until it holds or the deadline passes (wait.For).
func eventually(t testing.TB, what string, cond func() bool) {
	t.Helper()
	wait.For(t, 10*time.Second, what, cond)
}

// stubTransport answers every request 200 without a network.
type stubTransport struct{}

func (stubTransport) RoundTrip(req *http.Request) (*http.Response, error) {
	return &http.Response{StatusCode: 200, Header: http.Header{}, Body: http.NoBody, Request: req}, nil
}

// BenchmarkHoldRoundTrip is a request through the whole policy to a
// service not on hold, with and without holds: the difference is the
// hot-path cost of the hold (no Redis is asked per call, with or without
// Redis configured).
func BenchmarkHoldRoundTrip(b *testing.B) {
	for _, withHolds := range []bool{false, true} {
		name := "without holds"
		opts := Options{Name: "graph", Transport: stubTransport{}}
		if withHolds {
			name = "with holds"
			opts.Holds = newTestHolds(b)
		}
		b.Run(name, func(b *testing.B) {
			c := NewClient(opts)
			req, _ := http.NewRequest(http.MethodGet, "http://graph.invalid/v1.0/x", nil)
			b.ReportAllocs()
			for b.Loop() {
				resp, err := c.Do(req)
				if err != nil {
					b.Fatal(err)
				}
				_ = resp.Body.Close()
			}
		})
	}
}
