package escalation

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"log/slog"
	"time"

	"go.opentelemetry.io/otel/metric"

	"github.com/escalator/escalator/internal/azuresupport"
	"github.com/escalator/escalator/internal/event"
	"github.com/escalator/escalator/internal/fault"
	"github.com/escalator/escalator/internal/servicenow"
	"github.com/escalator/escalator/internal/telemetry"
	"github.com/escalator/escalator/worker"
)

// SupportAPI is what escalation needs of the Azure Support API;
// *azuresupport.Client implements it.
type SupportAPI interface {
	// CreateTicket creates the ticket name, or returns the existing one
	// (a repeated create of a deterministic name never opens a second).
	CreateTicket(ctx context.Context, name string, props azuresupport.TicketProperties) (azuresupport.Ticket, error)
	GetTicket(ctx context.Context, name string) (azuresupport.Ticket, error)
}

// IncidentWriter is what the handlers write on ServiceNow incidents;
// *servicenow.Client implements it.
type IncidentWriter interface {
	AddWorkNoteOnce(ctx context.Context, sysID, key, text string) (posted bool, err error)
	PatchIncident(ctx context.Context, sysID string, fields map[string]string) (servicenow.Incident, error)
}

// IncidentReader reads an incident back from ServiceNow;
// *servicenow.Client implements it.
type IncidentReader interface {
	GetIncident(ctx context.Context, sysID string) (servicenow.Incident, error)
}

// DefaultCaseField is the incident field that receives the case id.
const DefaultCaseField = "correlation_id"

// EscalateConfig configures NewEscalateHandler.
type EscalateConfig struct {
	Cases    *CaseStore    // required
	Accounts *AccountStore // required
	Support  SupportAPI    // required
	Notes    IncidentWriter
	// Incidents reads the incident before anything is created: no ticket
	// for an incident ServiceNow does not have, and the ticket's text from
	// what ServiceNow holds rather than from the event. Required.
	Incidents IncidentReader
	// AllowHighestSeverity lets an escalation ask for highestcriticalimpact
	// (ESCALATOR_ALLOW_HIGHEST_SEVERITY); otherwise such a request is
	// opened as critical, and the case note says so.
	AllowHighestSeverity bool
	// CaseField is the incident field that receives the case id
	// (ESCALATOR_CASE_FIELD). Default DefaultCaseField.
	CaseField string
	// TestEnvironment marks cases as tests: title prefixed "[TEST] ",
	// severity minimal (ESCALATOR_TEST_ENVIRONMENT).
	TestEnvironment bool
	// ServiceID and ProblemClassificationID are the tickets' serviceId and
	// problemClassificationId when classification has none to offer
	// (ESCALATOR_SUPPORT_SERVICE_ID,
	// ESCALATOR_SUPPORT_PROBLEM_CLASSIFICATION_ID); required.
	ServiceID, ProblemClassificationID string
	// Classifier chooses each ticket's service and problem classification
	// from the incident's description (the Support client); nil: always
	// the configured ones.
	Classifier SupportClassifier
	// Logger defaults to discarding.
	Logger *slog.Logger
	// Clock defaults to time.Now.
	Clock func() time.Time
	// MeterProvider receives escalator.cases.opened; nil: no metrics.
	MeterProvider metric.MeterProvider
}

// EscalateHandler opens the Microsoft support case of an incident
// (subject escalator.incident.escalate). Every step is keyed — the claim by
// the incident, the ticket by a name derived from it, the notes by markers
// — so a redelivery at any point converges on one ticket and one note.
type EscalateHandler struct {
	cfg    EscalateConfig
	log    *slog.Logger
	opened metric.Int64Counter
}

// NewEscalateHandler validates cfg and returns the handler.
func NewEscalateHandler(cfg EscalateConfig) (*EscalateHandler, error) {
	switch {
	case cfg.Cases == nil:
		return nil, errors.New("escalation handler: a case store is required")
	case cfg.Accounts == nil:
		return nil, errors.New("escalation handler: an account store is required")
	case cfg.Support == nil:
		return nil, errors.New("escalation handler: a support client is required")
	case cfg.Notes == nil:
		return nil, errors.New("escalation handler: a ServiceNow client is required")
	case cfg.Incidents == nil:
		return nil, errors.New("escalation handler: a ServiceNow incident reader is required")
	case cfg.ServiceID == "":
		return nil, errors.New("escalation handler: the support service id (ESCALATOR_SUPPORT_SERVICE_ID) is required")
	case cfg.ProblemClassificationID == "":
		return nil, errors.New("escalation handler: the problem classification id (ESCALATOR_SUPPORT_PROBLEM_CLASSIFICATION_ID) is required")
	}
	if cfg.CaseField == "" {
		cfg.CaseField = DefaultCaseField
	}
	if cfg.Clock == nil {
		cfg.Clock = time.Now
	}
	log := telemetry.OrDiscard(cfg.Logger)
	opened, err := newCasesOpened(cfg.MeterProvider)
	if err != nil {
		return nil, err
	}
	return &EscalateHandler{cfg: cfg, log: log, opened: opened}, nil
}

// Handle escalates msg's incident. Steps, each safe to repeat:
//
//  0. read the incident from ServiceNow: one that does not exist is refused
//     (acked, nothing created, nowhere to write a note); the ticket is made
//     from what ServiceNow holds, not from the event's copy; a request
//     whose dialog answers Microsoft would refuse (no phone number for a
//     critical case, …) is refused with a note saying what to change;
//  1. claim the incident in escalator_cases (pending, deterministic name);
//  2. load the linked account (none: a note, then a permanent error);
//  3. choose the service and problem classification (classify), create
//     the ticket (an existing one is read back);
//  4. record its case id;
//  5. set the incident's case field;
//  6. post the case note once (marker case-<ticket name>);
//  7. mark the case open.
func (h *EscalateHandler) Handle(ctx context.Context, msg *worker.Message) error {
	ev, err := h.readBack(ctx, msg.Event)
	if errors.Is(err, servicenow.ErrNotFound) {
		sysID := msg.Event.Data.Incident.SysID
		h.log.WarnContext(ctx, "escalation refused: the incident does not exist in ServiceNow",
			"sys_id", sysID, "user_name", msg.Event.Data.RequestedBy.UserName)
		msg.SetResult(worker.ResultRefused, fmt.Sprintf("Refused: incident %s does not exist in ServiceNow", sysID))
		return nil
	}
	if err != nil {
		return err
	}
	dlg, why := h.readDialog(ev)
	if why != "" {
		// Refused only when it would open a case: a redelivery of the
		// escalation that opened one, or a duplicate, is answered as such.
		d, _, err := h.cfg.Cases.Decide(ctx, ev)
		if err != nil {
			return err
		}
		if d.Claims() {
			return h.refuseDialog(ctx, msg, ev, why)
		}
	}
	d, rev, err := h.cfg.Cases.Claim(ctx, ev)
	if err != nil {
		return err
	}
	inc := ev.Data.Incident
	log := h.log.With("ticket", d.Case.TicketName)
	switch d.Action {
	case ActionDone:
		log.InfoContext(ctx, "escalation already done by this event", "case", d.Case.CaseID)
		msg.SetResult(worker.ResultDone, escalatedResult(d.Case.CaseID, d.Case.TicketName))
		return nil
	case ActionAlready:
		_, err := h.cfg.Notes.AddWorkNoteOnce(ctx, inc.SysID, noteKey("already", ev.ID), alreadyNote(d.Case, ev))
		if err != nil {
			return fmt.Errorf("note that %s is already escalated: %w", inc.Number, err)
		}
		log.InfoContext(ctx, "incident already escalated", "case", d.Case.CaseID)
		msg.SetResult(worker.ResultDone, fmt.Sprintf("Already escalated as Microsoft case %s (ticket %s): no new case opened",
			cmp.Or(d.Case.CaseID, "(number pending)"), d.Case.TicketName))
		return nil
	}

	acct, err := h.cfg.Accounts.Get(ctx)
	if errors.Is(err, ErrNoAccount) {
		if _, nerr := h.cfg.Notes.AddWorkNoteOnce(ctx, inc.SysID, noteKey("no-account", ev.ID), noAccountNote); nerr != nil {
			return fmt.Errorf("note the missing admin account on %s: %w", inc.Number, nerr)
		}
		return fault.Permanentf("escalate %s: %w: run `escalator account link EMAIL`", inc.Number, ErrNoAccount)
	}
	if err != nil {
		return fmt.Errorf("escalate %s: %w", inc.Number, err)
	}
	props := h.ticketProperties(ev, acct, dlg)
	lowered := dlg.lowered
	c := d.Case

	var t azuresupport.Ticket
	var ch choice // this attempt's choice of service; zero when resuming a recorded case
	if c.CaseID != "" {
		t, err = h.cfg.Support.GetTicket(ctx, c.TicketName)
	} else {
		_ = msg.InProgress() // a create polls an async operation
		if ch, err = h.classify(ctx, msg, ev); err != nil {
			return err
		}
		props.ServiceID, props.ProblemClassificationID = ch.serviceID, ch.problemID
		t, err = h.cfg.Support.CreateTicket(ctx, c.TicketName, props)
	}
	if err != nil {
		return fmt.Errorf("escalate %s: %w", inc.Number, err)
	}
	caseID := t.Properties.SupportTicketID
	if caseID == "" {
		return fault.AsTransient(fmt.Errorf("escalate %s: ticket %s has no support ticket id yet", inc.Number, c.TicketName), 0)
	}

	if c.CaseID != caseID {
		c.CaseID = caseID
		c.Title, c.Severity = props.Title, string(props.Severity)
		c.Contact = props.ContactDetails.PrimaryEmailAddress
	}
	// Written even when nothing changed: the compare-and-set proves this
	// request still holds the claim. One that another request took over
	// meanwhile stops here (ErrCaseConflict, retried: then it is done)
	// rather than write the case note beside the new claimant's.
	if rev, err = h.cfg.Cases.Update(ctx, c, rev); err != nil {
		return fmt.Errorf("escalate %s: record case %s: %w", inc.Number, caseID, err)
	}
	if _, err := h.cfg.Notes.PatchIncident(ctx, inc.SysID, map[string]string{h.cfg.CaseField: caseID}); err != nil {
		return fmt.Errorf("escalate %s: set %s: %w", inc.Number, h.cfg.CaseField, err)
	}
	if _, err := h.cfg.Notes.AddWorkNoteOnce(ctx, inc.SysID, "case-"+c.TicketName, caseNote(caseID, c.TicketName, props, h.cfg.TestEnvironment, lowered)+serviceNote(t, ch)); err != nil {
		return fmt.Errorf("escalate %s: case note: %w", inc.Number, err)
	}
	c.State = CaseOpen
	c.LastStatus = t.Properties.Status
	if _, err := h.cfg.Cases.Update(ctx, c, rev); err != nil {
		return fmt.Errorf("escalate %s: mark case %s open: %w", inc.Number, caseID, err)
	}
	h.opened.Add(ctx, 1)
	log.InfoContext(ctx, "incident escalated", "case", caseID, "action", string(d.Action), "existing", t.Existing,
		"service", t.Properties.ServiceID, "problem_classification", t.Properties.ProblemClassificationID, "classified", ch.classified)
	msg.SetResult(worker.ResultDone, escalatedResult(caseID, c.TicketName))
	return nil
}

func escalatedResult(caseID, ticket string) string {
	return fmt.Sprintf("Escalated as Microsoft case %s (ticket %s)", cmp.Or(caseID, "(number pending)"), ticket)
}

// noAccountNote tells the admin how to fix a missing account.
const noAccountNote = "Escalation to Microsoft support failed: no Microsoft 365 admin account is linked. " +
	"An administrator must run `escalator account link EMAIL` with the address of a Global Administrator or " +
	"Service Support Administrator of the tenant, then request the escalation again " +
	"(or replay the dead-lettered event with `escalator replay --dlq`)."

func alreadyNote(c Case, ev *event.Event) string {
	id := c.CaseID
	if id == "" {
		id = "(number pending)"
	}
	return fmt.Sprintf("This incident was already escalated to Microsoft support as case %s (ticket %s). "+
		"The escalation requested by %s (event %s) opened no new case.", id, c.TicketName, ev.Data.RequestedBy.UserName, ev.ID)
}

func caseNote(caseID, ticketName string, p azuresupport.TicketProperties, test, lowered bool) string {
	cd := p.ContactDetails
	s := fmt.Sprintf("Escalated to Microsoft support as case %s (ticket %s, severity %s, contact %s %s <%s>).",
		caseID, ticketName, p.Severity, cd.FirstName, cd.LastName, cd.PrimaryEmailAddress)
	if lowered {
		s += " The request asked for severity " + string(azuresupport.SeverityHighestCriticalImpact) + " (24x7); Escalator opened the case as " +
			string(p.Severity) + " because ESCALATOR_ALLOW_HIGHEST_SEVERITY is off. Raise the severity with Microsoft if the impact warrants it."
	}
	if test {
		s += " This is a test environment: the case is marked as a test."
	}
	return s
}
