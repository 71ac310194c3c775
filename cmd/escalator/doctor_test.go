package main

import (
	"bytes"
	"context"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"maps"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/spf13/cobra"

	"github.com/escalator/escalator/cmd/escalator/internal/doctor"
	"github.com/escalator/escalator/escalation"
	"github.com/escalator/escalator/internal/streams"
	"github.com/escalator/escalator/internal/testkit/sim"
	"github.com/escalator/escalator/internal/testkit/testserver"
	"github.com/escalator/escalator/internal/token"
)

// doctorEnv is a correct installation — the simulator, NATS provisioned
// with the admin account linked, Redis — as ESCALATOR_* variables.
func doctorEnv(t *testing.T) map[string]string {
	t.Helper()
	s := sim.New(sim.Config{})
	ts := httptest.NewServer(s.Handler())
	t.Cleanup(ts.Close)
	ns := testserver.NATS(t)
	_, js := testserver.Connect(t, ns)
	ctx := context.Background()
	res, err := streams.Ensure(ctx, js, streams.Config{})
	if err != nil {
		t.Fatal(err)
	}
	envm := map[string]string{
		"ESCALATOR_NATS_URL":                          ns.ClientURL(),
		"ESCALATOR_REDIS_URL":                         testserver.StartRedis(t).URL(),
		"ESCALATOR_TOKEN_KEY":                         base64.StdEncoding.EncodeToString(token.GenerateKey()),
		"ESCALATOR_TENANT":                            sim.DefaultTenant,
		"ESCALATOR_CLIENT_ID":                         sim.DefaultClientID,
		"ESCALATOR_CLIENT_SECRET":                     sim.DefaultClientSecret,
		"ESCALATOR_LOGIN_URL":                         ts.URL,
		"ESCALATOR_GRAPH_URL":                         ts.URL,
		"ESCALATOR_ARM_URL":                           ts.URL,
		"ESCALATOR_AZURE_SUBSCRIPTION_ID":             sim.DefaultSubscription,
		"ESCALATOR_SUPPORT_SERVICE_ID":                sim.Microsoft365ServiceID,
		"ESCALATOR_SUPPORT_PROBLEM_CLASSIFICATION_ID": sim.Microsoft365ProblemClassificationID,
		"ESCALATOR_SERVICENOW_URL":                    ts.URL,
		"ESCALATOR_SERVICENOW_CLIENT_ID":              sim.DefaultServiceNowClientID,
		"ESCALATOR_SERVICENOW_CLIENT_SECRET":          sim.DefaultServiceNowClientSecret,
		"ESCALATOR_SERVICENOW_INTEGRATION_USER":       sim.IntegrationUser,
		"ESCALATOR_INGEST_TOKENS":                     "doctor-test-token-0123456789",
		"ESCALATOR_CHECK_TIMEOUT":                     "5s",
	}
	rem, err := doctor.NewRemote(5 * time.Second)
	if err != nil {
		t.Fatal(err)
	}
	defer rem.Close()
	var setup doctor.Setup
	if err := rem.Microsoft(&setup, doctor.MicrosoftConfig{LoginURL: ts.URL, Tenant: sim.DefaultTenant,
		ClientID: sim.DefaultClientID, ClientSecret: sim.DefaultClientSecret, GraphURL: ts.URL}); err != nil {
		t.Fatal(err)
	}
	store, err := escalation.NewAccountStore(res.Accounts, escalation.AccountStoreConfig{})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := store.Link(ctx, escalation.LinkRequest{Email: sim.DefaultAdminUPN, LinkedBy: "test", Verify: true}, setup.Account.Directory); err != nil {
		t.Fatal(err)
	}
	return envm
}

// runDoctorCmd runs `escalator doctor args…` with the environment envm.
func runDoctorCmd(t *testing.T, envm map[string]string, args ...string) (string, error) {
	t.Helper()
	var out, errb bytes.Buffer
	getenv := func(k string) string { return envm[k] }
	e := &env{stdout: &out, stderr: &errb, getenv: getenv}
	root := &cobra.Command{Use: "escalator", SilenceUsage: true, SilenceErrors: true,
		PersistentPreRunE: func(cmd *cobra.Command, _ []string) error { return applyEnv(cmd, getenv) }}
	root.AddCommand(newDoctorCmd(e))
	root.SetArgs(append([]string{"doctor"}, args...))
	err := root.Execute()
	return out.String(), err
}

func doctorJSON(t *testing.T, envm map[string]string) ([]doctor.Entry, error) {
	t.Helper()
	out, err := runDoctorCmd(t, envm, "--output", "json")
	var entries []doctor.Entry
	if jerr := json.Unmarshal([]byte(out), &entries); jerr != nil {
		t.Fatalf("output is not a JSON array of entries: %v\n%s", jerr, out)
	}
	return entries, err
}

func entryOf(t *testing.T, entries []doctor.Entry, name string) doctor.Entry {
	t.Helper()
	for _, e := range entries {
		if e.Name == name {
			return e
		}
	}
	t.Fatalf("no entry %q in %+v", name, entries)
	return doctor.Entry{}
}

func isExit(err error, code int) bool {
	var ec exitCode
	return errors.As(err, &ec) && int(ec) == code
}

func TestDoctorCorrectSetupExitsZero(t *testing.T) {
	envm := doctorEnv(t)
	out, err := runDoctorCmd(t, envm)
	if err != nil {
		t.Fatalf("doctor: %v\n%s", err, out)
	}
	if n := len(doctor.Checks(doctor.Setup{})); !strings.Contains(out, fmt.Sprintf("%d passed, 0 warnings, 0 failed, 0 skipped", n)) {
		t.Errorf("text output:\n%s", out)
	}
	if strings.Contains(out, "\x1b[") {
		t.Error("colours written to a non-terminal")
	}
	for _, secret := range []string{sim.DefaultClientSecret, sim.DefaultServiceNowClientSecret, envm["ESCALATOR_TOKEN_KEY"]} {
		if strings.Contains(out, secret) {
			t.Errorf("output shows a secret %q", secret)
		}
	}
}

func TestDoctorJSONShape(t *testing.T) {
	envm := doctorEnv(t)
	out, err := runDoctorCmd(t, envm, "-o", "json")
	if err != nil {
		t.Fatal(err)
	}
	var raw []map[string]any
	if err := json.Unmarshal([]byte(out), &raw); err != nil {
		t.Fatalf("%v\n%s", err, out)
	}
	if n := len(doctor.Checks(doctor.Setup{})); len(raw) != n {
		t.Fatalf("%d entries, want %d", len(raw), n)
	}
	for _, e := range raw {
		if len(e) != 4 {
			t.Errorf("entry %v: want exactly name, status, detail, fix", e)
		}
		for _, k := range []string{"name", "status", "detail", "fix"} {
			if _, ok := e[k].(string); !ok {
				t.Errorf("entry %v: %s is not a string", e, k)
			}
		}
	}
	if last := len(raw) - 1; raw[0]["name"] != doctor.NameConfig || raw[last]["name"] != doctor.NameTestEnv {
		t.Errorf("order: first %v, last %v", raw[0]["name"], raw[last]["name"])
	}
}

func TestDoctorFailExitsOne(t *testing.T) {
	envm := doctorEnv(t)
	envm["ESCALATOR_TENANT"] = "fabrikam.onmicrosoft.com"
	out, err := runDoctorCmd(t, envm)
	if !isExit(err, 1) {
		t.Fatalf("err = %v, want exit code 1", err)
	}
	if !strings.Contains(out, "FAIL  tenant") || !strings.Contains(out, "fix: check ESCALATOR_TENANT: tenant fabrikam.onmicrosoft.com not found") {
		t.Errorf("output:\n%s", out)
	}
	entries, err := doctorJSON(t, envm)
	if !isExit(err, 1) {
		t.Fatalf("json: err = %v, want exit code 1", err)
	}
	if e := entryOf(t, entries, doctor.NameCredentials); e.Status != doctor.Skip || e.Detail != "needs tenant" {
		t.Errorf("credentials: %+v", e)
	}
}

func TestDoctorConfiguration(t *testing.T) {
	tests := []struct {
		name   string
		change map[string]string
		status doctor.Status
		// fix lists every one of these; skipped checks need configuration.
		fixes   []string
		skipped []string
		passed  []string
	}{
		{
			name: "several problems at once",
			change: map[string]string{"ESCALATOR_TENANT": "", "ESCALATOR_CLIENT_SECRET": "", "ESCALATOR_GRAPH_URL": "graph.microsoft.com",
				"ESCALATOR_SERVICENOW_URL": "", "ESCALATOR_SUPPORT_SERVICE_ID": ""},
			status: doctor.Fail,
			fixes: []string{"ESCALATOR_TENANT is not set", "ESCALATOR_CLIENT_SECRET is not set", `ESCALATOR_GRAPH_URL is "graph.microsoft.com", not an http(s) URL`,
				"ESCALATOR_SERVICENOW_URL is not set", "ESCALATOR_SUPPORT_SERVICE_ID is not set"},
			skipped: []string{doctor.NameTenant, doctor.NameGraphHealth, doctor.NameSupportAccess, doctor.NameSNOAuth},
			passed:  []string{doctor.NameNATS, doctor.NameStreams, doctor.NameRedis},
		},
		{
			name:    "bad token key",
			change:  map[string]string{"ESCALATOR_TOKEN_KEY": base64.StdEncoding.EncodeToString([]byte("too short"))},
			status:  doctor.Fail,
			fixes:   []string{"ESCALATOR_TOKEN_KEY is not base64 of 32 bytes: generate one with `head -c 32 /dev/urandom | base64`"},
			skipped: []string{doctor.NameRedis},
			passed:  []string{doctor.NameTenant, doctor.NameSNWrite, doctor.NameAccount},
		},
		{
			name:    "token key missing with redis",
			change:  map[string]string{"ESCALATOR_TOKEN_KEY": ""},
			status:  doctor.Fail,
			fixes:   []string{"ESCALATOR_TOKEN_KEY is not set but ESCALATOR_REDIS_URL is"},
			skipped: []string{doctor.NameRedis},
		},
		{
			name:    "malformed subscription",
			change:  map[string]string{"ESCALATOR_AZURE_SUBSCRIPTION_ID": "my-subscription"},
			status:  doctor.Fail,
			fixes:   []string{`ESCALATOR_AZURE_SUBSCRIPTION_ID is "my-subscription", not a subscription id`},
			skipped: []string{doctor.NameSupportAccess, doctor.NameSupportCatalog},
			passed:  []string{doctor.NameCredentials, doctor.NameGraphHealth},
		},
		{
			name:    "nats unset",
			change:  map[string]string{"ESCALATOR_NATS_URL": ""},
			status:  doctor.Fail,
			fixes:   []string{"ESCALATOR_NATS_URL is not set"},
			skipped: []string{doctor.NameNATS, doctor.NameStreams, doctor.NameAccount},
		},
		{
			name:   "ingest tokens only warn",
			change: map[string]string{"ESCALATOR_INGEST_TOKENS": ""},
			status: doctor.Warn,
			fixes:  []string{"ESCALATOR_INGEST_TOKENS is not set"},
			passed: []string{doctor.NameTenant, doctor.NameRedis},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			envm := doctorEnv(t)
			maps.Copy(envm, tt.change)
			entries, err := doctorJSON(t, envm)
			if wantExit := tt.status == doctor.Fail; isExit(err, 1) != wantExit || (!wantExit && err != nil) {
				t.Errorf("err = %v, want exit 1: %v", err, wantExit)
			}
			cfg := entryOf(t, entries, doctor.NameConfig)
			if cfg.Status != tt.status {
				t.Errorf("configuration: %s %q, want %s", cfg.Status, cfg.Detail, tt.status)
			}
			for _, f := range tt.fixes {
				if !strings.Contains(cfg.Fix, f) {
					t.Errorf("configuration fix lacks %q:\n%s", f, cfg.Fix)
				}
			}
			if n := len(strings.Split(cfg.Fix, "\n")); n != len(tt.fixes) {
				t.Errorf("configuration fix has %d lines, want %d:\n%s", n, len(tt.fixes), cfg.Fix)
			}
			for _, name := range tt.skipped {
				if e := entryOf(t, entries, name); e.Status != doctor.Skip || !strings.HasPrefix(e.Detail, "needs ") {
					t.Errorf("%s: %+v, want SKIP", name, e)
				}
			}
			for _, name := range tt.passed {
				if e := entryOf(t, entries, name); e.Status != doctor.Pass {
					t.Errorf("%s: %+v, want PASS", name, e)
				}
			}
		})
	}
}

func TestDoctorFlags(t *testing.T) {
	envm := doctorEnv(t)
	envm["ESCALATOR_REDIS_URL"], envm["ESCALATOR_TOKEN_KEY"] = "", ""
	envm["ESCALATOR_TEST_ENVIRONMENT"] = "true"
	entries, err := func() ([]doctor.Entry, error) {
		out, err := runDoctorCmd(t, envm, "-o", "json", "--skip-write")
		var entries []doctor.Entry
		if jerr := json.Unmarshal([]byte(out), &entries); jerr != nil {
			t.Fatalf("%v\n%s", jerr, out)
		}
		return entries, err
	}()
	if err != nil {
		t.Fatalf("WARNs alone must exit 0, got %v", err)
	}
	for name, want := range map[string]string{
		doctor.NameRedis:   "in-process token cache: every replica fetches its own tokens",
		doctor.NameSNWrite: "not verified (--skip-write)",
	} {
		if e := entryOf(t, entries, name); e.Status != doctor.Warn || e.Detail != want && !strings.Contains(e.Detail, want) {
			t.Errorf("%s: %+v, want WARN %q", name, e, want)
		}
	}
	if e := entryOf(t, entries, doctor.NameSNSelf); e.Status != doctor.Pass || !strings.Contains(e.Detail, "acting as "+sim.IntegrationUser+" (ESCALATOR_SERVICENOW_INTEGRATION_USER)") {
		t.Errorf("integration user: %+v", e)
	}
	// Pointed at the simulator, doctor says so (and that this is a test environment).
	if e := entryOf(t, entries, doctor.NameTestEnv); !strings.HasPrefix(e.Detail, "simulator: ") ||
		!strings.HasSuffix(e.Detail, "test environment: cases are marked test, severity minimal") {
		t.Errorf("test environment: %+v", e)
	}
	// The outbox is off: its checks say it is not used.
	if e := entryOf(t, entries, doctor.NameSNOutboxWrite); e.Status != doctor.Pass || !strings.Contains(e.Detail, "not used") {
		t.Errorf("outbox write with ESCALATOR_SERVICENOW_OUTBOX off: %+v", e)
	}
	envm["ESCALATOR_SERVICENOW_OUTBOX"] = "true"
	if out, _ := runDoctorCmd(t, envm, "-o", "json", "--skip-write"); !strings.Contains(out, "write access to the outbox not verified (--skip-write)") {
		t.Errorf("ESCALATOR_SERVICENOW_OUTBOX=true does not reach the outbox checks:\n%s", out)
	}
	delete(envm, "ESCALATOR_SERVICENOW_OUTBOX")
	envm["ESCALATOR_VERIFY_ROLES"] = "false"
	out, err := runDoctorCmd(t, envm, "-o", "json", "--skip-write")
	var again []doctor.Entry
	if jerr := json.Unmarshal([]byte(out), &again); jerr != nil || err != nil {
		t.Fatalf("ESCALATOR_VERIFY_ROLES=false: %v %v\n%s", err, jerr, out)
	}
	if e := entryOf(t, again, doctor.NameSNRoles); e.Status != doctor.Warn || !strings.Contains(e.Detail, "ESCALATOR_VERIFY_ROLES=false") {
		t.Errorf("role read with ESCALATOR_VERIFY_ROLES=false: %+v, want WARN", e)
	}
	if _, err := runDoctorCmd(t, envm, "-o", "yaml"); err == nil || !strings.Contains(err.Error(), "--output") {
		t.Errorf("-o yaml: %v, want an --output error", err)
	}
}
