package sim

import (
	"maps"
	"slices"
	"time"
)

// State is what GET /_sim/state answers (DESIGN.md, "Simulator defaults").
type State struct {
	// Calls counts API calls by "<METHOD> <route pattern>", e.g.
	// "PUT /subscriptions/{sub}/providers/Microsoft.Support/supportTickets/{name}";
	// Table API calls count under their table, e.g.
	// "PATCH /api/now/table/incident/{sys_id}".
	Calls     map[string]int  `json:"calls"`
	Tickets   []TicketState   `json:"tickets"`
	Incidents []IncidentState `json:"incidents"`
	// Tables holds the records of every ServiceNow table but incident (in
	// Incidents), oldest first: u_escalator_outbox, sys_journal_field,
	// sys_user, sys_user_role, sys_user_has_role, and any other table
	// written through the Table API.
	Tables map[string][]map[string]string `json:"tables"`
}

// TicketState is one support ticket in State, with the messages on it.
type TicketState struct {
	Name       string           `json:"name"`
	Properties TicketProperties `json:"properties"`
	// Communications are the ticket's messages, oldest first: "outbound"
	// ones sent by Escalator (an incident's work note), "inbound" ones from
	// Microsoft support.
	Communications []CommunicationState `json:"communications"`
}

// CommunicationState is one message on a ticket in State.
type CommunicationState struct {
	Name        string    `json:"name"`
	Direction   string    `json:"direction"`
	Sender      string    `json:"sender"`
	Subject     string    `json:"subject"`
	Body        string    `json:"body"`
	CreatedDate time.Time `json:"created_date"`
}

// IncidentState is one ServiceNow incident in State.
type IncidentState struct {
	SysID            string `json:"sys_id"`
	Number           string `json:"number"`
	ShortDescription string `json:"short_description"`
	State            string `json:"state"`
	CloseCode        string `json:"close_code"`
	CorrelationID    string `json:"correlation_id"`
	// StateChanges are the changes of state since the simulator started
	// (an agent resolving it, the service health sync), oldest first.
	StateChanges []StateChange `json:"state_changes"`
	WorkNotes    []WorkNote    `json:"work_notes"`
}

// StateChange is one change of an incident's state: the values are the
// instance's choice values ("1" New … "6" Resolved, "7" Closed).
type StateChange struct {
	From         string `json:"from"`
	To           string `json:"to"`
	SysCreatedOn string `json:"sys_created_on"`
	SysCreatedBy string `json:"sys_created_by"`
}

// WorkNote is one work_notes journal entry in State, written since the
// simulator started (see Journal).
type WorkNote struct {
	Value        string `json:"value"`
	SysCreatedOn string `json:"sys_created_on"`
	SysCreatedBy string `json:"sys_created_by"`
}

// State returns a snapshot of calls, tickets, incidents and tables.
func (s *Server) State() State {
	s.mu.Lock()
	defer s.mu.Unlock()
	st := State{Calls: maps.Clone(s.calls), Tickets: []TicketState{}, Incidents: []IncidentState{},
		Tables: map[string][]map[string]string{}}
	for _, t := range s.tickets {
		snap := t.snapshot()
		ts := TicketState{Name: snap.Name, Properties: snap.Properties, Communications: []CommunicationState{}}
		for _, c := range t.comms {
			p := c.Properties
			ts.Communications = append(ts.Communications, CommunicationState{Name: c.Name, Direction: p.CommunicationDirection,
				Sender: p.Sender, Subject: p.Subject, Body: p.Body, CreatedDate: p.CreatedDate})
		}
		st.Tickets = append(st.Tickets, ts)
	}
	for _, in := range s.tables["incident"].rowsOrNil() {
		is := IncidentState{
			SysID: in["sys_id"], Number: in["number"], ShortDescription: in["short_description"],
			State: in["state"], CloseCode: in["close_code"], CorrelationID: in["correlation_id"],
			StateChanges: append([]StateChange{}, s.stateLog[in["sys_id"]]...), WorkNotes: []WorkNote{},
		}
		for _, j := range s.journalLocked(is.SysID, "work_notes") {
			is.WorkNotes = append(is.WorkNotes, WorkNote{Value: j.Value, SysCreatedOn: j.SysCreatedOn, SysCreatedBy: j.SysCreatedBy})
		}
		st.Incidents = append(st.Incidents, is)
	}
	for _, name := range slices.Sorted(maps.Keys(s.tables)) {
		if name == "incident" {
			continue
		}
		rows := make([]map[string]string, 0, len(s.tables[name].rows))
		for _, row := range s.tables[name].rows {
			rows = append(rows, maps.Clone(row))
		}
		st.Tables[name] = rows
	}
	return st
}

// Calls returns how many calls route ("<METHOD> <pattern>") has answered,
// including calls that got an injected fault.
func (s *Server) Calls(route string) int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.calls[route]
}

// ResetCalls sets every call count back to zero.
func (s *Server) ResetCalls() {
	s.mu.Lock()
	defer s.mu.Unlock()
	clear(s.calls)
}
