package testserver

import (
	"fmt"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/nats-io/nats-server/v2/server"
	natstest "github.com/nats-io/nats-server/v2/test"
	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"
)

// Cluster is a JetStream cluster of in-process nats-servers routed to each
// other on loopback, each with its own free client and route ports and its
// store in the test's temporary directory. Stop and Restart take one node
// down and back with its data, as a node loss or a rolling restart would.
type Cluster struct {
	t       testing.TB
	opts    []server.Options // as first started; a restart uses a copy
	servers []*server.Server // nil while stopped
}

// NATSCluster starts an n-node cluster and waits until JetStream has a
// meta leader that every node follows. Every node is shut down when the
// test ends.
func NATSCluster(t testing.TB, n int) *Cluster {
	t.Helper()
	if n < 1 {
		t.Fatalf("cluster of %d nodes", n)
	}
	c := &Cluster{t: t, opts: make([]server.Options, n), servers: make([]*server.Server, n)}
	routePorts := make([]int, n)
	for i := range routePorts {
		routePorts[i] = freePort(t)
	}
	for i := range c.opts {
		o := natstest.DefaultTestOptions
		o.ServerName = fmt.Sprintf("n%d", i+1)
		o.Port = freePort(t)
		o.JetStream = true
		o.JetStreamMaxStore = maxStore
		o.StoreDir = t.TempDir()
		o.Cluster.Name = "escalator-test"
		o.Cluster.Host = "127.0.0.1"
		o.Cluster.Port = routePorts[i]
		for j, p := range routePorts {
			if j != i {
				o.Routes = append(o.Routes, &url.URL{Scheme: "nats", Host: fmt.Sprintf("127.0.0.1:%d", p)})
			}
		}
		c.opts[i] = o
	}
	for i := range c.servers {
		c.start(i)
	}
	t.Cleanup(func() {
		for _, s := range c.servers {
			if s != nil {
				s.Shutdown()
			}
		}
	})
	c.WaitReady()
	return c
}

func (c *Cluster) start(i int) {
	o := c.opts[i]
	o.Routes = append([]*url.URL(nil), o.Routes...)
	c.servers[i] = natstest.RunServer(&o)
}

// Connect connects to every node, reconnecting for ever (a stopped node's
// clients move to the others), and closes the connection when the test
// ends.
func (c *Cluster) Connect() (*nats.Conn, jetstream.JetStream) {
	c.t.Helper()
	nc, err := nats.Connect(c.URL(), nats.MaxReconnects(-1), nats.ReconnectWait(20*time.Millisecond))
	if err != nil {
		c.t.Fatalf("connect to the cluster: %v", err)
	}
	c.t.Cleanup(nc.Close)
	js, err := jetstream.New(nc)
	if err != nil {
		c.t.Fatalf("jetstream: %v", err)
	}
	return nc, js
}

// URL is every node's client URL, comma-separated: what
// ESCALATOR_NATS_URL holds for a cluster.
func (c *Cluster) URL() string {
	urls := make([]string, len(c.opts))
	for i := range c.opts {
		urls[i] = c.ClientURL(i)
	}
	return strings.Join(urls, ",")
}

// Size is the number of nodes, running or not.
func (c *Cluster) Size() int { return len(c.opts) }

// Server is node i, nil while it is stopped.
func (c *Cluster) Server(i int) *server.Server { return c.servers[i] }

// Stop shuts node i down and waits until it is gone.
func (c *Cluster) Stop(i int) {
	c.t.Helper()
	s := c.servers[i]
	if s == nil {
		c.t.Fatalf("node %d is already stopped", i)
	}
	s.Shutdown()
	s.WaitForShutdown()
	c.servers[i] = nil
}

// Restart starts node i again on its ports and store, after Stop.
func (c *Cluster) Restart(i int) {
	c.t.Helper()
	if c.servers[i] != nil {
		c.t.Fatalf("node %d is running", i)
	}
	c.start(i)
}

// StreamLeader is the index of the node leading stream (global account),
// or -1 while it has none.
func (c *Cluster) StreamLeader(stream string) int {
	for i, s := range c.servers {
		if s != nil && s.JetStreamIsStreamLeader(server.DEFAULT_GLOBAL_ACCOUNT, stream) {
			return i
		}
	}
	return -1
}

// ConsumerLeader is the index of the node leading consumer of stream
// (global account), or -1 while it has none.
func (c *Cluster) ConsumerLeader(stream, consumer string) int {
	for i, s := range c.servers {
		if s != nil && s.JetStreamIsConsumerLeader(server.DEFAULT_GLOBAL_ACCOUNT, stream, consumer) {
			return i
		}
	}
	return -1
}

// StreamMsgs is the number of messages node i's own replica of stream
// holds (global account), read from the node's JSZ; false when the node is
// stopped or holds no replica.
func (c *Cluster) StreamMsgs(i int, stream string) (uint64, bool) {
	s := c.servers[i]
	if s == nil {
		return 0, false
	}
	jsz, err := s.Jsz(&server.JSzOptions{Account: server.DEFAULT_GLOBAL_ACCOUNT, Streams: true})
	if err != nil {
		return 0, false
	}
	for _, a := range jsz.AccountDetails {
		for _, sd := range a.Streams {
			if sd.Name == stream {
				return sd.State.Msgs, true
			}
		}
	}
	return 0, false
}

// ClientURL is node i's client URL alone.
func (c *Cluster) ClientURL(i int) string { return fmt.Sprintf("nats://127.0.0.1:%d", c.opts[i].Port) }

// StreamCurrent reports whether every running node that holds a replica of
// stream has caught up with its leader.
func (c *Cluster) StreamCurrent(stream string) bool {
	if c.StreamLeader(stream) < 0 {
		return false
	}
	for _, s := range c.servers {
		if s != nil && s.JetStreamIsStreamAssigned(server.DEFAULT_GLOBAL_ACCOUNT, stream) &&
			!s.JetStreamIsStreamCurrent(server.DEFAULT_GLOBAL_ACCOUNT, stream) {
			return false
		}
	}
	return true
}

// WaitReady waits until a meta leader exists, every running node is
// current with it, and the leader has every running node's statistics: it
// places a stream only on peers it has heard from, so before that an R3
// stream fails with "no suitable peers for placement".
func (c *Cluster) WaitReady() {
	c.t.Helper()
	c.waitFor("a JetStream meta leader followed and heard from by every node", func() bool {
		running, peers := 0, -1
		for _, s := range c.servers {
			if s == nil {
				continue
			}
			running++
			if !s.JetStreamIsCurrent() {
				return false
			}
			if s.JetStreamIsLeader() {
				peers = len(s.JetStreamClusterPeers())
			}
		}
		return peers == running
	})
}

// WaitStreamCurrent waits until stream has a leader and every replica on
// a running node has caught up.
func (c *Cluster) WaitStreamCurrent(stream string) {
	c.t.Helper()
	c.waitFor("stream "+stream+" current on every node", func() bool { return c.StreamCurrent(stream) })
}

func (c *Cluster) waitFor(what string, cond func() bool) {
	c.t.Helper()
	deadline := time.Now().Add(20 * time.Second)
	for !cond() {
		if time.Now().After(deadline) {
			c.t.Fatalf("cluster: timed out waiting for %s", what)
		}
		time.Sleep(20 * time.Millisecond)
	}
}
