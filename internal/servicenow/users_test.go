package servicenow

import (
	"context"
	"fmt"
	"net/http"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/escalator/escalator/internal/fault"
	"github.com/escalator/escalator/internal/testkit/sim"
)

func TestUserRolesSim(t *testing.T) {
	e := newSimEnv(t)
	tests := []struct {
		user string
		want []string
	}{
		{"beth.anglin", []string{"escalator_administrator", "itil", "x_mioms_m365_assis.administrator"}},
		{"david.miller", []string{"escalator_insights_user", "itil", "x_mioms_m365_assis.insights_user"}},
		{"abel.tuter", []string{"itil"}}, // the pending escalator_administrator does not count
		{sim.IntegrationUser, []string{"itil", "snc_platform_rest_api_access"}},
		{"nobody", []string{}},
		{"nobody^NQstate=active", []string{}}, // escaped: one user name, no second query
		{"beth.anglin^ORuser.user_name=david.miller", []string{}},
	}
	for _, tt := range tests {
		t.Run(tt.user, func(t *testing.T) {
			got, err := e.c.UserRoles(context.Background(), tt.user)
			if err != nil {
				t.Fatal(err)
			}
			if !slices.Equal(got, tt.want) {
				t.Errorf("roles %v, want %v", got, tt.want)
			}
		})
	}
	if n := e.sim.Calls("GET /api/now/table/sys_user_has_role"); n != len(tests) {
		t.Errorf("%d queries for %d users, want one each", n, len(tests))
	}
}

func TestUserRolesFixture(t *testing.T) {
	srv, s := instance(t, answer{200, fixture(t, "list_user_roles.json")})
	got, err := newClient(t, srv.URL).UserRoles(context.Background(), "Beth.Anglin")
	if err != nil {
		t.Fatal(err)
	}
	if want := []string{"escalator_administrator", "itil", "x_mioms_m365_assis.administrator"}; !slices.Equal(got, want) {
		t.Errorf("roles %v, want %v (sorted, each once)", got, want)
	}
	r := s.requests[0]
	q := r.URL.Query()
	if r.URL.Path != "/api/now/table/sys_user_has_role" || q.Get("sysparm_query") != "user.user_name=Beth.Anglin^state=active" ||
		q.Get("sysparm_fields") != "role.name,user.user_name" {
		t.Errorf("request %s", r.URL)
	}
}

func TestUserRolesRefuses(t *testing.T) {
	tests := []struct {
		name, user string
		body       string
		wantCalls  int
	}{
		{"empty name", " ", `{"result":[]}`, 0},
		{"a script for a name", "javascript:gs.getUserName()", `{"result":[]}`, 0},
		{"a row of someone else", "abel.tuter", `{"result":[{"role.name":"itil","user.user_name":"abel.tuter"},` +
			`{"role.name":"admin","user.user_name":"beth.anglin"}]}`, 1},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			srv, s := instance(t, answer{200, []byte(tt.body)})
			roles, err := newClient(t, srv.URL).UserRoles(context.Background(), tt.user)
			if err == nil || fault.Classify(err) != fault.Permanent || roles != nil {
				t.Errorf("UserRoles = %v, %v; want a permanent error", roles, err)
			}
			if s.count() != tt.wantCalls {
				t.Errorf("%d requests, want %d", s.count(), tt.wantCalls)
			}
		})
	}
}

func TestUserRolesPages(t *testing.T) {
	srv, s := instance(t,
		answer{200, []byte(`{"result":[` + strings.Repeat(`{"role.name":"itil"},`, DefaultPageSize-1) + `{"role.name":"a"}]}`)},
		answer{200, []byte(`{"result":[{"role.name":"b"}]}`)})
	got, err := newClient(t, srv.URL).UserRoles(context.Background(), "beth.anglin")
	if err != nil || !slices.Equal(got, []string{"a", "b", "itil"}) {
		t.Fatalf("roles %v, %v", got, err)
	}
	if s.count() != 2 || s.requests[1].URL.Query().Get("sysparm_offset") != fmt.Sprint(DefaultPageSize) {
		t.Errorf("%d requests; second %v", s.count(), s.requests[len(s.requests)-1].URL)
	}
}

func TestJournalEntry(t *testing.T) {
	want := JournalEntry{
		SysID: sim.DefaultJournalSysID, ElementID: sim.DefaultIncidentSysID, Element: "work_notes", Name: "incident",
		Value: sim.DefaultJournalValue, CreatedBy: "beth.anglin", CreatedOn: "2026-11-25 11:29:41",
	}
	t.Run("simulator", func(t *testing.T) {
		e := newSimEnv(t)
		got, err := e.c.JournalEntry(context.Background(), sim.DefaultJournalSysID)
		if err != nil || got != want {
			t.Fatalf("JournalEntry = %+v, %v\nwant %+v", got, err, want)
		}
		if _, err := e.c.JournalEntry(context.Background(), strings.Repeat("a", 32)); !isNotFound(err) {
			t.Errorf("missing entry: %v", err)
		}
	})
	t.Run("fixture", func(t *testing.T) {
		srv, s := instance(t, answer{200, fixture(t, "get_journal_entry.json")})
		got, err := newClient(t, srv.URL).JournalEntry(context.Background(), sim.DefaultJournalSysID)
		if err != nil || got != want {
			t.Fatalf("JournalEntry = %+v, %v", got, err)
		}
		if f := s.requests[0].URL.Query().Get("sysparm_fields"); f != "sys_id,element_id,element,name,value,sys_created_by,sys_created_on" {
			t.Errorf("sysparm_fields %q", f)
		}
		at, err := got.Created()
		if err != nil || !at.Equal(time.Date(2026, 11, 25, 11, 29, 41, 0, time.UTC)) {
			t.Errorf("Created = %v, %v", at, err)
		}
	})
	t.Run("not a sys_id", func(t *testing.T) {
		srv, s := instance(t, answer{http.StatusOK, fixture(t, "get_journal_entry.json")})
		for _, id := range []string{"", "../incident/x", strings.Repeat("A", 32), strings.Repeat("a", 31)} {
			if _, err := newClient(t, srv.URL).JournalEntry(context.Background(), id); err == nil || fault.Classify(err) != fault.Permanent {
				t.Errorf("JournalEntry(%q) = %v, want permanent", id, err)
			}
		}
		if s.count() != 0 {
			t.Errorf("%d requests", s.count())
		}
	})
	if _, err := (JournalEntry{CreatedOn: "yesterday"}).Created(); err == nil {
		t.Error("Created parsed junk")
	}
}
