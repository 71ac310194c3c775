package streams

import (
	"context"
	"errors"
	"fmt"
	"strings"

	"github.com/nats-io/nats.go/jetstream"
)

// Health is how one stream, or the workers' consumer, is replicated now.
type Health struct {
	// Name is the stream's, or "ESCALATOR/worker" for the consumer.
	Name string
	// Err is set when the resource could not be read; Missing tells a
	// resource that does not exist.
	Err     error
	Missing bool
	// Replicas is the configured count (the consumer's: its stream's).
	Replicas  int
	Leader    string
	Followers []Follower
	// Bytes stored and the MaxBytes limit (-1: none); streams only.
	Bytes    uint64
	MaxBytes int64
}

// Follower is one non-leader replica.
type Follower struct {
	Name    string
	Current bool
	Offline bool
	Lag     uint64
}

// FullAt is the share of MaxBytes from which a stream counts as nearly
// full: it refuses new messages at 100%.
const FullAt = 0.9

// HasLeader reports whether the resource can take writes now.
func (h Health) HasLeader() bool { return h.Err == nil && h.Leader != "" }

// Lagging are the followers that are offline or behind the leader.
func (h Health) Lagging() []Follower {
	var out []Follower
	for _, f := range h.Followers {
		if f.Offline || !f.Current {
			out = append(out, f)
		}
	}
	return out
}

// NearlyFull reports a stream at FullAt of its MaxBytes or more.
func (h Health) NearlyFull() bool {
	return h.MaxBytes > 0 && float64(h.Bytes) >= FullAt*float64(h.MaxBytes)
}

// String is one line: "ESCALATOR R3: leader n1, followers n2 current, n3
// offline; 12% of 10.0 GiB".
func (h Health) String() string {
	switch {
	case h.Missing:
		return h.Name + ": missing"
	case h.Err != nil:
		return fmt.Sprintf("%s: %v", h.Name, h.Err)
	}
	var b strings.Builder
	fmt.Fprintf(&b, "%s R%d: ", h.Name, h.Replicas)
	if h.Leader == "" {
		b.WriteString("no leader")
	} else {
		b.WriteString("leader " + h.Leader)
	}
	for i, f := range h.Followers {
		if i == 0 {
			b.WriteString(", followers ")
		} else {
			b.WriteString(", ")
		}
		switch {
		case f.Offline:
			b.WriteString(f.Name + " offline")
		case !f.Current:
			fmt.Fprintf(&b, "%s behind (%d operations)", f.Name, f.Lag)
		default:
			b.WriteString(f.Name + " current")
		}
	}
	if h.MaxBytes > 0 {
		fmt.Fprintf(&b, "; %.0f%% of %s", 100*float64(h.Bytes)/float64(h.MaxBytes), formatBytes(h.MaxBytes))
	}
	return b.String()
}

// Inspect reads the replication of every stream Ensure provisions
// (StreamNames) and of the consumer, in that order. A resource that cannot
// be read is reported in its Health, not as an error.
func Inspect(ctx context.Context, js jetstream.JetStream) []Health {
	out := make([]Health, 0, len(buckets)+3)
	for _, name := range StreamNames() {
		h := Health{Name: name}
		s, err := js.Stream(ctx, name)
		if err != nil {
			h.setErr(err)
			out = append(out, h)
			continue
		}
		info := s.CachedInfo()
		h.Replicas = info.Config.Replicas
		h.Bytes, h.MaxBytes = info.State.Bytes, info.Config.MaxBytes
		h.setCluster(info.Cluster)
		out = append(out, h)
	}
	h := Health{Name: StreamName + "/" + ConsumerName}
	c, err := js.Consumer(ctx, StreamName, ConsumerName)
	if err != nil {
		h.setErr(err)
		return append(out, h)
	}
	info := c.CachedInfo()
	h.Replicas = info.Config.Replicas
	if h.Replicas == 0 && out[0].Err == nil {
		h.Replicas = out[0].Replicas
	}
	if info.Cluster == nil {
		// A standalone server reports no cluster for a consumer: the
		// stream's server leads it.
		h.Leader = out[0].Leader
	}
	h.setCluster(info.Cluster)
	return append(out, h)
}

func (h *Health) setErr(err error) {
	h.Err = err
	h.Missing = errors.Is(err, jetstream.ErrStreamNotFound) || errors.Is(err, jetstream.ErrConsumerNotFound)
}

// setCluster reads the leader and followers. A standalone server reports
// itself as the leader of every stream, with no followers.
func (h *Health) setCluster(c *jetstream.ClusterInfo) {
	if c == nil {
		return
	}
	h.Leader = c.Leader
	for _, p := range c.Replicas {
		if p == nil {
			continue
		}
		h.Followers = append(h.Followers, Follower{Name: p.Name, Current: p.Current, Offline: p.Offline, Lag: p.Lag})
	}
}

// formatBytes writes n in the largest binary unit that keeps it at least 1.
func formatBytes(n int64) string {
	const unit = 1 << 10
	if n < unit {
		return fmt.Sprintf("%d B", n)
	}
	v, exp := float64(n)/unit, 0
	for v >= unit && exp < 4 {
		v /= unit
		exp++
	}
	return fmt.Sprintf("%.1f %ciB", v, "KMGTP"[exp])
}
