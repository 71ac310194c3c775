package sim

import (
	"fmt"
	"net/http"
	"testing"
)

// pageSizes follows @odata.nextLink from first, sending prefer (when set)
// on every request, and returns the size of each page, every id once, and
// the Preference-Applied of the first answer.
func pageSizes(t *testing.T, e *env, tok, first, prefer string) (sizes []int, applied string) {
	t.Helper()
	var hdr http.Header
	if prefer != "" {
		hdr = http.Header{"Prefer": {prefer}}
	}
	seen := map[string]bool{}
	for next := first; next != ""; {
		r := e.doWith(t, "GET", next, tok, nil, hdr)
		wantStatus(t, r, 200)
		if sizes == nil {
			applied = r.header.Get("Preference-Applied")
		}
		m := r.json(t)
		value := m["value"].([]any)
		for _, v := range value {
			o := v.(map[string]any)
			id := fmt.Sprint(o["id"])
			if seen[id] {
				t.Fatalf("%s twice", id)
			}
			seen[id] = true
		}
		sizes = append(sizes, len(value))
		next, _ = m["@odata.nextLink"].(string)
		if len(sizes) > 20 {
			t.Fatal("paging does not end")
		}
	}
	return sizes, applied
}

func TestGraphMaxPageSize(t *testing.T) {
	e := newEnv(t, Config{})
	tok := e.token(t, GraphResource)
	const overviews = "/v1.0/admin/serviceAnnouncement/healthOverviews"
	tests := []struct {
		name, path, prefer string
		want               string // page sizes
		applied            string
	}{
		{"issues, pages of 5 by default", issuesPath, "", "[5 3]", ""},
		{"issues, maxpagesize 3", issuesPath, "odata.maxpagesize=3", "[3 3 2]", "odata.maxpagesize=3"},
		{"issues, maxpagesize 1", issuesPath, "odata.maxpagesize=1", "[1 1 1 1 1 1 1 1]", "odata.maxpagesize=1"},
		{"issues, maxpagesize 1000", issuesPath, "odata.maxpagesize=1000", "[8]", "odata.maxpagesize=1000"},
		{"issues, among other preferences", issuesPath, `return=minimal, odata.maxpagesize="4"`, "[4 4]", "odata.maxpagesize=4"},
		{"issues, $top under maxpagesize", issuesPath + "?$top=2", "odata.maxpagesize=3", "[2 2 2 2]", "odata.maxpagesize=3"},
		{"issues, 0 ignored", issuesPath, "odata.maxpagesize=0", "[5 3]", ""},
		{"issues, 1001 ignored", issuesPath, "odata.maxpagesize=1001", "[5 3]", ""},
		{"issues, junk ignored", issuesPath, "odata.maxpagesize=many", "[5 3]", ""},
		{"overviews, one page by default", overviews, "", "[7]", ""},
		{"overviews, maxpagesize 2", overviews, "odata.maxpagesize=2", "[2 2 2 1]", "odata.maxpagesize=2"},
		{"overviews expanded, maxpagesize 4", overviews + "?$expand=issues", "odata.maxpagesize=4", "[4 3]", "odata.maxpagesize=4"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			sizes, applied := pageSizes(t, e, tok, tt.path, tt.prefer)
			if fmt.Sprint(sizes) != tt.want || applied != tt.applied {
				t.Errorf("pages %v, Preference-Applied %q; want %s, %q", sizes, applied, tt.want, tt.applied)
			}
		})
	}
}
