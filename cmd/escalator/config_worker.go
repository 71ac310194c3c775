package main

import (
	"fmt"
	"time"

	"github.com/spf13/pflag"
)

// workerConfig shapes the consumer and the handlers.
type workerConfig struct {
	Concurrency  int
	RoleInsights string // comma list, any one suffices; see roles
	RoleAdmin    string
	// VerifyRoles reads a requester's roles from ServiceNow; off, the
	// payload's are believed (ESCALATOR_VERIFY_ROLES=false).
	VerifyRoles bool
	// RoleCacheTTL is how long a user's roles are remembered; 0 reads
	// ServiceNow for every request.
	RoleCacheTTL         time.Duration
	AllowHighestSeverity bool
	CaseField            string
	CloseCaseOnResolve   bool
	TestEnvironment      bool

	HealthSync            bool
	HealthInterval        time.Duration
	CaseSyncInterval      time.Duration
	HealthAssignmentGroup string
	HealthCategory        string
	HealthAutoResolve     bool
	HealthAdvisories      bool
	HealthServices        []string

	// Outbox pulls pending requests from u_escalator_outbox every
	// OutboxInterval.
	Outbox         bool
	OutboxInterval time.Duration
}

func (c *workerConfig) flags(fs *pflag.FlagSet) {
	fs.IntVar(&c.Concurrency, "concurrency", 32, "messages in flight per worker process")
	c.roleFlags(fs, "any one suffices")
	fs.BoolVar(&c.VerifyRoles, "verify-roles", true, "read the requester's roles from ServiceNow (sys_user_has_role); false believes the roles the event lists")
	fs.DurationVar(&c.RoleCacheTTL, "role-cache-ttl", 60*time.Second, "how long a user's roles read from ServiceNow are remembered (0: read for every request; at most 1h)")
	fs.BoolVar(&c.AllowHighestSeverity, "allow-highest-severity", false, "allow highestcriticalimpact (24x7) cases; otherwise such a request is opened as critical")
	c.caseFlags(fs)
	fs.BoolVar(&c.TestEnvironment, "test-environment", false, "this is a test environment: cases are marked test, severity minimal")
	fs.BoolVar(&c.HealthSync, "health-sync", false, "create ServiceNow incidents from Microsoft service health incidents")
	fs.DurationVar(&c.HealthInterval, "health-interval", 5*time.Minute, "interval of the service health sync")
	fs.DurationVar(&c.CaseSyncInterval, "case-sync-interval", 5*time.Minute, "interval of the case status sync")
	fs.StringVar(&c.HealthAssignmentGroup, "health-assignment-group", "", "assignment group of service health incidents (required with the health sync)")
	fs.StringVar(&c.HealthCategory, "health-category", "", "category of service health incidents (required with the health sync)")
	fs.BoolVar(&c.HealthAutoResolve, "health-auto-resolve", false, "resolve the incident when Microsoft resolves the issue")
	fs.BoolVar(&c.HealthAdvisories, "health-advisories", false, "also create incidents for service health advisories")
	fs.BoolVar(&c.Outbox, "servicenow-outbox", false, "pull pending requests from the ServiceNow outbox table u_escalator_outbox")
	fs.DurationVar(&c.OutboxInterval, "servicenow-outbox-interval", 5*time.Second, "interval between reads of the outbox")
	listVar(fs, &c.HealthServices, "health-services", "only these services, as Graph names them (e.g. \"Exchange Online,Microsoft Teams\"); default all")
}

// roleFlags are the role gates' roles, which replay's dry run checks too;
// note ends their help.
func (c *workerConfig) roleFlags(fs *pflag.FlagSet, note string) {
	fs.StringVar(&c.RoleInsights, "role-insights", defaultRoleInsights, "ServiceNow roles that may request insights, comma-separated ("+note+")")
	fs.StringVar(&c.RoleAdmin, "role-admin", defaultRoleAdmin, "ServiceNow roles that may escalate to Microsoft support, comma-separated ("+note+")")
}

// caseFlags are the case handlers' settings, which replay's dry run plans
// with too.
func (c *workerConfig) caseFlags(fs *pflag.FlagSet) {
	fs.StringVar(&c.CaseField, "case-field", "correlation_id", "incident field that receives the case id")
	fs.BoolVar(&c.CloseCaseOnResolve, "close-case-on-resolve", true, "close the Microsoft case when the incident is resolved or closed")
}

func (c *workerConfig) validate() error {
	if c.Concurrency < 1 || c.Concurrency > 4096 {
		return configError("ESCALATOR_CONCURRENCY", fmt.Sprintf("is %d", c.Concurrency), "use a number between 1 and 4096 (default 32)")
	}
	if _, err := roleList("ESCALATOR_ROLE_INSIGHTS", c.RoleInsights, defaultRoleInsights); err != nil {
		return err
	}
	if _, err := roleList("ESCALATOR_ROLE_ADMIN", c.RoleAdmin, defaultRoleAdmin); err != nil {
		return err
	}
	if c.RoleCacheTTL < 0 || c.RoleCacheTTL > time.Hour {
		return configError("ESCALATOR_ROLE_CACHE_TTL", fmt.Sprintf("is %s", c.RoleCacheTTL),
			"use a duration between 0s (no cache) and 1h: a role revoked in ServiceNow keeps working that long (default 60s)")
	}
	if c.CaseField == "" {
		return configError("ESCALATOR_CASE_FIELD", "is empty", "unset it to use correlation_id")
	}
	if c.HealthInterval < time.Second {
		return configError("ESCALATOR_HEALTH_INTERVAL", fmt.Sprintf("is %s", c.HealthInterval), "use a duration of at least 1s, e.g. 5m")
	}
	if c.CaseSyncInterval < time.Second {
		return configError("ESCALATOR_CASE_SYNC_INTERVAL", fmt.Sprintf("is %s", c.CaseSyncInterval), "use a duration of at least 1s, e.g. 5m")
	}
	if err := checkList("ESCALATOR_HEALTH_SERVICES", c.HealthServices); err != nil {
		return err
	}
	if c.Outbox && c.OutboxInterval < time.Second {
		return configError("ESCALATOR_SERVICENOW_OUTBOX_INTERVAL", fmt.Sprintf("is %s", c.OutboxInterval), "use a duration of at least 1s, e.g. 5s")
	}
	if c.HealthSync {
		if c.HealthAssignmentGroup == "" {
			return configError("ESCALATOR_HEALTH_ASSIGNMENT_GROUP", "is not set but ESCALATOR_HEALTH_SYNC is on", "set the assignment group that receives service health incidents")
		}
		if c.HealthCategory == "" {
			return configError("ESCALATOR_HEALTH_CATEGORY", "is not set but ESCALATOR_HEALTH_SYNC is on", "set the incident category for service health incidents")
		}
	}
	return nil
}

// roles returns the insights and the admin role lists; validate has
// checked them.
func (c *workerConfig) roles() (insights, admin []string) {
	insights, _ = roleList("ESCALATOR_ROLE_INSIGHTS", c.RoleInsights, defaultRoleInsights)
	admin, _ = roleList("ESCALATOR_ROLE_ADMIN", c.RoleAdmin, defaultRoleAdmin)
	return insights, admin
}

// roleList parses a comma list of role names with the shared list parser
// (entries trimmed, an empty entry refused naming the variable); an empty
// list is refused too.
func roleList(variable, value, def string) ([]string, error) {
	roles := splitList(value)
	if len(roles) == 0 {
		return nil, configError(variable, "is empty", "unset it to use "+def)
	}
	if err := checkList(variable, roles); err != nil {
		return nil, err
	}
	return roles, nil
}
