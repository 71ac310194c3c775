package eventindex

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"testing"
	"time"

	"github.com/nats-io/nats.go/jetstream"

	"github.com/escalator/escalator/internal/event"
	"github.com/escalator/escalator/internal/streams"
	"github.com/escalator/escalator/internal/testkit/streamtest"
	"github.com/escalator/escalator/internal/testkit/testserver"
)

const (
	sysA = "9d385017c611228701d22104cc95c371"
	sysB = "0123456789abcdef0123456789abcdef"
)

func ctxT(t testing.TB) context.Context {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	t.Cleanup(cancel)
	return ctx
}

func testEvent(id, sysID, number string) *event.Event {
	return &event.Event{
		SpecVersion: event.SpecVersion, ID: id, Source: "https://contoso.service-now.com",
		Type: event.TypeEscalation, Time: time.Date(2026, 12, 1, 12, 0, 0, 0, time.UTC),
		Data: event.Data{
			Incident:    event.Incident{SysID: sysID, Number: number},
			RequestedBy: event.RequestedBy{UserName: "beth.anglin"},
		},
	}
}

// setup provisions the streams and the index and returns an indexing
// publisher.
func setup(t testing.TB) (jetstream.JetStream, *Index, *Publisher) {
	t.Helper()
	_, js := testserver.Connect(t, testserver.NATS(t))
	ctx := ctxT(t)
	streamtest.Ensure(t, js, streams.Config{})
	ix, err := Ensure(ctx, js, Config{})
	if err != nil {
		t.Fatal(err)
	}
	return js, ix, NewPublisher(streams.NewPublisher(js, nil), ix, nil)
}

func TestPublisherIndexesIncidentEvents(t *testing.T) {
	js, ix, pub := setup(t)
	ctx := ctxT(t)
	var wantA []uint64
	for i := range 6 {
		sys, num := sysA, "INC0010023"
		if i%2 == 1 {
			sys, num = sysB, "INC0010099"
		}
		ack, err := pub.Publish(ctx, testEvent(fmt.Sprintf("e%d", i), sys, num))
		if err != nil {
			t.Fatal(err)
		}
		if sys == sysA {
			wantA = append(wantA, ack.Sequence)
		}
	}
	// A tick names no incident: stored, not indexed.
	tick := &event.Event{SpecVersion: event.SpecVersion, ID: "tick-1", Source: "urn:escalator:ticker",
		Type: event.TypeTickCases, Time: time.Now(), Data: event.Data{Tick: &event.Tick{Name: "cases"}}}
	if _, err := pub.Publish(ctx, tick); err != nil {
		t.Fatal(err)
	}
	got, err := ix.Seqs(ctx, sysA)
	if err != nil {
		t.Fatal(err)
	}
	if !slices.Equal(got, wantA) {
		t.Fatalf("seqs of A %v, want %v", got, wantA)
	}
	sys, err := ix.SysID(ctx, "inc0010099")
	if err != nil || sys != sysB {
		t.Fatalf("number lookup: %q, %v", sys, err)
	}
	if _, err := ix.SysID(ctx, "INC0000001"); !errors.Is(err, ErrUnknownNumber) {
		t.Fatalf("unknown number: %v", err)
	}
	if got, err := ix.Seqs(ctx, "ffffffffffffffffffffffffffffffff"); err != nil || len(got) != 0 {
		t.Fatalf("incident without events: %v, %v", got, err)
	}
	kv, _ := js.KeyValue(ctx, Bucket)
	st, _ := kv.Status(ctx)
	// 6 event keys and 2 number keys: History 1, so the numbers' repeated
	// puts replace each other.
	if st.Values() != 8 {
		t.Fatalf("bucket holds %d values, want 8", st.Values())
	}
}

// An index that cannot be written does not fail the publish: the event is
// stored and handled; only explain misses it. The retried publish, which
// JetStream answers as a duplicate, writes the entry once the index is
// back: a lost entry is repaired.
func TestIndexFailureKeepsThePublishAndDuplicateRepairs(t *testing.T) {
	js, ix, pub := setup(t)
	ctx := ctxT(t)
	if err := js.DeleteKeyValue(ctx, Bucket); err != nil {
		t.Fatal(err)
	}
	ev := testEvent("lost-index", sysA, "INC0010023")
	ack, err := pub.Publish(ctx, ev)
	if err != nil || ack.Sequence == 0 {
		t.Fatalf("publish with the index gone: %+v, %v", ack, err)
	}
	if _, err := Open(ctx, js); !errors.Is(err, ErrNoIndex) {
		t.Fatalf("open without the bucket: %v", err)
	}
	if _, err := Ensure(ctx, js, Config{}); err != nil {
		t.Fatal(err)
	}
	if got, _ := ix.Seqs(ctx, sysA); len(got) != 0 {
		t.Fatalf("entries in the new bucket: %v", got)
	}
	again, err := pub.Publish(ctx, ev)
	if err != nil || !again.Duplicate || again.Sequence != ack.Sequence {
		t.Fatalf("second publish: %+v, %v", again, err)
	}
	if got, _ := ix.Seqs(ctx, sysA); !slices.Equal(got, []uint64{ack.Sequence}) {
		t.Fatalf("after the duplicate: %v, want [%d]", got, ack.Sequence)
	}
}

func TestKeys(t *testing.T) {
	if got := EventKey(sysA, 42); got != "incident."+sysA+".42" {
		t.Fatalf("event key %q", got)
	}
	for _, tt := range []struct {
		in, want string
		ok       bool
	}{
		{"INC0010023", "number.INC0010023", true},
		{" inc0010023 ", "number.INC0010023", true},
		{"INC.1", "", false},
		{"INC 1", "", false},
		{"", "", false},
	} {
		got, ok := NumberKey(tt.in)
		if got != tt.want || ok != tt.ok {
			t.Errorf("NumberKey(%q) = %q, %t; want %q, %t", tt.in, got, ok, tt.want, tt.ok)
		}
	}
	if err := (&Index{}).RecordEvent(context.Background(), "not-a-sys-id", 1); err == nil {
		t.Fatal("a malformed sys_id was accepted")
	}
}

// The number is written with the incident's first event, then again only
// once numberRefresh has passed, so that an active incident's number
// outlives the bucket's TTL at one write an hour, not one per event.
func TestNumberWrittenOnceAnHour(t *testing.T) {
	js, _, pub := setup(t)
	ctx := ctxT(t)
	now := time.Date(2026, 12, 1, 12, 0, 0, 0, time.UTC)
	pub.now = func() time.Time { return now }
	kv, _ := js.KeyValue(ctx, Bucket)
	key, _ := NumberKey("INC0010023")
	revision := func() uint64 {
		t.Helper()
		e, err := kv.Get(ctx, key)
		if err != nil {
			t.Fatal(err)
		}
		return e.Revision()
	}
	publish := func(id string) {
		t.Helper()
		if _, err := pub.Publish(ctx, testEvent(id, sysA, "INC0010023")); err != nil {
			t.Fatal(err)
		}
	}
	publish("n1")
	first := revision()
	publish("n2")
	publish("n3")
	if got := revision(); got != first {
		t.Fatalf("number rewritten within the hour: revision %d, then %d", first, got)
	}
	now = now.Add(numberRefresh)
	publish("n4")
	if got := revision(); got == first {
		t.Fatal("number not rewritten after an hour")
	}
}
