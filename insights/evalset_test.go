package insights

import (
	"bytes"
	"encoding/json"
	"os"
	"slices"
	"testing"
)

// evalSetPath is the labelled evaluation set: realistic incident texts with
// the services they are about and the catalog articles graded for each
// (see README, "How good the insights are").
const evalSetPath = "testdata/eval/incidents.json"

// evalIncident is one labelled incident of the evaluation set.
type evalIncident struct {
	ID string `json:"id"`
	// Split is "tune" (the matcher's thresholds and word lists were chosen
	// looking at these) or "holdout" (only measured).
	Split string `json:"split"`
	// OutOfScope marks an incident about no Microsoft 365 service (a
	// printer jam, a VPN client, SAP): it should get no article.
	OutOfScope bool     `json:"out_of_scope"`
	Services   []string `json:"services"`
	Text       string   `json:"text"`
	// Articles are the graded articles: 2, the article addresses exactly
	// this problem; 1, same service and related. Every other article of
	// the catalog is grade 0. Title is there for the reader and checked
	// against the catalog.
	Articles []evalGrade `json:"articles"`
}

type evalGrade struct {
	Grade int    `json:"grade"`
	Title string `json:"title"`
	URL   string `json:"url"`
}

// grades maps the incident's graded URLs to their grade.
func (in evalIncident) grades() map[string]int {
	g := make(map[string]int, len(in.Articles))
	for _, a := range in.Articles {
		g[a.URL] = a.Grade
	}
	return g
}

func loadEvalSet(t testing.TB) []evalIncident {
	t.Helper()
	raw, err := os.ReadFile(evalSetPath)
	if err != nil {
		t.Fatal(err)
	}
	dec := json.NewDecoder(bytes.NewReader(raw))
	dec.DisallowUnknownFields()
	var set []evalIncident
	if err := dec.Decode(&set); err != nil {
		t.Fatalf("%s: %v", evalSetPath, err)
	}
	return set
}

// TestEvalSetIsWellFormed keeps the labels honest: enough incidents, both
// splits, service names the matcher uses, graded URLs that are in the
// catalog under the title the label shows, and out-of-scope incidents
// with neither a service nor an article.
func TestEvalSetIsWellFormed(t *testing.T) {
	set := loadEvalSet(t)
	if len(set) < 80 {
		t.Errorf("%d incidents, want at least 80", len(set))
	}
	byURL := make(map[string]Article)
	for _, a := range loadCatalog(t).Articles() {
		byURL[a.URL] = a
	}
	known := make(map[string]bool)
	for _, s := range serviceSynonyms {
		known[s.service] = true
	}
	ids := make(map[string]bool)
	splits := make(map[string]int)
	outOfScope := 0
	for _, in := range set {
		if ids[in.ID] || in.ID == "" {
			t.Errorf("id %q is empty or repeats", in.ID)
		}
		ids[in.ID] = true
		splits[in.Split]++
		if in.Text == "" {
			t.Errorf("%s: no text", in.ID)
		}
		if in.OutOfScope != (len(in.Services) == 0) {
			t.Errorf("%s: out_of_scope %v with services %q", in.ID, in.OutOfScope, in.Services)
		}
		if in.OutOfScope {
			outOfScope++
			if len(in.Articles) > 0 {
				t.Errorf("%s: out of scope but has graded articles", in.ID)
			}
		}
		for i, s := range in.Services {
			if !known[s] || slices.Contains(in.Services[:i], s) {
				t.Errorf("%s: service %q is unknown or repeats", in.ID, s)
			}
		}
		seen := make(map[string]bool)
		for _, a := range in.Articles {
			c, ok := byURL[a.URL]
			switch {
			case !ok:
				t.Errorf("%s: %s is not in the catalog", in.ID, a.URL)
			case c.Title != a.Title:
				t.Errorf("%s: %s is titled %q in the catalog, not %q", in.ID, a.URL, c.Title, a.Title)
			}
			if a.Grade != 1 && a.Grade != 2 || seen[a.URL] {
				t.Errorf("%s: %s has grade %d or repeats", in.ID, a.URL, a.Grade)
			}
			seen[a.URL] = true
		}
	}
	if splits["tune"] == 0 || splits["holdout"] == 0 || len(splits) != 2 {
		t.Errorf("splits %v, want tune and holdout only", splits)
	}
	if outOfScope < len(set)/7 {
		t.Errorf("%d out-of-scope incidents of %d: too few to measure false recommendations", outOfScope, len(set))
	}
}
