package main

import (
	"bytes"
	"context"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/nats-io/nats.go/jetstream"
	"go.opentelemetry.io/otel/trace"

	"github.com/escalator/escalator/internal/event"
	"github.com/escalator/escalator/internal/outbound"
	"github.com/escalator/escalator/internal/streams"
	"github.com/escalator/escalator/internal/testkit/sim"
	"github.com/escalator/escalator/internal/testkit/testserver"
)

// e2e is one end-to-end setup: the simulator for Microsoft and ServiceNow,
// a real redis-server for the token cache, a private NATS, and an App with
// the production handlers.
type e2e struct {
	sim    *sim.Server
	simURL string
	app    *App
}

func startE2E(t *testing.T, mutate func(*appConfig)) *e2e {
	t.Helper()
	return startE2ELogged(t, mutate, nil, nil)
}

// startE2ELogged is startE2E with the spans going to tp and the log lines
// to log (nil: none).
func startE2ELogged(t *testing.T, mutate func(*appConfig), tp trace.TracerProvider, log *slog.Logger) *e2e {
	t.Helper()
	s := sim.New(sim.Config{})
	hs := httptest.NewServer(s.Handler())
	t.Cleanup(hs.Close)
	rds := testserver.StartRedis(t)
	cfg := appConfig{
		redis: redisConfig{URL: rds.URL(), TokenKey: base64.StdEncoding.EncodeToString(make([]byte, 32))},
		microsoft: microsoftConfig{
			Tenant: sim.DefaultTenant, ClientID: sim.DefaultClientID, ClientSecret: sim.DefaultClientSecret,
			LoginURL: hs.URL, TokenEndpoint: "v1", GraphURL: hs.URL, ARMURL: hs.URL,
			SubscriptionID: sim.DefaultSubscription, SupportServiceID: sim.Microsoft365ServiceID,
			ProblemClassification: sim.Microsoft365ProblemClassificationID,
		},
		snow: serviceNowConfig{URL: hs.URL, ClientID: sim.DefaultServiceNowClientID, ClientSecret: sim.DefaultServiceNowClientSecret,
			IntegrationUser: sim.IntegrationUser},
		retryInitial: 100 * time.Millisecond,
	}
	if mutate != nil {
		mutate(&cfg)
	}
	return &e2e{sim: s, simURL: hs.URL, app: startAppLogged(t, cfg, buildWorker, tp, log)}
}

// example reads an example event, lets change edit it, and returns it.
func example(t *testing.T, file string, change func(*event.Event)) event.Event {
	t.Helper()
	b, err := os.ReadFile("examples/" + file)
	if err != nil {
		t.Fatal(err)
	}
	ev, err := event.Decode(b)
	if err != nil {
		t.Fatal(err)
	}
	if change != nil {
		change(&ev)
	}
	return ev
}

func (x *e2e) post(t *testing.T, ev event.Event) {
	t.Helper()
	body, _ := ev.Marshal()
	if resp := postIngest(t, x.app.IngestURL(), testIngestToken, string(body)); resp.StatusCode != http.StatusAccepted {
		t.Fatalf("post %s: status %d", ev.ID, resp.StatusCode)
	}
}

func (x *e2e) link(t *testing.T, email string) {
	t.Helper()
	env := map[string]string{
		"ESCALATOR_NATS_URL": x.app.cfg.nats.URL, "ESCALATOR_TENANT": x.app.cfg.microsoft.Tenant,
		"ESCALATOR_CLIENT_ID": x.app.cfg.microsoft.ClientID, "ESCALATOR_CLIENT_SECRET": x.app.cfg.microsoft.ClientSecret,
		"ESCALATOR_LOGIN_URL": x.app.cfg.microsoft.LoginURL, "ESCALATOR_GRAPH_URL": x.app.cfg.microsoft.GraphURL,
	}
	if _, _, err := runRoot(t, env, "account", "link", email, "--by", "e2e"); err != nil {
		t.Fatalf("account link %s: %v", email, err)
	}
}

// notes returns the work notes on the example incident that contain substr.
func (x *e2e) notes(substr string) []string {
	var out []string
	for _, inc := range x.sim.State().Incidents {
		if inc.SysID != sim.DefaultIncidentSysID {
			continue
		}
		for _, n := range inc.WorkNotes {
			if strings.Contains(n.Value, substr) {
				out = append(out, n.Value)
			}
		}
	}
	return out
}

func (x *e2e) tickets() int { return len(x.sim.State().Tickets) }

// settle waits until the worker has nothing in flight and the stream's
// consumer has settled every event stored so far.
func (x *e2e) settle(t *testing.T) {
	t.Helper()
	waitFor(t, "worker idle", func() bool { return caughtUp(x.app) && x.app.work.InFlight() == 0 })
}

// caughtUp reports whether app's consumer has settled every event in the
// stream. The consumer's NumPending alone does not tell: the server counts
// a stored message into it on a goroutine of its own, after the publish
// was acknowledged, so right after a 202 it can still read zero. The
// stream's last sequence is counted before the acknowledgement, and the
// ack floor reaches it only once every event up to it is acked or
// dead-lettered.
func caughtUp(app *App) bool {
	ctx := context.Background()
	stream, err := app.res.Stream.Info(ctx)
	if err != nil {
		return false
	}
	info, err := app.res.Consumer.Info(ctx)
	return err == nil && info.AckFloor.Stream >= stream.State.LastSeq && info.NumPending == 0 && info.NumAckPending == 0
}

// TestE2ERoles: whether a requester holds the role is what ServiceNow
// says (sys_user_has_role), whatever the payload lists.
func TestE2ERoles(t *testing.T) {
	x := startE2E(t, nil)
	x.link(t, sim.DefaultAdminUPN)
	tests := []struct {
		name, file, user string
		roles            []string
		refused          bool
	}{
		{"insights by an insights user listing no role", "insights-requested.json", "david.miller", []string{}, false},
		{"insights by an administrator listing the insights role", "insights-requested.json", "beth.anglin", []string{"x_mioms_m365_assis.insights_user"}, true},
		{"escalation by an insights user listing the admin role", "escalation-requested.json", "david.miller", []string{"x_mioms_m365_assis.administrator"}, true},
		{"escalation by abel.tuter listing every role", "escalation-requested.json", "abel.tuter",
			[]string{"itil", "escalator_administrator", "x_mioms_m365_assis.administrator", "admin"}, true},
		{"escalation by an administrator listing no role", "escalation-requested.json", "beth.anglin", nil, false},
	}
	for i, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			ticketsBefore := x.tickets()
			ev := example(t, tt.file, func(ev *event.Event) {
				ev.ID = ev.ID[:30] + string(rune('a'+i)) + "x"
				ev.Data.RequestedBy.UserName, ev.Data.RequestedBy.Roles = tt.user, tt.roles
			})
			x.post(t, ev)
			x.settle(t)
			refusals := x.notes("refused-" + ev.ID)
			if tt.refused {
				if len(refusals) != 1 {
					t.Fatalf("want one refusal note, got %d", len(refusals))
				}
				if !strings.Contains(refusals[0], "from "+tt.user+": the user does not have any of the roles") {
					t.Fatalf("refusal note %q", refusals[0])
				}
				if x.tickets() != ticketsBefore {
					t.Fatal("a refused escalation reached Microsoft")
				}
				return
			}
			if len(refusals) != 0 {
				t.Fatalf("allowed event refused: %v", refusals)
			}
			if tt.file == "escalation-requested.json" && x.tickets() != ticketsBefore+1 {
				t.Fatalf("tickets %d, want %d", x.tickets(), ticketsBefore+1)
			}
		})
	}
}

func TestE2EExactlyOneCase(t *testing.T) {
	x := startE2E(t, nil)
	x.link(t, sim.DefaultAdminUPN)
	// The incident write-back fails more often than one HTTP call retries:
	// the handler fails after the ticket exists, the message is redelivered.
	if err := x.sim.SetFaults(sim.Faults{Routes: map[string]sim.RouteFault{
		"PATCH /api/now/table/incident/{sys_id}": {Status: 503, Count: 5},
	}}); err != nil {
		t.Fatal(err)
	}
	ev := example(t, "escalation-requested.json", nil)
	x.post(t, ev)
	x.post(t, ev) // a duplicate post: stored once
	waitFor(t, "case note", func() bool { return len(x.notes("Escalated to Microsoft support")) == 1 })
	x.settle(t)

	// A replay: the same event under a new message id.
	pub := streams.NewPublisher(x.app.js, nil)
	if _, err := pub.Publish(context.Background(), &ev, streams.WithMsgID("replay-test-"+ev.ID)); err != nil {
		t.Fatal(err)
	}
	x.settle(t)
	if n := x.tickets(); n != 1 {
		t.Fatalf("tickets %d, want exactly 1", n)
	}
	if n := len(x.notes("Escalated to Microsoft support")); n != 1 {
		t.Fatalf("case notes %d, want exactly 1", n)
	}
	if n := x.sim.Calls("PUT /subscriptions/{sub}/providers/Microsoft.Support/supportTickets/{name}"); n < 1 {
		t.Fatalf("ticket PUT calls %d", n)
	}
	inc, _ := x.sim.Incident(sim.DefaultIncidentSysID)
	if want := x.sim.State().Tickets[0].Properties.SupportTicketID; inc["correlation_id"] != want {
		t.Fatalf("case field %q, want the case id %q", inc["correlation_id"], want)
	}
}

func TestE2ENoLinkedAccountDeadLetters(t *testing.T) {
	x := startE2E(t, nil)
	ev := example(t, "escalation-requested.json", nil)
	x.post(t, ev)
	ctx := context.Background()
	waitFor(t, "dead letter", func() bool {
		info, err := x.app.res.DLQ.Info(ctx)
		return err == nil && info.State.Msgs == 1
	})
	msg, err := x.app.res.DLQ.GetMsg(ctx, 1)
	if err != nil {
		t.Fatal(err)
	}
	if msg.Header.Get(streams.HeaderErrorClass) != "permanent" || !strings.Contains(strings.ToLower(msg.Header.Get(streams.HeaderReason)), "account") {
		t.Fatalf("dead letter headers: %v", msg.Header)
	}
	if n := len(x.notes("escalator account link")); n != 1 {
		t.Fatalf("want one note telling to link an account, got %d", n)
	}
	if x.tickets() != 0 {
		t.Fatal("a ticket was opened without a linked account")
	}
}

func TestE2EInsightsNote(t *testing.T) {
	x := startE2E(t, nil)
	ev := example(t, "insights-requested.json", nil)
	x.post(t, ev)
	waitFor(t, "insights note", func() bool { return len(x.notes(sim.ExchangeIncidentID)) == 1 })
	note := x.notes(sim.ExchangeIncidentID)[0]
	if !strings.Contains(note, "https://learn.microsoft.com/") || !strings.Contains(strings.ToLower(note), "outlook") {
		t.Fatalf("note lacks relevant articles:\n%s", note)
	}
	// A second identical request (new event id) posts nothing new.
	again := example(t, "insights-requested.json", func(ev *event.Event) { ev.ID = "second-" + ev.ID })
	x.post(t, again)
	x.settle(t)
	if n := len(x.notes(sim.ExchangeIncidentID)); n != 1 {
		t.Fatalf("insights notes %d after an identical request, want 1", n)
	}
}

func TestE2EAccountLinkReplaceRefuse(t *testing.T) {
	x := startE2E(t, nil)
	env := map[string]string{
		"ESCALATOR_NATS_URL": x.app.cfg.nats.URL, "ESCALATOR_TENANT": sim.DefaultTenant,
		"ESCALATOR_CLIENT_ID": sim.DefaultClientID, "ESCALATOR_CLIENT_SECRET": sim.DefaultClientSecret,
		"ESCALATOR_LOGIN_URL": x.app.cfg.microsoft.LoginURL, "ESCALATOR_GRAPH_URL": x.app.cfg.microsoft.GraphURL,
		"USER": "operator",
	}
	show := func() map[string]any {
		out, _, err := runRoot(t, env, "account", "show", "-o", "json")
		if err != nil {
			t.Fatalf("account show: %v", err)
		}
		var m map[string]any
		if err := json.Unmarshal([]byte(out), &m); err != nil {
			t.Fatalf("show output %q: %v", out, err)
		}
		return m
	}
	if _, _, err := runRoot(t, env, "account", "link", sim.DefaultAdminUPN, "--by", "alice"); err != nil {
		t.Fatal(err)
	}
	if got := show(); !strings.EqualFold(got["email"].(string), sim.DefaultAdminUPN) {
		t.Fatalf("linked %v", got)
	}
	// A user without an admin role is refused, as the app said it, and the
	// linked account stays.
	_, _, err := runRoot(t, env, "account", "link", sim.DefaultUserUPN)
	if err == nil || !strings.Contains(err.Error(), sim.DefaultUserUPN+" is not a valid Microsoft 365 admin account") {
		t.Fatalf("refusal: %v", err)
	}
	_, _, err = runRoot(t, env, "account", "link", "nobody@contoso.onmicrosoft.com")
	if err == nil || !strings.Contains(err.Error(), "is not a valid Microsoft 365 admin account") {
		t.Fatalf("unknown user: %v", err)
	}
	_, _, err = runRoot(t, env, "account", "link", "not-an-address")
	if err == nil || !strings.Contains(err.Error(), "is not a valid Microsoft 365 admin account") {
		t.Fatalf("bad syntax: %v", err)
	}
	if got := show(); !strings.EqualFold(got["email"].(string), sim.DefaultAdminUPN) {
		t.Fatalf("refused link replaced the account: %v", got)
	}
	// --no-verify replaces it with a user the directory would refuse.
	if _, _, err := runRoot(t, env, "account", "link", sim.DefaultUserUPN, "--no-verify", "--by", "bob"); err != nil {
		t.Fatal(err)
	}
	got := show()
	if !strings.EqualFold(got["email"].(string), sim.DefaultUserUPN) || got["linked_by"] != "bob" {
		t.Fatalf("replaced account %v", got)
	}
	if _, _, err := runRoot(t, env, "account", "unlink", "--by", "carol"); err != nil {
		t.Fatal(err)
	}
	if _, _, err := runRoot(t, env, "account", "show"); err == nil {
		t.Fatal("show after unlink found an account")
	}
}

func TestE2EScheduledJobsWired(t *testing.T) {
	x := startE2E(t, func(c *appConfig) {
		c.worker = defaultWorker()
		c.worker.HealthSync, c.worker.HealthInterval, c.worker.CaseSyncInterval = true, time.Second, time.Second
		c.worker.HealthAssignmentGroup, c.worker.HealthCategory = "Messaging", "email"
	})
	// healthIncidents counts the incidents created for the seeded active
	// Exchange Online issue (correlation_id = the issue id).
	healthIncidents := func() int {
		n := 0
		for _, inc := range x.sim.State().Incidents {
			if fields, _ := x.sim.Incident(inc.SysID); fields["correlation_id"] == sim.ExchangeIncidentID {
				n++
			}
		}
		return n
	}
	waitFor(t, "service health incident", func() bool { return healthIncidents() == 1 })
	ctx := context.Background()
	waitFor(t, "both ticks stored", func() bool {
		info, err := x.app.res.Stream.Info(ctx, jetstream.WithSubjectFilter("escalator.tick.>"))
		return err == nil && len(info.State.Subjects) == 2
	})
	x.settle(t)
	if n := healthIncidents(); n != 1 {
		t.Fatalf("incidents created for the Exchange issue: %d, want 1", n)
	}
}

// TestE2EOutageThenDLQReplay: while Azure Support answers 503, escalations
// end in the dead-letter stream; once it is back, a DLQ replay gives every
// incident exactly one case and empties the DLQ.
func TestE2EOutageThenDLQReplay(t *testing.T) {
	x := startE2E(t, func(c *appConfig) {
		c.retryInitial = 20 * time.Millisecond
		c.http = outbound.Options{MaxAttempts: 2, InitialBackoff: 10 * time.Millisecond}
	})
	x.link(t, sim.DefaultAdminUPN)
	if err := x.sim.SetFaults(sim.Faults{Routes: map[string]sim.RouteFault{
		"PUT /subscriptions/{sub}/providers/Microsoft.Support/supportTickets/{name}": {Status: 503},
	}}); err != nil {
		t.Fatal(err)
	}
	// Three incidents (the seeded one and two new), one escalation each.
	const incidents = 3
	ctx := context.Background()
	for i := 0; i < incidents; i++ {
		ev := example(t, "escalation-requested.json", func(ev *event.Event) { ev.ID = fmt.Sprintf("outage-%d", i) })
		if i > 0 {
			inc, err := x.app.remotes.snow.CreateIncident(ctx, map[string]string{"short_description": fmt.Sprintf("Teams calls drop, site %d", i)})
			if err != nil {
				t.Fatal(err)
			}
			ev.Data.Incident.SysID, ev.Data.Incident.Number = inc.SysID, inc.Number
		}
		x.post(t, ev)
	}
	waitFor(t, "every escalation dead-lettered", func() bool {
		info, err := x.app.res.DLQ.Info(ctx)
		return err == nil && info.State.Msgs == incidents
	})
	if x.tickets() != 0 {
		t.Fatalf("tickets during the outage: %d", x.tickets())
	}

	x.sim.ClearFaults()
	cfg := x.app.cfg
	var out bytes.Buffer
	e := &env{stdout: &out, stderr: io.Discard, getenv: func(string) string { return "" }}
	rc := replayConfig{nats: cfg.nats, log: cfg.log, redis: cfg.redis, microsoft: cfg.microsoft, snow: cfg.snow,
		worker: cfg.worker, dlq: true, output: "json", runID: "after-outage"}
	if err := runReplay(ctx, e, rc); err != nil {
		t.Fatalf("DLQ replay: %v\n%s", err, out.String())
	}
	waitFor(t, "one case per incident", func() bool { return x.tickets() == incidents })
	x.settle(t)
	// Replaying the DLQ again finds nothing: each dead letter was deleted
	// once its republish was acknowledged.
	info, err := x.app.res.DLQ.Info(ctx)
	if err != nil || info.State.Msgs != 0 {
		t.Fatalf("dead letters left after the replay: %+v %v", info.State, err)
	}
	perIncident := map[string]int{}
	for _, tk := range x.sim.State().Tickets {
		perIncident[tk.Name]++
	}
	if len(perIncident) != incidents {
		t.Fatalf("tickets by name %v, want one for each of %d incidents", perIncident, incidents)
	}
}

func TestAccountWhoFallsBackToTheOSUser(t *testing.T) {
	e := &env{getenv: func(string) string { return "" }}
	got, err := accountConfig{}.who(e)
	if err != nil || got == "" {
		t.Fatalf("who without --by and $USER: %q, %v", got, err)
	}
	if got, _ := (accountConfig{by: "alice"}).who(e); got != "alice" {
		t.Fatalf("--by ignored: %q", got)
	}
}
