package sim

import (
	"encoding/hex"
	"fmt"
	"maps"
	"net/http"
	"regexp"
	"strconv"
	"strings"
	"time"
)

// ServiceNow: POST /oauth_token.do and the Table API for incident and
// sys_journal_field. Every value is a string; work_notes and comments are
// journal fields: writing one appends a sys_journal_field row.

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

type incident struct{ f record }

var (
	fieldName    = regexp.MustCompile(`^[a-z][a-z0-9_]*$`)
	journalField = map[string]bool{"work_notes": true, "comments": true}
	readOnly     = map[string]bool{"sys_id": true, "number": true, "sys_created_on": true, "sys_created_by": true,
		"sys_updated_on": true, "sys_updated_by": true, "sys_mod_count": true}
)

// newIncidentFields is the record of a new incident before the caller's fields.
func newIncidentFields(sysID, number, user string, now time.Time) record {
	ts := now.Format(snowTime)
	return record{
		"sys_id": sysID, "number": number, "short_description": "", "description": "",
		"state": "1", "incident_state": "1", "priority": "5", "urgency": "3", "impact": "3",
		"active": "true", "category": "inquiry", "subcategory": "", "assignment_group": "", "assigned_to": "",
		"caller_id": "", "opened_by": user, "opened_at": ts, "resolved_at": "", "closed_at": "",
		"close_code": "", "close_notes": "", "correlation_id": "", "correlation_display": "",
		"work_notes": "", "comments": "", "sys_class_name": "incident", "sys_domain": "global",
		"sys_created_on": ts, "sys_created_by": user, "sys_updated_on": ts, "sys_updated_by": user, "sys_mod_count": "0",
	}
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

func (s *Server) incidentLocked(sysID string) *incident {
	for _, in := range s.incidents {
		if in.f["sys_id"] == sysID {
			return in
		}
	}
	return nil
}

// applyLocked writes fields to an incident; journal fields become journal rows.
func (s *Server) applyLocked(in *incident, fields map[string]any, user string, now time.Time) {
	ts := now.Format(snowTime)
	for k, v := range fields {
		if !fieldName.MatchString(k) || readOnly[k] {
			continue
		}
		val := snowString(v)
		if journalField[k] {
			if val != "" {
				s.journal = append(s.journal, JournalEntry{
					SysID: s.sysIDLocked(), ElementID: in.f["sys_id"], Element: k, Name: "incident",
					Value: val, SysCreatedOn: ts, SysCreatedBy: user,
				})
			}
			continue
		}
		in.f[k] = val
	}
	if st, ok := fields["state"]; ok {
		switch snowString(st) {
		case "6":
			in.f["resolved_at"], in.f["active"] = ts, "false"
		case "7", "8":
			in.f["closed_at"], in.f["active"] = ts, "false"
		default:
			in.f["active"] = "true"
		}
		in.f["incident_state"] = in.f["state"]
	}
	in.f["sys_updated_on"], in.f["sys_updated_by"] = ts, user
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
		return fmt.Sprint(x)
	}
}

func (s *Server) sysIDLocked() string {
	var b [16]byte
	for i := range b {
		b[i] = byte(s.rng.UintN(256))
	}
	return hex.EncodeToString(b[:])
}

// project keeps the sysparm_fields of a record (all when empty).
func project(r record, fields string) record {
	if strings.TrimSpace(fields) == "" {
		return maps.Clone(r)
	}
	out := record{}
	for _, f := range strings.Split(fields, ",") {
		f = strings.TrimSpace(f)
		if v, ok := r[f]; ok {
			out[f] = v
		}
	}
	return out
}
