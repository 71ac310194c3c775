package escalation

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"log/slog"
	"strings"

	"github.com/escalator/escalator/internal/azuresupport"
	"github.com/escalator/escalator/internal/event"
	"github.com/escalator/escalator/internal/fault"
	"github.com/escalator/escalator/internal/servicenow"
	"github.com/escalator/escalator/internal/telemetry"
	"github.com/escalator/escalator/worker"
)

// CaseUpdater is what the update handler needs of the Azure Support API;
// *azuresupport.Client implements it.
type CaseUpdater interface {
	// CreateCommunication posts a message under a deterministic name: a
	// repeat of the same name posts nothing new.
	CreateCommunication(ctx context.Context, ticket, name string, c azuresupport.Communication) (azuresupport.Communication, error)
	CloseTicket(ctx context.Context, name string) (azuresupport.Ticket, error)
}

// UpdateReader is what the update handler reads back from ServiceNow before
// it acts; *servicenow.Client implements it.
type UpdateReader interface {
	GetIncident(ctx context.Context, sysID string) (servicenow.Incident, error)
	// JournalEntry reads one sys_journal_field record.
	JournalEntry(ctx context.Context, sysID string) (servicenow.JournalEntry, error)
	// IntegrationUser is the user_name Escalator acts as: entries it wrote
	// are not echoed back to Microsoft.
	IntegrationUser(ctx context.Context) (string, error)
}

var _ UpdateReader = (*servicenow.Client)(nil)

// UpdateConfig configures NewUpdateHandler.
type UpdateConfig struct {
	Cases   *CaseStore     // required
	Support CaseUpdater    // required
	Notes   IncidentWriter // required
	// ServiceNow reads the incident (its state decides a close) and the
	// journal entry the update names (its text is what Microsoft gets):
	// the event's copies are not believed. Required.
	ServiceNow UpdateReader
	// CloseOnResolve closes the case when the incident is resolved, closed
	// or canceled (ESCALATOR_CLOSE_CASE_ON_RESOLVE).
	CloseOnResolve bool
	// Logger defaults to discarding.
	Logger *slog.Logger
}

// UpdateHandler keeps an open case in step with its incident (subject
// escalator.incident.update): the journal entry the update added becomes a
// case communication, and an incident ServiceNow holds as resolved closes
// the case.
type UpdateHandler struct {
	cfg UpdateConfig
	log *slog.Logger
}

// NewUpdateHandler validates cfg and returns the handler.
func NewUpdateHandler(cfg UpdateConfig) (*UpdateHandler, error) {
	switch {
	case cfg.Cases == nil:
		return nil, errors.New("update handler: a case store is required")
	case cfg.Support == nil:
		return nil, errors.New("update handler: a support client is required")
	case cfg.Notes == nil:
		return nil, errors.New("update handler: a ServiceNow client is required")
	case cfg.ServiceNow == nil:
		return nil, errors.New("update handler: a ServiceNow reader is required")
	}
	log := telemetry.OrDiscard(cfg.Logger)
	return &UpdateHandler{cfg: cfg, log: log}, nil
}

// UpdateAction is what an update leads to.
type UpdateAction string

// The update actions.
const (
	// UpdateNothing: no case, or a closed one: acked, nothing done.
	UpdateNothing UpdateAction = "nothing"
	// UpdateWait: the case is still being opened; the update is retried.
	UpdateWait UpdateAction = "wait"
	// UpdateSync: the change goes to the open case.
	UpdateSync UpdateAction = "sync"
)

// UpdatePlan is Handle's decision for an update, made without side effects
// (the replay dry run shows it).
type UpdatePlan struct {
	Action   UpdateAction
	Summary  string
	Case     Case
	Revision uint64
}

// Plan decides what Handle does with ev, reading only the case record.
func (h *UpdateHandler) Plan(ctx context.Context, ev *event.Event) (UpdatePlan, error) {
	inc := ev.Data.Incident
	c, rev, err := h.cfg.Cases.Get(ctx, inc.SysID)
	switch {
	case errors.Is(err, ErrNoCase):
		return UpdatePlan{Action: UpdateNothing, Summary: fmt.Sprintf("nothing to sync: %s has no Microsoft case", inc.Number)}, nil
	case err != nil:
		return UpdatePlan{}, fmt.Errorf("update %s: %w", inc.Number, err)
	}
	plan := UpdatePlan{Case: c, Revision: rev}
	switch c.State {
	case CaseOpen:
		plan.Action, plan.Summary = UpdateSync, fmt.Sprintf("would sync %s to case %s", inc.Number, c.CaseID)
	case CasePending:
		plan.Action, plan.Summary = UpdateWait, fmt.Sprintf("would wait: the case %s of %s is still being opened", c.TicketName, inc.Number)
	default:
		plan.Action, plan.Summary = UpdateNothing, fmt.Sprintf("nothing to sync: case %s of %s is %s", c.CaseID, inc.Number, c.State)
	}
	return plan, nil
}

// Handle syncs msg's incident change to its open case. An incident without
// a case, or whose case is closed, is acked with nothing done. A case still
// being opened (pending) makes the update wait: it is retried, so a note or
// a resolution that follows an escalation closely is not lost.
//
// For an open case, the incident is read back first: one ServiceNow does
// not have is refused (acked, nothing sent). The journal entry named by
// change.journal_id is sent to the case (see sendEntry), and the case is
// closed when ServiceNow holds the incident as resolved, closed or canceled
// — whatever state the event claims.
func (h *UpdateHandler) Handle(ctx context.Context, msg *worker.Message) error {
	ev := msg.Event
	if ev == nil {
		return nil
	}
	inc := ev.Data.Incident
	plan, err := h.Plan(ctx, ev)
	if err != nil {
		return err
	}
	switch plan.Action {
	case UpdateNothing:
		msg.SetResult(worker.ResultDone, capitalize(plan.Summary))
		return nil
	case UpdateWait:
		return fault.AsTransient(fmt.Errorf("update %s: %s", inc.Number, plan.Summary), 0)
	}
	c, rev := plan.Case, plan.Revision
	log := h.log.With("case", c.CaseID, "ticket", c.TicketName)

	held, err := h.cfg.ServiceNow.GetIncident(ctx, inc.SysID)
	if errors.Is(err, servicenow.ErrNotFound) {
		log.WarnContext(ctx, "update refused: the incident does not exist in ServiceNow", "sys_id", inc.SysID)
		msg.SetResult(worker.ResultRefused, fmt.Sprintf("Refused: incident %s does not exist in ServiceNow", inc.SysID))
		return nil
	}
	if err != nil {
		return fmt.Errorf("update %s: read the incident back: %w", inc.Number, err)
	}
	number := cmp.Or(held.Number, inc.Number)

	var did []string
	sent, err := h.sendEntry(ctx, ev, c, number, log)
	if err != nil {
		return err
	}
	did = append(did, sent)

	if h.cfg.CloseOnResolve && held.IsResolvedOrClosed() {
		// Close, note, then record: a crash before the record repeats the
		// first two, which are idempotent; recording first could lose the note.
		if _, err := h.cfg.Support.CloseTicket(ctx, c.TicketName); err != nil {
			return fmt.Errorf("update %s: close case %s: %w", number, c.CaseID, err)
		}
		text := fmt.Sprintf("Microsoft case %s closed because the incident was resolved (ticket %s).", c.CaseID, c.TicketName)
		if _, err := h.cfg.Notes.AddWorkNoteOnce(ctx, inc.SysID, "closed-"+c.TicketName, text); err != nil {
			return fmt.Errorf("update %s: note the closed case: %w", number, err)
		}
		c.State, c.LastStatus = CaseClosed, "Closed"
		if _, err := h.cfg.Cases.Update(ctx, c, rev); err != nil {
			return fmt.Errorf("update %s: record case %s closed: %w", number, c.CaseID, err)
		}
		log.InfoContext(ctx, "case closed with the incident")
		did = append(did, fmt.Sprintf("closed Microsoft case %s (%s is resolved in ServiceNow)", c.CaseID, number))
	}
	msg.SetResult(worker.ResultDone, capitalize(strings.Join(did, "; ")))
	return nil
}

func capitalize(s string) string {
	if s == "" {
		return s
	}
	return strings.ToUpper(s[:1]) + s[1:]
}
