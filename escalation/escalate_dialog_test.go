package escalation_test

import (
	"context"
	"encoding/json"
	"errors"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/escalator/escalator/escalation"
	"github.com/escalator/escalator/internal/event"
	"github.com/escalator/escalator/internal/testkit/sim"
	"github.com/escalator/escalator/worker"
)

// dialogNow is the handler's clock in these tests: after the examples'
// problem start time.
var dialogNow = time.Date(2026, 11, 25, 9, 14, 0, 0, time.UTC)

// simTickets reads the tickets' properties from GET /_sim/state, as any
// client of the simulator sees them.
func simTickets(t *testing.T, e *testEnv) []map[string]any {
	t.Helper()
	res, err := http.Get(e.url + "/_sim/state")
	if err != nil {
		t.Fatal(err)
	}
	defer res.Body.Close()
	var st struct {
		Tickets []struct {
			Properties map[string]any `json:"properties"`
		} `json:"tickets"`
	}
	if err := json.NewDecoder(res.Body).Decode(&st); err != nil {
		t.Fatal(err)
	}
	out := make([]map[string]any, 0, len(st.Tickets))
	for _, tk := range st.Tickets {
		out = append(out, tk.Properties)
	}
	return out
}

// TestEscalateDialogFieldsReachTheTicket: the dialog's start time, contact
// method, phone and consent are the ticket's, as the simulator stores it.
func TestEscalateDialogFieldsReachTheTicket(t *testing.T) {
	e := newTestEnv(t)
	e.linkAdmin(t)
	ev := escalationEvent("evt-dialog")
	ev.Data.Escalation = &event.Escalation{
		Severity:                  "critical",
		ProblemStartTime:          "2026-11-25T09:40:00+01:00",
		AdvancedDiagnosticConsent: "Yes",
		Contact:                   &event.Contact{PreferredContactMethod: "Phone", Phone: " +1 425 555 0100 "},
	}
	cfg := e.escalateConfig()
	cfg.Clock = func() time.Time { return dialogNow }
	if err := newEscalate(t, cfg).Handle(context.Background(), message(ev)); err != nil {
		t.Fatal(err)
	}
	tickets := simTickets(t, e)
	if len(tickets) != 1 {
		t.Fatalf("%d tickets, want 1", len(tickets))
	}
	p := tickets[0]
	cd, _ := p["contactDetails"].(map[string]any)
	for _, c := range []struct {
		field string
		got   any
		want  string
	}{
		{"problemStartTime", p["problemStartTime"], "2026-11-25T08:40:00Z"},
		{"advancedDiagnosticConsent", p["advancedDiagnosticConsent"], "Yes"},
		{"severity", p["severity"], "critical"},
		{"contactDetails.preferredContactMethod", cd["preferredContactMethod"], "phone"},
		{"contactDetails.phoneNumber", cd["phoneNumber"], "+1 425 555 0100"},
	} {
		if c.got != c.want {
			t.Errorf("%s = %v, want %s", c.field, c.got, c.want)
		}
	}
}

// TestEscalateDialogDefaults: without the dialog's answers the ticket has
// no start time, consent No and email as the contact method.
func TestEscalateDialogDefaults(t *testing.T) {
	e := newTestEnv(t)
	e.linkAdmin(t)
	if err := newEscalate(t, e.escalateConfig()).Handle(context.Background(), message(escalationEvent("evt-1"))); err != nil {
		t.Fatal(err)
	}
	p := simTickets(t, e)[0]
	cd, _ := p["contactDetails"].(map[string]any)
	if _, has := p["problemStartTime"]; has || p["advancedDiagnosticConsent"] != "No" || cd["preferredContactMethod"] != "email" {
		t.Errorf("properties = %v", p)
	}
}

// TestEscalateRefusesWhatMicrosoftWouldRefuse: a request whose dialog
// answers break Microsoft's rules opens nothing, claims nothing, is acked as
// refused, and says on the incident what to change, once.
func TestEscalateRefusesWhatMicrosoftWouldRefuse(t *testing.T) {
	tests := []struct {
		name  string
		esc   *event.Escalation // nil: the incident's priority 1 maps to critical
		allow bool
		want  string
	}{
		{"critical without a phone number", nil, false, "Microsoft requires a phone number for a case of severity critical"},
		{"highest lowered to critical, without a phone number", &event.Escalation{Severity: "highestcriticalimpact"}, false,
			"Microsoft requires a phone number for a case of severity critical"},
		{"highestcriticalimpact without a phone number", &event.Escalation{Severity: "highestcriticalimpact"}, true,
			"Microsoft requires a phone number for a case of severity highestcriticalimpact"},
		{"phone contact without a number", &event.Escalation{Severity: "moderate", Contact: &event.Contact{PreferredContactMethod: "phone"}}, false,
			"the contact method is phone but no phone number was given"},
		{"unknown contact method", &event.Escalation{Severity: "moderate", Contact: &event.Contact{PreferredContactMethod: "fax"}}, false,
			`the contact method "fax" is neither email nor phone`},
		{"consent neither Yes nor No", &event.Escalation{Severity: "moderate", AdvancedDiagnosticConsent: "maybe"}, false,
			`the advanced diagnostic consent "maybe" is neither Yes nor No`},
		{"start time in the future", &event.Escalation{Severity: "moderate", ProblemStartTime: "2026-11-25T10:00:00Z"}, false,
			"the problem start time 2026-11-25T10:00:00Z is in the future"},
		{"start time unreadable", &event.Escalation{Severity: "moderate", ProblemStartTime: "25/11/2026 08:40"}, false,
			`the problem start time "25/11/2026 08:40" is not a time such as`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			e := newTestEnv(t)
			e.linkAdmin(t)
			cfg := e.escalateConfig()
			cfg.AllowHighestSeverity = tt.allow
			cfg.Clock = func() time.Time { return dialogNow }
			h := newEscalate(t, cfg)
			ev := escalationEvent("evt-refused")
			ev.Data.Escalation = tt.esc
			for range 2 { // a redelivery notes nothing more
				msg := message(ev)
				if err := h.Handle(context.Background(), msg); err != nil {
					t.Fatalf("Handle: %v, want nil (acked)", err)
				}
				res, _ := msg.Result()
				if res.State != worker.ResultRefused || !strings.Contains(res.Text, tt.want) {
					t.Fatalf("result %+v, want refused with %q", res, tt.want)
				}
			}
			if n := len(e.sim.State().Tickets); n != 0 {
				t.Fatalf("%d tickets opened", n)
			}
			if e.sim.Calls(createRoute) != 0 {
				t.Errorf("a ticket create was sent")
			}
			if _, _, err := e.cases.Get(context.Background(), sim.DefaultIncidentSysID); !errors.Is(err, escalation.ErrNoCase) {
				t.Errorf("a case was claimed: %v", err)
			}
			if n := e.notesContaining(t, sim.DefaultIncidentSysID, "Escalation to Microsoft support refused: "+tt.want); n != 1 {
				t.Errorf("refusal notes = %d, want 1: %q", n, e.notes(t, sim.DefaultIncidentSysID))
			}
		})
	}
}

// TestEscalateRefusalThenFixed: after a refusal the same incident is
// escalated by a corrected request; a test environment's minimal case
// needs no phone number.
func TestEscalateRefusalThenFixed(t *testing.T) {
	e, h := newLinkedEscalate(t)
	ctx := context.Background()
	noPhone := escalationEvent("evt-no-phone")
	noPhone.Data.Escalation = nil
	if err := h.Handle(ctx, message(noPhone)); err != nil {
		t.Fatal(err)
	}
	if err := h.Handle(ctx, message(escalationEvent("evt-with-phone"))); err != nil {
		t.Fatal(err)
	}
	if n := len(e.ticketsFor(sim.DefaultIncidentSysID)); n != 1 {
		t.Fatalf("tickets = %d, want 1", n)
	}
	// Once the case is open, a request without a phone is answered as a
	// duplicate, not refused.
	again := escalationEvent("evt-again")
	again.Data.Escalation = nil
	msg := message(again)
	if err := h.Handle(ctx, msg); err != nil {
		t.Fatal(err)
	}
	if res, _ := msg.Result(); !strings.HasPrefix(res.Text, "Already escalated") {
		t.Errorf("result %+v, want already escalated", res)
	}

	test := newTestEnv(t)
	test.linkAdmin(t)
	cfg := test.escalateConfig()
	cfg.TestEnvironment = true
	if err := newEscalate(t, cfg).Handle(ctx, message(noPhone)); err != nil {
		t.Fatal(err)
	}
	if tk := test.ticketsFor(sim.DefaultIncidentSysID); len(tk) != 1 || tk[0].Properties.Severity != "minimal" {
		t.Errorf("test environment tickets %+v, want one minimal", tk)
	}
}
