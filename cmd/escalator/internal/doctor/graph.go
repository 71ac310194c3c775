package doctor

import (
	"context"
	"errors"
	"net/http"

	"github.com/escalator/escalator/health"
)

// HealthReader is the Graph service health call doctor makes; *health.Client
// implements it.
type HealthReader interface {
	HealthOverviews(ctx context.Context) ([]health.Overview, error)
}

// Fixes of Graph permission refusals.
const (
	fixServiceHealth = "grant the app registration the Microsoft Graph application permission ServiceHealth.Read.All and grant admin consent (API permissions > Add a permission > Microsoft Graph > Application permissions, then Grant admin consent)"
	fixUserRead      = "grant the app registration the Microsoft Graph application permission User.Read.All (for linking the admin account) and RoleManagement.Read.Directory (for its directory roles), then grant admin consent"
	fixGraphToken    = "Graph refused the token: check ESCALATOR_GRAPH_URL (https://graph.microsoft.com) and that ESCALATOR_TENANT is the tenant the app registration lives in"
)

// GraphHealthCheck reads the service health overviews: the call that needs
// ServiceHealth.Read.All.
func GraphHealthCheck(g HealthReader, needs ...string) Check {
	return Check{Name: NameGraphHealth, Needs: needs, Run: func(ctx context.Context) Result {
		ov, err := g.HealthOverviews(ctx)
		if err == nil {
			return Passed("service health readable (%d services)", len(ov))
		}
		return graphFailure("Graph service health", err, fixServiceHealth)
	}}
}

// graphFailure explains a Graph error; forbidden is the fix of a 403.
func graphFailure(what string, err error, forbidden string) Result {
	switch code := status(err); code {
	case http.StatusForbidden:
		return Failed(forbidden, "%s answered %s (%s)", what, statusText(code), remoteMessage(err))
	case http.StatusUnauthorized:
		return Failed(fixGraphToken, "%s answered %s (%s)", what, statusText(code), remoteMessage(err))
	case http.StatusTooManyRequests:
		return Failed("Graph is throttling this app; run escalator doctor again in a few minutes", "%s answered %s", what, statusText(code))
	}
	if errors.Is(err, context.DeadlineExceeded) {
		return Failed("check the network path to Graph or raise --check-timeout", "%s did not answer in time", what)
	}
	return otherFailure(what, err,
		"check ESCALATOR_GRAPH_URL and that this host reaches it (proxy, firewall, DNS)",
		"check ESCALATOR_GRAPH_URL; see the error above")
}
