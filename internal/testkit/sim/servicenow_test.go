package sim

import (
	"net/http"
	"net/url"
	"regexp"
	"strings"
	"testing"
)

const incidentPath = "/api/now/table/incident"

func TestServiceNowOAuth(t *testing.T) {
	e := newEnv(t, Config{})
	r := e.do(t, "POST", "/oauth_token.do", "", url.Values{
		"grant_type": {"client_credentials"}, "client_id": {DefaultServiceNowClientID}, "client_secret": {DefaultServiceNowClientSecret},
	})
	wantStatus(t, r, 200)
	m := r.json(t)
	if m["token_type"] != "Bearer" || m["expires_in"] != float64(1799) || m["scope"] == nil || m["access_token"] == "" {
		t.Fatalf("body %s", r.raw)
	}
	r = e.do(t, "POST", "/oauth_token.do", "", url.Values{
		"grant_type": {"client_credentials"}, "client_id": {DefaultServiceNowClientID}, "client_secret": {"wrong"},
	})
	wantStatus(t, r, 401)
	if r.json(t)["error_description"] != "access_denied" {
		t.Fatalf("body %s", r.raw)
	}
	wantStatus(t, e.do(t, "POST", "/_sim/faults", "", `{"servicenow_oauth_denied":true}`), 200)
	wantStatus(t, e.do(t, "POST", "/oauth_token.do", "", url.Values{
		"grant_type": {"client_credentials"}, "client_id": {DefaultServiceNowClientID}, "client_secret": {DefaultServiceNowClientSecret},
	}), 401)
}

func TestServiceNowIncidentReadWrite(t *testing.T) {
	e := newEnv(t, Config{})
	tok := e.snowToken(t)
	r := e.do(t, "GET", incidentPath+"/"+DefaultIncidentSysID, tok, nil)
	wantStatus(t, r, 200)
	res := r.json(t)["result"].(map[string]any)
	for k, v := range res {
		if _, ok := v.(string); !ok {
			t.Errorf("field %s = %#v, want a string", k, v)
		}
	}
	if res["number"] != DefaultIncidentNumber || !strings.HasPrefix(res["short_description"].(string), "Outlook cannot connect") {
		t.Fatalf("incident %s", r.raw)
	}
	r = e.do(t, "GET", incidentPath+"/"+DefaultIncidentSysID+"?sysparm_fields=number,state", tok, nil)
	if res := r.json(t)["result"].(map[string]any); len(res) != 2 || res["state"] != "2" {
		t.Fatalf("projected %s", r.raw)
	}
	// a work note is a journal entry, not a field
	r = e.do(t, "PATCH", incidentPath+"/"+DefaultIncidentSysID, tok, map[string]any{
		"work_notes": "Microsoft case 2611250040000001 opened [escalator:abc123]", "correlation_id": "2611250040000001", "priority": 1,
	})
	wantStatus(t, r, 200)
	res = r.json(t)["result"].(map[string]any)
	if res["work_notes"] != "" || res["correlation_id"] != "2611250040000001" || res["priority"] != "1" || res["sys_mod_count"] != "1" {
		t.Fatalf("after patch %s", r.raw)
	}
	notes := e.s.Journal(DefaultIncidentSysID, "work_notes")
	if len(notes) != 1 || notes[0].SysCreatedBy != snowOAuthUser || !regexp.MustCompile(`^\d{4}-\d\d-\d\d \d\d:\d\d:\d\d$`).MatchString(notes[0].SysCreatedOn) {
		t.Fatalf("journal %+v", notes)
	}
	// PUT behaves as PATCH; resolving sets resolved_at and active
	r = e.do(t, "PUT", incidentPath+"/"+DefaultIncidentSysID, tok, `{"state":"6","close_code":"Solved (Permanently)"}`)
	wantStatus(t, r, 200)
	res = r.json(t)["result"].(map[string]any)
	if res["active"] != "false" || res["resolved_at"] == "" {
		t.Fatalf("resolved %s", r.raw)
	}
	for _, m := range []string{"GET", "PATCH"} {
		r = e.do(t, m, incidentPath+"/00000000000000000000000000000000", tok, `{}`)
		wantStatus(t, r, 404)
		if body := r.json(t); body["status"] != "failure" || body["error"].(map[string]any)["message"] != "No Record found" {
			t.Fatalf("404 body %s", r.raw)
		}
	}
	wantStatus(t, e.do(t, "PATCH", incidentPath+"/"+DefaultIncidentSysID, tok, `not json`), 400)
}

func TestServiceNowCreateAndQuery(t *testing.T) {
	e := newEnv(t, Config{})
	tok := e.snowToken(t)
	r := e.do(t, "POST", incidentPath, tok, map[string]any{
		"short_description": "Exchange Online: Outlook desktop clients cannot connect", "correlation_id": "EX123456",
		"assignment_group": "Messaging", "work_notes": "Created from Microsoft service health issue EX123456",
	})
	wantStatus(t, r, 201)
	res := r.json(t)["result"].(map[string]any)
	sysID := res["sys_id"].(string)
	if !regexp.MustCompile(`^[0-9a-f]{32}$`).MatchString(sysID) || res["number"] != "INC0010024" || res["sys_created_on"] == "" {
		t.Fatalf("created %s", r.raw)
	}
	if r.header.Get("Location") != e.ts.URL+incidentPath+"/"+sysID {
		t.Fatalf("Location %q", r.header.Get("Location"))
	}
	r = e.do(t, "POST", incidentPath, tok, map[string]any{"short_description": "second"})
	if r.json(t)["result"].(map[string]any)["number"] != "INC0010025" {
		t.Fatalf("second %s", r.raw)
	}
	tests := []struct {
		query string
		want  []string
	}{
		{"number=INC0010023", []string{DefaultIncidentNumber}},
		{"correlation_id=EX123456", []string{"INC0010024"}},
		{"correlation_id=nope", nil},
		{"short_descriptionLIKEoutlook", []string{"INC0010023", "INC0010024"}},
		{"number=INC0010023^ORnumber=INC0010025", []string{"INC0010023", "INC0010025"}},
		{"active=true^ORDERBYDESCnumber", []string{"INC0010025", "INC0010024", "INC0010023"}},
		{"u_nosuchfield=1", nil},
		{"numberININC0010024,INC0010025^NQnumber=INC0010023", []string{"INC0010023", "INC0010024", "INC0010025"}},
	}
	for _, tt := range tests {
		t.Run(tt.query, func(t *testing.T) {
			r := e.do(t, "GET", incidentPath+"?"+url.Values{"sysparm_query": {tt.query}, "sysparm_fields": {"number,sys_id"}}.Encode(), tok, nil)
			wantStatus(t, r, 200)
			var got []string
			for _, v := range r.json(t)["result"].([]any) {
				row := v.(map[string]any)
				if len(row) != 2 {
					t.Fatalf("fields %v", row)
				}
				got = append(got, row["number"].(string))
			}
			if strings.Join(got, ",") != strings.Join(tt.want, ",") {
				t.Fatalf("got %v, want %v", got, tt.want)
			}
		})
	}
	r = e.do(t, "GET", incidentPath+"?sysparm_limit=1&sysparm_offset=1", tok, nil)
	if n := len(r.json(t)["result"].([]any)); n != 1 || r.header.Get("X-Total-Count") != "3" {
		t.Fatalf("limit: %d rows, total %q", n, r.header.Get("X-Total-Count"))
	}
	wantStatus(t, e.do(t, "GET", incidentPath+"?sysparm_limit=x", tok, nil), 400)
}

func TestServiceNowJournalQuery(t *testing.T) {
	e := newEnv(t, Config{})
	tok := e.snowToken(t)
	for _, note := range []string{"first note [escalator:k1]", "second note [escalator:k2]"} {
		wantStatus(t, e.do(t, "PATCH", incidentPath+"/"+DefaultIncidentSysID, tok, map[string]string{"work_notes": note}), 200)
	}
	wantStatus(t, e.do(t, "PATCH", incidentPath+"/"+DefaultIncidentSysID, tok, map[string]string{"comments": "customer visible [escalator:k3]"}), 200)
	query := func(q string) []any {
		t.Helper()
		r := e.do(t, "GET", "/api/now/table/sys_journal_field?"+url.Values{"sysparm_query": {q}, "sysparm_limit": {"10"}}.Encode(), tok, nil)
		wantStatus(t, r, 200)
		return r.json(t)["result"].([]any)
	}
	got := query("element_id=" + DefaultIncidentSysID + "^element=work_notes^valueLIKE[escalator:k2]^name=incident")
	if len(got) != 1 {
		t.Fatalf("%d rows", len(got))
	}
	row := got[0].(map[string]any)
	for _, k := range []string{"sys_id", "element_id", "element", "name", "value", "sys_created_on"} {
		if s, _ := row[k].(string); s == "" {
			t.Errorf("%s empty in %v", k, row)
		}
	}
	if n := len(query("element_id=" + DefaultIncidentSysID + "^element=work_notes^valueLIKE[escalator:k3]")); n != 0 {
		t.Fatalf("comment found as work note: %d", n)
	}
	// the two notes and the seeded one (DefaultJournalSysID)
	if n := len(query("element_id=" + DefaultIncidentSysID + "^element=work_notes")); n != 3 {
		t.Fatalf("%d work notes", n)
	}
	st := e.s.State()
	if wn := st.Incidents[0].WorkNotes; len(wn) != 2 || wn[1].Value != "second note [escalator:k2]" {
		t.Fatalf("state work notes %+v", wn)
	}
}

// A journal entry keeps its text as written: ServiceNow renders a
// [code]…[/code] block as HTML only when it displays the entry, so a hidden
// marker is still in the stored value, and a LIKE on it finds the entry.
func TestServiceNowJournalKeepsCodeBlocks(t *testing.T) {
	e := newEnv(t, Config{})
	tok := e.snowToken(t)
	note := "Escalated.\n" + `[code]<span style="display:none">[escalator:k1]</span>[/code]`
	wantStatus(t, e.do(t, "PATCH", incidentPath+"/"+DefaultIncidentSysID, tok, map[string]string{"work_notes": note}), 200)
	q := "element_id=" + DefaultIncidentSysID + "^element=work_notes^valueLIKE[escalator:k1]"
	r := e.do(t, "GET", "/api/now/table/sys_journal_field?"+url.Values{"sysparm_query": {q}, "sysparm_fields": {"value"}}.Encode(), tok, nil)
	wantStatus(t, r, 200)
	got := r.json(t)["result"].([]any)
	if len(got) != 1 || got[0].(map[string]any)["value"] != note {
		t.Fatalf("journal rows %v, want one with the value %q", got, note)
	}
}

func TestServiceNowAuthAndCrossScope(t *testing.T) {
	e := newEnv(t, Config{})
	req, _ := http.NewRequest("GET", e.ts.URL+incidentPath+"/"+DefaultIncidentSysID, nil)
	req.SetBasicAuth(DefaultServiceNowUser, DefaultServiceNowPassword)
	res, err := e.ts.Client().Do(req)
	if err != nil {
		t.Fatal(err)
	}
	res.Body.Close()
	if res.StatusCode != 200 {
		t.Fatalf("basic auth: %d", res.StatusCode)
	}
	req.SetBasicAuth(DefaultServiceNowUser, "wrong")
	res, err = e.ts.Client().Do(req)
	if err != nil {
		t.Fatal(err)
	}
	res.Body.Close()
	if res.StatusCode != 401 {
		t.Fatalf("wrong password: %d", res.StatusCode)
	}
	tok := e.snowToken(t)
	wantStatus(t, e.do(t, "POST", "/_sim/faults", "", `{"servicenow_cross_scope":true}`), 200)
	r := e.do(t, "GET", incidentPath+"/"+DefaultIncidentSysID, tok, nil)
	wantStatus(t, r, 403)
	detail := r.json(t)["error"].(map[string]any)["detail"].(string)
	if !strings.Contains(detail, "cross-scope access policy") || !strings.Contains(detail, "incident") {
		t.Fatalf("detail %q", detail)
	}
}

func TestSplitTerms(t *testing.T) {
	tests := []struct{ q, want string }{
		{"a=1^b=2", "a=1|b=2"},
		{"a=x^^y^b=2", "a=x^y|b=2"},
		{"a=x^^^b=2", "a=x^|b=2"},
		{"a=1^b=^^x", "a=1|b=^x"},
		{"a=^^^^", "a=^^"},
		{"a=1^NQb=2^ORc=3", "a=1|NQb=2|ORc=3"},
		{"", ""},
	}
	for _, tt := range tests {
		if got := strings.Join(splitTerms(tt.q), "|"); got != tt.want {
			t.Errorf("splitTerms(%q) = %q, want %q", tt.q, got, tt.want)
		}
	}
}

func TestParseQueryErrors(t *testing.T) {
	for _, q := range []string{"NUMBER=1", "number", "=x", "a=1^ORDERBYNumber", "a..b=1"} {
		if _, err := parseQuery(q); err == nil {
			t.Errorf("%q parsed", q)
		}
	}
}

func FuzzParseQuery(f *testing.F) {
	for _, s := range []string{"number=INC0010023", "element_id=x^element=work_notes^valueLIKEy", "a=1^ORb=2^NQc!=3^ORDERBYDESCd", "xISEMPTY", "value=a^^b^NQuser.user_name=x"} {
		f.Add(s)
	}
	row := record{"number": "INC0010023", "value": "x", "a": "1"}
	get := func(r record, f string) string { return r[f] }
	f.Fuzz(func(t *testing.T, q string) {
		query, err := parseQuery(q)
		if err != nil {
			return
		}
		query.match(func(f string) (string, bool) { v, ok := row[f]; return v, ok })
		query.sort([]record{row, {"number": "b"}}, get)
	})
}
