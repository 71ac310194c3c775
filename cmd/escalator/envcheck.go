package main

import (
	"fmt"
	"slices"
	"strings"

	"github.com/spf13/cobra"
)

// A misspelt variable (ESCALATOR_CONCURENCY) is read by nothing: without a
// word it silently leaves the setting at its default. Every start warns
// about the ESCALATOR_* variables no command reads, with the closest one
// that exists.

// otherVariables are read outside the flags: the test binary's switch to
// main (start_test.go), the vulnerability database cache of
// scripts/vulncheck, and the simulator URL dev.env exports for scripts.
func otherVariables() []string {
	return []string{"ESCALATOR_TEST_RUN_MAIN", "ESCALATOR_VULNDB_CACHE", "ESCALATOR_DEV_SIM_URL"}
}

// knownVariables are the variables of every flag of every command in the
// tree (each also with its _FILE form), and otherVariables.
func knownVariables(root *cobra.Command) map[string]bool {
	known := map[string]bool{}
	for _, v := range otherVariables() {
		known[v] = true
	}
	for _, v := range envVariables(root) {
		known[v.Variable] = true
		known[v.Variable+"_FILE"] = true
	}
	return known
}

// unknownVariables returns one warning per ESCALATOR_* variable of environ
// ("NAME=value" entries) that is not known, naming the closest known one
// when there is a close one. The values are never quoted: one may be a
// secret.
func unknownVariables(environ []string, known map[string]bool) []string {
	var names []string
	for _, kv := range environ {
		name, _, _ := strings.Cut(kv, "=")
		if strings.HasPrefix(name, "ESCALATOR_") && !known[name] && !slices.Contains(names, name) {
			names = append(names, name)
		}
	}
	slices.Sort(names)
	var out []string
	for _, name := range names {
		msg := fmt.Sprintf("warning: %s is not a variable Escalator reads; it is ignored", name)
		if near := closest(name, known); near != "" {
			msg += fmt.Sprintf(" (did you mean %s?)", near)
		}
		out = append(out, msg)
	}
	return out
}

// closest is the known name nearest to name by edit distance, if it is
// near enough to be a slip (at most 2 edits, 3 for long names), else "".
func closest(name string, known map[string]bool) string {
	best, bestD := "", 0
	limit := 2
	if len(name) > 24 {
		limit = 3
	}
	for k := range known {
		d := editDistance(name, k)
		if d <= limit && (best == "" || d < bestD || (d == bestD && k < best)) {
			best, bestD = k, d
		}
	}
	return best
}

// editDistance is the Levenshtein distance of a and b (bytes: the names
// are ASCII).
func editDistance(a, b string) int {
	prev := make([]int, len(b)+1)
	cur := make([]int, len(b)+1)
	for j := range prev {
		prev[j] = j
	}
	for i := 1; i <= len(a); i++ {
		cur[0] = i
		for j := 1; j <= len(b); j++ {
			cost := 1
			if a[i-1] == b[j-1] {
				cost = 0
			}
			cur[j] = min(prev[j]+1, cur[j-1]+1, prev[j-1]+cost)
		}
		prev, cur = cur, prev
	}
	return prev[len(b)]
}
