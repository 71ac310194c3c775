// Package internal_test holds the layer rule of the module: which
// directories may import which. It reads the import lines of every Go file,
// tests included, so a rule broken only by a test is caught too.
package internal_test

import (
	"go/parser"
	"go/token"
	"io/fs"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
)

const module = "github.com/escalator/escalator/"

// features are the packages a worker runs, and the runtime they run on.
var features = []string{"worker", "escalation", "insights", "health", "rolegate"}

// rule says what a directory (relative to the module root) must not
// import; tests are bound by it too unless nonTest is set.
type rule struct {
	what    string
	applies func(dir string) bool
	banned  func(pkg string) bool
	nonTest bool
}

func under(prefix string) func(string) bool {
	return func(p string) bool { return p == prefix || strings.HasPrefix(p, prefix+"/") }
}

func anyOf(prefixes ...string) func(string) bool {
	return func(p string) bool {
		for _, pre := range prefixes {
			if under(pre)(p) {
				return true
			}
		}
		return false
	}
}

var rules = []rule{
	{"plumbing and stand-ins know no feature, runtime or command", under("internal"), anyOf(append(features, "cmd")...), false},
	{"features know no command", anyOf(features...), under("cmd"), false},
	{"the runtime knows no handler", under("worker"), anyOf("escalation", "insights", "health", "rolegate"), false},
	// Tests of plumbing may run against the stand-ins; the code may not.
	{"production plumbing uses no stand-in", plumbing, under("internal/testkit"), true},
}

func plumbing(dir string) bool { return under("internal")(dir) && !under("internal/testkit")(dir) }

func TestLayers(t *testing.T) {
	root, err := filepath.Abs("..")
	if err != nil {
		t.Fatal(err)
	}
	checked := 0
	err = filepath.WalkDir(root, func(path string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if d.IsDir() {
			switch d.Name() {
			case "node_modules", "testdata", ".git":
				return filepath.SkipDir
			}
			if path != root && fileExists(filepath.Join(path, "go.mod")) {
				return filepath.SkipDir // another module (deploy/validate)
			}
			return nil
		}
		if !strings.HasSuffix(path, ".go") {
			return nil
		}
		rel, _ := filepath.Rel(root, filepath.Dir(path))
		rel = filepath.ToSlash(rel)
		isTest := strings.HasSuffix(path, "_test.go")
		f, err := parser.ParseFile(token.NewFileSet(), path, nil, parser.ImportsOnly)
		if err != nil {
			return err
		}
		checked++
		for _, imp := range f.Imports {
			p, _ := strconv.Unquote(imp.Path.Value)
			if !strings.HasPrefix(p, module) {
				continue
			}
			p = strings.TrimPrefix(p, module)
			for _, r := range rules {
				if r.nonTest && isTest {
					continue
				}
				if r.applies(rel) && r.banned(p) {
					t.Errorf("%s imports %s: %s", filepath.ToSlash(strings.TrimPrefix(path, root+"/")), p, r.what)
				}
			}
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	if checked < 100 {
		t.Fatalf("read %d Go files; the walk missed the tree", checked)
	}
}

func fileExists(p string) bool {
	_, err := os.Stat(p)
	return err == nil
}
