package main

import (
	"fmt"
	"io"
	"log/slog"

	"github.com/spf13/cobra"

	"github.com/escalator/escalator/internal/telemetry"
)

// env is what every subcommand gets from main: its streams and environment.
type env struct {
	stdout, stderr io.Writer
	getenv         func(string) string
	// environ lists the environment ("NAME=value"), for the warning about
	// unknown ESCALATOR_* variables; nil: no warning.
	environ func() []string
}

// newRootEnv is the command tree over e.
func newRootEnv(e *env) *cobra.Command {
	getenv := e.getenv
	root := &cobra.Command{
		Use:           "escalator",
		Short:         "Connect ServiceNow incidents to Microsoft 365 support",
		Long:          "Escalator takes CloudEvents from ServiceNow, escalates incidents to Microsoft support,\nwrites Microsoft service health and recommended articles back, and keeps both in sync.\nEvery flag is also read from its ESCALATOR_* variable (and ESCALATOR_*_FILE for secrets).",
		SilenceUsage:  true,
		SilenceErrors: true,
		PersistentPreRunE: func(cmd *cobra.Command, _ []string) error {
			e.warnUnknownVariables(cmd.Root())
			return applyEnv(cmd, getenv)
		},
	}
	root.SetOut(e.stdout)
	root.SetErr(e.stderr)
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
		newExplainCmd(e),
		newHealthcheckCmd(e),
		newEnvCmd(e),
	)
	finishTree(root)
	return root
}

// warnUnknownVariables writes a warning for each ESCALATOR_* variable that
// no command reads (a misspelling, most likely).
func (e *env) warnUnknownVariables(root *cobra.Command) {
	if e.environ == nil {
		return
	}
	for _, w := range unknownVariables(e.environ(), knownVariables(root)) {
		fmt.Fprintln(e.stderr, "escalator:", w)
	}
}

// logger builds the process logger from the log flags; a line logged with
// an event's context carries its trace and identity (telemetry.LogHandler).
func (e *env) logger(c logConfig) (*slog.Logger, error) {
	if err := c.validate(); err != nil {
		return nil, err
	}
	level, _ := c.level()
	opts := &slog.HandlerOptions{Level: level}
	if c.Format == "text" {
		return slog.New(telemetry.NewLogHandler(slog.NewTextHandler(e.stderr, opts))), nil
	}
	return slog.New(telemetry.NewLogHandler(slog.NewJSONHandler(e.stderr, opts))), nil
}

func (e *env) printf(format string, args ...any) {
	fmt.Fprintf(e.stdout, format, args...)
}
