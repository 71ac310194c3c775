package insights

import (
	"testing"
	"unicode/utf8"
)

// The incident text comes from ServiceNow users: any bytes must be
// matched without panicking, and the results must keep their invariants.
func FuzzMatchAndRecommend(f *testing.F) {
	c := loadCatalog(f)
	for _, s := range []string{
		exampleIncident, "", "'", "’s", "sign-in", "ies", "sses", "xes", "ing",
		"microsoft 365 apps for", "\xff\xfe", "exchange online exchange online",
		"Überprüfung der Anmeldung schlägt fehl", "ﬁle ǅ ß", "EX123456",
		"550 5.7.1 AADSTS50057 0x8004de40", "5.", ".5", "1.2.3.4.5", "Zoom meeting, Outlook works fine.",
		"outlok sharepiont onedrrive", "(ok) fine, works; but", "iPhone licence enrolment greyed",
	} {
		f.Add(s)
	}
	issues := exampleIssues()
	f.Fuzz(func(t *testing.T, text string) {
		services := MatchServices(text)
		for i, s := range services {
			if s.Score <= 0 || len(s.Terms) == 0 || (i > 0 && s.Score > services[i-1].Score) {
				t.Fatalf("bad service matches %+v", services)
			}
		}
		articles := c.Recommend(text, services, 5)
		if len(articles) > 5 {
			t.Fatalf("%d articles", len(articles))
		}
		for _, a := range articles {
			if a.Score <= 0 {
				t.Fatalf("article with score %v", a.Score)
			}
		}
		ranked := RankIssues(text, services, issues, 3)
		if len(ranked) > 3 {
			t.Fatalf("%d issues", len(ranked))
		}
		note := FormatNote(Note{Incident: "INC1", Services: services, Issues: ranked, Articles: articles})
		if utf8.ValidString(text) && !utf8.ValidString(note) {
			t.Fatalf("note is not valid UTF-8")
		}
		_ = Digest(Note{Issues: ranked, Articles: articles})
	})
}

func FuzzTokenize(f *testing.F) {
	for _, s := range []string{"", "policies", "Can't", "ies", "\xc3", "a's", "ÄÖÜ"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, text string) {
		for _, term := range tokenize(text) {
			if term == "" {
				t.Fatalf("empty term from %q", text)
			}
			if again := tokenize(term); len(again) > 1 {
				t.Fatalf("term %q of %q splits again: %q", term, text, again)
			}
		}
	})
}
