package testserver

import (
	"context"
	"testing"
	"time"

	"github.com/nats-io/nats.go/jetstream"
)

func TestNATSClusterLosesAndRegainsANode(t *testing.T) {
	c := NATSCluster(t, 3)
	_, js := c.Connect()
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	s, err := js.CreateStream(ctx, jetstream.StreamConfig{Name: "R3", Subjects: []string{"r3.>"}, Replicas: 3})
	if err != nil {
		t.Fatal(err)
	}
	if got := len(s.CachedInfo().Cluster.Replicas); got != 2 {
		t.Fatalf("%d followers, want 2", got)
	}
	if _, err := js.Publish(ctx, "r3.a", []byte("1")); err != nil {
		t.Fatal(err)
	}
	c.WaitStreamCurrent("R3")
	leader := c.StreamLeader("R3")
	c.Stop(leader)
	if c.Server(leader) != nil {
		t.Fatal("stopped node still listed")
	}
	c.waitFor("a new leader", func() bool { return c.StreamLeader("R3") >= 0 })
	if _, err := js.Publish(ctx, "r3.b", []byte("2")); err != nil {
		t.Fatalf("publish with one node down: %v", err)
	}
	c.Restart(leader)
	c.WaitReady()
	c.WaitStreamCurrent("R3")
	info, err := s.Info(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if info.State.Msgs != 2 {
		t.Fatalf("%d messages, want 2", info.State.Msgs)
	}
	c.waitFor("the restarted node's replica caught up", func() bool {
		n, ok := c.StreamMsgs(leader, "R3")
		return ok && n == 2
	})
}
