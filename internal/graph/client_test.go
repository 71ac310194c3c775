package graph_test

import (
	"context"
	"errors"
	"net/http"
	"net/http/httptest"
	"net/url"
	"sync/atomic"
	"testing"
	"time"

	"github.com/escalator/escalator/internal/fault"
	"github.com/escalator/escalator/internal/graph"
	"github.com/escalator/escalator/internal/outbound"
)

type staticToken string

func (s staticToken) AccessToken(context.Context) (string, error) { return string(s), nil }

type countingLimiter struct{ n atomic.Int32 }

func (l *countingLimiter) Wait(context.Context) error { l.n.Add(1); return nil }

var errMissing = errors.New("missing")

// newGraph serves body(r, base) on every path and counts the requests.
func newGraph(t *testing.T, body func(r *http.Request, base string) string) (*httptest.Server, *atomic.Int32) {
	t.Helper()
	var n atomic.Int32
	var srv *httptest.Server
	srv = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		n.Add(1)
		if r.Header.Get("Authorization") != "Bearer graph-token" {
			w.WriteHeader(http.StatusUnauthorized)
			return
		}
		b := body(r, srv.URL)
		if b == "" {
			http.Error(w, `{"error":{"code":"Request_ResourceNotFound","message":"gone"}}`, http.StatusNotFound)
			return
		}
		w.Header().Set("Content-Type", "application/json")
		_, _ = w.Write([]byte(b))
	}))
	t.Cleanup(srv.Close)
	return srv, &n
}

func newClient(t *testing.T, root string, cfg graph.Config) *graph.Client {
	t.Helper()
	cfg.URL, cfg.Tokens = root, staticToken("graph-token")
	cfg.HTTPClient = outbound.NewClient(outbound.Options{Name: "graph", MaxAttempts: 1, InitialBackoff: time.Millisecond})
	c, err := graph.New(cfg)
	if err != nil {
		t.Fatal(err)
	}
	return c
}

func TestNewValidates(t *testing.T) {
	for name, cfg := range map[string]graph.Config{
		"no tokens":    {},
		"relative URL": {Tokens: staticToken("x"), URL: "graph.microsoft.com"},
		"bad scheme":   {Tokens: staticToken("x"), URL: "ftp://graph.microsoft.com"},
	} {
		t.Run(name, func(t *testing.T) {
			if _, err := graph.New(cfg); err == nil {
				t.Fatal("accepted")
			}
		})
	}
	c, err := graph.New(graph.Config{Tokens: staticToken("x")})
	if err != nil || c.Root() != graph.DefaultURL {
		t.Fatalf("defaults: %v, %v", c, err)
	}
}

func TestEndpointEscapesSegments(t *testing.T) {
	c := newClient(t, "https://graph.example/", graph.Config{})
	got := c.Endpoint([]string{"v1.0", "users", "a/b?c#d@contoso.com"}, url.Values{"$select": {"id,mail"}})
	if want := "https://graph.example/v1.0/users/a%2Fb%3Fc%23d@contoso.com?%24select=id%2Cmail"; got != want {
		t.Errorf("Endpoint = %s, want %s", got, want)
	}
}

func TestPagesFollowsNextLinkOnTheGraphOriginOnly(t *testing.T) {
	foreign, foreignCalls := newGraph(t, func(*http.Request, string) string { return `{"value":[]}` })
	srv, calls := newGraph(t, func(r *http.Request, base string) string {
		switch r.URL.Query().Get("page") {
		case "":
			return base + "/v1.0/items?page=2"
		case "2":
			return foreign.URL + "/v1.0/items?page=3"
		}
		return ""
	})
	lim := &countingLimiter{}
	var seen []string
	err := newClient(t, srv.URL, graph.Config{Limiter: lim}).Pages(context.Background(), srv.URL+"/v1.0/items",
		func(b []byte) (string, error) { seen = append(seen, string(b)); return string(b), nil })
	if err == nil || fault.Classify(err) != fault.Permanent {
		t.Fatalf("err = %v, want a permanent refusal of the foreign nextLink", err)
	}
	if len(seen) != 2 || calls.Load() != 2 || foreignCalls.Load() != 0 || lim.n.Load() != 2 {
		t.Errorf("pages %d, requests %d, foreign requests %d, limiter waits %d; want 2, 2, 0, 2",
			len(seen), calls.Load(), foreignCalls.Load(), lim.n.Load())
	}
}

func TestPagesBounded(t *testing.T) {
	srv, calls := newGraph(t, func(r *http.Request, base string) string { return base + "/v1.0/loop" })
	err := newClient(t, srv.URL, graph.Config{MaxPages: 3}).Pages(context.Background(), srv.URL+"/v1.0/loop",
		func(b []byte) (string, error) { return string(b), nil })
	if fault.Classify(err) != fault.Permanent || calls.Load() != 3 {
		t.Fatalf("err = %v after %d requests, want permanent after 3", err, calls.Load())
	}
}

func TestGetNotFoundJoinsSentinel(t *testing.T) {
	srv, _ := newGraph(t, func(*http.Request, string) string { return "" })
	_, err := newClient(t, srv.URL, graph.Config{NotFound: errMissing}).Get(context.Background(), srv.URL+"/v1.0/users/x")
	var se *outbound.StatusError
	if !errors.Is(err, errMissing) || !errors.As(err, &se) || se.StatusCode != http.StatusNotFound || fault.Classify(err) != fault.Permanent {
		t.Fatalf("err = %v, want the 404 joined with the sentinel", err)
	}
}
