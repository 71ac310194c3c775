package admin

import (
	"context"
	"fmt"
	"strings"

	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"

	"github.com/escalator/escalator/internal/streams"
)

// NATSCheck reports NATS and the JetStream resources streams.Ensure
// provisions, one detail line per stream and for the consumer (replicas,
// leader, followers). It fails when nc is not connected, a resource is
// missing or the event stream has no leader (ingest could not store an
// event); it is degraded, still ready, when another resource has no leader,
// a follower is offline or behind, or a stream is nearly full (a full one
// refuses new messages).
func NATSCheck(nc *nats.Conn, js jetstream.JetStream) Check {
	return Check{Name: "nats", Run: func(ctx context.Context) Status {
		if st := nc.Status(); st != nats.CONNECTED {
			return Failed("nats connection is %s", st)
		}
		return jetStreamStatus(streams.Inspect(ctx, js))
	}}
}

func jetStreamStatus(hs []streams.Health) Status {
	var failed, degraded []string
	details := make([]string, len(hs))
	replicas := 0
	for i, h := range hs {
		details[i] = h.String()
		replicas = max(replicas, h.Replicas)
		switch {
		case h.Missing:
			failed = append(failed, h.Name+" does not exist")
		case h.Err != nil && h.Name == streams.StreamName:
			failed = append(failed, fmt.Sprintf("%s: %v", h.Name, h.Err))
		case !h.HasLeader() && h.Name == streams.StreamName:
			failed = append(failed, h.Name+" has no leader")
		case h.Err != nil:
			degraded = append(degraded, fmt.Sprintf("%s: %v", h.Name, h.Err))
		case !h.HasLeader():
			degraded = append(degraded, h.Name+" has no leader")
		case len(h.Lagging()) > 0:
			degraded = append(degraded, fmt.Sprintf("%s has %d of %d followers offline or behind", h.Name, len(h.Lagging()), len(h.Followers)))
		case h.NearlyFull():
			degraded = append(degraded, h.Name+" is nearly full (it refuses new messages when full)")
		}
	}
	var st Status
	switch {
	case len(failed) > 0:
		st = Failed("jetstream: %s", strings.Join(append(failed, degraded...), "; "))
	case len(degraded) > 0:
		st = Degraded("jetstream: %s", strings.Join(degraded, "; "))
	default:
		st = Status{Level: LevelOK, Message: fmt.Sprintf("jetstream: %d streams and the consumer at %d replicas, each with a leader and current followers", len(hs)-1, replicas)}
	}
	st.Details = details
	return st
}
