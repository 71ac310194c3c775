package insights

import "slices"

// ArticleMatch is a recommended article and its score. Article shares its
// Services and Keywords with the catalog: treat them as read-only.
type ArticleMatch struct {
	Article Article
	Score   float64
}

// The ranking's constants. Those marked "tuned" were chosen on the tune
// split of the evaluation set (testdata/eval, TestEvaluation; README,
// "How good the insights are"), at the middle of the range that scored
// best, never on the held-out split.
const (
	// minRelativeScore drops recommendations that score below this
	// fraction of the best one: an article that shares only a common word
	// such as "error" with the incident is noise next to one that matches
	// it.
	minRelativeScore = 0.25

	// minTitleFraction (tuned) is the floor of an article when no
	// Microsoft 365 service was recognised: its BM25 score must reach this
	// fraction of what its own title scores (catalogIndex.titleScores). An
	// incident that quotes an article's error message ("We don't recognize
	// this user ID or password") passes; one that shares a word or two
	// with it ("open", "files", "meeting") does not. On the tune split,
	// out-of-scope incidents reach at most 0.49 but for one (0.64);
	// in-scope ones without a recognised service start at 0.59.
	minTitleFraction = 0.55

	// otherServiceFactor (tuned, 0.3–0.7 score alike) multiplies the score
	// of an article of none of the matched services: "Something went
	// wrong" in an Intune incident is not the Office installation error.
	otherServiceFactor = 0.5

	// pairWeight (tuned, 1–2 alike) is the weight of the article phrases
	// (pairs of adjacent terms) the incident repeats.
	pairWeight = 1.0

	// feedbackWeight (tuned, 0.5–0.75 alike) is the weight of the feedback
	// query: the terms of the best article that the incident lacks. It
	// ranks the articles related to the best one ("Troubleshoot OneDrive
	// sync issues" next to "OneDrive files incorrectly show as syncing")
	// above those that share one incidental word with the incident.
	feedbackWeight = 0.5
)

// Recommend returns up to n articles for an incident, best first (ties by
// URL). It returns nil when no article matches.
//
// The score is BM25 over each article's title, keywords and services, for
// the query made of the distinct terms of text (short description and
// description, less the clauses that say something works: see
// problemClauses; a misspelt word counts as the term it is one typo from)
// and of the names of the matched services, weighted by their strength
// relative to the strongest (between 0.5 and 1). An article of none of the
// matched services counts half. The best article's other terms then make
// a feedback query (weight feedbackWeight).
//
// Articles below a quarter of the best score are dropped. When no service
// was recognised, a text that names a competing product (Zoom, Citrix, a
// VPN client, a printer: see competitors) gets no article, and otherwise
// only the articles whose BM25 reaches minTitleFraction of their title's:
// a description that quotes an article's error message still gets it, a
// printer jam gets nothing. Last, the article phrases the text repeats add
// their own BM25 (pairWeight) to the articles kept.
func (c *Catalog) Recommend(text string, services []ServiceMatch, n int) []ArticleMatch {
	if n <= 0 || len(c.articles) == 0 || len(services) == 0 && namesCompetitor(text) {
		return nil
	}
	r := c.rankings.Get().(*ranking)
	defer c.rankings.Put(r)
	r.reset()
	r.addText(text)
	r.addServices(services)
	base, final := r.base, r.final
	// base is the BM25 the floor is about; final adds the feedback, then
	// the phrases, and orders.
	copy(final, base)
	if top := argmax(base); base[top] > 0 {
		r.addFeedback(top)
	}
	var best float64
	for _, s := range final {
		best = max(best, s)
	}
	if best <= 0 {
		return nil
	}
	// The n best of the articles kept, by insertion: n is small.
	type scored struct {
		d     int
		score float64
	}
	better := func(a, b scored) bool { // score descending, then URL
		return a.score > b.score || a.score == b.score && c.articles[a.d].URL < c.articles[b.d].URL
	}
	top := make([]scored, 0, n+1)
	for d, s := range final {
		if s < best*minRelativeScore || len(services) == 0 && base[d] < minTitleFraction*c.index.titleScores[d] {
			continue
		}
		// Phrases reorder the articles kept, they do not keep more.
		m := scored{d, s + pairWeight*r.pairs[d]}
		i := len(top)
		for i > 0 && better(m, top[i-1]) {
			i--
		}
		if i < n {
			top = slices.Insert(top, i, m)[:min(len(top)+1, n)]
		}
	}
	if len(top) == 0 {
		return nil
	}
	out := make([]ArticleMatch, len(top))
	for i, m := range top {
		out[i] = ArticleMatch{Article: c.articles[m.d], Score: m.score}
	}
	return out
}

func argmax(xs []float64) int {
	best := 0
	for i, x := range xs {
		if x > xs[best] {
			best = i
		}
	}
	return best
}
