package insights

import (
	"fmt"
	"strings"
	"testing"
	"time"
)

func noteFixture() Note {
	var issues []IssueMatch
	for i, is := range exampleIssues() {
		issues = append(issues, IssueMatch{Issue: is, Score: float64(10 - i)})
	}
	var articles []ArticleMatch
	for i := range 7 {
		articles = append(articles, ArticleMatch{Article: Article{
			Title:    fmt.Sprintf("Article %d", i),
			URL:      fmt.Sprintf("https://learn.microsoft.com/a/%d", i),
			Services: []string{"Exchange Online"},
		}, Score: float64(7 - i)})
	}
	return Note{
		Incident: "INC0010023",
		Services: []ServiceMatch{{Service: ServiceExchange, Terms: []string{"outlook", "owa"}, Score: 4}},
		Issues:   issues,
		Articles: articles,
	}
}

func TestFormatNote(t *testing.T) {
	n := noteFixture()
	got := FormatNote(n)
	for _, want := range []string{
		"Microsoft 365 insights for INC0010023\n",
		"Services: Exchange Online (outlook, owa)",
		"1. MO999001 - Some users can't join Teams meetings from the Outlook desktop client",
		"Service: Microsoft Teams | Status: Investigating | Advisory | Updated: 2026-03-02 08:55 UTC",
		"3. EX999003 - Users may be unable to connect",
		"Status: Service interruption | Incident",
		"Impact: Users may be unable to connect to Exchange Online using the Outlook desktop client;",
		"Recommended articles:\n1. Article 0\n   https://learn.microsoft.com/a/0\n",
		"5. Article 4\n   https://learn.microsoft.com/a/4\n",
	} {
		if !strings.Contains(got, want) {
			t.Errorf("note lacks %q:\n%s", want, got)
		}
	}
	for _, notWant := range []string{"SP999004", "Article 5", "a/6"} {
		if strings.Contains(got, notWant) {
			t.Errorf("note shows %q beyond the top 3 issues / 5 articles:\n%s", notWant, got)
		}
	}
}

func TestFormatNoteEmptyParts(t *testing.T) {
	tests := []struct {
		name string
		note Note
		want []string
	}{
		{"nothing matched", Note{Incident: "INC1"}, []string{"Microsoft 365 insights for INC1\n",
			"No Microsoft 365 service recognised in this incident's description, and no Microsoft service health issue or article matches it."}},
		{"no incident number", Note{}, []string{"Microsoft 365 insights\n"}},
		{"no issues", Note{Services: []ServiceMatch{{Service: ServiceTeams, Terms: []string{"teams"}}}},
			[]string{"no current or recent issue matches", "Recommended articles: none matches this incident."}},
		{"no services", Note{Articles: noteFixture().Articles[:1]}, []string{"Services: no Microsoft 365 service recognised", "1. Article 0"}},
		{"no services, an issue, no article", Note{Issues: noteFixture().Issues[:1]},
			[]string{"Services: no Microsoft 365 service recognised", "1. MO999001",
				"Recommended articles: none, as no Microsoft 365 service was recognised and no article matches the description closely."}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := FormatNote(tt.note)
			for _, w := range tt.want {
				if !strings.Contains(got, w) {
					t.Errorf("note lacks %q:\n%s", w, got)
				}
			}
		})
	}
}

func TestFormatNoteTrimsImpact(t *testing.T) {
	n := Note{Issues: []IssueMatch{{Issue: Issue{ID: "EX1", Title: "t\nsecond line", ImpactDescription: strings.Repeat("é", 400)}}}}
	got := FormatNote(n)
	if !strings.Contains(got, "EX1 - t second line") {
		t.Errorf("title not on one line:\n%s", got)
	}
	if !strings.Contains(got, "Impact: "+strings.Repeat("é", noteImpactMax)+"...\n") {
		t.Errorf("impact not truncated to %d runes:\n%s", noteImpactMax, got)
	}
}

func TestDigest(t *testing.T) {
	base := noteFixture()
	d := Digest(base)
	if len(d) != 64 || strings.Trim(d, "0123456789abcdef") != "" {
		t.Fatalf("Digest = %q, want 64 hex digits", d)
	}
	tests := []struct {
		name    string
		edit    func(n *Note)
		changed bool
	}{
		{"same content", func(*Note) {}, false},
		{"scores change", func(n *Note) { n.Issues[0].Score, n.Articles[0].Score = 99, 99 }, false},
		{"incident number", func(n *Note) { n.Incident = "INC2" }, false},
		{"services", func(n *Note) { n.Services = nil }, false},
		{"status case", func(n *Note) { n.Issues[0].Issue.Status = "Investigating" }, false},
		{"same issues reordered", func(n *Note) { n.Issues[0], n.Issues[1] = n.Issues[1], n.Issues[0] }, false},
		{"same articles reordered", func(n *Note) { n.Articles[0], n.Articles[4] = n.Articles[4], n.Articles[0] }, false},
		{"issue beyond top 3", func(n *Note) { n.Issues[3].Issue.Status = "serviceRestored" }, false},
		{"article beyond top 5", func(n *Note) { n.Articles[6].Article.URL = "https://learn.microsoft.com/x" }, false},
		{"time zone of the same instant", func(n *Note) {
			n.Issues[0].Issue.LastModified = n.Issues[0].Issue.LastModified.In(time.FixedZone("CET", 3600))
		}, false},
		{"issue status", func(n *Note) { n.Issues[0].Issue.Status = "serviceRestored" }, true},
		{"issue last modified", func(n *Note) { n.Issues[1].Issue.LastModified = exampleTime.Add(time.Second) }, true},
		{"issue id", func(n *Note) { n.Issues[2].Issue.ID = "EX1" }, true},
		{"issue removed", func(n *Note) { n.Issues = n.Issues[:2] }, true},
		{"issue enters the top 3", func(n *Note) { n.Issues[2], n.Issues[3] = n.Issues[3], n.Issues[2] }, true},
		{"article url", func(n *Note) { n.Articles[0].Article.URL = "https://learn.microsoft.com/x" }, true},
		{"article removed", func(n *Note) { n.Articles = n.Articles[:4] }, true},
		{"everything removed", func(n *Note) { n.Issues, n.Articles = nil, nil }, true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			n := noteFixture()
			tt.edit(&n)
			if got := Digest(n); (got != d) != tt.changed {
				t.Errorf("digest changed = %v, want %v", got != d, tt.changed)
			}
		})
	}
}

func TestHumanize(t *testing.T) {
	tests := []struct{ in, want string }{
		{"serviceDegradation", "Service degradation"},
		{"ServiceDegradation", "Service degradation"},
		{"incident", "Incident"},
		{"", "unknown"},
	}
	for _, tt := range tests {
		if got := humanize(tt.in); got != tt.want {
			t.Errorf("humanize(%q) = %q, want %q", tt.in, got, tt.want)
		}
	}
}
