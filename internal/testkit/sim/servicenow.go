package sim

import (
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"strconv"
)

// ServiceNow: POST /oauth_token.do and who a Table API call acts as. Every
// value is a string; an incident's work_notes and comments are journal
// fields: writing one appends a sys_journal_field row.

const (
	snowTime        = "2006-01-02 15:04:05"
	snowOAuthUser   = "escalator.integration"
	snowScopeDenied = "x_escalator"
)

// JournalEntry is a sys_journal_field row.
type JournalEntry struct {
	SysID        string `json:"sys_id"`
	ElementID    string `json:"element_id"` // the incident's sys_id
	Element      string `json:"element"`    // work_notes | comments
	Name         string `json:"name"`       // the table: incident
	Value        string `json:"value"`
	SysCreatedOn string `json:"sys_created_on"`
	SysCreatedBy string `json:"sys_created_by"`
}

func (j JournalEntry) record() record {
	return record{"sys_id": j.SysID, "element_id": j.ElementID, "element": j.Element, "name": j.Name,
		"value": j.Value, "sys_created_on": j.SysCreatedOn, "sys_created_by": j.SysCreatedBy, "sys_tags": ""}
}

func journalFrom(r record) JournalEntry {
	return JournalEntry{SysID: r["sys_id"], ElementID: r["element_id"], Element: r["element"], Name: r["name"],
		Value: r["value"], SysCreatedOn: r["sys_created_on"], SysCreatedBy: r["sys_created_by"]}
}

var (
	journalField = map[string]bool{"work_notes": true, "comments": true}
	errDuplicate = errors.New("record exists")
)

// newIncidentFields is a new incident before the caller's fields.
func newIncidentFields(number, user, ts string) record {
	return record{
		"number": number, "short_description": "", "description": "",
		"state": "1", "incident_state": "1", "priority": "5", "urgency": "3", "impact": "3",
		"active": "true", "category": "inquiry", "subcategory": "", "assignment_group": "", "assigned_to": "",
		"caller_id": "", "opened_by": user, "opened_at": ts, "resolved_at": "", "closed_at": "",
		"close_code": "", "close_notes": "", "correlation_id": "", "correlation_display": "",
		"work_notes": "", "comments": "", "sys_class_name": "incident", "sys_domain": "global",
	}
}

// incidentStateChanged keeps an incident's dates and active flag in step
// with a state written at ts.
func incidentStateChanged(in record, state, ts string) {
	switch state {
	case "6":
		in["resolved_at"], in["active"] = ts, "false"
	case "7", "8":
		in["closed_at"], in["active"] = ts, "false"
	default:
		in["active"] = "true"
	}
	in["incident_state"] = in["state"]
}

// snowAuth accepts a ServiceNow OAuth bearer token or basic auth and returns
// the user name; it answers 401/403 itself.
func (s *Server) snowAuth(w http.ResponseWriter, r *http.Request, table string) (string, bool) {
	user := ""
	if u, p, ok := r.BasicAuth(); ok {
		if u == s.cfg.ServiceNowUser && p == s.cfg.ServiceNowPassword {
			user = u
		}
	} else if prob, _ := s.checkToken(r, audServiceNow); prob == tokenOK {
		user = snowOAuthUser
	}
	if user == "" {
		snowError(w, http.StatusUnauthorized, "User Not Authenticated", "Required to provide Auth information")
		return "", false
	}
	s.mu.Lock()
	crossScope := s.faults.ServiceNowCrossScope
	s.mu.Unlock()
	if crossScope {
		op := map[string]string{http.MethodGet: "Read", http.MethodPost: "Create"}[r.Method]
		if op == "" {
			op = "Write"
		}
		snowError(w, http.StatusForbidden, "User Not Authorized", fmt.Sprintf(
			"%s operation against '%s': Access to table '%s' from scope '%s' has been refused due to the table's cross-scope access policy", op, table, table, snowScopeDenied))
		return "", false
	}
	return user, true
}

func (s *Server) snowToken(w http.ResponseWriter, r *http.Request) {
	deny := func() {
		writeJSON(w, http.StatusUnauthorized, map[string]string{"error_description": "access_denied", "error": "server_error"})
	}
	if err := r.ParseForm(); err != nil {
		deny()
		return
	}
	id, secret := r.PostForm.Get("client_id"), r.PostForm.Get("client_secret")
	if u, p, ok := r.BasicAuth(); ok {
		id, secret = u, p
	}
	s.mu.Lock()
	denied := s.faults.ServiceNowOAuthDenied
	s.mu.Unlock()
	if denied || id != s.cfg.ServiceNowClientID || secret != s.cfg.ServiceNowClientSecret {
		deny()
		return
	}
	switch r.PostForm.Get("grant_type") {
	case "client_credentials":
	case "password":
		if r.PostForm.Get("username") != s.cfg.ServiceNowUser || r.PostForm.Get("password") != s.cfg.ServiceNowPassword {
			deny()
			return
		}
	default:
		writeJSON(w, http.StatusBadRequest, map[string]string{"error_description": "Unsupported grant type", "error": "unsupported_grant_type"})
		return
	}
	tok, life, _ := s.issueToken(audServiceNow, s.cfg.ServiceNowTokenLifetime)
	writeJSON(w, http.StatusOK, map[string]any{
		"access_token": tok, "scope": "useraccount", "token_type": "Bearer", "expires_in": expiresIn(life),
	})
}

func snowString(v any) string {
	switch x := v.(type) {
	case nil:
		return ""
	case string:
		return x
	case bool:
		return strconv.FormatBool(x)
	case float64:
		return strconv.FormatFloat(x, 'f', -1, 64)
	default:
		b, err := json.Marshal(x)
		if err != nil {
			return fmt.Sprint(x)
		}
		return string(b)
	}
}

func (s *Server) sysIDLocked() string {
	var b [16]byte
	for i := range b {
		b[i] = byte(s.rng.UintN(256))
	}
	return hex.EncodeToString(b[:])
}
