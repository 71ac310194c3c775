package validate

import (
	"bytes"
	"encoding/json"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"testing"

	"sigs.k8s.io/yaml"
)

// repoRoot is Escalator's repository, two levels up from this module.
var repoRoot = func() string {
	dir, err := filepath.Abs(filepath.Join("..", ".."))
	if err != nil {
		panic(err)
	}
	return dir
}()

// deployPath is a path under deploy/.
func deployPath(elem ...string) string {
	return filepath.Join(append([]string{repoRoot, "deploy"}, elem...)...)
}

var (
	buildOnce sync.Once
	builtBin  string
	buildErr  error
	buildDir  string
)

// TestMain removes the shared binary's directory at the end.
func TestMain(m *testing.M) {
	code := m.Run()
	if buildDir != "" {
		_ = os.RemoveAll(buildDir)
	}
	os.Exit(code)
}

// escalator returns a binary built from the repository as the Dockerfile
// builds it (CGO_ENABLED=0, -trimpath), once per test run.
func escalator(t *testing.T) string {
	t.Helper()
	buildOnce.Do(func() {
		if buildDir, buildErr = os.MkdirTemp("", "escalator-validate-"); buildErr != nil {
			return
		}
		builtBin = filepath.Join(buildDir, "escalator")
		cmd := exec.Command("go", "build", "-trimpath", "-o", builtBin, "./cmd/escalator")
		cmd.Dir, cmd.Env = repoRoot, append(os.Environ(), "CGO_ENABLED=0")
		if out, err := cmd.CombinedOutput(); err != nil {
			buildErr = &buildError{out: string(out), err: err}
		}
	})
	if buildErr != nil {
		t.Fatalf("build escalator: %v", buildErr)
	}
	return builtBin
}

type buildError struct {
	out string
	err error
}

func (e *buildError) Error() string { return e.err.Error() + "\n" + e.out }

// envVariable is one line of `escalator env`.
type envVariable struct {
	Variable string   `json:"variable"`
	Flag     string   `json:"flag"`
	Default  string   `json:"default"`
	Usage    string   `json:"usage"`
	Secret   bool     `json:"secret"`
	Commands []string `json:"commands"`
}

// knownVars are the variables the binary reads, by name, from its own
// command tree (the hidden `escalator env`).
func knownVars(t *testing.T) map[string]envVariable {
	t.Helper()
	cmd := exec.Command(escalator(t), "env")
	var out, errb bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &errb
	if err := cmd.Run(); err != nil {
		t.Fatalf("escalator env: %v\n%s", err, errb.String())
	}
	var vars []envVariable
	dec := json.NewDecoder(&out)
	dec.DisallowUnknownFields()
	if err := dec.Decode(&vars); err != nil {
		t.Fatalf("escalator env output: %v", err)
	}
	m := map[string]envVariable{}
	for _, v := range vars {
		m[v.Variable] = v
	}
	if len(m) < 40 {
		t.Fatalf("escalator env listed %d variables: the command tree was not walked", len(m))
	}
	return m
}

// checkVar reports a variable the binary does not read for command (a
// command path such as "serve" or "account link"). NAME_FILE is NAME read
// from a file; variables other than ESCALATOR_* are left alone.
func checkVar(t *testing.T, known map[string]envVariable, where, command, name string) (envVariable, bool) {
	t.Helper()
	if !strings.HasPrefix(name, "ESCALATOR_") {
		return envVariable{}, false
	}
	v, ok := known[name]
	if !ok {
		v, ok = known[strings.TrimSuffix(name, "_FILE")]
	}
	if !ok {
		t.Errorf("%s: %s is not a variable the binary reads", where, name)
		return v, false
	}
	if !slices.Contains(v.Commands, command) {
		t.Errorf("%s: %s is not read by `escalator %s` (only by %v)", where, name, command, v.Commands)
		return v, false
	}
	return v, true
}

// strictYAML decodes one YAML document into out, refusing unknown fields.
func strictYAML(t *testing.T, where string, doc []byte, out any) {
	t.Helper()
	js, err := yaml.YAMLToJSON(doc)
	if err != nil {
		t.Fatalf("%s: not YAML: %v", where, err)
	}
	strictJSON(t, where, js, out)
}

func strictJSON(t *testing.T, where string, js []byte, out any) {
	t.Helper()
	dec := json.NewDecoder(bytes.NewReader(js))
	dec.DisallowUnknownFields()
	if err := dec.Decode(out); err != nil {
		t.Fatalf("%s: %v", where, err)
	}
}

// yamlDocs splits a multi-document YAML file.
func yamlDocs(b []byte) [][]byte {
	var docs [][]byte
	for _, d := range bytes.Split(b, []byte("\n---")) {
		if len(bytes.TrimSpace(stripComments(d))) > 0 {
			docs = append(docs, d)
		}
	}
	return docs
}

func stripComments(b []byte) []byte {
	var out [][]byte
	for _, l := range bytes.Split(b, []byte("\n")) {
		if !bytes.HasPrefix(bytes.TrimSpace(l), []byte("#")) {
			out = append(out, l)
		}
	}
	return bytes.Join(out, []byte("\n"))
}

// readEnvFile reads NAME=value lines (comments and blanks skipped).
func readEnvFile(t *testing.T, path string) map[string]string {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	out := map[string]string{}
	for i, l := range strings.Split(string(b), "\n") {
		l = strings.TrimSpace(l)
		if l == "" || strings.HasPrefix(l, "#") {
			continue
		}
		k, v, ok := strings.Cut(l, "=")
		if !ok {
			t.Errorf("%s:%d: not NAME=value: %q", path, i+1, l)
			continue
		}
		out[k] = v
	}
	return out
}
