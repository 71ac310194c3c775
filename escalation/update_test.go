package escalation_test

import (
	"bytes"
	"context"
	"encoding/json"
	"net/http"
	"strings"
	"testing"

	"github.com/escalator/escalator/escalation"
	"github.com/escalator/escalator/internal/azuresupport"
	"github.com/escalator/escalator/internal/event"
	"github.com/escalator/escalator/internal/fault"
	"github.com/escalator/escalator/internal/servicenow"
	"github.com/escalator/escalator/internal/testkit/sim"
	"github.com/escalator/escalator/worker"
)

// updateEvent is an incident.updated event of the seeded incident that
// claims the incident is in state and names journal entry journalID (none
// when empty). Its work_note text is a forgery: it is never what is sent.
func updateEvent(id, state, journalID string) *event.Event {
	ev := escalationEvent(id)
	ev.Type = event.TypeUpdated
	ev.Data.Incident.State = state
	ev.Data.Change = &event.Change{WorkNote: "text of the payload, not to be believed", Fields: []string{"state"}, JournalID: journalID}
	return ev
}

// noteAs writes a journal entry (element work_notes or comments) on the
// incident sysID at the simulator as user, standing for an agent typing it
// in the instance, and returns the entry's sys_id.
func (e *testEnv) noteAs(t *testing.T, sysID, user, element, text string) string {
	t.Helper()
	body, _ := json.Marshal(map[string]string{element: text})
	req, _ := http.NewRequest(http.MethodPatch, e.url+"/api/now/table/incident/"+sysID, bytes.NewReader(body))
	req.SetBasicAuth(sim.DefaultServiceNowUser, sim.DefaultServiceNowPassword)
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set(sim.SimUserHeader, user)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("note as %s: status %d", user, resp.StatusCode)
	}
	entries := e.sim.Journal(sysID, element)
	last := entries[len(entries)-1]
	if last.SysCreatedBy != user || last.Value != text {
		t.Fatalf("the simulator recorded %+v", last)
	}
	return last.SysID
}

// setState sets the seeded incident's state at the simulator, as an agent
// resolving it would.
func (e *testEnv) setState(t *testing.T, state string) {
	t.Helper()
	if _, err := e.snow.PatchIncident(context.Background(), sim.DefaultIncidentSysID, map[string]string{"state": state}); err != nil {
		t.Fatal(err)
	}
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

// wantStillOpen reports an error unless c's ticket and its record are both
// still open after what should have closed neither (why).
func (e *testEnv) wantStillOpen(t *testing.T, c escalation.Case, why string) {
	t.Helper()
	if tk, _ := e.sim.Ticket(c.TicketName); strings.EqualFold(tk.Properties.Status, "closed") {
		t.Errorf("the case was closed with %s", why)
	}
	if got := e.caseOf(t, sim.DefaultIncidentSysID); got.State != escalation.CaseOpen {
		t.Errorf("case state = %s, want open", got.State)
	}
}

func result(t *testing.T, msg *worker.Message) worker.Result {
	t.Helper()
	res, ok := msg.Result()
	if !ok {
		t.Fatal("the handler recorded no result")
	}
	return res
}

func TestUpdateWorkNoteBecomesCommunication(t *testing.T) {
	e := newTestEnv(t)
	c := e.escalated(t)
	h := e.updateHandler(t, true)
	ctx := context.Background()
	id := e.noteAs(t, sim.DefaultIncidentSysID, "beth.anglin", "work_notes", "Restarted the CAS array; still failing for 12 users.")
	msg := message(updateEvent("upd-1", servicenow.StateInProgress, id))
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
	wantBody := "Restarted the CAS array; still failing for 12 users.\n\n— beth.anglin, work note on ServiceNow incident INC0010023"
	if got.Name != azuresupport.CommunicationName(id) || got.Properties.Subject != "Update from ServiceNow INC0010023" ||
		got.Properties.Body != wantBody || got.Properties.Sender != sim.DefaultAdminUPN {
		t.Errorf("communication = %+v", got)
	}
	if res := result(t, msg); res.State != worker.ResultDone || res.Text != "Sent the work note of beth.anglin to Microsoft case "+c.CaseID {
		t.Errorf("result %+v", res)
	}
	if tk, _ := e.sim.Ticket(c.TicketName); tk.Properties.Status == "Closed" {
		t.Error("an in-progress update closed the case")
	}
	// A second entry is a second communication; another event naming the
	// first entry sends nothing new.
	second := e.noteAs(t, sim.DefaultIncidentSysID, "beth.anglin", "comments", "Another note")
	for _, ev := range []*event.Event{updateEvent("upd-2", "", second), updateEvent("upd-3", "", id)} {
		if err := h.Handle(ctx, message(ev)); err != nil {
			t.Fatal(err)
		}
	}
	if n := len(e.sim.Communications(c.TicketName)); n != 2 {
		t.Errorf("communications = %d, want 2", n)
	}
}

// TestUpdateSendsOnlyWhatServiceNowHolds: the payload's text is never
// sent; an entry that is Escalator's own, another record's, not a note, or
// unknown is not sent either.
func TestUpdateSendsOnlyWhatServiceNowHolds(t *testing.T) {
	e := newTestEnv(t)
	c := e.escalated(t)
	h := e.updateHandler(t, true)
	ctx := context.Background()
	self, err := e.snow.IntegrationUser(ctx)
	if err != nil {
		t.Fatal(err)
	}
	other, err := e.snow.CreateIncident(ctx, map[string]string{"short_description": "another incident"})
	if err != nil {
		t.Fatal(err)
	}
	// Not a journal field of an incident: a record of sys_journal_field
	// with another element.
	notNote, err := e.snow.Create(ctx, "sys_journal_field", map[string]string{
		"element": "close_notes", "element_id": sim.DefaultIncidentSysID, "name": "incident", "value": "Solved"})
	if err != nil {
		t.Fatal(err)
	}
	tests := map[string]struct{ id, why string }{
		"no journal_id":          {"", "No journal entry to send"},
		"Escalator's own note":   {e.noteAs(t, sim.DefaultIncidentSysID, self, "work_notes", "Escalated [escalator:case-x]"), "Escalator wrote it"},
		"another record's entry": {e.noteAs(t, other.SysID, "beth.anglin", "work_notes", "A note on another incident"), "belongs to another record"},
		"not a work note":        {notNote["sys_id"], "not a work note or comment"},
		"an unknown journal_id":  {strings.Repeat("c", 32), "not found in ServiceNow"},
	}
	for name, tt := range tests {
		t.Run(name, func(t *testing.T) {
			msg := message(updateEvent("upd-"+strings.ReplaceAll(name, " ", "-"), servicenow.StateInProgress, tt.id))
			if err := h.Handle(context.Background(), msg); err != nil {
				t.Fatal(err)
			}
			if n := len(e.sim.Communications(c.TicketName)); n != 0 {
				t.Fatalf("%d communications, want none", n)
			}
			if res := result(t, msg); res.State != worker.ResultDone || !strings.Contains(res.Text, tt.why) {
				t.Fatalf("result %+v, want done saying %q", res, tt.why)
			}
		})
	}
}

// TestUpdateForgedStateClosesNothing: an event that says the incident is
// closed, while ServiceNow holds it open, closes nothing.
func TestUpdateForgedStateClosesNothing(t *testing.T) {
	e := newTestEnv(t)
	c := e.escalated(t)
	msg := message(updateEvent("upd-forged", servicenow.StateClosed, ""))
	msg.Event.Data.RequestedBy.Roles = nil
	if err := e.updateHandler(t, true).Handle(context.Background(), msg); err != nil {
		t.Fatal(err)
	}
	e.wantStillOpen(t, c, "a forged state")
}

func TestUpdateResolvedClosesCase(t *testing.T) {
	e := newTestEnv(t)
	c := e.escalated(t)
	h := e.updateHandler(t, true)
	ctx := context.Background()
	e.setState(t, servicenow.StateResolved)
	id := e.noteAs(t, sim.DefaultIncidentSysID, "beth.anglin", "work_notes", "Fixed by Microsoft.")
	// The event need not say so: what ServiceNow holds decides.
	msg := message(updateEvent("upd-1", "", id))
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

// TestUpdateOfAnIncidentServiceNowLacks: a case recorded for an incident
// that is gone from ServiceNow: nothing is sent or closed, refused.
func TestUpdateOfAnIncidentServiceNowLacks(t *testing.T) {
	e := newTestEnv(t)
	ghost := strings.Repeat("d", 32)
	ctx := context.Background()
	rec := escalation.Case{SysID: ghost, Number: "INC0000001", TicketName: azuresupport.TicketName(ghost, 0), State: escalation.CaseOpen, CaseID: "2612000000001", EventID: "e"}
	if _, err := e.cases.Create(ctx, rec); err != nil {
		t.Fatal(err)
	}
	ev := updateEvent("upd-ghost", servicenow.StateClosed, "")
	ev.Data.Incident.SysID = ghost
	msg := message(ev)
	e.sim.ResetCalls()
	if err := e.updateHandler(t, true).Handle(ctx, msg); err != nil {
		t.Fatal(err)
	}
	calls := e.sim.State().Calls
	delete(calls, "GET /api/now/table/incident/{sys_id}")
	if len(calls) != 0 {
		t.Fatalf("an update of a missing incident called out: %v", calls)
	}
	if res := result(t, msg); res.State != worker.ResultRefused || res.Text != "Refused: incident "+ghost+" does not exist in ServiceNow" {
		t.Fatalf("result %+v", res)
	}
}

// TestUpdateCloseCrashConverges: a crash after closing the ticket and
// posting the note, before the record says closed, converges on one note.
func TestUpdateCloseCrashConverges(t *testing.T) {
	e := newTestEnv(t)
	c := e.escalated(t)
	crash := &crashOnce{SupportAPI: e.support, IncidentWriter: e.snow, step: "closed-note"}
	h, err := escalation.NewUpdateHandler(escalation.UpdateConfig{Cases: e.cases, Support: e.support, Notes: closedNoteCrash{crash}, ServiceNow: e.snow, CloseOnResolve: true})
	if err != nil {
		t.Fatal(err)
	}
	e.setState(t, servicenow.StateClosed)
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
	e.setState(t, servicenow.StateResolved)
	if err := e.updateHandler(t, false).Handle(context.Background(), message(updateEvent("upd-1", servicenow.StateResolved, ""))); err != nil {
		t.Fatal(err)
	}
	e.wantStillOpen(t, c, "ESCALATOR_CLOSE_CASE_ON_RESOLVE=false")
}

func TestUpdateWithoutOpenCase(t *testing.T) {
	e := newTestEnv(t)
	h := e.updateHandler(t, true)
	ctx := context.Background()
	e.setState(t, servicenow.StateResolved)
	// No case at all.
	if err := h.Handle(ctx, message(updateEvent("upd-1", servicenow.StateResolved, ""))); err != nil {
		t.Fatal(err)
	}
	// A pending case (escalation failed for lack of an account): the
	// update is retried, not dropped, and calls nothing meanwhile.
	err := newEscalate(t, e.escalateConfig()).Handle(ctx, message(escalationEvent("evt-1")))
	if err == nil {
		t.Fatal("escalation without an account succeeded")
	}
	e.sim.ResetCalls()
	err = h.Handle(ctx, message(updateEvent("upd-2", servicenow.StateResolved, "")))
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
	if err := h.Handle(ctx, message(updateEvent("upd-2", servicenow.StateResolved, ""))); err != nil {
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
	e.setState(t, servicenow.StateResolved)
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
	if c.Generation != 1 || c.TicketName != azuresupport.TicketName(sim.DefaultIncidentSysID, 1) || c.TicketName == first.TicketName ||
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
		"no cases":      {Support: e.support, Notes: e.snow, ServiceNow: e.snow},
		"no support":    {Cases: e.cases, Notes: e.snow, ServiceNow: e.snow},
		"no notes":      {Cases: e.cases, Support: e.support, ServiceNow: e.snow},
		"no servicenow": {Cases: e.cases, Support: e.support, Notes: e.snow},
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
	e.setState(t, servicenow.StateResolved)
	if err := h.Handle(ctx, message(ev)); err != nil {
		t.Fatal(err)
	}
	if got := plan(); got != escalation.UpdateNothing {
		t.Fatalf("closed case: %s", got)
	}
}
