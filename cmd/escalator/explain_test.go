package main

import (
	"context"
	"encoding/json"
	"errors"
	"strings"
	"testing"

	"github.com/escalator/escalator/cmd/escalator/internal/explain"
	"github.com/escalator/escalator/internal/event"
	"github.com/escalator/escalator/internal/eventindex"
	"github.com/escalator/escalator/internal/streams"
	"github.com/escalator/escalator/internal/testkit/sim"
)

const explainTrace = "4bf92f3577b34da6a3ce929d0e0e4736"

// indexedPublisher publishes as the wired App would: through the index.
func (x *e2e) indexedPublisher(t *testing.T) *eventindex.Publisher {
	t.Helper()
	ix, err := eventindex.Ensure(context.Background(), x.app.js, eventindex.Config{})
	if err != nil {
		t.Fatal(err)
	}
	return eventindex.NewPublisher(streams.NewPublisher(x.app.js, nil), ix, nil)
}

func (x *e2e) publishIndexed(t *testing.T, pub *eventindex.Publisher, ev event.Event) {
	t.Helper()
	if _, err := pub.Publish(context.Background(), &ev); err != nil {
		t.Fatal(err)
	}
}

// explainEnv is the environment of an operator's shell pointed at the
// e2e setup: NATS, ServiceNow and Microsoft.
func (x *e2e) explainEnv() map[string]string {
	c := x.app.cfg
	return map[string]string{
		"ESCALATOR_NATS_URL": c.nats.URL,
		"ESCALATOR_TENANT":   c.microsoft.Tenant, "ESCALATOR_CLIENT_ID": c.microsoft.ClientID,
		"ESCALATOR_CLIENT_SECRET": c.microsoft.ClientSecret, "ESCALATOR_LOGIN_URL": c.microsoft.LoginURL,
		"ESCALATOR_ARM_URL": c.microsoft.ARMURL, "ESCALATOR_AZURE_SUBSCRIPTION_ID": c.microsoft.SubscriptionID,
		"ESCALATOR_SERVICENOW_URL": c.snow.URL, "ESCALATOR_SERVICENOW_CLIENT_ID": c.snow.ClientID,
		"ESCALATOR_SERVICENOW_CLIENT_SECRET": c.snow.ClientSecret,
	}
}

// explainJSON runs `escalator explain ARG -o json` and decodes the report.
func explainJSON(t *testing.T, env map[string]string, args ...string) (explain.Report, error) {
	t.Helper()
	out, _, err := runRoot(t, env, append([]string{"explain", "-o", "json"}, args...)...)
	var r explain.Report
	if jerr := json.Unmarshal([]byte(out), &r); jerr != nil {
		t.Fatalf("explain output is not a report (%v): %q", jerr, out)
	}
	return r, err
}

func isExit1(err error) bool {
	var ec exitCode
	return errors.As(err, &ec) && ec == 1
}

// An escalated incident: the event, the case record's history, the note,
// the ticket's status at Microsoft and the trace id, by number and by
// sys_id, as JSON and as text.
func TestExplainEscalated(t *testing.T) {
	x := startE2E(t, nil)
	x.link(t, sim.DefaultAdminUPN)
	ev := example(t, "escalation-requested.json", func(ev *event.Event) {
		ev.TraceParent = "00-" + explainTrace + "-00f067aa0ba902b7-01"
	})
	// Through the App's ingest: serve and dev index what they store.
	x.post(t, ev)
	waitFor(t, "case note", func() bool { return len(x.notes("Escalated to Microsoft support")) == 1 })
	x.settle(t)
	env := x.explainEnv()

	r, err := explainJSON(t, env, sim.DefaultIncidentNumber)
	if err != nil {
		t.Fatal(err)
	}
	if !r.Found || r.Incident.SysID != sim.DefaultIncidentSysID || !r.Incident.InServiceNow {
		t.Fatalf("incident %+v, found %t", r.Incident, r.Found)
	}
	if len(r.Events) != 1 {
		t.Fatalf("events %+v", r.Events)
	}
	e := r.Events[0]
	if e.ID != ev.ID || e.Type != event.TypeEscalation || e.Status != explain.StatusHandled || e.TraceID != explainTrace ||
		!strings.EqualFold(e.LinkedAccount, sim.DefaultAdminUPN) {
		t.Fatalf("event %+v", e)
	}
	states := []string{}
	for _, c := range r.Case {
		states = append(states, c.State)
	}
	if len(states) < 2 || states[0] != "pending" || states[len(states)-1] != "open" {
		t.Fatalf("case history states %v, want pending … open", states)
	}
	if len(r.Notes) == 0 || !strings.HasPrefix(r.Notes[0].Marker, "case-") || !strings.Contains(r.Notes[0].Text, "Escalated to Microsoft support") {
		t.Fatalf("notes %+v", r.Notes)
	}
	want := x.sim.State().Tickets[0]
	if len(r.Tickets) != 1 || r.Tickets[0].Name != want.Name || r.Tickets[0].Status != "Open" ||
		r.Tickets[0].CaseID != want.Properties.SupportTicketID {
		t.Fatalf("tickets %+v, want %s", r.Tickets, want.Name)
	}
	if len(r.Traces) != 1 || r.Traces[0].TraceID != explainTrace {
		t.Fatalf("traces %+v", r.Traces)
	}
	if r.Stats.Method != "index" || r.Stats.MessagesRead != 1 {
		t.Fatalf("stats %+v", r.Stats)
	}

	out, _, err := runRoot(t, env, "explain", sim.DefaultIncidentSysID)
	if err != nil {
		t.Fatal(err)
	}
	for _, s := range []string{"Incident INC0010023 (sys_id " + sim.DefaultIncidentSysID + ")", "escalation requested by beth.anglin",
		"case record open", "Microsoft support cases (now):", want.Properties.SupportTicketID, explainTrace, "Sources:", "Stream lookup by the index, 1 entry: 1 message read"} {
		if !strings.Contains(out, s) {
			t.Errorf("text output lacks %q:\n%s", s, out)
		}
	}
}

// The JSON report has every list, empty rather than null, for scripts.
func TestExplainJSONShape(t *testing.T) {
	x := startE2E(t, nil)
	out, _, err := runRoot(t, x.explainEnv(), "explain", "-o", "json", sim.DefaultIncidentNumber)
	if err != nil { // the seeded incident is in ServiceNow: found, though Escalator never saw it
		t.Fatalf("%v\n%s", err, out)
	}
	var m map[string]any
	if err := json.Unmarshal([]byte(out), &m); err != nil {
		t.Fatal(err)
	}
	for _, k := range []string{"events", "dead_letters", "outbox", "case_history", "account_history", "notes", "tickets", "traces", "timeline", "sources"} {
		if _, ok := m[k].([]any); !ok {
			t.Errorf("%s is %T, want a list", k, m[k])
		}
	}
	for _, k := range []string{"query", "incident", "found", "stats"} {
		if _, ok := m[k]; !ok {
			t.Errorf("no %s", k)
		}
	}
}

// A dead-lettered escalation (no linked account) shows its reason; a
// refused one its note; an unknown incident exits 1; without ServiceNow and
// Microsoft, or with them unreachable, the stream still answers.
func TestExplainDeadLetteredRefusedUnknown(t *testing.T) {
	x := startE2E(t, nil)
	pub := x.indexedPublisher(t)
	ctx := context.Background()
	inc, err := x.app.remotes.snow.CreateIncident(ctx, map[string]string{"short_description": "Teams calls drop"})
	if err != nil {
		t.Fatal(err)
	}
	dead := example(t, "escalation-requested.json", func(ev *event.Event) {
		ev.ID = "explain-dead-1"
		ev.Data.Incident.SysID, ev.Data.Incident.Number = inc.SysID, inc.Number
	})
	x.publishIndexed(t, pub, dead)
	refused := example(t, "escalation-requested.json", func(ev *event.Event) {
		ev.ID = "explain-refused-1"
		ev.Data.RequestedBy.UserName, ev.Data.RequestedBy.Roles = "abel.tuter", []string{"itil"}
	})
	x.publishIndexed(t, pub, refused)
	waitFor(t, "dead letter", func() bool {
		info, err := x.app.res.DLQ.Info(ctx)
		return err == nil && info.State.Msgs == 1
	})
	waitFor(t, "refusal note", func() bool { return len(x.notes("refused-"+refused.ID)) == 1 })
	x.settle(t)
	env := x.explainEnv()

	r, err := explainJSON(t, env, inc.Number)
	if err != nil {
		t.Fatal(err)
	}
	if len(r.DeadLetters) != 1 || !strings.Contains(strings.ToLower(r.DeadLetters[0].Reason), "account") {
		t.Fatalf("dead letters %+v", r.DeadLetters)
	}
	if e := r.Events[0]; e.Status != explain.StatusDeadLettered || e.Deliveries < 1 || e.LinkedAccount != "none" {
		t.Fatalf("dead-lettered event %+v", e)
	}
	// The claim's ticket was never created: Microsoft has none.
	if len(r.Tickets) != 1 || r.Tickets[0].Status != explain.TicketMissing {
		t.Fatalf("tickets %+v", r.Tickets)
	}
	text, _, err := runRoot(t, env, "explain", inc.SysID)
	if err != nil || !strings.Contains(text, "dead letter") || !strings.Contains(text, r.DeadLetters[0].Reason[:20]) {
		t.Fatalf("text of the dead letter (%v):\n%s", err, text)
	}

	r, err = explainJSON(t, env, sim.DefaultIncidentNumber)
	if err != nil {
		t.Fatal(err)
	}
	if len(r.Events) != 1 || !strings.Contains(r.Events[0].Outcome, "refused") || r.Events[0].Status != explain.StatusHandled {
		t.Fatalf("refused event %+v", r.Events)
	}
	if len(r.Notes) != 1 || r.Notes[0].Marker != "refused-"+refused.ID {
		t.Fatalf("notes %+v", r.Notes)
	}

	for _, q := range []string{"INC0999999", "ffffffffffffffffffffffffffffffff"} {
		r, err = explainJSON(t, env, q)
		if !isExit1(err) || r.Found {
			t.Fatalf("unknown %s: err %v, found %t", q, err, r.Found)
		}
	}
	text, _, err = runRoot(t, env, "explain", "INC0999999")
	if !isExit1(err) || !strings.Contains(text, "No source knows INC0999999") {
		t.Fatalf("unknown, as text (%v):\n%s", err, text)
	}

	// NATS only: the stream, the DLQ and the buckets still answer.
	natsOnly := map[string]string{"ESCALATOR_NATS_URL": env["ESCALATOR_NATS_URL"]}
	r, err = explainJSON(t, natsOnly, inc.Number)
	if err != nil || len(r.DeadLetters) != 1 {
		t.Fatalf("NATS only: %v, %+v", err, r.DeadLetters)
	}
	for _, s := range r.Sources {
		if strings.HasPrefix(s.Name, "ServiceNow") && (s.Status != explain.SourceNotConfigured || !strings.Contains(s.Detail, "ESCALATOR_SERVICENOW_URL")) {
			t.Fatalf("source %+v", s)
		}
	}
	// ServiceNow unreachable: said so, exit 0.
	down := map[string]string{"ESCALATOR_NATS_URL": env["ESCALATOR_NATS_URL"], "ESCALATOR_SERVICENOW_URL": "http://127.0.0.1:1",
		"ESCALATOR_SERVICENOW_USER": "admin", "ESCALATOR_SERVICENOW_PASSWORD": "s3cret-password", "ESCALATOR_CALL_TIMEOUT": "2s"}
	out, _, err := runRoot(t, down, "explain", inc.SysID)
	if err != nil || !strings.Contains(out, "unavailable") || strings.Contains(out, "s3cret-password") {
		t.Fatalf("ServiceNow down (%v):\n%s", err, out)
	}
}
