package insights

import "strings"

// problemClauses calls fn, in order, with the clauses of text that do
// not say something works: "OWA works fine", "Teams and OneDrive work
// normally", "internal is fine", "fine in Teams". People tell what still
// works to narrow a problem down; matching those words would point at
// exactly what is not the problem.
//
// A clause runs between punctuation (. , ; : ! ? parentheses, new lines;
// not the dot of "5.7.1"); it says something works when it has "fine",
// "ok", "okay", "normally", "unaffected", "works" or "working" and no word
// of trouble ("not", "cant", "only", "error", "fails", "stuck", "slow",
// "but", …), so "Outlook fails but OWA works" is kept whole: the rule errs
// on the side of matching. The clauses passed to fn start with the
// punctuation before them, so that fed one after the other to scanWords
// they give the words of text less those of the clauses left out. buf is
// scratch space, returned for reuse.
func problemClauses(text string, buf []byte, fn func(clause string)) []byte {
	return keptClauses(text, buf, func(start, end int) { fn(text[start:end]) })
}

// problemText is text with the clauses that say something works blanked
// (see problemClauses).
func problemText(text string) string {
	b := []byte(strings.Repeat(" ", len(text)))
	keptClauses(text, nil, func(start, end int) { copy(b[start:end], text[start:end]) })
	return string(b)
}

// keptClauses calls fn with the bounds of each clause of text that does
// not say something works.
func keptClauses(text string, buf []byte, fn func(start, end int)) []byte {
	start := 0
	clause := func(end int) {
		c := text[start:end]
		kept := true
		if maySayWorking(c) {
			var working bool
			working, buf = saysWorking(c, buf)
			kept = !working
		}
		if kept {
			fn(start, end)
		}
		start = end
	}
	for i := 0; i < len(text); i++ {
		switch text[i] {
		case '.':
			if i == 0 || i+1 == len(text) || !isDigit(text[i-1]) || !isDigit(text[i+1]) {
				clause(i)
			}
		case ',', ';', ':', '!', '?', '(', ')', '\n':
			clause(i)
		}
	}
	clause(len(text))
	return buf
}

// saysWorking reports whether a clause says that something works. buf is
// scratch space, returned for reuse.
func saysWorking(clause string, buf []byte) (bool, []byte) {
	working, trouble := false, false
	buf = scanWords(clause, buf, func(w []byte) {
		switch string(w) {
		case "fine", "ok", "okay", "normally", "unaffected", "works", "working":
			working = true
		case "not", "no", "never", "cant", "cannot", "couldnt", "doesnt", "dont", "isnt", "arent",
			"wont", "didnt", "wasnt", "stopped", "stops", "only", "except", "until", "unless",
			"fail", "fails", "failed", "failing", "error", "errors", "broken", "crash", "crashes",
			"stuck", "slow", "issue", "issues", "problem", "problems", "from", "anymore", "without", "but":
			trouble = true
		}
	})
	return working && !trouble, buf
}

// maySayWorking reports whether text has, in any case, "ok", "fine",
// "normally", "unaffected" or "work": whether saysWorking can be true of
// it. Most clauses are rejected here, without a scan of their words.
func maySayWorking(text string) bool {
	for i := 0; i+1 < len(text); i++ {
		var marker string
		switch text[i] | 0x20 {
		case 'o':
			marker = "ok"
		case 'f':
			marker = "fine"
		case 'n':
			marker = "normally"
		case 'u':
			marker = "unaffected"
		case 'w':
			marker = "work"
		default:
			continue
		}
		if hasPrefixFold(text[i:], marker) {
			return true
		}
	}
	return false
}

// hasPrefixFold reports whether s starts with the lower-case ASCII prefix,
// in any case.
func hasPrefixFold(s, prefix string) bool {
	if len(s) < len(prefix) {
		return false
	}
	for i := 0; i < len(prefix); i++ {
		if s[i]|0x20 != prefix[i] {
			return false
		}
	}
	return true
}
