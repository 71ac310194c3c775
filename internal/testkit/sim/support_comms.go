package sim

import (
	"fmt"
	"net/http"
	"slices"
	"strings"
	"time"
)

// Communications (…/supportTickets/{name}/communications/{comm}) and the
// asynchronous operations a create answers with.

// Communication is a message on a support ticket.
type Communication struct {
	ID         string                  `json:"id"`
	Name       string                  `json:"name"`
	Type       string                  `json:"type"`
	Properties CommunicationProperties `json:"properties"`
}

// CommunicationProperties of a communication. Direction is "outbound" for
// messages the customer sent (as in the API's examples) and "inbound" for
// messages from Microsoft support.
type CommunicationProperties struct {
	CommunicationType      string    `json:"communicationType"`
	CommunicationDirection string    `json:"communicationDirection"`
	Sender                 string    `json:"sender"`
	Subject                string    `json:"subject"`
	Body                   string    `json:"body"`
	CreatedDate            time.Time `json:"createdDate"`
}

type operation struct {
	id, sub, ticket, comm string
	polls                 int
	started               time.Time
}

func (s *Server) newOperationLocked(sub, ticket, comm string) *operation {
	op := &operation{id: s.guidLocked(), sub: sub, ticket: ticket, comm: comm, started: s.now().Truncate(time.Second)}
	s.ops[op.id] = op
	return op
}

func opURL(r *http.Request, sub, kind, id string) string {
	return baseURL(r) + "/subscriptions/" + sub + "/providers/Microsoft.Support/" + kind + "/" + id + "?api-version=" + APIVersion
}

// acceptAsync answers 202 with the Azure-AsyncOperation and Location headers.
func (s *Server) acceptAsync(w http.ResponseWriter, r *http.Request, sub string, op *operation) {
	w.Header().Set("Azure-AsyncOperation", opURL(r, sub, "operationsStatus", op.id))
	w.Header().Set("Location", opURL(r, sub, "operationResults", op.id))
	w.Header().Set("Content-Length", "0")
	w.WriteHeader(http.StatusAccepted)
}

// pollOperation counts one poll and says whether the operation is done.
func (s *Server) pollOperation(w http.ResponseWriter, r *http.Request) (*operation, bool, bool) {
	if !s.armGuard(w, r, true) {
		return nil, false, false
	}
	s.mu.Lock()
	op := s.ops[r.PathValue("op")]
	done := false
	if op != nil {
		op.polls++
		done = op.polls > s.cfg.AsyncPolls
	}
	s.mu.Unlock()
	if op == nil {
		s.armError(w, http.StatusNotFound, "OperationNotFound", fmt.Sprintf("The operation '%s' was not found.", r.PathValue("op")))
		return nil, false, false
	}
	return op, done, true
}

func (s *Server) armOperationStatus(w http.ResponseWriter, r *http.Request) {
	op, done, ok := s.pollOperation(w, r)
	if !ok {
		return
	}
	body := map[string]any{
		"id":        "/subscriptions/" + op.sub + "/providers/Microsoft.Support/operationsStatus/" + op.id,
		"name":      op.id,
		"status":    "InProgress",
		"startTime": op.started,
	}
	if done {
		body["status"] = "Succeeded"
		body["endTime"] = s.now().Truncate(time.Second)
	}
	writeJSON(w, http.StatusOK, body)
}

func (s *Server) armOperationResult(w http.ResponseWriter, r *http.Request) {
	op, done, ok := s.pollOperation(w, r)
	if !ok {
		return
	}
	if !done {
		w.Header().Set("Location", opURL(r, op.sub, "operationResults", op.id))
		w.Header().Set("Content-Length", "0")
		w.WriteHeader(http.StatusAccepted)
		return
	}
	s.mu.Lock()
	var body any
	if t := s.ticketLocked(op.ticket); t != nil {
		body = t.snapshot()
		if op.comm != "" {
			body = nil
			for _, c := range t.comms {
				if strings.EqualFold(c.Name, op.comm) {
					body = c
				}
			}
		}
	}
	s.mu.Unlock()
	if body == nil {
		s.ticketNotFound(w, op.ticket)
		return
	}
	writeJSON(w, http.StatusOK, body)
}

func commID(sub, ticket, name string) string {
	return ticketID(sub, ticket) + "/communications/" + name
}

func (s *Server) armCreateCommunication(w http.ResponseWriter, r *http.Request) {
	if !s.armGuard(w, r, true) {
		return
	}
	var b struct {
		Properties *struct{ Subject, Body, Sender string } `json:"properties"`
	}
	if err := readJSON(r, &b); err != nil {
		s.armError(w, http.StatusBadRequest, "InvalidRequestContent", "The request content was invalid and could not be deserialized: "+err.Error())
		return
	}
	switch {
	case b.Properties == nil:
		s.armError(w, http.StatusBadRequest, "BadRequest", "The property 'properties' is required.")
		return
	case strings.TrimSpace(b.Properties.Subject) == "":
		s.armError(w, http.StatusBadRequest, "BadRequest", "The property 'properties.subject' is required.")
		return
	case strings.TrimSpace(b.Properties.Body) == "":
		s.armError(w, http.StatusBadRequest, "BadRequest", "The property 'properties.body' is required.")
		return
	case strings.TrimSpace(b.Properties.Sender) == "":
		s.armError(w, http.StatusBadRequest, "BadRequest", "The property 'properties.sender' is required when the caller is a service principal.")
		return
	}
	sub, name, comm := r.PathValue("sub"), r.PathValue("name"), r.PathValue("comm")
	s.mu.Lock()
	t := s.ticketLocked(name)
	if t == nil {
		s.mu.Unlock()
		s.ticketNotFound(w, name)
		return
	}
	if slices.ContainsFunc(t.comms, func(c Communication) bool { return strings.EqualFold(c.Name, comm) }) {
		s.mu.Unlock()
		s.armError(w, http.StatusConflict, "Conflict", fmt.Sprintf("A communication with name '%s' already exists on support ticket '%s'.", comm, name))
		return
	}
	now := s.now().Truncate(time.Second)
	t.comms = append(t.comms, Communication{
		ID: commID(sub, t.t.Name, comm), Name: comm, Type: "Microsoft.Support/communications",
		Properties: CommunicationProperties{
			CommunicationType: "web", CommunicationDirection: "outbound",
			Sender: b.Properties.Sender, Subject: b.Properties.Subject, Body: b.Properties.Body, CreatedDate: now,
		},
	})
	t.t.Properties.ModifiedDate = now
	op := s.newOperationLocked(sub, t.t.Name, comm)
	s.mu.Unlock()
	s.acceptAsync(w, r, sub, op)
}

func (s *Server) armGetCommunication(w http.ResponseWriter, r *http.Request) {
	if !s.armGuard(w, r, true) {
		return
	}
	s.mu.Lock()
	t := s.ticketLocked(r.PathValue("name"))
	var found *Communication
	if t != nil {
		for _, c := range t.comms {
			if strings.EqualFold(c.Name, r.PathValue("comm")) {
				found = &c
			}
		}
	}
	s.mu.Unlock()
	switch {
	case t == nil:
		s.ticketNotFound(w, r.PathValue("name"))
	case found == nil:
		s.armError(w, http.StatusNotFound, "ResourceNotFound", fmt.Sprintf(
			"The Resource 'Microsoft.Support/supportTickets/%s/communications/%s' under resource group '<null>' was not found.", r.PathValue("name"), r.PathValue("comm")))
	default:
		writeJSON(w, http.StatusOK, found)
	}
}

func (s *Server) armListCommunications(w http.ResponseWriter, r *http.Request) {
	if !s.armGuard(w, r, true) {
		return
	}
	match, err := parseARMFilter(r.URL.Query().Get("$filter"), func(c Communication, prop string) (string, *time.Time, bool) {
		switch strings.ToLower(prop) {
		case "communicationtype":
			return c.Properties.CommunicationType, nil, true
		case "createddate":
			return "", &c.Properties.CreatedDate, true
		}
		return "", nil, false
	})
	if err != nil {
		s.armError(w, http.StatusBadRequest, "BadRequest", "Invalid $filter: "+err.Error())
		return
	}
	s.mu.Lock()
	t := s.ticketLocked(r.PathValue("name"))
	value := []Communication{}
	if t != nil {
		for _, c := range t.comms {
			if match(c) {
				value = append(value, c)
			}
		}
	}
	s.mu.Unlock()
	if t == nil {
		s.ticketNotFound(w, r.PathValue("name"))
		return
	}
	writeJSON(w, http.StatusOK, map[string]any{"value": value})
}

func (s *Server) armCheckCommunicationName(w http.ResponseWriter, r *http.Request) {
	if !s.armGuard(w, r, true) {
		return
	}
	name := r.PathValue("name")
	s.mu.Lock()
	exists := s.ticketLocked(name) != nil
	s.mu.Unlock()
	if !exists {
		s.ticketNotFound(w, name)
		return
	}
	s.checkName(w, r, "Microsoft.Support/communications", func(comm string) bool {
		t := s.ticketLocked(name)
		return t != nil && slices.ContainsFunc(t.comms, func(c Communication) bool { return strings.EqualFold(c.Name, comm) })
	})
}
