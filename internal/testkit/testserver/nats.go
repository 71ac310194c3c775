package testserver

import (
	"net/url"
	"strconv"
	"testing"

	"github.com/nats-io/nats-server/v2/server"
	natstest "github.com/nats-io/nats-server/v2/test"
	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"
)

// maxStore is the test servers' JetStream file storage limit. Streams
// reserve their MaxBytes against it when they are created (10 GiB for the
// event stream by default), so it is set high rather than left at 75% of
// the free disk: tests must not fail on a machine with a small disk. Tests
// store kilobytes.
const maxStore = 1 << 40

// NATS runs a JetStream-enabled nats-server on a free port for the life of the
// test, with its store in the test's temporary directory.
func NATS(t testing.TB) *server.Server {
	t.Helper()
	opts := natstest.DefaultTestOptions
	opts.Port = freePort(t)
	opts.JetStream = true
	opts.JetStreamMaxStore = maxStore
	opts.StoreDir = t.TempDir()
	srv := natstest.RunServer(&opts)
	t.Cleanup(srv.Shutdown)
	return srv
}

// RestartNATS shuts srv down and starts a new server on the same port and
// store: a broker restart that keeps its data.
func RestartNATS(t testing.TB, srv *server.Server) *server.Server {
	t.Helper()
	opts := natstest.DefaultTestOptions
	u, err := url.Parse(srv.ClientURL())
	if err != nil {
		t.Fatalf("client url: %v", err)
	}
	opts.Port, _ = strconv.Atoi(u.Port())
	opts.JetStream = true
	opts.JetStreamMaxStore = maxStore
	// The store dir the server reports ends in "jetstream", which the server
	// appends again: hand it the parent.
	opts.StoreDir = trimJetStreamDir(srv.StoreDir())
	srv.Shutdown()
	srv.WaitForShutdown()
	next := natstest.RunServer(&opts)
	t.Cleanup(next.Shutdown)
	return next
}

// Connect opens a client connection to srv and returns it with its JetStream
// context; both are closed when the test ends.
func Connect(t testing.TB, srv *server.Server, opts ...nats.Option) (*nats.Conn, jetstream.JetStream) {
	t.Helper()
	nc, err := nats.Connect(srv.ClientURL(), opts...)
	if err != nil {
		t.Fatalf("connect to nats: %v", err)
	}
	t.Cleanup(nc.Close)
	js, err := jetstream.New(nc)
	if err != nil {
		t.Fatalf("jetstream: %v", err)
	}
	return nc, js
}
