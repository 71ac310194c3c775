package main

import (
	"bytes"
	"context"
	"errors"
	"io"
	"log/slog"
	"maps"
	"net"
	"os"
	"os/exec"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/escalator/escalator/internal/outbound"
	"github.com/escalator/escalator/internal/telemetry"
	"github.com/escalator/escalator/internal/testkit/loopback"
	"github.com/escalator/escalator/internal/testkit/testserver"
)

// runMainEnv makes the test binary run main's run() instead of the tests:
// the start-up tests execute it as the user runs escalator.
const runMainEnv = "ESCALATOR_TEST_RUN_MAIN"

func TestMain(m *testing.M) {
	if os.Getenv(runMainEnv) == "1" {
		os.Exit(run())
	}
	os.Exit(m.Run())
}

// runEscalator runs `escalator args…` as a process with only envm (and
// PATH) in its environment, and returns its stdout, stderr and exit code.
func runEscalator(t *testing.T, envm map[string]string, args ...string) (string, string, int) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	cmd := exec.CommandContext(ctx, os.Args[0], args...)
	cmd.Env = []string{runMainEnv + "=1", "PATH=" + os.Getenv("PATH"), "HOME=" + t.TempDir()}
	for k, v := range envm {
		cmd.Env = append(cmd.Env, k+"="+v)
	}
	cmd.Dir = t.TempDir()
	var out, errb bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &errb
	err := cmd.Run()
	var ee *exec.ExitError
	switch {
	case err == nil:
		return out.String(), errb.String(), 0
	case errors.As(err, &ee):
		return out.String(), errb.String(), ee.ExitCode()
	}
	t.Fatalf("run escalator %v: %v", args, err)
	return "", "", -1
}

// serveEnv is a complete serve configuration: valid, pointing at NATS
// natsURL and at Microsoft and ServiceNow endpoints that are never dialled
// (every case fails before a request).
func serveEnv(natsURL string) map[string]string {
	return map[string]string{
		"ESCALATOR_NATS_URL":                          natsURL,
		"ESCALATOR_INGEST_ADDR":                       "127.0.0.1:0",
		"ESCALATOR_ADMIN_ADDR":                        "127.0.0.1:0",
		"ESCALATOR_INGEST_TOKENS":                     "start-test-token-0123456789",
		"ESCALATOR_TENANT":                            "contoso.onmicrosoft.com",
		"ESCALATOR_CLIENT_ID":                         "11111111-1111-1111-1111-111111111111",
		"ESCALATOR_CLIENT_SECRET":                     "start-test-client-secret",
		"ESCALATOR_LOGIN_URL":                         "http://127.0.0.1:1",
		"ESCALATOR_GRAPH_URL":                         "http://127.0.0.1:1",
		"ESCALATOR_ARM_URL":                           "http://127.0.0.1:1",
		"ESCALATOR_AZURE_SUBSCRIPTION_ID":             "22222222-2222-2222-2222-222222222222",
		"ESCALATOR_SUPPORT_SERVICE_ID":                "svc",
		"ESCALATOR_SUPPORT_PROBLEM_CLASSIFICATION_ID": "pc",
		"ESCALATOR_SERVICENOW_URL":                    "http://127.0.0.1:1",
		"ESCALATOR_SERVICENOW_CLIENT_ID":              "snow-client",
		"ESCALATOR_SERVICENOW_CLIENT_SECRET":          "start-test-snow-secret",
	}
}

// TestFailedStartsSayOneLine runs serve and dev as a user would, each
// failing at a different step of the start, and wants from each the same
// thing: exit status 1, no panic, and one line that names the variable.
func TestFailedStartsSayOneLine(t *testing.T) {
	ns := testserver.NATS(t)
	with := func(base map[string]string, kv ...string) map[string]string {
		out := maps.Clone(base)
		for i := 0; i+1 < len(kv); i += 2 {
			out[kv[i]] = kv[i+1]
		}
		return out
	}
	good := serveEnv(ns.ClientURL())
	devArgs := func(kv ...string) []string {
		args := []string{"dev", "--data", t.TempDir(), "--dev-sim-addr", "127.0.0.1:0", "--admin-addr", "127.0.0.1:0",
			"--ingest-addr", "127.0.0.1:0", "--dev-nats-addr", loopback.Free(t)}
		return append(args, kv...)
	}
	tests := []struct {
		name     string
		env      map[string]string
		args     []string
		variable string // the line names it
	}{
		{"serve: NATS unreachable", with(good, "ESCALATOR_NATS_URL", "nats://"+loopback.Free(t)), []string{"serve"}, "ESCALATOR_NATS_URL"},
		{"serve: ingest port taken", with(good, "ESCALATOR_INGEST_ADDR", loopback.Taken(t)), []string{"serve"}, "ESCALATOR_INGEST_ADDR"},
		{"serve: admin port taken", with(good, "ESCALATOR_ADMIN_ADDR", loopback.Taken(t)), []string{"serve"}, "ESCALATOR_ADMIN_ADDR"},
		{"serve: token endpoint v3", with(good, "ESCALATOR_TOKEN_ENDPOINT", "v3"), []string{"serve"}, "ESCALATOR_TOKEN_ENDPOINT"},
		{"serve: ServiceNow URL without scheme", with(good, "ESCALATOR_SERVICENOW_URL", "contoso.service-now.com"), []string{"serve"}, "ESCALATOR_SERVICENOW_URL"},
		{"serve: Redis URL without scheme", with(good, "ESCALATOR_REDIS_URL", "127.0.0.1:1", "ESCALATOR_TOKEN_KEY", "AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA="), []string{"serve"}, "ESCALATOR_REDIS_URL"},
		{"serve: empty ingest token", with(good, "ESCALATOR_INGEST_TOKENS", "start-test-token-0123456789,"), []string{"serve"}, "ESCALATOR_INGEST_TOKENS"},
		{"serve --worker=false: NATS unreachable", with(good, "ESCALATOR_NATS_URL", "nats://"+loopback.Free(t)), []string{"serve", "--worker=false"}, "ESCALATOR_NATS_URL"},
		{"dev: ingest port taken", nil, devArgs("--ingest-addr", loopback.Taken(t)), "ESCALATOR_INGEST_ADDR"},
		{"dev: admin port taken", nil, devArgs("--admin-addr", loopback.Taken(t)), "ESCALATOR_ADMIN_ADDR"},
		{"dev: simulator port taken", nil, devArgs("--dev-sim-addr", loopback.Taken(t)), "ESCALATOR_DEV_SIM_ADDR"},
		{"dev: NATS port taken", nil, devArgs("--dev-nats-addr", loopback.Taken(t)), "ESCALATOR_DEV_NATS_ADDR"},
		{"dev: empty ingest token", map[string]string{"ESCALATOR_INGEST_TOKENS": "start-test-token-0123456789,,x"}, devArgs(), "ESCALATOR_INGEST_TOKENS"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, stderr, code := runEscalator(t, tt.env, tt.args...)
			if strings.Contains(stderr, "panic:") {
				t.Fatalf("escalator %v panicked:\n%s", tt.args, stderr)
			}
			if code != 1 {
				t.Errorf("exit status %d, want 1", code)
			}
			lines := strings.Split(strings.TrimRight(stderr, "\n"), "\n")
			if len(lines) != 1 || !strings.HasPrefix(lines[0], "escalator: ") || !strings.Contains(lines[0], tt.variable) {
				t.Fatalf("want one line naming %s, got:\n%s", tt.variable, stderr)
			}
			if !strings.Contains(lines[0], ": ") || len(lines[0]) < len("escalator: ")+len(tt.variable)+20 {
				t.Errorf("the line says too little to act on: %q", lines[0])
			}
		})
	}
}

// TestNewAppRollsBackAFailedStart: a start that fails after NATS and the
// listeners are held releases all of them, runs the handlers' cleanups in
// reverse, and reports the failure and any failed cleanup on one line.
func TestNewAppRollsBackAFailedStart(t *testing.T) {
	ns := testserver.NATS(t)
	ingestAddr, adminAddr := loopback.Free(t), loopback.Free(t)
	cfg := appConfig{
		nats:      natsConfig{URL: ns.ClientURL()},
		ingest:    ingestConfig{Addr: ingestAddr, Tokens: []string{testIngestToken}},
		adminAddr: adminAddr,
		worker: workerConfig{Concurrency: 2, RoleInsights: defaultRoleInsights, RoleAdmin: defaultRoleAdmin,
			CaseField: "correlation_id", HealthInterval: time.Minute, CaseSyncInterval: time.Minute},
		log:       logConfig{Level: "info", Format: "text"},
		runIngest: true, runWorker: true,
	}
	tel, err := telemetry.Setup(context.Background(), telemetry.Options{Getenv: func(string) string { return "" }})
	if err != nil {
		t.Fatal(err)
	}
	var mu sync.Mutex
	var closed []string
	errHandlers := errors.New("handlers: cannot build")
	build := func(_ context.Context, _ spine) (workerParts, error) {
		var w workerParts
		for _, name := range []string{"first", "second"} {
			w.closers = append(w.closers, func(context.Context) error {
				mu.Lock()
				defer mu.Unlock()
				closed = append(closed, name)
				if name == "second" {
					return errors.New("second cleanup:\nfailed")
				}
				return nil
			})
		}
		return w, errHandlers
	}
	app, err := NewApp(context.Background(), cfg, slog.New(slog.NewTextHandler(io.Discard, nil)), tel, build)
	if app != nil || !errors.Is(err, errHandlers) {
		t.Fatalf("NewApp = %v, %v; want nil and the handlers' error", app, err)
	}
	if msg := err.Error(); strings.Contains(msg, "\n") || !strings.Contains(msg, "undoing the start also failed: second cleanup:; failed") {
		t.Errorf("error %q: want one line with the failed cleanup", msg)
	}
	if strings.Join(closed, ",") != "second,first" {
		t.Errorf("cleanups ran as %v, want second,first", closed)
	}
	for _, addr := range []string{ingestAddr, adminAddr} {
		ln, err := net.Listen("tcp", addr)
		if err != nil {
			t.Errorf("%s still held after the failed start: %v", addr, err)
			continue
		}
		ln.Close()
	}
	waitFor(t, "the NATS connection closed", func() bool { return ns.NumClients() == 0 })
}

// TestNewRemotesFailureReturnsTheError: newRemotes failing part way (here
// at Redis) returns its error instead of panicking in its own cleanup.
func TestNewRemotesFailureReturnsTheError(t *testing.T) {
	ms := microsoftConfig{Tenant: "contoso.onmicrosoft.com", ClientID: "id", ClientSecret: "secret", TokenEndpoint: "v1",
		LoginURL: "https://login.microsoftonline.com", GraphURL: "https://graph.microsoft.com", ARMURL: "https://management.azure.com"}
	snow := serviceNowConfig{URL: "https://contoso.service-now.com", ClientID: "c", ClientSecret: "s"}
	for _, url := range []string{"127.0.0.1:1", "redis://127.0.0.1:notaport", "http://127.0.0.1:6379"} {
		rc := redisConfig{URL: url, TokenKey: "AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA="}
		r, err := newRemotes(ms, snow, rc, slog.New(slog.NewTextHandler(io.Discard, nil)), replayTelemetry(), outbound.Options{})
		if r != nil || err == nil || !strings.HasPrefix(err.Error(), "ESCALATOR_REDIS_URL") {
			t.Errorf("newRemotes with %q: %v, %v; want an ESCALATOR_REDIS_URL error", url, r, err)
		}
	}
}
