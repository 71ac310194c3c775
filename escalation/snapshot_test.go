package escalation_test

import (
	"context"
	"errors"
	"testing"

	"github.com/escalator/escalator/escalation"
	"github.com/escalator/escalator/internal/fault"
	"github.com/escalator/escalator/internal/kvsnapshot"
	"github.com/escalator/escalator/internal/servicenow"
	"github.com/escalator/escalator/internal/testkit/sim"
)

// snapshotHandlers are the escalation and update handlers over snapshots
// of the case and account buckets taken now, as the replay dry run builds
// them.
func (e *testEnv) snapshotHandlers(t *testing.T) (*escalation.EscalateHandler, *escalation.UpdateHandler, *escalation.CaseStore) {
	t.Helper()
	ctx := context.Background()
	cases, err := kvsnapshot.Load(ctx, e.res.Cases)
	if err != nil {
		t.Fatal(err)
	}
	accounts, err := kvsnapshot.Load(ctx, e.res.Accounts)
	if err != nil {
		t.Fatal(err)
	}
	cfg := e.escalateConfig()
	if cfg.Cases, err = escalation.NewCaseStore(cases, nil); err != nil {
		t.Fatal(err)
	}
	if cfg.Accounts, err = escalation.NewAccountStore(accounts, escalation.AccountStoreConfig{Tenant: sim.DefaultTenant}); err != nil {
		t.Fatal(err)
	}
	upd, err := escalation.NewUpdateHandler(escalation.UpdateConfig{Cases: cfg.Cases, Support: e.support, Notes: e.snow, ServiceNow: e.snow})
	if err != nil {
		t.Fatal(err)
	}
	return newEscalate(t, cfg), upd, cfg.Cases
}

// TestPlanFromSnapshot: through every state of a case, handlers over a
// snapshot plan what handlers over the buckets plan.
func TestPlanFromSnapshot(t *testing.T) {
	e := newTestEnv(t)
	live := newEscalate(t, e.escalateConfig())
	liveUpdate := e.updateHandler(t, true)
	ctx := context.Background()
	steps := []struct {
		name string
		do   func()
	}{
		{"no case, no account", nil},
		{"no case", func() { e.linkAdmin(t) }},
		{"open", func() {
			if err := live.Handle(ctx, message(escalationEvent("a"))); err != nil {
				t.Fatal(err)
			}
		}},
		{"closed", func() {
			if err := liveUpdate.Handle(ctx, message(updateEvent("u", servicenow.StateResolved, ""))); err != nil {
				t.Fatal(err)
			}
		}},
	}
	for _, s := range steps {
		t.Run(s.name, func(t *testing.T) {
			if s.do != nil {
				s.do()
			}
			snapEsc, snapUpd, _ := e.snapshotHandlers(t)
			for _, id := range []string{"a", "b"} {
				want, err := live.Plan(ctx, escalationEvent(id))
				if err != nil {
					t.Fatal(err)
				}
				got, err := snapEsc.Plan(ctx, escalationEvent(id))
				if err != nil || got != want {
					t.Errorf("event %s: snapshot plan = %+v, %v; bucket plan = %+v", id, got, err, want)
				}
			}
			up := updateEvent("u2", servicenow.StateInProgress, "note")
			want, err := liveUpdate.Plan(ctx, up)
			if err != nil {
				t.Fatal(err)
			}
			got, err := snapUpd.Plan(ctx, up)
			if err != nil || got.Action != want.Action || got.Summary != want.Summary || got.Revision != want.Revision {
				t.Errorf("update: snapshot plan = %+v, %v; bucket plan = %+v", got, err, want)
			}
		})
	}
}

// TestSnapshotStoreRefusesWrites: a handler over a snapshot cannot claim:
// the write fails for good and nothing reaches the bucket or Microsoft.
func TestSnapshotStoreRefusesWrites(t *testing.T) {
	e := newTestEnv(t)
	e.linkAdmin(t)
	h, _, cases := e.snapshotHandlers(t)
	ctx := context.Background()
	err := h.Handle(ctx, message(escalationEvent("a")))
	if !errors.Is(err, kvsnapshot.ErrReadOnly) || fault.Classify(err) != fault.Permanent {
		t.Fatalf("Handle over a snapshot = %v, want a permanent ErrReadOnly", err)
	}
	if _, _, err := e.cases.Get(ctx, sim.DefaultIncidentSysID); !errors.Is(err, escalation.ErrNoCase) {
		t.Errorf("the bucket has a case: %v", err)
	}
	if n := len(e.sim.State().Tickets); n != 0 {
		t.Errorf("%d tickets opened", n)
	}
	if _, err := cases.Update(ctx, escalation.Case{SysID: sim.DefaultIncidentSysID}, 1); !errors.Is(err, kvsnapshot.ErrReadOnly) {
		t.Errorf("Update over a snapshot = %v", err)
	}
}
