package doctor

import (
	"context"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/nats-io/nats.go/jetstream"

	"github.com/escalator/escalator/internal/streams"
	"github.com/escalator/escalator/internal/testkit/testserver"
)

func TestReplication(t *testing.T) {
	healthy := func(name string, replicas int) streams.Health {
		h := streams.Health{Name: name, Replicas: replicas, Leader: "n1", MaxBytes: -1}
		for i := 1; i < replicas; i++ {
			h.Followers = append(h.Followers, streams.Follower{Name: "n" + string(rune('1'+i)), Current: true})
		}
		return h
	}
	set := func(change func(hs []streams.Health)) []streams.Health {
		hs := []streams.Health{healthy("ESCALATOR", 3), healthy("ESCALATOR_DLQ", 3), healthy("KV_escalator_cases", 3)}
		change(hs)
		return hs
	}
	tests := []struct {
		name                   string
		hs                     []streams.Health
		summary, failed, warns string
	}{
		{"standalone", []streams.Health{healthy("ESCALATOR", 1)}, "replicas 1", "", ""},
		{"healthy cluster", set(func([]streams.Health) {}), "replicas 3, every stream with a leader and current followers", "", ""},
		{"no leader", set(func(hs []streams.Health) { hs[0].Leader = "" }), "replicas 3", "no leader: ESCALATOR R3: no leader", ""},
		{"unreadable", set(func(hs []streams.Health) { hs[2].Err = errors.New("timeout") }), "replicas 3", "KV_escalator_cases: timeout", ""},
		{"offline follower", set(func(hs []streams.Health) { hs[1].Followers[1].Offline = true }), "replicas 3", "", "ESCALATOR_DLQ R3: leader n1, followers n2 current, n3 offline"},
		{"bucket left at R1", set(func(hs []streams.Health) { hs[2] = healthy("KV_escalator_cases", 1) }), "replicas 3, every stream", "", "fewer replicas than 3: KV_escalator_cases R1"},
		{"nearly full", set(func(hs []streams.Health) { hs[0].MaxBytes, hs[0].Bytes = 1000, 950 }), "replicas 3, every stream", "", "nearly full"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := replication(tt.hs)
			if !strings.HasPrefix(r.summary, tt.summary) || (tt.summary == "replicas 3" && strings.Contains(r.summary, "every stream")) {
				t.Errorf("summary %q, want %q", r.summary, tt.summary)
			}
			if (tt.failed == "") != (r.failed == "") || !strings.Contains(r.failed, tt.failed) {
				t.Errorf("failed %q, want %q", r.failed, tt.failed)
			}
			if (tt.warns == "") != (r.warned == "") || !strings.Contains(r.warned, tt.warns) {
				t.Errorf("warned %q, want %q", r.warned, tt.warns)
			}
			if (r.failed != "" || r.warned != "") && r.fix == "" {
				t.Error("a failure or warning without a fix")
			}
		})
	}
}

// On a 3-node cluster the resources check reports R3 with leaders and
// current followers, and warns, with the fix, while a node is down.
func TestResourcesCheckOnCluster(t *testing.T) {
	c := testserver.NATSCluster(t, 3)
	_, js := c.Connect()
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	if _, err := streams.Ensure(ctx, js, streams.Config{}); err != nil {
		t.Fatal(err)
	}
	j := &JetStream{URL: c.URL(), Connect: func(context.Context) (jetstream.JetStream, error) { return js, nil }}
	if res := j.NATSCheck().Run(ctx); res.Status != Pass {
		t.Fatalf("nats check %+v", res)
	}
	// Each check gets its own deadline: on a loaded machine the whole test
	// may outlast one shared context.
	poll := func(what string, cond func(Result) bool) Result {
		t.Helper()
		deadline := time.Now().Add(30 * time.Second)
		for {
			rctx, rcancel := context.WithTimeout(context.Background(), 10*time.Second)
			res := j.ResourcesCheck().Run(rctx)
			rcancel()
			if cond(res) {
				return res
			}
			if time.Now().After(deadline) {
				t.Fatalf("timed out waiting for %s: %+v", what, res)
			}
			time.Sleep(20 * time.Millisecond)
		}
	}
	poll("a healthy R3 report", func(r Result) bool {
		return r.Status == Pass && strings.Contains(r.Detail, "replicas 3, every stream with a leader and current followers")
	})
	c.Stop((c.StreamLeader(streams.StreamName) + 1) % 3)
	res := poll("a warning with a node down", func(r Result) bool { return r.Status == Warn })
	if !strings.Contains(res.Detail, "followers offline or behind") || !strings.Contains(res.Fix, "bring the offline NATS servers back") {
		t.Fatalf("warning %+v", res)
	}
}
