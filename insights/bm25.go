package insights

import "math"

// BM25 parameters: the usual defaults (Robertson et al.; Lucene, Elasticsearch).
const (
	bm25K1 = 1.2
	bm25B  = 0.75
)

// bm25Index is an Okapi BM25 index over documents given as weighted term
// frequencies, so that one field can count more than another (BM25F-style:
// a term's frequency is the weighted sum of its occurrences in each field,
// and so is the document length).
//
// Everything that does not depend on the query — idf, the length
// normalisation, the saturated term frequency — is folded into one weight
// per posting at build time, so a query costs one map lookup per query
// term plus one addition per posting.
type bm25Index struct {
	terms    map[string]int32 // term → id
	postings [][]posting      // by term id
	docs     int
}

type posting struct {
	doc    int32
	weight float64 // idf(t) · tf·(k1+1) / (tf + k1·(1 − b + b·dl/avgdl))
}

// newBM25 indexes docs; docs[i] maps each term of document i to its
// (weighted) frequency.
func newBM25(docs []map[string]float64, k1, b float64) *bm25Index {
	idx := &bm25Index{terms: make(map[string]int32), docs: len(docs)}
	lengths := make([]float64, len(docs))
	var total float64
	for i, d := range docs {
		for _, tf := range d {
			lengths[i] += tf
		}
		total += lengths[i]
	}
	avgdl := 1.0
	if len(docs) > 0 && total > 0 {
		avgdl = total / float64(len(docs))
	}
	for i, d := range docs {
		for t, tf := range d {
			if tf <= 0 {
				continue
			}
			id, ok := idx.terms[t]
			if !ok {
				id = int32(len(idx.postings))
				idx.terms[t] = id
				idx.postings = append(idx.postings, nil)
			}
			norm := 1 - b + b*lengths[i]/avgdl
			idx.postings[id] = append(idx.postings[id], posting{
				doc:    int32(i),
				weight: tf * (k1 + 1) / (tf + k1*norm),
			})
		}
	}
	n := float64(len(docs))
	for _, ps := range idx.postings {
		df := float64(len(ps))
		idf := bm25IDF(n, df)
		for j := range ps {
			ps[j].weight *= idf
		}
	}
	return idx
}

// bm25IDF is the Lucene form of the BM25 idf, ln(1 + (N − df + 0.5)/(df + 0.5)),
// which stays positive for terms in more than half of the documents.
func bm25IDF(n, df float64) float64 {
	return math.Log(1 + (n-df+0.5)/(df+0.5))
}

// id is the id of term, the one map lookup of a query term. The []byte
// conversion in the map index does not allocate.
func (idx *bm25Index) id(term []byte) (int32, bool) {
	id, ok := idx.terms[string(term)]
	return id, ok
}

// add adds weight × the BM25 contribution of term id to scores (one slot
// per document), each document's share multiplied by scale[doc] when scale
// is not nil. It is the one place a query is scored: Recommend's query,
// phrases and feedback, and each article's own title.
func (idx *bm25Index) add(scores []float64, id int32, weight float64, scale []float64) {
	if scale == nil {
		for _, p := range idx.postings[id] {
			scores[p.doc] += weight * p.weight
		}
		return
	}
	for _, p := range idx.postings[id] {
		scores[p.doc] += weight * p.weight * scale[p.doc]
	}
}

// docScore is the BM25 score of document doc for the distinct terms of
// query, scored by add in scratch (one slot per document).
func (idx *bm25Index) docScore(scratch []float64, doc int32, query []string) float64 {
	clear(scratch)
	seen := make(map[int32]bool, len(query))
	for _, t := range query {
		if id, ok := idx.id([]byte(t)); ok && !seen[id] {
			seen[id] = true
			idx.add(scratch, id, 1, nil)
		}
	}
	return scratch[doc]
}
