package insights

import (
	"unicode"
	"unicode/utf8"
)

// scanWords splits text into lower-cased words of letters and digits and
// calls fn with each one. Apostrophes are dropped rather than treated as
// separators so that "can't" and "can’t" both become "cant", and a dot
// between two digits is kept, so that the status codes "5.7.1" and
// "5.7.10" stay two distinct words. The word passed to fn lives in buf
// (returned for reuse) and is only valid during the call; fn may modify it
// in place.
func scanWords(text string, buf []byte, fn func(word []byte)) []byte {
	word := buf[:0]
	flush := func() {
		if len(word) > 0 {
			fn(word)
			word = word[:0]
		}
	}
	for i, r := range text {
		switch {
		case r < utf8.RuneSelf && ('a' <= r && r <= 'z' || '0' <= r && r <= '9'):
			word = append(word, byte(r))
		case r < utf8.RuneSelf && 'A' <= r && r <= 'Z':
			word = append(word, byte(r+'a'-'A'))
		case r == '.' && len(word) > 0 && isDigit(word[len(word)-1]) && i+1 < len(text) && isDigit(text[i+1]):
			word = append(word, '.')
		case r == '\'' || r == '’':
			// joined: can't → cant
		case unicode.IsLetter(r) || unicode.IsDigit(r):
			word = utf8.AppendRune(word, unicode.ToLower(r))
		default:
			flush()
		}
	}
	flush()
	return word
}

func isDigit(c byte) bool { return '0' <= c && c <= '9' }

// isStopword reports whether w is one of the short list of English words
// that carry no meaning for matching an incident to an article or issue.
func isStopword(w []byte) bool {
	switch string(w) {
	case "a", "about", "after", "also", "am", "an", "and", "any", "are", "as", "at",
		"be", "been", "before", "being", "but", "by",
		"can", "cannot", "cant", "could", "did", "do", "does", "doing", "doesnt", "dont", "didnt",
		"isnt", "arent", "wasnt", "wont", "couldnt", "unable",
		"for", "from", "get", "gets", "got",
		"had", "has", "have", "he", "her", "his", "how",
		"i", "if", "in", "into", "is", "it", "its",
		"just", "me", "my", "no", "not", "of", "on", "only", "or", "our",
		"she", "since", "so", "some", "than", "that", "the", "their", "them",
		"then", "there", "these", "they", "this", "those", "to", "too",
		"us", "very", "was", "we", "were", "what", "when", "where", "which",
		"while", "who", "why", "will", "with", "work", "worked", "working", "works", "would",
		"you", "your":
		return true
	}
	return false
}

// stem strips, in place, the endings that most often separate an
// incident's words from an article's: plurals (policies → policy,
// mailboxes → mailbox, addresses → address, users → user), then -ing and
// -ed (connecting, connected → connect) and -ction (connection → connect).
// Short words and singular endings (-ss, -us, -is) are kept. It is
// deliberately tiny and sometimes wrong (sharing → shar, share → share):
// both the incident text and the catalog go through it, so consistency
// matters more than linguistic accuracy.
func stem(w []byte) []byte {
	w = stemPlural(w)
	n := len(w)
	switch {
	case n >= 6 && hasSuffix(w, "ing"):
		return w[:n-3]
	case n >= 5 && hasSuffix(w, "ed") && !hasSuffix(w, "eed"):
		return w[:n-2]
	case n >= 8 && hasSuffix(w, "ction"):
		return w[:n-3]
	}
	return w
}

func stemPlural(w []byte) []byte {
	n := len(w)
	if n <= 3 || w[n-1] != 's' {
		return w
	}
	switch {
	case n > 4 && hasSuffix(w, "ies"):
		w[n-3] = 'y'
		return w[:n-2]
	case hasSuffix(w, "sses"), hasSuffix(w, "xes"):
		return w[:n-2]
	case hasSuffix(w, "ss"), hasSuffix(w, "us"), hasSuffix(w, "is"):
		return w
	}
	return w[:n-1]
}

func hasSuffix(w []byte, suffix string) bool {
	return len(w) >= len(suffix) && string(w[len(w)-len(suffix):]) == suffix
}

// americanSpelling returns the American spelling Microsoft's articles use
// for the British spellings incidents often have ("enrolment", "licence",
// "organisation"), or w itself. The result may share w's memory.
func americanSpelling(w []byte) []byte {
	var us string
	switch string(w) {
	case "enrol", "enrols":
		us = "enroll"
	case "enrolment", "enrolments":
		us = "enrollment"
	case "licence", "licences":
		us = "license"
	case "licenced":
		us = "licensed"
	case "organisation", "organisations":
		us = "organization"
	case "organisational":
		us = "organizational"
	case "customise", "customised":
		us = "customize"
	case "recognise", "recognised":
		us = "recognize"
	case "authorise", "authorised":
		us = "authorize"
	case "centre":
		us = "center"
	case "grey":
		us = "gray"
	case "greyed":
		us = "grayed"
	case "catalogue":
		us = "catalog"
	case "iphone", "iphones", "ipad", "ipads":
		us = "ios" // the articles name the system: "iOS/iPadOS device enrollment"
	case "macbook", "macbooks", "mac", "macs":
		us = "macos"
	default:
		return w
	}
	return append(w[:0], us...)
}

// scanTerms calls fn with each normalised term of text: lower-cased,
// stopwords removed, British spellings made American, plurals and a few
// endings stemmed. The term is only valid during the call.
func scanTerms(text string, buf []byte, fn func(term []byte)) []byte {
	return scanWords(text, buf, func(w []byte) {
		if isStopword(w) {
			return
		}
		fn(stem(americanSpelling(w)))
	})
}

// tokenize returns the normalised terms of text, in order, with
// repetitions. The hot path (Recommend) uses scanTerms instead, which
// does not allocate a string per term.
func tokenize(text string) []string {
	var terms []string
	scanTerms(text, nil, func(t []byte) { terms = append(terms, string(t)) })
	return terms
}

// words returns the lower-cased words of text without removing stopwords
// or stemming: the service synonym table matches exact phrases.
func words(text string) []string {
	var ws []string
	scanWords(text, nil, func(w []byte) { ws = append(ws, string(w)) })
	return ws
}
