package validate

import (
	"os"
	"path/filepath"
	"slices"
	"sort"
	"strings"
	"testing"
)

// kustomization is the part of kustomize's Kustomization schema
// (kustomize.config.k8s.io/v1beta1) these files use; anything else is
// refused, so a misspelt field cannot pass silently.
type kustomization struct {
	APIVersion         string             `json:"apiVersion"`
	Kind               string             `json:"kind"`
	Namespace          string             `json:"namespace,omitempty"`
	Resources          []string           `json:"resources,omitempty"`
	Labels             []kustomizeLabel   `json:"labels,omitempty"`
	Images             []kustomizeImage   `json:"images,omitempty"`
	ConfigMapGenerator []kustomizeGenArgs `json:"configMapGenerator,omitempty"`
	SecretGenerator    []kustomizeGenArgs `json:"secretGenerator,omitempty"`
	Patches            []kustomizePatch   `json:"patches,omitempty"`
}

type kustomizeLabel struct {
	Pairs            map[string]string `json:"pairs"`
	IncludeSelectors bool              `json:"includeSelectors,omitempty"`
	IncludeTemplates bool              `json:"includeTemplates,omitempty"`
}

type kustomizeImage struct {
	Name    string `json:"name"`
	NewName string `json:"newName,omitempty"`
	NewTag  string `json:"newTag,omitempty"`
	Digest  string `json:"digest,omitempty"`
}

type kustomizeGenArgs struct {
	Name     string   `json:"name"`
	Behavior string   `json:"behavior,omitempty"`
	Envs     []string `json:"envs,omitempty"`
	Files    []string `json:"files,omitempty"`
	Literals []string `json:"literals,omitempty"`
	Type     string   `json:"type,omitempty"`
}

type kustomizePatch struct {
	Path string `json:"path"`
}

func readKustomization(t *testing.T, dir string) kustomization {
	t.Helper()
	path := filepath.Join(dir, "kustomization.yaml")
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	var k kustomization
	strictYAML(t, path, b, &k)
	if k.APIVersion != "kustomize.config.k8s.io/v1beta1" || k.Kind != "Kustomization" {
		t.Fatalf("%s: apiVersion/kind %s/%s", path, k.APIVersion, k.Kind)
	}
	return k
}

// listedFiles are the files of dir a kustomization names: resources,
// patches, generator env files (not directories, not generated secrets).
func (k kustomization) listedFiles() []string {
	var out []string
	out = append(out, k.Resources...)
	for _, p := range k.Patches {
		out = append(out, p.Path)
	}
	for _, g := range append(slices.Clone(k.ConfigMapGenerator), k.SecretGenerator...) {
		out = append(out, g.Envs...)
	}
	return out
}

// secretFiles are the key=path entries of the secret generators, by key.
func (k kustomization) secretFiles(t *testing.T) map[string]string {
	t.Helper()
	out := map[string]string{}
	for _, g := range k.SecretGenerator {
		for _, f := range g.Files {
			key, path, ok := strings.Cut(f, "=")
			if !ok {
				key, path = filepath.Base(f), f
			}
			out[key] = path
		}
	}
	return out
}

// TestKustomizationsListEveryFile: each kustomization names every file of
// its directory, and every file it names exists; the secret files are the
// only exception, and their directory keeps them out of git.
func TestKustomizationsListEveryFile(t *testing.T) {
	for _, dir := range []string{deployPath("kubernetes", "base"), deployPath("kubernetes", "overlays", "example")} {
		t.Run(filepath.Base(dir), func(t *testing.T) {
			k := readKustomization(t, dir)
			listed := map[string]bool{}
			for _, f := range k.listedFiles() {
				full := filepath.Join(dir, f)
				st, err := os.Stat(full)
				switch {
				case err != nil:
					t.Errorf("kustomization.yaml names %s, which does not exist", f)
				case st.IsDir():
					if _, err := os.Stat(filepath.Join(full, "kustomization.yaml")); err != nil {
						t.Errorf("resource %s is a directory without kustomization.yaml", f)
					}
				default:
					listed[filepath.Clean(f)] = true
				}
			}
			entries, err := os.ReadDir(dir)
			if err != nil {
				t.Fatal(err)
			}
			var unlisted []string
			for _, e := range entries {
				if e.IsDir() || e.Name() == "kustomization.yaml" || strings.HasPrefix(e.Name(), ".") {
					continue
				}
				if !listed[e.Name()] {
					unlisted = append(unlisted, e.Name())
				}
			}
			sort.Strings(unlisted)
			if len(unlisted) > 0 {
				t.Errorf("files kustomization.yaml does not list: %v", unlisted)
			}
			for key, path := range k.secretFiles(t) {
				if !strings.HasPrefix(path, "secrets/") {
					t.Errorf("secret %s comes from %s, outside secrets/ (which git ignores)", key, path)
				}
			}
			if len(k.SecretGenerator) > 0 {
				gi, err := os.ReadFile(filepath.Join(dir, "secrets", ".gitignore"))
				if err != nil || !strings.Contains(string(gi), "*") {
					t.Errorf("secrets/.gitignore must keep the secret files out of git: %v", err)
				}
			}
		})
	}
}
