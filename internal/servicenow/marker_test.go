package servicenow

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"strings"
	"testing"
)

// A note posted by an earlier version, its marker visible on the last line,
// still counts: no second note after an upgrade.
func TestAddWorkNoteOnceFindsVisibleMarker(t *testing.T) {
	j := &journal{sysID: incidentID, notes: []note{{"Microsoft 365 insights for INC0010023\n\n[escalator:insights-0123456789abcdef-0]", self}}}
	posted, err := noteClient(t, j).AddWorkNoteOnce(context.Background(), incidentID, "insights-0123456789abcdef-0", "Microsoft 365 insights for INC0010023")
	if err != nil || posted {
		t.Fatalf("AddWorkNoteOnce = %v, %v; want not posted: the visible marker of an earlier version counts", posted, err)
	}
}

func TestMarkedNote(t *testing.T) {
	for _, tt := range []struct{ text, key, want string }{
		{"Escalated.\n\n", "case-escalator-1", "Escalated.\n" + `[code]<span style="display:none">[escalator:case-escalator-1]</span>[/code]`},
		// HTML would read these: the marker stays visible, and findable.
		{"Reply.", "case-comm-a<b", "Reply.\n\n[escalator:case-comm-a<b]"},
		{"Reply.", `case-comm-a&"b'`, "Reply.\n\n[escalator:case-comm-a&\"b']"},
	} {
		got := markedNote(tt.text, tt.key)
		if got != tt.want {
			t.Errorf("markedNote(%q, %q) = %q, want %q", tt.text, tt.key, got, tt.want)
		}
		// What HasWorkNote looks for is in the stored value, as it is.
		if !strings.Contains(got, Marker(tt.key)) {
			t.Errorf("markedNote(%q, %q) = %q lacks %q", tt.text, tt.key, got, Marker(tt.key))
		}
		if key, text, ok := FindMarker(got); !ok || key != tt.key || text != strings.TrimSpace(tt.text) {
			t.Errorf("FindMarker(%q) = %q, %q, %v", got, key, text, ok)
		}
	}
}

func TestFindMarker(t *testing.T) {
	for _, tt := range []struct{ value, key, text string }{
		{"Escalated.\n\n[escalator:case-x]", "case-x", "Escalated."},
		{"Escalated.\n" + hiddenOpen + "[escalator:case-x]" + hiddenClose, "case-x", "Escalated."},
		{"[escalator:case-123] Microsoft support case 123 opened.", "case-123", "Microsoft support case 123 opened."},
		{"no marker", "", "no marker"},
		{"[escalator:]", "", "[escalator:]"},
	} {
		key, text, ok := FindMarker(tt.value)
		if key != tt.key || text != tt.text || ok != (tt.key != "") {
			t.Errorf("FindMarker(%q) = %q, %q, %v; want %q, %q", tt.value, key, text, ok, tt.key, tt.text)
		}
	}
}

// The key rules as they were before NoteKey, copied from
// rolegate.NoteKey and escalation's noteKey: NoteKey must give the key they
// gave, or notes written before would be posted again.
func refusalKeyBefore(id string) string {
	for _, r := range id {
		if !(r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r >= '0' && r <= '9' ||
			r == '-' || r == '_' || r == '.' || r == ':') {
			sum := sha256.Sum256([]byte(id))
			return "refused-" + hex.EncodeToString(sum[:16])
		}
	}
	return "refused-" + id
}

func eventKeyBefore(prefix, id string) string {
	plain := len(id) <= 64 && id != ""
	for _, r := range id {
		if !('a' <= r && r <= 'z' || 'A' <= r && r <= 'Z' || '0' <= r && r <= '9' || r == '-' || r == '.' || r == ':') {
			plain = false
			break
		}
	}
	if plain {
		return prefix + "-" + id
	}
	sum := sha256.Sum256([]byte(id))
	return prefix + "-" + hex.EncodeToString(sum[:12])
}

var keyIDs = []string{"", "evt-1", "7f3c1a2e-9b4d-4c1e-8f6a-2d5b7c9e0a13", "a_b", "a b", "a^b", "a]b", "a\nb", "ünï",
	"urn:escalator:ticker.1", strings.Repeat("x", 64), strings.Repeat("x", 65), strings.Repeat("y", 200), "0123456789abcdef-42"}

func TestNoteKeyKeepsEarlierKeys(t *testing.T) {
	for _, id := range keyIDs {
		if got, want := NoteKey("refused", id, RefusalKeyForm), refusalKeyBefore(id); got != want {
			t.Errorf("NoteKey(refused, %q, RefusalKeyForm) = %q, want %q as before", id, got, want)
		}
		for _, prefix := range []string{"already", "no-account", "refused", "insights"} {
			if got, want := NoteKey(prefix, id, EventKeyForm), eventKeyBefore(prefix, id); got != want {
				t.Errorf("NoteKey(%s, %q, EventKeyForm) = %q, want %q as before", prefix, id, got, want)
			}
		}
	}
}

func FuzzNoteKey(f *testing.F) {
	for _, id := range keyIDs {
		f.Add(id)
	}
	f.Fuzz(func(t *testing.T, id string) {
		for _, k := range []struct{ got, before string }{
			{NoteKey("refused", id, RefusalKeyForm), refusalKeyBefore(id)},
			{NoteKey("already", id, EventKeyForm), eventKeyBefore("already", id)},
		} {
			if k.got != k.before {
				t.Fatalf("NoteKey(%q) = %q, want %q as before", id, k.got, k.before)
			}
			if strings.ContainsAny(k.got, "^]\r\n") {
				t.Fatalf("NoteKey(%q) = %q: not a valid marker key", id, k.got)
			}
		}
	})
}
