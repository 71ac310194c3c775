package escalation

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"strings"

	"github.com/escalator/escalator/internal/azuresupport"
	"github.com/escalator/escalator/internal/event"
	"github.com/escalator/escalator/internal/servicenow"
)

// sendEntry sends the journal entry ev's change names to case c, and says
// in a few words what it did. What Microsoft gets is the entry as
// ServiceNow stored it, never the event's text, and only when it is a work
// note or comment of this incident written by someone other than
// Escalator's own user (Escalator's notes are not echoed back). An update
// that names no entry, or one that does not qualify, sends nothing. The
// communication is named after the entry, so it is sent once however many
// events name it.
func (h *UpdateHandler) sendEntry(ctx context.Context, ev *event.Event, c Case, number string, log *slog.Logger) (string, error) {
	id := ""
	if ev.Data.Change != nil {
		id = strings.TrimSpace(ev.Data.Change.JournalID)
	}
	if id == "" {
		return "no journal entry to send to Microsoft case " + c.CaseID, nil
	}
	e, err := h.cfg.ServiceNow.JournalEntry(ctx, id)
	if errors.Is(err, servicenow.ErrNotFound) {
		log.WarnContext(ctx, "journal entry not found: nothing sent to the case", "journal_id", id)
		return fmt.Sprintf("journal entry %s not found in ServiceNow: nothing sent to Microsoft", id), nil
	}
	if err != nil {
		return "", fmt.Errorf("update %s: read journal entry %s: %w", number, id, err)
	}
	self, err := h.cfg.ServiceNow.IntegrationUser(ctx)
	if err != nil {
		return "", fmt.Errorf("update %s: %w", number, err)
	}
	if why := unsendable(e, ev.Data.Incident.SysID, self); why != "" {
		log.WarnContext(ctx, "journal entry not sent to the case: "+why, "journal_id", id, "author", e.CreatedBy)
		return fmt.Sprintf("journal entry %s not sent to Microsoft: %s", id, why), nil
	}
	_, err = h.cfg.Support.CreateCommunication(ctx, c.TicketName, azuresupport.CommunicationName(e.SysID), azuresupport.Communication{
		Subject: "Update from ServiceNow " + number,
		Body:    communicationBody(e, number),
		Sender:  c.Contact, // the case's contact, the linked admin
	})
	if err != nil {
		return "", fmt.Errorf("update %s: send journal entry %s to case %s: %w", number, id, c.CaseID, err)
	}
	log.InfoContext(ctx, "journal entry sent to the case", "journal_id", id, "author", e.CreatedBy)
	return fmt.Sprintf("sent the %s of %s to Microsoft case %s", elementName(e.Element), e.CreatedBy, c.CaseID), nil
}

// unsendable says why entry e is not sent to the case of incident sysID,
// or "" when it is sent.
func unsendable(e servicenow.JournalEntry, sysID, self string) string {
	switch {
	case !strings.EqualFold(e.ElementID, sysID) || (e.Name != "" && e.Name != "incident"):
		return "it belongs to another record"
	case e.Element != "work_notes" && e.Element != "comments":
		return fmt.Sprintf("it is a %q entry, not a work note or comment", e.Element)
	case strings.EqualFold(e.CreatedBy, self):
		return "Escalator wrote it"
	case strings.TrimSpace(e.Value) == "":
		return "it is empty"
	}
	return ""
}

// communicationBody is the entry's text and who wrote it where.
func communicationBody(e servicenow.JournalEntry, number string) string {
	return strings.TrimSpace(e.Value) + "\n\n— " + e.CreatedBy + ", " + elementName(e.Element) + " on ServiceNow incident " + number
}

func elementName(element string) string {
	if element == "comments" {
		return "comment"
	}
	return "work note"
}
