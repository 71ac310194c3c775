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
	// (3 for the service's name, 2 for a product of it, 1 for a hint).
	Score int
}

// synonymEntry is one compiled phrase of serviceSynonyms.
type synonymEntry struct {
	words   []string
	phrase  string
	service string
	weight  int
}

// synonymTable indexes the phrases by their first word, longest first.
type synonymTable map[string][]synonymEntry

// compiledSynonyms is built once, on first use, from the serviceSynonyms
// data; it is never modified afterwards.
var compiledSynonyms = sync.OnceValue(func() synonymTable {
	t := make(synonymTable)
	for _, s := range serviceSynonyms {
		for _, syn := range s.synonyms {
			ws := words(syn.phrase)
			if len(ws) == 0 {
				continue
			}
			t[ws[0]] = append(t[ws[0]], synonymEntry{
				words: ws, phrase: strings.Join(ws, " "), service: s.service, weight: syn.weight,
			})
		}
	}
	for _, entries := range t {
		slices.SortStableFunc(entries, func(a, b synonymEntry) int { return len(b.words) - len(a.words) })
	}
	return t
})

// MatchServices finds the Microsoft 365 services text talks about, through
// the synonym table of services.go, strongest first (ties: the service
// mentioned first). It returns nil when no service matched.
func MatchServices(text string) []ServiceMatch {
	table := compiledSynonyms()
	ws := words(text)
	var matches []ServiceMatch
	index := map[string]int{} // service → position in matches
	for i := 0; i < len(ws); {
		e, ok := longestSynonym(table, ws[i:])
		if !ok {
			i++
			continue
		}
		i += len(e.words)
		k, seen := index[e.service]
		if !seen {
			k = len(matches)
			index[e.service] = k
			matches = append(matches, ServiceMatch{Service: e.service})
		}
		m := &matches[k]
		if !slices.Contains(m.Terms, e.phrase) {
			m.Terms = append(m.Terms, e.phrase)
			m.Score += e.weight
		}
	}
	// Stable: equal scores keep the order of first mention.
	slices.SortStableFunc(matches, func(a, b ServiceMatch) int { return b.Score - a.Score })
	return matches
}

func longestSynonym(table synonymTable, ws []string) (synonymEntry, bool) {
	for _, e := range table[ws[0]] {
		if len(e.words) <= len(ws) && slices.Equal(e.words, ws[:len(e.words)]) {
			return e, true
		}
	}
	return synonymEntry{}, false
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
