package escalation_test

import (
	"context"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/escalator/escalator/escalation"
	"github.com/escalator/escalator/internal/azuresupport"
	"github.com/escalator/escalator/internal/event"
	"github.com/escalator/escalator/internal/outbound"
	"github.com/escalator/escalator/internal/servicenow"
	"github.com/escalator/escalator/internal/streams"
	"github.com/escalator/escalator/internal/testkit/sim"
	"github.com/escalator/escalator/internal/testkit/streamtest"
	"github.com/escalator/escalator/internal/testkit/testserver"
	"github.com/escalator/escalator/internal/token"
	"github.com/escalator/escalator/worker"
)

// testEnv is one test's real NATS (with Escalator's buckets) and simulator
// of Microsoft and ServiceNow, with real clients pointed at it.
type testEnv struct {
	sim      *sim.Server
	url      string
	res      *streams.Resources
	cases    *escalation.CaseStore
	accounts *escalation.AccountStore
	dir      *escalation.Directory
	snow     *servicenow.Client
	graph    *token.Source
	arm      *token.Source
	support  *azuresupport.Client
}

func newTestEnv(t *testing.T) *testEnv {
	t.Helper()
	_, js := testserver.Connect(t, testserver.NATS(t))
	res := streamtest.Ensure(t, js, streams.Config{})
	s := sim.New(sim.Config{})
	ts := httptest.NewServer(s.Handler())
	t.Cleanup(ts.Close)

	e := &testEnv{sim: s, url: ts.URL, res: res}
	cache, err := token.NewCache(token.CacheOptions{})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = cache.Close() })
	e.graph = entraSource(t, cache, ts.URL, sim.GraphResource)
	e.arm = entraSource(t, cache, ts.URL, sim.ARMResource)

	if e.cases, err = escalation.NewCaseStore(res.Cases, nil); err != nil {
		t.Fatal(err)
	}
	if e.accounts, err = escalation.NewAccountStore(res.Accounts, escalation.AccountStoreConfig{Tenant: sim.DefaultTenant}); err != nil {
		t.Fatal(err)
	}
	if e.dir, err = escalation.NewDirectory(escalation.DirectoryConfig{GraphURL: ts.URL, Tokens: e.graph, HTTPClient: fastClient("graph")}); err != nil {
		t.Fatal(err)
	}
	if e.snow, err = servicenow.New(servicenow.Config{
		BaseURL: ts.URL, Username: sim.DefaultServiceNowUser, Password: sim.DefaultServiceNowPassword,
		HTTPClient: fastClient("servicenow"),
	}); err != nil {
		t.Fatal(err)
	}
	if e.support, err = azuresupport.New(azuresupport.Config{
		ARMURL: ts.URL, SubscriptionID: sim.DefaultSubscription, Tokens: e.arm,
		HTTPClient: fastClient("arm"), PollInterval: time.Millisecond,
	}); err != nil {
		t.Fatal(err)
	}
	return e
}

// escalateConfig is a handler configuration over the environment's real
// clients; tests adjust it before newEscalate.
func (e *testEnv) escalateConfig() escalation.EscalateConfig {
	return escalation.EscalateConfig{
		Cases: e.cases, Accounts: e.accounts, Support: e.support, Notes: e.snow, Incidents: e.snow,
		ServiceID: sim.Microsoft365ServiceID, ProblemClassificationID: sim.Microsoft365ProblemClassificationID,
	}
}

func newEscalate(t *testing.T, cfg escalation.EscalateConfig) *escalation.EscalateHandler {
	t.Helper()
	h, err := escalation.NewEscalateHandler(cfg)
	if err != nil {
		t.Fatal(err)
	}
	return h
}

// newLinkedEscalate is a test environment with the admin linked and an
// escalation handler of its default configuration.
func newLinkedEscalate(t *testing.T) (*testEnv, *escalation.EscalateHandler) {
	t.Helper()
	e := newTestEnv(t)
	e.linkAdmin(t)
	return e, newEscalate(t, e.escalateConfig())
}

func (e *testEnv) updateHandler(t *testing.T, closeOnResolve bool) *escalation.UpdateHandler {
	t.Helper()
	h, err := escalation.NewUpdateHandler(escalation.UpdateConfig{
		Cases: e.cases, Support: e.support, Notes: e.snow, ServiceNow: e.snow, CloseOnResolve: closeOnResolve,
	})
	if err != nil {
		t.Fatal(err)
	}
	return h
}

// message wraps ev as the worker hands it to a handler.
func message(ev *event.Event) *worker.Message {
	return &worker.Message{Subject: ev.Subject(), Event: ev, NumDelivered: 1}
}

// caseOf reads the incident's case record.
func (e *testEnv) caseOf(t *testing.T, sysID string) escalation.Case {
	t.Helper()
	c, _, err := e.cases.Get(context.Background(), sysID)
	if err != nil {
		t.Fatalf("case of %s: %v", sysID, err)
	}
	return c
}

// entraSource fetches client-credentials tokens from the simulator's Entra.
func entraSource(t *testing.T, cache *token.Cache, loginURL, resource string) *token.Source {
	t.Helper()
	f, err := token.NewEntra(token.EntraConfig{
		LoginURL: loginURL, Tenant: sim.DefaultTenant, Resource: resource,
		ClientID: sim.DefaultClientID, ClientSecret: sim.DefaultClientSecret,
	})
	if err != nil {
		t.Fatal(err)
	}
	return cache.Source(f, f.Identity())
}

func fastClient(name string) *http.Client {
	return outbound.NewClient(outbound.Options{Name: name, InitialBackoff: time.Millisecond, MaxAttempts: 3})
}

// linkAdmin links the simulator's Global Administrator.
func (e *testEnv) linkAdmin(t *testing.T) escalation.Account {
	t.Helper()
	a, err := e.accounts.Link(context.Background(), escalation.LinkRequest{
		Email: sim.DefaultAdminUPN, LinkedBy: "test", Verify: true,
	}, e.dir)
	if err != nil {
		t.Fatalf("link admin: %v", err)
	}
	return a
}

// notes returns the work notes of the incident sysID in the simulator.
func (e *testEnv) notes(t *testing.T, sysID string) []string {
	t.Helper()
	for _, in := range e.sim.State().Incidents {
		if in.SysID == sysID {
			out := make([]string, 0, len(in.WorkNotes))
			for _, n := range in.WorkNotes {
				out = append(out, n.Value)
			}
			return out
		}
	}
	t.Fatalf("incident %s not in the simulator", sysID)
	return nil
}

// notesContaining counts the incident's work notes that contain text.
func (e *testEnv) notesContaining(t *testing.T, sysID, text string) int {
	t.Helper()
	n := 0
	for _, v := range e.notes(t, sysID) {
		if strings.Contains(v, text) {
			n++
		}
	}
	return n
}

// ticketsFor counts the simulator's tickets whose name is one of the
// incident's.
func (e *testEnv) ticketsFor(sysID string) []sim.TicketState {
	var out []sim.TicketState
	for _, tk := range e.sim.State().Tickets {
		if strings.Contains(strings.ToLower(tk.Name), strings.ToLower(sysID)) {
			out = append(out, tk)
		}
	}
	return out
}

// escalationEvent is the examples' escalation request for the seeded incident,
// with the dialog's phone number and nothing else of the dialog.
func escalationEvent(id string) *event.Event {
	return &event.Event{
		SpecVersion: event.SpecVersion,
		ID:          id,
		Source:      "https://contoso.service-now.com",
		Type:        event.TypeEscalation,
		Time:        time.Date(2026, 11, 25, 9, 0, 0, 0, time.UTC),
		Data: event.Data{
			Incident: event.Incident{
				SysID: sim.DefaultIncidentSysID, Number: sim.DefaultIncidentNumber,
				ShortDescription: "Outlook cannot connect to Exchange Online for the finance floor",
				Description:      "Since 08:40 UTC about 40 users get 'Trying to connect...' in Outlook desktop. OWA works.",
				Priority:         "1", Urgency: "1", Impact: "2", State: "2",
			},
			RequestedBy: event.RequestedBy{UserName: "beth.anglin", Roles: []string{"x_mioms_m365_assis.administrator"}},
			// Microsoft needs a phone number for a critical case (priority 1).
			Escalation: &event.Escalation{Contact: &event.Contact{Phone: testPhone}},
		},
	}
}

// testPhone is the phone number the test escalations give.
const testPhone = "+1 425 555 0100"
