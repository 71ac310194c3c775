package main

import (
	"context"
	"errors"
	"fmt"
	"os"
	"time"

	"github.com/nats-io/nats-server/v2/server"
	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"

	"github.com/escalator/escalator/internal/streams"
)

// env is the NATS side of a run: the server (embedded or not), the
// JetStream layout and the connections opened for it.
type env struct {
	url     string
	srv     *server.Server // nil for an external server
	dir     string         // the embedded server's temporary store
	created bool           // this run created the stream on an external server
	admin   jetstream.JetStream
	scfg    streams.Config
	conns   []*nats.Conn
}

// openEnv starts the embedded server (or connects to cfg.NATSURL) and
// provisions the streams with streams.Ensure, as a worker does at start.
func openEnv(ctx context.Context, cfg Config) (_ *env, err error) {
	e := &env{url: cfg.NATSURL, scfg: streams.Config{
		Concurrency:   cfg.WorkerConcurrency,
		MaxAckPending: cfg.MaxAckPending,
	}}
	defer func() {
		if err != nil {
			e.close(context.WithoutCancel(ctx))
		}
	}()
	if e.url == "" {
		if err := e.startEmbedded(); err != nil {
			return e, err
		}
	}
	_, js, err := e.connect("escalator-load admin")
	if err != nil {
		return e, err
	}
	e.admin = js
	if e.srv == nil {
		if err := e.checkExternal(ctx, cfg.DeleteExisting); err != nil {
			return e, err
		}
	}
	if _, err := streams.Ensure(ctx, js, e.scfg); err != nil {
		return e, fmt.Errorf("provision streams: %w", err)
	}
	return e, nil
}

func (e *env) startEmbedded() error {
	dir, err := os.MkdirTemp("", "escalator-load-")
	if err != nil {
		return fmt.Errorf("embedded nats store: %w", err)
	}
	e.dir = dir
	srv, err := server.NewServer(&server.Options{
		ServerName: "escalator-load", Host: "127.0.0.1", Port: server.RANDOM_PORT,
		JetStream: true, StoreDir: dir, NoSigs: true, NoLog: true,
		// The streams' size limits (10 GiB by default) are reserved against
		// the store limit, which defaults to 75% of the free disk: a
		// throwaway server takes a large one so the tool runs on a small disk.
		JetStreamMaxStore: 1 << 40,
	})
	if err != nil {
		return fmt.Errorf("embedded nats: %w", err)
	}
	srv.Start()
	if !srv.ReadyForConnections(10 * time.Second) {
		srv.Shutdown()
		return errors.New("embedded nats did not start within 10s")
	}
	e.srv, e.url = srv, srv.ClientURL()
	return nil
}

// checkExternal refuses a server whose event stream holds data: the load
// events would reach real workers, and real events this tool's consumers.
func (e *env) checkExternal(ctx context.Context, deleteExisting bool) error {
	for _, name := range []string{streams.StreamName, streams.DLQStreamName} {
		s, err := e.admin.Stream(ctx, name)
		if errors.Is(err, jetstream.ErrStreamNotFound) {
			if name == streams.StreamName {
				e.created = true
			}
			continue
		}
		if err != nil {
			return fmt.Errorf("look up stream %s on %s: %w", name, e.url, err)
		}
		if !deleteExisting {
			return fmt.Errorf("stream %s already exists on %s (%d messages): point --nats-url at a scratch server, or pass --delete-existing to delete it first",
				name, e.url, s.CachedInfo().State.Msgs)
		}
		if err := e.admin.DeleteStream(ctx, name); err != nil {
			return fmt.Errorf("delete stream %s: %w", name, err)
		}
		if name == streams.StreamName {
			e.created = true
		}
	}
	return nil
}

// connect opens a connection that close will drain; each simulated process
// (ingest, every worker, every raw loop) has its own, as it would in a
// deployment.
func (e *env) connect(name string) (*nats.Conn, jetstream.JetStream, error) {
	nc, err := nats.Connect(e.url, nats.Name(name), nats.MaxReconnects(-1))
	if err != nil {
		return nil, nil, fmt.Errorf("connect to nats %s: %w", e.url, err)
	}
	js, err := jetstream.New(nc)
	if err != nil {
		nc.Close()
		return nil, nil, fmt.Errorf("jetstream: %w", err)
	}
	e.conns = append(e.conns, nc)
	return nc, js, nil
}

// consumer creates (or resets) a durable consumer named name with the
// production consumer configuration, reading the stream from its start.
func (e *env) consumer(ctx context.Context, name string) (jetstream.Consumer, error) {
	cc := streams.ConsumerConfig(e.scfg.WithDefaults())
	cc.Durable = name
	cc.Description = "escalator-load " + name
	if err := e.admin.DeleteConsumer(ctx, streams.StreamName, name); err != nil && !errors.Is(err, jetstream.ErrConsumerNotFound) {
		return nil, fmt.Errorf("reset consumer %s: %w", name, err)
	}
	c, err := e.admin.CreateConsumer(ctx, streams.StreamName, cc)
	if err != nil {
		return nil, fmt.Errorf("create consumer %s: %w", name, err)
	}
	return c, nil
}

// close removes what the run made: the stream it created on an external
// server, or the embedded server and its store.
func (e *env) close(ctx context.Context) {
	if e.created && e.admin != nil {
		ctx, cancel := context.WithTimeout(ctx, 10*time.Second)
		_ = e.admin.DeleteStream(ctx, streams.StreamName)
		_ = e.admin.DeleteStream(ctx, streams.DLQStreamName)
		cancel()
	}
	for _, nc := range e.conns {
		nc.Close()
	}
	if e.srv != nil {
		e.srv.Shutdown()
		e.srv.WaitForShutdown()
	}
	if e.dir != "" {
		_ = os.RemoveAll(e.dir)
	}
}
