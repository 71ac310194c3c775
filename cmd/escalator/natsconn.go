package main

import (
	"fmt"
	"log/slog"
	"time"

	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"

	"github.com/escalator/escalator/internal/redact"
)

// connectNATS dials the configured servers. Reconnects are unlimited: a
// worker outlives a NATS rolling restart; /readyz says when it is away.
func connectNATS(c natsConfig, name string, log *slog.Logger) (*nats.Conn, jetstream.JetStream, error) {
	if err := c.validate(); err != nil {
		return nil, nil, err
	}
	opts := []nats.Option{
		nats.Name(name),
		nats.MaxReconnects(-1),
		nats.ReconnectWait(time.Second),
		nats.Timeout(5 * time.Second),
		nats.DisconnectErrHandler(func(_ *nats.Conn, err error) {
			if err != nil {
				log.Warn("nats disconnected", "err", err)
			}
		}),
		nats.ReconnectHandler(func(nc *nats.Conn) { log.Info("nats reconnected", "url", nc.ConnectedUrlRedacted()) }),
	}
	if c.Creds != "" {
		opts = append(opts, nats.UserCredentials(c.Creds))
	}
	servers := c.servers()
	nc, err := nats.Connect(servers, opts...)
	if err != nil {
		return nil, nil, fmt.Errorf("ESCALATOR_NATS_URL: cannot connect to NATS at %s (%w): check that the server runs and this host reaches it, and ESCALATOR_NATS_CREDS if it needs credentials", redact.URL(servers), err)
	}
	js, err := jetstream.New(nc)
	if err != nil {
		nc.Close()
		return nil, nil, fmt.Errorf("jetstream: %w", err)
	}
	return nc, js, nil
}

// dial is how the one-shot commands start: the logger of their log flags,
// then a NATS connection named after the command.
func (e *env) dial(n natsConfig, l logConfig, name string) (*slog.Logger, *nats.Conn, jetstream.JetStream, error) {
	log, err := e.logger(l)
	if err != nil {
		return nil, nil, nil, err
	}
	nc, js, err := connectNATS(n, name, log)
	if err != nil {
		return nil, nil, nil, err
	}
	return log, nc, js, nil
}
