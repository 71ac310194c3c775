package insights

// typoIndex finds, for a misspelt word, the known word it is one typo away
// from: one letter left out ("outlok"), one too many ("onedrrive") or two
// neighbours swapped ("sharepiont"). It is a deletion index (the SymSpell
// idea at distance 1): every known word is stored under each spelling with
// one letter deleted, and a word matches a known word when the two are
// equal after deleting at most one letter from each, and, when a letter
// was deleted from both, the two differ by a swap. One wrong letter is not
// a typo here: it turns too many real words into others ("remote" and
// "remove", "project" and "protect").
//
// Only letters inside the word are deleted, never the first or the last:
// "outlooks" and "exchanged" are other words, not typos of "outlook" and
// "exchange", and a word's ends are where inflections live. Words shorter
// than typoMinLen and words with a digit (error codes: 0x8004de40 and
// 0x8004de80 are different errors) are never corrected.
type typoIndex struct {
	words    []string
	variants map[string]int32 // spelling with one letter deleted → word id; -1: two words share it
	// shapes[first][last] has bit n set when a word of length n with
	// these first and last letters (a–z) may be a typo of a known word:
	// as typos keep both ends, this rules out nearly every word of an
	// incident with one array read.
	shapes [26][26]uint64
}

// typoMinLen is the shortest word a typo is looked for in: below it, one
// letter changes too much.
const typoMinLen = 6

// newTypoIndex indexes words (their ids are their positions).
func newTypoIndex(words []string) typoIndex {
	t := typoIndex{words: words, variants: make(map[string]int32)}
	for id, w := range words {
		if !typoCandidate([]byte(w)) {
			continue
		}
		if f, l, ok := ends([]byte(w)); ok {
			for n := len(w) - 1; n <= len(w)+1 && n < 64; n++ {
				t.shapes[f][l] |= 1 << n
			}
		}
		for i := 1; i < len(w)-1; i++ {
			v := w[:i] + w[i+1:]
			if other, dup := t.variants[v]; dup && other != int32(id) {
				t.variants[v] = -1
			} else {
				t.variants[v] = int32(id)
			}
		}
	}
	return t
}

// lookup returns the id of the known word that w is one typo away from.
// exact finds a word by its exact spelling. buf is scratch space, returned
// for reuse. A word that is itself known is not looked up here.
func (t *typoIndex) lookup(w []byte, exact func(w []byte) (int32, bool), buf []byte) (int32, bool, []byte) {
	if f, l, ok := ends(w); !ok || len(w) >= 64 || t.shapes[f][l]&(1<<len(w)) == 0 || !typoCandidate(w) {
		return 0, false, buf
	}
	if id, ok := t.variants[string(w)]; ok && id >= 0 { // a letter left out
		return id, true, buf
	}
	for i := 1; i < len(w)-1; i++ {
		buf = append(append(buf[:0], w[:i]...), w[i+1:]...)
		if id, ok := exact(buf); ok { // a letter too many
			return id, true, buf
		}
		if id, ok := t.variants[string(buf)]; ok && id >= 0 && swapped(w, t.words[id]) {
			return id, true, buf
		}
	}
	return 0, false, buf
}

// typoCandidate reports whether w is long enough and made of letters only.
func typoCandidate(w []byte) bool {
	if len(w) < typoMinLen {
		return false
	}
	for _, c := range w {
		if '0' <= c && c <= '9' || c == '.' {
			return false
		}
	}
	return true
}

// swapped reports whether a and b differ only by two neighbouring letters
// in the other order.
func swapped(a []byte, b string) bool {
	if len(a) != len(b) {
		return false
	}
	i := 0
	for i < len(a) && a[i] == b[i] {
		i++
	}
	return i+1 < len(a) && a[i] == b[i+1] && a[i+1] == b[i] && string(a[i+2:]) == b[i+2:]
}

// ends returns the first and last letters of w as 0–25, when both are
// a–z.
func ends(w []byte) (first, last byte, ok bool) {
	if len(w) == 0 {
		return 0, 0, false
	}
	f, l := w[0]-'a', w[len(w)-1]-'a'
	return f, l, f < 26 && l < 26
}
