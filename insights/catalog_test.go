package insights

import (
	"strings"
	"testing"
)

func TestLoadCatalog(t *testing.T) {
	c, err := LoadCatalog()
	if err != nil {
		t.Fatalf("LoadCatalog: %v", err)
	}
	articles := c.Articles()
	if len(articles) < 80 || c.Len() != len(articles) {
		t.Fatalf("catalog has %d articles (Len %d), want at least 80", len(articles), c.Len())
	}
	urls := make(map[string]bool)
	for _, a := range articles {
		if err := a.Validate(); err != nil {
			t.Errorf("article %q: %v", a.Title, err)
		}
		if urls[a.URL] {
			t.Errorf("url %s appears twice", a.URL)
		}
		urls[a.URL] = true
	}
}

func TestCatalogArticlesIsACopy(t *testing.T) {
	c, err := LoadCatalog()
	if err != nil {
		t.Fatal(err)
	}
	a := c.Articles()
	a[0].Title = "changed"
	a[0].Services[0] = "changed"
	if b := c.Articles(); b[0].Title == "changed" || b[0].Services[0] == "changed" {
		t.Error("Articles returned the catalog's own slices")
	}
}

func TestArticleValidate(t *testing.T) {
	valid := Article{
		Title:    "Fix Outlook connection problems in Microsoft 365",
		URL:      "https://learn.microsoft.com/en-us/troubleshoot/outlook/connectivity/outlook-connection-issues",
		Services: []string{"Outlook"},
	}
	tests := []struct {
		name    string
		edit    func(a *Article)
		wantErr string
	}{
		{"valid", func(*Article) {}, ""},
		{"support site", func(a *Article) { a.URL = "https://support.microsoft.com/en-us/office/x" }, ""},
		{"no keywords is fine", func(a *Article) { a.Keywords = nil }, ""},
		{"empty title", func(a *Article) { a.Title = "  " }, "title is empty"},
		{"empty url", func(a *Article) { a.URL = "" }, "url is empty"},
		{"http", func(a *Article) { a.URL = "http://learn.microsoft.com/x" }, "not https"},
		{"other host", func(a *Article) { a.URL = "https://learn.microsoft.com.example.com/x" }, "not https"},
		{"user info", func(a *Article) { a.URL = "https://x@learn.microsoft.com/x" }, "not https"},
		{"bad url", func(a *Article) { a.URL = "https://learn.microsoft.com/%zz" }, "url"},
		{"no service", func(a *Article) { a.Services = nil }, "no service"},
		{"blank service", func(a *Article) { a.Services = []string{""} }, "service 0 is empty"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			a := valid
			tt.edit(&a)
			err := a.Validate()
			if tt.wantErr == "" {
				if err != nil {
					t.Fatalf("Validate: %v", err)
				}
				return
			}
			if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
				t.Fatalf("Validate = %v, want error containing %q", err, tt.wantErr)
			}
		})
	}
}

func TestNewCatalogRejects(t *testing.T) {
	a := Article{Title: "A", URL: "https://learn.microsoft.com/a", Services: []string{"Exchange Online"}}
	bad := a
	bad.URL = "https://example.com/a"
	tests := []struct {
		name     string
		articles []Article
		wantErr  string
	}{
		{"duplicate url", []Article{a, a}, "repeats article 0"},
		{"invalid article", []Article{a, bad}, "article 1"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := NewCatalog(tt.articles)
			if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
				t.Fatalf("NewCatalog = %v, want error containing %q", err, tt.wantErr)
			}
		})
	}
}

func TestNewCatalogCopiesInput(t *testing.T) {
	in := []Article{{Title: "Teams doesn't load", URL: "https://learn.microsoft.com/t", Services: []string{"Microsoft Teams"}, Keywords: []string{"teams"}}}
	c, err := NewCatalog(in)
	if err != nil {
		t.Fatal(err)
	}
	in[0].Title, in[0].Keywords[0] = "changed", "changed"
	if got := c.Articles()[0]; got.Title != "Teams doesn't load" || got.Keywords[0] != "teams" {
		t.Errorf("catalog changed with its input: %+v", got)
	}
}
