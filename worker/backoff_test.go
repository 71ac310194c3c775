package worker

import (
	"context"
	"testing"
	"time"

	"github.com/nats-io/nats.go/jetstream"

	"github.com/escalator/escalator/internal/event"
	"github.com/escalator/escalator/internal/streams"
)

// A handler whose JetStream bucket has no leader for a while (the quorum
// just came back and the bucket's election is still running, as after a
// cluster lost two of three nodes) fails with "no response from stream".
// Those failures wait for an election between deliveries, so the
// dead-letter budget outlasts it, however short BackoffInitial is: the
// event is handled, not dead-lettered.
func TestLeaderlessBucketOutlastedNotDeadLettered(t *testing.T) {
	e := newEnv(t, streams.Config{AckWait: 5 * time.Second})
	ctx := context.Background()
	bucket := jetstream.KeyValueConfig{Bucket: "claims"}
	kv, err := e.js.CreateKeyValue(ctx, bucket)
	if err != nil {
		t.Fatal(err)
	}
	// The bucket's stream answers nothing, as one without a leader; it is
	// back 3 s after the first failure. Each failed Create takes about half
	// a second (nats.go retries a publish nobody answered), so BackoffInitial
	// alone would spend the three deliveries in less.
	if err := e.js.DeleteKeyValue(ctx, bucket.Bucket); err != nil {
		t.Fatal(err)
	}
	back := make(chan error, 1)
	rec := &recorder{fn: func(ctx context.Context, m *Message, n int) error {
		_, err := kv.Create(ctx, m.Event.ID, []byte("done"))
		if err != nil && n == 1 {
			time.AfterFunc(3*time.Second, func() {
				_, err := e.js.CreateKeyValue(context.Background(), bucket)
				back <- err
			})
		}
		return err
	}}
	cfg := Config{MaxDeliver: 3, BackoffInitial: 10 * time.Millisecond, BackoffMax: time.Second}
	e.start(t, map[string]Handler{event.SubjectInsights: rec}, cfg)
	e.publish(t, "after-quorum")

	eventually(t, 4*leaderElection, "event handled or dead-lettered", func() bool {
		return e.dlqCount(t) > 0 || e.settledAll(t) && rec.count() > 1
	})
	if n := e.dlqCount(t); n != 0 {
		t.Fatalf("%d dead letters after %d deliveries: the retries were spent before the bucket was back", n, rec.count())
	}
	if err := <-back; err != nil {
		t.Fatalf("recreate the bucket: %v", err)
	}
	if _, err := kv.Get(ctx, "after-quorum"); err != nil {
		t.Fatalf("effect not stored: %v", err)
	}
	calls := rec.snapshot()
	if gap := calls[1].at.Sub(calls[0].at); gap < leaderElection {
		t.Errorf("redelivered %s after a leaderless failure, want at least %s", gap, leaderElection)
	}
}
