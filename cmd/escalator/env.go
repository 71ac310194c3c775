package main

import (
	"errors"
	"fmt"
	"os"
	"strings"

	"github.com/spf13/cobra"
	"github.com/spf13/pflag"
)

// envName is the ESCALATOR_* variable that mirrors a flag: --nats-url is
// ESCALATOR_NATS_URL.
func envName(flag string) string {
	return "ESCALATOR_" + strings.ToUpper(strings.ReplaceAll(flag, "-", "_"))
}

// applyEnv fills every flag the command line did not set from its ESCALATOR_*
// variable, or from the file named by the variable with a _FILE suffix (for
// secrets mounted as files). A bad value fails with the variable's name.
func applyEnv(cmd *cobra.Command, getenv func(string) string) error {
	var firstErr error
	cmd.Flags().VisitAll(func(f *pflag.Flag) {
		if firstErr != nil || f.Changed || f.Name == "help" {
			return
		}
		name := envName(f.Name)
		value, ok, err := lookupEnv(name, getenv)
		if err != nil {
			firstErr = err
			return
		}
		if !ok {
			return
		}
		if err := f.Value.Set(value); err != nil {
			firstErr = errors.New(name + ": " + valueProblem(f, value, err))
		}
	})
	return firstErr
}

func lookupEnv(name string, getenv func(string) string) (string, bool, error) {
	if v := getenv(name); v != "" {
		return v, true, nil
	}
	file := getenv(name + "_FILE")
	if file == "" {
		return "", false, nil
	}
	b, err := os.ReadFile(file)
	if err != nil {
		return "", false, fmt.Errorf("%s_FILE: cannot read %s: %v", name, file, err)
	}
	return strings.TrimRight(string(b), "\r\n"), true, nil
}

// secretFlags never echo their value in an error.
const secretAnnotation = "escalator_secret"

func markSecret(fs *pflag.FlagSet, names ...string) {
	for _, n := range names {
		_ = fs.SetAnnotation(n, secretAnnotation, []string{"true"})
	}
}

func printable(f *pflag.Flag, value string) string {
	if _, ok := f.Annotations[secretAnnotation]; ok {
		return "<redacted>"
	}
	return value
}

// configError is a start-up failure: one line naming the variable and the fix.
func configError(variable, problem, fix string) error {
	return fmt.Errorf("%s %s: %s", variable, problem, fix)
}
