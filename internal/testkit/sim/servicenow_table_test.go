package sim

import (
	"fmt"
	"net/url"
	"regexp"
	"strings"
	"testing"
)

const outboxPath = "/api/now/table/u_escalator_outbox"

var snowTimeExpr = regexp.MustCompile(`^\d{4}-\d\d-\d\d \d\d:\d\d:\d\d$`)

// result reads {"result":{…}}.
func result(t *testing.T, r resp) map[string]any {
	t.Helper()
	m, ok := r.json(t)["result"].(map[string]any)
	if !ok {
		t.Fatalf("no result object in %s", r.raw)
	}
	return m
}

// results reads {"result":[…]}.
func results(t *testing.T, r resp) []map[string]any {
	t.Helper()
	list, ok := r.json(t)["result"].([]any)
	if !ok {
		t.Fatalf("no result list in %s", r.raw)
	}
	out := make([]map[string]any, 0, len(list))
	for _, v := range list {
		out = append(out, v.(map[string]any))
	}
	return out
}

func TestTableAPIGenericRecord(t *testing.T) {
	e := newEnv(t, Config{})
	tok := e.snowToken(t)
	r := e.do(t, "POST", outboxPath, tok, map[string]any{
		"u_type": "escalation", "u_incident": DefaultIncidentSysID, "u_payload": `{"incident":{}}`, "u_attempts": 0,
	})
	wantStatus(t, r, 201)
	rec := result(t, r)
	sysID, _ := rec["sys_id"].(string)
	if !sysIDExpr.MatchString(sysID) || r.header.Get("Location") != e.ts.URL+outboxPath+"/"+sysID {
		t.Fatalf("sys_id %q, Location %q", sysID, r.header.Get("Location"))
	}
	for k, v := range rec {
		if _, ok := v.(string); !ok && k != "u_incident" {
			t.Errorf("%s = %#v, want a string", k, v)
		}
	}
	for k, want := range map[string]string{"u_type": "escalation", "u_state": "pending", "u_attempts": "0",
		"u_result": "", "sys_created_by": IntegrationUser, "sys_updated_by": IntegrationUser, "sys_mod_count": "0"} {
		if rec[k] != want {
			t.Errorf("%s = %v, want %q", k, rec[k], want)
		}
	}
	if !snowTimeExpr.MatchString(rec["sys_created_on"].(string)) || rec["sys_created_on"] != rec["sys_updated_on"] {
		t.Errorf("times %v %v", rec["sys_created_on"], rec["sys_updated_on"])
	}
	// a reference comes as {"link","value"} unless sysparm_exclude_reference_link=true
	ref := rec["u_incident"].(map[string]any)
	if ref["value"] != DefaultIncidentSysID || ref["link"] != e.ts.URL+incidentPath+"/"+DefaultIncidentSysID {
		t.Errorf("u_incident %v", ref)
	}
	r = e.do(t, "GET", outboxPath+"/"+sysID+"?sysparm_exclude_reference_link=true&sysparm_fields=u_incident,u_state,u_incident.number", tok, nil)
	wantStatus(t, r, 200)
	if got := result(t, r); keys(got) != "u_incident,u_incident.number,u_state" || got["u_incident"] != DefaultIncidentSysID ||
		got["u_incident.number"] != DefaultIncidentNumber {
		t.Errorf("projected %s", r.raw)
	}

	e.clk.Advance(61e9)
	r = e.do(t, "PATCH", outboxPath+"/"+sysID, tok, map[string]any{"u_state": "sent", "u_event_seq": 42, "sys_created_by": "mallory"})
	wantStatus(t, r, 200)
	rec = result(t, r)
	if rec["u_state"] != "sent" || rec["u_event_seq"] != "42" || rec["sys_mod_count"] != "1" ||
		rec["sys_created_by"] != IntegrationUser || rec["sys_updated_on"] == rec["sys_created_on"] {
		t.Errorf("after PATCH %s", r.raw)
	}
	if e.s.Calls("POST /api/now/table/u_escalator_outbox") != 1 || e.s.Calls("PATCH /api/now/table/u_escalator_outbox/{sys_id}") != 1 {
		t.Errorf("calls %v", e.s.State().Calls)
	}
	rows := e.s.State().Tables["u_escalator_outbox"]
	if len(rows) != 1 || rows[0]["sys_id"] != sysID || rows[0]["u_state"] != "sent" {
		t.Errorf("state tables %v", rows)
	}
	if got, ok := e.s.Record("u_escalator_outbox", sysID); !ok || got["u_event_seq"] != "42" {
		t.Errorf("Record = %v, %v", got, ok)
	}
}

func TestTableAPIErrors(t *testing.T) {
	e := newEnv(t, Config{})
	tok := e.snowToken(t)
	missing := "/00000000000000000000000000000000"
	tests := []struct {
		name, method, path string
		body               any
		status             int
		message            string
	}{
		{"get unknown sys_id", "GET", outboxPath + missing, nil, 404, "No Record found"},
		{"patch unknown sys_id", "PATCH", outboxPath + missing, `{"u_state":"done"}`, 404, "No Record found"},
		{"get in an empty table", "GET", "/api/now/table/problem" + missing, nil, 404, "No Record found"},
		{"bad table name", "GET", "/api/now/table/Sys-User", nil, 400, "Invalid table Sys-User"},
		{"post not json", "POST", outboxPath, `{"u_state":`, 400, "Exception while reading request"},
		{"bad query", "GET", outboxPath + "?sysparm_query=U_STATE=x", nil, 400, "Invalid query"},
		{"bad offset", "GET", outboxPath + "?sysparm_offset=-1", nil, 400, "Invalid sysparm_offset"},
		{"duplicate sys_id", "POST", outboxPath, map[string]string{"sys_id": DefaultIncidentSysID}, 201, ""},
		{"duplicate sys_id again", "POST", outboxPath, map[string]string{"sys_id": DefaultIncidentSysID}, 403, "Operation Failed"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := e.do(t, tt.method, tt.path, tok, tt.body)
			wantStatus(t, r, tt.status)
			if tt.message == "" {
				return
			}
			body := r.json(t)
			msg, _ := body["error"].(map[string]any)
			if body["status"] != "failure" || msg["message"] != tt.message || msg["detail"] == nil {
				t.Errorf("body %s, want message %q", r.raw, tt.message)
			}
		})
	}
	r := e.do(t, "GET", "/api/now/table/problem", tok, nil)
	wantStatus(t, r, 200)
	if n := len(results(t, r)); n != 0 || r.header.Get("X-Total-Count") != "0" {
		t.Errorf("never written table: %s", r.raw)
	}
	if _, ok := e.s.State().Tables["problem"]; ok {
		t.Error("a read created the table")
	}
}

func TestTableAPIQuery(t *testing.T) {
	e := newEnv(t, Config{})
	tok := e.snowToken(t)
	for i, row := range []map[string]string{
		{"u_type": "insights", "u_state": "pending", "u_result": "a"},
		{"u_type": "escalation", "u_state": "sent", "u_result": "b^NQu_type=insights"},
		{"u_type": "update", "u_state": "done", "u_result": "c", "u_incident": DefaultIncidentSysID},
		{"u_type": "escalation", "u_state": "pending", "u_result": "d"},
	} {
		row["u_payload"] = fmt.Sprint(i)
		e.clk.Advance(1e9)
		wantStatus(t, e.do(t, "POST", outboxPath, tok, row), 201)
	}
	tests := []struct {
		query string
		want  string // u_payload of the rows, in order
	}{
		{"", "0,1,2,3"},
		{"u_state=pending", "0,3"},
		{"u_state=PENDING", "0,3"},
		{"u_state!=pending", "1,2"},
		{"u_typeINescalation,update", "1,2,3"},
		{"u_typeNOT INescalation,update", "0"},
		{"u_state=pending^u_type=escalation", "3"},
		{"u_state=pending^ORu_state=done", "0,2,3"},
		{"u_state=done^NQu_type=insights", "0,2"},
		{"u_state=pending^ORDERBYDESCsys_created_on", "3,0"},
		{"ORDERBYu_type^ORDERBYDESCu_payload", "3,1,0,2"},
		{"u_incident.number=" + DefaultIncidentNumber, "2"},
		{"u_incident.short_descriptionLIKEoutlook", "2"},
		{"u_incident.number=INC0000000", ""},
		{"u_result=b^^NQu_type=insights", "1"},
		{"u_result=b^NQu_type=insights", "0"},
		{"u_resultLIKE^^", "1"},
		{"u_nosuchfield=x", ""},
		{"u_state=pending^EQ", "0,3"},
	}
	for _, tt := range tests {
		t.Run(tt.query, func(t *testing.T) {
			r := e.do(t, "GET", outboxPath+"?"+url.Values{"sysparm_query": {tt.query}, "sysparm_fields": {"u_payload"}}.Encode(), tok, nil)
			wantStatus(t, r, 200)
			var got []string
			for _, row := range results(t, r) {
				if len(row) != 1 {
					t.Fatalf("fields %v", row)
				}
				got = append(got, row["u_payload"].(string))
			}
			if strings.Join(got, ",") != tt.want {
				t.Errorf("got %v, want %s", got, tt.want)
			}
		})
	}
}

func TestTableAPIPaging(t *testing.T) {
	e := newEnv(t, Config{})
	tok := e.snowToken(t)
	for i := range 7 {
		wantStatus(t, e.do(t, "POST", outboxPath, tok, map[string]string{"u_payload": fmt.Sprint(i)}), 201)
	}
	base := e.ts.URL + outboxPath + "?sysparm_query=u_state%3Dpending&sysparm_fields=u_payload"
	link := func(off int, rel string) string {
		return fmt.Sprintf(`<%s&sysparm_offset=%d&sysparm_limit=3>;rel="%s"`, base, off, rel)
	}
	tests := []struct {
		name, query string
		want        string // u_payload of the page
		link        string
	}{
		{"first", "&sysparm_limit=3", "0,1,2", link(0, "first") + "," + link(3, "next") + "," + link(6, "last")},
		{"middle", "&sysparm_offset=3&sysparm_limit=3", "3,4,5", link(0, "first") + "," + link(0, "prev") + "," + link(6, "next") + "," + link(6, "last")},
		{"last", "&sysparm_limit=3&sysparm_offset=6", "6", link(0, "first") + "," + link(3, "prev") + "," + link(6, "last")},
		{"one page", "&sysparm_limit=7", "0,1,2,3,4,5,6", ""},
		{"no limit", "", "0,1,2,3,4,5,6", ""},
		{"past the end", "&sysparm_offset=9&sysparm_limit=3", "", link(0, "first") + "," + link(6, "prev") + "," + link(6, "last")},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := e.do(t, "GET", strings.TrimPrefix(base, e.ts.URL)+tt.query, tok, nil)
			wantStatus(t, r, 200)
			var got []string
			for _, row := range results(t, r) {
				got = append(got, row["u_payload"].(string))
			}
			if strings.Join(got, ",") != tt.want {
				t.Errorf("page %v, want %s", got, tt.want)
			}
			if r.header.Get("X-Total-Count") != "7" {
				t.Errorf("X-Total-Count %q", r.header.Get("X-Total-Count"))
			}
			if got := r.header.Get("Link"); got != tt.link {
				t.Errorf("Link\n got %s\nwant %s", got, tt.link)
			}
		})
	}
}

func TestTableAPIFaultsPerTable(t *testing.T) {
	e := newEnv(t, Config{})
	tok := e.snowToken(t)
	wantStatus(t, e.do(t, "POST", "/_sim/faults", "", `{"routes":{"GET /api/now/table/sys_user_has_role":{"status":503}}}`), 200)
	r := e.do(t, "GET", "/api/now/table/sys_user_has_role", tok, nil)
	wantStatus(t, r, 503)
	if r.json(t)["status"] != "failure" {
		t.Errorf("fault body %s", r.raw)
	}
	wantStatus(t, e.do(t, "GET", "/api/now/table/sys_user", tok, nil), 200)
	wantStatus(t, e.do(t, "GET", incidentPath, tok, nil), 200)
	if e.s.Calls("GET /api/now/table/sys_user_has_role") != 1 || e.s.Calls("GET /api/now/table/incident") != 1 {
		t.Errorf("calls %v", e.s.State().Calls)
	}
}
