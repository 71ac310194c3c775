package admin

import (
	"context"
	"errors"

	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"
)

// NATSCheck is ready when nc is connected and JetStream answers for the
// stream. A stream whose replicas are offline or lagging is degraded: it
// still takes events.
func NATSCheck(nc *nats.Conn, js jetstream.JetStream, stream string) Check {
	return Check{Name: "nats", Run: func(ctx context.Context) Status {
		if st := nc.Status(); st != nats.CONNECTED {
			return Failed("nats connection is %s", st)
		}
		s, err := js.Stream(ctx, stream)
		if errors.Is(err, jetstream.ErrStreamNotFound) {
			return Failed("jetstream stream %s does not exist", stream)
		}
		if err != nil {
			return Failed("jetstream stream %s: %v", stream, err)
		}
		if c := s.CachedInfo().Cluster; c != nil {
			if c.Leader == "" {
				return Failed("jetstream stream %s has no leader", stream)
			}
			for _, r := range c.Replicas {
				if r.Offline || !r.Current {
					return Degraded("jetstream stream %s: replica %s is offline or behind", stream, r.Name)
				}
			}
		}
		return OK()
	}}
}
