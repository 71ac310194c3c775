package sim

import (
	"errors"
	"io"
	"net/http"
)

// The /_sim control endpoints: inspection, faults, and the timeline of
// Microsoft's side (issues, posts, ticket status, messages from support).

func (s *Server) controlRoutes() {
	s.mux.HandleFunc("GET /_sim/healthz", func(w http.ResponseWriter, _ *http.Request) {
		writeJSON(w, http.StatusOK, map[string]string{"status": "ok"})
	})
	s.mux.HandleFunc("GET /_sim/state", func(w http.ResponseWriter, _ *http.Request) {
		writeJSON(w, http.StatusOK, s.State())
	})
	s.mux.HandleFunc("DELETE /_sim/calls", func(w http.ResponseWriter, _ *http.Request) {
		s.ResetCalls()
		w.WriteHeader(http.StatusNoContent)
	})
	s.mux.HandleFunc("GET /_sim/faults", func(w http.ResponseWriter, _ *http.Request) {
		writeJSON(w, http.StatusOK, s.CurrentFaults())
	})
	s.mux.HandleFunc("POST /_sim/faults", s.ctlPostFaults)
	s.mux.HandleFunc("DELETE /_sim/faults", func(w http.ResponseWriter, _ *http.Request) {
		s.ClearFaults()
		w.WriteHeader(http.StatusNoContent)
	})
	s.mux.HandleFunc("POST /_sim/tokens/expire", func(w http.ResponseWriter, _ *http.Request) {
		s.ExpireTokens()
		w.WriteHeader(http.StatusNoContent)
	})
	s.mux.HandleFunc("POST /_sim/issues", s.ctlUpsertIssue)
	s.mux.HandleFunc("POST /_sim/issues/{id}/posts", s.ctlAddPost)
	s.mux.HandleFunc("POST /_sim/issues/{id}/resolve", s.ctlResolve)
	s.mux.HandleFunc("POST /_sim/tickets/{name}/status", s.ctlTicketStatus)
	s.mux.HandleFunc("POST /_sim/tickets/{name}/communications", s.ctlCommunication)
}

func ctlError(w http.ResponseWriter, err error) {
	status := http.StatusBadRequest
	if errors.Is(err, ErrNotFound) {
		status = http.StatusNotFound
	}
	writeJSON(w, status, map[string]string{"error": err.Error()})
}

// ctlIssue answers a change to issue id: err if it failed, else the issue
// as it is now.
func (s *Server) ctlIssue(w http.ResponseWriter, id string, err error) {
	if err != nil {
		ctlError(w, err)
		return
	}
	got, _ := s.Issue(id)
	writeJSON(w, http.StatusOK, got)
}

// readOptional decodes a JSON body into v; an empty body leaves v alone.
func readOptional(r *http.Request, v any) error {
	err := readJSON(r, v)
	if errors.Is(err, io.EOF) {
		return nil
	}
	return err
}

func (s *Server) ctlPostFaults(w http.ResponseWriter, r *http.Request) {
	doc, err := io.ReadAll(http.MaxBytesReader(w, r.Body, maxBody))
	if err != nil {
		ctlError(w, err)
		return
	}
	f, err := s.MergeFaults(doc)
	if err != nil {
		ctlError(w, err)
		return
	}
	writeJSON(w, http.StatusOK, f)
}

func (s *Server) ctlUpsertIssue(w http.ResponseWriter, r *http.Request) {
	var is HealthIssue
	if err := readJSON(r, &is); err != nil {
		ctlError(w, err)
		return
	}
	s.ctlIssue(w, is.ID, s.UpsertIssue(is))
}

func (s *Server) ctlAddPost(w http.ResponseWriter, r *http.Request) {
	var b struct {
		Status   string `json:"status"`
		PostType string `json:"postType"`
		Content  string `json:"content"`
	}
	if err := readJSON(r, &b); err != nil {
		ctlError(w, err)
		return
	}
	id := r.PathValue("id")
	p := HealthPost{PostType: b.PostType, Description: ItemBody{Content: b.Content}}
	s.ctlIssue(w, id, s.AddIssuePost(id, b.Status, p))
}

func (s *Server) ctlResolve(w http.ResponseWriter, r *http.Request) {
	var b struct {
		Status  string `json:"status"`
		Content string `json:"content"`
	}
	if err := readOptional(r, &b); err != nil {
		ctlError(w, err)
		return
	}
	id := r.PathValue("id")
	s.ctlIssue(w, id, s.ResolveIssue(id, b.Status, b.Content))
}

func (s *Server) ctlTicketStatus(w http.ResponseWriter, r *http.Request) {
	var b struct {
		Status string `json:"status"`
	}
	if err := readJSON(r, &b); err != nil || b.Status == "" {
		ctlError(w, errors.New(`want {"status":"Closed"}`))
		return
	}
	name := r.PathValue("name")
	if err := s.SetTicketStatus(name, b.Status); err != nil {
		ctlError(w, err)
		return
	}
	t, _ := s.Ticket(name)
	writeJSON(w, http.StatusOK, t)
}

func (s *Server) ctlCommunication(w http.ResponseWriter, r *http.Request) {
	var b struct{ Name, Subject, Body, Sender string }
	if err := readJSON(r, &b); err != nil || b.Body == "" {
		ctlError(w, errors.New(`want {"body":"…"} with optional name, subject, sender`))
		return
	}
	c, err := s.AddMicrosoftCommunication(r.PathValue("name"), b.Name, b.Subject, b.Body, b.Sender)
	if err != nil {
		ctlError(w, err)
		return
	}
	writeJSON(w, http.StatusOK, c)
}
