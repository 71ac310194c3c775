package health

import (
	"context"
	"errors"
	"net/http"
	"net/http/httptest"
	"os"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/escalator/escalator/internal/fault"
	"github.com/escalator/escalator/internal/outbound"
)

type staticToken string

func (s staticToken) AccessToken(context.Context) (string, error) { return string(s), nil }

type failingToken struct{}

func (failingToken) AccessToken(context.Context) (string, error) {
	return "", errors.New("token endpoint down")
}

// countingLimiter admits everything and counts the requests it saw.
type countingLimiter struct {
	n   atomic.Int32
	err error
}

func (l *countingLimiter) Wait(context.Context) error {
	l.n.Add(1)
	return l.err
}

func fixture(t *testing.T, name string) []byte {
	t.Helper()
	b, err := os.ReadFile("testdata/" + name)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// graphServer serves the fixtures; nextLinks point back to itself.
type graphServer struct {
	*httptest.Server
	mu       sync.Mutex
	requests []*http.Request
}

func newGraphServer(t *testing.T, h func(w http.ResponseWriter, r *http.Request, base string)) *graphServer {
	t.Helper()
	g := &graphServer{}
	g.Server = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		g.mu.Lock()
		g.requests = append(g.requests, r.Clone(context.Background()))
		g.mu.Unlock()
		if r.Header.Get("Authorization") != "Bearer graph-token" {
			http.Error(w, `{"error":{"code":"InvalidAuthenticationToken","message":"no token"}}`, http.StatusUnauthorized)
			return
		}
		h(w, r, g.URL)
	}))
	t.Cleanup(g.Close)
	return g
}

func (g *graphServer) calls() []*http.Request {
	g.mu.Lock()
	defer g.mu.Unlock()
	return append([]*http.Request(nil), g.requests...)
}

func serveFixture(t *testing.T, w http.ResponseWriter, name, base string) {
	t.Helper()
	w.Header().Set("Content-Type", "application/json")
	_, _ = w.Write([]byte(strings.ReplaceAll(string(fixture(t, name)), "{{base}}", base)))
}

func newTestClient(t *testing.T, url string, lim RequestLimiter) *Client {
	t.Helper()
	if lim == nil {
		lim = &countingLimiter{}
	}
	c, err := NewClient(ClientConfig{
		GraphURL: url,
		Tokens:   staticToken("graph-token"),
		HTTPClient: outbound.NewClient(outbound.Options{
			Name: "graph", MaxAttempts: 3, InitialBackoff: time.Millisecond, MaxRetryAfter: time.Second,
		}),
		Limiter: lim,
	})
	if err != nil {
		t.Fatal(err)
	}
	return c
}

func TestHealthOverviews(t *testing.T) {
	g := newGraphServer(t, func(w http.ResponseWriter, r *http.Request, base string) {
		if r.URL.Path != "/v1.0/admin/serviceAnnouncement/healthOverviews" {
			http.NotFound(w, r)
			return
		}
		serveFixture(t, w, "overviews.json", base)
	})
	got, err := newTestClient(t, g.URL, nil).HealthOverviews(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	want := []Overview{
		{ID: "Exchange", Service: "Exchange Online", Status: StatusServiceOperational},
		{ID: "OrgLiveID", Service: "Identity Service", Status: StatusServiceRestored},
		{ID: "OSDPPlatform", Service: "Microsoft 365 suite", Status: StatusServiceDegradation},
	}
	if len(got) != len(want) {
		t.Fatalf("got %d overviews, want %d", len(got), len(want))
	}
	for i := range want {
		if got[i] != want[i] {
			t.Errorf("overview %d = %+v, want %+v", i, got[i], want[i])
		}
	}
}

func TestIssuesPagesAndFilter(t *testing.T) {
	g := newGraphServer(t, func(w http.ResponseWriter, r *http.Request, base string) {
		if r.URL.Path != "/v1.0/admin/serviceAnnouncement/issues" {
			http.NotFound(w, r)
			return
		}
		switch r.URL.Query().Get("$skip") {
		case "":
			serveFixture(t, w, "issues_page1.json", base)
		case "1":
			serveFixture(t, w, "issues_page2.json", base)
		case "2":
			serveFixture(t, w, "issues_page3.json", base)
		default:
			http.NotFound(w, r)
		}
	})
	lim := &countingLimiter{}
	got, err := newTestClient(t, g.URL, lim).Issues(context.Background(), "isResolved eq false")
	if err != nil {
		t.Fatal(err)
	}
	var ids []string
	for _, is := range got {
		ids = append(ids, is.ID)
	}
	if strings.Join(ids, ",") != "EX226792,EX226574,MO226784" {
		t.Fatalf("ids = %v", ids)
	}
	calls := g.calls()
	if len(calls) != 3 {
		t.Fatalf("%d requests, want 3", len(calls))
	}
	if f := calls[0].URL.Query().Get("$filter"); f != "isResolved eq false" {
		t.Errorf("$filter = %q", f)
	}
	if strings.Contains(calls[0].URL.RawQuery, "+") {
		t.Errorf("spaces sent as '+': %s", calls[0].URL.RawQuery)
	}
	if n := lim.n.Load(); n != 3 {
		t.Errorf("limiter saw %d requests, want 3", n)
	}

	// PascalCase (page 1) and camelCase (pages 2, 3) decode alike.
	first, open := got[0], got[2]
	if first.Classification != ClassificationIncident || first.Status != StatusServiceRestored || !first.IsResolved {
		t.Errorf("page 1 issue = %+v", first)
	}
	if got[1].Classification != ClassificationAdvisory || got[1].Status != StatusServiceRestored {
		t.Errorf("page 2 issue = %+v", got[1])
	}
	if !open.EndDateTime.IsZero() || open.IsResolved || !open.Status.Active() {
		t.Errorf("open issue = %+v", open)
	}
	if want := time.Date(2020, 11, 14, 11, 6, 53, 353e6, time.UTC); !open.LastModifiedDateTime.Equal(want) {
		t.Errorf("lastModified = %s, want %s", open.LastModifiedDateTime, want)
	}
	if len(open.Posts) != 2 || open.Posts[1].Description != "We've identified the cause." || open.Posts[0].PostType != "quick" {
		t.Errorf("posts = %+v", open.Posts)
	}
}

func TestIssuesRefusesForeignNextLink(t *testing.T) {
	var foreign atomic.Int32
	other := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { foreign.Add(1) }))
	defer other.Close()
	g := newGraphServer(t, func(w http.ResponseWriter, r *http.Request, _ string) {
		serveFixture(t, w, "issues_page1.json", other.URL)
	})
	_, err := newTestClient(t, g.URL, nil).Issues(context.Background(), "")
	if err == nil || fault.Classify(err) != fault.Permanent {
		t.Fatalf("err = %v, want a permanent error", err)
	}
	if foreign.Load() != 0 {
		t.Fatal("the token was sent to a foreign host")
	}
}

func TestIssue(t *testing.T) {
	g := newGraphServer(t, func(w http.ResponseWriter, r *http.Request, base string) {
		switch r.URL.Path {
		case "/v1.0/admin/serviceAnnouncement/issues/MO226784":
			serveFixture(t, w, "issue_get.json", base)
		default:
			w.Header().Set("Content-Type", "application/json")
			w.WriteHeader(http.StatusNotFound)
			_, _ = w.Write([]byte(`{"error":{"code":"NotFound","message":"issue not found"}}`))
		}
	})
	c := newTestClient(t, g.URL, nil)
	is, err := c.Issue(context.Background(), "MO226784")
	if err != nil {
		t.Fatal(err)
	}
	want := Issue{
		ID: "MO226784", Title: "Intermittently unable to access some Microsoft 365 services",
		Service: "Microsoft 365 suite", Feature: "Access", FeatureGroup: "Portal",
		ImpactDescription: "Users may have been intermittently unable to access some Microsoft 365 services.",
		Classification:    ClassificationAdvisory, Status: StatusServiceRestored, Origin: "Microsoft", IsResolved: true,
		StartDateTime:        time.Date(2020, 11, 14, 8, 15, 0, 0, time.UTC),
		EndDateTime:          time.Date(2020, 11, 14, 9, 45, 0, 0, time.UTC),
		LastModifiedDateTime: time.Date(2020, 11, 14, 11, 6, 53, 353e6, time.UTC),
	}
	posts := is.Posts
	is.Posts = nil
	if !equalIssue(is, want) {
		t.Errorf("issue = %+v\nwant    %+v", is, want)
	}
	if len(posts) != 1 || posts[0].PostType != "Regular" || !strings.HasPrefix(posts[0].Description, "Title: Intermittently") {
		t.Errorf("posts = %+v", posts)
	}

	_, err = c.Issue(context.Background(), "XX1")
	var se *outbound.StatusError
	if !errors.As(err, &se) || se.StatusCode != 404 || fault.Classify(err) != fault.Permanent {
		t.Fatalf("missing issue: err = %v", err)
	}
	if !strings.Contains(err.Error(), "XX1") {
		t.Errorf("error does not name the issue: %v", err)
	}
}

func equalIssue(a, b Issue) bool {
	return a.ID == b.ID && a.Title == b.Title && a.Service == b.Service && a.Feature == b.Feature &&
		a.FeatureGroup == b.FeatureGroup && a.ImpactDescription == b.ImpactDescription &&
		a.Classification == b.Classification && a.Status == b.Status && a.Origin == b.Origin &&
		a.IsResolved == b.IsResolved && a.StartDateTime.Equal(b.StartDateTime) &&
		a.EndDateTime.Equal(b.EndDateTime) && a.LastModifiedDateTime.Equal(b.LastModifiedDateTime)
}

func TestThrottling(t *testing.T) {
	t.Run("retried after Retry-After", func(t *testing.T) {
		var n atomic.Int32
		g := newGraphServer(t, func(w http.ResponseWriter, r *http.Request, base string) {
			if n.Add(1) == 1 {
				w.Header().Set("Retry-After", "0.05")
				w.WriteHeader(http.StatusTooManyRequests)
				return
			}
			serveFixture(t, w, "overviews.json", base)
		})
		if _, err := newTestClient(t, g.URL, nil).HealthOverviews(context.Background()); err != nil {
			t.Fatal(err)
		}
		if n.Load() != 2 {
			t.Fatalf("%d requests, want 2", n.Load())
		}
	})
	t.Run("classified when retries run out", func(t *testing.T) {
		g := newGraphServer(t, func(w http.ResponseWriter, r *http.Request, base string) {
			w.Header().Set("Retry-After", "0.01")
			w.Header().Set("Content-Type", "application/json")
			w.WriteHeader(http.StatusTooManyRequests)
			_, _ = w.Write([]byte(`{"error":{"code":"TooManyRequests","message":"Too many requests"}}`))
		})
		_, err := newTestClient(t, g.URL, nil).Issues(context.Background(), "")
		if fault.Classify(err) != fault.Transient {
			t.Fatalf("err = %v, want transient", err)
		}
		if d := fault.RetryAfter(err); d != 10*time.Millisecond {
			t.Errorf("RetryAfter = %s, want 10ms", d)
		}
		var se *outbound.StatusError
		if !errors.As(err, &se) || se.Code != "TooManyRequests" {
			t.Errorf("err = %#v", err)
		}
		if len(g.calls()) != 3 {
			t.Errorf("%d attempts, want 3", len(g.calls()))
		}
	})
	t.Run("503", func(t *testing.T) {
		g := newGraphServer(t, func(w http.ResponseWriter, r *http.Request, base string) {
			w.Header().Set("Retry-After", "1.5")
			w.WriteHeader(http.StatusServiceUnavailable)
		})
		c, err := NewClient(ClientConfig{GraphURL: g.URL, Tokens: staticToken("graph-token"), Limiter: &countingLimiter{},
			HTTPClient: outbound.NewClient(outbound.Options{MaxAttempts: 1})})
		if err != nil {
			t.Fatal(err)
		}
		_, err = c.HealthOverviews(context.Background())
		if fault.Classify(err) != fault.Transient || fault.RetryAfter(err) != 1500*time.Millisecond {
			t.Fatalf("err = %v, retry after %s", err, fault.RetryAfter(err))
		}
	})
}

func TestClientNoRequestWithoutTokenOrSlot(t *testing.T) {
	g := newGraphServer(t, func(w http.ResponseWriter, r *http.Request, base string) {
		serveFixture(t, w, "overviews.json", base)
	})
	c, err := NewClient(ClientConfig{GraphURL: g.URL, Tokens: failingToken{}, Limiter: &countingLimiter{}})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := c.HealthOverviews(context.Background()); err == nil {
		t.Fatal("no error without a token")
	}
	lim := &countingLimiter{err: context.DeadlineExceeded}
	if _, err := newTestClient(t, g.URL, lim).HealthOverviews(context.Background()); !errors.Is(err, context.DeadlineExceeded) {
		t.Fatalf("limiter error lost: %v", err)
	}
	if n := len(g.calls()); n != 0 {
		t.Fatalf("%d requests sent", n)
	}
}

func TestNewClientValidates(t *testing.T) {
	tests := []struct {
		name string
		cfg  ClientConfig
	}{
		{"no tokens", ClientConfig{}},
		{"relative URL", ClientConfig{Tokens: staticToken("x"), GraphURL: "graph.microsoft.com"}},
		{"bad scheme", ClientConfig{Tokens: staticToken("x"), GraphURL: "ftp://graph.microsoft.com"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if _, err := NewClient(tt.cfg); err == nil {
				t.Fatal("accepted")
			}
		})
	}
	c, err := NewClient(ClientConfig{Tokens: staticToken("x")})
	if err != nil || c.graph.Root() != "https://graph.microsoft.com" {
		t.Fatalf("defaults: %v, %v", c, err)
	}
}
