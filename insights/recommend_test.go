package insights

import (
	"fmt"
	"slices"
	"strings"
	"sync"
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
				if m.Score <= 0 {
					t.Errorf("article %d score %v", i, m.Score)
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
		{"Outlok conection problems all morning", ServiceExchange, "connect"},
		{"Can't enrol my iPhone in the company portal", ServiceIntune, "io"},
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

// An incident that names no Microsoft 365 service gets no article, unless
// it quotes one closely.
func TestRecommendWithoutService(t *testing.T) {
	c := loadCatalog(t)
	tests := []struct {
		text string
		want string // the top article's title; "": none
	}{
		{"Printer on 2nd floor jammed, paper stuck in tray 3", ""},
		{"VPN keeps dropping when I work from home, have to sign in again", ""},
		{"Cannot open files on the S: drive, access denied", ""}, // a competitor: on-premises file shares
		{"Mapped drive slow when opening files", ""},
		// No competitor: the floor decides.
		{"Laptop won't turn on, tried another charger", ""},
		{"Badge does not open the door to the 3rd floor", ""},
		{"Second screen flickers, can't share my screen properly", ""},
		{"Need access to the finance folder, my manager approved", ""},
		{"SAP GUI login says password expired", ""},
		{"Zoom meeting: nobody can hear me", ""},
		{"We don't recognize this user ID or password", "We don't recognize this user ID or password"},
		{"'Sorry, but we're having trouble signing you in' with a correlation id", "Sorry, but we're having trouble signing you in"},
	}
	for _, tt := range tests {
		t.Run(tt.text, func(t *testing.T) {
			if s := MatchServices(tt.text); s != nil {
				t.Fatalf("services %+v: the case needs a text without a service", s)
			}
			got := c.Recommend(tt.text, nil, 5)
			switch {
			case tt.want == "" && len(got) > 0:
				t.Errorf("got %q, want no article", titles(got))
			case tt.want != "" && (len(got) == 0 || got[0].Article.Title != tt.want):
				t.Errorf("got %q, want %q first", titles(got), tt.want)
			}
			note := FormatNote(Note{Incident: "INC1", Articles: got})
			if !strings.Contains(note, "o Microsoft 365 service recognised") {
				t.Errorf("note does not say no service was recognised:\n%s", note)
			}
		})
	}
}

// syntheticCatalog is a catalog small enough to reason about its scores.
func syntheticCatalog(t *testing.T, articles ...Article) *Catalog {
	t.Helper()
	for i := range articles {
		articles[i].URL = fmt.Sprintf("https://learn.microsoft.com/x/%d", i)
		if articles[i].Services == nil {
			articles[i].Services = []string{ServiceExchange}
		}
	}
	c, err := NewCatalog(articles)
	if err != nil {
		t.Fatal(err)
	}
	return c
}

// The incident's own phrase ranks the article that has it above one with
// the same words in another order (without phrases, the tie goes to the
// first URL).
func TestRecommendPhrases(t *testing.T) {
	c := syntheticCatalog(t,
		Article{Title: "Full mailbox", Keywords: []string{"quota"}},
		Article{Title: "Mailbox full", Keywords: []string{"quota"}},
	)
	got := c.Recommend("my mailbox is full", []ServiceMatch{{Service: ServiceExchange, Score: 2}}, 2)
	if len(got) != 2 || got[0].Article.Title != "Mailbox full" {
		t.Errorf("got %q, want the article with the phrase first", titles(got))
	}
}

// The best article's other terms bring up the article like it: the
// feedback query. Without it, the shorter "Sync calendar" would come
// second.
func TestRecommendFeedback(t *testing.T) {
	c := syntheticCatalog(t,
		Article{Title: "Sync stuck processing changes", Keywords: []string{"troubleshoot", "client", "upload"}},
		Article{Title: "Troubleshoot the sync client upload"},
		Article{Title: "Sync calendar"},
	)
	got := c.Recommend("sync stuck on processing changes", []ServiceMatch{{Service: ServiceExchange, Score: 2}}, 3)
	if len(got) < 2 || got[0].Article.Title != "Sync stuck processing changes" || got[1].Article.Title != "Troubleshoot the sync client upload" {
		t.Errorf("got %q, want the related article second", titles(got))
	}
}

// An article of none of the matched services counts half.
func TestRankingServiceFactor(t *testing.T) {
	c := syntheticCatalog(t,
		Article{Title: "a", Services: []string{ServiceApps}},
		Article{Title: "b", Services: []string{ServiceIntune, "Windows"}},
	)
	r := newRanking(&c.index)
	r.matched = serviceBit(ServiceIntune)
	scores := []float64{1, 1}
	r.applyServiceFactor(scores)
	if want := []float64{otherServiceFactor, 1}; !slices.Equal(scores, want) {
		t.Errorf("scores = %v, want %v", scores, want)
	}
}

// Recommend recycles its scratch space: concurrent calls must not see each
// other's scores.
func TestRecommendConcurrent(t *testing.T) {
	c := loadCatalog(t)
	texts := []string{exampleIncident, "OneDrive sync stuck", "Teams meeting recording missing", "MFA code not received", "printer jammed"}
	want := make([][]string, len(texts))
	for i, text := range texts {
		want[i] = titles(c.Recommend(text, MatchServices(text), 5))
	}
	var wg sync.WaitGroup
	for g := range 8 {
		wg.Go(func() {
			for k := range 40 {
				i := (g + k) % len(texts)
				if got := titles(c.Recommend(texts[i], MatchServices(texts[i]), 5)); !slices.Equal(got, want[i]) {
					t.Errorf("%q: got %q, want %q", texts[i], got, want[i])
					return
				}
			}
		})
	}
	wg.Wait()
}
