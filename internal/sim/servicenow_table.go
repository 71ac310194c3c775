package sim

import (
	"fmt"
	"net/http"
	"strconv"
)

// Table API handlers: /api/now/table/incident[/{sys_id}], /api/now/table/sys_journal_field.

func (s *Server) snowGetIncident(w http.ResponseWriter, r *http.Request) {
	if _, ok := s.snowAuth(w, r, "incident"); !ok {
		return
	}
	s.mu.Lock()
	in := s.incidentLocked(r.PathValue("sys_id"))
	var out record
	if in != nil {
		out = project(in.f, r.URL.Query().Get("sysparm_fields"))
	}
	s.mu.Unlock()
	if in == nil {
		snowNotFound(w)
		return
	}
	writeJSONType(w, "application/json;charset=UTF-8", http.StatusOK, map[string]any{"result": out})
}

func snowNotFound(w http.ResponseWriter) {
	snowError(w, http.StatusNotFound, "No Record found", "Record doesn't exist or ACL restricts the record retrieval")
}

func readFields(w http.ResponseWriter, r *http.Request) (map[string]any, bool) {
	var fields map[string]any
	if err := readJSON(r, &fields); err != nil || fields == nil {
		snowError(w, http.StatusBadRequest, "Exception while reading request", "The payload is not valid JSON.")
		return nil, false
	}
	return fields, true
}

func (s *Server) snowUpdateIncident(w http.ResponseWriter, r *http.Request) {
	user, ok := s.snowAuth(w, r, "incident")
	if !ok {
		return
	}
	fields, ok := readFields(w, r)
	if !ok {
		return
	}
	s.mu.Lock()
	in := s.incidentLocked(r.PathValue("sys_id"))
	var out record
	if in != nil {
		s.applyLocked(in, fields, user, s.now())
		n, _ := strconv.Atoi(in.f["sys_mod_count"])
		in.f["sys_mod_count"] = strconv.Itoa(n + 1)
		out = project(in.f, r.URL.Query().Get("sysparm_fields"))
	}
	s.mu.Unlock()
	if in == nil {
		snowNotFound(w)
		return
	}
	writeJSONType(w, "application/json;charset=UTF-8", http.StatusOK, map[string]any{"result": out})
}

func (s *Server) snowCreateIncident(w http.ResponseWriter, r *http.Request) {
	user, ok := s.snowAuth(w, r, "incident")
	if !ok {
		return
	}
	fields, ok := readFields(w, r)
	if !ok {
		return
	}
	s.mu.Lock()
	now := s.now()
	in := &incident{f: newIncidentFields(s.sysIDLocked(), fmt.Sprintf("INC%07d", s.incNum), user, now)}
	s.incNum++
	s.applyLocked(in, fields, user, now)
	s.incidents = append(s.incidents, in)
	out := project(in.f, r.URL.Query().Get("sysparm_fields"))
	sysID := in.f["sys_id"]
	s.mu.Unlock()
	w.Header().Set("Location", baseURL(r)+"/api/now/table/incident/"+sysID)
	writeJSONType(w, "application/json;charset=UTF-8", http.StatusCreated, map[string]any{"result": out})
}

func (s *Server) snowListIncidents(w http.ResponseWriter, r *http.Request) {
	if _, ok := s.snowAuth(w, r, "incident"); !ok {
		return
	}
	s.snowList(w, r, func() []record {
		rows := make([]record, 0, len(s.incidents))
		for _, in := range s.incidents {
			rows = append(rows, in.f)
		}
		return rows
	})
}

func (s *Server) snowListJournal(w http.ResponseWriter, r *http.Request) {
	if _, ok := s.snowAuth(w, r, "sys_journal_field"); !ok {
		return
	}
	s.snowList(w, r, func() []record {
		rows := make([]record, 0, len(s.journal))
		for _, j := range s.journal {
			rows = append(rows, j.record())
		}
		return rows
	})
}

// snowList answers a Table API list: sysparm_query, sysparm_fields,
// sysparm_limit, sysparm_offset; X-Total-Count carries the match count.
func (s *Server) snowList(w http.ResponseWriter, r *http.Request, rowsLocked func() []record) {
	q := r.URL.Query()
	query, err := parseQuery(q.Get("sysparm_query"))
	if err != nil {
		snowError(w, http.StatusBadRequest, "Invalid query", err.Error())
		return
	}
	limit, offset := 10000, 0
	if v := q.Get("sysparm_limit"); v != "" {
		if limit, err = strconv.Atoi(v); err != nil || limit < 0 {
			snowError(w, http.StatusBadRequest, "Invalid sysparm_limit", v)
			return
		}
	}
	if v := q.Get("sysparm_offset"); v != "" {
		if offset, err = strconv.Atoi(v); err != nil || offset < 0 {
			snowError(w, http.StatusBadRequest, "Invalid sysparm_offset", v)
			return
		}
	}
	s.mu.Lock()
	var hits []record
	for _, row := range rowsLocked() {
		if query.match(row) {
			hits = append(hits, project(row, ""))
		}
	}
	s.mu.Unlock()
	query.sort(hits)
	total := len(hits)
	page := []record{}
	for i := offset; i < total && len(page) < limit; i++ {
		page = append(page, project(hits[i], q.Get("sysparm_fields")))
	}
	w.Header().Set("X-Total-Count", strconv.Itoa(total))
	writeJSONType(w, "application/json;charset=UTF-8", http.StatusOK, map[string]any{"result": page})
}

func (s *Server) snowUnknownTable(w http.ResponseWriter, r *http.Request) {
	if _, ok := s.snowAuth(w, r, r.PathValue("table")); !ok {
		return
	}
	snowError(w, http.StatusBadRequest, "Invalid table "+r.PathValue("table"), "")
}

// Incident returns a copy of an incident's fields.
func (s *Server) Incident(sysID string) (map[string]string, bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if in := s.incidentLocked(sysID); in != nil {
		return project(in.f, ""), true
	}
	return nil, false
}

// Journal returns the journal rows of an incident (element "work_notes" or
// "comments"; "" for both), oldest first.
func (s *Server) Journal(sysID, element string) []JournalEntry {
	s.mu.Lock()
	defer s.mu.Unlock()
	var out []JournalEntry
	for _, j := range s.journal {
		if j.ElementID == sysID && (element == "" || j.Element == element) {
			out = append(out, j)
		}
	}
	return out
}
