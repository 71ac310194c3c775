package main

import (
	"fmt"
	"io"
	"log/slog"

	"github.com/spf13/cobra"
)

// env is what every subcommand gets from main: its streams and environment.
type env struct {
	stdout, stderr io.Writer
	getenv         func(string) string
}

func newRoot(stdout, stderr io.Writer, getenv func(string) string) *cobra.Command {
	e := &env{stdout: stdout, stderr: stderr, getenv: getenv}
	root := &cobra.Command{
		Use:           "escalator",
		Short:         "Connect ServiceNow incidents to Microsoft 365 support",
		Long:          "Escalator takes CloudEvents from ServiceNow, escalates incidents to Microsoft support,\nwrites Microsoft service health and recommended articles back, and keeps both in sync.\nEvery flag is also read from its ESCALATOR_* variable (and ESCALATOR_*_FILE for secrets).",
		SilenceUsage:  true,
		SilenceErrors: true,
		PersistentPreRunE: func(cmd *cobra.Command, _ []string) error {
			return applyEnv(cmd, getenv)
		},
	}
	root.SetOut(stdout)
	root.SetErr(stderr)
	root.AddCommand(
		newVersionCmd(e),
		newSimCmd(e),
		newPublishCmd(e),
		newServeCmd(e),
		newDevCmd(e),
		newAccountCmd(e),
		newDoctorCmd(e),
		newReplayCmd(e),
		newDLQCmd(e),
	)
	return root
}

// logger builds the process logger from the log flags.
func (e *env) logger(c logConfig) (*slog.Logger, error) {
	if err := c.validate(); err != nil {
		return nil, err
	}
	level, _ := c.level()
	opts := &slog.HandlerOptions{Level: level}
	if c.Format == "text" {
		return slog.New(slog.NewTextHandler(e.stderr, opts)), nil
	}
	return slog.New(slog.NewJSONHandler(e.stderr, opts)), nil
}

func (e *env) printf(format string, args ...any) {
	fmt.Fprintf(e.stdout, format, args...)
}
