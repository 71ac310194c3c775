package streams

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"

	"github.com/escalator/escalator/internal/testkit/eventtest"
	"github.com/escalator/escalator/internal/testkit/testserver"
)

func connectCluster(t *testing.T, url string) (*nats.Conn, jetstream.JetStream) {
	t.Helper()
	nc, err := nats.Connect(url)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(nc.Close)
	js, err := jetstream.New(nc)
	if err != nil {
		t.Fatal(err)
	}
	return nc, js
}

func clusterCtx(t *testing.T) context.Context { return ctxWithin(t, 30*time.Second) }

// In a cluster of three, automatic replicas are 3 for both streams, the
// consumer and every bucket; existing R1 resources are scaled up at start.
func TestEnsureOnClusterScalesEverythingToThree(t *testing.T) {
	c := testserver.NATSCluster(t, 3)
	ctx := clusterCtx(t)

	// One URL is enough to see the cluster: the others are advertised.
	first := strings.Split(c.URL(), ",")[0]
	nc, js := connectCluster(t, first)
	if n := ClusterSize(nc); n != 3 {
		t.Fatalf("cluster size seen through one URL: %d, want 3", n)
	}

	// An earlier version's R1 layout, with data.
	res, err := Ensure(ctx, js, Config{Replicas: 1})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := NewPublisher(js, nil).Publish(ctx, eventtest.Insights("before-scale")); err != nil {
		t.Fatal(err)
	}
	if _, err := res.Cases.PutString(ctx, "k", "v"); err != nil {
		t.Fatal(err)
	}
	// Earlier versions gave the consumer an explicit replica count.
	old := ConsumerConfig(Config{Replicas: 1}.WithDefaults())
	old.Replicas = 1
	if _, err := js.CreateOrUpdateConsumer(ctx, StreamName, old); err != nil {
		t.Fatal(err)
	}

	if n, err := ResolveReplicas(ctx, js, 0); err != nil || n != 3 {
		t.Fatalf("automatic replicas %d %v, want 3", n, err)
	}
	res, err = Ensure(ctx, js, Config{})
	if err != nil {
		t.Fatalf("ensure R3: %v", err)
	}
	for _, name := range StreamNames() {
		s, err := js.Stream(ctx, name)
		if err != nil {
			t.Fatal(err)
		}
		if r := s.CachedInfo().Config.Replicas; r != 3 {
			t.Errorf("stream %s has %d replicas, want 3", name, r)
		}
	}
	for _, name := range StreamNames() {
		c.WaitStreamCurrent(name)
	}
	// The consumer follows its stream to three replicas.
	deadline := time.Now().Add(20 * time.Second)
	for {
		ci, err := res.Consumer.Info(ctx)
		if err == nil && ci.Cluster != nil && ci.Cluster.Leader != "" && len(ci.Cluster.Replicas) == 2 {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("consumer did not reach 3 replicas: %+v %v", ci, err)
		}
		time.Sleep(20 * time.Millisecond)
	}
	info, err := res.Stream.Info(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if info.State.Msgs != 1 || len(info.Cluster.Replicas) != 2 {
		t.Fatalf("after scaling: %d messages, %d followers; want 1 and 2", info.State.Msgs, len(info.Cluster.Replicas))
	}
	if e, err := res.Cases.Get(ctx, "k"); err != nil || string(e.Value()) != "v" {
		t.Fatalf("bucket value after scaling: %v", err)
	}

	// Automatic replicas never scale down what is there, and an explicit
	// value is applied as given.
	if n, err := ResolveReplicas(ctx, js, 0); err != nil || n != 3 {
		t.Fatalf("automatic replicas with R3 streams: %d %v", n, err)
	}
	res, err = Ensure(ctx, js, Config{Replicas: 1})
	if err != nil {
		t.Fatal(err)
	}
	if r := res.Stream.CachedInfo().Config.Replicas; r != 1 {
		t.Fatalf("explicit replicas 1 gave %d", r)
	}
}

// A 2-node cluster gets R1 automatically; asking for 3 fails naming the
// variable to change.
func TestEnsureOnSmallCluster(t *testing.T) {
	c := testserver.NATSCluster(t, 2)
	ctx := clusterCtx(t)
	_, js := connectCluster(t, c.URL())
	if n, err := ResolveReplicas(ctx, js, 0); err != nil || n != 1 {
		t.Fatalf("automatic replicas on 2 nodes: %d %v, want 1", n, err)
	}
	if _, err := Ensure(ctx, js, Config{Replicas: 3}); err == nil || !strings.Contains(err.Error(), "ESCALATOR_REPLICAS") {
		t.Fatalf("R3 on 2 nodes: %v, want an error naming ESCALATOR_REPLICAS", err)
	}
}
