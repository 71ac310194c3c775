package insights_test

import (
	"context"
	"log/slog"
	"net/http/httptest"
	"os"
	"path/filepath"
	"sync"
	"testing"
	"time"

	"github.com/nats-io/nats.go/jetstream"

	"github.com/escalator/escalator/health"
	"github.com/escalator/escalator/insights"
	"github.com/escalator/escalator/internal/event"
	"github.com/escalator/escalator/internal/outbound"
	"github.com/escalator/escalator/internal/servicenow"
	"github.com/escalator/escalator/internal/streams"
	"github.com/escalator/escalator/internal/testkit/sim"
	"github.com/escalator/escalator/internal/testkit/testserver"
	"github.com/escalator/escalator/internal/token"
	"github.com/escalator/escalator/worker"
)

// fakeClock is the clock of the snapshot and the handler: tests age the
// snapshot by advancing it.
type fakeClock struct {
	mu  sync.Mutex
	now time.Time
}

func (c *fakeClock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.now
}

func (c *fakeClock) Advance(d time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.now = c.now.Add(d)
}

// handlerEnv is the insights handler wired to the simulator (Graph through
// an Entra token, ServiceNow) and to a real JetStream KV bucket.
type handlerEnv struct {
	sim      *sim.Server
	clock    *fakeClock
	snapshot *health.Snapshot
	notes    *servicenow.Client
	digests  jetstream.KeyValue
	handler  *insights.Handler
}

const testMaxAge = 10 * time.Minute

func newHandlerEnv(t *testing.T) *handlerEnv {
	t.Helper()
	ctx := context.Background()
	e := &handlerEnv{sim: sim.New(sim.Config{}), clock: &fakeClock{now: time.Now()}}
	srv := httptest.NewServer(e.sim.Handler())
	t.Cleanup(srv.Close)

	entra, err := token.NewEntra(token.EntraConfig{
		LoginURL: srv.URL, Tenant: sim.DefaultTenant, ClientID: sim.DefaultClientID,
		ClientSecret: sim.DefaultClientSecret, Resource: sim.GraphResource,
	})
	if err != nil {
		t.Fatal(err)
	}
	cache, err := token.NewCache(token.CacheOptions{})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = cache.Close() })
	graph, err := health.NewClient(health.ClientConfig{
		GraphURL: srv.URL, Tokens: cache.Source(entra, entra.Identity()),
		HTTPClient: outbound.NewClient(outbound.Options{Name: "graph", MaxAttempts: 1}),
	})
	if err != nil {
		t.Fatal(err)
	}
	if e.snapshot, err = health.NewSnapshot(graph, health.SnapshotConfig{Clock: e.clock.Now}); err != nil {
		t.Fatal(err)
	}
	if e.notes, err = servicenow.New(servicenow.Config{
		BaseURL: srv.URL, Username: sim.DefaultServiceNowUser, Password: sim.DefaultServiceNowPassword,
		HTTPClient: outbound.NewClient(outbound.Options{Name: "servicenow", MaxAttempts: 1}),
	}); err != nil {
		t.Fatal(err)
	}

	_, js := testserver.Connect(t, testserver.NATS(t))
	res, err := streams.Ensure(ctx, js, streams.Config{})
	if err != nil {
		t.Fatal(err)
	}
	e.digests = res.Insights

	catalog, err := insights.LoadCatalog()
	if err != nil {
		t.Fatal(err)
	}
	if e.handler, err = insights.NewHandler(insights.HandlerConfig{
		Catalog: catalog, Health: e.snapshot, Notes: e.notes, Digests: e.digests,
		MaxAge: testMaxAge, Clock: e.clock.Now, Logger: slog.New(slog.DiscardHandler),
	}); err != nil {
		t.Fatal(err)
	}
	return e
}

// workNotes are the work notes of the example incident in the simulator.
func (e *handlerEnv) workNotes(t *testing.T) []sim.WorkNote {
	t.Helper()
	for _, in := range e.sim.State().Incidents {
		if in.SysID == sim.DefaultIncidentSysID {
			return in.WorkNotes
		}
	}
	t.Fatalf("incident %s not in the simulator", sim.DefaultIncidentSysID)
	return nil
}

// storedDigest is the digest recorded for the example incident ("" none).
func (e *handlerEnv) storedDigest(t *testing.T) string {
	t.Helper()
	entry, err := e.digests.Get(context.Background(), sim.DefaultIncidentSysID)
	if err == jetstream.ErrKeyNotFound {
		return ""
	}
	if err != nil {
		t.Fatal(err)
	}
	return string(entry.Value())
}

// handle delivers the example event to the handler.
func (e *handlerEnv) handle(t *testing.T, ev *event.Event) error {
	t.Helper()
	return e.handler.Handle(context.Background(), &worker.Message{Subject: ev.Subject(), Event: ev, NumDelivered: 1})
}

// exampleEvent is the contract's insights request for INC0010023.
func exampleEvent(t *testing.T) *event.Event {
	t.Helper()
	b, err := os.ReadFile(filepath.Join("testdata", "insights-requested.json"))
	if err != nil {
		t.Fatal(err)
	}
	ev, err := event.Decode(b)
	if err != nil {
		t.Fatal(err)
	}
	return &ev
}
