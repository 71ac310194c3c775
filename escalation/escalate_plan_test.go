package escalation_test

import (
	"context"
	"errors"
	"testing"

	"github.com/escalator/escalator/escalation"
	"github.com/escalator/escalator/internal/azuresupport"
	"github.com/escalator/escalator/internal/servicenow"
	"github.com/escalator/escalator/internal/testkit/sim"
)

// TestPlanMatchesHandle: before each delivery, Plan predicts what Handle
// then does, and Plan itself changes nothing (no call out, no KV write).
func TestPlanMatchesHandle(t *testing.T) {
	e := newTestEnv(t)
	h := newEscalate(t, e.escalateConfig())
	ctx := context.Background()
	steps := []struct {
		event  string
		before func()
		want   escalation.Action
	}{
		{"a", nil, escalation.ActionNoAccount},
		{"a", func() { e.linkAdmin(t) }, escalation.ActionResume}, // the dead letter replayed
		{"a", nil, escalation.ActionDone},
		{"b", nil, escalation.ActionAlready},
		{"c", func() {
			e.setState(t, servicenow.StateResolved)
			if err := e.updateHandler(t, true).Handle(ctx, message(updateEvent("u", servicenow.StateResolved, ""))); err != nil {
				t.Fatal(err)
			}
		}, escalation.ActionReopen},
	}
	for i, s := range steps {
		if s.before != nil {
			s.before()
		}
		ev := escalationEvent(s.event)
		_, revBefore, _ := e.cases.Get(ctx, sim.DefaultIncidentSysID)
		tickets := len(e.sim.State().Tickets)
		e.sim.ResetCalls()
		p, err := h.Plan(ctx, ev)
		if err != nil {
			t.Fatalf("step %d: plan: %v", i, err)
		}
		if p.Action != s.want || p.Summary == "" || p.Incident != "INC0010023" {
			t.Errorf("step %d: plan = %+v, want %s", i, p, s.want)
		}
		if calls := e.sim.State().Calls; len(calls) != 0 || len(e.sim.State().Tickets) != tickets {
			t.Errorf("step %d: Plan called out: %v", i, calls)
		}
		if _, rev, _ := e.cases.Get(ctx, sim.DefaultIncidentSysID); rev != revBefore {
			t.Errorf("step %d: Plan wrote the case record", i)
		}

		err = h.Handle(ctx, message(ev))
		after := len(e.ticketsFor(sim.DefaultIncidentSysID))
		switch p.Action {
		case escalation.ActionNoAccount:
			if !errors.Is(err, escalation.ErrNoAccount) {
				t.Errorf("step %d: planned no-account, Handle = %v", i, err)
			}
		case escalation.ActionOpen, escalation.ActionResume, escalation.ActionReopen:
			if err != nil || after != tickets+1 {
				t.Errorf("step %d: planned %s, Handle = %v with %d tickets (had %d)", i, p.Action, err, after, tickets)
			}
			if c := e.caseOf(t, sim.DefaultIncidentSysID); c.TicketName != p.TicketName {
				t.Errorf("step %d: planned ticket %s, opened %s", i, p.TicketName, c.TicketName)
			}
		default:
			if err != nil || after != tickets {
				t.Errorf("step %d: planned %s, Handle = %v with %d tickets (had %d)", i, p.Action, err, after, tickets)
			}
		}
	}
}

func TestPlanOpen(t *testing.T) {
	e := newTestEnv(t)
	e.linkAdmin(t)
	p, err := newEscalate(t, e.escalateConfig()).Plan(context.Background(), escalationEvent("a"))
	if err != nil {
		t.Fatal(err)
	}
	if p.Action != escalation.ActionOpen || p.TicketName != azuresupport.TicketName(sim.DefaultIncidentSysID, 0) || p.Generation != 0 {
		t.Errorf("plan = %+v", p)
	}
	if _, _, err := e.cases.Get(context.Background(), sim.DefaultIncidentSysID); !errors.Is(err, escalation.ErrNoCase) {
		t.Errorf("Plan claimed the incident: %v", err)
	}
}
