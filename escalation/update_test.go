package escalation_test

import (
	"context"
	"strings"
	"testing"

	"github.com/escalator/escalator/escalation"
	"github.com/escalator/escalator/internal/event"
	"github.com/escalator/escalator/internal/fault"
	"github.com/escalator/escalator/internal/servicenow"
	"github.com/escalator/escalator/internal/sim"
)

// updateEvent is an incident.updated event of the seeded incident.
func updateEvent(id, state, note string) *event.Event {
	ev := escalationEvent(id)
	ev.Type = event.TypeUpdated
	ev.Data.Incident.State = state
	if note != "" {
		ev.Data.Change = &event.Change{WorkNote: note, Fields: []string{"work_notes"}}
	}
	return ev
}

// escalated opens the seeded incident's case and returns its record.
func (e *testEnv) escalated(t *testing.T) escalation.Case {
	t.Helper()
	e.linkAdmin(t)
	if err := newEscalate(t, e.escalateConfig()).Handle(context.Background(), message(escalationEvent("evt-esc"))); err != nil {
		t.Fatal(err)
	}
	return e.caseOf(t, sim.DefaultIncidentSysID)
}

func TestUpdateWorkNoteBecomesCommunication(t *testing.T) {
	e := newTestEnv(t)
	c := e.escalated(t)
	h := e.updateHandler(t, true)
	ctx := context.Background()
	msg := message(updateEvent("upd-1", servicenow.StateInProgress, "Restarted the CAS array; still failing for 12 users."))
	for i := 0; i < 3; i++ { // redeliveries post nothing more
		if err := h.Handle(ctx, msg); err != nil {
			t.Fatalf("delivery %d: %v", i, err)
		}
	}
	comms := e.sim.Communications(c.TicketName)
	if len(comms) != 1 {
		t.Fatalf("communications = %d, want 1", len(comms))
	}
	got := comms[0]
	if got.Name != escalation.CommunicationName("upd-1") || got.Properties.Subject != "Update from ServiceNow INC0010023" ||
		got.Properties.Body != "Restarted the CAS array; still failing for 12 users." || got.Properties.Sender != sim.DefaultAdminUPN {
		t.Errorf("communication = %+v", got)
	}
	if tk, _ := e.sim.Ticket(c.TicketName); tk.Properties.Status == "Closed" {
		t.Error("an in-progress update closed the case")
	}
	// A second note is a second communication.
	if err := h.Handle(ctx, message(updateEvent("upd-2", servicenow.StateInProgress, "Another note"))); err != nil {
		t.Fatal(err)
	}
	if n := len(e.sim.Communications(c.TicketName)); n != 2 {
		t.Errorf("communications = %d, want 2", n)
	}
}

func TestUpdateSkipsEscalatorsOwnNotes(t *testing.T) {
	e := newTestEnv(t)
	c := e.escalated(t)
	own := e.notes(t, sim.DefaultIncidentSysID)[0] // the case note, with its marker
	if err := e.updateHandler(t, true).Handle(context.Background(), message(updateEvent("upd-1", servicenow.StateInProgress, own))); err != nil {
		t.Fatal(err)
	}
	if n := len(e.sim.Communications(c.TicketName)); n != 0 {
		t.Errorf("Escalator's own note was sent to Microsoft (%d communications)", n)
	}
}

func TestUpdateResolvedClosesCase(t *testing.T) {
	e := newTestEnv(t)
	c := e.escalated(t)
	h := e.updateHandler(t, true)
	ctx := context.Background()
	msg := message(updateEvent("upd-1", servicenow.StateResolved, "Fixed by Microsoft."))
	for i := 0; i < 2; i++ {
		if err := h.Handle(ctx, msg); err != nil {
			t.Fatalf("delivery %d: %v", i, err)
		}
	}
	tk, ok := e.sim.Ticket(c.TicketName)
	if !ok || !strings.EqualFold(tk.Properties.Status, "closed") {
		t.Errorf("ticket status = %q, want closed", tk.Properties.Status)
	}
	if got := e.caseOf(t, sim.DefaultIncidentSysID); got.State != escalation.CaseClosed {
		t.Errorf("case state = %s, want closed", got.State)
	}
	if n := e.notesContaining(t, sim.DefaultIncidentSysID, "Microsoft case "+c.CaseID+" closed because the incident was resolved"); n != 1 {
		t.Errorf("closed notes = %d, want 1", n)
	}
	if n := len(e.sim.Communications(c.TicketName)); n != 1 {
		t.Errorf("communications = %d, want the resolution note once", n)
	}
}

// TestUpdateCloseCrashConverges: a crash after closing the ticket and
// posting the note, before the record says closed, converges on one note.
func TestUpdateCloseCrashConverges(t *testing.T) {
	e := newTestEnv(t)
	c := e.escalated(t)
	crash := &crashOnce{SupportAPI: e.support, IncidentWriter: e.snow, step: "closed-note"}
	h, err := escalation.NewUpdateHandler(escalation.UpdateConfig{Cases: e.cases, Support: e.support, Notes: closedNoteCrash{crash}, CloseOnResolve: true})
	if err != nil {
		t.Fatal(err)
	}
	msg := message(updateEvent("upd-1", servicenow.StateClosed, ""))
	if err := h.Handle(context.Background(), msg); err == nil {
		t.Fatal("the crash was not reported")
	}
	if got := e.caseOf(t, sim.DefaultIncidentSysID); got.State != escalation.CaseOpen {
		t.Fatalf("case state after the crash = %s, want still open", got.State)
	}
	if err := h.Handle(context.Background(), msg); err != nil {
		t.Fatal(err)
	}
	if got := e.caseOf(t, sim.DefaultIncidentSysID); got.State != escalation.CaseClosed {
		t.Errorf("case state = %s, want closed", got.State)
	}
	if n := e.notesContaining(t, sim.DefaultIncidentSysID, "Microsoft case "+c.CaseID+" closed"); n != 1 {
		t.Errorf("closed notes = %d, want 1", n)
	}
}

// closedNoteCrash fails after posting the closed note, once.
type closedNoteCrash struct{ *crashOnce }

func (c closedNoteCrash) AddWorkNoteOnce(ctx context.Context, sysID, key, text string) (bool, error) {
	posted, err := c.IncidentWriter.AddWorkNoteOnce(ctx, sysID, key, text)
	if err == nil && strings.HasPrefix(key, "closed-") && c.crash("closed-note") {
		return false, errCrash
	}
	return posted, err
}

func TestUpdateResolvedKeepsCaseWhenNotConfigured(t *testing.T) {
	e := newTestEnv(t)
	c := e.escalated(t)
	if err := e.updateHandler(t, false).Handle(context.Background(), message(updateEvent("upd-1", servicenow.StateResolved, ""))); err != nil {
		t.Fatal(err)
	}
	if tk, _ := e.sim.Ticket(c.TicketName); strings.EqualFold(tk.Properties.Status, "closed") {
		t.Error("the case was closed with ESCALATOR_CLOSE_CASE_ON_RESOLVE=false")
	}
	if got := e.caseOf(t, sim.DefaultIncidentSysID); got.State != escalation.CaseOpen {
		t.Errorf("case state = %s, want open", got.State)
	}
}

func TestUpdateWithoutOpenCase(t *testing.T) {
	e := newTestEnv(t)
	h := e.updateHandler(t, true)
	ctx := context.Background()
	// No case at all.
	if err := h.Handle(ctx, message(updateEvent("upd-1", servicenow.StateResolved, "note"))); err != nil {
		t.Fatal(err)
	}
	// A pending case (escalation failed for lack of an account): the
	// update is retried, not dropped, and calls nothing meanwhile.
	err := newEscalate(t, e.escalateConfig()).Handle(ctx, message(escalationEvent("evt-1")))
	if err == nil {
		t.Fatal("escalation without an account succeeded")
	}
	e.sim.ResetCalls()
	err = h.Handle(ctx, message(updateEvent("upd-2", servicenow.StateResolved, "note")))
	if err == nil || fault.Classify(err) != fault.Transient {
		t.Fatalf("update of a pending case: want a transient error (retry), got %v", err)
	}
	if calls := e.sim.State().Calls; len(calls) != 0 {
		t.Errorf("an update without an open case called out: %v", calls)
	}
	// Once the case is open, the same update goes through.
	e.linkAdmin(t)
	if err := newEscalate(t, e.escalateConfig()).Handle(ctx, message(escalationEvent("evt-1"))); err != nil {
		t.Fatal(err)
	}
	if err := h.Handle(ctx, message(updateEvent("upd-2", servicenow.StateResolved, "note"))); err != nil {
		t.Fatal(err)
	}
	if c := e.caseOf(t, sim.DefaultIncidentSysID); c.State != escalation.CaseClosed {
		t.Fatalf("case %s after the retried update, want closed", c.State)
	}
}

// TestReopenAfterClosedCase: a new request after the case was closed opens
// a new case under the next name; a replay of the first request does not.
func TestReopenAfterClosedCase(t *testing.T) {
	e := newTestEnv(t)
	first := e.escalated(t)
	ctx := context.Background()
	if err := e.updateHandler(t, true).Handle(ctx, message(updateEvent("upd-1", servicenow.StateResolved, ""))); err != nil {
		t.Fatal(err)
	}
	h := newEscalate(t, e.escalateConfig())
	if err := h.Handle(ctx, message(escalationEvent("evt-esc"))); err != nil { // replay of the first
		t.Fatal(err)
	}
	if n := len(e.ticketsFor(sim.DefaultIncidentSysID)); n != 1 {
		t.Fatalf("a replay of the first escalation opened a case: %d tickets", n)
	}
	if err := h.Handle(ctx, message(escalationEvent("evt-again"))); err != nil {
		t.Fatal(err)
	}
	tickets := e.ticketsFor(sim.DefaultIncidentSysID)
	if len(tickets) != 2 {
		t.Fatalf("tickets = %d, want 2", len(tickets))
	}
	c := e.caseOf(t, sim.DefaultIncidentSysID)
	if c.Generation != 1 || c.TicketName != escalation.TicketName(sim.DefaultIncidentSysID, 1) || c.TicketName == first.TicketName ||
		c.State != escalation.CaseOpen || c.CaseID == first.CaseID {
		t.Errorf("reopened case = %+v", c)
	}
	if n := e.notesContaining(t, sim.DefaultIncidentSysID, "Escalated to Microsoft support as case"); n != 2 {
		t.Errorf("case notes = %d, want 2 (one per case)", n)
	}
	inc, _ := e.sim.Incident(sim.DefaultIncidentSysID)
	if inc["correlation_id"] != c.CaseID {
		t.Errorf("correlation_id = %q, want the new case %q", inc["correlation_id"], c.CaseID)
	}
}

func TestNewUpdateHandlerValidates(t *testing.T) {
	e := newTestEnv(t)
	for name, cfg := range map[string]escalation.UpdateConfig{
		"no cases":   {Support: e.support, Notes: e.snow},
		"no support": {Cases: e.cases, Notes: e.snow},
		"no notes":   {Cases: e.cases, Support: e.support},
	} {
		if _, err := escalation.NewUpdateHandler(cfg); err == nil {
			t.Errorf("%s: NewUpdateHandler succeeded", name)
		}
	}
}

// TestUpdatePlanMatchesHandle: the replay dry run's view of an update is
// the handler's own decision, at every stage of a case.
func TestUpdatePlanMatchesHandle(t *testing.T) {
	e := newTestEnv(t)
	h := e.updateHandler(t, true)
	ctx := context.Background()
	ev := updateEvent("upd-plan", servicenow.StateResolved, "")
	plan := func() escalation.UpdateAction {
		t.Helper()
		p, err := h.Plan(ctx, ev)
		if err != nil {
			t.Fatal(err)
		}
		return p.Action
	}
	if got := plan(); got != escalation.UpdateNothing {
		t.Fatalf("no case: %s", got)
	}
	_ = newEscalate(t, e.escalateConfig()).Handle(ctx, message(escalationEvent("evt-plan"))) // no account: stays pending
	if got := plan(); got != escalation.UpdateWait {
		t.Fatalf("pending case: %s", got)
	}
	e.escalated(t)
	if got := plan(); got != escalation.UpdateSync {
		t.Fatalf("open case: %s", got)
	}
	e.sim.ResetCalls()
	if _, err := h.Plan(ctx, ev); err != nil || len(e.sim.State().Calls) != 0 {
		t.Fatalf("Plan called out: %v %v", err, e.sim.State().Calls)
	}
	if err := h.Handle(ctx, message(ev)); err != nil {
		t.Fatal(err)
	}
	if got := plan(); got != escalation.UpdateNothing {
		t.Fatalf("closed case: %s", got)
	}
}
