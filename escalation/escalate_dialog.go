package escalation

import (
	"context"
	"fmt"
	"strings"
	"time"

	"github.com/escalator/escalator/internal/azuresupport"
	"github.com/escalator/escalator/internal/event"
	"github.com/escalator/escalator/worker"
)

// startSkew is how far in the future a problem start time may lie: the
// instance's clock and ours may differ a little (the dialog allows as much).
const startSkew = 5 * time.Minute

// dialog is the escalation dialog's answers as the ticket takes them:
// read, defaulted and checked against Microsoft's rules.
type dialog struct {
	severity azuresupport.Severity
	// lowered: highestcriticalimpact was asked for and is not allowed.
	lowered bool
	// method is "email" or "phone"; phone is the number given, if any.
	method, phone string
	// start is the problem start time; zero when not given.
	start time.Time
	// consent is "Yes" or "No" (No when not given).
	consent string
}

// escalationBlock is ev's escalation block and its contact, empty ones when
// the request has none.
func escalationBlock(ev *event.Event) (*event.Escalation, *event.Contact) {
	esc := ev.Data.Escalation
	if esc == nil {
		esc = &event.Escalation{}
	}
	contact := esc.Contact
	if contact == nil {
		contact = &event.Contact{}
	}
	return esc, contact
}

// readDialog reads ev's escalation block. A request Microsoft would refuse,
// or one that does not say what it means, returns the refusal in words an
// agent can act on ("" when the request is fine).
func (h *EscalateHandler) readDialog(ev *event.Event) (dialog, string) {
	esc, contact := escalationBlock(ev)
	d := dialog{phone: strings.TrimSpace(contact.Phone)}
	d.severity, d.lowered = h.escalationSeverity(ev.Data.Incident, esc)
	if h.cfg.TestEnvironment {
		d.severity, d.lowered = azuresupport.SeverityMinimal, false
	}

	switch m := strings.ToLower(strings.TrimSpace(contact.PreferredContactMethod)); m {
	case "":
		d.method = DefaultContactMethod
	case "email", "phone":
		d.method = m
	default:
		return d, fmt.Sprintf("the contact method %q is neither email nor phone.", contact.PreferredContactMethod)
	}
	if why := azuresupport.PhoneRule(d.severity, d.method, d.phone); why != "" {
		return d, why
	}

	switch c := strings.ToLower(strings.TrimSpace(esc.AdvancedDiagnosticConsent)); c {
	case "", "no":
		d.consent = "No"
	case "yes":
		d.consent = "Yes"
	default:
		return d, fmt.Sprintf("the advanced diagnostic consent %q is neither Yes nor No.", esc.AdvancedDiagnosticConsent)
	}

	if s := strings.TrimSpace(esc.ProblemStartTime); s != "" {
		at, err := time.Parse(time.RFC3339, s)
		if err != nil {
			return d, fmt.Sprintf("the problem start time %q is not a time such as 2026-11-25T08:40:00Z.", s)
		}
		if at.After(h.cfg.Clock().Add(startSkew)) {
			return d, fmt.Sprintf("the problem start time %s is in the future.", at.UTC().Format(time.RFC3339))
		}
		d.start = at.UTC()
	}
	return d, ""
}

// refuseDialog acks an escalation whose dialog answers Microsoft would
// refuse: nothing is claimed or created, the incident gets a note saying
// what to change (once per event), the outbox row reads refused.
func (h *EscalateHandler) refuseDialog(ctx context.Context, msg *worker.Message, ev *event.Event, why string) error {
	inc := ev.Data.Incident
	note := "Escalation to Microsoft support refused: " + why + " Then request the escalation again."
	if _, err := h.cfg.Notes.AddWorkNoteOnce(ctx, inc.SysID, noteKey("refused", ev.ID), note); err != nil {
		return fmt.Errorf("note the refused escalation of %s: %w", inc.Number, err)
	}
	h.log.WarnContext(ctx, "escalation refused: the dialog's answers break Microsoft's rules",
		"reason", why)
	msg.SetResult(worker.ResultRefused, "Refused: "+why)
	return nil
}
