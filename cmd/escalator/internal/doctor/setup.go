package doctor

import (
	"context"
	"fmt"
	"slices"
	"strings"
	"time"
)

// Check names, in the order Checks runs them.
const (
	NameConfig         = "configuration"
	NameTenant         = "tenant"
	NameCredentials    = "client credentials"
	NameGraphHealth    = "graph service health"
	NameSupportAccess  = "support ticket access"
	NameSupportCatalog = "support service"
	// NameSupportCoverage: the services the subscription's support covers
	// and the Microsoft 365 workloads among them.
	NameSupportCoverage = "support coverage"
	NameSNOAuth         = "servicenow oauth"
	NameSNRead          = "servicenow incident read"
	NameSNWrite         = "servicenow incident write"
	NameSNRoles         = "servicenow role read"
	NameSNJournal       = "servicenow journal read"
	NameSNSelf          = "servicenow integration user"
	NameSNCodeTag       = "servicenow note markup"
	NameSNOutboxRead    = "servicenow outbox read"
	NameSNOutboxWrite   = "servicenow outbox write"
	NameNATS            = "nats"
	NameStreams         = "jetstream resources"
	NameAccount         = "linked admin account"
	NameRedis           = "redis token cache"
	NameTestEnv         = "test environment"
)

// Setup is what the checks run against. A nil part means its configuration
// is unusable: the checks that need it are skipped as needing the
// configuration check, which names the problem.
type Setup struct {
	// Problems are configuration errors (FAIL), Warnings configuration
	// that works but is doubtful (WARN); each one line naming the variable
	// and the fix.
	Problems, Warnings []string

	Entra      *Entra
	Graph      HealthReader
	Support    *Support
	ServiceNow *ServiceNow
	// Access is checked with ServiceNow: the other tables Escalator reads
	// and writes.
	Access    *Access
	JetStream *JetStream
	// Account is checked against JetStream and the Graph directory; its
	// JetStream field is set by Checks.
	Account *Account
	// Redis is nil when its configuration is unusable; a Redis with a nil
	// Client is the in-process cache (WARN).
	Redis *Redis

	TestEnvironment bool
	// Simulator reports whether an answer so far came from Escalator's
	// simulator (Remote sets it); nil: never.
	Simulator func() bool
	// Timeout bounds each check; zero means DefaultTimeout.
	Timeout time.Duration
}

// Checks returns the standard checks, in order, with their dependencies.
func Checks(s Setup) []Check {
	ifMissing := func(missing bool, needs ...string) []string {
		if missing {
			return append([]string{NameConfig}, needs...)
		}
		return needs
	}
	// A missing part's checks still run, to say they are skipped.
	entra, support, snow, access := orNew(s.Entra), orNew(s.Support), orNew(s.ServiceNow), orNew(s.Access)
	js, account := orNew(s.JetStream), orNew(s.Account)
	account.JetStream = js
	redis := (&Redis{}).Check(NameConfig)
	if s.Redis != nil {
		redis = s.Redis.Check()
	}

	checks := []Check{
		ConfigurationCheck(s.Problems, s.Warnings),
		entra.TenantCheck(ifMissing(s.Entra == nil)...),
		entra.CredentialsCheck(),
		GraphHealthCheck(s.Graph, ifMissing(s.Graph == nil, NameCredentials)...),
		support.AccessCheck(ifMissing(s.Support == nil, NameCredentials)...),
		support.CatalogCheck(ifMissing(s.Support == nil, NameCredentials)...),
		support.CoverageCheck(ifMissing(s.Support == nil, NameCredentials)...),
		snow.OAuthCheck(ifMissing(s.ServiceNow == nil)...),
		snow.ReadCheck(),
		snow.WriteCheck(),
		withNeeds(access.RolesCheck(), ifMissing(s.Access == nil)...),
		withNeeds(access.JournalCheck(), ifMissing(s.Access == nil)...),
		withNeeds(access.SelfCheck(), ifMissing(s.Access == nil)...),
		withNeeds(access.CodeTagCheck(), ifMissing(s.Access == nil)...),
		withNeeds(access.OutboxReadCheck(), ifMissing(s.Access == nil)...),
		access.OutboxWriteCheck(),
		js.NATSCheck(ifMissing(s.JetStream == nil)...),
		js.ResourcesCheck(),
		account.Check(ifMissing(s.Account == nil || s.Account.Directory == nil, NameStreams, NameCredentials)...),
		redis,
		TestEnvironmentCheck(s.TestEnvironment, s.Simulator),
	}
	for i := range checks {
		checks[i].Timeout = s.Timeout
	}
	return checks
}

// orNew is p, or a new zero T when p is nil.
func orNew[T any](p *T) *T {
	if p == nil {
		return new(T)
	}
	return p
}

// withNeeds adds needs in front of c's own.
func withNeeds(c Check, needs ...string) Check {
	c.Needs = append(needs, c.Needs...)
	return c
}

// ConfigurationCheck reports every configuration problem at once, not only
// the first: FAIL with one problem per line of the fix, WARN for warnings
// alone, else PASS. The detail counts every line of the fix.
func ConfigurationCheck(problems, warnings []string) Check {
	return Check{Name: NameConfig, Run: func(context.Context) Result {
		switch {
		case len(problems) > 0:
			return Failed(strings.Join(slices.Concat(problems, warnings), "\n"), "%s", summary(problems, warnings))
		case len(warnings) > 0:
			return Warned(strings.Join(warnings, "\n"), "%s", summary(nil, warnings))
		}
		return Passed("every setting is present and well-formed")
	}}
}

// summary counts the problems and the warnings and names their variables:
// each item starts with the variable it is about.
func summary(problems, warnings []string) string {
	items := slices.Concat(problems, warnings)
	vars := make([]string, 0, len(items))
	for _, it := range items {
		v, _, _ := strings.Cut(strings.TrimSpace(it), " ")
		vars = append(vars, v)
	}
	var counts []string
	if len(problems) > 0 {
		counts = append(counts, plural(len(problems), "problem"))
	}
	if len(warnings) > 0 {
		counts = append(counts, plural(len(warnings), "warning"))
	}
	return fmt.Sprintf("%s: %s", strings.Join(counts, " and "), strings.Join(vars, ", "))
}

func plural(n int, noun string) string {
	if n == 1 {
		return "1 " + noun
	}
	return fmt.Sprintf("%d %ss", n, noun)
}

// TestEnvironmentCheck shows ESCALATOR_TEST_ENVIRONMENT, and whether the
// endpoints are Escalator's simulator (simulated, when not nil, says so
// once the other checks have called them); it always passes.
func TestEnvironmentCheck(test bool, simulated func() bool) Check {
	return Check{Name: NameTestEnv, Run: func(context.Context) Result {
		const testEnv = "test environment: cases are marked test, severity minimal"
		if simulated != nil && simulated() {
			if test {
				return Passed("simulator: the endpoints are Escalator's simulator, no case is real; " + testEnv)
			}
			return Passed("simulator: the endpoints are Escalator's simulator, no case is real")
		}
		if test {
			return Passed(testEnv)
		}
		return Passed("production: cases are real")
	}}
}
