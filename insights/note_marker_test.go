package insights_test

import (
	"context"
	"strings"
	"testing"

	"github.com/escalator/escalator/internal/servicenow"
)

// The note's marker is in the stored value, hidden in a [code] block that
// the activity stream renders as nothing: agents read the note, not the key.
func TestNoteMarkerIsHidden(t *testing.T) {
	e := newHandlerEnv(t)
	ev := exampleEvent(t)
	p := planOf(t, e, ev)
	if err := e.handle(t, ev); err != nil {
		t.Fatal(err)
	}
	notes := e.workNotes(t)
	if len(notes) != 1 {
		t.Fatalf("%d work notes, want 1", len(notes))
	}
	hidden := `[code]<span style="display:none">` + servicenow.Marker(p.Key) + `</span>[/code]`
	if v := notes[0].Value; !strings.HasSuffix(v, "\n"+hidden) || strings.Count(v, servicenow.MarkerPrefix) != 1 {
		t.Errorf("note does not end with its hidden marker %q:\n%s", hidden, v)
	}
}

// A note that an earlier version posted, its marker visible, is found by
// the redelivery after an upgrade: no second note.
func TestNoteOfEarlierVersionCounts(t *testing.T) {
	e := newHandlerEnv(t)
	ev := exampleEvent(t)
	p := planOf(t, e, ev)
	// The earlier version posted its note and died before recording the digest.
	if err := e.notes.AddWorkNote(context.Background(), p.SysID, p.Text+"\n\n"+servicenow.Marker(p.Key)); err != nil {
		t.Fatal(err)
	}
	if err := e.handle(t, ev); err != nil {
		t.Fatal(err)
	}
	if n := len(e.workNotes(t)); n != 1 {
		t.Errorf("%d work notes after the upgrade's redelivery, want 1", n)
	}
	if got := e.storedDigest(t); got != p.Digest {
		t.Errorf("stored digest %q, want %q", got, p.Digest)
	}
}
