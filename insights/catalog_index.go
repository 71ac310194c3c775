package insights

import "sync"

// Field weights of the article index: a term in the article's services
// counts twice, so an incident about Exchange Online leans towards
// Exchange Online articles when the words alone do not decide.
const (
	fieldWeightTitle    = 1.0
	fieldWeightKeywords = 1.0
	fieldWeightServices = 2.0
)

// catalogIndex is what Recommend searches, built once per catalog.
type catalogIndex struct {
	// terms is the BM25 index of the articles' title, keywords and
	// services (BM25F-style field weights).
	terms *bm25Index
	// termWords[id] is the term of id in terms.
	termWords []string
	// docTerms[d] are the ids of article d's terms, for the feedback
	// query (Recommend).
	docTerms [][]int32
	// typos finds the term a misspelt incident word stands for.
	typos typoIndex
	// pairs indexes the pairs of adjacent terms of each article's title
	// and keywords ("mailbox full", "list view"): an incident that uses an
	// article's own phrase is a closer match than one with the same words
	// apart.
	pairs *bm25Index
	// titleScores[d] is what article d scores for a query of its own
	// title's terms: what a real match scores, the reference of
	// Recommend's floor.
	titleScores []float64
	// serviceSets[d] is the set of article d's services (serviceBit).
	serviceSets []uint32
}

func newCatalogIndex(articles []Article) catalogIndex {
	docs := make([]map[string]float64, len(articles))
	pairDocs := make([]map[string]float64, len(articles))
	for i, a := range articles {
		docs[i] = articleTerms(a)
		pairDocs[i] = articlePairs(a)
	}
	x := catalogIndex{
		terms:       newBM25(docs, bm25K1, bm25B),
		pairs:       newBM25(pairDocs, bm25K1, bm25B),
		docTerms:    make([][]int32, len(articles)),
		titleScores: make([]float64, len(articles)),
		serviceSets: make([]uint32, len(articles)),
	}
	x.termWords = make([]string, len(x.terms.postings))
	for t, id := range x.terms.terms {
		x.termWords[id] = t
	}
	x.typos = newTypoIndex(x.termWords)
	for id, ps := range x.terms.postings {
		for _, p := range ps {
			x.docTerms[p.doc] = append(x.docTerms[p.doc], int32(id))
		}
	}
	scores := make([]float64, len(articles))
	for d, a := range articles {
		x.titleScores[d] = x.terms.docScore(scores, int32(d), tokenize(a.Title))
		for _, s := range a.Services {
			x.serviceSets[d] |= serviceBit(CanonicalService(s))
		}
	}
	return x
}

// articleTerms is the weighted term frequency of an article's fields.
func articleTerms(a Article) map[string]float64 {
	tf := make(map[string]float64)
	addField := func(text string, w float64) {
		for _, t := range tokenize(text) {
			tf[t] += w
		}
	}
	addField(a.Title, fieldWeightTitle)
	for _, k := range a.Keywords {
		addField(k, fieldWeightKeywords)
	}
	for _, s := range a.Services {
		addField(s, fieldWeightServices)
	}
	return tf
}

// articlePairs is the frequency of the pairs of adjacent terms of an
// article's title and of each of its keywords (never across two fields).
func articlePairs(a Article) map[string]float64 {
	tf := make(map[string]float64)
	for _, field := range append([]string{a.Title}, a.Keywords...) {
		terms := tokenize(field)
		for i := 1; i < len(terms); i++ {
			p := terms[i-1] + " " + terms[i]
			if !namePairs()[p] {
				tf[p]++
			}
		}
	}
	return tf
}

var namePairs = sync.OnceValue(func() map[string]bool {
	m := map[string]bool{}
	add := func(n string) {
		terms := tokenize(n)
		for i := 1; i < len(terms); i++ {
			m[terms[i-1]+" "+terms[i]] = true
		}
	}
	for _, s := range serviceSynonyms {
		add(s.service)
		for _, syn := range s.synonyms {
			if syn.kind == kindName {
				add(syn.phrase)
			}
		}
	}
	for a := range serviceAliases {
		add(a)
	}
	return m
})
