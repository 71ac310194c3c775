package main

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"os/user"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/nats-io/nats.go/jetstream"
	"github.com/spf13/cobra"
	"github.com/spf13/pflag"

	"github.com/escalator/escalator/escalation"
	"github.com/escalator/escalator/internal/outbound"
	"github.com/escalator/escalator/internal/streams"
	"github.com/escalator/escalator/internal/token"
)

// accountConfig is what the account subcommands run with.
type accountConfig struct {
	nats      natsConfig
	microsoft microsoftConfig
	log       logConfig

	by                  string // who links or unlinks; default $USER
	noVerify            bool
	firstName, lastName string
	output              string
}

func (c *accountConfig) flags(fs *pflag.FlagSet) {
	c.nats.flags(fs)
	c.log.flags(fs)
}

// newAccountCmd is `escalator account link EMAIL | show | unlink`: the
// single linked Microsoft 365 admin account, contact of every case.
func newAccountCmd(e *env) *cobra.Command {
	cmd := &cobra.Command{
		Use:   "account",
		Short: "The linked Microsoft 365 admin account: the contact of every Microsoft support case",
		Long: "Escalator files every Microsoft support case with one Microsoft 365 admin account as\n" +
			"its contact. `link` checks the address, that the user exists in the tenant and holds an\n" +
			"administrator role (Global Administrator, Service Support Administrator, …), then\n" +
			"links it, replacing any other; every change is audited.",
	}
	cmd.AddCommand(newAccountLinkCmd(e), newAccountShowCmd(e), newAccountUnlinkCmd(e))
	return cmd
}

func newAccountLinkCmd(e *env) *cobra.Command {
	var c accountConfig
	cmd := &cobra.Command{
		Use:   "link EMAIL",
		Short: "Link the Microsoft 365 admin account (replaces the linked one)",
		Example: "  escalator account link admin@contoso.onmicrosoft.com\n" +
			"  escalator account link support.admin@contoso.com --by jdoe",
		Args: cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			return runAccountLink(cmd.Context(), e, c, args[0])
		},
	}
	fs := cmd.Flags()
	c.flags(fs)
	c.microsoft.flags(fs)
	fs.StringVar(&c.by, "by", "", "who links the account, for the audit record (default $USER)")
	fs.BoolVar(&c.noVerify, "no-verify", false, "skip the directory checks (user exists, holds an admin role); only the address is checked")
	fs.StringVar(&c.firstName, "first-name", "", "contact first name on cases (default: from the directory)")
	fs.StringVar(&c.lastName, "last-name", "", "contact last name on cases (default: from the directory)")
	fs.StringVarP(&c.output, "output", "o", "text", "text or json")
	return cmd
}

func newAccountShowCmd(e *env) *cobra.Command {
	var c accountConfig
	cmd := &cobra.Command{
		Use:   "show",
		Short: "Show the linked Microsoft 365 admin account",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			return runAccountShow(cmd.Context(), e, c)
		},
	}
	c.flags(cmd.Flags())
	cmd.Flags().StringVarP(&c.output, "output", "o", "text", "text or json")
	return cmd
}

func newAccountUnlinkCmd(e *env) *cobra.Command {
	var c accountConfig
	cmd := &cobra.Command{
		Use:   "unlink",
		Short: "Unlink the Microsoft 365 admin account (escalations then fail until one is linked)",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			return runAccountUnlink(cmd.Context(), e, c)
		},
	}
	c.flags(cmd.Flags())
	cmd.Flags().StringVar(&c.by, "by", "", "who unlinks the account, for the audit record (default $USER)")
	return cmd
}

func runAccountLink(ctx context.Context, e *env, c accountConfig, email string) error {
	if err := checkOutput(c.output, "text"); err != nil {
		return err
	}
	by, err := c.who(e)
	if err != nil {
		return err
	}
	var dir escalation.UserDirectory
	if !c.noVerify {
		if err := c.microsoft.validate(); err != nil {
			return fmt.Errorf("%w (or link with --no-verify to skip the directory checks)", err)
		}
		d, closeDir, err := newLinkDirectory(c.microsoft)
		if err != nil {
			return err
		}
		defer closeDir()
		dir = d
	}
	store, done, err := openAccounts(ctx, e, c)
	if err != nil {
		return err
	}
	defer done()
	prev, prevErr := store.Get(ctx)
	a, err := store.Link(ctx, escalation.LinkRequest{
		Email: email, LinkedBy: by, Verify: !c.noVerify, FirstName: c.firstName, LastName: c.lastName,
	}, dir)
	if err != nil {
		return err
	}
	if c.output == "json" {
		return json.NewEncoder(e.stdout).Encode(a)
	}
	if prevErr == nil && !strings.EqualFold(prev.Email, a.Email) {
		e.printf("Replaced %s (linked by %s on %s).\n", prev.Email, prev.LinkedBy, prev.LinkedAt.Format(time.RFC3339))
	}
	e.printf("Linked %s as the Microsoft 365 admin account.\n", a.Email)
	if !a.Verified {
		e.printf("Not verified in the directory (--no-verify): cases fail if Microsoft does not accept it as a contact.\n")
	}
	return printAccount(e, a)
}

func runAccountShow(ctx context.Context, e *env, c accountConfig) error {
	if err := checkOutput(c.output, "text"); err != nil {
		return err
	}
	store, done, err := openAccounts(ctx, e, c)
	if err != nil {
		return err
	}
	defer done()
	a, err := store.Get(ctx)
	if errors.Is(err, escalation.ErrNoAccount) {
		return fmt.Errorf("%w: link one with `escalator account link EMAIL` (a Global Administrator or Service Support Administrator of the tenant)", escalation.ErrNoAccount)
	}
	if err != nil {
		return err
	}
	if c.output == "json" {
		return json.NewEncoder(e.stdout).Encode(a)
	}
	return printAccount(e, a)
}

func runAccountUnlink(ctx context.Context, e *env, c accountConfig) error {
	by, err := c.who(e)
	if err != nil {
		return err
	}
	store, done, err := openAccounts(ctx, e, c)
	if err != nil {
		return err
	}
	defer done()
	a, err := store.Unlink(ctx, by)
	if errors.Is(err, escalation.ErrNoAccount) {
		return fmt.Errorf("%w: nothing to unlink", escalation.ErrNoAccount)
	}
	if err != nil {
		return err
	}
	e.printf("Unlinked %s. Escalations fail (with a work note) until an account is linked again.\n", a.Email)
	return nil
}

func printAccount(e *env, a escalation.Account) error {
	first, last := a.ContactName()
	tw := tabwriter.NewWriter(e.stdout, 0, 4, 2, ' ', 0)
	fmt.Fprintf(tw, "Email\t%s\n", a.Email)
	fmt.Fprintf(tw, "Contact name\t%s %s\n", first, last)
	if a.DisplayName != "" {
		fmt.Fprintf(tw, "Display name\t%s\n", a.DisplayName)
	}
	if a.UserID != "" {
		fmt.Fprintf(tw, "User id\t%s\n", a.UserID)
	}
	if len(a.Roles) > 0 {
		fmt.Fprintf(tw, "Directory roles\t%s\n", strings.Join(a.Roles, ", "))
	}
	fmt.Fprintf(tw, "Verified\t%t\n", a.Verified)
	fmt.Fprintf(tw, "Linked by\t%s\n", a.LinkedBy)
	fmt.Fprintf(tw, "Linked at\t%s\n", a.LinkedAt.Format(time.RFC3339))
	return tw.Flush()
}

// checkOutput refuses an --output other than human (text or table) and json.
func checkOutput(o, human string) error {
	if o != human && o != "json" {
		return fmt.Errorf("--output %q: use %s or json", o, human)
	}
	return nil
}

// who is --by, else $USER, else the operating system's name for the user
// running the command (containers often have no $USER).
func (c accountConfig) who(e *env) (string, error) {
	if by := strings.TrimSpace(c.by); by != "" {
		return by, nil
	}
	if u := strings.TrimSpace(e.getenv("USER")); u != "" {
		return u, nil
	}
	if u, err := user.Current(); err == nil && u.Username != "" {
		return u.Username, nil
	}
	return "", errors.New("--by is not set and neither is $USER: say who changes the linked account, e.g. --by jdoe")
}

// openAccounts connects to NATS and opens the accounts bucket, creating it
// (as streams.Ensure would) when no Escalator has provisioned JetStream
// yet; the streams are left to serve and dev.
func openAccounts(ctx context.Context, e *env, c accountConfig) (*escalation.AccountStore, func(), error) {
	log, nc, js, err := e.dial(c.nats, c.log, "escalator-account")
	if err != nil {
		return nil, nil, err
	}
	kv, err := accountsBucket(ctx, js, log)
	if err != nil {
		nc.Close()
		return nil, nil, err
	}
	store, err := escalation.NewAccountStore(kv, escalation.AccountStoreConfig{Tenant: c.microsoft.Tenant})
	if err != nil {
		nc.Close()
		return nil, nil, err
	}
	return store, nc.Close, nil
}

func accountsBucket(ctx context.Context, js jetstream.JetStream, log *slog.Logger) (jetstream.KeyValue, error) {
	log.Debug("opening bucket", "bucket", streams.BucketAccounts)
	// Created, if missing, as serve would: same settings, automatic replicas.
	return streams.OpenBucket(ctx, js, streams.BucketAccounts, streams.Config{})
}

// newLinkDirectory builds a Graph directory client with an in-process token
// cache: a one-shot command needs no shared cache.
func newLinkDirectory(ms microsoftConfig) (*escalation.Directory, func(), error) {
	f, err := token.NewEntra(token.EntraConfig{
		LoginURL: ms.LoginURL, Tenant: ms.Tenant, ClientID: ms.ClientID, ClientSecret: ms.ClientSecret,
		Resource: graphResource, Version: ms.TokenEndpoint,
		HTTPClient: outbound.NewClient(outbound.Options{Name: "entra"}),
	})
	if err != nil {
		return nil, nil, err
	}
	cache, err := token.NewCache(token.CacheOptions{})
	if err != nil {
		return nil, nil, fmt.Errorf("token cache: %w", err)
	}
	dir, err := escalation.NewDirectory(escalation.DirectoryConfig{
		GraphURL: ms.GraphURL, Tokens: cache.Source(f, f.Identity()),
		HTTPClient: outbound.NewClient(outbound.Options{Name: "graph"}),
	})
	if err != nil {
		_ = cache.Close()
		return nil, nil, err
	}
	return dir, func() { _ = cache.Close() }, nil
}
