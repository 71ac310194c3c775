package escalation

import (
	"cmp"
	"context"
	"fmt"

	"github.com/escalator/escalator/internal/azuresupport"
	"github.com/escalator/escalator/internal/event"
	"github.com/escalator/escalator/internal/servicenow"
)

// readBack reads ev's incident from ServiceNow and returns a copy of ev
// whose incident is what ServiceNow holds: the event's copy is what the
// caller says, and a bearer token does not make it true. The number,
// descriptions, priority, urgency, impact, state and category come from
// ServiceNow (the ticket's title, description and severity follow from
// them); the event keeps its id, requester and escalation block. A missing
// incident is an error matching servicenow.ErrNotFound.
func (h *EscalateHandler) readBack(ctx context.Context, ev *event.Event) (*event.Event, error) {
	if err := checkEscalationEvent(ev); err != nil {
		return nil, err
	}
	sent := ev.Data.Incident
	held, err := h.cfg.Incidents.GetIncident(ctx, sent.SysID)
	if err != nil {
		return nil, fmt.Errorf("escalate %s: read incident %s: %w", sent.Number, sent.SysID, err)
	}
	real := sent
	real.Number = cmp.Or(held.Number, sent.Number)
	real.ShortDescription, real.Description = held.ShortDescription, held.Description
	real.Priority, real.Urgency, real.Impact = held.Priority, held.Urgency, held.Impact
	real.State, real.Category = held.State, held.Category
	if differ := differingFields(sent, real); len(differ) > 0 {
		h.log.WarnContext(ctx, "the event's incident differs from ServiceNow's: using ServiceNow's",
			"incident", real.Number, "fields", differ)
	}
	out := *ev
	out.Data.Incident = real
	return &out, nil
}

// differingFields names the fields the event sent with a value other than
// ServiceNow's (fields it left out are not counted).
func differingFields(sent, real event.Incident) []string {
	var out []string
	for _, f := range []struct {
		name       string
		sent, real string
	}{
		{"number", sent.Number, real.Number},
		{"short_description", sent.ShortDescription, real.ShortDescription},
		{"description", sent.Description, real.Description},
		{"priority", sent.Priority, real.Priority},
		{"state", sent.State, real.State},
	} {
		if f.sent != "" && f.sent != f.real {
			out = append(out, f.name)
		}
	}
	return out
}

// escalationSeverity is the severity the ticket is opened with: the block's,
// else mapped from the priority; highestcriticalimpact only when allowed,
// else critical (lowered says so).
func (h *EscalateHandler) escalationSeverity(inc event.Incident, esc *event.Escalation) (sev azuresupport.Severity, lowered bool) {
	sev = SeverityFromPriority(inc.Priority)
	if esc.Severity != "" {
		if s, err := azuresupport.ParseSeverity(esc.Severity); err == nil {
			sev = s
		} else {
			h.log.Warn("escalation severity not understood, mapped from the priority instead",
				"incident", inc.Number, "severity", esc.Severity, "priority", inc.Priority)
		}
	}
	if sev == azuresupport.SeverityHighestCriticalImpact && !h.cfg.AllowHighestSeverity {
		return azuresupport.SeverityCritical, true
	}
	return sev, false
}

var _ IncidentReader = (*servicenow.Client)(nil)
