package sim

import (
	"net/http"
	"net/url"
	"slices"
	"strings"
	"testing"
)

func TestUserRolesDotWalked(t *testing.T) {
	e := newEnv(t, Config{})
	tok := e.snowToken(t)
	tests := []struct {
		user, state string
		want        []string
	}{
		{"beth.anglin", "active", []string{"escalator_administrator", "itil", "x_mioms_m365_assis.administrator"}},
		{"david.miller", "active", []string{"escalator_insights_user", "itil", "x_mioms_m365_assis.insights_user"}},
		{"abel.tuter", "active", []string{"itil"}},
		{"abel.tuter", "pending", []string{"escalator_administrator"}},
		{"ABEL.TUTER", "active", []string{"itil"}},
		{IntegrationUser, "active", []string{"itil", "snc_platform_rest_api_access"}},
		{"nobody", "active", nil},
	}
	for _, tt := range tests {
		t.Run(tt.user+" "+tt.state, func(t *testing.T) {
			q := url.Values{"sysparm_query": {"user.user_name=" + tt.user + "^state=" + tt.state}, "sysparm_fields": {"role.name"}}
			r := e.do(t, "GET", "/api/now/table/sys_user_has_role?"+q.Encode(), tok, nil)
			wantStatus(t, r, 200)
			var got []string
			for _, row := range results(t, r) {
				if keys(row) != "role.name" {
					t.Fatalf("row %v, want only role.name", row)
				}
				got = append(got, row["role.name"].(string))
			}
			slices.Sort(got)
			if !slices.Equal(got, tt.want) {
				t.Errorf("roles %v, want %v", got, tt.want)
			}
		})
	}
}

func TestUserRoleRecordShape(t *testing.T) {
	e := newEnv(t, Config{})
	tok := e.snowToken(t)
	r := e.do(t, "GET", "/api/now/table/sys_user?sysparm_query=user_name=beth.anglin", tok, nil)
	wantStatus(t, r, 200)
	users := results(t, r)
	if len(users) != 1 || users[0]["email"] != "beth.anglin@example.com" || users[0]["name"] != "Beth Anglin" ||
		users[0]["active"] != "true" || !sysIDExpr.MatchString(users[0]["sys_id"].(string)) {
		t.Fatalf("sys_user %s", r.raw)
	}
	beth := users[0]["sys_id"].(string)
	r = e.do(t, "GET", "/api/now/table/sys_user_has_role?sysparm_limit=1&sysparm_query=user="+beth, tok, nil)
	row := results(t, r)[0]
	user, _ := row["user"].(map[string]any)
	if user["value"] != beth || user["link"] != e.ts.URL+"/api/now/table/sys_user/"+beth {
		t.Errorf("user reference %v", row["user"])
	}
	if row["state"] != "active" || row["inherited"] != "false" || row["granted_by"] != "" {
		t.Errorf("row %v", row)
	}
	r = e.do(t, "GET", "/api/now/table/sys_user_has_role?sysparm_exclude_reference_link=true&sysparm_limit=1&sysparm_query=user="+beth, tok, nil)
	row = results(t, r)[0]
	role, _ := row["role"].(string)
	if row["user"] != beth || !sysIDExpr.MatchString(role) {
		t.Errorf("plain references %v", row)
	}
	r = e.do(t, "GET", "/api/now/table/sys_user_role/"+role+"?sysparm_fields=name", tok, nil)
	if name := result(t, r)["name"]; name != "itil" {
		t.Errorf("role %v", name)
	}
}

func TestSimUserActs(t *testing.T) {
	e := newEnv(t, Config{})
	tok := e.snowToken(t)
	as := func(user string) http.Header {
		if user == "" {
			return nil
		}
		return http.Header{SimUserHeader: {user}}
	}
	tests := []struct {
		name, user, wantBy string
	}{
		{"an agent's click", "beth.anglin", "beth.anglin"},
		{"another agent", "david.miller", "david.miller"},
		{"the OAuth user", "", IntegrationUser},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := e.doWith(t, "POST", outboxPath, tok, map[string]string{"u_type": "insights"}, as(tt.user))
			wantStatus(t, r, 201)
			if by := result(t, r)["sys_created_by"]; by != tt.wantBy {
				t.Errorf("outbox sys_created_by %v, want %s", by, tt.wantBy)
			}
			note := "note by " + tt.wantBy
			r = e.doWith(t, "PATCH", incidentPath+"/"+DefaultIncidentSysID, tok, map[string]string{"work_notes": note, "state": "6"}, as(tt.user))
			wantStatus(t, r, 200)
			if by := result(t, r)["sys_updated_by"]; by != tt.wantBy {
				t.Errorf("incident sys_updated_by %v, want %s", by, tt.wantBy)
			}
			notes := e.s.Journal(DefaultIncidentSysID, "work_notes")
			if last := notes[len(notes)-1]; last.Value != note || last.SysCreatedBy != tt.wantBy {
				t.Errorf("journal %+v, want %q by %s", last, note, tt.wantBy)
			}
			r = e.doWith(t, "POST", incidentPath, tok, map[string]string{"short_description": "x", "comments": "hi"}, as(tt.user))
			wantStatus(t, r, 201)
			in := result(t, r)
			if in["sys_created_by"] != tt.wantBy || in["opened_by"] != tt.wantBy {
				t.Errorf("incident created by %v, opened by %v", in["sys_created_by"], in["opened_by"])
			}
			if c := e.s.Journal(in["sys_id"].(string), "comments"); len(c) != 1 || c[0].SysCreatedBy != tt.wantBy {
				t.Errorf("comments %+v", c)
			}
		})
	}
	r := e.doWith(t, "PATCH", incidentPath+"/"+DefaultIncidentSysID, tok, map[string]string{"state": "2"}, as("mallory"))
	wantStatus(t, r, 400)
	if !strings.Contains(r.json(t)["error"].(map[string]any)["message"].(string), SimUserHeader) {
		t.Errorf("unknown user: %s", r.raw)
	}
	if in, _ := e.s.Incident(DefaultIncidentSysID); in["state"] != "6" {
		t.Errorf("a refused write changed the incident: state %s", in["state"])
	}
}

func TestJournalEntryByID(t *testing.T) {
	e := newEnv(t, Config{})
	tok := e.snowToken(t)
	r := e.do(t, "GET", "/api/now/table/sys_journal_field/"+DefaultJournalSysID, tok, nil)
	wantStatus(t, r, 200)
	got := result(t, r)
	for k, want := range map[string]string{"sys_id": DefaultJournalSysID, "element_id": DefaultIncidentSysID,
		"element": "work_notes", "name": "incident", "value": DefaultJournalValue, "sys_created_by": "beth.anglin"} {
		if got[k] != want {
			t.Errorf("%s = %v, want %q", k, got[k], want)
		}
	}
	if !snowTimeExpr.MatchString(got["sys_created_on"].(string)) {
		t.Errorf("sys_created_on %v", got["sys_created_on"])
	}
	wantStatus(t, e.do(t, "GET", "/api/now/table/sys_journal_field/"+strings.Repeat("0", 32), tok, nil), 404)
	// an entry a write adds is readable by its id too
	wantStatus(t, e.doWith(t, "PATCH", incidentPath+"/"+DefaultIncidentSysID, tok, map[string]string{"comments": "Thanks"},
		http.Header{SimUserHeader: {"david.miller"}}), 200)
	r = e.do(t, "GET", "/api/now/table/sys_journal_field?sysparm_fields=sys_id&sysparm_query=element=comments", tok, nil)
	id := results(t, r)[0]["sys_id"].(string)
	r = e.do(t, "GET", "/api/now/table/sys_journal_field/"+id+"?sysparm_fields=value,sys_created_by", tok, nil)
	if got := result(t, r); got["value"] != "Thanks" || got["sys_created_by"] != "david.miller" || len(got) != 2 {
		t.Errorf("entry %s", r.raw)
	}
	if e.s.Calls("GET /api/now/table/sys_journal_field/{sys_id}") != 3 {
		t.Errorf("calls %v", e.s.State().Calls)
	}
	// the seeded entry is history: State and Journal list what was written
	if notes := e.s.Journal(DefaultIncidentSysID, ""); len(notes) != 1 || notes[0].Value != "Thanks" {
		t.Errorf("Journal %+v", notes)
	}
}
