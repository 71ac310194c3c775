package insights

import (
	"slices"
	"strings"
	"testing"
)

func loadCatalog(t testing.TB) *Catalog {
	t.Helper()
	c, err := LoadCatalog()
	if err != nil {
		t.Fatalf("LoadCatalog: %v", err)
	}
	return c
}

func hasService(a Article, canonical string) bool {
	for _, s := range a.Services {
		if CanonicalService(s) == canonical {
			return true
		}
	}
	return false
}

// mentions reports whether any of the article's title or keywords has a
// term starting with prefix.
func mentions(a Article, prefix string) bool {
	for _, t := range tokenize(a.Title + " " + strings.Join(a.Keywords, " ")) {
		if strings.HasPrefix(t, prefix) {
			return true
		}
	}
	return false
}

func TestRecommendExampleIncident(t *testing.T) {
	c := loadCatalog(t)
	services := MatchServices(exampleIncident)
	got := c.Recommend(exampleIncident, services, 5)
	if len(got) != 5 {
		t.Fatalf("Recommend returned %d articles, want 5", len(got))
	}
	connect := 0
	for _, m := range got {
		if !hasService(m.Article, ServiceExchange) {
			t.Errorf("%q (%v) is not an Exchange Online/Outlook article", m.Article.Title, m.Article.Services)
		}
		if mentions(m.Article, "connect") {
			connect++
		}
	}
	if connect < 3 {
		t.Errorf("only %d of the top 5 articles are about connecting: %v", connect, titles(got))
	}
	if !mentions(got[0].Article, "outlook") {
		t.Errorf("top article %q is not about Outlook", got[0].Article.Title)
	}
}

func titles(ms []ArticleMatch) []string {
	var ts []string
	for _, m := range ms {
		ts = append(ts, m.Article.Title)
	}
	return ts
}

// Without services, "sign in error" recommends a Teams article first; the
// matched service decides among the many sign-in articles.
func TestRecommendServicesSteer(t *testing.T) {
	c := loadCatalog(t)
	const text = "sign in error"
	tests := []struct {
		service string
	}{{ServiceEntra}, {ServiceOneDrive}, {ServiceApps}}
	for _, tt := range tests {
		t.Run(tt.service, func(t *testing.T) {
			got := c.Recommend(text, []ServiceMatch{{Service: tt.service, Score: 3}}, 3)
			if len(got) == 0 || !hasService(got[0].Article, tt.service) {
				t.Errorf("with service %s the top article is %v", tt.service, titles(got))
			}
		})
	}
}

func TestRecommendProperties(t *testing.T) {
	c := loadCatalog(t)
	tests := []struct {
		name string
		text string
		n    int
		want int // -1: between 1 and n
	}{
		{"nothing in common", "zzzz qqqq", 5, 0},
		{"empty text", "", 5, 0},
		{"only stopwords", "the and of to", 5, 0},
		{"n zero", exampleIncident, 0, 0},
		{"n negative", exampleIncident, -1, 0},
		{"n limits", exampleIncident, 2, 2},
		{"teams", "Teams meeting recording missing", 5, -1},
		{"ndr", "NDR 550 5.1.1 when sending mail to a partner", 5, -1},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := c.Recommend(tt.text, MatchServices(tt.text), tt.n)
			switch {
			case tt.want >= 0 && len(got) != tt.want:
				t.Fatalf("got %d articles, want %d: %v", len(got), tt.want, titles(got))
			case tt.want < 0 && (len(got) == 0 || len(got) > tt.n):
				t.Fatalf("got %d articles, want 1..%d", len(got), tt.n)
			}
			for i, m := range got {
				if m.Score <= 0 || m.Score < got[0].Score*minRelativeScore {
					t.Errorf("article %d score %v (top %v)", i, m.Score, got[0].Score)
				}
				if i > 0 && (m.Score > got[i-1].Score || m.Score == got[i-1].Score && m.Article.URL < got[i-1].Article.URL) {
					t.Errorf("not ordered at %d: %v", i, titles(got))
				}
			}
			if again := c.Recommend(tt.text, MatchServices(tt.text), tt.n); !slices.EqualFunc(got, again, func(a, b ArticleMatch) bool {
				return a.Article.URL == b.Article.URL && a.Score == b.Score
			}) {
				t.Error("Recommend is not deterministic")
			}
		})
	}
}

func TestRecommendTopicQueries(t *testing.T) {
	c := loadCatalog(t)
	tests := []struct {
		text    string
		service string // the top article's service
		term    string // a term prefix of the top article's title or keywords
	}{
		{"Teams meeting recordings are missing after the meeting", ServiceTeams, "record"},
		{"OneDrive sync stuck, files show syncing forever", ServiceOneDrive, "sync"},
		{"Users get NDR 550 5.1.1 when they send mail", ServiceExchange, "ndr"},
		{"Intune device enrollment fails on Windows", ServiceIntune, "enrol"},
		{"MFA verification code text not received", ServiceEntra, "verification"},
	}
	for _, tt := range tests {
		t.Run(tt.text, func(t *testing.T) {
			got := c.Recommend(tt.text, MatchServices(tt.text), 3)
			if len(got) == 0 {
				t.Fatal("no article")
			}
			if top := got[0].Article; !hasService(top, tt.service) || !mentions(top, tt.term) {
				t.Errorf("top article %q %v, want a %s article about %q", top.Title, top.Services, tt.service, tt.term)
			}
		})
	}
}
