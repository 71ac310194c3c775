package streams

import (
	"errors"
	"fmt"
	"strings"
	"testing"

	"github.com/nats-io/nats.go/jetstream"

	"github.com/escalator/escalator/internal/testkit/eventtest"
	"github.com/escalator/escalator/internal/testkit/testserver"
)

// A full event stream refuses new events and keeps the old ones: an event
// not handled yet is never dropped to make room.
func TestFullStreamRefusesNewKeepsOld(t *testing.T) {
	_, js := testserver.Connect(t, testserver.NATS(t))
	ctx := ctxT(t)
	res, err := Ensure(ctx, js, Config{MaxBytes: 4 << 10})
	if err != nil {
		t.Fatal(err)
	}
	p := NewPublisher(js, nil)
	var refused error
	stored := 0
	for i := range 100 {
		if _, err := p.Publish(ctx, eventtest.Insights(fmt.Sprintf("full-%03d", i))); err != nil {
			refused = err
			break
		}
		stored++
	}
	if refused == nil {
		t.Fatal("100 events fit in a 4 KiB stream")
	}
	// The server's refusal (JSStreamStoreFailed, which ingest answers
	// with 503 "stream-full") comes through, wrapped as ErrUnavailable.
	var apiErr *jetstream.APIError
	if !errors.Is(refused, ErrUnavailable) || !errors.As(refused, &apiErr) || apiErr.ErrorCode != 10077 {
		t.Fatalf("refusal %v: want ErrUnavailable around the server's JSStreamStoreFailed (10077)", refused)
	}
	info, err := res.Stream.Info(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if info.State.FirstSeq != 1 || info.State.Msgs != uint64(stored) {
		t.Fatalf("stream first seq %d, %d messages; want 1 and %d (nothing discarded)", info.State.FirstSeq, info.State.Msgs, stored)
	}
	// A duplicate of a stored event is still acknowledged: a retried post
	// of an accepted event is not refused.
	ack, err := p.Publish(ctx, eventtest.Insights("full-000"))
	if err != nil || !ack.Duplicate {
		t.Fatalf("duplicate on a full stream: %+v %v", ack, err)
	}
}

func TestConsumerMaxDeliverAboveWorkerLimit(t *testing.T) {
	_, js := testserver.Connect(t, testserver.NATS(t))
	for _, workerMax := range []int{1, DefaultMaxDeliver, 10} {
		t.Run(fmt.Sprint(workerMax), func(t *testing.T) {
			res, err := Ensure(ctxT(t), js, Config{MaxDeliver: workerMax})
			if err != nil {
				t.Fatal(err)
			}
			ci, err := res.Consumer.Info(ctxT(t))
			if err != nil {
				t.Fatal(err)
			}
			if got := ci.Config.MaxDeliver; got <= workerMax || got != ConsumerMaxDeliver(workerMax) {
				t.Fatalf("consumer MaxDeliver %d for a worker limit of %d: want finite and above it", got, workerMax)
			}
		})
	}
}

func TestReplicasOnStandaloneServer(t *testing.T) {
	_, js := testserver.Connect(t, testserver.NATS(t))
	ctx := ctxT(t)
	if n, err := ResolveReplicas(ctx, js, 0); err != nil || n != 1 {
		t.Fatalf("automatic replicas on one server: %d %v, want 1", n, err)
	}
	if n, err := ResolveReplicas(ctx, js, 2); err != nil || n != 2 {
		t.Fatalf("configured replicas: %d %v, want 2 as given", n, err)
	}
	if n := ClusterSize(js.Conn()); n != 1 {
		t.Fatalf("cluster size of a standalone server %d", n)
	}
	_, err := Ensure(ctx, js, Config{Replicas: 3})
	if err == nil || !strings.Contains(err.Error(), "ESCALATOR_REPLICAS=1") {
		t.Fatalf("R3 on a standalone server: %v, want the hint to set ESCALATOR_REPLICAS=1", err)
	}
	res, err := Ensure(ctx, js, Config{})
	if err != nil {
		t.Fatal(err)
	}
	if r := res.Stream.CachedInfo().Config.Replicas; r != 1 {
		t.Fatalf("stream replicas %d", r)
	}
}

func TestOpenBucket(t *testing.T) {
	_, js := testserver.Connect(t, testserver.NATS(t))
	ctx := ctxT(t)
	kv, err := OpenBucket(ctx, js, BucketAccounts, Config{})
	if err != nil {
		t.Fatalf("create: %v", err)
	}
	if _, err := kv.PutString(ctx, "k", "v"); err != nil {
		t.Fatal(err)
	}
	st, err := kv.Status(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if st.History() != DefaultKVHistory {
		t.Fatalf("history %d: not the settings Ensure gives", st.History())
	}
	// Ensure afterwards takes the bucket over with its data.
	res, err := Ensure(ctx, js, Config{})
	if err != nil {
		t.Fatal(err)
	}
	if e, err := res.Accounts.Get(ctx, "k"); err != nil || string(e.Value()) != "v" {
		t.Fatalf("value after Ensure: %v", err)
	}
	if kv, err = OpenBucket(ctx, js, BucketAccounts, Config{}); err != nil {
		t.Fatalf("open existing: %v", err)
	}
	if _, err := OpenBucket(ctx, js, "escalator_other", Config{}); err == nil {
		t.Fatal("opened a bucket that is not Escalator's")
	}
}

func TestStreamNamesCoverEveryBucket(t *testing.T) {
	_, js := testserver.Connect(t, testserver.NATS(t))
	ctx := ctxT(t)
	if _, err := Ensure(ctx, js, Config{}); err != nil {
		t.Fatal(err)
	}
	want := map[string]bool{}
	for _, n := range StreamNames() {
		want[n] = true
	}
	got := 0
	for name := range js.StreamNames(ctx).Name() {
		if !want[name] {
			t.Errorf("Ensure made stream %s that StreamNames does not list", name)
		}
		got++
	}
	if got != len(want) {
		t.Fatalf("Ensure made %d streams, StreamNames lists %d", got, len(want))
	}
}
