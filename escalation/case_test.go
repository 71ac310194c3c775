package escalation_test

import (
	"context"
	"errors"
	"slices"
	"testing"

	"github.com/escalator/escalator/escalation"
	"github.com/escalator/escalator/internal/azuresupport"
	"github.com/escalator/escalator/internal/fault"
	"github.com/escalator/escalator/internal/testkit/sim"
)

func TestCaseStoreCAS(t *testing.T) {
	e := newTestEnv(t)
	ctx := context.Background()
	const id = sim.DefaultIncidentSysID
	if _, _, err := e.cases.Get(ctx, id); !errors.Is(err, escalation.ErrNoCase) {
		t.Fatalf("Get of a new incident = %v, want ErrNoCase", err)
	}
	c := escalation.Case{SysID: id, Number: "INC0010023", TicketName: "t", State: escalation.CasePending, EventID: "a"}
	rev, err := e.cases.Create(ctx, c)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := e.cases.Create(ctx, c); !errors.Is(err, escalation.ErrCaseConflict) || fault.Classify(err) != fault.Transient {
		t.Errorf("second Create = %v, want a transient ErrCaseConflict", err)
	}
	c.State = escalation.CaseOpen
	next, err := e.cases.Update(ctx, c, rev)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := e.cases.Update(ctx, c, rev); !errors.Is(err, escalation.ErrCaseConflict) || fault.Classify(err) != fault.Transient {
		t.Errorf("stale Update = %v, want a transient ErrCaseConflict", err)
	}
	got, gotRev, err := e.cases.Get(ctx, id)
	if err != nil || gotRev != next || got.State != escalation.CaseOpen || got.CreatedAt.IsZero() || got.UpdatedAt.Before(got.CreatedAt) {
		t.Errorf("Get = %+v rev %d (want %d), %v", got, gotRev, next, err)
	}
	list, err := e.cases.List(ctx)
	if err != nil || len(list) != 1 || list[0].SysID != id || list[0].Revision != next {
		t.Errorf("List = %+v, %v", list, err)
	}
	for _, bad := range []string{"", "short", "../../../../etc/passwd/aaaaaaaaaa", "9d385017c611228701d22104cc95c37g"} {
		if _, _, err := e.cases.Get(ctx, bad); fault.Classify(err) != fault.Permanent || err == nil {
			t.Errorf("Get(%q) = %v, want permanent", bad, err)
		}
	}
}

func TestCaseStoreListEmpty(t *testing.T) {
	e := newTestEnv(t)
	list, err := e.cases.List(context.Background())
	if err != nil || len(list) != 0 {
		t.Errorf("List = %v, %v; want none", list, err)
	}
}

// TestClaimDecisions walks one incident through every decision.
func TestClaimDecisions(t *testing.T) {
	e := newTestEnv(t)
	ctx := context.Background()
	claim := func(id string) escalation.Decision {
		t.Helper()
		d, _, err := e.cases.Claim(ctx, escalationEvent(id))
		if err != nil {
			t.Fatalf("claim %s: %v", id, err)
		}
		return d
	}
	setState := func(s escalation.CaseState) {
		t.Helper()
		c, rev, err := e.cases.Get(ctx, sim.DefaultIncidentSysID)
		if err != nil {
			t.Fatal(err)
		}
		c.State, c.CaseID = s, "2611250040000001"
		if _, err := e.cases.Update(ctx, c, rev); err != nil {
			t.Fatal(err)
		}
	}
	steps := []struct {
		event  string
		before func()
		want   escalation.Action
		gen    int
		owner  string
	}{
		{"a", nil, escalation.ActionOpen, 0, "a"},
		{"a", nil, escalation.ActionResume, 0, "a"},                                        // a retry of a pending claim
		{"b", nil, escalation.ActionResume, 0, "b"},                                        // takes over a pending claim
		{"a", nil, escalation.ActionDone, 0, "b"},                                          // the one taken over is not new
		{"b", func() { setState(escalation.CaseOpen) }, escalation.ActionDone, 0, "b"},     // redelivery
		{"c", nil, escalation.ActionAlready, 0, "b"},                                       // another request
		{"c", func() { setState(escalation.CaseClosed) }, escalation.ActionReopen, 1, "c"}, // after a closed case
		{"b", nil, escalation.ActionDone, 1, "c"},                                          // a replay of an older one
		{"d", func() { setState(escalation.CaseClosed) }, escalation.ActionReopen, 2, "d"}, // and again
	}
	for i, s := range steps {
		if s.before != nil {
			s.before()
		}
		d := claim(s.event)
		if d.Action != s.want || d.Case.Generation != s.gen || d.Case.EventID != s.owner {
			t.Errorf("step %d (%s): %s gen %d owner %s; want %s gen %d owner %s", i, s.event, d.Action, d.Case.Generation, d.Case.EventID, s.want, s.gen, s.owner)
		}
		if d.Case.TicketName != azuresupport.TicketName(sim.DefaultIncidentSysID, s.gen) {
			t.Errorf("step %d: ticket name %s", i, d.Case.TicketName)
		}
	}
	c, _, _ := e.cases.Get(ctx, sim.DefaultIncidentSysID)
	if !slices.Equal(c.PriorEvents, []string{"a", "b", "c"}) {
		t.Errorf("prior events = %v", c.PriorEvents)
	}
}
