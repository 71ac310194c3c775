package doctor

import (
	"context"
	"errors"
	"fmt"
	"net/http"

	"github.com/escalator/escalator/internal/redact"
	"github.com/escalator/escalator/internal/token"
)

// AADSTS codes doctor explains.
const (
	aadTenantNotFound = 90002   // the tenant in the token URL does not exist
	aadAppNotFound    = 700016  // no such application in the tenant
	aadInvalidSecret  = 7000215 // the secret is wrong (often: its ID was copied, not its Value)
	aadExpiredSecret  = 7000222 // the secret expired
)

// Entra is the tenant and client-credential pair of checks. Both look at one
// token request: Entra checks the tenant before the client, so an answer
// about the client proves the tenant resolved.
type Entra struct {
	// Fetcher requests a token (for Microsoft Graph) straight from the
	// token endpoint, bypassing every cache.
	Fetcher token.Fetcher
	// Tenant and ClientID are named in details and fixes.
	Tenant, ClientID string
	// LoginURL is named when the endpoint cannot be reached, redacted
	// (redact.URL).
	LoginURL string

	err error // the token request's outcome, set by the tenant check
}

// TenantCheck requests a token and fails only if the tenant is unknown or
// the endpoint unreachable.
func (e *Entra) TenantCheck(needs ...string) Check {
	return Check{Name: NameTenant, Needs: needs, Run: e.tenant}
}

// CredentialsCheck reads the tenant check's token request: it fails on the
// client id and secret refusals, each with its own fix.
func (e *Entra) CredentialsCheck() Check {
	return Check{Name: NameCredentials, Needs: []string{NameTenant}, Run: e.credentials}
}

func (e *Entra) tenant(ctx context.Context) Result {
	_, e.err = e.Fetcher.Fetch(ctx)
	var te *token.Error
	switch {
	case e.err == nil:
		return Passed("tenant %s resolves", e.Tenant)
	case errors.As(e.err, &te) && te.HasCode(aadTenantNotFound):
		return Failed(fmt.Sprintf("check ESCALATOR_TENANT: tenant %s not found; use the tenant's primary domain, e.g. contoso.onmicrosoft.com, or its tenant id", e.Tenant),
			"Entra does not know tenant %s (AADSTS%d)", e.Tenant, aadTenantNotFound)
	case errors.As(e.err, &te) && len(te.ErrorCodes) == 0 && te.Code == "":
		// Not an Entra answer (an HTML 404 from a proxy or a wrong host).
		return Failed("check ESCALATOR_LOGIN_URL (https://login.microsoftonline.com) and ESCALATOR_TOKEN_ENDPOINT (v1 or v2)",
			"%s did not answer like Entra (%s)", redact.URL(e.LoginURL), statusText(te.StatusCode))
	case errors.As(e.err, &te) && (te.StatusCode == http.StatusTooManyRequests || te.StatusCode >= 500):
		return Failed("Entra is throttling or unavailable; run escalator doctor again in a few minutes",
			"the token endpoint answered %s", statusText(te.StatusCode))
	case errors.As(e.err, &te):
		// Entra answered about the request past the tenant: it resolved.
		return Passed("tenant %s resolves", e.Tenant)
	}
	return otherFailure("the Entra token endpoint "+redact.URL(e.LoginURL), e.err,
		"check ESCALATOR_LOGIN_URL (default https://login.microsoftonline.com) and that this host reaches it (proxy, firewall, DNS)",
		"check ESCALATOR_LOGIN_URL and ESCALATOR_TOKEN_ENDPOINT (v1 or v2)")
}

func (e *Entra) credentials(context.Context) Result {
	var te *token.Error
	switch {
	case e.err == nil:
		return Passed("app %s got a token for Microsoft Graph", e.ClientID)
	case !errors.As(e.err, &te):
		return otherFailure("the Entra token endpoint", e.err,
			"check ESCALATOR_LOGIN_URL and that this host reaches it",
			"check ESCALATOR_LOGIN_URL and ESCALATOR_TOKEN_ENDPOINT (v1 or v2)")
	case te.HasCode(aadInvalidSecret):
		return Failed("the secret's Value was not copied (the Secret ID was used), or it is wrong: in the app registration (Certificates & secrets) create a new client secret, copy its Value (shown only once) into ESCALATOR_CLIENT_SECRET",
			"Entra rejected the client secret of app %s (AADSTS%d)", e.ClientID, aadInvalidSecret)
	case te.HasCode(aadExpiredSecret):
		return Failed("the secret expired: create a new one in the app registration (Certificates & secrets) and update ESCALATOR_CLIENT_SECRET",
			"the client secret of app %s has expired (AADSTS%d)", e.ClientID, aadExpiredSecret)
	case te.HasCode(aadAppNotFound):
		return Failed(fmt.Sprintf("the app is not registered in this tenant: check ESCALATOR_CLIENT_ID (the Application (client) ID of the app registration) and that the app was consented in tenant %s", e.Tenant),
			"Entra does not know app %s in tenant %s (AADSTS%d)", e.ClientID, e.Tenant, aadAppNotFound)
	case te.StatusCode == http.StatusTooManyRequests || te.StatusCode >= 500:
		return Failed("Entra is throttling or unavailable; run escalator doctor again in a few minutes",
			"the token endpoint answered %s", statusText(te.StatusCode))
	}
	fix := "look the code up at https://login.microsoftonline.com/error"
	if len(te.ErrorCodes) > 0 {
		fix = fmt.Sprintf("look the code up at https://login.microsoftonline.com/error?code=%d", te.ErrorCodes[0])
	}
	return Failed(fix, "Entra refused the token request: %s", brief(te))
}
