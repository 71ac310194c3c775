package insights

import (
	"bytes"
	_ "embed"
	"encoding/json"
	"errors"
	"fmt"
	"net/url"
	"strings"
	"sync"
)

// articlesJSON is the catalog of Microsoft troubleshooting articles,
// copied from the project's data/m365-articles.json. Every URL is a real
// Microsoft page; add articles only with URLs found in Microsoft's docs.
//
//go:embed articles.json
var articlesJSON []byte

// Article is one Microsoft troubleshooting article of the catalog.
type Article struct {
	Title string `json:"title"`
	URL   string `json:"url"`
	// Services are the Microsoft 365 services the article is about, as the
	// article names them ("Microsoft Entra ID", "Outlook"); see
	// CanonicalService for the Graph name.
	Services []string `json:"services"`
	Keywords []string `json:"keywords"`
}

// articleHosts are the only hosts a catalog URL may point at.
var articleHosts = map[string]bool{"learn.microsoft.com": true, "support.microsoft.com": true}

// Validate checks that the article has a title, an https URL on Microsoft's
// documentation or support site, and at least one service.
func (a Article) Validate() error {
	var errs []error
	if strings.TrimSpace(a.Title) == "" {
		errs = append(errs, errors.New("title is empty"))
	}
	u, err := url.Parse(a.URL)
	switch {
	case a.URL == "":
		errs = append(errs, errors.New("url is empty"))
	case err != nil:
		errs = append(errs, fmt.Errorf("url: %w", err))
	case u.Scheme != "https" || !articleHosts[u.Host] || u.User != nil:
		errs = append(errs, fmt.Errorf("url %q is not https on learn.microsoft.com or support.microsoft.com", a.URL))
	}
	if len(a.Services) == 0 {
		errs = append(errs, errors.New("no service"))
	}
	for i, s := range a.Services {
		if strings.TrimSpace(s) == "" {
			errs = append(errs, fmt.Errorf("service %d is empty", i))
		}
	}
	return errors.Join(errs...)
}

// Catalog is a validated set of articles with its search index. It is
// immutable and safe for concurrent use.
type Catalog struct {
	articles []Article
	index    catalogIndex
	// rankings recycles the scratch space of Recommend.
	rankings sync.Pool
}

// LoadCatalog returns the embedded catalog, validated and indexed.
func LoadCatalog() (*Catalog, error) {
	dec := json.NewDecoder(bytes.NewReader(articlesJSON))
	dec.DisallowUnknownFields()
	var articles []Article
	if err := dec.Decode(&articles); err != nil {
		return nil, fmt.Errorf("decode embedded article catalog: %w", err)
	}
	c, err := NewCatalog(articles)
	if err != nil {
		return nil, fmt.Errorf("embedded article catalog: %w", err)
	}
	return c, nil
}

// NewCatalog validates articles (each one, and that no URL repeats) and
// builds their index. It copies articles.
func NewCatalog(articles []Article) (*Catalog, error) {
	seen := make(map[string]int, len(articles))
	var errs []error
	for i, a := range articles {
		if err := a.Validate(); err != nil {
			errs = append(errs, fmt.Errorf("article %d (%q): %w", i, a.Title, err))
		}
		if j, dup := seen[a.URL]; dup {
			errs = append(errs, fmt.Errorf("article %d (%q): url %s repeats article %d", i, a.Title, a.URL, j))
		}
		seen[a.URL] = i
	}
	if err := errors.Join(errs...); err != nil {
		return nil, err
	}
	c := &Catalog{articles: make([]Article, len(articles))}
	for i, a := range articles {
		c.articles[i] = Article{
			Title:    a.Title,
			URL:      a.URL,
			Services: append([]string(nil), a.Services...),
			Keywords: append([]string(nil), a.Keywords...),
		}
	}
	c.index = newCatalogIndex(c.articles)
	c.rankings.New = func() any { return newRanking(&c.index) }
	return c, nil
}

// Len is the number of articles.
func (c *Catalog) Len() int { return len(c.articles) }

// Articles returns a copy of the catalog's articles.
func (c *Catalog) Articles() []Article {
	out := make([]Article, len(c.articles))
	for i, a := range c.articles {
		out[i] = a
		out[i].Services = append([]string(nil), a.Services...)
		out[i].Keywords = append([]string(nil), a.Keywords...)
	}
	return out
}
