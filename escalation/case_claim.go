package escalation

import (
	"context"
	"errors"
	"fmt"

	"github.com/escalator/escalator/internal/azuresupport"
	"github.com/escalator/escalator/internal/event"
	"github.com/escalator/escalator/internal/fault"
)

// Action is what an escalation request leads to, given the incident's case
// record.
type Action string

const (
	// ActionOpen: no case yet; claim generation 0 and open it.
	ActionOpen Action = "open"
	// ActionResume: a claimed case is still pending (a crash, a retry, or a
	// request that failed before); finish its steps under its name.
	ActionResume Action = "resume"
	// ActionReopen: the last case is closed; open a new generation.
	ActionReopen Action = "reopen"
	// ActionDone: this event already opened the case: a redelivery or a
	// replay, with nothing left to do.
	ActionDone Action = "done"
	// ActionAlready: another request opened the case that is open: say so on
	// the incident, once.
	ActionAlready Action = "already"
)

// Decision is the outcome of the claim decision for one event.
type Decision struct {
	Action Action
	// Current is the record before the decision (nil when there was none).
	Current *Case
	// Case is the record the escalation proceeds with: the claimed one for
	// open, resume and reopen; the current one otherwise.
	Case Case
}

// Claims reports whether the decision claims the incident: the steps of
// the escalation run.
func (d Decision) Claims() bool {
	return d.Action == ActionOpen || d.Action == ActionResume || d.Action == ActionReopen
}

// decide is the one decision function of escalation, shared by Claim (which
// writes its result) and the side-effect free Plan.
func decide(cur *Case, ev *event.Event) Decision {
	inc := ev.Data.Incident
	fresh := func(gen int, prior []string) Case {
		return Case{
			SysID: inc.SysID, Number: inc.Number, TicketName: azuresupport.TicketName(inc.SysID, gen),
			Generation: gen, State: CasePending, EventID: ev.ID, PriorEvents: prior,
		}
	}
	if cur == nil {
		return Decision{Action: ActionOpen, Case: fresh(0, nil)}
	}
	d := Decision{Current: cur, Case: *cur}
	switch {
	case cur.knowsEvent(ev.ID) && (cur.State != CasePending || cur.EventID != ev.ID):
		// This event claimed this (finished) or an earlier generation.
		d.Action = ActionDone
	case cur.State == CasePending:
		d.Action = ActionResume
		if cur.EventID != ev.ID {
			// Take over: the first claimant failed or is racing us; both
			// converge on the same ticket name.
			d.Case.PriorEvents = appendPrior(cur.PriorEvents, cur.EventID)
			d.Case.EventID = ev.ID
		}
	case cur.State == CaseOpen:
		d.Action = ActionAlready
	default: // closed
		d.Action = ActionReopen
		next := fresh(cur.Generation+1, appendPrior(cur.PriorEvents, cur.EventID))
		d.Case = next
	}
	return d
}

func appendPrior(prior []string, id string) []string {
	out := append(append([]string(nil), prior...), id)
	if len(out) > maxPriorEvents {
		out = out[len(out)-maxPriorEvents:]
	}
	return out
}

// Decide reads the incident's record and returns the decision for ev
// without writing anything, with the revision it was read at.
func (s *CaseStore) Decide(ctx context.Context, ev *event.Event) (Decision, uint64, error) {
	if err := checkEscalationEvent(ev); err != nil {
		return Decision{}, 0, err
	}
	cur, rev, err := s.Get(ctx, ev.Data.Incident.SysID)
	switch {
	case errors.Is(err, ErrNoCase):
		return decide(nil, ev), 0, nil
	case err != nil:
		return Decision{}, 0, err
	}
	return decide(&cur, ev), rev, nil
}

// Claim decides and, when the decision claims the incident, records the
// claim atomically: a create for a new incident, a compare-and-set for a
// pending or closed record. It returns the revision of the record the
// caller proceeds with. Losing a race is ErrCaseConflict (transient): the
// retried message decides again on what the winner wrote.
func (s *CaseStore) Claim(ctx context.Context, ev *event.Event) (Decision, uint64, error) {
	d, rev, err := s.Decide(ctx, ev)
	if err != nil || !d.Claims() {
		return d, rev, err
	}
	switch {
	case d.Current == nil:
		d.Case.CreatedAt = s.now().UTC()
		rev, err = s.Create(ctx, d.Case)
	case d.Case.EventID != d.Current.EventID || d.Case.Generation != d.Current.Generation:
		rev, err = s.Update(ctx, d.Case, rev)
	}
	if err != nil {
		return Decision{}, 0, fmt.Errorf("claim incident %s: %w", ev.Data.Incident.Number, err)
	}
	return d, rev, nil
}

// checkEscalationEvent refuses an event the claim cannot key.
func checkEscalationEvent(ev *event.Event) error {
	if ev == nil {
		return fault.Permanentf("escalation: no event")
	}
	if ev.ID == "" {
		return fault.Permanentf("escalation: event has no id")
	}
	return validSysID(ev.Data.Incident.SysID)
}
