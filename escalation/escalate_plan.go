package escalation

import (
	"context"
	"errors"
	"fmt"

	"github.com/escalator/escalator/internal/event"
)

// ActionNoAccount is the planned outcome of an escalation that would claim
// the incident but finds no linked admin account: a note and a dead letter.
const ActionNoAccount Action = "no-account"

// Plan is what Handle would do with an escalation event, decided without
// any side effect (for `escalator replay --dry-run`).
type Plan struct {
	Action   Action `json:"action"`
	Incident string `json:"incident"`
	SysID    string `json:"sys_id"`
	// TicketName and Generation are the case the escalation proceeds with
	// (the existing one for done and already).
	TicketName string `json:"ticket_name"`
	Generation int    `json:"generation"`
	// CaseID is the existing case's id, when known.
	CaseID string `json:"case_id,omitempty"`
	// Summary says it in one line.
	Summary string `json:"summary"`
}

// Plan returns what Handle would do with ev now. It reads the case record
// and the linked account; it writes nothing and calls nothing outside.
func (h *EscalateHandler) Plan(ctx context.Context, ev *event.Event) (Plan, error) {
	d, _, err := h.cfg.Cases.Decide(ctx, ev)
	if err != nil {
		return Plan{}, err
	}
	p := Plan{
		Action: d.Action, Incident: ev.Data.Incident.Number, SysID: ev.Data.Incident.SysID,
		TicketName: d.Case.TicketName, Generation: d.Case.Generation, CaseID: d.Case.CaseID,
	}
	if d.Claims() {
		if _, err := h.cfg.Accounts.Get(ctx); errors.Is(err, ErrNoAccount) {
			p.Action = ActionNoAccount
		} else if err != nil {
			return Plan{}, err
		}
	}
	p.Summary = planSummary(p, d)
	return p, nil
}

func planSummary(p Plan, d Decision) string {
	switch p.Action {
	case ActionOpen:
		return fmt.Sprintf("would open a case for %s as ticket %s", p.Incident, p.TicketName)
	case ActionResume:
		if p.CaseID != "" {
			return fmt.Sprintf("would finish recording case %s (ticket %s) on %s", p.CaseID, p.TicketName, p.Incident)
		}
		return fmt.Sprintf("would finish opening ticket %s for %s", p.TicketName, p.Incident)
	case ActionReopen:
		prev := ""
		if d.Current != nil {
			prev = d.Current.CaseID
		}
		return fmt.Sprintf("would open a new case for %s as ticket %s (case %s is closed)", p.Incident, p.TicketName, prev)
	case ActionDone:
		return fmt.Sprintf("nothing to do: this event already escalated %s as case %s", p.Incident, p.CaseID)
	case ActionAlready:
		return fmt.Sprintf("would note that %s is already escalated as case %s", p.Incident, p.CaseID)
	case ActionNoAccount:
		return fmt.Sprintf("would fail: no linked Microsoft 365 admin account (note on %s, then dead letter)", p.Incident)
	}
	return string(p.Action)
}
