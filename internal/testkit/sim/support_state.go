package sim

import (
	"fmt"
	"slices"
	"strings"
	"time"
)

// Go API over the support tickets, and the small $filter language of the
// Support API lists.

// Tickets returns copies of every ticket in creation order.
func (s *Server) Tickets() []Ticket {
	s.mu.Lock()
	defer s.mu.Unlock()
	out := make([]Ticket, 0, len(s.tickets))
	for _, t := range s.tickets {
		out = append(out, t.snapshot())
	}
	return out
}

// Ticket returns a copy of one ticket (names compare case-insensitively).
func (s *Server) Ticket(name string) (Ticket, bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if t := s.ticketLocked(name); t != nil {
		return t.snapshot(), true
	}
	return Ticket{}, false
}

// Communications returns copies of a ticket's communications, oldest first.
func (s *Server) Communications(ticket string) []Communication {
	s.mu.Lock()
	defer s.mu.Unlock()
	if t := s.ticketLocked(ticket); t != nil {
		return slices.Clone(t.comms)
	}
	return nil
}

// SetTicketStatus sets a ticket's status as Microsoft support would, e.g.
// "Open", "Closed", "Updating".
func (s *Server) SetTicketStatus(name, status string) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	t := s.ticketLocked(name)
	if t == nil {
		return fmt.Errorf("set status of ticket %s: %w", name, ErrNotFound)
	}
	t.t.Properties.Status = status
	t.t.Properties.ModifiedDate = s.now().Truncate(time.Second)
	return nil
}

// AddMicrosoftCommunication adds a message from Microsoft support to a
// ticket (direction "inbound"). Empty name, sender or subject get defaults.
// It returns the stored communication.
func (s *Server) AddMicrosoftCommunication(ticket, name, subject, body, sender string) (Communication, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	t := s.ticketLocked(ticket)
	if t == nil {
		return Communication{}, fmt.Errorf("add communication to ticket %s: %w", ticket, ErrNotFound)
	}
	if name == "" {
		name = "ms-" + s.guidLocked()
	}
	if slices.ContainsFunc(t.comms, func(c Communication) bool { return strings.EqualFold(c.Name, name) }) {
		return Communication{}, fmt.Errorf("add communication %s to ticket %s: name in use", name, ticket)
	}
	if sender == "" {
		sender = "support@mail.support.microsoft.com"
	}
	if subject == "" {
		subject = "RE: " + t.t.Properties.Title
	}
	now := s.now().Truncate(time.Second)
	c := Communication{
		ID: commID(t.sub, t.t.Name, name), Name: name, Type: "Microsoft.Support/communications",
		Properties: CommunicationProperties{
			CommunicationType: "web", CommunicationDirection: "inbound",
			Sender: sender, Subject: subject, Body: body, CreatedDate: now,
		},
	}
	t.comms = append(t.comms, c)
	t.t.Properties.ModifiedDate = now
	return c, nil
}

// parseARMFilter understands clauses joined by "and": <prop> eq '<v>' for
// string properties and <prop> eq|gt|ge|lt|le <RFC 3339 time> for dates.
func parseARMFilter[T any](f string, get func(T, string) (string, *time.Time, bool)) (func(T) bool, error) {
	var zero T
	return parseClauses(f, func(prop, op, lit string) (func(T) bool, error) {
		_, isDate, ok := get(zero, prop)
		if !ok {
			return nil, fmt.Errorf("unknown property %q", prop)
		}
		if isDate != nil {
			t, err := time.Parse(time.RFC3339, strings.Trim(lit, "'"))
			if err != nil {
				return nil, fmt.Errorf("%s: want an RFC 3339 time, got %s", prop, lit)
			}
			return func(v T) bool {
				_, d, _ := get(v, prop)
				c := d.Compare(t)
				return map[string]bool{"eq": c == 0, "ne": c != 0, "gt": c > 0, "ge": c >= 0, "lt": c < 0, "le": c <= 0}[op]
			}, nil
		}
		want, ok := quoted(lit)
		if op != "eq" || !ok {
			return nil, fmt.Errorf("%s: want eq '<value>'", prop)
		}
		return func(v T) bool {
			got, _, _ := get(v, prop)
			return strings.EqualFold(got, want)
		}, nil
	})
}
