package sim

import "maps"

// State is what GET /_sim/state answers (DESIGN.md, "Simulator defaults").
type State struct {
	// Calls counts API calls by "<METHOD> <route pattern>", e.g.
	// "PUT /subscriptions/{sub}/providers/Microsoft.Support/supportTickets/{name}".
	Calls     map[string]int  `json:"calls"`
	Tickets   []TicketState   `json:"tickets"`
	Incidents []IncidentState `json:"incidents"`
}

// TicketState is one support ticket in State.
type TicketState struct {
	Name       string           `json:"name"`
	Properties TicketProperties `json:"properties"`
}

// IncidentState is one ServiceNow incident in State.
type IncidentState struct {
	SysID            string     `json:"sys_id"`
	Number           string     `json:"number"`
	ShortDescription string     `json:"short_description"`
	State            string     `json:"state"`
	WorkNotes        []WorkNote `json:"work_notes"`
}

// WorkNote is one work_notes journal entry in State.
type WorkNote struct {
	Value        string `json:"value"`
	SysCreatedOn string `json:"sys_created_on"`
}

// State returns a snapshot of calls, tickets and incidents.
func (s *Server) State() State {
	s.mu.Lock()
	defer s.mu.Unlock()
	st := State{Calls: maps.Clone(s.calls), Tickets: []TicketState{}, Incidents: []IncidentState{}}
	for _, t := range s.tickets {
		snap := t.snapshot()
		st.Tickets = append(st.Tickets, TicketState{Name: snap.Name, Properties: snap.Properties})
	}
	for _, in := range s.incidents {
		is := IncidentState{
			SysID: in.f["sys_id"], Number: in.f["number"], ShortDescription: in.f["short_description"],
			State: in.f["state"], WorkNotes: []WorkNote{},
		}
		for _, j := range s.journal {
			if j.ElementID == is.SysID && j.Element == "work_notes" {
				is.WorkNotes = append(is.WorkNotes, WorkNote{Value: j.Value, SysCreatedOn: j.SysCreatedOn})
			}
		}
		st.Incidents = append(st.Incidents, is)
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
