package insights

import (
	"slices"
	"strings"
	"sync"
)

// ServiceMatch is a Microsoft 365 service an incident appears to be about.
type ServiceMatch struct {
	// Service is the service's name as Graph service health spells it
	// (one of the Service* constants).
	Service string
	// Terms are the synonym phrases of the text that pointed at the
	// service, distinct, in order of first appearance.
	Terms []string
	// Score is the strength of the match: the sum of the weights of Terms
	// (3 for the service's name, 2 for a product or an error code of it,
	// 1 for a topic, hint or context word; see synonymKind).
	Score int
}

// synonymEntry is one compiled phrase of serviceSynonyms or competitors
// (service "").
type synonymEntry struct {
	words   []string
	phrase  string
	service string
	kind    synonymKind
}

// synonymIndex is the compiled synonym table.
type synonymIndex struct {
	// phrases indexes the phrases by their first word, longest first.
	phrases map[string][]synonymEntry
	// vocabulary is every word of every phrase, by id (its position);
	// typos finds the word of vocabulary a misspelt word stands for.
	vocabulary []string
	wordIDs    map[string]int32
	typos      typoIndex
}

// compiledSynonyms is built once, on first use, from the serviceSynonyms
// and competitors data; it is never modified afterwards.
var compiledSynonyms = sync.OnceValue(func() *synonymIndex {
	x := &synonymIndex{phrases: make(map[string][]synonymEntry), wordIDs: make(map[string]int32)}
	add := func(phrase, service string, kind synonymKind) {
		ws := words(phrase)
		if len(ws) == 0 {
			return
		}
		x.phrases[ws[0]] = append(x.phrases[ws[0]], synonymEntry{
			words: ws, phrase: strings.Join(ws, " "), service: service, kind: kind,
		})
		for _, w := range ws {
			if _, ok := x.wordIDs[w]; !ok {
				x.wordIDs[w] = int32(len(x.vocabulary))
				x.vocabulary = append(x.vocabulary, w)
			}
		}
	}
	for _, s := range serviceSynonyms {
		for _, syn := range s.synonyms {
			add(syn.phrase, s.service, syn.kind)
		}
	}
	for _, c := range competitors {
		add(c, "", kindCompetitor)
	}
	for _, l := range driveLetters {
		add(string(l)+" drive", "", kindCompetitor)
	}
	for _, entries := range x.phrases {
		slices.SortStableFunc(entries, func(a, b synonymEntry) int { return len(b.words) - len(a.words) })
	}
	x.typos = newTypoIndex(x.vocabulary)
	return x
})

func (x *synonymIndex) wordID(w []byte) (int32, bool) {
	id, ok := x.wordIDs[string(w)]
	return id, ok
}

// MatchServices finds the Microsoft 365 services text talks about, through
// the synonym table of services.go, strongest first (ties: the service
// mentioned first). It returns nil when no service matched.
//
// A service matches on its name, a product or a topic; its hints count
// only next to one of those, or, when no service has one, in a text that
// is plainly about Microsoft ("office 365", an 0x… error code). A
// competing product named in the text cancels every topic and hint: see
// synonymKind.
func MatchServices(text string) []ServiceMatch {
	found, clues := scanSynonyms(text)
	if len(found) == 0 {
		return nil
	}
	var anchored uint32 // services with a name, product or topic that counts (serviceBit)
	for _, f := range found {
		if f.kind == kindName || f.kind == kindProduct || f.kind == kindTopic && !clues.competitor {
			anchored |= serviceBit(f.service)
		}
	}
	// With no anchored service, the hints of a Microsoft text stand on
	// their own: "can't log in to office.com" is about Entra.
	loose := anchored == 0 && clues.microsoft && !clues.competitor
	var matches []ServiceMatch
	index := func(service string) (int, bool) { // position in matches
		for i := range matches {
			if matches[i].Service == service {
				return i, true
			}
		}
		return 0, false
	}
	for _, f := range found {
		switch f.kind {
		case kindTopic:
			if clues.competitor {
				continue
			}
		case kindHint, kindContext:
			if clues.competitor || anchored&serviceBit(f.service) == 0 && !(loose && f.kind == kindHint) {
				continue
			}
		}
		k, seen := index(f.service)
		if !seen {
			k = len(matches)
			matches = append(matches, ServiceMatch{Service: f.service})
		}
		m := &matches[k]
		if !slices.Contains(m.Terms, f.phrase) {
			m.Terms = append(m.Terms, f.phrase)
			m.Score += f.kind.weight()
		}
	}
	if loose {
		// The context words of the suite count once one of its hints did
		// ("o365 licence"); they were skipped above, so add them now.
		for _, f := range found {
			if k, ok := index(f.service); ok && f.kind == kindContext && !slices.Contains(matches[k].Terms, f.phrase) {
				matches[k].Terms = append(matches[k].Terms, f.phrase)
				matches[k].Score += f.kind.weight()
			}
		}
	}
	// Stable: equal scores keep the order of first mention.
	slices.SortStableFunc(matches, func(a, b ServiceMatch) int { return b.Score - a.Score })
	return matches
}

// namesCompetitor reports whether text names a competing product (outside
// the clauses that say it works).
func namesCompetitor(text string) bool {
	_, clues := scanSynonyms(text)
	return clues.competitor
}

// textClues are what a text says besides its service phrases.
type textClues struct {
	competitor bool // a competing product is named
	microsoft  bool // a context word or a Microsoft error code
}

// scanSynonyms returns the service phrases of text in order (with
// repetitions; competitors and 0x… codes are not among them) and the
// clues, leaving out the clauses that say something works (problemClauses).
func scanSynonyms(text string) ([]synonymEntry, textClues) {
	x := compiledSynonyms()
	// The words of text as the synonym table spells them: a word of its
	// vocabulary (typos corrected), an error code, or "" for any other
	// word, which no phrase has.
	ws := make([]string, 0, len(text)/6+1)
	bufs := make([]byte, 3*32)
	scratch, wordBuf, clauseBuf := bufs[0:0:32], bufs[32:32:64], bufs[64:64]
	addWord := func(w []byte) {
		if id, ok := x.wordIDs[string(w)]; ok {
			ws = append(ws, x.vocabulary[id])
			return
		}
		if isErrorCode(w) {
			ws = append(ws, string(w))
			return
		}
		var id int32
		var ok bool
		if id, ok, scratch = x.typos.lookup(w, x.wordID, scratch); ok {
			ws = append(ws, x.vocabulary[id])
			return
		}
		ws = append(ws, "")
	}
	problemClauses(text, clauseBuf, func(clause string) { wordBuf = scanWords(clause, wordBuf, addWord) })
	found := make([]synonymEntry, 0, 8)
	var clues textClues
	for i := 0; i < len(ws); {
		if ws[i] == "" {
			i++
			continue
		}
		if e, ok := matchErrorCode(ws[i]); ok {
			i++
			clues.microsoft = true
			if e.service != "" {
				found = append(found, e)
			}
			continue
		}
		e, ok := longestSynonym(x.phrases, ws[i:])
		if !ok {
			i++
			continue
		}
		i += len(e.words)
		switch e.kind {
		case kindCompetitor:
			clues.competitor = true
			continue
		case kindContext:
			clues.microsoft = true
		}
		found = append(found, e)
	}
	return found, clues
}

// isErrorCode reports whether matchErrorCode would recognise w.
func isErrorCode(w []byte) bool {
	if len(w) < 5 || len(w) > 16 {
		return false
	}
	_, ok := matchErrorCode(string(w)) // no copy: the conversion does not escape
	return ok
}

// matchErrorCode recognises the Microsoft error codes incidents paste:
// AADSTS50057 (an Entra product), an SMTP enhanced status code such as
// 5.7.1 or 4.4.7 (an Exchange product; words keeps the dots between
// digits) and a 32-bit hex code such as 0x8004de40 or 0xCAA70007 (no
// service, but the text is about Microsoft).
func matchErrorCode(w string) (synonymEntry, bool) {
	switch {
	case len(w) > len("aadsts") && strings.HasPrefix(w, "aadsts") && isDigits(w[len("aadsts"):]):
		return synonymEntry{phrase: w, service: ServiceEntra, kind: kindProduct}, true
	case isSMTPStatus(w):
		return synonymEntry{phrase: w, service: ServiceExchange, kind: kindProduct}, true
	case len(w) == 10 && strings.HasPrefix(w, "0x") && isHex(w[2:]):
		return synonymEntry{phrase: w, kind: kindContext}, true
	}
	return synonymEntry{}, false
}

// isSMTPStatus reports whether w is an RFC 3463 status code of a
// transient or permanent failure: 4 or 5, a one-digit subject, a detail
// of one to three digits.
func isSMTPStatus(w string) bool {
	if len(w) < 5 || len(w) > 7 || w[0] != '4' && w[0] != '5' || w[1] != '.' || w[3] != '.' {
		return false
	}
	return isDigits(w[2:3]) && isDigits(w[4:])
}

func isDigits(s string) bool {
	for i := 0; i < len(s); i++ {
		if s[i] < '0' || s[i] > '9' {
			return false
		}
	}
	return s != ""
}

func isHex(s string) bool {
	for i := 0; i < len(s); i++ {
		if c := s[i]; (c < '0' || c > '9') && (c < 'a' || c > 'f') {
			return false
		}
	}
	return s != ""
}

func longestSynonym(table map[string][]synonymEntry, ws []string) (synonymEntry, bool) {
	for _, e := range table[ws[0]] {
		if len(e.words) <= len(ws) && slices.Equal(e.words, ws[:len(e.words)]) {
			return e, true
		}
	}
	return synonymEntry{}, false
}

// serviceBit is the bit of a service (a Service* constant) in a set of
// services; 0 for a name that is not one of them.
func serviceBit(service string) uint32 {
	for i, s := range serviceSynonyms {
		if s.service == service {
			return 1 << i
		}
	}
	return 0
}

// CanonicalService returns the name this package uses for a service name
// from Graph or from an article: case-insensitive, and older or alternative
// names ("Identity Service", "Microsoft Entra ID", "Outlook") mapped to
// the current Graph name. An unknown name is returned trimmed.
func CanonicalService(name string) string {
	name = strings.TrimSpace(name)
	for _, s := range serviceSynonyms {
		if strings.EqualFold(s.service, name) {
			return s.service
		}
	}
	if s, ok := serviceAliases[strings.ToLower(name)]; ok {
		return s
	}
	return name
}
