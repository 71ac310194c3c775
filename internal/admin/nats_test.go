package admin

import (
	"encoding/json"
	"errors"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"

	"github.com/escalator/escalator/internal/streams"
	"github.com/escalator/escalator/internal/testkit/streamtest"
	"github.com/escalator/escalator/internal/testkit/testserver"
)

func waitReady(t *testing.T, h http.Handler, what string, cond func(Report) bool) Report {
	t.Helper()
	deadline := time.Now().Add(20 * time.Second)
	for {
		_, body := get(t, h, "/readyz")
		var rep Report
		if err := json.Unmarshal([]byte(body), &rep); err != nil {
			t.Fatalf("/readyz body %s: %v", body, err)
		}
		if cond(rep) {
			return rep
		}
		if time.Now().After(deadline) {
			t.Fatalf("timed out waiting for %s: %s", what, body)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

func TestNATSCheckStandalone(t *testing.T) {
	srv := testserver.NATS(t)
	nc, js := testserver.Connect(t, srv, nats.MaxReconnects(-1), nats.ReconnectWait(10*time.Millisecond))
	s, err := New(Config{CheckTimeout: time.Second}, NATSCheck(nc, js))
	if err != nil {
		t.Fatal(err)
	}
	h := s.Handler()

	rep := readyReport(t, h, http.StatusServiceUnavailable)
	if !strings.Contains(rep.Checks[0].Message, "ESCALATOR does not exist") {
		t.Fatalf("nothing provisioned: %+v", rep)
	}
	streamtest.Ensure(t, js, streams.Config{})
	rep = readyReport(t, h, http.StatusOK)
	c := rep.Checks[0]
	if c.Level != LevelOK || !strings.Contains(c.Message, "at 1 replicas") || len(c.Details) != len(streams.StreamNames())+1 {
		t.Fatalf("provisioned: %+v", c)
	}
	if !strings.HasPrefix(c.Details[0], "ESCALATOR R1: leader ") || !strings.Contains(c.Details[0], "% of 10.0 GiB") {
		t.Fatalf("event stream line %q", c.Details[0])
	}

	testserver.RestartNATS(t, srv)
	waitReady(t, h, "ready after a NATS restart", func(r Report) bool { return r.Status == LevelOK })
}

func TestNATSCheckDown(t *testing.T) {
	srv := testserver.NATS(t)
	nc, js := testserver.Connect(t, srv, nats.MaxReconnects(-1), nats.ReconnectWait(10*time.Millisecond))
	s, err := New(Config{CheckTimeout: time.Second}, NATSCheck(nc, js))
	if err != nil {
		t.Fatal(err)
	}
	srv.Shutdown()
	srv.WaitForShutdown()
	rep := readyReport(t, s.Handler(), http.StatusServiceUnavailable)
	if rep.Checks[0].Name != "nats" || rep.Checks[0].Level != LevelFailed {
		t.Fatalf("report with NATS down %+v", rep)
	}
	if code, _ := get(t, s.Handler(), "/healthz"); code != http.StatusOK {
		t.Fatalf("/healthz %d with NATS down", code)
	}
}

// On a 3-node cluster the report names every stream's leader and
// followers; a lost node degrades readiness without failing it.
func TestNATSCheckCluster(t *testing.T) {
	c := testserver.NATSCluster(t, 3)
	nc, js := c.Connect()
	streamtest.Ensure(t, js, streams.Config{})
	s, err := New(Config{CheckTimeout: 2 * time.Second}, NATSCheck(nc, js))
	if err != nil {
		t.Fatal(err)
	}
	h := s.Handler()
	rep := waitReady(t, h, "every follower current", func(r Report) bool { return r.Status == LevelOK })
	for _, d := range rep.Checks[0].Details {
		if !strings.Contains(d, " R3: leader n") || strings.Count(d, " current") != 2 {
			t.Fatalf("detail %q: want R3 with a leader and two current followers", d)
		}
	}

	// Lose a node that leads nothing the clients use: the others keep a
	// leader, the lost one shows offline or behind.
	follower := (c.StreamLeader(streams.StreamName) + 1) % 3
	c.Stop(follower)
	rep = waitReady(t, h, "degraded with a node down", func(r Report) bool { return r.Status == LevelDegraded })
	if !strings.Contains(rep.Checks[0].Message, "offline or behind") {
		t.Fatalf("degraded report %+v", rep.Checks[0])
	}
	c.Restart(follower)
	waitReady(t, h, "ok after the node is back", func(r Report) bool { return r.Status == LevelOK })
}

func TestJetStreamStatus(t *testing.T) {
	ok := func(name string) streams.Health {
		return streams.Health{Name: name, Replicas: 3, Leader: "n1", MaxBytes: -1,
			Followers: []streams.Follower{{Name: "n2", Current: true}, {Name: "n3", Current: true}}}
	}
	all := func(change func(hs []streams.Health)) []streams.Health {
		var hs []streams.Health
		for _, n := range append(streams.StreamNames(), "ESCALATOR/worker") {
			hs = append(hs, ok(n))
		}
		change(hs)
		return hs
	}
	tests := []struct {
		name  string
		hs    []streams.Health
		level Level
		msg   string
	}{
		{"healthy", all(func([]streams.Health) {}), LevelOK, "at 3 replicas, each with a leader"},
		{"event stream leaderless", all(func(hs []streams.Health) { hs[0].Leader = "" }), LevelFailed, "ESCALATOR has no leader"},
		{"event stream unreadable", all(func(hs []streams.Health) { hs[0].Err = errors.New("timeout") }), LevelFailed, "ESCALATOR: timeout"},
		{"bucket missing", all(func(hs []streams.Health) { hs[2].Missing, hs[2].Err = true, jetstream.ErrStreamNotFound }), LevelFailed, "KV_escalator_cases does not exist"},
		{"bucket leaderless", all(func(hs []streams.Health) { hs[3].Leader = "" }), LevelDegraded, "KV_escalator_accounts has no leader"},
		{"follower behind", all(func(hs []streams.Health) { hs[1].Followers[0].Current = false }), LevelDegraded, "ESCALATOR_DLQ has 1 of 2 followers offline or behind"},
		{"nearly full", all(func(hs []streams.Health) { hs[0].MaxBytes, hs[0].Bytes = 100, 95 }), LevelDegraded, "ESCALATOR is nearly full"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			st := jetStreamStatus(tt.hs)
			if st.Level != tt.level || !strings.Contains(st.Message, tt.msg) {
				t.Fatalf("status %s %q, want %s with %q", st.Level, st.Message, tt.level, tt.msg)
			}
			if len(st.Details) != len(tt.hs) {
				t.Fatalf("%d detail lines for %d resources", len(st.Details), len(tt.hs))
			}
		})
	}
}
