package main

import (
	"strings"

	"github.com/spf13/pflag"
)

// splitList is the one parser of comma lists (ESCALATOR_INGEST_TOKENS,
// ESCALATOR_NATS_URL, …): entries separated by commas, each trimmed of
// spaces, since "a, b" is how people write a list. An empty entry (a doubled
// or trailing comma) is kept as "", for checkList to refuse by name: dropped
// silently, it could hide a token pasted wrong.
func splitList(s string) []string {
	if strings.TrimSpace(s) == "" {
		return nil
	}
	parts := strings.Split(s, ",")
	for i, p := range parts {
		parts[i] = strings.TrimSpace(p)
	}
	return parts
}

// checkList refuses an empty entry of the list in variable.
func checkList(variable string, entries []string) error {
	for _, e := range entries {
		if e == "" {
			return configError(variable, "has an empty entry (a doubled or trailing comma)",
				"separate the entries with single commas, e.g. a,b")
		}
	}
	return nil
}

// listValue is a flag holding a comma list, parsed by splitList. Like
// pflag's string slices, the first Set replaces the default and a repeated
// flag adds to the list. Set never fails, so a secret list is never quoted
// in a parse error; validate calls checkList.
type listValue struct {
	items *[]string
	set   bool
}

// listVar defines a comma-list flag.
func listVar(fs *pflag.FlagSet, p *[]string, name, usage string) {
	fs.Var(&listValue{items: p}, name, usage)
}

func (l *listValue) Set(s string) error {
	entries := splitList(s)
	if !l.set {
		*l.items = entries
	} else {
		*l.items = append(*l.items, entries...)
	}
	l.set = true
	return nil
}

func (l *listValue) String() string {
	if l.items == nil {
		return ""
	}
	return strings.Join(*l.items, ",")
}

// Type is what --help shows as the value's kind.
func (l *listValue) Type() string { return "strings" }
