package main

import (
	"bytes"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/spf13/cobra"
)

// runRoot executes the CLI with args and an environment, returning stdout,
// stderr and the error.
func runRoot(t *testing.T, envm map[string]string, args ...string) (string, string, error) {
	t.Helper()
	var out, errb bytes.Buffer
	root := newRootEnv(&env{stdout: &out, stderr: &errb, getenv: func(k string) string { return envm[k] }})
	root.SetArgs(args)
	err := root.Execute()
	return out.String(), errb.String(), err
}

func TestEnvFillsUnsetFlags(t *testing.T) {
	var got workerConfig
	cmd := &cobra.Command{Use: "t"}
	got.flags(cmd.Flags())
	envm := map[string]string{"ESCALATOR_CONCURRENCY": "7", "ESCALATOR_ROLE_ADMIN": "custom.admin"}
	if err := applyEnv(cmd, func(k string) string { return envm[k] }); err != nil {
		t.Fatal(err)
	}
	if got.Concurrency != 7 || got.RoleAdmin != "custom.admin" || got.RoleInsights != defaultRoleInsights {
		t.Fatalf("config from env: %+v", got)
	}
}

func TestWorkerTrustDefaults(t *testing.T) {
	var c workerConfig
	cmd := &cobra.Command{Use: "t"}
	c.flags(cmd.Flags())
	envm := map[string]string{"ESCALATOR_ROLE_INSIGHTS": " u_insights , x_mioms_m365_assis.insights_user "}
	if err := applyEnv(cmd, func(k string) string { return envm[k] }); err != nil {
		t.Fatal(err)
	}
	if err := c.validate(); err != nil {
		t.Fatal(err)
	}
	insights, admin := c.roles()
	if strings.Join(insights, "|") != "u_insights|x_mioms_m365_assis.insights_user" ||
		strings.Join(admin, "|") != "escalator_administrator|x_mioms_m365_assis.administrator" {
		t.Fatalf("roles %q, %q", insights, admin)
	}
	if !c.VerifyRoles || c.RoleCacheTTL != time.Minute || c.AllowHighestSeverity {
		t.Fatalf("verify %v, TTL %s, highest %v: want true, 1m0s, false", c.VerifyRoles, c.RoleCacheTTL, c.AllowHighestSeverity)
	}
}

func TestFlagWinsOverEnv(t *testing.T) {
	var c workerConfig
	cmd := &cobra.Command{Use: "t"}
	c.flags(cmd.Flags())
	if err := cmd.Flags().Parse([]string{"--concurrency=3"}); err != nil {
		t.Fatal(err)
	}
	if err := applyEnv(cmd, func(k string) string { return map[string]string{"ESCALATOR_CONCURRENCY": "9"}[k] }); err != nil {
		t.Fatal(err)
	}
	if c.Concurrency != 3 {
		t.Fatalf("concurrency %d, want the flag's 3", c.Concurrency)
	}
}

func TestSecretFromFile(t *testing.T) {
	path := filepath.Join(t.TempDir(), "secret")
	if err := os.WriteFile(path, []byte("s3cret-value\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	var ms microsoftConfig
	cmd := &cobra.Command{Use: "t"}
	ms.flags(cmd.Flags())
	if err := applyEnv(cmd, func(k string) string {
		return map[string]string{"ESCALATOR_CLIENT_SECRET_FILE": path}[k]
	}); err != nil {
		t.Fatal(err)
	}
	if ms.ClientSecret != "s3cret-value" {
		t.Fatalf("secret %q", ms.ClientSecret)
	}
}

func TestBadConfigNamesTheVariable(t *testing.T) {
	tests := []struct {
		name     string
		env      map[string]string
		variable string
	}{
		{"concurrency not a number", map[string]string{"ESCALATOR_CONCURRENCY": "lots"}, "ESCALATOR_CONCURRENCY"},
		{"concurrency zero", map[string]string{"ESCALATOR_CONCURRENCY": "0", "ESCALATOR_NATS_URL": "nats://127.0.0.1:1", "ESCALATOR_INGEST_TOKENS": "0123456789abcdef0123"}, "ESCALATOR_CONCURRENCY"},
		{"no ingest tokens", map[string]string{"ESCALATOR_NATS_URL": "nats://127.0.0.1:1"}, "ESCALATOR_INGEST_TOKENS"},
		{"short ingest token", map[string]string{"ESCALATOR_INGEST_TOKENS": "short"}, "ESCALATOR_INGEST_TOKENS"},
		{"bad cidr", map[string]string{"ESCALATOR_INGEST_TOKENS": "0123456789abcdef0123", "ESCALATOR_INGEST_ALLOW_CIDRS": "10.0.0.0/33"}, "ESCALATOR_INGEST_ALLOW_CIDRS"},
		{"bad log level", map[string]string{"ESCALATOR_LOG_LEVEL": "loud"}, "ESCALATOR_LOG_LEVEL"},
		{"redis without key", map[string]string{"ESCALATOR_INGEST_TOKENS": "0123456789abcdef0123", "ESCALATOR_REDIS_URL": "redis://127.0.0.1:6379"}, "ESCALATOR_TOKEN_KEY"},
		{"bad token key", map[string]string{"ESCALATOR_INGEST_TOKENS": "0123456789abcdef0123", "ESCALATOR_TOKEN_KEY": "bm90IDMyIGJ5dGVz"}, "ESCALATOR_TOKEN_KEY"},
		{"health sync without group", map[string]string{"ESCALATOR_INGEST_TOKENS": "0123456789abcdef0123", "ESCALATOR_HEALTH_SYNC": "true", "ESCALATOR_HEALTH_CATEGORY": "x"}, "ESCALATOR_HEALTH_ASSIGNMENT_GROUP"},
		{"bad servicenow rate", map[string]string{"ESCALATOR_INGEST_TOKENS": "0123456789abcdef0123", "ESCALATOR_SERVICENOW_RATE": "100 per second"}, "ESCALATOR_SERVICENOW_RATE"},
		{"bad secret file", map[string]string{"ESCALATOR_CLIENT_SECRET_FILE": "/nonexistent/secret"}, "ESCALATOR_CLIENT_SECRET_FILE"},
		{"empty admin role entry", map[string]string{"ESCALATOR_INGEST_TOKENS": "0123456789abcdef0123", "ESCALATOR_ROLE_ADMIN": "escalator_administrator,"}, "ESCALATOR_ROLE_ADMIN"},
		{"blank insights roles", map[string]string{"ESCALATOR_INGEST_TOKENS": "0123456789abcdef0123", "ESCALATOR_ROLE_INSIGHTS": " "}, "ESCALATOR_ROLE_INSIGHTS"},
		{"role cache TTL too long", map[string]string{"ESCALATOR_INGEST_TOKENS": "0123456789abcdef0123", "ESCALATOR_ROLE_CACHE_TTL": "2h"}, "ESCALATOR_ROLE_CACHE_TTL"},
		{"negative role cache TTL", map[string]string{"ESCALATOR_INGEST_TOKENS": "0123456789abcdef0123", "ESCALATOR_ROLE_CACHE_TTL": "-1s"}, "ESCALATOR_ROLE_CACHE_TTL"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, _, err := runRoot(t, tt.env, "serve")
			if err == nil {
				t.Fatal("serve started with bad configuration")
			}
			msg := err.Error()
			if !strings.HasPrefix(msg, tt.variable) || strings.Contains(msg, "\n") {
				t.Fatalf("want one line starting with %s, got %q", tt.variable, msg)
			}
		})
	}
}

func TestVersion(t *testing.T) {
	out, _, err := runRoot(t, nil, "version")
	if err != nil || !strings.HasPrefix(out, "escalator ") || !strings.Contains(out, "go1.") {
		t.Fatalf("version: %q, %v", out, err)
	}
}

func TestRequiredMicrosoftSettings(t *testing.T) {
	full := microsoftConfig{Tenant: "contoso.onmicrosoft.com", ClientID: "id", ClientSecret: "s", TokenEndpoint: "v1",
		LoginURL: "https://login.microsoftonline.com", GraphURL: "https://graph.microsoft.com", ARMURL: "https://management.azure.com",
		SubscriptionID: "sub", SupportServiceID: "svc", ProblemClassification: "pc"}
	if err := full.validate(); err != nil {
		t.Fatal(err)
	}
	if err := full.validateSupport(); err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		variable string
		unset    func(*microsoftConfig)
		check    func(*microsoftConfig) error
	}{
		{"ESCALATOR_TENANT", func(c *microsoftConfig) { c.Tenant = "" }, (*microsoftConfig).validate},
		{"ESCALATOR_CLIENT_SECRET", func(c *microsoftConfig) { c.ClientSecret = "" }, (*microsoftConfig).validate},
		{"ESCALATOR_AZURE_SUBSCRIPTION_ID", func(c *microsoftConfig) { c.SubscriptionID = "" }, (*microsoftConfig).validateSupport},
		{"ESCALATOR_SUPPORT_PROBLEM_CLASSIFICATION_ID", func(c *microsoftConfig) { c.ProblemClassification = "" }, (*microsoftConfig).validateSupport},
	}
	for _, tt := range tests {
		c := full
		tt.unset(&c)
		if err := tt.check(&c); err == nil || !strings.HasPrefix(err.Error(), tt.variable+" is not set") {
			t.Errorf("%s unset: %v", tt.variable, err)
		}
	}
}
