package explain

import (
	"context"
	"errors"
	"slices"

	"github.com/escalator/escalator/internal/azuresupport"
)

// Tickets reads Microsoft support tickets; *azuresupport.Client
// implements it. explain only reads.
type Tickets interface {
	GetTicket(ctx context.Context, name string) (azuresupport.Ticket, error)
}

// TicketMissing is the status of a ticket Azure Support does not have.
const TicketMissing = "not found at Microsoft"

// ticketNames are the tickets the case history names, newest first: a
// reopened incident has one per generation.
func ticketNames(cases []CaseVersion) []string {
	var names []string
	for i := len(cases) - 1; i >= 0; i-- {
		if n := cases[i].TicketName; n != "" && !slices.Contains(names, n) {
			names = append(names, n)
		}
	}
	return names
}

// readTickets asks Azure Support for each ticket; a ticket that cannot be
// read carries the error, and the others are still read. It counts the
// tickets Microsoft has and the reads that failed.
func readTickets(ctx context.Context, tk Tickets, names []string) (out []Ticket, found, failed int) {
	for _, name := range names {
		t, err := tk.GetTicket(ctx, name)
		if errors.Is(err, azuresupport.ErrTicketNotFound) {
			// A claim whose ticket was never created (the escalation
			// failed first), or a ticket Microsoft no longer has.
			out = append(out, Ticket{Name: name, Status: TicketMissing})
			continue
		}
		if err != nil {
			out = append(out, Ticket{Name: name, Error: err.Error()})
			failed++
			continue
		}
		p := t.Properties
		found++
		out = append(out, Ticket{
			Name: name, CaseID: p.SupportTicketID, Status: p.Status, Severity: string(p.Severity), Title: p.Title,
			Created: p.CreatedDate.UTC(), Modified: p.ModifiedDate.UTC(),
		})
	}
	return out, found, failed
}
