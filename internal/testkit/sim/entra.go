package sim

import (
	"fmt"
	"net/http"
	"strconv"
	"strings"
)

// Entra ID token endpoints (client credentials only):
//   v1 POST /{tenant}/oauth2/token        resource=…  numbers as strings
//   v2 POST /{tenant}/oauth2/v2.0/token   scope=<resource>/.default, integers
// Client credentials come in the form or in HTTP Basic auth.

type entraRequest struct {
	clientID, secret string
	resource         string // canonical audience, "" when not recognised
	raw              string // what the client sent as resource or scope
}

func (s *Server) entraTokenV1(w http.ResponseWriter, r *http.Request) {
	req, ok := s.entraCommon(w, r, "resource")
	if !ok {
		return
	}
	tok, life, now := s.issueToken(req.resource, s.cfg.TokenLifetime)
	secs := strconv.FormatInt(expiresIn(life), 10)
	writeJSON(w, http.StatusOK, map[string]string{
		"token_type":     "Bearer",
		"expires_in":     secs,
		"ext_expires_in": secs,
		"expires_on":     strconv.FormatInt(now.Add(life).Unix(), 10),
		"not_before":     strconv.FormatInt(now.Unix(), 10),
		"resource":       req.raw,
		"access_token":   tok,
	})
}

func (s *Server) entraTokenV2(w http.ResponseWriter, r *http.Request) {
	req, ok := s.entraCommon(w, r, "scope")
	if !ok {
		return
	}
	tok, life, _ := s.issueToken(req.resource, s.cfg.TokenLifetime)
	secs := expiresIn(life)
	writeJSON(w, http.StatusOK, map[string]any{
		"token_type":     "Bearer",
		"expires_in":     secs,
		"ext_expires_in": secs,
		"access_token":   tok,
	})
}

// entraCommon validates tenant, grant, client, secret and resource (v1) or
// scope (v2), answering the error itself when something is wrong.
func (s *Server) entraCommon(w http.ResponseWriter, r *http.Request, resParam string) (entraRequest, bool) {
	tenant := r.PathValue("tenant")
	if !strings.EqualFold(tenant, s.cfg.Tenant) && !strings.EqualFold(tenant, s.cfg.TenantID) {
		s.entraError(w, http.StatusBadRequest, "invalid_request", 90002, fmt.Sprintf(
			"Tenant '%s' not found. Check to make sure you have the correct tenant ID and are signing into the correct cloud. Check with your subscription administrator, this may happen if there are no active subscriptions for the tenant.", tenant))
		return entraRequest{}, false
	}
	if err := r.ParseForm(); err != nil || !strings.HasPrefix(r.Header.Get("Content-Type"), "application/x-www-form-urlencoded") {
		s.entraError(w, http.StatusBadRequest, "invalid_request", 900144, "The request body must contain the following parameter: 'grant_type'.")
		return entraRequest{}, false
	}
	missing := func(p string) {
		s.entraError(w, http.StatusBadRequest, "invalid_request", 900144, fmt.Sprintf("The request body must contain the following parameter: '%s'.", p))
	}
	grant := r.PostForm.Get("grant_type")
	switch {
	case grant == "":
		missing("grant_type")
		return entraRequest{}, false
	case grant != "client_credentials":
		s.entraError(w, http.StatusBadRequest, "unsupported_grant_type", 70003, fmt.Sprintf("The app requested an unsupported grant type '%s'.", grant))
		return entraRequest{}, false
	}
	req := entraRequest{clientID: r.PostForm.Get("client_id"), secret: r.PostForm.Get("client_secret")}
	if u, p, ok := r.BasicAuth(); ok {
		req.clientID, req.secret = u, p
	}
	if req.clientID == "" {
		missing("client_id")
		return entraRequest{}, false
	}
	if req.clientID != s.cfg.ClientID {
		s.entraError(w, http.StatusBadRequest, "unauthorized_client", 700016, fmt.Sprintf(
			"Application with identifier '%s' was not found in the directory 'Contoso'. This can happen if the application has not been installed by the administrator of the tenant or consented to by any user in the tenant. You may have sent your authentication request to the wrong tenant.", req.clientID))
		return entraRequest{}, false
	}
	if req.secret == "" {
		s.entraError(w, http.StatusUnauthorized, "invalid_client", 7000216, "'client_assertion', 'client_secret' or 'request' is required for the 'client_credentials' grant type.")
		return entraRequest{}, false
	}
	s.mu.Lock()
	secretFault := s.faults.EntraSecret
	s.mu.Unlock()
	switch {
	case secretFault == SecretRejected || req.secret != s.cfg.ClientSecret:
		s.entraError(w, http.StatusUnauthorized, "invalid_client", 7000215, fmt.Sprintf(
			"Invalid client secret provided. Ensure the secret being sent in the request is the client secret value, not the client secret ID, for a secret added to app '%s'.", s.cfg.ClientID))
		return entraRequest{}, false
	case secretFault == SecretExpired:
		s.entraError(w, http.StatusUnauthorized, "invalid_client", 7000222, fmt.Sprintf(
			"The provided client secret keys for app '%s' are expired. Visit the Azure portal to create new keys for your app: https://aka.ms/NewClientSecret, or consider using certificate credentials for added security: https://aka.ms/certCreds.", s.cfg.ClientID))
		return entraRequest{}, false
	}
	req.raw = r.PostForm.Get(resParam)
	if req.raw == "" {
		missing(resParam)
		return entraRequest{}, false
	}
	res := req.raw
	if resParam == "scope" {
		if !strings.HasSuffix(res, "/.default") || strings.Contains(res, " ") {
			s.entraError(w, http.StatusBadRequest, "invalid_scope", 1002012, fmt.Sprintf(
				"The provided value for scope %s is not valid. Client credential flows must have a scope value with /.default suffixed to the resource identifier (application ID URI).", res))
			return entraRequest{}, false
		}
		res = strings.TrimSuffix(res, "/.default")
	}
	req.resource = canonicalResource(res)
	if req.resource == "" {
		s.entraError(w, http.StatusBadRequest, "invalid_resource", 500011, fmt.Sprintf(
			"The resource principal named %s was not found in the tenant named Contoso. This can happen if the application has not been installed by the administrator of the tenant or consented to by any user in the tenant. You might have sent your authentication request to the wrong tenant.", res))
		return entraRequest{}, false
	}
	return req, true
}

// canonicalResource maps the spellings Entra accepts to an audience.
func canonicalResource(res string) string {
	switch strings.TrimRight(strings.ToLower(res), "/") {
	case "https://graph.microsoft.com", "00000003-0000-0000-c000-000000000000":
		return audGraph
	case "https://management.azure.com", "https://management.core.windows.net":
		return audARM
	}
	return ""
}
