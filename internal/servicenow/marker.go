package servicenow

import (
	"crypto/sha256"
	"encoding/hex"
	"regexp"
	"strings"
)

// A marker is what makes a work note findable again: "[escalator:<key>]",
// looked up in sys_journal_field with a LIKE query (HasWorkNote). Every
// version of Escalator has written it in this form, and the update set's
// business rule (EscalatorClient.isEscalatorNote) knows a note as
// Escalator's by it, so the marker text itself never changes; only what
// surrounds it in the note does.
//
// Since markers became hidden, a note carries its marker inside a [code]
// block as an invisible span: journal fields render [code]…[/code] as HTML
// (glide.ui.security.allow_codetag, true by default), so the activity stream
// shows nothing, while the stored value, and so the LIKE query, still holds
// "[escalator:<key>]". Notes written earlier end with the bare marker on a
// line of its own; the same query finds both.
const (
	markerOpen  = "[escalator:"
	markerClose = "]"
	hiddenOpen  = `[code]<span style="display:none">`
	hiddenClose = `</span>[/code]`
)

// markerExpr finds a marker and, when there is one, the hidden block
// around it.
var markerExpr = regexp.MustCompile(`(?:\[code\]<span style="display:none">)?\[escalator:([^\]\r\n]+)\](?:</span>\[/code\])?`)

// Marker returns the text that identifies the note posted under key: what
// HasWorkNote looks for.
func Marker(key string) string { return markerOpen + key + markerClose }

// MarkerPrefix starts every marker: a LIKE on it finds every note that
// carries one.
const MarkerPrefix = markerOpen

// markedNote is text followed by the marker of key, hidden. A key holding a
// character that HTML would read (<, >, &, quotes) keeps the visible form
// "\n\n[escalator:<key>]": escaped, it would no longer be the stored
// marker text that HasWorkNote looks for.
func markedNote(text, key string) string {
	text = strings.TrimRight(text, "\n")
	if strings.ContainsAny(key, `<>&"'`) {
		return text + "\n\n" + Marker(key)
	}
	return text + "\n" + hiddenOpen + Marker(key) + hiddenClose
}

// FindMarker returns the key of the first marker in a work note's value and
// the note without it (and without the hidden block around it). ok is false
// when the value carries no marker.
func FindMarker(value string) (key, text string, ok bool) {
	m := markerExpr.FindStringSubmatchIndex(value)
	if m == nil {
		return "", value, false
	}
	return value[m[2]:m[3]], strings.TrimSpace(value[:m[0]] + value[m[1]:]), true
}

// KeyForm is how NoteKey turns an id into the rest of a marker key. Each
// form is the one its notes have always been keyed by: changing one would
// make notes already written unknown, and post them again.
type KeyForm struct {
	// MaxPlain is the longest id kept as it is; longer ones are hashed.
	// 0: no limit.
	MaxPlain int
	// Punct is the punctuation an id may hold and be kept, besides ASCII
	// letters and digits.
	Punct string
	// HashEmpty hashes an empty id rather than keep it.
	HashEmpty bool
	// HashBytes is how many bytes of the id's sha256 the key holds (twice
	// as many hex digits) when the id is not kept.
	HashBytes int
}

// Key forms in use.
var (
	// EventKeyForm keys the escalation handler's notes by event id, and
	// the insights note by digest and revision: ids of at most 64
	// characters of [A-Za-z0-9-.:] are kept, others become 24 hex digits.
	EventKeyForm = KeyForm{MaxPlain: 64, Punct: "-.:", HashEmpty: true, HashBytes: 12}
	// RefusalKeyForm keys the role gate's refusals by event id: ids of any
	// length of [A-Za-z0-9-_.:] are kept, others become 32 hex digits.
	RefusalKeyForm = KeyForm{Punct: "-_.:", HashBytes: 16}
)

// NoteKey is the marker key prefix + "-" + id, or prefix + "-" + a hex
// digest of id when form does not keep id as it is. Either is a valid key
// for AddWorkNoteOnce whatever id holds (no '^', ']' or line break).
func NoteKey(prefix, id string, form KeyForm) string {
	if form.keeps(id) {
		return prefix + "-" + id
	}
	sum := sha256.Sum256([]byte(id))
	return prefix + "-" + hex.EncodeToString(sum[:form.HashBytes])
}

func (f KeyForm) keeps(id string) bool {
	if id == "" && f.HashEmpty || f.MaxPlain > 0 && len(id) > f.MaxPlain {
		return false
	}
	for _, r := range id {
		if !('a' <= r && r <= 'z' || 'A' <= r && r <= 'Z' || '0' <= r && r <= '9' || strings.ContainsRune(f.Punct, r)) {
			return false
		}
	}
	return true
}
