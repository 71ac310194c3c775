package sim

import (
	"fmt"
	"maps"
	"regexp"
	"strconv"
	"strings"
	"time"
)

// The instance's tables. Every table the Table API is asked for exists
// (empty until written); rows keep their insertion order and hold strings
// only. The tables the simulator knows (tableSpec) add reference fields,
// default fields and the incident's journal and state behaviour.

var (
	tableName = regexp.MustCompile(`^[a-z][a-z0-9_]*$`)
	fieldName = regexp.MustCompile(`^[a-z][a-z0-9_]*$`)
	sysIDExpr = regexp.MustCompile(`^[0-9a-f]{32}$`)
	// systemField are set by the instance, never by the caller.
	systemField = map[string]bool{"sys_id": true, "sys_created_on": true, "sys_created_by": true,
		"sys_updated_on": true, "sys_updated_by": true, "sys_mod_count": true}
)

// snowTable is one table: rows in insertion order, indexed by sys_id.
type snowTable struct {
	rows []record
	byID map[string]record
}

func (t *snowTable) get(sysID string) record {
	if t == nil {
		return nil
	}
	return t.byID[sysID]
}

// tableSpec is what the simulator knows of a table beyond its rows.
type tableSpec struct {
	refs     map[string]string // reference field → the table it points to
	defaults record            // fields of a new record before the caller's
	journal  bool              // work_notes and comments append sys_journal_field rows
}

// spec describes the tables with behaviour of their own.
func spec(table string) tableSpec {
	switch table {
	case "incident":
		return tableSpec{journal: true}
	case "sys_user_has_role":
		return tableSpec{
			refs: map[string]string{"user": "sys_user", "role": "sys_user_role",
				"included_in_role": "sys_user_role", "granted_by": "sys_user_group"},
			defaults: record{"state": "active", "inherited": "false", "included_in_role": "",
				"included_in_role_instance": "", "granted_by": ""},
		}
	case "sys_user":
		return tableSpec{defaults: record{"active": "true", "locked_out": "false", "web_service_access_only": "false",
			"email": "", "first_name": "", "last_name": "", "name": "", "title": "", "department": ""}}
	case "u_escalator_outbox":
		return tableSpec{
			refs: map[string]string{"u_incident": "incident"},
			defaults: record{"u_type": "", "u_incident": "", "u_payload": "", "u_state": "pending", "u_result": "",
				"u_attempts": "0", "u_next_attempt": "", "u_last_error": "", "u_event_seq": ""},
		}
	}
	return tableSpec{}
}

func (s *Server) tableLocked(name string) *snowTable {
	t := s.tables[name]
	if t == nil {
		t = &snowTable{byID: map[string]record{}}
		s.tables[name] = t
	}
	return t
}

// insertLocked adds a record to table, written by user at now, and returns
// it. A valid sys_id among fields is kept (the Table API accepts one); it
// must not be taken.
func (s *Server) insertLocked(table string, fields map[string]any, user string, now time.Time) (record, error) {
	t := s.tableLocked(table)
	sysID, _ := fields["sys_id"].(string)
	if !sysIDExpr.MatchString(sysID) {
		sysID = s.sysIDLocked()
	}
	if t.byID[sysID] != nil {
		return nil, fmt.Errorf("%w: sys_id %s exists", errDuplicate, sysID)
	}
	ts := now.Format(snowTime)
	row := record{}
	if table == "incident" {
		row = newIncidentFields(fmt.Sprintf("INC%07d", s.incNum), user, ts)
		s.incNum++
	}
	maps.Copy(row, spec(table).defaults)
	maps.Copy(row, record{"sys_id": sysID, "sys_created_on": ts, "sys_created_by": user,
		"sys_updated_on": ts, "sys_updated_by": user, "sys_mod_count": "0", "sys_tags": ""})
	s.writeLocked(table, row, fields, user, now)
	t.rows = append(t.rows, row)
	t.byID[sysID] = row
	return row, nil
}

// updateLocked writes fields to row as user and counts the modification.
func (s *Server) updateLocked(table string, row record, fields map[string]any, user string, now time.Time) {
	s.writeLocked(table, row, fields, user, now)
	n, _ := strconv.Atoi(row["sys_mod_count"])
	row["sys_mod_count"] = strconv.Itoa(n + 1)
}

// writeLocked sets the caller's fields on row: system fields are ignored,
// journal fields become journal entries, an incident's state moves its
// dates and active flag.
func (s *Server) writeLocked(table string, row record, fields map[string]any, user string, now time.Time) {
	ts := now.Format(snowTime)
	sp := spec(table)
	before := row["state"]
	for k, v := range fields {
		if !fieldName.MatchString(k) || systemField[k] || (table == "incident" && k == "number") {
			continue
		}
		val := snowString(v)
		if sp.journal && journalField[k] {
			if val != "" {
				s.addJournalLocked(JournalEntry{SysID: s.sysIDLocked(), ElementID: row["sys_id"], Element: k,
					Name: table, Value: val, SysCreatedOn: ts, SysCreatedBy: user})
			}
			continue
		}
		row[k] = val
	}
	if st, ok := fields["state"]; ok && table == "incident" {
		incidentStateChanged(row, snowString(st), ts)
		if row["state"] != before {
			s.stateLog[row["sys_id"]] = append(s.stateLog[row["sys_id"]],
				StateChange{From: before, To: row["state"], SysCreatedOn: ts, SysCreatedBy: user})
		}
	}
	row["sys_updated_on"], row["sys_updated_by"] = ts, user
}

func (s *Server) addJournalLocked(j JournalEntry) {
	t := s.tableLocked("sys_journal_field")
	row := j.record()
	t.rows = append(t.rows, row)
	t.byID[j.SysID] = row
}

// fieldLocked reads field of row in table, walking references
// ("user.user_name"). An empty or dangling reference walks to "".
func (s *Server) fieldLocked(table string, row record, field string) (string, bool) {
	head, rest, walk := strings.Cut(field, ".")
	v, ok := row[head]
	if !ok || !walk {
		return v, ok
	}
	target := spec(table).refs[head]
	if target == "" {
		return "", false
	}
	next := s.tables[target].get(v)
	if next == nil {
		return "", true
	}
	return s.fieldLocked(target, next, rest)
}

// renderLocked is row as the Table API answers it: the fields asked for
// (sysparm_fields; all when empty), dot-walked ones under their dotted
// name, and reference fields as {"link","value"} unless the caller set
// sysparm_exclude_reference_link.
func (s *Server) renderLocked(table string, row record, fields []string, refLinks bool, base string) map[string]any {
	if len(fields) == 0 {
		fields = make([]string, 0, len(row))
		for k := range row {
			fields = append(fields, k)
		}
	}
	refs := spec(table).refs
	out := make(map[string]any, len(fields))
	for _, f := range fields {
		v, ok := s.fieldLocked(table, row, f)
		if !ok {
			continue
		}
		if target := refs[f]; refLinks && target != "" && v != "" {
			out[f] = map[string]string{"link": base + "/api/now/table/" + target + "/" + v, "value": v}
			continue
		}
		out[f] = v
	}
	return out
}

// splitFields reads sysparm_fields.
func splitFields(v string) []string {
	var out []string
	for _, f := range strings.Split(v, ",") {
		if f = strings.TrimSpace(f); f != "" {
			out = append(out, f)
		}
	}
	return out
}
