package outbound

import (
	"context"
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"go.opentelemetry.io/otel/attribute"
	sdktrace "go.opentelemetry.io/otel/sdk/trace"
	"go.opentelemetry.io/otel/sdk/trace/tracetest"
)

// recorder is an httptest peer that answers from a script and records what
// it received.
type recorder struct {
	mu       sync.Mutex
	times    []time.Time
	bodies   []string
	statuses []int
	headers  []http.Header
}

func (rec *recorder) note(r *http.Request) int {
	b, _ := io.ReadAll(r.Body)
	rec.mu.Lock()
	defer rec.mu.Unlock()
	rec.times = append(rec.times, time.Now())
	rec.bodies = append(rec.bodies, string(b))
	rec.headers = append(rec.headers, r.Header.Clone())
	return len(rec.times) - 1
}

func (rec *recorder) count() int {
	rec.mu.Lock()
	defer rec.mu.Unlock()
	return len(rec.times)
}

// scripted answers the n-th request with statuses[n] (the last one repeats)
// and headers[n] when present.
func scripted(t *testing.T, statuses []int, headers ...http.Header) (*httptest.Server, *recorder) {
	t.Helper()
	rec := &recorder{}
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		n := rec.note(r)
		if n < len(headers) {
			for k, v := range headers[n] {
				w.Header()[k] = v
			}
		}
		w.WriteHeader(statuses[min(n, len(statuses)-1)])
		_, _ = io.WriteString(w, `{"ok":true}`)
	}))
	t.Cleanup(srv.Close)
	return srv, rec
}

func fastOptions() Options {
	return Options{Name: "test", InitialBackoff: time.Millisecond, Timeout: 5 * time.Second}
}

func do(t *testing.T, c *http.Client, req *http.Request) *http.Response {
	t.Helper()
	resp, err := c.Do(req)
	if err != nil {
		t.Fatalf("%s %s: %v", req.Method, req.URL, err)
	}
	t.Cleanup(func() { _ = resp.Body.Close() })
	return resp
}

func TestRetryAfterIsHonoured(t *testing.T) {
	srv, rec := scripted(t, []int{429, 200}, http.Header{"Retry-After": {"1.5"}})
	c := NewClient(fastOptions())
	req, _ := http.NewRequest(http.MethodGet, srv.URL, nil)
	resp := do(t, c, req)
	if resp.StatusCode != 200 {
		t.Fatalf("status = %d, want 200", resp.StatusCode)
	}
	if rec.count() != 2 {
		t.Fatalf("requests = %d, want 2", rec.count())
	}
	if gap := rec.times[1].Sub(rec.times[0]); gap < 1500*time.Millisecond {
		t.Errorf("retry came %v after the 429, Retry-After said 1.5s", gap)
	}
}

func TestRetryAfterBeyondMaxIsReturned(t *testing.T) {
	srv, rec := scripted(t, []int{429, 200}, http.Header{"Retry-After": {"3600"}})
	opts := fastOptions()
	opts.MaxRetryAfter = time.Minute
	req, _ := http.NewRequest(http.MethodGet, srv.URL, nil)
	resp := do(t, NewClient(opts), req)
	err := CheckResponse(resp)
	var se *StatusError
	if !errors.As(err, &se) || se.StatusCode != 429 || se.Retry != time.Hour {
		t.Fatalf("err = %#v, want 429 StatusError with Retry 1h", err)
	}
	if rec.count() != 1 {
		t.Errorf("requests = %d, want 1", rec.count())
	}
}

func TestRetries(t *testing.T) {
	tests := []struct {
		name       string
		method     string
		mark       func(*http.Request) *http.Request
		statuses   []int
		wantStatus int
		wantCalls  int
	}{
		{"5xx burst recovers", http.MethodGet, nil, []int{503, 503, 503, 200}, 200, 4},
		{"502 then 200", http.MethodDelete, nil, []int{502, 200}, 200, 2},
		{"408 retried", http.MethodPut, nil, []int{408, 201}, 201, 2},
		{"gives up after MaxAttempts", http.MethodGet, nil, []int{500}, 500, 4},
		{"400 not retried", http.MethodGet, nil, []int{400, 200}, 400, 1},
		{"404 not retried", http.MethodGet, nil, []int{404, 200}, 404, 1},
		{"409 not retried", http.MethodPut, nil, []int{409, 200}, 409, 1},
		{"POST not retried", http.MethodPost, nil, []int{503, 200}, 503, 1},
		{"PATCH not retried", http.MethodPatch, nil, []int{503, 200}, 503, 1},
		{"marked POST retried", http.MethodPost, Idempotent, []int{503, 503, 200}, 200, 3},
		{"marked PATCH retried", http.MethodPatch, Idempotent, []int{500, 200}, 200, 2},
		{"POST with Idempotency-Key retried", http.MethodPost, func(r *http.Request) *http.Request {
			r.Header.Set("Idempotency-Key", "k1")
			return r
		}, []int{429, 200}, 200, 2},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			srv, rec := scripted(t, tt.statuses)
			const payload = `{"short_description":"mail down"}`
			req, _ := http.NewRequest(tt.method, srv.URL, strings.NewReader(payload))
			if tt.mark != nil {
				req = tt.mark(req)
			}
			resp := do(t, NewClient(fastOptions()), req)
			if resp.StatusCode != tt.wantStatus {
				t.Errorf("status = %d, want %d", resp.StatusCode, tt.wantStatus)
			}
			if rec.count() != tt.wantCalls {
				t.Fatalf("requests = %d, want %d", rec.count(), tt.wantCalls)
			}
			for i, b := range rec.bodies {
				if b != payload {
					t.Errorf("attempt %d body = %q, want the replayed %q", i, b, payload)
				}
			}
		})
	}
}

func TestNetworkErrorIsRetried(t *testing.T) {
	rec := &recorder{}
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if rec.note(r) == 0 {
			conn, _, err := w.(http.Hijacker).Hijack()
			if err == nil {
				_ = conn.Close() // the peer hangs up without an answer
			}
			return
		}
		w.WriteHeader(http.StatusOK)
	}))
	t.Cleanup(srv.Close)
	req, _ := http.NewRequest(http.MethodGet, srv.URL, nil)
	resp := do(t, NewClient(fastOptions()), req)
	if resp.StatusCode != 200 || rec.count() != 2 {
		t.Errorf("status %d after %d requests, want 200 after 2", resp.StatusCode, rec.count())
	}
}

func TestAttemptTimeoutIsRetried(t *testing.T) {
	rec := &recorder{}
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if rec.note(r) == 0 {
			<-r.Context().Done() // hold the first attempt until the client gives up on it
			return
		}
		w.WriteHeader(http.StatusOK)
	}))
	t.Cleanup(srv.Close)
	opts := fastOptions()
	opts.Timeout = 200 * time.Millisecond
	req, _ := http.NewRequest(http.MethodGet, srv.URL, nil)
	resp := do(t, NewClient(opts), req)
	if resp.StatusCode != 200 || rec.count() != 2 {
		t.Errorf("status %d after %d requests, want 200 after 2", resp.StatusCode, rec.count())
	}
}

func TestContextCancellationStopsRetrying(t *testing.T) {
	first := make(chan struct{})
	var once sync.Once
	rec := &recorder{}
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		rec.note(r)
		w.Header().Set("Retry-After", "30")
		w.WriteHeader(http.StatusServiceUnavailable)
		once.Do(func() { close(first) })
	}))
	t.Cleanup(srv.Close)

	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	go func() {
		<-first
		cancel()
	}()
	req, _ := http.NewRequestWithContext(ctx, http.MethodGet, srv.URL, nil)
	resp, err := NewClient(fastOptions()).Do(req)
	if err == nil {
		_ = resp.Body.Close()
		t.Fatal("request succeeded after its context was cancelled")
	}
	if !errors.Is(err, context.Canceled) {
		t.Errorf("err = %v, want context.Canceled", err)
	}
	if rec.count() != 1 {
		t.Errorf("requests = %d, want 1", rec.count())
	}
}

func TestResendCountOnSpans(t *testing.T) {
	exp := tracetest.NewInMemoryExporter()
	tp := sdktrace.NewTracerProvider(sdktrace.WithSyncer(exp))
	t.Cleanup(func() { _ = tp.Shutdown(context.Background()) })

	srv, _ := scripted(t, []int{503, 503, 503, 200})
	opts := fastOptions()
	opts.TracerProvider = tp
	req, _ := http.NewRequest(http.MethodGet, srv.URL, nil)
	resp := do(t, NewClient(opts), req)
	_, _ = io.Copy(io.Discard, resp.Body)
	_ = resp.Body.Close()

	spans := exp.GetSpans()
	if len(spans) != 4 {
		t.Fatalf("spans = %d, want one per attempt (4)", len(spans))
	}
	for i, s := range spans {
		if s.Name != "test GET" {
			t.Errorf("span %d name = %q, want %q", i, s.Name, "test GET")
		}
		got, found := int64(0), false
		for _, kv := range s.Attributes {
			if kv.Key == attribute.Key("http.request.resend_count") {
				got, found = kv.Value.AsInt64(), true
			}
		}
		if i == 0 && found {
			t.Errorf("first attempt has resend_count %d, want none", got)
		}
		if i > 0 && (!found || got != int64(i)) {
			t.Errorf("span %d resend_count = %d (found %v), want %d", i, got, found, i)
		}
	}
}
