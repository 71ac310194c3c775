package main

import (
	"context"
	"crypto/rand"
	"embed"
	"encoding/hex"
	"errors"
	"fmt"
	"net"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"time"

	"github.com/nats-io/nats-server/v2/server"
	"github.com/spf13/cobra"
	"golang.org/x/sync/errgroup"

	"github.com/escalator/escalator/internal/testkit/sim"
)

//go:embed examples/*.json
var exampleEvents embed.FS

type devConfig struct {
	app      appConfig
	data     string
	simAddr  string
	natsAddr string

	keep, reset bool // see prepareDevData
	traces      bool // spans to the console
}

func newDevCmd(e *env) *cobra.Command {
	var c devConfig
	cmd := &cobra.Command{
		Use:   "dev",
		Short: "Everything in one process for a first run: embedded NATS, simulator, ingest, worker",
		Long: "Runs an embedded NATS server with JetStream (data in --data), the simulator of\n" +
			"Microsoft and ServiceNow, ingest, worker and admin listener, all on loopback, and\n" +
			"prints a ready curl that posts an example event, then one line per handled event.\n" +
			"Every start is fresh (NATS's data is removed, as the simulator starts from its seed)\n" +
			"unless --keep; the ingest token is kept in --data until --reset.",
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			return runDev(cmd.Context(), e, c)
		},
	}
	fs := cmd.Flags()
	fs.StringVar(&c.data, "data", ".escalator", "directory of the embedded NATS store, dev.env and the example events")
	fs.StringVar(&c.simAddr, "dev-sim-addr", "127.0.0.1:8081", "simulator listener")
	fs.StringVar(&c.natsAddr, "dev-nats-addr", "127.0.0.1:14222", "embedded NATS listener")
	fs.StringVar(&c.app.ingest.Addr, "ingest-addr", "127.0.0.1:8080", "ingest listener")
	fs.StringVar(&c.app.adminAddr, "admin-addr", "127.0.0.1:9090", "admin listener")
	devModeFlags(fs, &c)
	listVar(fs, &c.app.ingest.Tokens, "ingest-tokens", "bearer tokens accepted by ingest, comma-separated (default: one is made and printed)")
	c.app.ingest.policy.flags(fs)
	c.app.worker.flags(fs)
	c.app.streams.flags(fs, devStreams())
	c.app.log.flags(fs)
	// dev's own defaults: text logs, and the outbox pulled every second
	// (a row inserted at the simulator is taken at once).
	for flag, value := range map[string]string{"log-format": "text", "servicenow-outbox": "true", "servicenow-outbox-interval": "1s"} {
		_ = fs.Set(flag, value)
		fs.Lookup(flag).Changed = false
		fs.Lookup(flag).DefValue = value
	}
	return cmd
}

func runDev(ctx context.Context, e *env, c devConfig) error {
	if err := c.validate(); err != nil {
		return err
	}
	// A second dev on the same data would lose its store: a taken NATS
	// port fails before anything is removed.
	if err := natsAddrFree(c.natsAddr); err != nil {
		return err
	}
	if err := prepareDevData(c.data, c.keep, c.reset); err != nil {
		return err
	}
	ns, err := startEmbeddedNATS(c.natsAddr, c.data)
	if err != nil {
		return err
	}
	defer func() { ns.Shutdown(); ns.WaitForShutdown() }()

	simLn, err := net.Listen("tcp", c.simAddr)
	if err != nil {
		return configError("ESCALATOR_DEV_SIM_ADDR", fmt.Sprintf("cannot listen on %s (%v)", c.simAddr, err),
			"stop what uses that port (another `escalator dev` or `escalator sim`?), or choose a free address with ESCALATOR_DEV_SIM_ADDR or --dev-sim-addr")
	}
	defer simLn.Close()
	// Support operations succeed at their first poll: the first escalation
	// is done in about a second.
	simulator := sim.New(sim.Config{AsyncPolls: -1})
	simURL := "http://" + simLn.Addr().String()

	if len(c.app.ingest.Tokens) == 0 {
		tok, err := devToken(c.data)
		if err != nil {
			return err
		}
		c.app.ingest.Tokens = []string{tok}
	}
	c.app.nats.URL = ns.ClientURL()
	c.app.microsoft = microsoftConfig{
		Tenant: sim.DefaultTenant, ClientID: sim.DefaultClientID, ClientSecret: sim.DefaultClientSecret,
		LoginURL: simURL, TokenEndpoint: "v1", GraphURL: simURL, ARMURL: simURL,
		SubscriptionID:        sim.DefaultSubscription,
		SupportServiceID:      sim.Microsoft365ServiceID,
		ProblemClassification: sim.Microsoft365ProblemClassificationID,
	}
	c.app.snow = serviceNowConfig{URL: simURL, ClientID: sim.DefaultServiceNowClientID, ClientSecret: sim.DefaultServiceNowClientSecret,
		IntegrationUser: sim.IntegrationUser}
	c.app.runIngest, c.app.runWorker = true, true

	examples, err := writeExamples(c.data)
	if err != nil {
		return err
	}
	envFile, err := writeDevEnv(c, simURL)
	if err != nil {
		return err
	}

	g, ctx := errgroup.WithContext(ctx)
	g.Go(func() error { return simulator.Serve(ctx, simLn) })
	g.Go(func() error {
		return runApp(ctx, e, c.app, devTraces(c), devWorker(e), func(a *App) {
			printDevBanner(e, c, a, simURL, examples, envFile)
			printDevMode(e, c)
		})
	})
	err = g.Wait()
	if errors.Is(err, context.Canceled) {
		return nil
	}
	return err
}

// validate checks what the user set before anything starts; the rest (the
// simulator's settings) dev fills in itself.
func (c *devConfig) validate() error {
	if err := c.app.log.validate(); err != nil {
		return err
	}
	if err := c.app.worker.validate(); err != nil {
		return err
	}
	if len(c.app.ingest.Tokens) > 0 {
		return c.app.ingest.validate()
	}
	return nil
}

func startEmbeddedNATS(addr, data string) (*server.Server, error) {
	host, port, err := net.SplitHostPort(addr)
	if err != nil {
		return nil, configError("ESCALATOR_DEV_NATS_ADDR", fmt.Sprintf("is %q", addr), "use host:port, e.g. 127.0.0.1:14222")
	}
	p, err := strconv.Atoi(port)
	if err != nil {
		return nil, configError("ESCALATOR_DEV_NATS_ADDR", fmt.Sprintf("has port %q", port), "use host:port, e.g. 127.0.0.1:14222")
	}
	// The embedded server only logs a taken port (it has no logger here) and
	// never becomes ready: find out first, and say so at once.
	if p > 0 {
		if err := natsAddrFree(addr); err != nil {
			return nil, err
		}
	}
	ns, err := server.NewServer(&server.Options{
		ServerName: "escalator-dev", Host: host, Port: p,
		JetStream: true, StoreDir: filepath.Join(data, "nats"),
		NoSigs: true, MaxPayload: 8 << 20,
	})
	if err != nil {
		return nil, fmt.Errorf("embedded NATS: %w", err)
	}
	ns.Start()
	if !ns.ReadyForConnections(10 * time.Second) {
		ns.Shutdown()
		return nil, configError("ESCALATOR_DEV_NATS_ADDR", "embedded NATS did not start on "+addr, "is the port taken? choose another address")
	}
	return ns, nil
}

// writeExamples puts the example events beside the data, for the printed curl.
func writeExamples(data string) ([]string, error) {
	dir := filepath.Join(data, "examples")
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return nil, err
	}
	entries, err := exampleEvents.ReadDir("examples")
	if err != nil {
		return nil, err
	}
	var paths []string
	for _, ent := range entries {
		b, err := exampleEvents.ReadFile("examples/" + ent.Name())
		if err != nil {
			return nil, err
		}
		p := filepath.Join(dir, ent.Name())
		if err := os.WriteFile(p, b, 0o644); err != nil {
			return nil, err
		}
		paths = append(paths, p)
	}
	return paths, nil
}

// writeDevEnv writes every variable of the dev setup, so that
// `set -a; . .escalator/dev.env; set +a` points other commands at it.
func writeDevEnv(c devConfig, simURL string) (string, error) {
	m := c.app.microsoft
	vars := [][2]string{
		{"ESCALATOR_NATS_URL", c.app.nats.URL},
		{"ESCALATOR_TENANT", m.Tenant},
		{"ESCALATOR_CLIENT_ID", m.ClientID},
		{"ESCALATOR_CLIENT_SECRET", m.ClientSecret},
		{"ESCALATOR_LOGIN_URL", m.LoginURL},
		{"ESCALATOR_TOKEN_ENDPOINT", m.TokenEndpoint},
		{"ESCALATOR_GRAPH_URL", m.GraphURL},
		{"ESCALATOR_ARM_URL", m.ARMURL},
		{"ESCALATOR_AZURE_SUBSCRIPTION_ID", m.SubscriptionID},
		{"ESCALATOR_SUPPORT_SERVICE_ID", m.SupportServiceID},
		{"ESCALATOR_SUPPORT_PROBLEM_CLASSIFICATION_ID", m.ProblemClassification},
		{"ESCALATOR_SERVICENOW_URL", c.app.snow.URL},
		{"ESCALATOR_SERVICENOW_CLIENT_ID", c.app.snow.ClientID},
		{"ESCALATOR_SERVICENOW_CLIENT_SECRET", c.app.snow.ClientSecret},
		{"ESCALATOR_SERVICENOW_INTEGRATION_USER", c.app.snow.IntegrationUser},
		{"ESCALATOR_INGEST_TOKENS", strings.Join(c.app.ingest.Tokens, ",")},
		{"ESCALATOR_SERVICENOW_OUTBOX", strconv.FormatBool(c.app.worker.Outbox)},
		{"ESCALATOR_SERVICENOW_OUTBOX_INTERVAL", c.app.worker.OutboxInterval.String()},
		{"ESCALATOR_DEV_SIM_URL", simURL},
	}
	if len(c.app.ingest.policy.SigningSecrets) > 0 {
		// So that publish --ingest-url signs as the instance would.
		vars = append(vars, [2]string{"ESCALATOR_INGEST_SIGNING_SECRETS", strings.Join(c.app.ingest.policy.SigningSecrets, ",")})
	}
	var b strings.Builder
	b.WriteString("# Written by `escalator dev`: the variables of this dev setup.\n# Load with: set -a; . " + filepath.Join(c.data, "dev.env") + "; set +a\n")
	for _, kv := range vars {
		fmt.Fprintf(&b, "%s=%s\n", kv[0], shellQuote(kv[1]))
	}
	path := filepath.Join(c.data, "dev.env")
	return path, os.WriteFile(path, []byte(b.String()), 0o600)
}

func printDevBanner(e *env, c devConfig, a *App, simURL string, examples []string, envFile string) {
	e.printf("\nEscalator dev is running.\n\n")
	e.printf("  ingest     %s/v1/events\n  admin      %s/readyz  %s/metrics\n  simulator  %s/_sim/state\n  NATS       %s (data in %s)\n\n",
		a.IngestURL(), a.AdminURL(), a.AdminURL(), simURL, c.app.nats.URL, c.data)
	e.printf("Other commands reach this setup with:\n  export ESCALATOR_NATS_URL=%s\n  set -a; . %s; set +a\n\n", c.app.nats.URL, envFile)
	e.printf("Send an example event:\n")
	for _, p := range examples {
		if strings.Contains(p, "insights") {
			e.printf("  curl -sS -X POST %s/v1/events \\\n    -H 'Authorization: Bearer %s' \\\n    -H 'Content-Type: application/cloudevents+json' \\\n    --data @%s\n\n",
				a.IngestURL(), c.app.ingest.Tokens[0], p)
		}
	}
	if c.app.worker.Outbox {
		e.printf("Or write a request to the outbox as an agent would; Escalator pulls it (every %s):\n", c.app.worker.OutboxInterval)
		e.printf("  curl -sS -X POST %s/api/now/table/u_escalator_outbox -u admin:admin \\\n    -H 'X-Sim-User: beth.anglin' -H 'Content-Type: application/json' \\\n    -d '%s'\n\n",
			simURL, devOutboxRow)
	}
	e.printf("More examples in %s; see what happened: curl -sS %s/_sim/state\n\n", filepath.Dir(examples[0]), simURL)
}

// devOutboxRow is an escalation request as the update set writes it: the
// payload is the CloudEvent's data, as a string; who asked is the row's
// sys_created_by (the X-Sim-User), whose roles are read from ServiceNow.
const devOutboxRow = `{"u_type":"escalation","u_incident":"` + sim.DefaultIncidentSysID + `",` +
	`"u_payload":"{\"incident\":{\"number\":\"` + sim.DefaultIncidentNumber + `\"}}"}`

func randomHex(n int) string {
	b := make([]byte, n)
	_, _ = rand.Read(b)
	return hex.EncodeToString(b)
}

func shellQuote(s string) string {
	return "'" + strings.ReplaceAll(s, "'", `'\''`) + "'"
}
