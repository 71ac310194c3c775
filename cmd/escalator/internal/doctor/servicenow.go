package doctor

import (
	"context"
	"errors"
	"fmt"
	"net/http"

	"github.com/escalator/escalator/internal/servicenow"
	"github.com/escalator/escalator/internal/token"
)

// IncidentPatcher is the write doctor makes; *servicenow.Client implements it.
type IncidentPatcher interface {
	PatchIncident(ctx context.Context, sysID string, fields map[string]string) (servicenow.Incident, error)
}

// Fixes of ServiceNow refusals.
const (
	fixSNOAuth = "check the OAuth application registry entry (System OAuth > Application Registry): its Client ID and Client Secret must match ESCALATOR_SERVICENOW_CLIENT_ID and ESCALATOR_SERVICENOW_CLIENT_SECRET, the entry (the OAuth entity) must be Active, and the client credentials grant must be enabled (system property glide.oauth.inbound.client.credential.grant_type.enabled = true, and an OAuth Application User set on the entry).\n" +
		"If the instance's system log says \"Read operation against 'oauth_entity' from scope '…' has been refused due to the table's cross-scope access policy\", this access_denied comes from there: the user behind the request cannot read oauth_entity, the table of OAuth clients, so the instance cannot find the client. Grant the integration user the role that reads oauth_entity (oauth_admin), or create the OAuth entity in the global scope rather than in an application scope"
	fixSNTable = "the instance did not accept the credentials on the Table API: with OAuth, check that the OAuth Application User of the registry entry is active and not locked out; with basic auth, check ESCALATOR_SERVICENOW_USER and ESCALATOR_SERVICENOW_PASSWORD"
	fixSNReach = "check ESCALATOR_SERVICENOW_URL (e.g. https://contoso.service-now.com) and that this host reaches it (proxy, firewall, DNS); a hibernating developer instance must be woken first"
)

// fixCrossScope is the fix of a 403 on the incident table for operation op
// (Read or Write).
func fixCrossScope(op string) string {
	return fmt.Sprintf("the instance refuses %s on table incident to the integration. When its message names the cross-scope access policy, allow the access: System Applications > Application Cross-Scope Access, a record for Target Name incident (type Table), Operation %s, Status Allowed, for the calling scope — or run the integration under a global-scope user. Otherwise grant the integration user the itil role (read and write on incident)",
		op, op)
}

// ServiceNow checks the OAuth client, reading an incident and writing one.
type ServiceNow struct {
	// OAuth requests a token from /oauth_token.do; nil with basic auth.
	OAuth token.Fetcher
	// User is the basic auth user, named in details when OAuth is nil.
	User string
	// Table reads incidents.
	Table *Table
	// Incidents writes the incident read back.
	Incidents IncidentPatcher
	// CaseField is the incident field Escalator writes the case id to
	// (ESCALATOR_CASE_FIELD): the field the write check writes.
	CaseField string
	// SkipWrite leaves writing untested (WARN).
	SkipWrite bool

	found map[string]string // the incident the read check found, if any
}

// OAuthCheck requests a token from the instance's /oauth_token.do.
func (s *ServiceNow) OAuthCheck(needs ...string) Check {
	return Check{Name: NameSNOAuth, Needs: needs, Run: s.oauth}
}

// ReadCheck reads one incident (sysparm_limit=1).
func (s *ServiceNow) ReadCheck() Check {
	return Check{Name: NameSNRead, Needs: []string{NameSNOAuth}, Run: s.read}
}

// WriteCheck writes the case field of the incident the read check found
// back with the value it already has.
//
// Why a no-op PATCH rather than no write at all: the integration's most
// common breakages (a cross-scope access policy, a write ACL, a field ACL
// on the case field) only show on a write, and a read cannot tell them
// apart from success. Why this one is harmless: ServiceNow skips an update
// that changes no value (no new sys_mod_count, no audit row, no business
// rule on changes), and the incident chosen is the least recently updated
// active one, so no person or worker is likely to be writing the same field
// in the instant between the read and the write. --skip-write turns it off
// (the check then WARNs that write access was not verified).
func (s *ServiceNow) WriteCheck() Check {
	return Check{Name: NameSNWrite, Needs: []string{NameSNRead}, Run: s.write}
}

func (s *ServiceNow) oauth(ctx context.Context) Result {
	if s.OAuth == nil {
		return Passed("basic authentication as %s (no OAuth client configured)", s.User)
	}
	_, err := s.OAuth.Fetch(ctx)
	var te *token.Error
	switch {
	case err == nil:
		return Passed("OAuth token from /oauth_token.do")
	case errors.As(err, &te) && (te.StatusCode == http.StatusUnauthorized || te.StatusCode == http.StatusBadRequest):
		return Failed(fixSNOAuth, "/oauth_token.do refused the client (%s, %s %s)", statusText(te.StatusCode), te.Code, te.Description)
	case errors.As(err, &te):
		return Failed("see the instance's system log for the OAuth request", "/oauth_token.do answered: %s", brief(te))
	}
	return otherFailure("the ServiceNow instance", err, fixSNReach, "check ESCALATOR_SERVICENOW_URL")
}

func (s *ServiceNow) read(ctx context.Context) Result {
	fields := []string{"sys_id", "number", s.CaseField}
	inc, ok, err := s.Table.First(ctx, "active=true^ORDERBYsys_updated_on", fields)
	if err == nil && !ok {
		inc, ok, err = s.Table.First(ctx, "ORDERBYsys_updated_on", fields)
	}
	if err != nil {
		return s.tableFailure("Read", "reading incidents", err)
	}
	if !ok {
		return Warned("grant the integration user the itil role if incidents exist: ACLs hide rows rather than refuse them",
			"the incident table answered, but no incident is visible")
	}
	s.found = inc
	return Passed("read incident %s", inc["number"])
}

func (s *ServiceNow) write(ctx context.Context) Result {
	if s.SkipWrite {
		return Warned("run escalator doctor without --skip-write to verify it", "write access to incidents not verified (--skip-write)")
	}
	if s.found == nil {
		return Warned("create an incident, then run escalator doctor again", "no incident to test writing on: write access not verified")
	}
	id, num := s.found["sys_id"], s.found["number"]
	if _, err := s.Incidents.PatchIncident(ctx, id, map[string]string{s.CaseField: s.found[s.CaseField]}); err != nil {
		return s.tableFailure("Write", "writing "+s.CaseField+" of "+num, err)
	}
	return Passed("wrote %s of %s back unchanged", s.CaseField, num)
}

func (s *ServiceNow) tableFailure(op, what string, err error) Result {
	switch code := status(err); code {
	case http.StatusForbidden:
		return Failed(fixCrossScope(op), "%s: the instance answered %s (%s)", what, statusText(code), remoteMessage(err))
	case http.StatusUnauthorized:
		return Failed(fixSNTable, "%s: the instance answered %s (%s)", what, statusText(code), remoteMessage(err))
	case http.StatusNotFound:
		return Failed("check ESCALATOR_SERVICENOW_URL: it must be the instance root, e.g. https://contoso.service-now.com",
			"%s: the instance answered %s", what, statusText(code))
	}
	var te *token.Error
	if errors.As(err, &te) {
		return Failed(fixSNOAuth, "%s: no OAuth token: %s", what, brief(te))
	}
	return otherFailure(what, err, fixSNReach, "see the instance's system log")
}
