package outbound

import (
	"context"
	"errors"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/escalator/escalator/internal/fault"
	"github.com/escalator/escalator/internal/ratelimit"
	"github.com/escalator/escalator/internal/testkit/sim"
	"github.com/escalator/escalator/internal/testkit/testserver"
	"github.com/escalator/escalator/internal/token"
)

// simLog records, at the simulator, when each call arrived and what it got.
type simLog struct {
	mu    sync.Mutex
	calls []simCall
}

type simCall struct {
	at     time.Time
	route  string // "GET /v1.0/…"
	status int
}

type statusWriter struct {
	http.ResponseWriter
	status int
}

func (w *statusWriter) WriteHeader(code int) {
	w.status = code
	w.ResponseWriter.WriteHeader(code)
}

func (l *simLog) wrap(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		at := time.Now()
		sw := &statusWriter{ResponseWriter: w, status: 200}
		next.ServeHTTP(sw, r)
		l.mu.Lock()
		l.calls = append(l.calls, simCall{at: at, route: r.Method + " " + r.URL.Path, status: sw.status})
		l.mu.Unlock()
	})
}

func (l *simLog) snapshot() []simCall {
	l.mu.Lock()
	defer l.mu.Unlock()
	return append([]simCall(nil), l.calls...)
}

// startSim serves the simulator with its calls logged and returns a Graph
// token it issued.
func startSim(t *testing.T) (*sim.Server, string, *simLog, string) {
	t.Helper()
	s := sim.New(sim.Config{})
	log := &simLog{}
	ts := httptest.NewServer(log.wrap(s.Handler()))
	t.Cleanup(ts.Close)
	tok, err := sim.FetchToken(ts.URL, sim.GraphResource)
	if err != nil {
		t.Fatal(err)
	}
	return s, ts.URL, log, tok
}

// replica is one Escalator process's Graph and ServiceNow callers.
type replica struct {
	holds       *ratelimit.Holds
	graph, snow Caller
	base        string
}

func newReplica(t *testing.T, base, token string, rdb redis.UniversalClient) *replica {
	t.Helper()
	holds, err := ratelimit.NewHolds(ratelimit.HoldsConfig{Redis: rdb})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = holds.Close() })
	client := func(name, service string) *http.Client {
		return NewClient(Options{Name: name, Service: service, Holds: holds, MaxAttempts: 1})
	}
	return &replica{holds: holds, base: base,
		graph: Caller{Client: client("graph", ratelimit.Graph), Tokens: staticToken(token), Peer: "graph"},
		snow:  Caller{Client: client("servicenow", ratelimit.ServiceNow), Peer: "servicenow"}}
}

func (r *replica) getGraph(path string) error {
	req, err := NewJSONRequest(context.Background(), http.MethodGet, r.base+path, nil)
	if err != nil {
		return err
	}
	_, err = r.graph.Send(req)
	return err
}

func (r *replica) getIncident() error {
	req, err := NewJSONRequest(context.Background(), http.MethodGet, r.base+"/api/now/table/incident/"+sim.DefaultIncidentSysID, nil)
	if err != nil {
		return err
	}
	req.SetBasicAuth(sim.DefaultServiceNowUser, sim.DefaultServiceNowPassword)
	_, err = r.snow.Send(req)
	return err
}

// holdEnd is when r's hold of service ends, as r sees it.
func (r *replica) holdEnd(service string) time.Time {
	now := time.Now()
	return now.Add(r.holds.For(service).Remaining(now))
}

const (
	issuesPath    = "/v1.0/admin/serviceAnnouncement/issues"
	overviewsPath = "/v1.0/admin/serviceAnnouncement/healthOverviews"
)

func throttleIssues(t *testing.T, s *sim.Server) {
	t.Helper()
	if err := s.SetFaults(sim.Faults{Routes: map[string]sim.RouteFault{"GET " + issuesPath: {RetryAfter: "2", Count: 1}}}); err != nil {
		t.Fatal(err)
	}
}

// After a 429 with Retry-After 2s on one Graph route, no replica sharing
// the Redis calls Graph (any route) until the hold has ended: every Graph
// call the simulator saw after the 429 arrived after the end. ServiceNow,
// meanwhile, is called as usual.
func TestHoldHoldsEveryReplica(t *testing.T) {
	s, base, log, token := startSim(t)
	srv := testserver.StartRedis(t)
	a := newReplica(t, base, token, redis.NewClient(&redis.Options{Addr: srv.Addr}))
	b := newReplica(t, base, token, redis.NewClient(&redis.Options{Addr: srv.Addr}))
	probe := redis.NewClient(&redis.Options{Addr: srv.Addr})
	t.Cleanup(func() { _ = probe.Close() })
	eventually(t, "both replicas subscribed", func() bool {
		n, err := probe.PubSubNumSub(context.Background(), "escalator:holds").Result()
		return err == nil && n["escalator:holds"] == 2
	})

	throttleIssues(t, s)
	var se *StatusError
	if err := a.getGraph(issuesPath); !errors.As(err, &se) || se.StatusCode != 429 {
		t.Fatalf("first call: %v, want the injected 429", err)
	}
	eventually(t, "b learns a's hold", func() bool { return !b.holdEnd(ratelimit.Graph).Before(a.holdEnd(ratelimit.Graph)) })
	end := b.holdEnd(ratelimit.Graph) // milliseconds rounded up: not before a's

	if err := b.getIncident(); err != nil {
		t.Fatalf("servicenow during graph's hold: %v", err)
	}
	held := map[*replica]int{}
	through := map[*replica]bool{}
	deadline := time.Now().Add(10 * time.Second)
	for !through[a] || !through[b] {
		if time.Now().After(deadline) {
			t.Fatalf("graph still held after the deadline (held calls %v)", held)
		}
		for _, r := range []*replica{a, b} {
			for _, path := range []string{issuesPath, overviewsPath} {
				err := r.getGraph(path)
				switch {
				case err == nil:
					through[r] = true
				case errors.As(err, new(*ratelimit.HeldError)):
					held[r]++
				default:
					t.Fatalf("%s: %v", path, err)
				}
			}
		}
		time.Sleep(20 * time.Millisecond) // a handler's pace, not a wait for something
	}
	if held[a] == 0 || held[b] == 0 {
		t.Fatalf("held calls %v: both replicas should have been held", held)
	}
	calls := log.snapshot()
	seen429 := false
	for _, c := range calls {
		if !strings.HasPrefix(c.route, "GET /v1.0/") {
			continue
		}
		if c.status == 429 {
			seen429 = true
			continue
		}
		if seen429 && c.at.Before(end) {
			t.Errorf("%s reached graph at %s, %s before the hold ended", c.route, c.at.Format(time.StampMilli), end.Sub(c.at))
		}
	}
	if !seen429 {
		t.Fatal("the simulator logged no 429")
	}
}

// Without Redis a hold is per process: the other replica calls Graph
// during the first one's hold and gets through.
func TestHoldWithoutRedisIsPerProcess(t *testing.T) {
	s, base, log, token := startSim(t)
	a, b := newReplica(t, base, token, nil), newReplica(t, base, token, nil)
	throttleIssues(t, s)
	if err := a.getGraph(issuesPath); err == nil {
		t.Fatal("first call: want the injected 429")
	}
	end := a.holdEnd(ratelimit.Graph)
	if err := a.getGraph(overviewsPath); !errors.As(err, new(*ratelimit.HeldError)) {
		t.Fatalf("a during its hold: %v, want a *HeldError", err)
	}
	if err := b.getGraph(issuesPath); err != nil {
		t.Fatalf("b during a's hold: %v", err)
	}
	calls := log.snapshot()
	last := calls[len(calls)-1]
	if last.route != "GET "+issuesPath || last.status != 200 || !last.at.Before(end) {
		t.Fatalf("last call %+v, want b's 200 before a's hold ended at %s", last, end.Format(time.StampMilli))
	}
}

// Entra's 429 holds Entra: the next token fetch fails at once, and the hold
// (its Retry-After) survives the token client's classification, so the
// worker's Nak waits for it.
func TestEntraHoldThroughTokenFetch(t *testing.T) {
	s, base, log, _ := startSim(t)
	holds, err := ratelimit.NewHolds(ratelimit.HoldsConfig{})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = holds.Close() })
	f, err := token.NewEntra(token.EntraConfig{LoginURL: base, Tenant: sim.DefaultTenant,
		ClientID: sim.DefaultClientID, ClientSecret: sim.DefaultClientSecret, Resource: sim.GraphResource,
		HTTPClient: NewClient(Options{Name: "entra", Service: ratelimit.Entra, Holds: holds, MaxAttempts: 1})})
	if err != nil {
		t.Fatal(err)
	}
	if err := s.SetFaults(sim.Faults{Routes: map[string]sim.RouteFault{"POST /{tenant}/oauth2/token": {RetryAfter: "2", Count: 1}}}); err != nil {
		t.Fatal(err)
	}
	if _, err := f.Fetch(context.Background()); fault.Classify(err) != fault.Transient || fault.RetryAfter(err) == 0 {
		t.Fatalf("first fetch: %v, want Entra's transient 429 with its Retry-After", err)
	}
	calls := len(log.snapshot())
	_, err = f.Fetch(context.Background())
	if !errors.As(err, new(*ratelimit.HeldError)) || fault.RetryAfter(err) < time.Second {
		t.Fatalf("second fetch: %v (retry after %s), want the hold with the rest of its 2s", err, fault.RetryAfter(err))
	}
	if n := len(log.snapshot()); n != calls {
		t.Fatalf("%d calls reached Entra during its hold", n-calls)
	}
}
