package main

import (
	"encoding/json"
	"sort"
	"strings"

	"github.com/spf13/cobra"
	"github.com/spf13/pflag"
)

// envVariable is one ESCALATOR_* variable as the binary reads it: the flag
// it fills and every command that has that flag.
type envVariable struct {
	Variable string   `json:"variable"`
	Flag     string   `json:"flag"`
	Default  string   `json:"default"`
	Usage    string   `json:"usage"`
	Secret   bool     `json:"secret,omitempty"`
	Commands []string `json:"commands"`
}

// newEnvCmd lists the variables the binary reads, derived from its own
// command tree, so that deployment files (Kubernetes, compose, the env
// example) are checked against the binary rather than a hand-kept list. It
// is hidden: a tool's interface, not an operator's.
func newEnvCmd(e *env) *cobra.Command {
	return &cobra.Command{
		Use:    "env",
		Short:  "List every ESCALATOR_* variable with its flag, default and commands, as JSON",
		Hidden: true,
		Args:   cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			enc := json.NewEncoder(e.stdout)
			enc.SetIndent("", "  ")
			return enc.Encode(envVariables(cmd.Root()))
		},
	}
}

// envVariables walks root's tree: a flag of command C is read from its
// variable whenever C runs (applyEnv), so each variable lists the commands
// whose flag set holds it. Variables of several commands must agree on the
// flag's meaning; serve's default and usage are shown (else the first
// command's), and a variable is secret when any command marks it so.
func envVariables(root *cobra.Command) []envVariable {
	byName := map[string]*envVariable{}
	var walk func(c *cobra.Command)
	walk = func(c *cobra.Command) {
		path := strings.TrimSpace(strings.TrimPrefix(c.CommandPath(), root.Name()))
		c.LocalFlags().VisitAll(func(f *pflag.Flag) {
			if f.Name == "help" || f.Name == "version" { // cobra's own flags
				return
			}
			name := envName(f.Name)
			v, ok := byName[name]
			if !ok {
				v = &envVariable{Variable: name, Flag: f.Name, Default: f.DefValue, Usage: f.Usage}
				byName[name] = v
			}
			if _, secret := f.Annotations[secretAnnotation]; secret {
				v.Secret = true
			}
			if path == "serve" { // the production command's default and words win
				v.Default, v.Usage = f.DefValue, f.Usage
			}
			if path != "" {
				v.Commands = append(v.Commands, path)
			}
		})
		for _, sub := range c.Commands() {
			walk(sub)
		}
	}
	walk(root)
	out := make([]envVariable, 0, len(byName))
	for _, v := range byName {
		sort.Strings(v.Commands)
		out = append(out, *v)
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Variable < out[j].Variable })
	return out
}
