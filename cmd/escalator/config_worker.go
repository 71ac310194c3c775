package main

import (
	"fmt"
	"time"

	"github.com/spf13/pflag"
)

// workerConfig shapes the consumer and the handlers.
type workerConfig struct {
	Concurrency        int
	RoleInsights       string
	RoleAdmin          string
	CaseField          string
	CloseCaseOnResolve bool
	TestEnvironment    bool

	HealthSync            bool
	HealthInterval        time.Duration
	CaseSyncInterval      time.Duration
	HealthAssignmentGroup string
	HealthCategory        string
	HealthAutoResolve     bool
	HealthAdvisories      bool
	HealthServices        []string
}

func (c *workerConfig) flags(fs *pflag.FlagSet) {
	fs.IntVar(&c.Concurrency, "concurrency", 32, "messages in flight per worker process")
	fs.StringVar(&c.RoleInsights, "role-insights", defaultRoleInsights, "ServiceNow role that may request insights")
	fs.StringVar(&c.RoleAdmin, "role-admin", defaultRoleAdmin, "ServiceNow role that may escalate to Microsoft support")
	fs.StringVar(&c.CaseField, "case-field", "correlation_id", "incident field that receives the case id")
	fs.BoolVar(&c.CloseCaseOnResolve, "close-case-on-resolve", true, "close the Microsoft case when the incident is resolved or closed")
	fs.BoolVar(&c.TestEnvironment, "test-environment", false, "this is a test environment: cases are marked test, severity minimal")
	fs.BoolVar(&c.HealthSync, "health-sync", false, "create ServiceNow incidents from Microsoft service health incidents")
	fs.DurationVar(&c.HealthInterval, "health-interval", 5*time.Minute, "interval of the service health sync")
	fs.DurationVar(&c.CaseSyncInterval, "case-sync-interval", 5*time.Minute, "interval of the case status sync")
	fs.StringVar(&c.HealthAssignmentGroup, "health-assignment-group", "", "assignment group of service health incidents (required with the health sync)")
	fs.StringVar(&c.HealthCategory, "health-category", "", "category of service health incidents (required with the health sync)")
	fs.BoolVar(&c.HealthAutoResolve, "health-auto-resolve", false, "resolve the incident when Microsoft resolves the issue")
	fs.BoolVar(&c.HealthAdvisories, "health-advisories", false, "also create incidents for service health advisories")
	listVar(fs, &c.HealthServices, "health-services", "only these services, as Graph names them (e.g. \"Exchange Online,Microsoft Teams\"); default all")
}

func (c *workerConfig) validate() error {
	if c.Concurrency < 1 || c.Concurrency > 4096 {
		return configError("ESCALATOR_CONCURRENCY", fmt.Sprintf("is %d", c.Concurrency), "use a number between 1 and 4096 (default 32)")
	}
	if c.RoleInsights == "" {
		return configError("ESCALATOR_ROLE_INSIGHTS", "is empty", "unset it to use "+defaultRoleInsights)
	}
	if c.RoleAdmin == "" {
		return configError("ESCALATOR_ROLE_ADMIN", "is empty", "unset it to use "+defaultRoleAdmin)
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
