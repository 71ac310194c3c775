package main

import (
	"context"
	"encoding/json"
	"strings"
	"testing"
	"time"

	"github.com/spf13/cobra"

	"github.com/escalator/escalator/cmd/escalator/internal/outbox"
	"github.com/escalator/escalator/internal/event"
	"github.com/escalator/escalator/internal/testkit/sim"
	"github.com/escalator/escalator/internal/testkit/simuser"
)

// withOutbox turns the poller on, every second.
func withOutbox(c *appConfig) {
	c.worker = workerConfig{Concurrency: 8, RoleInsights: defaultRoleInsights, RoleAdmin: defaultRoleAdmin,
		CaseField: "correlation_id", CloseCaseOnResolve: true, HealthInterval: time.Minute, CaseSyncInterval: time.Minute,
		Outbox: true, OutboxInterval: time.Second}
}

// insertRow writes an insights request to the outbox as david.miller, a
// click in the instance, with the payload the update set builds.
func (x *e2e) insertRow(t *testing.T) string {
	t.Helper()
	data := example(t, "insights-requested.json", nil).Data
	payload, _ := json.Marshal(data)
	return simuser.Create(t, x.app.cfg.snow.URL, "david.miller", outbox.Table,
		map[string]string{"u_type": "insights", "u_incident": sim.DefaultIncidentSysID, "u_payload": string(payload)})
}

func (x *e2e) rowState(id string) map[string]string {
	r, _ := x.sim.Record(outbox.Table, id)
	return r
}

// storedOnce reports whether the stream holds exactly one event with
// Nats-Msg-Id id.
func (x *e2e) storedOnce(t *testing.T, id string) bool {
	t.Helper()
	info, err := x.app.res.Stream.Info(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	n := 0
	for seq := info.State.FirstSeq; seq <= info.State.LastSeq; seq++ {
		if m, err := x.app.res.Stream.GetMsg(context.Background(), seq); err == nil && m.Header.Get("Nats-Msg-Id") == id {
			n++
		}
	}
	return n == 1
}

func TestE2EOutboxRowIsPulledAndGetsItsOutcome(t *testing.T) {
	x := startE2E(t, withOutbox)
	id := x.insertRow(t)
	waitFor(t, "the row done", func() bool { return x.rowState(id)["u_state"] == outbox.StateDone })
	row := x.rowState(id)
	if row["u_event_seq"] == "" || row["u_result"] == "" {
		t.Fatalf("row %v: want the event's sequence and the outcome in words", row)
	}
	if len(x.notes(sim.ExchangeIncidentID)) != 1 {
		t.Fatalf("insights note on the incident: %v", x.notes(""))
	}
	if !x.storedOnce(t, id) {
		t.Fatal("the row's event is not in the stream exactly once")
	}
}

func TestE2EPushedRowGetsItsOutcomeWithoutThePoller(t *testing.T) {
	x := startE2E(t, nil)
	id := x.insertRow(t)
	x.post(t, example(t, "insights-requested.json", func(ev *event.Event) { ev.ID = id }))
	waitFor(t, "the row done", func() bool { return x.rowState(id)["u_state"] == outbox.StateDone })
	if n := x.sim.Calls("GET /api/now/table/" + outbox.Table); n != 0 {
		t.Fatalf("the outbox was read %d times with the poller off", n)
	}
}

func TestOutboxSettings(t *testing.T) {
	var c workerConfig
	cmd := &cobra.Command{Use: "t"}
	c.flags(cmd.Flags())
	if err := applyEnv(cmd, func(k string) string {
		return map[string]string{"ESCALATOR_SERVICENOW_OUTBOX": "true", "ESCALATOR_SERVICENOW_OUTBOX_INTERVAL": "2s"}[k]
	}); err != nil {
		t.Fatal(err)
	}
	if !c.Outbox || c.OutboxInterval != 2*time.Second {
		t.Fatalf("outbox %v every %s", c.Outbox, c.OutboxInterval)
	}

	_, _, err := runRoot(t, map[string]string{"ESCALATOR_INGEST_TOKENS": "0123456789abcdef0123",
		"ESCALATOR_SERVICENOW_OUTBOX": "true", "ESCALATOR_SERVICENOW_OUTBOX_INTERVAL": "200ms"}, "serve")
	if err == nil || !strings.HasPrefix(err.Error(), "ESCALATOR_SERVICENOW_OUTBOX_INTERVAL") || strings.Contains(err.Error(), "\n") {
		t.Fatalf("want one line naming ESCALATOR_SERVICENOW_OUTBOX_INTERVAL, got %v", err)
	}
}

func TestDevPullsTheOutboxEverySecond(t *testing.T) {
	for _, tt := range []struct {
		env      map[string]string
		on       string
		interval string
	}{
		{nil, "true", "1s"},
		{map[string]string{"ESCALATOR_SERVICENOW_OUTBOX": "false", "ESCALATOR_SERVICENOW_OUTBOX_INTERVAL": "3s"}, "false", "3s"},
	} {
		cmd := newDevCmd(&env{})
		if err := applyEnv(cmd, func(k string) string { return tt.env[k] }); err != nil {
			t.Fatal(err)
		}
		fs := cmd.Flags()
		if on, iv := fs.Lookup("servicenow-outbox").Value.String(), fs.Lookup("servicenow-outbox-interval").Value.String(); on != tt.on || iv != tt.interval {
			t.Errorf("env %v: outbox %s every %s, want %s every %s", tt.env, on, iv, tt.on, tt.interval)
		}
	}
}
