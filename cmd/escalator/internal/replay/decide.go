package replay

import (
	"context"
	"encoding/json"
	"fmt"
	"strings"

	"github.com/escalator/escalator/internal/event"
	"github.com/escalator/escalator/internal/fault"
	"github.com/escalator/escalator/rolegate"
)

// Planner says what a handler would do with an event, without any side
// effect: the handler's own Plan, adapted. A permanent error (fault) means
// the handler would refuse the event for good (it is reported invalid); any
// other error means the plan could not be made now.
type Planner interface {
	Plan(ctx context.Context, ev *event.Event) (Decision, error)
}

// PlannerFunc adapts a function to Planner.
type PlannerFunc func(ctx context.Context, ev *event.Event) (Decision, error)

// Plan calls f.
func (f PlannerFunc) Plan(ctx context.Context, ev *event.Event) (Decision, error) { return f(ctx, ev) }

// Decision is a handler's plan for one event.
type Decision struct {
	// Action is the handler's short name for it: open, already, post, ...
	Action string
	// Summary says it in one line, e.g. "would open a case for INC0010023".
	Summary string
}

// Roles are the ServiceNow roles that gate event types
// (ESCALATOR_ROLE_INSIGHTS, ESCALATOR_ROLE_ADMIN): any one of a list
// suffices. A dry run checks them against the roles the event lists; the
// worker reads them from ServiceNow (unless ESCALATOR_VERIFY_ROLES=false).
type Roles struct {
	Insights []string
	Admin    []string
}

// For returns the roles an event type needs, one of which suffices (nil for
// none).
func (r Roles) For(eventType string) []string {
	switch eventType {
	case event.TypeInsights:
		return r.Insights
	case event.TypeEscalation:
		return r.Admin
	}
	return nil
}

// decoded is an item read as the worker reads it.
type decoded struct {
	ev  *event.Event
	err error // validation: the worker would dead-letter the message
	// typ, number and sysID identify the event even when it is invalid,
	// as far as its body tells.
	id, typ, number, sysID string
}

func decode(it item) decoded {
	ev, err := event.Decode(it.data)
	if err == nil {
		return decoded{ev: &ev, id: ev.ID, typ: ev.Type, number: ev.Data.Incident.Number, sysID: ev.Data.Incident.SysID}
	}
	d := decoded{err: err}
	var peek struct {
		ID   string `json:"id"`
		Type string `json:"type"`
		Data struct {
			Incident struct {
				SysID  string `json:"sys_id"`
				Number string `json:"number"`
			} `json:"incident"`
		} `json:"data"`
	}
	_ = json.Unmarshal(it.data, &peek) // best effort: only to report and filter
	d.id, d.typ, d.number, d.sysID = peek.ID, peek.Type, peek.Data.Incident.Number, peek.Data.Incident.SysID
	if d.typ == "" {
		d.typ = typeOfSubject(it.subject)
	}
	return d
}

func typeOfSubject(subject string) string {
	for _, t := range []string{event.TypeInsights, event.TypeEscalation, event.TypeUpdated, event.TypeTickHealth, event.TypeTickCases} {
		if s, _ := event.Subject(t); s == subject {
			return t
		}
	}
	return ""
}

// plan is the dry run of one decoded event, in the order the worker takes
// its decisions: decode, role gate, handler.
func plan(ctx context.Context, d decoded, roles Roles, planners map[string]Planner, res *Result) {
	if d.err != nil {
		res.Action, res.Error = ActionInvalid, d.err.Error()
		return
	}
	ev := d.ev
	if event.RoleGated(ev.Type) {
		if need := roles.For(ev.Type); !rolegate.Allowed(ev, need) {
			res.Action = ActionRefused
			res.Detail = fmt.Sprintf("would refuse: %s does not have the role %s (work note on %s)", ev.Data.RequestedBy.UserName, strings.Join(need, " or "), ev.Data.Incident.Number)
			return
		}
	}
	p := planners[ev.Type]
	if p == nil {
		res.Action, res.Detail = ActionUnplanned, "no dry run for type "+ev.Type
		return
	}
	dec, err := p.Plan(ctx, ev)
	switch {
	case err != nil && fault.Classify(err) == fault.Permanent:
		res.Action, res.Error = ActionInvalid, err.Error()
	case err != nil:
		res.Action, res.Error = ActionError, err.Error()
	default:
		res.Action, res.Detail = dec.Action, dec.Summary
	}
}
