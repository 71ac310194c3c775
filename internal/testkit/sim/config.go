package sim

import (
	"time"
)

// Defaults of Config: what `escalator dev`, the examples and the tests rely on
// (DESIGN.md, "Simulator defaults").
const (
	DefaultTenant                 = "contoso.onmicrosoft.com"
	DefaultTenantID               = "7a1d6c3e-52b8-4f0a-9d6e-3c2b1a0f9e84"
	DefaultClientID               = "escalator-dev"
	DefaultClientSecret           = "escalator-dev-secret"
	DefaultServiceNowClientID     = "escalator-snow"
	DefaultServiceNowClientSecret = "escalator-snow-secret"
	DefaultServiceNowUser         = "admin"
	DefaultServiceNowPassword     = "admin"
	DefaultSubscription           = "00000000-0000-0000-0000-0000000000aa"
	DefaultAdminUPN               = "admin@contoso.onmicrosoft.com"
	DefaultUserUPN                = "user@contoso.onmicrosoft.com"
	DefaultIncidentNumber         = "INC0010023"
	DefaultIncidentSysID          = "9d385017c611228701d22104cc95c371"
	GlobalAdminTemplateID         = "62e90394-69f5-4237-9190-012177145e10"

	// ExchangeIncidentID is the seeded active Exchange Online incident
	// (Outlook desktop clients cannot connect).
	ExchangeIncidentID = "EX123456"

	// Microsoft365ServiceID and Microsoft365ProblemClassificationID are the
	// full resource ids of the seeded Microsoft 365 support service and its
	// "Outlook connectivity" problem classification.
	Microsoft365ServiceID               = "/providers/Microsoft.Support/services/" + m365ServiceGUID
	Microsoft365ProblemClassificationID = Microsoft365ServiceID + "/problemClassifications/" + m365OutlookPCGUID

	// GraphResource and ARMResource are the token audiences.
	GraphResource = "https://graph.microsoft.com"
	ARMResource   = "https://management.azure.com/"
)

// Config describes the simulated tenant, subscription and instance. The zero
// value of every field means its default.
type Config struct {
	Tenant       string // tenant domain; default DefaultTenant
	TenantID     string // tenant GUID, accepted in token paths too; default DefaultTenantID
	ClientID     string // Entra app; default DefaultClientID
	ClientSecret string // default DefaultClientSecret

	ServiceNowClientID     string // default DefaultServiceNowClientID
	ServiceNowClientSecret string // default DefaultServiceNowClientSecret
	ServiceNowUser         string // basic auth fallback; default "admin"
	ServiceNowPassword     string // default "admin"

	Subscription string // Azure subscription; default DefaultSubscription

	TokenLifetime           time.Duration // Entra tokens; default 1h (expires_in 3599)
	ServiceNowTokenLifetime time.Duration // default 30m (expires_in 1799)

	PageSize   int    // Graph issues per page without $top or Prefer: odata.maxpagesize; default 5
	AsyncPolls int    // polls of a create operation answering InProgress before Succeeded; default 1 (negative: 0)
	Seed       uint64 // seed of the random source deciding error rates; default 1

	// Now is the clock (token expiry, timestamps); default time.Now.
	Now func() time.Time
}

func (c Config) withDefaults() Config {
	def := func(v *string, d string) {
		if *v == "" {
			*v = d
		}
	}
	def(&c.Tenant, DefaultTenant)
	def(&c.TenantID, DefaultTenantID)
	def(&c.ClientID, DefaultClientID)
	def(&c.ClientSecret, DefaultClientSecret)
	def(&c.ServiceNowClientID, DefaultServiceNowClientID)
	def(&c.ServiceNowClientSecret, DefaultServiceNowClientSecret)
	def(&c.ServiceNowUser, DefaultServiceNowUser)
	def(&c.ServiceNowPassword, DefaultServiceNowPassword)
	def(&c.Subscription, DefaultSubscription)
	if c.TokenLifetime <= 0 {
		c.TokenLifetime = time.Hour
	}
	if c.ServiceNowTokenLifetime <= 0 {
		c.ServiceNowTokenLifetime = 30 * time.Minute
	}
	if c.PageSize <= 0 {
		c.PageSize = 5
	}
	switch {
	case c.AsyncPolls == 0:
		c.AsyncPolls = 1
	case c.AsyncPolls < 0:
		c.AsyncPolls = 0
	}
	if c.Seed == 0 {
		c.Seed = 1
	}
	if c.Now == nil {
		c.Now = time.Now
	}
	return c
}
