package explain

import (
	"context"
	"slices"

	"github.com/escalator/escalator/escalation"
)

// Tickets reads Microsoft support tickets; *escalation.SupportClient
// implements it. explain only reads.
type Tickets interface {
	GetTicket(ctx context.Context, name string) (escalation.Ticket, error)
}

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
// read carries the error, and the others are still read.
func readTickets(ctx context.Context, tk Tickets, names []string) (out []Ticket, failed int) {
	for _, name := range names {
		t, err := tk.GetTicket(ctx, name)
		if err != nil {
			out = append(out, Ticket{Name: name, Error: err.Error()})
			failed++
			continue
		}
		p := t.Properties
		out = append(out, Ticket{
			Name: name, CaseID: p.SupportTicketID, Status: p.Status, Severity: string(p.Severity), Title: p.Title,
			Created: p.CreatedDate.UTC(), Modified: p.ModifiedDate.UTC(),
		})
	}
	return out, failed
}
