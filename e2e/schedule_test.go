package e2e

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/escalator/escalator/escalation"
	"github.com/escalator/escalator/internal/azuresupport"
	"github.com/escalator/escalator/internal/servicenow"
	"github.com/escalator/escalator/internal/testkit/sim"
)

const issueID = "EX900001"

// openCase files a ticket for the seeded incident and records its case, as
// an escalation would have.
func (e *env) openCase(t *testing.T) escalation.Case {
	t.Helper()
	ctx := context.Background()
	c := e.clients(t)
	name := azuresupport.TicketName(sim.DefaultIncidentSysID, 0)
	tk, err := c.support.CreateTicket(ctx, name, azuresupport.TicketProperties{
		Title: "Outlook cannot connect to Exchange Online", Description: "INC0010023: Outlook desktop cannot connect.",
		ServiceID: sim.Microsoft365ServiceID, ProblemClassificationID: sim.Microsoft365ProblemClassificationID,
		Severity: azuresupport.SeverityModerate, AdvancedDiagnosticConsent: "Yes",
		ContactDetails: azuresupport.ContactDetails{FirstName: "MOD", LastName: "Administrator",
			PrimaryEmailAddress: sim.DefaultAdminUPN, PreferredContactMethod: "email",
			PreferredTimeZone: "Pacific Standard Time", PreferredSupportLanguage: "en-US", Country: "USA"},
	})
	if err != nil {
		t.Fatalf("create ticket: %v", err)
	}
	store, err := escalation.NewCaseStore(e.res.Cases, nil)
	if err != nil {
		t.Fatal(err)
	}
	cs := escalation.Case{SysID: sim.DefaultIncidentSysID, Number: sim.DefaultIncidentNumber, TicketName: name,
		State: escalation.CaseOpen, CaseID: tk.Properties.SupportTicketID, EventID: "e2e-escalation", Contact: sim.DefaultAdminUPN}
	if _, err := store.Create(ctx, cs); err != nil {
		t.Fatal(err)
	}
	return cs
}

func (e *env) post(t *testing.T, id, status, text string, at time.Time) {
	t.Helper()
	if err := e.sim.AddIssuePost(id, status, sim.HealthPost{CreatedDateTime: at, Description: sim.ItemBody{Content: "<p>" + text + "</p>"}}); err != nil {
		t.Fatal(err)
	}
}

// TestScheduledJobsAcrossThreeReplicas plays a timeline against three
// worker replicas sharing one consumer, each publishing its own ticks, and
// stops one of them half-way: every effect still happens exactly once.
func TestScheduledJobsAcrossThreeReplicas(t *testing.T) {
	e := newEnv(t)
	cs := e.openCase(t)
	replicas := []*replica{e.startReplica(t), e.startReplica(t), e.startReplica(t)}
	t0 := time.Now().UTC().Truncate(time.Second).Add(-time.Hour)
	graphCalls := func() int { return e.sim.Calls("GET /v1.0/admin/serviceAnnouncement/issues") }

	// The seeded active incident gets its incident and its two posts.
	e.until(t, "the seeded issue's incident with its posts", func() bool {
		ids := e.incidentsFor(sim.ExchangeIncidentID)
		return len(ids) == 1 && e.notes(ids[0]) == 2
	})
	seeded := e.incidentsFor(sim.ExchangeIncidentID)[0]

	// An issue appears.
	if err := e.sim.UpsertIssue(sim.HealthIssue{ID: issueID, Service: "Exchange Online", Classification: "incident",
		Status: "investigating", Title: "Users can't send email", StartDateTime: t0,
		ImpactDescription: "Users can't send email messages from Outlook."}); err != nil {
		t.Fatal(err)
	}
	e.until(t, "the new issue's incident", func() bool { return len(e.incidentsFor(issueID)) > 0 })
	sysID := e.incidentsFor(issueID)[0]

	// First update.
	e.post(t, issueID, "serviceInterruption", "Update one: we're investigating.", t0.Add(time.Minute))
	e.until(t, "update one noted", func() bool { return e.notesWith(sysID, "Update one") > 0 })

	// One replica dies mid-timeline, likely in the middle of a run (the
	// simulator answers slowly): its drain lets the run finish or hands the
	// tick back to the others.
	if err := e.sim.SetFaults(sim.Faults{Latency: sim.Duration(20 * time.Millisecond)}); err != nil {
		t.Fatal(err)
	}
	before := e.lastSeq(t)
	e.clock.Advance(interval)
	poll(t, 10*time.Second, "the interval's ticks stored", func() bool { return e.lastSeq(t) >= before+2 })
	replicas[0].stop()
	e.sim.ClearFaults()
	poll(t, 20*time.Second, "every tick handled", func() bool { return e.settled(t) })

	// ServiceNow fails the next write once: the tick is retried, and the
	// note still lands once.
	if err := e.sim.SetFaults(sim.Faults{Routes: map[string]sim.RouteFault{
		"PATCH /api/now/table/incident/{sys_id}": {Status: 503, Count: 1},
	}}); err != nil {
		t.Fatal(err)
	}

	// The case changes status and gets a reply; the issue gets its second
	// update.
	if err := e.sim.SetTicketStatus(cs.TicketName, "Waiting for customer"); err != nil {
		t.Fatal(err)
	}
	if _, err := e.sim.AddMicrosoftCommunication(cs.TicketName, "ms-reply-1", "RE: Outlook", "Please run the connectivity analyzer.", ""); err != nil {
		t.Fatal(err)
	}
	e.post(t, issueID, "restoringService", "Update two: a fix is deploying.", t0.Add(2*time.Minute))
	e.until(t, "the case status, the reply and update two noted", func() bool {
		return e.notesWith(sim.DefaultIncidentSysID, "to Waiting for customer") > 0 &&
			e.notesWith(sim.DefaultIncidentSysID, "connectivity analyzer") > 0 &&
			e.notesWith(sysID, "Update two") > 0
	})
	if n := len(e.sim.CurrentFaults().Routes); n != 0 {
		t.Fatalf("the injected ServiceNow failure never happened")
	}

	// The issue resolves: its final post, then the incident resolved.
	if err := e.sim.ResolveIssue(issueID, "serviceRestored", "<p>Final: service restored.</p>"); err != nil {
		t.Fatal(err)
	}
	e.until(t, "the incident resolved", func() bool {
		f, _ := e.sim.Incident(sysID)
		return f["state"] == servicenow.StateResolved
	})

	// Closed by hand: a later post on the seeded issue is not noted.
	e.closeByHand(t, seeded)
	e.post(t, sim.ExchangeIncidentID, "", "Late update after the close.", time.Time{})
	// Microsoft closes the case.
	if err := e.sim.SetTicketStatus(cs.TicketName, "Closed"); err != nil {
		t.Fatal(err)
	}
	e.until(t, "the case closed", func() bool {
		return e.notesWith(sim.DefaultIncidentSysID, "Microsoft support closed case") > 0
	})
	// A few more intervals, each with at least one full health run, so a
	// repeat would have time to show.
	for range 3 {
		before := graphCalls()
		e.tick(t)
		if graphCalls() == before {
			t.Fatalf("an interval passed without a health sync run")
		}
	}

	// Exactly one incident per issue, created once each.
	for _, id := range []string{sim.ExchangeIncidentID, issueID} {
		if n := len(e.incidentsFor(id)); n != 1 {
			t.Errorf("issue %s has %d incidents, want 1", id, n)
		}
	}
	if n := e.n.creates.Load(); n != 2 {
		t.Errorf("%d incidents created, want 2", n)
	}
	// Each update exactly once; nothing else on the incident.
	for _, text := range []string{"Update one", "Update two", "Final: service restored."} {
		if n := e.notesWith(sysID, text); n != 1 {
			t.Errorf("%q noted %d times, want 1", text, n)
		}
	}
	if n := e.notes(sysID); n != 3 {
		t.Errorf("the issue's incident has %d notes, want 3", n)
	}
	// Auto-resolve exactly once.
	if n := e.n.resolves.Load(); n != 1 {
		t.Errorf("resolved %d times, want 1", n)
	}
	f, _ := e.sim.Incident(sysID)
	if f["close_code"] != "Closed/Resolved by Caller" ||
		!strings.HasPrefix(f["close_notes"], "The Microsoft service health incident was resolved on ") {
		t.Errorf("resolution %q / %q", f["close_code"], f["close_notes"])
	}
	// A closed incident gets nothing more.
	if n := e.notesWith(seeded, "Late update"); n != 0 {
		t.Errorf("the incident closed by hand got the late update %d times", n)
	}
	if n := e.notes(seeded); n != 2 {
		t.Errorf("the incident closed by hand has %d notes, want 2", n)
	}
	// Each case update once, and the case recorded closed.
	for _, text := range []string{"to Waiting for customer", "connectivity analyzer", "Microsoft support closed case " + cs.CaseID} {
		if n := e.notesWith(sim.DefaultIncidentSysID, text); n != 1 {
			t.Errorf("case update %q noted %d times, want 1", text, n)
		}
	}
	inc, _ := e.sim.Incident(sim.DefaultIncidentSysID)
	if inc["correlation_id"] != cs.CaseID {
		t.Errorf("case field %q, want %q", inc["correlation_id"], cs.CaseID)
	}
	store, _ := escalation.NewCaseStore(e.res.Cases, nil)
	if got, _, err := store.Get(context.Background(), sim.DefaultIncidentSysID); err != nil || got.State != escalation.CaseClosed {
		t.Errorf("case %+v, %v: want closed", got, err)
	}
	// Nothing failed for good.
	info, err := e.res.DLQ.Info(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	if info.State.Msgs != 0 {
		t.Errorf("%d dead letters, want none", info.State.Msgs)
	}
}
