package sim

import (
	"context"
	"encoding/json"
	"fmt"
	"net"
	"net/http"
	"sort"
	"strings"
	"sync"
	"testing"
	"time"
)

func keys(m map[string]any) string {
	var k []string
	for key := range m {
		k = append(k, key)
	}
	sort.Strings(k)
	return strings.Join(k, ",")
}

func TestStateShape(t *testing.T) {
	e := newEnv(t, Config{})
	arm := e.token(t, ARMResource)
	snow := e.snowToken(t)
	createTicket(t, e, arm, "escalator-inc0010023")
	wantStatus(t, e.do(t, "PATCH", incidentPath+"/"+DefaultIncidentSysID, snow, map[string]string{"work_notes": "hello"}), 200)
	r := e.do(t, "GET", "/_sim/state", "", nil)
	wantStatus(t, r, 200)
	m := r.json(t)
	if keys(m) != "calls,incidents,tables,tickets" {
		t.Fatalf("top level %s", keys(m))
	}
	calls := m["calls"].(map[string]any)
	for route, want := range map[string]float64{
		"PUT /subscriptions/{sub}/providers/Microsoft.Support/supportTickets/{name}": 1,
		"PATCH /api/now/table/incident/{sys_id}":                                     1,
		"POST /{tenant}/oauth2/token":                                                1,
		"POST /oauth_token.do":                                                       1,
	} {
		if calls[route] != want {
			t.Errorf("calls[%q] = %v, want %v (all: %v)", route, calls[route], want, calls)
		}
	}
	tk := m["tickets"].([]any)[0].(map[string]any)
	if keys(tk) != "communications,name,properties" || tk["name"] != "escalator-inc0010023" {
		t.Fatalf("ticket %v", tk)
	}
	if tk["properties"].(map[string]any)["title"] == "" {
		t.Fatal("ticket properties empty")
	}
	in := m["incidents"].([]any)[0].(map[string]any)
	if keys(in) != "close_code,correlation_id,number,short_description,state,state_changes,sys_id,work_notes" || in["sys_id"] != DefaultIncidentSysID {
		t.Fatalf("incident %v", in)
	}
	wn := in["work_notes"].([]any)[0].(map[string]any)
	if keys(wn) != "sys_created_by,sys_created_on,value" || wn["value"] != "hello" || wn["sys_created_by"] != IntegrationUser {
		t.Fatalf("work note %v", wn)
	}
	tables := m["tables"].(map[string]any)
	if keys(tables) != "sys_journal_field,sys_user,sys_user_has_role,sys_user_role" {
		t.Fatalf("tables %s", keys(tables))
	}
	if journal := tables["sys_journal_field"].([]any); len(journal) != 2 ||
		journal[0].(map[string]any)["sys_id"] != DefaultJournalSysID || journal[1].(map[string]any)["value"] != "hello" {
		t.Fatalf("journal %v", journal)
	}
	wantStatus(t, e.do(t, "DELETE", "/_sim/calls", "", nil), 204)
	if len(e.s.State().Calls) != 0 {
		t.Fatal("calls not reset")
	}
}

func TestControlTicketStatus(t *testing.T) {
	e := newEnv(t, Config{})
	arm := e.token(t, ARMResource)
	createTicket(t, e, arm, "t1")
	wantStatus(t, e.do(t, "POST", "/_sim/tickets/t1/status", "", `{"status":"Closed"}`), 200)
	r := e.do(t, "GET", ticketURL("t1"), arm, nil)
	if st := r.json(t)["properties"].(map[string]any)["status"]; st != "Closed" {
		t.Fatalf("status %v", st)
	}
	wantStatus(t, e.do(t, "POST", "/_sim/tickets/nope/status", "", `{"status":"Closed"}`), 404)
	wantStatus(t, e.do(t, "POST", "/_sim/tickets/t1/status", "", `{}`), 400)
	wantStatus(t, e.do(t, "POST", "/_sim/tickets/nope/communications", "", `{"body":"x"}`), 404)
}

func TestExpireTokensControl(t *testing.T) {
	e := newEnv(t, Config{})
	snow := e.snowToken(t)
	wantStatus(t, e.do(t, "POST", "/_sim/tokens/expire", "", nil), 204)
	wantStatus(t, e.do(t, "GET", incidentPath+"/"+DefaultIncidentSysID, snow, nil), 401)
	wantStatus(t, e.do(t, "GET", incidentPath+"/"+DefaultIncidentSysID, e.snowToken(t), nil), 200)
}

func TestRun(t *testing.T) {
	s := New(Config{})
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- s.Serve(ctx, ln) }()
	res, err := http.Get("http://" + ln.Addr().String() + "/_sim/healthz")
	if err != nil {
		t.Fatal(err)
	}
	res.Body.Close()
	if res.StatusCode != 200 {
		t.Fatalf("healthz %d", res.StatusCode)
	}
	cancel()
	select {
	case err := <-done:
		if err != nil {
			t.Fatal(err)
		}
	case <-time.After(10 * time.Second):
		t.Fatal("Serve did not return after cancel")
	}
	if err := s.Run(context.Background(), "256.0.0.1:1"); err == nil {
		t.Fatal("Run on a bad address")
	}
}

func TestDefaults(t *testing.T) {
	c := New(Config{}).Config()
	if c.Tenant != "contoso.onmicrosoft.com" || c.ClientID != "escalator-dev" || c.ClientSecret != "escalator-dev-secret" ||
		c.ServiceNowClientID != "escalator-snow" || c.ServiceNowClientSecret != "escalator-snow-secret" ||
		c.Subscription != "00000000-0000-0000-0000-0000000000aa" || c.PageSize != 5 {
		t.Fatalf("defaults %+v", c)
	}
}

// TestConcurrentUse runs every kind of call at once; run with -race.
func TestConcurrentUse(t *testing.T) {
	e := newEnv(t, Config{AsyncPolls: -1})
	graph, arm, snow := e.token(t, GraphResource), e.token(t, ARMResource), e.snowToken(t)
	var wg sync.WaitGroup
	errs := make(chan error, 400)
	check := func(r resp, want int, what string) {
		if r.status != want {
			errs <- fmt.Errorf("%s: %d, want %d: %s", what, r.status, want, r.raw)
		}
	}
	for i := range 8 {
		wg.Go(func() {
			for j := range 5 {
				name := fmt.Sprintf("t-%d-%d", i, j)
				check(e.do(t, "PUT", ticketURL(name), arm, validTicket()), 202, "create")
				check(e.do(t, "PATCH", ticketURL(name), arm, `{"status":"closed"}`), 200, "close")
				check(e.do(t, "GET", issuesPath+"?$filter=isResolved%20eq%20false", graph, nil), 200, "issues")
				check(e.do(t, "PATCH", incidentPath+"/"+DefaultIncidentSysID, snow, map[string]string{"work_notes": name}), 200, "note")
				check(e.do(t, "GET", "/api/now/table/sys_journal_field?sysparm_query=valueLIKE"+name, snow, nil), 200, "journal")
				check(e.do(t, "POST", "/_sim/faults", "", `{"latency":"0s"}`), 200, "faults")
				_ = e.s.AddIssuePost(ExchangeIncidentID, "", HealthPost{Description: ItemBody{Content: name}})
				_ = e.s.State()
			}
		})
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Error(err)
	}
	st := e.s.State()
	if len(st.Tickets) != 40 || len(st.Incidents[0].WorkNotes) != 40 {
		t.Fatalf("%d tickets, %d notes", len(st.Tickets), len(st.Incidents[0].WorkNotes))
	}
	b, _ := json.Marshal(st)
	if len(b) == 0 {
		t.Fatal("empty state")
	}
}

func FuzzIssueFilter(f *testing.F) {
	for _, s := range []string{"isResolved eq false", "service eq 'Exchange Online' and lastModifiedDateTime ge 2026-01-01T00:00:00Z", "status eq 'it''s'"} {
		f.Add(s)
	}
	is := seedIssues(time.Now())[0]
	f.Fuzz(func(t *testing.T, q string) {
		match, err := parseIssueFilter(q)
		if err != nil {
			return
		}
		match(is)
	})
}
