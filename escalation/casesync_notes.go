package escalation

import (
	"fmt"
	"strings"

	"github.com/escalator/escalator/internal/azuresupport"
)

// fromMicrosoft reports whether a communication came from Microsoft
// support: direction "inbound" (to the customer). Without a direction, any
// sender other than the case contact (who writes our messages) counts.
func fromMicrosoft(m azuresupport.Communication, contact string) bool {
	switch strings.ToLower(m.CommunicationDirection) {
	case "inbound":
		return true
	case "outbound":
		return false
	}
	return !strings.EqualFold(strings.TrimSpace(m.Sender), strings.TrimSpace(contact))
}

// markerPart makes s usable inside a work-note marker key: lower case,
// letters, digits, '-', '_' and '.' kept, anything else '-'.
func markerPart(s string) string {
	return strings.Map(func(r rune) rune {
		switch {
		case 'a' <= r && r <= 'z', '0' <= r && r <= '9', r == '-', r == '_', r == '.':
			return r
		case 'A' <= r && r <= 'Z':
			return r + ('a' - 'A')
		}
		return '-'
	}, strings.TrimSpace(s))
}

// statusNote is the work note of a status change of the ticket.
func statusNote(caseID, ticket, from, to string) string {
	if strings.EqualFold(to, "closed") {
		return fmt.Sprintf("Microsoft support closed case %s (ticket %s). Status: %s (was %s).", caseID, ticket, to, from)
	}
	return fmt.Sprintf("Microsoft case %s (ticket %s) changed status from %s to %s.", caseID, ticket, from, to)
}

// communicationNote is the work note of a message from Microsoft support.
func communicationNote(caseID string, m azuresupport.Communication) string {
	var b strings.Builder
	fmt.Fprintf(&b, "Microsoft support wrote on case %s", caseID)
	if !m.CreatedDate.IsZero() {
		fmt.Fprintf(&b, " on %s", m.CreatedDate.UTC().Format("2006-01-02 15:04:05 UTC"))
	}
	if m.Sender != "" {
		fmt.Fprintf(&b, " (from %s)", m.Sender)
	}
	b.WriteString(":\n")
	if m.Subject != "" {
		fmt.Fprintf(&b, "Subject: %s\n", m.Subject)
	}
	b.WriteString("\n")
	b.WriteString(strings.TrimSpace(m.Body))
	return b.String()
}
