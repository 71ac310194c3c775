package doctor

import (
	"fmt"
	"slices"
	"strings"

	"github.com/escalator/escalator/internal/streams"
)

// replicationReport is what the resources check says about replication
// and limits: a summary for the detail line, and a failure or a warning
// with its fix.
type replicationReport struct {
	summary, failed, warned, fix string
}

// replication judges the streams' and the consumer's health: a resource
// without a leader fails (nothing can be written to it), followers offline
// or behind, replica counts that differ and nearly full streams warn.
func replication(hs []streams.Health) replicationReport {
	var leaderless, lagging, full, counts []string
	most := 0
	for _, h := range hs {
		most = max(most, h.Replicas)
	}
	for _, h := range hs {
		switch {
		case !h.HasLeader():
			leaderless = append(leaderless, h.String())
		case len(h.Lagging()) > 0:
			lagging = append(lagging, h.String())
		}
		if h.Err == nil && h.Replicas < most {
			counts = append(counts, fmt.Sprintf("%s R%d", h.Name, h.Replicas))
		}
		if h.NearlyFull() {
			full = append(full, h.String())
		}
	}
	r := replicationReport{summary: fmt.Sprintf("replicas %d", most)}
	if most > 1 && len(leaderless) == 0 && len(lagging) == 0 {
		r.summary += ", every stream with a leader and current followers"
	}
	switch {
	case len(leaderless) > 0:
		r.failed = "no leader: " + strings.Join(leaderless, "; ")
		r.fix = "a majority of the NATS servers holding each stream must be up and routed to each other: start the missing servers (`nats server report jetstream` shows the cluster)"
		return r
	case len(lagging) > 0:
		r.warned = "followers offline or behind: " + strings.Join(lagging, "; ")
		r.fix = "bring the offline NATS servers back; their replicas catch up by themselves, and the streams keep working while a majority is up"
	case len(counts) > 0:
		slices.Sort(counts)
		r.warned = fmt.Sprintf("fewer replicas than %d: %s", most, strings.Join(counts, ", "))
		r.fix = "restart `escalator serve`: at start it updates every stream and bucket to ESCALATOR_REPLICAS"
	case len(full) > 0:
		r.warned = fmt.Sprintf("nearly full (a full stream refuses new events; ingest answers 503): %s", strings.Join(full, "; "))
		r.fix = "raise ESCALATOR_STREAM_MAX_BYTES or ESCALATOR_DLQ_MAX_BYTES, or lower ESCALATOR_STREAM_MAX_AGE or ESCALATOR_DLQ_MAX_AGE, and restart `escalator serve`; `escalator dlq list` shows what fills the DLQ"
	}
	return r
}
