package explain

import (
	"context"
	"errors"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/escalator/escalator/internal/event"
	"github.com/escalator/escalator/internal/servicenow"
	"github.com/escalator/escalator/rolegate"
)

// The index finds the incident's events without reading the others: the
// messages fetched are the incident's, however many the stream holds; a
// scan of the same stream reads them all.
func TestIndexReadsOnlyTheIncident(t *testing.T) {
	f := newFixture(t, true)
	const others = 300
	f.noise(t, others/2)
	var want []uint64
	for _, id := range []string{"ours-1", "ours-2", "ours-3"} {
		want = append(want, f.publish(t, testEvent(id, event.TypeEscalation, ourSysID, ourNumber)))
	}
	f.noise(t, others/2)

	r := explainT(t, Deps{JS: f.js}, Query{Incident: ourSysID})
	if r.Stats.Method != "index" || r.Stats.IndexEntries != 3 || r.Stats.MessagesRead != 3 {
		t.Fatalf("index lookup stats %+v, want 3 entries and 3 messages read", r.Stats)
	}
	if got := seqsOf(r.Events); !slices.Equal(got, want) {
		t.Fatalf("events %v, want %v", got, want)
	}
	if r.Stats.StreamMessages != others+3 || !r.Found {
		t.Fatalf("stream messages %d, found %t", r.Stats.StreamMessages, r.Found)
	}
	scan := explainT(t, Deps{JS: f.js}, Query{Incident: ourSysID, Scan: true})
	if scan.Stats.Method != "scan" || scan.Stats.MessagesRead != others+3 || !slices.Equal(seqsOf(scan.Events), want) {
		t.Fatalf("scan stats %+v, events %v", scan.Stats, seqsOf(scan.Events))
	}
}

func seqsOf(es []Event) []uint64 {
	out := make([]uint64, len(es))
	for i, e := range es {
		out[i] = e.Seq
	}
	return out
}

// Without the index bucket (events published by a publisher that does not
// index), explain reads the stream and says so.
func TestNoIndexScans(t *testing.T) {
	f := newFixture(t, false)
	f.noise(t, 20)
	seq := f.publish(t, testEvent("ours-1", event.TypeInsights, ourSysID, ourNumber))
	r := explainT(t, Deps{JS: f.js}, Query{Incident: ourSysID})
	if r.Stats.Method != "scan" || len(r.Events) != 1 || r.Events[0].Seq != seq {
		t.Fatalf("stats %+v, events %+v", r.Stats, r.Events)
	}
	if d := sourceOf(r, SourceStream).Detail; !strings.Contains(d, "no index") {
		t.Fatalf("stream source detail %q does not say the index is missing", d)
	}
}

// A number is resolved without ServiceNow: by the index, or, without one,
// by the scan, whose events name the sys_id.
func TestLookupByNumber(t *testing.T) {
	for _, index := range []bool{true, false} {
		f := newFixture(t, index)
		f.noise(t, 10)
		f.publish(t, testEvent("ours-1", event.TypeInsights, ourSysID, ourNumber))
		r := explainT(t, Deps{JS: f.js}, Query{Incident: strings.ToLower(ourNumber)})
		if r.Incident.SysID != ourSysID || len(r.Events) != 1 {
			t.Fatalf("index %t: incident %+v, %d events", index, r.Incident, len(r.Events))
		}
		if want := map[bool]string{true: "index", false: "scan"}[index]; r.Stats.Method != want {
			t.Fatalf("index %t: method %s, want %s", index, r.Stats.Method, want)
		}
		if r.Events[0].TraceID != traceHex || r.Events[0].RequestedBy != "beth.anglin" || r.Events[0].Status != StatusWaiting {
			t.Fatalf("event %+v", r.Events[0])
		}
	}
}

// A dead letter is found by its original sequence and by its body, and the
// event it stands for shows its reason and deliveries.
func TestDeadLetterReason(t *testing.T) {
	f := newFixture(t, true)
	ev := testEvent("ours-dl", event.TypeEscalation, ourSysID, ourNumber)
	seq := f.publish(t, ev)
	other := testEvent("theirs-dl", event.TypeEscalation, "0123456789abcdef0123456789abcdef", "INC0000002")
	f.deadLetter(t, other, f.publish(t, other), "not ours")
	f.deadLetter(t, ev, seq, "support ticket create: 503 Service Unavailable")

	r := explainT(t, Deps{JS: f.js}, Query{Incident: ourNumber})
	if len(r.DeadLetters) != 1 || r.DeadLetters[0].OrigSeq != seq || r.Stats.DeadLettersRead != 2 {
		t.Fatalf("dead letters %+v (read %d)", r.DeadLetters, r.Stats.DeadLettersRead)
	}
	e := r.Events[0]
	if e.Status != StatusDeadLettered || e.Deliveries != 6 || !strings.Contains(e.Outcome, "503 Service Unavailable") {
		t.Fatalf("event %+v", e)
	}
	if !slices.ContainsFunc(r.Timeline, func(x Entry) bool { return x.Source == "dead letter" && strings.Contains(x.Text, "503") }) {
		t.Fatalf("timeline lacks the dead letter: %+v", r.Timeline)
	}
}

// ServiceNow's outbox rows and Escalator's notes join the timeline, and are
// linked to the event they are about.
func TestServiceNowRowsAndNotes(t *testing.T) {
	f := newFixture(t, true)
	base, sn := simServiceNow(t)
	ctx := ctxT(t)
	row, err := sn.Create(ctx, "u_escalator_outbox", map[string]string{"u_incident": ourSysID, "u_type": "insights",
		"u_state": "refused", "u_result": "Refused: you need the role escalator_insights_user."})
	if err != nil {
		t.Fatal(err)
	}
	ev := testEvent(row["sys_id"], event.TypeInsights, ourSysID, ourNumber)
	f.publish(t, ev)
	if _, err := sn.AddWorkNoteOnce(ctx, ourSysID, rolegate.NoteKey(ev.ID), "Escalator refused the request: no role."); err != nil {
		t.Fatal(err)
	}
	if err := sn.AddWorkNote(ctx, ourSysID, "a note by hand, no marker"); err != nil {
		t.Fatal(err)
	}
	// A marker typed by an agent is not Escalator's.
	forged := testEvent("forged-1", event.TypeInsights, ourSysID, ourNumber)
	f.publish(t, forged)
	workNoteAs(t, base, "beth.anglin", ourSysID, "I refused it myself\n\n"+servicenow.Marker(rolegate.NoteKey(forged.ID)))
	r := explainT(t, Deps{JS: f.js, ServiceNow: sn}, Query{Incident: ourNumber})
	if !r.Incident.InServiceNow || r.Incident.ShortDescription == "" {
		t.Fatalf("incident %+v", r.Incident)
	}
	if len(r.Outbox) != 1 || r.Outbox[0].State != "refused" {
		t.Fatalf("outbox %+v", r.Outbox)
	}
	if len(r.Notes) != 2 || r.Notes[0].Marker != rolegate.NoteKey(ev.ID) || strings.Contains(r.Notes[0].Text, "[escalator:") || r.Notes[0].Foreign {
		t.Fatalf("notes %+v", r.Notes)
	}
	if n := r.Notes[1]; !n.Foreign || n.CreatedBy != "beth.anglin" {
		t.Fatalf("forged note %+v", n)
	}
	for _, e := range r.Events {
		if e.ID == forged.ID && e.Outcome != "" {
			t.Fatalf("a forged marker counted for %s: %q", e.ID, e.Outcome)
		}
	}
	out := r.Events[0].Outcome // the row's event, published first
	if !strings.Contains(out, "refused: the requester lacks the role") || !strings.Contains(out, "outbox row refused") {
		t.Fatalf("outcome %q", out)
	}
}

type failingRecords struct{}

func (failingRecords) List(context.Context, string, servicenow.ListOptions) ([]servicenow.Record, error) {
	return nil, errors.New("dial tcp 10.0.0.1:443: connection refused")
}

// A source that does not answer, or is not configured, is named, and the
// others still are read.
func TestSourcesDownOrMissing(t *testing.T) {
	f := newFixture(t, true)
	f.publish(t, testEvent("ours-1", event.TypeUpdated, ourSysID, ourNumber))
	r := explainT(t, Deps{JS: f.js, ServiceNow: failingRecords{}}, Query{Incident: ourSysID})
	if s := sourceOf(r, SourceNotes); s.Status != SourceUnavailable || !strings.Contains(s.Detail, "connection refused") {
		t.Fatalf("notes source %+v", s)
	}
	if len(r.Events) != 1 || !r.Found {
		t.Fatalf("events %d, found %t", len(r.Events), r.Found)
	}
	r = explainT(t, Deps{JS: f.js, ServiceNowWhy: "ESCALATOR_SERVICENOW_URL is not set"}, Query{Incident: ourSysID})
	if s := sourceOf(r, SourceOutbox); s.Status != SourceNotConfigured || s.Detail != "ESCALATOR_SERVICENOW_URL is not set" {
		t.Fatalf("outbox source %+v", s)
	}
}

func TestUnknownIncident(t *testing.T) {
	f := newFixture(t, true)
	f.noise(t, 5)
	_, sn := simServiceNow(t)
	for _, q := range []string{"INC0999999", "ffffffffffffffffffffffffffffffff"} {
		r := explainT(t, Deps{JS: f.js, ServiceNow: sn}, Query{Incident: q})
		if r.Found || len(r.Events) != 0 {
			t.Fatalf("%s: found %t, %d events", q, r.Found, len(r.Events))
		}
		// With the index, a number nobody knows is not looked for by
		// reading the stream.
		if r.Stats.MessagesRead != 0 {
			t.Fatalf("%s: %d messages read", q, r.Stats.MessagesRead)
		}
	}
	if _, err := Explain(ctxT(t), Deps{JS: f.js}, Query{Incident: "not an incident!"}); !errors.Is(err, ErrBadQuery) {
		t.Fatalf("bad query: %v", err)
	}
}

// --since drops what happened before it.
func TestSince(t *testing.T) {
	f := newFixture(t, true)
	f.publish(t, testEvent("old", event.TypeUpdated, ourSysID, ourNumber))
	f.publish(t, testEvent("new", event.TypeUpdated, ourSysID, ourNumber))
	all := explainT(t, Deps{JS: f.js}, Query{Incident: ourSysID})
	if len(all.Events) != 2 {
		t.Fatalf("events %+v", all.Events)
	}
	since := all.Events[1].Stored
	r := explainT(t, Deps{JS: f.js}, Query{Incident: ourSysID, Since: since})
	if len(r.Events) != 1 || r.Events[0].ID != "new" || !r.Since.Equal(since) {
		t.Fatalf("events since %s: %+v", since, r.Events)
	}
	for _, e := range r.Timeline {
		if e.Time.Before(since) {
			t.Fatalf("timeline entry before --since: %+v", e)
		}
	}
}

func TestLinkedAt(t *testing.T) {
	t0 := time.Date(2026, 12, 1, 12, 0, 0, 0, time.UTC)
	accs := []Account{
		{Written: t0, Operation: "put", Email: "a@x"},
		{Written: t0.Add(time.Hour), Operation: "delete"},
		{Written: t0.Add(2 * time.Hour), Operation: "put", Email: "b@x"},
	}
	for _, tt := range []struct {
		at    time.Time
		whole bool
		want  string
	}{
		{t0.Add(-time.Minute), true, "none"},
		{t0.Add(-time.Minute), false, ""},
		{t0.Add(time.Minute), false, "a@x"},
		{t0.Add(90 * time.Minute), true, "none"},
		{t0.Add(3 * time.Hour), true, "b@x"},
	} {
		if got := linkedAt(accs, tt.whole, tt.at); got != tt.want {
			t.Errorf("linkedAt(%s, whole %t) = %q, want %q", tt.at.Format(time.TimeOnly), tt.whole, got, tt.want)
		}
	}
}
