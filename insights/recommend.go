package insights

import (
	"cmp"
	"slices"
)

// ArticleMatch is a recommended article and its BM25 score. Article shares
// its Services and Keywords with the catalog: treat them as read-only.
type ArticleMatch struct {
	Article Article
	Score   float64
}

// minRelativeScore drops recommendations that score below this fraction
// of the best one: an article that shares only a common word such as
// "error" with the incident is noise next to one that matches it.
const minRelativeScore = 0.25

// Recommend returns up to n articles for an incident, best first (ties by
// URL), by BM25 over each article's title, keywords and services. The
// query is the distinct terms of text (short description and description)
// plus the names of the matched services, weighted by their strength
// relative to the strongest (between 0.5 and 1). It returns nil when no
// article shares a term with the query.
func (c *Catalog) Recommend(text string, services []ServiceMatch, n int) []ArticleMatch {
	if n <= 0 || len(c.articles) == 0 {
		return nil
	}
	scores := make([]float64, len(c.articles))
	seen := make([]bool, len(c.index.postings))
	addTerm := func(term []byte, w float64) {
		id, ok := c.index.terms[string(term)]
		if !ok || seen[id] {
			return
		}
		seen[id] = true
		for _, p := range c.index.postings[id] {
			scores[p.doc] += w * p.weight
		}
	}
	buf := make([]byte, 0, 64)
	buf = scanTerms(text, buf, func(t []byte) { addTerm(t, 1) })
	top := 0
	for _, s := range services {
		top = max(top, s.Score)
	}
	for _, s := range services {
		w := 1.0
		if top > 0 {
			w = 0.5 + 0.5*float64(s.Score)/float64(top)
		}
		buf = scanTerms(s.Service, buf, func(t []byte) { addTerm(t, w) })
	}

	var best float64
	for _, s := range scores {
		best = max(best, s)
	}
	if best <= 0 {
		return nil
	}
	var found []int32
	for i, s := range scores {
		if s >= best*minRelativeScore {
			found = append(found, int32(i))
		}
	}
	slices.SortFunc(found, func(a, b int32) int {
		if d := cmp.Compare(scores[b], scores[a]); d != 0 {
			return d
		}
		return cmp.Compare(c.articles[a].URL, c.articles[b].URL)
	})
	if len(found) > n {
		found = found[:n]
	}
	out := make([]ArticleMatch, len(found))
	for i, d := range found {
		out[i] = ArticleMatch{Article: c.articles[d], Score: scores[d]}
	}
	return out
}
