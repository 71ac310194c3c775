package sim

import (
	"fmt"
	"net/http"
	"strings"
)

// Graph users: GET /v1.0/users/{id|upn} and /v1.0/users/{id|upn}/memberOf.

type user struct {
	ID, UPN, DisplayName, GivenName, Surname, JobTitle string
	memberOf                                           []map[string]any
}

func (u user) resource() map[string]any {
	return map[string]any{
		"@odata.context":    graphMeta + "users/$entity",
		"businessPhones":    []string{},
		"displayName":       u.DisplayName,
		"givenName":         u.GivenName,
		"jobTitle":          u.JobTitle,
		"mail":              u.UPN,
		"mobilePhone":       nil,
		"officeLocation":    nil,
		"preferredLanguage": "en-US",
		"surname":           u.Surname,
		"userPrincipalName": u.UPN,
		"id":                u.ID,
	}
}

func directoryRole(id, name, description, template string) map[string]any {
	return map[string]any{
		"@odata.type":     "#microsoft.graph.directoryRole",
		"id":              id,
		"deletedDateTime": nil,
		"description":     description,
		"displayName":     name,
		"roleTemplateId":  template,
	}
}

func group(id, name string) map[string]any {
	return map[string]any{
		"@odata.type":     "#microsoft.graph.group",
		"id":              id,
		"deletedDateTime": nil,
		"displayName":     name,
		"mail":            nil,
		"mailEnabled":     false,
		"securityEnabled": true,
		"groupTypes":      []string{},
	}
}

func (s *Server) usersAuth(w http.ResponseWriter, r *http.Request) bool {
	return s.graphPermission(w, r, func(f Faults) bool { return f.GraphUsersForbidden },
		"Authorization_RequestDenied", "Insufficient privileges to complete the operation.")
}

func (s *Server) findUser(w http.ResponseWriter, r *http.Request) (user, bool) {
	key := r.PathValue("user")
	s.mu.Lock()
	for _, u := range s.users {
		if strings.EqualFold(u.ID, key) || strings.EqualFold(u.UPN, key) {
			s.mu.Unlock()
			return u, true
		}
	}
	s.mu.Unlock()
	s.graphError(w, http.StatusNotFound, "Request_ResourceNotFound", fmt.Sprintf(
		"Resource '%s' does not exist or one of its queried reference-property objects are not present.", key))
	return user{}, false
}

func (s *Server) graphUser(w http.ResponseWriter, r *http.Request) {
	if !s.usersAuth(w, r) {
		return
	}
	if u, ok := s.findUser(w, r); ok {
		writeJSON(w, http.StatusOK, u.resource())
	}
}

func (s *Server) graphMemberOf(w http.ResponseWriter, r *http.Request) {
	if !s.usersAuth(w, r) {
		return
	}
	u, ok := s.findUser(w, r)
	if !ok {
		return
	}
	value := u.memberOf
	if value == nil {
		value = []map[string]any{}
	}
	writeJSON(w, http.StatusOK, map[string]any{
		"@odata.context": graphMeta + "directoryObjects",
		"value":          value,
	})
}
