package main

import (
	"errors"
	"fmt"
	"runtime"
	"strings"

	"github.com/spf13/cobra"
	"github.com/spf13/pflag"
)

// What every command of the tree shares, set once the tree is built: the
// --version flag, a failing "did you mean" for unknown subcommands, and
// flag values refused in the form the environment's are.

// finishTree makes every group of commands (root, dlq, account, …: a
// command with subcommands and nothing to run) fail on an unknown
// subcommand, with the closest names, instead of printing its help and
// exiting 0; and words bad flag values as bad variables are worded.
func finishTree(root *cobra.Command) {
	v, c := buildInfo()
	root.Version = v
	root.SetVersionTemplate(fmt.Sprintf("escalator %s\ncommit %s\n%s %s/%s\n", v, c, runtime.Version(), runtime.GOOS, runtime.GOARCH))
	root.SetFlagErrorFunc(flagError)
	var walk func(*cobra.Command)
	walk = func(cmd *cobra.Command) {
		if cmd.HasSubCommands() && cmd.Run == nil && cmd.RunE == nil {
			cmd.SuggestionsMinimumDistance = 2
			cmd.Args = unknownSubcommand
			cmd.RunE = func(cmd *cobra.Command, _ []string) error { return cmd.Help() }
		}
		for _, sub := range cmd.Commands() {
			walk(sub)
		}
	}
	walk(root)
}

// unknownSubcommand refuses any argument of a group: it can only be a
// subcommand that does not exist.
func unknownSubcommand(cmd *cobra.Command, args []string) error {
	if len(args) == 0 {
		return nil
	}
	msg := fmt.Sprintf("unknown command %q for %q", args[0], cmd.CommandPath())
	if s := cmd.SuggestionsFor(args[0]); len(s) > 0 {
		msg += fmt.Sprintf("; did you mean %q?", strings.Join(s, `" or "`))
	}
	return fmt.Errorf("%s (`%s --help` lists the commands)", msg, cmd.CommandPath())
}

// flagError words a bad command-line value as a bad variable is worded
// (valueProblem), and leaves every other flag error as pflag wrote it.
func flagError(_ *cobra.Command, err error) error {
	var iv *pflag.InvalidValueError
	if errors.As(err, &iv) {
		f := iv.GetFlag()
		return errors.New("--" + f.Name + ": " + valueProblem(f, iv.GetValue(), iv.Unwrap()))
	}
	return err
}

// valueProblem says what is wrong with value for flag f, and gives an
// example of the expected form: the parser's own message (strconv's) means
// nothing to someone setting a variable.
func valueProblem(f *pflag.Flag, value string, cause error) string {
	quoted := fmt.Sprintf("%q", printable(f, value))
	example := func(fallback string) string {
		if d := f.DefValue; d != "" && d != "0" && d != "0s" && d != "[]" {
			return d
		}
		return fallback
	}
	switch f.Value.Type() {
	case "int", "int8", "int16", "int32", "int64", "uint", "uint8", "uint16", "uint32", "uint64", "count":
		return quoted + " is not a whole number; use e.g. " + example("10")
	case "duration":
		return quoted + " is not a duration; use e.g. " + shortDuration(example("30s")) + " (a number with a unit: ms, s, m, h)"
	case "bool":
		return quoted + " is not true or false; use true or false"
	case "float32", "float64":
		return quoted + " is not a number; use e.g. " + example("1.5")
	}
	return fmt.Sprintf("%s is not valid: %v", quoted, cause)
}

// shortDuration writes a default duration as people write one: "5m0s" is
// "5m", "1h0m0s" is "1h", "1m30s" stays.
func shortDuration(d string) string {
	if strings.HasSuffix(d, "m0s") || strings.HasSuffix(d, "h0s") {
		d = strings.TrimSuffix(d, "0s")
	}
	if strings.HasSuffix(d, "h0m") {
		d = strings.TrimSuffix(d, "0m")
	}
	return d
}
