package main

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"strings"
	"testing"
	"time"

	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"
	"github.com/spf13/cobra"

	"github.com/escalator/escalator/cmd/escalator/internal/replay"
	"github.com/escalator/escalator/internal/event"
	"github.com/escalator/escalator/internal/streams"
	"github.com/escalator/escalator/internal/testkit/sim"
	"github.com/escalator/escalator/internal/testkit/testserver"
)

func TestReplayFlags(t *testing.T) {
	now := time.Date(2025, 6, 1, 12, 0, 0, 0, time.UTC)
	tests := []struct {
		name    string
		c       replayConfig
		check   func(replay.Options) bool
		wantErr string
	}{
		{"since and type", replayConfig{since: "2h", types: []string{"escalation", "insights"}, output: "table"},
			func(o replay.Options) bool {
				return o.Source.Kind == replay.SourceStream && o.Source.Since.Equal(now.Add(-2*time.Hour)) &&
					len(o.Filter.Types) == 2 && o.Filter.Types[0] == event.TypeEscalation
			}, ""},
		{"dlq with incident", replayConfig{dlq: true, incident: "INC0010023", output: "json"},
			func(o replay.Options) bool {
				return o.Source.Kind == replay.SourceDLQ && o.Filter.Incident == "INC0010023"
			}, ""},
		{"file", replayConfig{file: "events.ndjson", output: "table", dryRun: true,
			worker: workerConfig{RoleInsights: defaultRoleInsights, RoleAdmin: " escalator_administrator , x_mioms_m365_assis.administrator"}},
			func(o replay.Options) bool {
				return o.Source.Kind == replay.SourceFile && o.DryRun && len(o.Roles.Insights) == 2 &&
					strings.Join(o.Roles.Admin, ",") == "escalator_administrator,x_mioms_m365_assis.administrator"
			}, ""},
		{"dry run, empty role entry", replayConfig{file: "x", output: "table", dryRun: true,
			worker: workerConfig{RoleInsights: defaultRoleInsights, RoleAdmin: "escalator_administrator,,x"}}, nil,
			"ESCALATOR_ROLE_ADMIN has an empty entry"},
		{"resume", replayConfig{resume: "run1", output: "table", rate: 5},
			func(o replay.Options) bool { return o.Resume && o.RunID == "run1" && o.Rate == 5 }, ""},
		{"no source", replayConfig{output: "table"}, nil, "which events?"},
		{"two sources", replayConfig{dlq: true, file: "x", output: "table"}, nil, "choose one source"},
		{"resume with a filter", replayConfig{resume: "run1", incident: "INC1", output: "table"}, nil, "--resume reloads"},
		{"bad type", replayConfig{since: "1h", types: []string{"tick"}, output: "table"}, nil, "--type"},
		{"bad since", replayConfig{since: "last week", output: "table"}, nil, "--since"},
		{"bad output", replayConfig{since: "1h", output: "yaml"}, nil, "--output"},
		{"negative rate", replayConfig{since: "1h", output: "table", rate: -1}, nil, "--rate"},
		{"to below from", replayConfig{fromSeq: 9, toSeq: 3, output: "table"}, nil, "below"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			o, err := tt.c.options(now)
			if tt.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
					t.Fatalf("error = %v, want %q", err, tt.wantErr)
				}
				return
			}
			if err != nil || !tt.check(o) {
				t.Fatalf("options = %+v, %v", o, err)
			}
		})
	}
}

// replayNATS is a NATS server with Escalator's streams, and a connection.
func replayNATS(t *testing.T) (string, jetstream.JetStream) {
	t.Helper()
	srv := testserver.NATS(t)
	_, js := testserver.Connect(t, srv)
	if _, err := streams.Ensure(context.Background(), js, streams.Config{}); err != nil {
		t.Fatal(err)
	}
	return srv.ClientURL(), js
}

// runCmd runs a command built by newCmd with args; stdout is not a
// terminal, so a replay writes JSON lines.
func runCmd(t *testing.T, newCmd func(*env) *cobra.Command, args ...string) (string, error) {
	t.Helper()
	var out bytes.Buffer
	cmd := newCmd(&env{stdout: &out, stderr: io.Discard, getenv: func(string) string { return "" }})
	cmd.SetArgs(args)
	err := cmd.ExecuteContext(context.Background())
	return out.String(), err
}

func replayEvent(id, typ string) *event.Event {
	return &event.Event{
		SpecVersion: event.SpecVersion, ID: id, Source: "https://contoso.service-now.com", Type: typ,
		Time: time.Date(2025, 6, 1, 12, 0, 0, 0, time.UTC),
		Data: event.Data{
			Incident:    event.Incident{SysID: sim.DefaultIncidentSysID, Number: "INC0010023"},
			RequestedBy: event.RequestedBy{UserName: "beth.anglin", Roles: []string{defaultRoleAdmin, defaultRoleInsights}},
		},
	}
}

// jsonLines splits the output into the event lines and the summary.
func jsonLines(t *testing.T, out string) ([]replay.Result, replay.Summary) {
	t.Helper()
	var results []replay.Result
	var sum replay.Summary
	sc := bufio.NewScanner(strings.NewReader(out))
	for sc.Scan() {
		line := sc.Bytes()
		if bytes.Contains(line, []byte(`"run_id"`)) {
			if err := json.Unmarshal(line, &sum); err != nil {
				t.Fatalf("summary %s: %v", line, err)
			}
			continue
		}
		var r replay.Result
		if err := json.Unmarshal(line, &r); err != nil {
			t.Fatalf("line %s: %v", line, err)
		}
		results = append(results, r)
	}
	return results, sum
}

func TestReplayCommandRepublishesAndFailsOnInvalid(t *testing.T) {
	url, js := replayNATS(t)
	pub := streams.NewPublisher(js, nil)
	for i, typ := range []string{event.TypeEscalation, event.TypeInsights, event.TypeUpdated} {
		if _, err := pub.Publish(context.Background(), replayEvent(fmt.Sprintf("e%d", i+1), typ)); err != nil {
			t.Fatal(err)
		}
	}
	if _, err := js.Publish(context.Background(), event.SubjectEscalation, []byte(`{"specversion":"1.0","id":"broken"}`)); err != nil {
		t.Fatal(err)
	}

	out, err := runCmd(t, newReplayCmd, "--nats-url", url, "--from-seq", "1", "--run-id", "cmd1", "--output", "json")
	if !isExit(err, 1) {
		t.Fatalf("exit = %v, want exit status 1 (an invalid event)\n%s", err, out)
	}
	results, sum := jsonLines(t, out)
	if len(results) != 4 || sum.RunID != "cmd1" || sum.Actions[replay.ActionPublished] != 3 || sum.Failed != 1 || !sum.Complete {
		t.Fatalf("results %+v\nsummary %+v", results, sum)
	}
	if r := results[3]; r.Seq != 4 || r.ID != "broken" || r.Action != replay.ActionInvalid || r.Error == "" {
		t.Errorf("invalid event line = %+v", r)
	}
	msg, err := js.Stream(context.Background(), streams.StreamName)
	if err != nil {
		t.Fatal(err)
	}
	m, err := msg.GetMsg(context.Background(), results[0].PublishedSeq)
	if err != nil {
		t.Fatal(err)
	}
	if m.Header.Get(replay.HeaderReplay) != "cmd1" || m.Header.Get(nats.MsgIdHdr) != "replay-cmd1-e1" {
		t.Errorf("republished headers = %v", m.Header)
	}

	// The table summary, and a resumed complete run.
	out, err = runCmd(t, newReplayCmd, "--nats-url", url, "--resume", "cmd1")
	if !isExit(err, 1) || !strings.Contains(out, "ACTION") || !strings.Contains(out, "published  3") {
		t.Errorf("resume of a complete run: %v\n%s", err, out)
	}
}

func TestDLQCommands(t *testing.T) {
	url, js := replayNATS(t)
	out, err := runCmd(t, newDLQCmd, "list", "--nats-url", url)
	if err != nil || !strings.Contains(out, "no dead letters") {
		t.Fatalf("empty list: %v\n%s", err, out)
	}
	out, err = runCmd(t, newDLQCmd, "list", "--nats-url", url, "--output", "json")
	if err != nil || strings.TrimSpace(out) != "[]" {
		t.Fatalf("empty list as json: %v, want [], got %q", err, out)
	}
	body, _ := replayEvent("x1", event.TypeEscalation).Marshal()
	msg := &nats.Msg{Subject: streams.DLQSubject(event.SubjectEscalation), Data: body, Header: nats.Header{}}
	msg.Header.Set(streams.HeaderOrigSubject, event.SubjectEscalation)
	msg.Header.Set(streams.HeaderOrigSeq, "42")
	msg.Header.Set(streams.HeaderDeliveries, "6")
	msg.Header.Set(streams.HeaderErrorClass, "transient")
	msg.Header.Set(streams.HeaderReason, "create ticket: 503 Service Unavailable")
	msg.Header.Set(streams.HeaderFailedAt, "2025-06-01T12:00:00Z")
	if _, err := js.PublishMsg(context.Background(), msg); err != nil {
		t.Fatal(err)
	}

	out, err = runCmd(t, newDLQCmd, "list", "--nats-url", url)
	if err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{"SEQ", "REASON", event.SubjectEscalation, "x1", "INC0010023", "6", "transient", "create ticket: 503 Service Unavailable"} {
		if !strings.Contains(out, want) {
			t.Errorf("list lacks %q:\n%s", want, out)
		}
	}
	out, err = runCmd(t, newDLQCmd, "list", "--nats-url", url, "--output", "json")
	var ds []replay.DeadLetter
	if err != nil || json.Unmarshal([]byte(out), &ds) != nil || len(ds) != 1 || ds[0].Seq != 1 || ds[0].OrigSeq != 42 || ds[0].Deliveries != 6 {
		t.Errorf("list json: %v\n%s", err, out)
	}
	out, err = runCmd(t, newDLQCmd, "show", "1", "--nats-url", url)
	if err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{"Escalator-Failed-At", "2025-06-01T12:00:00Z", "Escalator-Stream-Seq", `  "id": "x1"`} {
		if !strings.Contains(out, want) {
			t.Errorf("show lacks %q:\n%s", want, out)
		}
	}
	if _, err := runCmd(t, newDLQCmd, "show", "7", "--nats-url", url); err == nil || !strings.Contains(err.Error(), "no such dead letter") {
		t.Errorf("show of a missing dead letter: %v", err)
	}
	if _, err := runCmd(t, newDLQCmd, "show", "x", "--nats-url", url); err == nil {
		t.Error("show x accepted")
	}
}

// TestE2EReplayDryRunWithHandlers: the dry run asks the real handlers
// (escalation, insights, role gates) and a real replay then does what it
// said: no second case.
func TestE2EReplayDryRunWithHandlers(t *testing.T) {
	x := startE2E(t, nil)
	x.link(t, sim.DefaultAdminUPN)
	escalate := example(t, "escalation-requested.json", nil)
	again := example(t, "escalation-requested.json", func(ev *event.Event) { ev.ID = "again-" + ev.ID })
	refused := example(t, "escalation-requested.json", func(ev *event.Event) {
		ev.ID, ev.Data.RequestedBy.UserName, ev.Data.RequestedBy.Roles = "norole-"+ev.ID, "abel.tuter", []string{"itil"}
	})
	x.post(t, escalate)
	waitFor(t, "case note", func() bool { return len(x.notes("Escalated to Microsoft support")) == 1 })
	x.post(t, again)
	x.post(t, refused)
	x.settle(t)

	cfg := x.app.cfg
	rc := replayConfig{
		nats: cfg.nats, log: cfg.log, redis: cfg.redis, microsoft: cfg.microsoft, snow: cfg.snow, worker: cfg.worker,
		fromSeq: 1, output: "json", dryRun: true,
	}
	var out bytes.Buffer
	e := &env{stdout: &out, stderr: io.Discard, getenv: func(string) string { return "" }}
	if err := runReplay(context.Background(), e, rc); err != nil {
		t.Fatalf("dry run: %v\n%s", err, out.String())
	}
	results, sum := jsonLines(t, out.String())
	want := map[string]string{escalate.ID: "done", again.ID: "already", refused.ID: replay.ActionRefused}
	for _, r := range results {
		if w, ok := want[r.ID]; ok && r.Action != w {
			t.Errorf("%s: dry run says %q (%s), want %q", r.ID, r.Action, r.Detail, w)
		}
	}
	if !sum.DryRun || sum.Processed != 3 {
		t.Errorf("summary = %+v", sum)
	}

	rc.dryRun, rc.runID = false, "e2e"
	out.Reset()
	if err := runReplay(context.Background(), e, rc); err != nil {
		t.Fatalf("replay: %v\n%s", err, out.String())
	}
	x.settle(t)
	if n := x.tickets(); n != 1 {
		t.Fatalf("tickets after the replay = %d, want 1", n)
	}
	if n := len(x.notes("already escalated")); n != 1 {
		t.Errorf("'already escalated' notes = %d, want 1 (one per event, replay or not)", n)
	}
}
