package validate

import (
	"debug/elf"
	"encoding/json"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
)

// dockerInstruction is one instruction of a Dockerfile, continuation lines
// joined.
type dockerInstruction struct {
	line       int
	cmd, value string
}

func parseDockerfile(t *testing.T, path string) []dockerInstruction {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	var out []dockerInstruction
	var cur strings.Builder
	start := 0
	for i, l := range strings.Split(string(b), "\n") {
		trimmed := strings.TrimSpace(l)
		if cur.Len() == 0 && (trimmed == "" || strings.HasPrefix(trimmed, "#")) {
			continue
		}
		if cur.Len() == 0 {
			start = i + 1
		}
		if strings.HasSuffix(trimmed, "\\") {
			cur.WriteString(strings.TrimSuffix(trimmed, "\\") + " ")
			continue
		}
		cur.WriteString(trimmed)
		cmd, value, _ := strings.Cut(cur.String(), " ")
		out = append(out, dockerInstruction{line: start, cmd: strings.ToUpper(cmd), value: strings.TrimSpace(value)})
		cur.Reset()
	}
	return out
}

// execForm decodes a JSON-array (exec form) argument list.
func execForm(t *testing.T, in dockerInstruction, s string) []string {
	t.Helper()
	var args []string
	if err := json.Unmarshal([]byte(s), &args); err != nil {
		t.Fatalf("line %d: %s %s is not in exec form (a distroless image has no shell): %v", in.line, in.cmd, s, err)
	}
	return args
}

var (
	digestRef  = regexp.MustCompile(`@sha256:[0-9a-f]{64}$`)
	versionTag = regexp.MustCompile(`:[0-9]+\.[0-9]+\.[0-9]+(-[A-Za-z0-9.]+)?$`)
)

// pinned: an image by digest, or by a full major.minor.patch tag (not
// latest, not golang:1.27, which moves with every patch release).
func pinned(image string) bool { return digestRef.MatchString(image) || versionTag.MatchString(image) }

// TestDockerfile: every base is pinned; the final image runs the binary as
// nonroot, with a HEALTHCHECK through `escalator healthcheck` and the
// binary as ENTRYPOINT; the build stage's go build command, run here into
// a temporary directory, makes a static binary that answers.
func TestDockerfile(t *testing.T) {
	ins := parseDockerfile(t, deployPath("Dockerfile"))
	var stages []string
	var build, copyFrom, user, entrypoint, healthcheck *dockerInstruction
	for i := range ins {
		in := &ins[i]
		switch in.cmd {
		case "FROM":
			f := strings.Fields(in.value)
			image := f[0]
			if !pinned(image) {
				t.Errorf("line %d: base %s is not pinned to a digest or a full version tag", in.line, image)
			}
			if len(f) == 3 && strings.EqualFold(f[1], "AS") {
				stages = append(stages, f[2])
			} else {
				stages = append(stages, image)
			}
			user, entrypoint, healthcheck = nil, nil, nil // per stage
		case "RUN":
			if strings.Contains(in.value, "go build") {
				build = in
			}
		case "COPY":
			if strings.HasPrefix(in.value, "--from=") {
				copyFrom = in
			}
		case "USER":
			user = in
		case "ENTRYPOINT":
			entrypoint = in
		case "HEALTHCHECK":
			healthcheck = in
		}
	}
	if len(stages) < 2 || build == nil || copyFrom == nil {
		t.Fatalf("want a build stage with go build and a final stage copying its binary; stages %v", stages)
	}
	finalBase := strings.Fields(ins[lastFrom(ins)].value)[0]
	if user == nil && !strings.Contains(finalBase, ":nonroot") {
		t.Error("the final image neither sets USER nor uses a nonroot base")
	}
	if user != nil && user.value != "nonroot" && user.value != "nonroot:nonroot" && user.value != "65532" && user.value != "65532:65532" {
		t.Errorf("USER %s is not the nonroot user", user.value)
	}
	// COPY --from=build /out/escalator /escalator
	cf := strings.Fields(copyFrom.value)
	src, dst := cf[len(cf)-2], cf[len(cf)-1]
	if entrypoint == nil || !equal(execForm(t, *entrypoint, entrypoint.value), []string{dst}) {
		t.Errorf("ENTRYPOINT must be [%q] (the copied binary)", dst)
	}
	if healthcheck == nil {
		t.Fatal("no HEALTHCHECK")
	}
	_, hc, ok := strings.Cut(healthcheck.value, "CMD ")
	if !ok {
		t.Fatalf("HEALTHCHECK %s has no CMD", healthcheck.value)
	}
	if args := execForm(t, *healthcheck, hc); len(args) < 2 || args[0] != dst || args[1] != "healthcheck" {
		t.Errorf("HEALTHCHECK runs %v, want [%s healthcheck …]", args, dst)
	}

	bin := runDockerBuild(t, build.value, src)
	if f, err := elf.Open(bin); err != nil {
		t.Fatalf("%s: %v", bin, err)
	} else {
		defer f.Close()
		for _, p := range f.Progs {
			if p.Type == elf.PT_INTERP {
				t.Error("the binary asks for a dynamic loader: it is not static (CGO_ENABLED=0?)")
			}
		}
		if libs, _ := f.ImportedLibraries(); len(libs) > 0 {
			t.Errorf("the binary links %v dynamically", libs)
		}
	}
	out, err := exec.Command(bin, "version").CombinedOutput()
	if err != nil || !strings.HasPrefix(string(out), "escalator ") {
		t.Fatalf("built binary: version: %v %s", err, out)
	}
	// Nothing listens on this admin address: the probe fails with exit 1.
	probe := exec.Command(bin, "healthcheck")
	probe.Env = append(os.Environ(), "ESCALATOR_ADMIN_ADDR=127.0.0.1:1")
	if err := probe.Run(); err == nil {
		t.Error("healthcheck succeeded with nothing listening")
	} else if ee, ok := err.(*exec.ExitError); !ok || ee.ExitCode() != 1 {
		t.Errorf("healthcheck with nothing listening: %v, want exit status 1", err)
	}
}

func lastFrom(ins []dockerInstruction) int {
	last := 0
	for i, in := range ins {
		if in.cmd == "FROM" {
			last = i
		}
	}
	return last
}

func equal(a, b []string) bool { return strings.Join(a, "\x00") == strings.Join(b, "\x00") }

// runDockerBuild runs the Dockerfile's RUN line (VAR=value … go build …)
// from the repository root, with its -o target moved into a temporary
// directory, and returns the binary. out is the path the Dockerfile
// builds to, which the final stage copies.
func runDockerBuild(t *testing.T, run, out string) string {
	t.Helper()
	words := splitShell(t, run)
	var env []string
	for len(words) > 0 && strings.Contains(words[0], "=") && !strings.HasPrefix(words[0], "-") {
		env = append(env, words[0])
		words = words[1:]
	}
	if len(words) < 2 || words[0] != "go" || words[1] != "build" {
		t.Fatalf("RUN %s is not `[VAR=value …] go build …`", run)
	}
	if !containsString(env, "CGO_ENABLED=0") {
		t.Errorf("RUN %s does not set CGO_ENABLED=0: the binary would need libc, which distroless/static lacks", run)
	}
	bin := filepath.Join(t.TempDir(), "escalator")
	args := words[1:]
	found := false
	for i := range args {
		if args[i] == "-o" && i+1 < len(args) {
			if args[i+1] != out {
				t.Errorf("go build writes %s, the final stage copies %s", args[i+1], out)
			}
			args[i+1], found = bin, true
		}
	}
	if !found {
		t.Fatalf("go build in %q has no -o", run)
	}
	cmd := exec.Command("go", args...)
	cmd.Dir, cmd.Env = repoRoot, append(os.Environ(), env...)
	if b, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("%s: %v\n%s", run, err, b)
	}
	return bin
}

func containsString(list []string, s string) bool {
	for _, x := range list {
		if x == s {
			return true
		}
	}
	return false
}

// splitShell splits a simple shell command line: words, double-quoted
// words (quotes removed), and KEY="value" assignments.
func splitShell(t *testing.T, s string) []string {
	t.Helper()
	var words []string
	var cur strings.Builder
	inQuote, have := false, false
	for _, r := range s {
		switch {
		case r == '"':
			inQuote, have = !inQuote, true
		case r == ' ' && !inQuote:
			if have {
				words = append(words, cur.String())
				cur.Reset()
				have = false
			}
		case strings.ContainsRune("|;&$`\\<>", r) && !inQuote:
			t.Fatalf("RUN %s uses shell syntax this test does not run", s)
		default:
			cur.WriteRune(r)
			have = true
		}
	}
	if have {
		words = append(words, cur.String())
	}
	return words
}
