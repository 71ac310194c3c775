package main

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/spf13/cobra"

	"github.com/escalator/escalator/cmd/escalator/internal/explain"
	"github.com/escalator/escalator/cmd/escalator/internal/replay"
	"github.com/escalator/escalator/internal/azuresupport"
	"github.com/escalator/escalator/internal/outbound"
	"github.com/escalator/escalator/internal/redact"
	"github.com/escalator/escalator/internal/servicenow"
	"github.com/escalator/escalator/internal/token"
)

// explainConfig is what `escalator explain` reads: NATS, and ServiceNow and
// Microsoft when they are configured.
type explainConfig struct {
	nats      natsConfig
	log       logConfig
	microsoft microsoftConfig
	snow      serviceNowConfig

	since   string
	scan    bool
	output  string
	timeout time.Duration
}

// defaultExplainTimeout bounds each call to ServiceNow or Microsoft: an
// unreachable one is reported, not waited for.
const defaultExplainTimeout = 10 * time.Second

// newExplainCmd is `escalator explain INCIDENT`.
func newExplainCmd(e *env) *cobra.Command {
	var c explainConfig
	cmd := &cobra.Command{
		Use:   "explain INCIDENT",
		Short: "What Escalator did with an incident, and why not: a timeline from every source",
		Long: "Gathers, for one incident (its number or sys_id), the events in the stream with their\n" +
			"delivery status and trace ids, its dead letters with their reasons, its case record and\n" +
			"the linked account as their KV histories kept them, the outbox rows and Escalator's work\n" +
			"notes in ServiceNow, and the case's status at Microsoft; then prints them as one timeline.\n" +
			"It changes nothing. A source that is not configured or does not answer is named and the\n" +
			"others are still read. Exits 1 when no source knows the incident.",
		Example: "  escalator explain INC0010023\n" +
			"  escalator explain 9d385017c611228701d22104cc95c371 --since 2d -o json",
		Args: cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			return runExplain(cmd.Context(), e, c, args[0])
		},
	}
	fs := cmd.Flags()
	c.nats.flags(fs)
	c.log.flags(fs)
	c.microsoft.flags(fs)
	c.snow.flags(fs)
	fs.StringVar(&c.since, "since", "", "only what happened since this time: RFC 3339 or a duration ago (2h, 3d); default everything retained")
	fs.BoolVar(&c.scan, "scan", false, "read the whole stream instead of the incident index (events published without the index)")
	fs.StringVarP(&c.output, "output", "o", "text", "text or json")
	fs.DurationVar(&c.timeout, "call-timeout", defaultExplainTimeout, "time limit of each call to ServiceNow or Microsoft")
	return cmd
}

func runExplain(ctx context.Context, e *env, c explainConfig, incident string) error {
	if err := checkOutput(c.output, "text"); err != nil {
		return err
	}
	if c.timeout <= 0 {
		return configError("--call-timeout", fmt.Sprintf("is %s", c.timeout), "use a positive duration such as 10s")
	}
	q := explain.Query{Incident: incident, Scan: c.scan}
	if c.since != "" {
		since, err := replay.ParseTime(c.since, time.Now())
		if err != nil {
			return fmt.Errorf("--since: %w", err)
		}
		q.Since = since
	}
	_, nc, js, err := e.dial(c.nats, c.log, "escalator-explain")
	if err != nil {
		return err
	}
	defer nc.Close()
	deps, closeDeps, err := c.deps()
	if err != nil {
		return err
	}
	defer closeDeps()
	deps.JS = js
	rep, err := explain.Explain(ctx, deps, q)
	if err != nil {
		return err
	}
	c.redact(rep)
	if c.output == "json" {
		err = writeExplainJSON(e.stdout, rep)
	} else {
		err = writeExplainText(e.stdout, rep)
	}
	if err != nil {
		return err
	}
	if !rep.Found {
		return exitCode(1)
	}
	return nil
}

// deps builds the ServiceNow and Azure Support clients that the
// configuration allows, each with an in-process token cache (a one-shot
// command needs no shared one); a missing part is a source not configured.
func (c explainConfig) deps() (explain.Deps, func(), error) {
	var d explain.Deps
	cache, err := token.NewCache(token.CacheOptions{})
	if err != nil {
		return d, nil, fmt.Errorf("token cache: %w", err)
	}
	done := func() { _ = cache.Close() }
	httpClient := func(name string) outbound.Options {
		return outbound.Options{Name: name, Timeout: c.timeout, MaxAttempts: 2, MaxElapsed: c.timeout}
	}
	if err := c.snow.validate(); err != nil {
		d.ServiceNowWhy = err.Error()
	} else if d.ServiceNow, err = c.serviceNow(cache, httpClient); err != nil {
		done()
		return d, nil, err
	}
	if err := errors.Join(c.microsoft.validate(), c.supportSet()); err != nil {
		d.SupportWhy = err.Error()
	} else if d.Support, err = c.support(cache, httpClient); err != nil {
		done()
		return d, nil, err
	}
	return d, done, nil
}

// supportSet: reading a ticket needs the subscription, not the service ids.
func (c explainConfig) supportSet() error {
	return requireSet(required{settingSubscription, c.microsoft.SubscriptionID})
}

func (c explainConfig) serviceNow(cache *token.Cache, opts func(string) outbound.Options) (*servicenow.Client, error) {
	sn := c.snow
	cfg := servicenow.Config{BaseURL: sn.URL, Username: sn.User, Password: sn.Password, IntegrationUser: sn.IntegrationUser,
		HTTPClient: outbound.NewClient(opts("servicenow"))}
	if sn.ClientID != "" {
		f, err := token.NewServiceNow(token.ServiceNowConfig{InstanceURL: sn.URL, ClientID: sn.ClientID, ClientSecret: sn.ClientSecret,
			HTTPClient: outbound.NewClient(opts("servicenow-oauth"))})
		if err != nil {
			return nil, err
		}
		cfg.Tokens = cache.Source(f, f.Identity())
	}
	return servicenow.New(cfg)
}

func (c explainConfig) support(cache *token.Cache, opts func(string) outbound.Options) (*azuresupport.Client, error) {
	ms := c.microsoft
	f, err := token.NewEntra(token.EntraConfig{
		LoginURL: ms.LoginURL, Tenant: ms.Tenant, ClientID: ms.ClientID, ClientSecret: ms.ClientSecret,
		Resource: armResource, Version: ms.TokenEndpoint, HTTPClient: outbound.NewClient(opts("entra")),
	})
	if err != nil {
		return nil, err
	}
	return azuresupport.New(azuresupport.Config{
		ARMURL: ms.ARMURL, SubscriptionID: ms.SubscriptionID, Tokens: cache.Source(f, f.Identity()),
		HTTPClient: outbound.NewClient(opts("arm")),
	})
}

// redact masks, in what the report quotes from errors, the credentials of
// URLs and every secret value of the configuration.
func (c explainConfig) redact(r *explain.Report) {
	secrets := []string{c.microsoft.ClientSecret, c.snow.ClientSecret, c.snow.Password}
	for _, u := range []string{c.nats.URL, c.microsoft.LoginURL, c.microsoft.ARMURL, c.snow.URL} {
		secrets = append(secrets, redact.URLSecrets(u)...)
	}
	clean := func(s string) string { return redact.Secrets(redact.Text(s), secrets...) }
	for i := range r.Sources {
		r.Sources[i].Detail = clean(r.Sources[i].Detail)
	}
	for i := range r.Tickets {
		r.Tickets[i].Error = clean(r.Tickets[i].Error)
	}
}
