package main

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/escalator/escalator/internal/event"
	"github.com/escalator/escalator/internal/testkit/sim"
	"github.com/escalator/escalator/internal/testkit/simuser"
)

// The attacks of issue 10, each made holding only an ingest token, and
// what Escalator does with them now that it verifies what it is told.

const rolesRoute = "GET /api/now/table/sys_user_has_role"

// asUser writes fields of the example incident at the simulator as user:
// a click in the instance (a work note typed, the incident resolved).
func (x *e2e) asUser(t *testing.T, user string, fields map[string]string) {
	t.Helper()
	simuser.Update(t, x.simURL, user, "incident", sim.DefaultIncidentSysID, fields)
}

// escalatedE2E links the admin and escalates the example incident.
func escalatedE2E(t *testing.T, mutate func(*appConfig)) *e2e {
	t.Helper()
	x := startE2E(t, mutate)
	x.link(t, sim.DefaultAdminUPN)
	x.post(t, example(t, "escalation-requested.json", nil))
	waitFor(t, "case note", func() bool { return len(x.notes("Escalated to Microsoft support")) == 1 })
	x.settle(t)
	return x
}

func (x *e2e) ticketStatus(t *testing.T) (string, int) {
	t.Helper()
	tickets := x.sim.Tickets()
	if len(tickets) != 1 {
		t.Fatalf("%d tickets, want 1", len(tickets))
	}
	return tickets[0].Properties.Status, len(x.sim.Communications(tickets[0].Name))
}

// TestE2EForgedUpdateClosesNothingAndSendsNothing: an update claiming the
// incident closed, without roles, with a made-up note, closes no case and
// sends Microsoft nothing; the real update sends the journal entry as
// ServiceNow holds it, and closes the case once ServiceNow holds the
// incident resolved.
func TestE2EForgedUpdateClosesNothingAndSendsNothing(t *testing.T) {
	x := escalatedE2E(t, nil)
	forged := example(t, "incident-updated.json", func(ev *event.Event) {
		ev.ID = "forged-update"
		ev.Data.RequestedBy.Roles = []string{}
		ev.Data.Incident.State = "7"
		ev.Data.Change = &event.Change{WorkNote: "Customer agreed to close; please close the case.", Fields: []string{"state", "work_notes"}}
	})
	x.post(t, forged)
	x.settle(t)
	if status, comms := x.ticketStatus(t); strings.EqualFold(status, "closed") || comms != 0 {
		t.Fatalf("forged update: ticket %s with %d communications, want open with none", status, comms)
	}

	// The example update names the seeded work note; the incident is still
	// open in ServiceNow, whatever the payload's state 6 says.
	x.post(t, example(t, "incident-updated.json", nil))
	x.settle(t)
	status, comms := x.ticketStatus(t)
	if strings.EqualFold(status, "closed") || comms != 1 {
		t.Fatalf("example update on an open incident: ticket %s, %d communications; want open, 1", status, comms)
	}
	body := x.sim.Communications(x.sim.Tickets()[0].Name)[0].Properties.Body
	if !strings.HasPrefix(body, sim.DefaultJournalValue) || !strings.Contains(body, "beth.anglin") || strings.Contains(body, "please close") {
		t.Fatalf("communication body %q: want the journal entry by beth.anglin", body)
	}

	// An agent resolves the incident in ServiceNow; the next update closes
	// the case, and the note already sent is not sent again.
	x.asUser(t, "beth.anglin", map[string]string{"state": "6", "close_code": "Solved (Permanently)"})
	x.post(t, example(t, "incident-updated.json", func(ev *event.Event) { ev.ID = "resolved-update" }))
	waitFor(t, "case closed", func() bool { s, _ := x.ticketStatus(t); return strings.EqualFold(s, "closed") })
	x.settle(t)
	if _, comms := x.ticketStatus(t); comms != 1 {
		t.Fatalf("communications %d after the close, want 1", comms)
	}
}

// TestE2EGhostIncidentGetsNoTicket: an escalation of an incident that does
// not exist opens no case, not even a highestcriticalimpact one, and is not
// dead-lettered.
func TestE2EGhostIncidentGetsNoTicket(t *testing.T) {
	x := startE2E(t, nil)
	x.link(t, sim.DefaultAdminUPN)
	x.post(t, example(t, "escalation-requested.json", func(ev *event.Event) {
		ev.ID = "ghost"
		ev.Data.Incident.SysID, ev.Data.Incident.Number = "deadbeefdeadbeefdeadbeefdeadbeef", "INC9999999"
		ev.Data.Escalation = &event.Escalation{Severity: "highestcriticalimpact", Title: "Everything is down"}
	}))
	x.settle(t)
	if n := x.tickets(); n != 0 {
		t.Fatalf("%d tickets for an incident that does not exist", n)
	}
	info, err := x.app.res.DLQ.Info(context.Background())
	if err != nil || info.State.Msgs != 0 {
		t.Fatalf("dead letters %d (%v), want none: the refusal is acked", info.State.Msgs, err)
	}
}

// TestE2EHighestSeverityLowered: without ESCALATOR_ALLOW_HIGHEST_SEVERITY a
// request for highestcriticalimpact opens a critical case and says so.
func TestE2EHighestSeverityLowered(t *testing.T) {
	x := startE2E(t, nil)
	x.link(t, sim.DefaultAdminUPN)
	x.post(t, example(t, "escalation-requested.json", func(ev *event.Event) {
		// A critical case needs a phone number (Microsoft's rule).
		ev.Data.Escalation = &event.Escalation{Severity: "highestcriticalimpact", Contact: &event.Contact{Phone: "+1 425 555 0100"}}
	}))
	waitFor(t, "case note", func() bool { return len(x.notes("Escalated to Microsoft support")) == 1 })
	if sev := x.sim.Tickets()[0].Properties.Severity; sev != "critical" {
		t.Fatalf("severity %s, want critical", sev)
	}
	if n := len(x.notes("ESCALATOR_ALLOW_HIGHEST_SEVERITY is off")); n != 1 {
		t.Fatalf("notes saying the severity was lowered: %d, want 1", n)
	}
}

// TestE2EForgedMarkerDoesNotSuppressTheNote: abel.tuter types Escalator's
// marker into a work note; the escalation still posts its case note.
func TestE2EForgedMarkerDoesNotSuppressTheNote(t *testing.T) {
	x := startE2E(t, nil)
	x.link(t, sim.DefaultAdminUPN)
	x.asUser(t, "abel.tuter", map[string]string{"work_notes": "[escalator:case-escalator-" + sim.DefaultIncidentSysID + "]"})
	x.post(t, example(t, "escalation-requested.json", nil))
	waitFor(t, "case note", func() bool { return len(x.notes("Escalated to Microsoft support")) == 1 })
	x.settle(t)
	var own int
	for _, j := range x.sim.Journal(sim.DefaultIncidentSysID, "work_notes") {
		if strings.Contains(j.Value, "Escalated to Microsoft support") {
			if j.SysCreatedBy != sim.IntegrationUser {
				t.Fatalf("case note written by %s", j.SysCreatedBy)
			}
			own++
		}
	}
	if own != 1 {
		t.Fatalf("case notes %d, want 1", own)
	}
}

// TestE2ERoleCache: a user's roles are read once per TTL, and for every
// request with ESCALATOR_ROLE_CACHE_TTL=0s.
func TestE2ERoleCache(t *testing.T) {
	for _, tt := range []struct {
		ttl   time.Duration
		reads int
	}{{time.Hour, 1}, {0, 3}} {
		t.Run(tt.ttl.String(), func(t *testing.T) {
			x := startE2E(t, func(c *appConfig) {
				c.worker = defaultWorker()
				c.worker.RoleCacheTTL = tt.ttl
			})
			for i := range 3 {
				x.post(t, example(t, "insights-requested.json", func(ev *event.Event) {
					ev.ID = "cache-" + string(rune('a'+i))
					ev.Data.RequestedBy.UserName = "david.miller"
				}))
				x.settle(t)
			}
			if n := x.sim.Calls(rolesRoute); n != tt.reads {
				t.Fatalf("%s calls %d, want %d", rolesRoute, n, tt.reads)
			}
			if n := len(x.notes("refused-cache-")); n != 0 {
				t.Fatalf("%d refusals of an insights user", n)
			}
		})
	}
}

// TestE2EVerifyRolesOff: ESCALATOR_VERIFY_ROLES=false believes the payload:
// abel.tuter listing the admin role escalates, and ServiceNow is not asked.
func TestE2EVerifyRolesOff(t *testing.T) {
	x := startE2E(t, func(c *appConfig) {
		c.worker = defaultWorker()
		c.worker.VerifyRoles = false
	})
	x.link(t, sim.DefaultAdminUPN)
	x.post(t, example(t, "escalation-requested.json", func(ev *event.Event) {
		ev.Data.RequestedBy.UserName = "abel.tuter"
		ev.Data.RequestedBy.Roles = []string{"itil", "x_mioms_m365_assis.administrator"}
	}))
	waitFor(t, "case note", func() bool { return len(x.notes("Escalated to Microsoft support")) == 1 })
	if n := x.sim.Calls(rolesRoute); n != 0 {
		t.Fatalf("%s calls %d with ESCALATOR_VERIFY_ROLES=false", rolesRoute, n)
	}
}
