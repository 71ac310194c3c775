package insights

// ranking is the scratch state of one Recommend call: the scores of every
// article and which terms the query already has.
type ranking struct {
	x *catalogIndex
	// base is the BM25 of the query (text terms and service names) after
	// the service factor; final is what orders; pairs is the BM25 of the
	// text's phrases.
	base, final, pairs []float64
	// scale[d] is otherServiceFactor for an article of none of the
	// matched services, 1 for the others (when services matched).
	scale                                []float64
	seen, seenPairs                      []bool // by term id, by pair id
	matched                              uint32 // services of the query (serviceBit)
	termBuf, pairBuf, typoBuf, clauseBuf []byte // scratch
}

func newRanking(x *catalogIndex) *ranking {
	n := len(x.titleScores)
	scores := make([]float64, 4*n)
	seen := make([]bool, len(x.terms.postings)+len(x.pairs.postings))
	bufs := make([]byte, 4*64)
	return &ranking{
		x:         x,
		base:      scores[:n:n],
		final:     scores[n : 2*n : 2*n],
		pairs:     scores[2*n : 3*n : 3*n],
		scale:     scores[3*n:],
		seen:      seen[:len(x.terms.postings)],
		seenPairs: seen[len(x.terms.postings):],
		termBuf:   bufs[0:0:64],
		pairBuf:   bufs[64:64:128],
		typoBuf:   bufs[128:128:192],
		clauseBuf: bufs[192:192],
	}
}

// reset makes r ready for another query.
func (r *ranking) reset() {
	clear(r.base)
	clear(r.final)
	clear(r.pairs)
	clear(r.scale)
	clear(r.seen)
	clear(r.seenPairs)
	r.matched = 0
	r.termBuf, r.pairBuf, r.typoBuf, r.clauseBuf = r.termBuf[:0], r.pairBuf[:0], r.typoBuf[:0], r.clauseBuf[:0]
}

// addText adds the distinct terms of text to the query, and scores the
// pairs of adjacent terms, leaving out the clauses that say something
// works (problemClauses).
func (r *ranking) addText(text string) {
	prev := 0 // length of the previous term at the start of pairBuf
	addTerm := func(t []byte) {
		id, ok := r.termID(t)
		if !ok {
			if id, ok, r.typoBuf = r.x.typos.lookup(t, r.termID, r.typoBuf); !ok {
				prev = 0 // no pair across a word the catalog does not have
				return
			}
		}
		r.addTerm(id, 1)
		word := r.x.termWords[id] // as the catalog spells it
		if prev > 0 {
			r.pairBuf = append(append(r.pairBuf[:prev], ' '), word...)
			if pid, ok := r.x.pairs.id(r.pairBuf); ok && !r.seenPairs[pid] {
				r.seenPairs[pid] = true
				r.x.pairs.add(r.pairs, pid, 1, nil)
			}
		}
		r.pairBuf = append(r.pairBuf[:0], word...)
		prev = len(word)
	}
	r.clauseBuf = problemClauses(text, r.clauseBuf, func(clause string) {
		r.termBuf = scanTerms(clause, r.termBuf, addTerm)
	})
}

func (r *ranking) termID(t []byte) (int32, bool) { return r.x.terms.id(t) }

// addTerm adds weight × the BM25 of term id to base, once per query.
func (r *ranking) addTerm(id int32, weight float64) {
	if r.seen[id] {
		return
	}
	r.seen[id] = true
	r.x.terms.add(r.base, id, weight, nil)
}

// addServices adds the names of the matched services to the query,
// weighted by strength, then applies otherServiceFactor.
func (r *ranking) addServices(services []ServiceMatch) {
	top := 0
	for _, s := range services {
		top = max(top, s.Score)
		r.matched |= serviceBit(s.Service)
	}
	for _, s := range services {
		w := 1.0
		if top > 0 {
			w = 0.5 + 0.5*float64(s.Score)/float64(top)
		}
		r.termBuf = scanTerms(s.Service, r.termBuf, func(t []byte) {
			if id, ok := r.x.terms.id(t); ok {
				r.addTerm(id, w)
			}
		})
	}
	r.applyServiceFactor(r.base)
}

// applyServiceFactor multiplies the scores of the articles of none of the
// matched services by otherServiceFactor, and keeps the factors in scale.
func (r *ranking) applyServiceFactor(scores []float64) {
	if r.matched == 0 {
		return
	}
	for d := range scores {
		r.scale[d] = 1
		if r.x.serviceSets[d]&r.matched == 0 {
			r.scale[d] = otherServiceFactor
			scores[d] *= otherServiceFactor
		}
	}
}

// addFeedback adds to final the feedback query: the terms of article top
// that the query lacks, weighted feedbackWeight (and otherServiceFactor).
func (r *ranking) addFeedback(top int) {
	var scale []float64
	if r.matched != 0 {
		scale = r.scale
	}
	for _, id := range r.x.docTerms[top] {
		if !r.seen[id] {
			r.x.terms.add(r.final, id, feedbackWeight, scale)
		}
	}
}
