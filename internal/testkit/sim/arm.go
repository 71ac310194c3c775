package sim

import (
	"fmt"
	"net/http"
	"slices"
	"strings"
)

// Checks every Azure Resource Manager request goes through, with ARM's errors.

// armGuard checks token, api-version and (when scoped) the subscription,
// answering the ARM error itself.
func (s *Server) armGuard(w http.ResponseWriter, r *http.Request, scoped bool) bool {
	return s.armGuardVersions(w, r, scoped, supportedAPIVersions)
}

// armGuardVersions is armGuard for a route that exists in versions only.
func (s *Server) armGuardVersions(w http.ResponseWriter, r *http.Request, scoped bool, versions []string) bool {
	switch prob, _ := s.checkToken(r, audARM); prob {
	case tokenOK:
	case tokenMissing:
		s.armUnauthorized(w, "AuthenticationFailed", "Authentication failed. The 'Authorization' header is missing.")
		return false
	case tokenExpired:
		s.armUnauthorized(w, "ExpiredAuthenticationToken", "The access token expiry UTC time is earlier than current UTC time.")
		return false
	case tokenAudience:
		s.armUnauthorized(w, "InvalidAuthenticationTokenAudience", "The access token has been obtained for wrong audience or resource. It should exactly match with one of the allowed audiences 'https://management.core.windows.net/','https://management.core.windows.net','https://management.azure.com/','https://management.azure.com'.")
		return false
	default:
		s.armUnauthorized(w, "InvalidAuthenticationToken", "The access token is invalid.")
		return false
	}
	v := r.URL.Query().Get("api-version")
	if v == "" {
		s.armError(w, http.StatusBadRequest, "MissingApiVersionParameter", "The api-version query parameter (?api-version=) is required for all requests.")
		return false
	}
	if !slices.Contains(versions, v) {
		s.armError(w, http.StatusBadRequest, "NoRegisteredProviderFound", fmt.Sprintf(
			"No registered resource provider found for location 'global' and API version '%s' for type '%s'. The supported api-versions are '%s'.", v, armType(r), strings.Join(versions, ", ")))
		return false
	}
	if !scoped {
		return true
	}
	sub := r.PathValue("sub")
	s.mu.Lock()
	forbidden := s.faults.SupportForbidden
	s.mu.Unlock()
	switch {
	case !guidExpr.MatchString(sub):
		s.armError(w, http.StatusBadRequest, "InvalidSubscriptionId", fmt.Sprintf("The provided subscription identifier '%s' is malformed or invalid.", sub))
	case !strings.EqualFold(sub, s.cfg.Subscription):
		s.armError(w, http.StatusNotFound, "SubscriptionNotFound", fmt.Sprintf("The subscription '%s' could not be found.", sub))
	case forbidden:
		action := map[string]string{http.MethodGet: "read", http.MethodPost: "action"}[r.Method]
		if action == "" {
			action = "write"
		}
		s.armError(w, http.StatusForbidden, "AuthorizationFailed", fmt.Sprintf(
			"The client '%s' with object id '%s' does not have authorization to perform action 'Microsoft.Support/supportTickets/%s' over scope '/subscriptions/%s' or the scope is invalid. If access was recently granted, please refresh your credentials.",
			s.cfg.ClientID, s.cfg.ClientID, action, sub))
	default:
		return true
	}
	return false
}

// armType is the resource type or action of an ARM request's path, as ARM
// names it in errors: the segment after Microsoft.Support.
func armType(r *http.Request) string {
	_, after, _ := strings.Cut(r.URL.Path, "/Microsoft.Support/")
	typ, _, _ := strings.Cut(after, "/")
	if typ == "" {
		return "supportTickets"
	}
	return typ
}

func (s *Server) armUnauthorized(w http.ResponseWriter, code, msg string) {
	w.Header().Set("WWW-Authenticate", fmt.Sprintf(`Bearer authorization_uri="https://login.windows.net/%s", error="invalid_token", error_description="%s"`, s.cfg.TenantID, msg))
	s.armError(w, http.StatusUnauthorized, code, msg)
}
