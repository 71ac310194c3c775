package insights

import (
	"math"
	"testing"
)

// The corpus of the hand-computed BM25 tests (k1 = 1.2, b = 0.75):
//
//	d0: outlook connect          dl = 2
//	d1: outlook outlook password dl = 3
//	d2: teams meeting            dl = 2
//
// N = 3, avgdl = 7/3.
//
//	idf(outlook) = ln(1 + (3−2+0.5)/(2+0.5)) = ln 1.6       = 0.4700036
//	idf(teams)   = ln(1 + (3−1+0.5)/(1+0.5)) = ln(8/3)      = 0.9808293
//	norm(dl=2)   = 1 − 0.75 + 0.75·2/(7/3)   = 0.25 + 9/14  = 0.8928571
//	norm(dl=3)   = 0.25 + 0.75·3/(7/3)       = 0.25 + 27/28 = 1.2142857
//
//	outlook in d0: 0.4700036 · 1·2.2/(1 + 1.2·0.8928571) = 0.4700036 · 1.0620690 = 0.4991763
//	outlook in d1: 0.4700036 · 2·2.2/(2 + 1.2·1.2142857) = 0.4700036 · 4.4/3.4571429 = 0.5981864
//	teams in d2:   0.9808293 · 1.0620690               = 1.0417084
//	connect in d0: same df and dl as teams in d2          = 1.0417084
func tinyIndex() *bm25Index {
	return newBM25([]map[string]float64{
		{"outlook": 1, "connect": 1},
		{"outlook": 2, "password": 1},
		{"teams": 1, "meeting": 1},
	}, 1.2, 0.75)
}

// bm25Scores scores every document of idx for query through add, the way
// Recommend does, but counting a repeated query term as often as it occurs.
func bm25Scores(idx *bm25Index, query []string) []float64 {
	scores := make([]float64, idx.docs)
	for _, t := range query {
		if id, ok := idx.id([]byte(t)); ok {
			idx.add(scores, id, 1, nil)
		}
	}
	return scores
}

func TestBM25HandComputed(t *testing.T) {
	idx := tinyIndex()
	tests := []struct {
		name  string
		query []string
		want  []float64
	}{
		{"common term", []string{"outlook"}, []float64{0.4991763, 0.5981864, 0}},
		{"rare term", []string{"teams"}, []float64{0, 0, 1.0417084}},
		{"two terms add", []string{"outlook", "connect"}, []float64{0.4991763 + 1.0417084, 0.5981864, 0}},
		{"repeated query term counts twice", []string{"teams", "teams"}, []float64{0, 0, 2 * 1.0417084}},
		{"unknown term", []string{"sharepoint"}, []float64{0, 0, 0}},
		{"empty query", nil, []float64{0, 0, 0}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := bm25Scores(idx, tt.query)
			for i := range tt.want {
				if math.Abs(got[i]-tt.want[i]) > 1e-6 {
					t.Errorf("bm25Scores(%q)[d%d] = %.7f, want %.7f", tt.query, i, got[i], tt.want[i])
				}
			}
		})
	}
}

func TestBM25DocScoreCountsDistinctTerms(t *testing.T) {
	idx := tinyIndex()
	scratch := make([]float64, idx.docs)
	if got := idx.docScore(scratch, 1, []string{"outlook", "outlook", "sharepoint"}); math.Abs(got-0.5981864) > 1e-6 {
		t.Errorf("docScore(d1, outlook outlook sharepoint) = %.7f, want 0.5981864", got)
	}
	if got := idx.docScore(scratch, 0, []string{"outlook", "connect"}); math.Abs(got-(0.4991763+1.0417084)) > 1e-6 {
		t.Errorf("docScore(d0, outlook connect) = %.7f, want %.7f", got, 0.4991763+1.0417084)
	}
}

func TestBM25IDFPositiveForCommonTerms(t *testing.T) {
	// A term in every document still counts a little (Lucene's idf).
	if got := bm25IDF(3, 3); got <= 0 || math.Abs(got-math.Log(1+0.5/3.5)) > 1e-12 {
		t.Errorf("idf(N=3, df=3) = %v", got)
	}
}

func TestBM25EmptyCorpus(t *testing.T) {
	idx := newBM25(nil, bm25K1, bm25B)
	if got := bm25Scores(idx, []string{"outlook"}); len(got) != 0 {
		t.Errorf("score on empty corpus = %v", got)
	}
}

func TestArticleTermsWeightsFields(t *testing.T) {
	got := articleTerms(Article{
		Title:    "Outlook connection problems",
		Keywords: []string{"outlook"},
		Services: []string{"Exchange Online"},
	})
	want := map[string]float64{"outlook": 2, "connect": 1, "problem": 1, "exchange": 2, "online": 2}
	if len(got) != len(want) {
		t.Fatalf("articleTerms = %v, want %v", got, want)
	}
	for k, v := range want {
		if got[k] != v {
			t.Errorf("tf[%s] = %v, want %v", k, got[k], v)
		}
	}
}
