package sim

import (
	"fmt"
	"net/http"
	"net/url"
	"regexp"
	"strconv"
	"strings"
	"time"
)

// Graph service health: /v1.0/admin/serviceAnnouncement/{healthOverviews,issues}.

const graphMeta = "https://graph.microsoft.com/v1.0/$metadata#"

// healthService is one entry of healthOverviews.
type healthService struct {
	id, name string
	pascal   bool // serve the status in PascalCase, as Graph sometimes does
}

// graphAuth checks the bearer token for Graph and answers 401 when it fails.
func (s *Server) graphAuth(w http.ResponseWriter, r *http.Request) bool {
	prob, _ := s.checkToken(r, audGraph)
	if prob == tokenOK {
		return true
	}
	msg := map[tokenProblem]string{
		tokenMissing:  "Access token is empty.",
		tokenUnknown:  "IDX14100: JWT is not well formed, there are no dots (.).",
		tokenExpired:  "Lifetime validation failed, the token is expired.",
		tokenAudience: "Invalid audience.",
	}[prob]
	w.Header().Set("WWW-Authenticate", `Bearer realm="", authorization_uri="https://login.microsoftonline.com/common/oauth2/authorize", client_id="00000003-0000-0000-c000-000000000000"`)
	s.graphError(w, http.StatusUnauthorized, "InvalidAuthenticationToken", msg)
	return false
}

// graphPermission is graphAuth plus a permission a fault can withdraw:
// while forbidden(faults) holds, the caller gets Graph's 403 with code and
// msg.
func (s *Server) graphPermission(w http.ResponseWriter, r *http.Request, forbidden func(Faults) bool, code, msg string) bool {
	if !s.graphAuth(w, r) {
		return false
	}
	s.mu.Lock()
	denied := forbidden(s.faults)
	s.mu.Unlock()
	if denied {
		s.graphError(w, http.StatusForbidden, code, msg)
		return false
	}
	return true
}

// healthAuth adds the ServiceHealth.Read.All permission check.
func (s *Server) healthAuth(w http.ResponseWriter, r *http.Request) bool {
	return s.graphPermission(w, r, func(f Faults) bool { return f.GraphForbidden }, "Forbidden",
		"Missing role permissions on the request. API requires one of 'ServiceHealth.Read.All'. Roles on the request ''.")
}

func (s *Server) overviewLocked(svc healthService, expand bool) map[string]any {
	status := "serviceOperational"
	var best *HealthIssue
	var issues []HealthIssue
	for _, is := range s.issues {
		if !strings.EqualFold(is.Service, svc.name) {
			continue
		}
		issues = append(issues, is.clone())
		if is.IsResolved {
			continue
		}
		if best == nil || outranks(is, best) {
			best = is
		}
	}
	if best != nil {
		status = best.Status
	}
	if svc.pascal && status != "" {
		status = strings.ToUpper(status[:1]) + status[1:]
	}
	o := map[string]any{"service": svc.name, "status": status, "id": svc.id}
	if expand {
		if issues == nil {
			issues = []HealthIssue{}
		}
		o["issues"] = issues
	}
	return o
}

// outranks says whether active issue a decides a service's status over b:
// incidents over advisories, then the most recently modified.
func outranks(a, b *HealthIssue) bool {
	ai, bi := strings.EqualFold(a.Classification, "incident"), strings.EqualFold(b.Classification, "incident")
	if ai != bi {
		return ai
	}
	return a.LastModifiedDateTime.After(b.LastModifiedDateTime)
}

func wantsIssues(r *http.Request) bool {
	return strings.Contains(strings.ToLower(queryParam(r, "expand")), "issues")
}

// queryParam reads an OData system query option with or without its "$".
func queryParam(r *http.Request, name string) string {
	q := r.URL.Query()
	if v := q.Get("$" + name); v != "" {
		return v
	}
	return q.Get(name)
}

func (s *Server) graphOverviews(w http.ResponseWriter, r *http.Request) {
	if !s.healthAuth(w, r) {
		return
	}
	expand := wantsIssues(r)
	s.mu.Lock()
	value := make([]map[string]any, 0, len(s.services))
	for _, svc := range s.services {
		value = append(value, s.overviewLocked(svc, expand))
	}
	s.mu.Unlock()
	// One page holds every service unless the caller asks for smaller ones.
	writePage(s, w, r, "admin/serviceAnnouncement/healthOverviews", value, pageSize(w, r, len(value)))
}

func (s *Server) graphOverview(w http.ResponseWriter, r *http.Request) {
	if !s.healthAuth(w, r) {
		return
	}
	name := r.PathValue("service")
	s.mu.Lock()
	var found map[string]any
	for _, svc := range s.services {
		if strings.EqualFold(svc.name, name) || strings.EqualFold(svc.id, name) {
			found = s.overviewLocked(svc, wantsIssues(r))
		}
	}
	s.mu.Unlock()
	if found == nil {
		s.graphError(w, http.StatusNotFound, "NotFound", fmt.Sprintf("Service '%s' was not found.", name))
		return
	}
	found["@odata.context"] = graphMeta + "admin/serviceAnnouncement/healthOverviews/$entity"
	writeJSON(w, http.StatusOK, found)
}

func (s *Server) graphIssue(w http.ResponseWriter, r *http.Request) {
	if !s.healthAuth(w, r) {
		return
	}
	id := r.PathValue("id")
	is, ok := s.Issue(id)
	if !ok {
		s.graphError(w, http.StatusNotFound, "NotFound", fmt.Sprintf("The issue '%s' does not exist for the tenant.", id))
		return
	}
	writeJSON(w, http.StatusOK, struct {
		Context string `json:"@odata.context"`
		HealthIssue
	}{graphMeta + "admin/serviceAnnouncement/issues/$entity", is})
}

func (s *Server) graphIssues(w http.ResponseWriter, r *http.Request) {
	if !s.healthAuth(w, r) {
		return
	}
	match, err := parseIssueFilter(queryParam(r, "filter"))
	if err != nil {
		s.graphError(w, http.StatusBadRequest, "BadRequest", "Invalid filter clause: "+err.Error())
		return
	}
	size := pageSize(w, r, s.cfg.PageSize)
	if t := queryParam(r, "top"); t != "" {
		n, err := strconv.Atoi(t)
		if err != nil || n < 1 {
			s.graphError(w, http.StatusBadRequest, "BadRequest", fmt.Sprintf("Invalid value '%s' for $top.", t))
			return
		}
		size = min(size, n, 100)
	}
	var all []HealthIssue
	for _, is := range s.Issues() {
		if match(is) {
			all = append(all, is)
		}
	}
	writePage(s, w, r, "admin/serviceAnnouncement/issues", all, size)
}

// pageSize is the page size a list answers with: Prefer:
// odata.maxpagesize=N (1..1000) when the caller sent it, which the answer
// then confirms in Preference-Applied, else def.
func pageSize(w http.ResponseWriter, r *http.Request, def int) int {
	for _, h := range r.Header.Values("Prefer") {
		for _, pref := range strings.Split(h, ",") {
			name, val, _ := strings.Cut(strings.TrimSpace(pref), "=")
			if !strings.EqualFold(strings.TrimSpace(name), "odata.maxpagesize") {
				continue
			}
			if n, err := strconv.Atoi(strings.Trim(strings.TrimSpace(val), `"`)); err == nil && n >= 1 && n <= 1000 {
				w.Header().Set("Preference-Applied", "odata.maxpagesize="+strconv.Itoa(n))
				return n
			}
		}
	}
	return def
}

// writePage answers one page of all (from $skiptoken) with an
// @odata.nextLink to the next when there is one.
func writePage[T any](s *Server, w http.ResponseWriter, r *http.Request, path string, all []T, size int) {
	offset := 0
	if t := queryParam(r, "skiptoken"); t != "" {
		n, err := strconv.Atoi(t)
		if err != nil || n < 0 {
			s.graphError(w, http.StatusBadRequest, "BadRequest", "Invalid $skiptoken.")
			return
		}
		offset = n
	}
	page := []T{}
	if offset < len(all) {
		page = all[offset:min(offset+size, len(all))]
	}
	body := map[string]any{"@odata.context": graphMeta + path, "value": page}
	if offset+size < len(all) {
		q := url.Values{}
		for _, name := range []string{"filter", "top", "expand"} {
			if v := queryParam(r, name); v != "" {
				q.Set("$"+name, v)
			}
		}
		q.Set("$skiptoken", strconv.Itoa(offset+size))
		body["@odata.nextLink"] = baseURL(r) + "/v1.0/" + path + "?" + q.Encode()
	}
	writeJSON(w, http.StatusOK, body)
}

var (
	andSplit   = regexp.MustCompile(`(?i)\s+and\s+`)
	clauseExpr = regexp.MustCompile(`^(\w+)\s+(eq|ne|gt|ge|lt|le)\s+(.+)$`)
)

// parseIssueFilter understands clauses joined by "and":
// <string prop> eq|ne '<v>', isResolved eq|ne true|false,
// <date prop> eq|ne|gt|ge|lt|le <RFC 3339 time>. Comparisons of strings
// ignore case, as Graph's enum comparisons do.
func parseIssueFilter(f string) (func(HealthIssue) bool, error) {
	return parseClauses(f, issuePredicate)
}

// parseClauses is the OData $filter both Graph and ARM take: clauses
// "<prop> <op> <literal>" joined by "and", each made a predicate by clause
// (op lower-cased); a value matches when every clause holds, and any
// value matches an empty filter.
func parseClauses[T any](f string, clause func(prop, op, lit string) (func(T) bool, error)) (func(T) bool, error) {
	f = strings.TrimSpace(f)
	if f == "" {
		return func(T) bool { return true }, nil
	}
	var preds []func(T) bool
	for _, c := range andSplit.Split(f, -1) {
		m := clauseExpr.FindStringSubmatch(strings.TrimSpace(c))
		if m == nil {
			return nil, fmt.Errorf("cannot parse %q", c)
		}
		p, err := clause(m[1], strings.ToLower(m[2]), strings.TrimSpace(m[3]))
		if err != nil {
			return nil, err
		}
		preds = append(preds, p)
	}
	return func(v T) bool {
		for _, p := range preds {
			if !p(v) {
				return false
			}
		}
		return true
	}, nil
}

func issuePredicate(prop, op, lit string) (func(HealthIssue) bool, error) {
	str := map[string]func(HealthIssue) string{
		"id": func(i HealthIssue) string { return i.ID }, "title": func(i HealthIssue) string { return i.Title },
		"service": func(i HealthIssue) string { return i.Service }, "feature": func(i HealthIssue) string { return i.Feature },
		"featuregroup":   func(i HealthIssue) string { return i.FeatureGroup },
		"classification": func(i HealthIssue) string { return i.Classification },
		"status":         func(i HealthIssue) string { return i.Status }, "origin": func(i HealthIssue) string { return i.Origin },
	}
	date := map[string]func(HealthIssue) *time.Time{
		"startdatetime":        func(i HealthIssue) *time.Time { return &i.StartDateTime },
		"enddatetime":          func(i HealthIssue) *time.Time { return i.EndDateTime },
		"lastmodifieddatetime": func(i HealthIssue) *time.Time { return &i.LastModifiedDateTime },
	}
	key := strings.ToLower(prop)
	if get, ok := str[key]; ok {
		if op != "eq" && op != "ne" {
			return nil, fmt.Errorf("operator %s not supported for %s", op, prop)
		}
		v, ok := quoted(lit)
		if !ok {
			return nil, fmt.Errorf("%s: want a quoted string, got %s", prop, lit)
		}
		return func(i HealthIssue) bool { return strings.EqualFold(get(i), v) == (op == "eq") }, nil
	}
	if get, ok := date[key]; ok {
		t, err := time.Parse(time.RFC3339, strings.Trim(lit, "'"))
		if err != nil {
			return nil, fmt.Errorf("%s: want an RFC 3339 time, got %s", prop, lit)
		}
		return func(i HealthIssue) bool {
			v := get(i)
			if v == nil {
				return op == "ne"
			}
			c := v.Compare(t)
			return map[string]bool{"eq": c == 0, "ne": c != 0, "gt": c > 0, "ge": c >= 0, "lt": c < 0, "le": c <= 0}[op]
		}, nil
	}
	if key == "isresolved" {
		if op != "eq" && op != "ne" {
			return nil, fmt.Errorf("operator %s not supported for %s", op, prop)
		}
		b, err := strconv.ParseBool(strings.ToLower(lit))
		if err != nil {
			return nil, fmt.Errorf("isResolved: want true or false, got %s", lit)
		}
		return func(i HealthIssue) bool { return (i.IsResolved == b) == (op == "eq") }, nil
	}
	return nil, fmt.Errorf("could not find a property named '%s' on type 'microsoft.graph.serviceHealthIssue'", prop)
}

// quoted reads one OData string literal ('it”s'), rejecting trailing text.
func quoted(lit string) (string, bool) {
	if len(lit) < 2 || lit[0] != '\'' || lit[len(lit)-1] != '\'' {
		return "", false
	}
	inner := strings.ReplaceAll(lit[1:len(lit)-1], "''", "")
	if strings.Contains(inner, "'") {
		return "", false
	}
	return strings.ReplaceAll(lit[1:len(lit)-1], "''", "'"), true
}
