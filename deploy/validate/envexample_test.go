package validate

import (
	"os"
	"regexp"
	"slices"
	"strings"
	"testing"
)

var envLine = regexp.MustCompile(`^(# )?(ESCALATOR_[A-Z0-9_]+)=(.*)$`)

// TestEnvExample: deploy/escalator.env.example names every variable
// `escalator serve` reads, each after a comment saying what it is, and no
// variable the binary does not read; secrets are left empty.
func TestEnvExample(t *testing.T) {
	known := knownVars(t)
	path := deployPath("escalator.env.example")
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	lines := strings.Split(string(b), "\n")
	seen := map[string]bool{}
	for i, l := range lines {
		m := envLine.FindStringSubmatch(l)
		if m == nil {
			if strings.HasPrefix(l, "ESCALATOR_") {
				t.Errorf("line %d: %q is not NAME=value", i+1, l)
			}
			continue
		}
		name, value := m[2], m[3]
		v, ok := checkVar(t, known, path, "serve", name)
		if !ok {
			continue
		}
		if seen[name] {
			t.Errorf("%s appears twice", name)
		}
		seen[name] = true
		if i == 0 || !strings.HasPrefix(lines[i-1], "# ") || envLine.MatchString(lines[i-1]) {
			t.Errorf("line %d: %s has no comment of its own on the line before", i+1, name)
		}
		if v.Secret && value != "" {
			t.Errorf("line %d: secret %s has a value in the example", i+1, name)
		}
	}
	var missing []string
	for name, v := range known {
		if slices.Contains(v.Commands, "serve") && !seen[name] {
			missing = append(missing, name)
		}
	}
	slices.Sort(missing)
	if len(missing) > 0 {
		t.Errorf("variables of `escalator serve` missing from %s: %v", path, missing)
	}
}
