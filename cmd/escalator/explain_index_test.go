package main

import (
	"context"
	"io"
	"log/slog"
	"testing"
	"time"

	"github.com/escalator/escalator/internal/event"
	"github.com/escalator/escalator/internal/eventindex"
	"github.com/escalator/escalator/internal/streams"
	"github.com/escalator/escalator/internal/testkit/testserver"
)

// The publishers the commands are to use: serve's provisions the index like
// the event stream and indexes; a one-shot command's indexes only where the
// index exists, and creates nothing.
func TestIndexedPublishers(t *testing.T) {
	_, js := testserver.Connect(t, testserver.NATS(t))
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	res, err := streams.Ensure(ctx, js, streams.Config{MaxAge: 48 * time.Hour})
	if err != nil {
		t.Fatal(err)
	}
	quiet := slog.New(slog.NewTextHandler(io.Discard, nil))
	plain := streams.NewPublisher(js, nil)
	if got := oneShotPublisher(ctx, js, plain, quiet); got != eventindex.Inner(plain) {
		t.Fatal("a one-shot publisher indexes without an index bucket")
	}
	if _, err := eventindex.Open(ctx, js); err == nil {
		t.Fatal("the one-shot publisher created the bucket")
	}
	pub, err := indexedPublisher(ctx, js, res.Stream, plain, quiet)
	if err != nil {
		t.Fatal(err)
	}
	kv, err := js.KeyValue(ctx, eventindex.Bucket)
	if err != nil {
		t.Fatal(err)
	}
	st, _ := kv.Status(ctx)
	if st.TTL() != 48*time.Hour {
		t.Fatalf("index TTL %s, want the stream's max age 48h", st.TTL())
	}
	ix, _ := eventindex.Open(ctx, js)
	for i, p := range []eventindex.Inner{pub, oneShotPublisher(ctx, js, plain, quiet)} {
		ev := example(t, "insights-requested.json", func(ev *event.Event) { ev.ID += string(rune('a' + i)) })
		ack, err := p.Publish(ctx, &ev)
		if err != nil {
			t.Fatal(err)
		}
		seqs, err := ix.Seqs(ctx, ev.Data.Incident.SysID)
		if err != nil || len(seqs) != i+1 || seqs[i] != ack.Sequence {
			t.Fatalf("publisher %d: index %v (%v), want seq %d", i, seqs, err, ack.Sequence)
		}
	}
}
