package main

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"os"
	"regexp"
	"time"

	"github.com/nats-io/nats.go/jetstream"
	"github.com/spf13/cobra"
	"golang.org/x/term"

	"github.com/escalator/escalator/cmd/escalator/internal/doctor"
	"github.com/escalator/escalator/internal/redact"
)

// doctorConfig is what `escalator doctor` checks: the configuration of
// serve, read from the same flags and variables.
type doctorConfig struct {
	nats      natsConfig
	redis     redisConfig
	microsoft microsoftConfig
	snow      serviceNowConfig
	worker    workerConfig
	ingest    ingestConfig

	output       string
	checkTimeout time.Duration
	skipWrite    bool
}

func newDoctorCmd(e *env) *cobra.Command {
	var c doctorConfig
	cmd := &cobra.Command{
		Use:   "doctor",
		Short: "Test setup: check every part of the configuration and say what to fix",
		Long: "Runs every check in order — configuration, Entra tenant and credentials, Graph and\n" +
			"Azure Support permissions, ServiceNow OAuth and incident access, the linked admin\n" +
			"account, NATS and its streams, Redis — each PASS, WARN, FAIL or SKIP with the fix.\n" +
			"It creates nothing; its one write sets a field of one incident to the value it\n" +
			"already has (--skip-write to leave writing untested). Exits 1 if a check failed.",
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			return runDoctor(cmd.Context(), e, c)
		},
	}
	fs := cmd.Flags()
	remoteFlags(fs, &c.nats, &c.redis, &c.microsoft, &c.snow)
	c.worker.flags(fs)
	c.ingest.flags(fs)
	fs.StringVarP(&c.output, "output", "o", "text", "text or json")
	fs.DurationVar(&c.checkTimeout, "check-timeout", doctor.DefaultTimeout, "time limit of each check")
	fs.BoolVar(&c.skipWrite, "skip-write", false, "do not test writing to ServiceNow incidents (the check then warns)")
	return cmd
}

func runDoctor(ctx context.Context, e *env, c doctorConfig) error {
	if c.output != "text" && c.output != "json" {
		return configError("--output", fmt.Sprintf("is %q", c.output), "use text or json")
	}
	if c.checkTimeout <= 0 {
		return configError("--check-timeout", fmt.Sprintf("is %s", c.checkTimeout), "use a positive duration such as 15s")
	}
	s, closeAll := c.setup()
	defer closeAll()
	rep := doctor.Run(ctx, doctor.Checks(s)).Redacted(c.secrets()...)
	var err error
	if c.output == "json" {
		err = rep.WriteJSON(e.stdout)
	} else {
		err = rep.WriteText(e.stdout, colorful(e))
	}
	if err != nil {
		return err
	}
	if rep.Failed() {
		return exitCode(1)
	}
	return nil
}

// colorful: colours on a terminal, unless NO_COLOR is set (no-color.org).
func colorful(e *env) bool {
	f, ok := e.stdout.(*os.File)
	return ok && e.getenv("NO_COLOR") == "" && term.IsTerminal(int(f.Fd()))
}

// setup builds what the checks run against from the parts of the
// configuration that are usable; the others stay nil and their checks are
// skipped behind the configuration check, which names every problem.
func (c *doctorConfig) setup() (doctor.Setup, func()) {
	cr := c.check()
	s := doctor.Setup{
		Problems: cr.problems, Warnings: cr.warnings,
		TestEnvironment: c.worker.TestEnvironment, Timeout: c.checkTimeout,
	}
	var closers []func()
	closeAll := func() {
		for i := len(closers) - 1; i >= 0; i-- {
			closers[i]()
		}
	}
	rem, err := doctor.NewRemote(c.checkTimeout)
	if err != nil {
		s.Problems = append(s.Problems, "internal: "+err.Error())
		return s, closeAll
	}
	closers = append(closers, func() { _ = rem.Close() })
	if cr.microsoft {
		m := c.microsoft
		mc := doctor.MicrosoftConfig{
			LoginURL: m.LoginURL, TokenEndpoint: m.TokenEndpoint, Tenant: m.Tenant,
			ClientID: m.ClientID, ClientSecret: m.ClientSecret, GraphURL: m.GraphURL, ARMURL: m.ARMURL,
		}
		if cr.support {
			mc.Support = &doctor.SupportConfig{SubscriptionID: m.SubscriptionID, ServiceID: m.SupportServiceID, ProblemClassificationID: m.ProblemClassification}
		}
		if err := rem.Microsoft(&s, mc); err != nil {
			s.Problems = append(s.Problems, "ESCALATOR_TENANT and the other Microsoft settings cannot be used together: "+err.Error())
			s.Entra, s.Graph, s.Support, s.Account = nil, nil, nil, nil
		}
	}
	if cr.serviceNow {
		sc := doctor.ServiceNowConfig{URL: c.snow.URL, ClientID: c.snow.ClientID, ClientSecret: c.snow.ClientSecret,
			User: c.snow.User, Password: c.snow.Password, IntegrationUser: c.snow.IntegrationUser,
			CaseField: c.worker.CaseField, VerifyRoles: c.worker.VerifyRoles, Outbox: c.worker.Outbox, SkipWrite: c.skipWrite}
		if err := rem.ServiceNow(&s, sc); err != nil {
			s.Problems = append(s.Problems, "ESCALATOR_SERVICENOW_URL or its credentials cannot be used: "+err.Error())
			s.ServiceNow = nil
		}
	}
	if cr.nats {
		quiet := slog.New(slog.NewTextHandler(io.Discard, nil))
		s.JetStream = &doctor.JetStream{URL: c.nats.servers(), Connect: func(context.Context) (jetstream.JetStream, error) {
			nc, js, err := connectNATS(c.nats, "escalator-doctor", quiet)
			if err != nil {
				return nil, err
			}
			closers = append(closers, nc.Close)
			return js, nil
		}}
	}
	if cr.redis {
		s.Redis = &doctor.Redis{}
		if c.redis.URL != "" {
			rdb, _ := newRedis(c.redis.URL) // parsed by check
			kr, err := c.redis.keyring()
			if err != nil {
				s.Problems = append(s.Problems, err.Error())
				s.Redis = nil
			} else {
				s.Redis = &doctor.Redis{Client: rdb, Keyring: kr, URL: c.redis.URL}
			}
			closers = append(closers, func() { _ = rdb.Close() })
		}
	}
	return s, closeAll
}

// secrets are every secret value of the configuration, for the report to
// mask wherever a check quotes one: the client secrets, the ServiceNow
// password, the token key, the ingest tokens and signing secrets, and the
// credentials inside
// the NATS, Redis and endpoint URLs.
func (c *doctorConfig) secrets() []string {
	out := []string{c.microsoft.ClientSecret, c.snow.ClientSecret, c.snow.Password, c.redis.TokenKey}
	out = append(out, c.ingest.Tokens...)
	out = append(out, c.ingest.policy.SigningSecrets...)
	for _, u := range []string{c.nats.URL, c.redis.URL, c.microsoft.LoginURL, c.microsoft.GraphURL, c.microsoft.ARMURL, c.snow.URL} {
		out = append(out, redact.URLSecrets(u)...)
	}
	return out
}

// configCheck is the configuration's problems and which parts are usable.
type configCheck struct {
	problems, warnings                          []string
	microsoft, support, serviceNow, nats, redis bool
}

// guid is the shape of an Azure subscription id.
var guid = regexp.MustCompile(`^[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}$`)

// check lists every configuration problem, not only the first: every
// required variable that is unset, every malformed URL, then each part's
// own validate() (on a copy with the unset variables filled in, so that it
// reports the next problem rather than the same missing one again).
func (c *doctorConfig) check() configCheck {
	var r configCheck
	seen := map[string]bool{}
	add := func(list *[]string, err error) bool {
		if err == nil {
			return true
		}
		if msg := err.Error(); !seen[msg] {
			seen[msg] = true
			*list = append(*list, msg)
		}
		return false
	}
	problem := func(err error) bool { return add(&r.problems, err) }
	// required reports an unset variable and fills the copy in with a
	// valid placeholder, so that validate() looks past it.
	required := func(fill *string, s setting) bool {
		if *fill != "" {
			return true
		}
		*fill = "https://placeholder.example"
		return problem(s.notSet())
	}

	ms := c.microsoft
	r.microsoft = all(
		required(&ms.Tenant, settingTenant), required(&ms.ClientID, settingClientID), required(&ms.ClientSecret, settingClientSecret))
	r.microsoft = all(r.microsoft, problem(validHTTPURL("ESCALATOR_LOGIN_URL", ms.LoginURL)),
		problem(validHTTPURL("ESCALATOR_GRAPH_URL", ms.GraphURL)), problem(validHTTPURL("ESCALATOR_ARM_URL", ms.ARMURL)),
		problem(ms.validate()))
	r.support = all(r.microsoft,
		required(&ms.SubscriptionID, settingSubscription), required(&ms.SupportServiceID, settingServiceID),
		required(&ms.ProblemClassification, settingProblemClass))
	if c.microsoft.SubscriptionID != "" && !guid.MatchString(c.microsoft.SubscriptionID) {
		r.support = problem(configError("ESCALATOR_AZURE_SUBSCRIPTION_ID", fmt.Sprintf("is %q, not a subscription id", c.microsoft.SubscriptionID),
			"use the Subscription ID (a GUID) shown in the Azure portal under Subscriptions"))
	}

	sn := c.snow
	r.serviceNow = all(
		required(&sn.URL, settingServiceNow),
		problem(sn.validate()))

	r.nats = problem(c.nats.validate())

	_, kerr := c.redis.key()
	r.redis = problem(kerr)
	if c.redis.URL != "" {
		rdb, err := newRedis(c.redis.URL)
		if err == nil {
			_ = rdb.Close()
		}
		r.redis = all(problem(err), r.redis)
	}

	problem(c.worker.validate())
	// Ingest settings matter only where ingest runs (not with
	// --ingest=false): a warning, not a failure.
	add(&r.warnings, c.ingest.validate())
	return r
}

// all is true when every b is: each b is evaluated (every problem is listed).
func all(bs ...bool) bool {
	for _, b := range bs {
		if !b {
			return false
		}
	}
	return true
}
