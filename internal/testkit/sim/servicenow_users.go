package sim

import (
	"net/http"
	"time"
)

// The instance's users and roles (sys_user, sys_user_role, sys_user_has_role)
// and the journal entry the update example names. The sys_ids of the demo
// users are those of ServiceNow's demo data.

const (
	// SimUserHeader on a POST, PATCH or PUT makes the call act as that
	// sys_user (by user_name), standing for a click in the instance.
	SimUserHeader = "X-Sim-User"

	// IntegrationUser is the sys_user Escalator's OAuth credentials act as.
	IntegrationUser = snowOAuthUser

	// DefaultJournalSysID is the seeded work note on INC0010023, written by
	// beth.anglin: the entry contract/events/incident-updated.json names.
	DefaultJournalSysID = "5b7c2e9a1f3d4c6b8a0e2d4f6a8c0e13"
	// DefaultJournalValue is its text.
	DefaultJournalValue = "Users confirm Outlook reconnects after 11:05 UTC."
)

// seedUser is one sys_user with the roles granted to it.
type seedUser struct {
	sysID, userName, first, last, title string
	roles                               []string // active grants
	pending                             []string // requested, not granted (state "pending")
}

type seedRole struct{ sysID, name, description string }

func seedRoles() []seedRole {
	return []seedRole{
		{"282bf1fac6112285017366cb5f867469", "itil", "Fulfiller: works on incidents, problems and changes"},
		{"2831a114c611228501d4ea6c309d626d", "admin", "System administrator"},
		{"5a8f2e71c3a21210e2b4d7f9a6c0b381", "snc_platform_rest_api_access", "Access to the REST APIs of the platform"},
		{"8d0e6b24f1c74a39b5e2a7c8d9f01a52", "escalator_administrator", "Escalator: open Microsoft support cases for incidents"},
		{"3f9c1d7e5a2b4c8e9d0f6a1b2c3d4e5f", "escalator_insights_user", "Escalator: Microsoft service health insights for incidents"},
		{"b7e4c2a9d1f34e6a8c5b0d2e4f6a8c91", "x_mioms_m365_assis.administrator", "Microsoft 365 support integration: administrator"},
		{"c4a6e8f0b2d44f1a9e3c5b7d9f1a3c62", "x_mioms_m365_assis.insights_user", "Microsoft 365 support integration: insights user"},
	}
}

func seedUsers() []seedUser {
	return []seedUser{
		{"46d44a23a9fe19810012d100cca80666", "beth.anglin", "Beth", "Anglin", "Service Desk Manager",
			[]string{"itil", "escalator_administrator", "x_mioms_m365_assis.administrator"}, nil},
		{"5137153cc611227c000bbd1bd8cd2007", "david.miller", "David", "Miller", "Service Desk Analyst",
			[]string{"itil", "escalator_insights_user", "x_mioms_m365_assis.insights_user"}, nil},
		{"62826bf03710200044e0bfc8bcbe5df1", "abel.tuter", "Abel", "Tuter", "Service Desk Analyst",
			[]string{"itil"}, []string{"escalator_administrator"}},
		{"9e1c7a3f5b2d4e6f8a0c2e4a6b8d0f13", IntegrationUser, "Escalator", "Integration", "Integration account",
			[]string{"itil", "snc_platform_rest_api_access"}, nil},
		{"6816f79cc0a8016401c5a33be04be441", DefaultServiceNowUser, "System", "Administrator", "",
			[]string{"admin"}, nil},
	}
}

// seedDirectoryLocked fills sys_user, sys_user_role and sys_user_has_role.
func (s *Server) seedDirectoryLocked(now time.Time) {
	const by = "glide.maint"
	roleID := map[string]string{}
	for _, r := range seedRoles() {
		roleID[r.name] = r.sysID
		s.mustInsertLocked("sys_user_role", map[string]any{"sys_id": r.sysID, "name": r.name,
			"description": r.description, "suffix": r.name, "elevated_privilege": "false"}, by, now)
	}
	for _, u := range seedUsers() {
		s.mustInsertLocked("sys_user", map[string]any{"sys_id": u.sysID, "user_name": u.userName,
			"first_name": u.first, "last_name": u.last, "name": u.first + " " + u.last, "title": u.title,
			"email": u.userName + "@example.com"}, by, now)
		grant := func(role, state string) {
			s.mustInsertLocked("sys_user_has_role", map[string]any{"user": u.sysID, "role": roleID[role], "state": state}, by, now)
		}
		for _, role := range u.roles {
			grant(role, "active")
		}
		for _, role := range u.pending {
			grant(role, "pending")
		}
	}
}

func (s *Server) mustInsertLocked(table string, fields map[string]any, user string, now time.Time) record {
	row, err := s.insertLocked(table, fields, user, now)
	if err != nil {
		panic("sim seed: " + err.Error()) // the seed's sys_ids are distinct
	}
	return row
}

// userExistsLocked reports whether an active sys_user has userName.
func (s *Server) userExistsLocked(userName string) bool {
	for _, u := range s.tableLocked("sys_user").rows {
		if u["user_name"] == userName && u["active"] == "true" {
			return true
		}
	}
	return false
}

// snowActor is who a write acts as: the X-Sim-User, or the authenticated
// user. It answers 400 itself for an X-Sim-User that is no active user.
func (s *Server) snowActor(w http.ResponseWriter, r *http.Request, authenticated string) (string, bool) {
	name := r.Header.Get(SimUserHeader)
	if name == "" {
		return authenticated, true
	}
	s.mu.Lock()
	ok := s.userExistsLocked(name)
	s.mu.Unlock()
	if !ok {
		snowError(w, http.StatusBadRequest, "Invalid "+SimUserHeader,
			"No active sys_user has user_name '"+name+"'; the seeded ones are beth.anglin, david.miller, abel.tuter, "+IntegrationUser+" and "+DefaultServiceNowUser)
		return "", false
	}
	return name, true
}
