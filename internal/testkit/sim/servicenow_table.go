package sim

import (
	"errors"
	"fmt"
	"maps"
	"net/http"
	"net/url"
	"strconv"
	"strings"
)

// Table API handlers: /api/now/table/{table}[/{sys_id}] for every table.

const (
	snowJSON = "application/json;charset=UTF-8"
	// snowMaxLimit is what a list answers without sysparm_limit.
	snowMaxLimit = 10000
)

// snowTableAuth checks the table name in the path and authenticates the
// caller; it answers the error itself.
func (s *Server) snowTableAuth(w http.ResponseWriter, r *http.Request) (table, user string, ok bool) {
	table = r.PathValue("table")
	if !tableName.MatchString(table) {
		snowError(w, http.StatusBadRequest, "Invalid table "+table, "")
		return "", "", false
	}
	user, ok = s.snowAuth(w, r, table)
	return table, user, ok
}

func refLinks(r *http.Request) bool {
	return !strings.EqualFold(r.URL.Query().Get("sysparm_exclude_reference_link"), "true")
}

func snowNotFound(w http.ResponseWriter) {
	snowError(w, http.StatusNotFound, "No Record found", "Record doesn't exist or ACL restricts the record retrieval")
}

// snowWrite is what a create or an update starts with: the table and the
// caller (snowTableAuth), the user it acts as (snowActor), and the fields
// of the body. It answers the error itself.
func (s *Server) snowWrite(w http.ResponseWriter, r *http.Request) (table, user string, fields map[string]any, ok bool) {
	if table, user, ok = s.snowTableAuth(w, r); !ok {
		return "", "", nil, false
	}
	if user, ok = s.snowActor(w, r, user); !ok {
		return "", "", nil, false
	}
	if fields, ok = readFields(w, r); !ok {
		return "", "", nil, false
	}
	return table, user, fields, true
}

// renderForLocked renders row as r asks: its sysparm_fields and
// sysparm_exclude_reference_link, links on r's base URL.
func (s *Server) renderForLocked(r *http.Request, table string, row record) map[string]any {
	return s.renderLocked(table, row, splitFields(r.URL.Query().Get("sysparm_fields")), refLinks(r), baseURL(r))
}

func readFields(w http.ResponseWriter, r *http.Request) (map[string]any, bool) {
	var fields map[string]any
	if err := readJSON(r, &fields); err != nil || fields == nil {
		snowError(w, http.StatusBadRequest, "Exception while reading request", "The payload is not valid JSON.")
		return nil, false
	}
	return fields, true
}

func (s *Server) snowGet(w http.ResponseWriter, r *http.Request) {
	table, _, ok := s.snowTableAuth(w, r)
	if !ok {
		return
	}
	s.snowRow(w, r, table, nil)
}

// snowRow answers with the row the path's sys_id names, after change (nil:
// none) has run on it under the lock; 404 when there is no such row.
func (s *Server) snowRow(w http.ResponseWriter, r *http.Request, table string, change func(row record)) {
	s.mu.Lock()
	row := s.tables[table].get(r.PathValue("sys_id"))
	var out map[string]any
	if row != nil {
		if change != nil {
			change(row)
		}
		out = s.renderForLocked(r, table, row)
	}
	s.mu.Unlock()
	if row == nil {
		snowNotFound(w)
		return
	}
	writeJSONType(w, snowJSON, http.StatusOK, map[string]any{"result": out})
}

func (s *Server) snowCreate(w http.ResponseWriter, r *http.Request) {
	table, user, fields, ok := s.snowWrite(w, r)
	if !ok {
		return
	}
	s.mu.Lock()
	row, err := s.insertLocked(table, fields, user, s.now())
	var out map[string]any
	if err == nil {
		out = s.renderForLocked(r, table, row)
	}
	s.mu.Unlock()
	if errors.Is(err, errDuplicate) {
		snowError(w, http.StatusForbidden, "Operation Failed", fmt.Sprintf("Error during insert of %s (%v)", table, err))
		return
	}
	w.Header().Set("Location", baseURL(r)+"/api/now/table/"+table+"/"+row["sys_id"])
	writeJSONType(w, snowJSON, http.StatusCreated, map[string]any{"result": out})
}

// snowUpdate answers PATCH and PUT (the Table API treats both as an update).
func (s *Server) snowUpdate(w http.ResponseWriter, r *http.Request) {
	table, user, fields, ok := s.snowWrite(w, r)
	if !ok {
		return
	}
	s.snowRow(w, r, table, func(row record) { s.updateLocked(table, row, fields, user, s.now()) })
}

// snowList answers a list: sysparm_query, sysparm_fields, sysparm_limit
// (default 10000), sysparm_offset. X-Total-Count carries the match count;
// when the matches span more than one page, Link names the first, previous,
// next and last pages as the instance does.
func (s *Server) snowList(w http.ResponseWriter, r *http.Request) {
	table, _, ok := s.snowTableAuth(w, r)
	if !ok {
		return
	}
	q := r.URL.Query()
	query, err := parseQuery(q.Get("sysparm_query"))
	if err != nil {
		snowError(w, http.StatusBadRequest, "Invalid query", err.Error())
		return
	}
	limit, ok := snowCount(w, q, "sysparm_limit", snowMaxLimit)
	if !ok {
		return
	}
	offset, ok := snowCount(w, q, "sysparm_offset", 0)
	if !ok {
		return
	}
	fields := splitFields(q.Get("sysparm_fields"))
	s.mu.Lock()
	var hits []record
	for _, row := range s.tables[table].rowsOrNil() {
		if query.match(func(f string) (string, bool) { return s.fieldLocked(table, row, f) }) {
			hits = append(hits, row)
		}
	}
	query.sort(hits, func(row record, f string) string { v, _ := s.fieldLocked(table, row, f); return v })
	total := len(hits)
	page := []map[string]any{}
	for i := offset; i < total && len(page) < limit; i++ {
		page = append(page, s.renderLocked(table, hits[i], fields, refLinks(r), baseURL(r)))
	}
	s.mu.Unlock()
	w.Header().Set("X-Total-Count", strconv.Itoa(total))
	if link := pageLinks(baseURL(r)+r.URL.Path, r.URL.RawQuery, offset, limit, total); link != "" {
		w.Header().Set("Link", link)
	}
	writeJSONType(w, snowJSON, http.StatusOK, map[string]any{"result": page})
}

func (t *snowTable) rowsOrNil() []record {
	if t == nil {
		return nil
	}
	return t.rows
}

// snowCount reads a non-negative integer parameter (def when absent).
func snowCount(w http.ResponseWriter, q url.Values, name string, def int) (int, bool) {
	v := q.Get(name)
	if v == "" {
		return def, true
	}
	n, err := strconv.Atoi(v)
	if err != nil || n < 0 {
		snowError(w, http.StatusBadRequest, "Invalid "+name, v)
		return 0, false
	}
	return n, true
}

// pageLinks is the Link header of a list page: the request's own URL with
// sysparm_offset and sysparm_limit set for rel first, prev, next and last
// (prev and next only where they exist); "" when one page holds every match.
func pageLinks(base, rawQuery string, offset, limit, total int) string {
	if limit <= 0 || (offset == 0 && total <= limit) {
		return ""
	}
	var keep []string
	for _, part := range strings.Split(rawQuery, "&") {
		name, _, _ := strings.Cut(part, "=")
		if part != "" && name != "sysparm_offset" && name != "sysparm_limit" {
			keep = append(keep, part)
		}
	}
	link := func(off int, rel string) string {
		q := append(keep[:len(keep):len(keep)], "sysparm_offset="+strconv.Itoa(off), "sysparm_limit="+strconv.Itoa(limit))
		return "<" + base + "?" + strings.Join(q, "&") + `>;rel="` + rel + `"`
	}
	last := 0
	if total > 0 {
		last = (total - 1) / limit * limit
	}
	links := []string{link(0, "first")}
	if offset > 0 {
		links = append(links, link(max(offset-limit, 0), "prev"))
	}
	if offset+limit < total {
		links = append(links, link(offset+limit, "next"))
	}
	return strings.Join(append(links, link(last, "last")), ",")
}

// Incident returns a copy of an incident's fields.
func (s *Server) Incident(sysID string) (map[string]string, bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if row := s.tables["incident"].get(sysID); row != nil {
		return maps.Clone(row), true
	}
	return nil, false
}

// Record returns a copy of a record of any table.
func (s *Server) Record(table, sysID string) (map[string]string, bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if row := s.tables[table].get(sysID); row != nil {
		return maps.Clone(row), true
	}
	return nil, false
}

// Journal returns the journal entries written on an incident since the
// simulator started (element "work_notes" or "comments"; "" for both),
// oldest first. The seeded entry DefaultJournalSysID is the instance's
// history: the Table API serves it, Journal and State leave it out.
func (s *Server) Journal(sysID, element string) []JournalEntry {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.journalLocked(sysID, element)
}

func (s *Server) journalLocked(sysID, element string) []JournalEntry {
	var out []JournalEntry
	for _, row := range s.tables["sys_journal_field"].rowsOrNil() {
		j := journalFrom(row)
		if j.ElementID == sysID && (element == "" || j.Element == element) && j.SysID != DefaultJournalSysID {
			out = append(out, j)
		}
	}
	return out
}
