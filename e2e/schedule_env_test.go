// Package e2e holds end-to-end tests: real NATS (in-process JetStream),
// the simulator of Microsoft and ServiceNow over HTTP, the real clients,
// and several worker replicas, as in production.
package e2e

import (
	"context"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/nats-io/nats-server/v2/server"

	"github.com/escalator/escalator/escalation"
	"github.com/escalator/escalator/health"
	"github.com/escalator/escalator/internal/azuresupport"
	"github.com/escalator/escalator/internal/event"
	"github.com/escalator/escalator/internal/outbound"
	"github.com/escalator/escalator/internal/servicenow"
	"github.com/escalator/escalator/internal/streams"
	"github.com/escalator/escalator/internal/testkit/fakeclock"
	"github.com/escalator/escalator/internal/testkit/sim"
	"github.com/escalator/escalator/internal/testkit/streamtest"
	"github.com/escalator/escalator/internal/testkit/testserver"
	"github.com/escalator/escalator/internal/testkit/wait"
	"github.com/escalator/escalator/internal/token"
	"github.com/escalator/escalator/worker"
)

// interval of both tick jobs on the test clock.
const interval = time.Minute

// counters count the effects every replica had on ServiceNow.
type counters struct {
	creates, resolves atomic.Int64
}

// countingIncidents is the real ServiceNow client, counting creates and
// resolves across the fleet.
type countingIncidents struct {
	*servicenow.Client
	n *counters
}

func (c countingIncidents) CreateIncident(ctx context.Context, f map[string]string) (servicenow.Incident, error) {
	c.n.creates.Add(1)
	return c.Client.CreateIncident(ctx, f)
}

func (c countingIncidents) PatchIncident(ctx context.Context, sysID string, f map[string]string) (servicenow.Incident, error) {
	if f["state"] == servicenow.StateResolved {
		c.n.resolves.Add(1)
	}
	return c.Client.PatchIncident(ctx, sysID, f)
}

// env is the simulator, one NATS server and the replicas running on it.
type env struct {
	sim   *sim.Server
	url   string
	nats  *server.Server
	res   *streams.Resources
	clock *fakeclock.Clock
	n     counters
	log   *slog.Logger
}

func newEnv(t *testing.T) *env {
	t.Helper()
	s := sim.New(sim.Config{})
	ts := httptest.NewServer(s.Handler())
	t.Cleanup(ts.Close)
	srv := testserver.NATS(t)
	_, js := testserver.Connect(t, srv)
	res := streamtest.Ensure(t, js, streams.Config{})
	return &env{
		sim: s, url: ts.URL, nats: srv, res: res,
		clock: fakeclock.New(time.Date(2026, 11, 25, 9, 0, 30, 0, time.UTC)),
		log:   slog.New(slog.NewTextHandler(io.Discard, nil)),
	}
}

func fastHTTP(name string) *http.Client {
	return outbound.NewClient(outbound.Options{Name: name, InitialBackoff: time.Millisecond, MaxAttempts: 3})
}

// clients are one replica's real clients, with tokens from the simulator.
type clients struct {
	graph   *health.Client
	snow    *servicenow.Client
	support *azuresupport.Client
}

func (e *env) clients(t *testing.T) clients {
	t.Helper()
	cache, err := token.NewCache(token.CacheOptions{})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = cache.Close() })
	entra := func(resource string) *token.Source {
		f, err := token.NewEntra(token.EntraConfig{LoginURL: e.url, Tenant: sim.DefaultTenant, Resource: resource,
			ClientID: sim.DefaultClientID, ClientSecret: sim.DefaultClientSecret})
		if err != nil {
			t.Fatal(err)
		}
		return cache.Source(f, f.Identity())
	}
	snowTok, err := token.NewServiceNow(token.ServiceNowConfig{InstanceURL: e.url,
		ClientID: sim.DefaultServiceNowClientID, ClientSecret: sim.DefaultServiceNowClientSecret})
	if err != nil {
		t.Fatal(err)
	}
	// The test drives many intervals in seconds: lift Graph's per-minute
	// budget, which the limiter would otherwise enforce in real time.
	lim, err := health.NewLimiter(health.LimiterConfig{PerMinute: 1 << 20, PerHour: 1 << 24})
	if err != nil {
		t.Fatal(err)
	}
	var c clients
	if c.graph, err = health.NewClient(health.ClientConfig{GraphURL: e.url, Tokens: entra(sim.GraphResource),
		HTTPClient: fastHTTP("graph"), Limiter: lim}); err != nil {
		t.Fatal(err)
	}
	if c.snow, err = servicenow.New(servicenow.Config{BaseURL: e.url, Tokens: cache.Source(snowTok, snowTok.Identity()),
		IntegrationUser: sim.IntegrationUser, HTTPClient: fastHTTP("servicenow")}); err != nil {
		t.Fatal(err)
	}
	if c.support, err = azuresupport.New(azuresupport.Config{ARMURL: e.url, SubscriptionID: sim.DefaultSubscription,
		Tokens: entra(sim.ARMResource), HTTPClient: fastHTTP("arm"), PollInterval: time.Millisecond}); err != nil {
		t.Fatal(err)
	}
	return c
}

// replica is one worker process: its own connection, clients, handlers,
// Worker and Ticker.
type replica struct {
	stop func()
}

func (e *env) startReplica(t *testing.T) *replica {
	t.Helper()
	_, js := testserver.Connect(t, e.nats)
	res := streamtest.Ensure(t, js, streams.Config{})
	c := e.clients(t)
	hs, err := health.NewSync(health.SyncConfig{
		Graph: c.graph, Incidents: countingIncidents{Client: c.snow, n: &e.n}, State: res.Health,
		AssignmentGroup: "Messaging", Category: "email", AutoResolve: true, Logger: e.log,
	})
	if err != nil {
		t.Fatal(err)
	}
	cases, err := escalation.NewCaseStore(res.Cases, nil)
	if err != nil {
		t.Fatal(err)
	}
	cs, err := escalation.NewCaseSync(escalation.CaseSyncConfig{
		Cases: cases, Support: c.support, Notes: c.snow, Leases: res.Leases, Rate: 100, Logger: e.log,
	})
	if err != nil {
		t.Fatal(err)
	}
	w, err := worker.New(res.Consumer, js, map[string]worker.Handler{
		event.SubjectTickHealth: hs,
		event.SubjectTickCases:  cs,
	}, worker.Config{Concurrency: 4, BackoffInitial: 20 * time.Millisecond, BackoffMax: 200 * time.Millisecond, Logger: e.log})
	if err != nil {
		t.Fatal(err)
	}
	tk, err := worker.NewTicker(worker.TickerConfig{
		Publisher: streams.NewPublisher(js, nil), Clock: e.clock, Logger: e.log,
		Jobs: []worker.TickJob{
			{Name: worker.TickHealth, Type: event.TypeTickHealth, Interval: interval},
			{Name: worker.TickCases, Type: event.TypeTickCases, Interval: interval},
		},
	})
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	var wg sync.WaitGroup
	wg.Add(2)
	go func() {
		defer wg.Done()
		if err := w.Run(ctx); err != nil {
			t.Errorf("worker: %v", err)
		}
	}()
	go func() { defer wg.Done(); _ = tk.Run(ctx) }()
	var once sync.Once
	r := &replica{stop: func() { once.Do(func() { cancel(); wg.Wait() }) }}
	t.Cleanup(r.stop)
	return r
}

// settled reports whether every stored tick was handled and acked.
func (e *env) settled(t *testing.T) bool {
	t.Helper()
	ctx := context.Background()
	si, err := e.res.Stream.Info(ctx)
	if err != nil {
		t.Fatal(err)
	}
	ci, err := e.res.Consumer.Info(ctx)
	if err != nil {
		t.Fatal(err)
	}
	return ci.NumPending == 0 && ci.NumAckPending == 0 && ci.AckFloor.Stream >= si.State.LastSeq
}

func (e *env) lastSeq(t *testing.T) uint64 {
	t.Helper()
	si, err := e.res.Stream.Info(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	return si.State.LastSeq
}

// poll waits for cond up to a deadline (wait.For).
func poll(t *testing.T, within time.Duration, what string, cond func() bool) {
	t.Helper()
	wait.For(t, within, what, cond)
}

// tick moves the clock one interval and waits until the fleet stored that
// interval's two ticks (one each, however many replicas published them) and
// handled every stored tick.
func (e *env) tick(t *testing.T) {
	t.Helper()
	before := e.lastSeq(t)
	e.clock.Advance(interval)
	poll(t, 10*time.Second, "the interval's ticks stored", func() bool { return e.lastSeq(t) >= before+2 })
	poll(t, 20*time.Second, "every tick handled", func() bool { return e.settled(t) })
	if n := e.lastSeq(t) - before; n != 2 {
		t.Fatalf("one interval stored %d ticks, want 2 (one per job, whatever the replicas)", n)
	}
}

// until ticks until cond holds, at most 30 intervals.
func (e *env) until(t *testing.T, what string, cond func() bool) {
	t.Helper()
	for range 30 {
		if cond() {
			return
		}
		e.tick(t)
	}
	if !cond() {
		t.Fatalf("after 30 intervals: %s never happened", what)
	}
}

// incidentsFor returns the sys_ids of the incidents whose correlation_id
// is id.
func (e *env) incidentsFor(id string) []string {
	var out []string
	for _, in := range e.sim.State().Incidents {
		if f, _ := e.sim.Incident(in.SysID); f["correlation_id"] == id {
			out = append(out, in.SysID)
		}
	}
	return out
}

// notesWith counts the incident's work notes containing text.
func (e *env) notesWith(sysID, text string) int {
	n := 0
	for _, j := range e.sim.Journal(sysID, "work_notes") {
		if strings.Contains(j.Value, text) {
			n++
		}
	}
	return n
}

func (e *env) notes(sysID string) int { return len(e.sim.Journal(sysID, "work_notes")) }

// closeByHand closes the incident as an agent would, through the Table API.
func (e *env) closeByHand(t *testing.T, sysID string) {
	t.Helper()
	req, err := http.NewRequest(http.MethodPatch, e.url+"/api/now/table/incident/"+sysID,
		strings.NewReader(`{"state":"7","close_code":"Solved (Permanently)","close_notes":"closed by hand"}`))
	if err != nil {
		t.Fatal(err)
	}
	req.SetBasicAuth(sim.DefaultServiceNowUser, sim.DefaultServiceNowPassword)
	req.Header.Set("Content-Type", "application/json")
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("close by hand: %s", resp.Status)
	}
}
