package token

import (
	"context"
	"encoding/json"
	"fmt"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/escalator/escalator/internal/testkit/logtest"
	"github.com/escalator/escalator/internal/testkit/testserver"
	"github.com/escalator/escalator/internal/testkit/wait"
)

const (
	testTenant   = "contoso.onmicrosoft.com"
	testClientID = "escalator-test"
	testSecret   = "s3cret-VALUE-never-shown~1"
	testResource = "https://graph.microsoft.com"
)

// fakeEndpoint mimics Entra v1 (string numbers), Entra v2 (integers) and
// ServiceNow's /oauth_token.do, counting the tokens it issues.
type fakeEndpoint struct {
	srv   *httptest.Server
	calls atomic.Int64

	mu        sync.Mutex
	expiresIn int // seconds
	refreshIn int // seconds; 0: not sent
	failWith  *fakeFailure
	gate      chan struct{} // when set, requests wait for it to close
	issued    []string      // every token handed out
	forms     []map[string][]string
}

type fakeFailure struct {
	status     int
	body       string
	retryAfter string
}

func newFakeEndpoint(t testing.TB) *fakeEndpoint {
	t.Helper()
	f := &fakeEndpoint{expiresIn: 3600}
	f.srv = httptest.NewServer(http.HandlerFunc(f.serve))
	t.Cleanup(f.srv.Close)
	return f
}

func (f *fakeEndpoint) set(fn func(f *fakeEndpoint)) {
	f.mu.Lock()
	defer f.mu.Unlock()
	fn(f)
}

func (f *fakeEndpoint) tokens() []string {
	f.mu.Lock()
	defer f.mu.Unlock()
	return append([]string(nil), f.issued...)
}

func (f *fakeEndpoint) serve(w http.ResponseWriter, r *http.Request) {
	f.mu.Lock()
	gate := f.gate
	f.mu.Unlock()
	if gate != nil {
		<-gate
	}
	if err := r.ParseForm(); err != nil || r.Method != http.MethodPost {
		http.Error(w, "bad request", http.StatusBadRequest)
		return
	}
	f.mu.Lock()
	defer f.mu.Unlock()
	f.forms = append(f.forms, r.PostForm)
	w.Header().Set("Content-Type", "application/json; charset=utf-8")
	if ff := f.failWith; ff != nil {
		if ff.retryAfter != "" {
			w.Header().Set("Retry-After", ff.retryAfter)
		}
		w.WriteHeader(ff.status)
		fmt.Fprint(w, ff.body)
		return
	}
	if _, _, basic := r.BasicAuth(); basic || r.PostForm.Get("client_secret") != testSecret ||
		r.PostForm.Get("grant_type") != "client_credentials" {
		w.WriteHeader(http.StatusUnauthorized)
		fmt.Fprint(w, `{"error":"invalid_client","error_description":"AADSTS7000215: Invalid client secret provided.","error_codes":[7000215],"trace_id":"t-1","correlation_id":"c-1"}`)
		return
	}
	n := f.calls.Add(1)
	tok := fmt.Sprintf("eyJ0eXAi.fake-access-token-%d.%d", n, time.Now().UnixNano())
	f.issued = append(f.issued, tok)
	body := map[string]any{"access_token": tok, "token_type": "Bearer"}
	switch {
	case strings.HasSuffix(r.URL.Path, "/oauth2/token"): // Entra v1: strings
		body["expires_in"] = fmt.Sprint(f.expiresIn)
		body["ext_expires_in"] = fmt.Sprint(f.expiresIn)
		body["expires_on"] = fmt.Sprint(time.Now().Unix() + int64(f.expiresIn))
		body["not_before"] = fmt.Sprint(time.Now().Unix())
		body["resource"] = r.PostForm.Get("resource")
	case strings.HasSuffix(r.URL.Path, "/oauth2/v2.0/token"): // Entra v2: integers
		body["expires_in"] = f.expiresIn
		body["ext_expires_in"] = f.expiresIn
	case r.URL.Path == "/oauth_token.do": // ServiceNow
		body["expires_in"] = f.expiresIn
		body["scope"] = "useraccount"
	default:
		http.NotFound(w, r)
		return
	}
	if f.refreshIn > 0 {
		body["refresh_in"] = f.refreshIn
	}
	_ = json.NewEncoder(w).Encode(body)
}

// entra returns a v1 Entra fetcher pointed at the fake.
func (f *fakeEndpoint) entra(t testing.TB, version string) *Entra {
	t.Helper()
	e, err := NewEntra(EntraConfig{LoginURL: f.srv.URL, Tenant: testTenant, ClientID: testClientID,
		ClientSecret: testSecret, Resource: testResource, Version: version, HTTPClient: f.srv.Client()})
	if err != nil {
		t.Fatalf("NewEntra: %v", err)
	}
	return e
}

// fakeClock is a settable clock shared by the caches of a test.
type fakeClock struct{ ns atomic.Int64 }

func newFakeClock() *fakeClock {
	c := &fakeClock{}
	c.ns.Store(time.Date(2025, 6, 1, 8, 0, 0, 0, time.UTC).UnixNano())
	return c
}

func (c *fakeClock) Now() time.Time          { return time.Unix(0, c.ns.Load()) }
func (c *fakeClock) Advance(d time.Duration) { c.ns.Add(int64(d)) }

// logBuffer collects log lines from several goroutines.
type logBuffer struct{ logtest.Buffer }

func (l *logBuffer) count(s string) int { return strings.Count(l.String(), s) }

func newRedisClient(t testing.TB, r *testserver.Redis) redis.UniversalClient {
	t.Helper()
	rdb := redis.NewClient(&redis.Options{Addr: r.Addr, MaxRetries: -1, DialTimeout: time.Second})
	t.Cleanup(func() { _ = rdb.Close() })
	return rdb
}

// newTestCache builds a cache; opts may be adjusted by fn.
func newTestCache(t testing.TB, opts CacheOptions) *Cache {
	t.Helper()
	if opts.ProbeInterval == 0 {
		opts.ProbeInterval = 10 * time.Millisecond
	}
	if opts.Logger == nil {
		opts.Logger = slog.New(slog.NewTextHandler(testWriter{t}, nil))
	}
	c, err := NewCache(opts)
	if err != nil {
		t.Fatalf("NewCache: %v", err)
	}
	t.Cleanup(func() { _ = c.Close() })
	return c
}

type testWriter struct{ t testing.TB }

func (w testWriter) Write(p []byte) (int, error) {
	w.t.Log(strings.TrimSpace(string(p)))
	return len(p), nil
}

// eventually polls cond until it holds or the deadline passes (wait.For).
func eventually(t testing.TB, what string, cond func() bool) {
	t.Helper()
	wait.For(t, 10*time.Second, what, cond)
}

// idle reports whether no acquisition is in flight for s.
func idle(s *Source) bool { return !s.refreshing.Load() }

func mustToken(t testing.TB, s *Source) string {
	t.Helper()
	tok, err := s.AccessToken(context.Background())
	if err != nil {
		t.Fatalf("AccessToken: %v", err)
	}
	return tok
}

func startRedis(t testing.TB) *testserver.Redis {
	t.Helper()
	return testserver.StartRedis(t)
}

func slogTo(w *logBuffer) *slog.Logger { return slog.New(slog.NewTextHandler(w, nil)) }

// shareToken has s fetch a token and store it in Redis, as another replica's
// finished refresh would, and returns it.
func shareToken(t testing.TB, s *Source) cached {
	t.Helper()
	cd, err := s.fetch(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	s.store(context.Background(), cd)
	return cd
}

// tokenLater asks s for a token in a goroutine; the channel gets the token,
// or "error: " and the error.
func tokenLater(s *Source) <-chan string {
	done := make(chan string, 1)
	go func() {
		tok, err := s.AccessToken(context.Background())
		if err != nil {
			tok = "error: " + err.Error()
		}
		done <- tok
	}()
	return done
}
