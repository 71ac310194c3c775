package sim

import (
	"net/url"
	"strings"
	"testing"
	"time"
)

const issuesPath = "/v1.0/admin/serviceAnnouncement/issues"

// listIssues follows @odata.nextLink and returns every issue and the page count.
func listIssues(t *testing.T, e *env, tok, query string) ([]map[string]any, int) {
	t.Helper()
	next := issuesPath
	if query != "" {
		next += "?" + query
	}
	var all []map[string]any
	pages := 0
	for next != "" {
		r := e.do(t, "GET", next, tok, nil)
		wantStatus(t, r, 200)
		m := r.json(t)
		pages++
		for _, v := range m["value"].([]any) {
			all = append(all, v.(map[string]any))
		}
		next, _ = m["@odata.nextLink"].(string)
		if pages > 50 {
			t.Fatal("paging does not end")
		}
	}
	return all, pages
}

func TestGraphIssuesPaging(t *testing.T) {
	e := newEnv(t, Config{})
	tok := e.token(t, GraphResource)
	all, pages := listIssues(t, e, tok, "")
	if len(all) != 8 || pages != 2 {
		t.Fatalf("got %d issues in %d pages, want 8 in 2", len(all), pages)
	}
	seen := map[string]bool{}
	for _, is := range all {
		id := is["id"].(string)
		if seen[id] {
			t.Fatalf("issue %s twice", id)
		}
		seen[id] = true
	}
	_, pages = listIssues(t, e, tok, "$top=3")
	if pages != 3 {
		t.Fatalf("$top=3: %d pages, want 3", pages)
	}
	r := e.do(t, "GET", issuesPath+"?$top=zero", tok, nil)
	wantStatus(t, r, 400)
}

func TestGraphIssuesFilter(t *testing.T) {
	e := newEnv(t, Config{})
	tok := e.token(t, GraphResource)
	since := e.clk.Now().Add(-4 * time.Hour).Format(time.RFC3339)
	tests := []struct {
		filter string
		want   []string
	}{
		{"isResolved eq false", []string{"EX123456", "TM123789", "SP123654"}},
		{"service eq 'Exchange Online'", []string{"EX123456", "EX123401", "EX123399"}},
		{"service eq 'Exchange Online' and isResolved eq false", []string{"EX123456"}},
		{"lastModifiedDateTime ge " + since, []string{"EX123456", "TM123789", "SP123654"}},
		{"classification eq 'advisory' and isResolved eq true", []string{"EX123401", "EX123399"}},
		{"status eq 'serviceRestored'", []string{"EX123401", "OD123222", "TM123500"}},
	}
	for _, tt := range tests {
		t.Run(tt.filter, func(t *testing.T) {
			all, _ := listIssues(t, e, tok, url.Values{"$filter": {tt.filter}}.Encode())
			var got []string
			for _, is := range all {
				got = append(got, is["id"].(string))
			}
			if strings.Join(got, ",") != strings.Join(tt.want, ",") {
				t.Fatalf("got %v, want %v", got, tt.want)
			}
		})
	}
	for _, bad := range []string{"isResolved eq maybe", "nosuch eq 'x'", "service gt 'x'", "service eq 'a' or service eq 'b'"} {
		r := e.do(t, "GET", issuesPath+"?"+url.Values{"$filter": {bad}}.Encode(), tok, nil)
		wantStatus(t, r, 400)
		if errCode(t, r) != "BadRequest" {
			t.Errorf("%s: %s", bad, r.raw)
		}
	}
}

func TestGraphIssueShapeAndCasing(t *testing.T) {
	e := newEnv(t, Config{})
	tok := e.token(t, GraphResource)
	r := e.do(t, "GET", issuesPath+"/"+ExchangeIncidentID, tok, nil)
	wantStatus(t, r, 200)
	is := r.json(t)
	for _, k := range []string{"id", "title", "service", "feature", "featureGroup", "impactDescription", "classification",
		"status", "origin", "isResolved", "startDateTime", "endDateTime", "lastModifiedDateTime", "posts", "details"} {
		if _, ok := is[k]; !ok {
			t.Errorf("field %s missing", k)
		}
	}
	if is["service"] != "Exchange Online" || is["isResolved"] != false || is["endDateTime"] != nil || is["classification"] != "incident" {
		t.Fatalf("issue %s", r.raw)
	}
	posts := is["posts"].([]any)
	p := posts[0].(map[string]any)
	desc := p["description"].(map[string]any)
	if p["postType"] != "regular" || desc["contentType"] != "html" || !strings.Contains(desc["content"].(string), "Outlook") {
		t.Fatalf("post %v", p)
	}
	if _, err := time.Parse(time.RFC3339, is["startDateTime"].(string)); err != nil {
		t.Fatal(err)
	}
	// PascalCase values are served as Graph sometimes sends them.
	r = e.do(t, "GET", issuesPath+"/EX123401", tok, nil)
	m := r.json(t)
	if m["classification"] != "Advisory" || m["status"] != "ServiceRestored" {
		t.Fatalf("EX123401 %s", r.raw)
	}
	r = e.do(t, "GET", issuesPath+"/XX000000", tok, nil)
	wantStatus(t, r, 404)
}

func TestGraphHealthOverviews(t *testing.T) {
	e := newEnv(t, Config{})
	tok := e.token(t, GraphResource)
	r := e.do(t, "GET", "/v1.0/admin/serviceAnnouncement/healthOverviews", tok, nil)
	wantStatus(t, r, 200)
	got := map[string]string{}
	for _, v := range r.json(t)["value"].([]any) {
		o := v.(map[string]any)
		got[o["service"].(string)] = o["status"].(string)
		if _, ok := o["issues"]; ok {
			t.Fatal("issues without $expand")
		}
	}
	want := map[string]string{
		"Exchange Online": "serviceDegradation", "Microsoft Teams": "ServiceDegradation",
		"SharePoint Online": "ExtendedRecovery", "OneDrive for Business": "serviceOperational",
		"Microsoft 365 suite": "ServiceOperational",
	}
	for svc, st := range want {
		if got[svc] != st {
			t.Errorf("%s: %q, want %q", svc, got[svc], st)
		}
	}
	r = e.do(t, "GET", "/v1.0/admin/serviceAnnouncement/healthOverviews/Exchange?$expand=issues", tok, nil)
	wantStatus(t, r, 200)
	if n := len(r.json(t)["issues"].([]any)); n != 3 {
		t.Fatalf("Exchange issues %d", n)
	}
}

func TestGraphForbidden(t *testing.T) {
	e := newEnv(t, Config{})
	tok := e.token(t, GraphResource)
	wantStatus(t, e.do(t, "POST", "/_sim/faults", "", `{"graph_forbidden":true}`), 200)
	r := e.do(t, "GET", issuesPath, tok, nil)
	wantStatus(t, r, 403)
	if !strings.Contains(string(r.raw), "ServiceHealth.Read.All") {
		t.Fatalf("body %s", r.raw)
	}
	// users are not affected by graph_forbidden
	wantStatus(t, e.do(t, "GET", "/v1.0/users/"+DefaultAdminUPN, tok, nil), 200)
	wantStatus(t, e.do(t, "POST", "/_sim/faults", "", `{"graph_users_forbidden":true}`), 200)
	r = e.do(t, "GET", "/v1.0/users/"+DefaultAdminUPN, tok, nil)
	wantStatus(t, r, 403)
	if errCode(t, r) != "Authorization_RequestDenied" {
		t.Fatalf("body %s", r.raw)
	}
	wantStatus(t, e.do(t, "DELETE", "/_sim/faults", "", nil), 204)
	wantStatus(t, e.do(t, "GET", issuesPath, tok, nil), 200)
}

func TestGraphUsers(t *testing.T) {
	e := newEnv(t, Config{})
	tok := e.token(t, GraphResource)
	tests := []struct {
		upn         string
		globalAdmin bool
	}{
		{DefaultAdminUPN, true},
		{DefaultUserUPN, false},
	}
	for _, tt := range tests {
		t.Run(tt.upn, func(t *testing.T) {
			r := e.do(t, "GET", "/v1.0/users/"+tt.upn, tok, nil)
			wantStatus(t, r, 200)
			u := r.json(t)
			if u["userPrincipalName"] != tt.upn {
				t.Fatalf("user %s", r.raw)
			}
			id := u["id"].(string)
			// by id too
			wantStatus(t, e.do(t, "GET", "/v1.0/users/"+id, tok, nil), 200)
			r = e.do(t, "GET", "/v1.0/users/"+id+"/memberOf", tok, nil)
			wantStatus(t, r, 200)
			admin := false
			for _, v := range r.json(t)["value"].([]any) {
				o := v.(map[string]any)
				if o["@odata.type"] == "#microsoft.graph.directoryRole" && o["roleTemplateId"] == GlobalAdminTemplateID &&
					o["displayName"] == "Global Administrator" {
					admin = true
				}
			}
			if admin != tt.globalAdmin {
				t.Fatalf("global admin %v, want %v", admin, tt.globalAdmin)
			}
		})
	}
	r := e.do(t, "GET", "/v1.0/users/nobody@contoso.onmicrosoft.com", tok, nil)
	wantStatus(t, r, 404)
	if errCode(t, r) != "Request_ResourceNotFound" {
		t.Fatalf("body %s", r.raw)
	}
	wantStatus(t, e.do(t, "GET", "/v1.0/users/nobody@contoso.onmicrosoft.com/memberOf", tok, nil), 404)
}

func TestIssueTimeline(t *testing.T) {
	e := newEnv(t, Config{})
	tok := e.token(t, GraphResource)
	e.clk.Advance(time.Minute)
	r := e.do(t, "POST", "/_sim/issues", "", map[string]any{
		"id": "TM999001", "service": "Microsoft Teams", "title": "Users cannot sign in to Teams",
		"classification": "incident", "status": "investigating",
	})
	wantStatus(t, r, 200)
	e.clk.Advance(time.Minute)
	wantStatus(t, e.do(t, "POST", "/_sim/issues/TM999001/posts", "", map[string]string{
		"content": "<p>We're rolling back.</p>", "status": "restoringService",
	}), 200)
	is, _ := e.s.Issue("TM999001")
	if is.Status != "restoringService" || len(is.Posts) != 1 || !is.LastModifiedDateTime.Equal(e.clk.Now()) {
		t.Fatalf("after post: %+v", is)
	}
	// a poller asking for changes since the last minute sees it
	all, _ := listIssues(t, e, tok, url.Values{"$filter": {"lastModifiedDateTime ge " + e.clk.Now().Add(-time.Second).Format(time.RFC3339)}}.Encode())
	if len(all) != 1 || all[0]["id"] != "TM999001" {
		t.Fatalf("changed issues %v", all)
	}
	e.clk.Advance(time.Minute)
	wantStatus(t, e.do(t, "POST", "/_sim/issues/TM999001/resolve", "", nil), 200)
	is, _ = e.s.Issue("TM999001")
	if !is.IsResolved || is.Status != "serviceRestored" || is.EndDateTime == nil {
		t.Fatalf("after resolve: %+v", is)
	}
	wantStatus(t, e.do(t, "POST", "/_sim/issues/NOPE/resolve", "", nil), 404)
	wantStatus(t, e.do(t, "POST", "/_sim/issues", "", map[string]any{"id": "X"}), 400)
	if err := e.s.AddIssuePost("NOPE", "", HealthPost{}); err == nil {
		t.Fatal("post to unknown issue")
	}
}
