package insights_test

import (
	"context"
	"log/slog"
	"testing"

	"github.com/escalator/escalator/insights"
	"github.com/escalator/escalator/internal/kvsnapshot"
)

// snapshotHandler is the handler over a snapshot of the digest bucket
// taken now, as the replay dry run builds it.
func (e *handlerEnv) snapshotHandler(t *testing.T) *insights.Handler {
	t.Helper()
	digests, err := kvsnapshot.Load(context.Background(), e.digests)
	if err != nil {
		t.Fatal(err)
	}
	catalog, err := insights.LoadCatalog()
	if err != nil {
		t.Fatal(err)
	}
	h, err := insights.NewHandler(insights.HandlerConfig{
		Catalog: catalog, Health: e.snapshot, Notes: e.notes, Digests: digests,
		MaxAge: testMaxAge, Clock: e.clock.Now, Logger: slog.New(slog.DiscardHandler),
	})
	if err != nil {
		t.Fatal(err)
	}
	return h
}

// TestPlanFromSnapshot: before and after a note, a handler over a snapshot
// of the digests plans what the handler over the bucket plans.
func TestPlanFromSnapshot(t *testing.T) {
	e := newHandlerEnv(t)
	ev := exampleEvent(t)
	for _, step := range []string{"no note yet", "note posted"} {
		if step == "note posted" {
			if err := e.handle(t, ev); err != nil {
				t.Fatal(err)
			}
		}
		want := planOf(t, e, ev)
		got, err := e.snapshotHandler(t).Plan(context.Background(), ev)
		if err != nil {
			t.Fatalf("%s: %v", step, err)
		}
		if got.Post != want.Post || got.Digest != want.Digest || got.Stored != want.Stored ||
			got.StoredRevision != want.StoredRevision || got.Key != want.Key || got.Text != want.Text {
			t.Errorf("%s: snapshot plan = %+v\nbucket plan = %+v", step, got, want)
		}
	}
}
