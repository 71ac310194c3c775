package outbox

import (
	"strconv"
	"strings"
	"testing"

	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"

	"github.com/escalator/escalator/internal/event"
	"github.com/escalator/escalator/internal/servicenow"
	"github.com/escalator/escalator/internal/streams"
	"github.com/escalator/escalator/internal/testkit/sim"
	"github.com/escalator/escalator/worker"
)

func (e *env) rowEvent(t *testing.T, id string) event.Event {
	t.Helper()
	ev, err := RowEvent(servicenow.Record(e.row(t, id)), source)
	if err != nil {
		t.Fatal(err)
	}
	return ev
}

func TestReporterWritesTheOutcomeOnTheRow(t *testing.T) {
	e := newEnv(t, streams.Config{})
	rep := e.reporter(t)
	tests := []struct {
		name, typ string
		res       worker.Result
		state     string
		text      []string // the words u_result holds
		lastError string
	}{
		{"done with the handler's words", "escalation", result(StateDone, "Escalated as Microsoft case 2612041130000123."),
			StateDone, []string{"Escalated as Microsoft case 2612041130000123."}, ""},
		{"done insights, no words", "insights", result(StateDone, ""),
			StateDone, []string{"Done: the matching Microsoft service health issues"}, ""},
		{"done update, no words", "update", worker.Result{},
			StateDone, []string{"Done: the update was passed on"}, ""},
		{"refused", "escalation", result(StateRefused, "Refused: abel.tuter does not hold escalator_administrator."),
			StateRefused, []string{"Refused: abel.tuter does not hold escalator_administrator."}, ""},
		{"refused, no words", "insights", result(StateRefused, ""),
			StateRefused, []string{"Refused: Escalator did not act", "work notes say why"}, ""},
		{"failed", "escalation", result(StateFailed, "escalate INC0010023: no linked admin account:\n run escalator account link"),
			StateFailed, []string{"Failed: Escalate INC0010023: no linked admin account: run escalator account link.", "escalator replay --dlq"},
			"escalate INC0010023: no linked admin account:\n run escalator account link"},
	}
	for i, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			id := e.request(t, "beth.anglin", tt.typ)
			seq := uint64(100 + i)
			if err := rep.Report(ctxT(t), workerMessage(e.rowEvent(t, id), seq), tt.res); err != nil {
				t.Fatal(err)
			}
			row := e.row(t, id)
			if row["u_state"] != tt.state || row["u_event_seq"] != strconv.FormatUint(seq, 10) || row["u_last_error"] != tt.lastError {
				t.Fatalf("row: state %q seq %q last error %q", row["u_state"], row["u_event_seq"], row["u_last_error"])
			}
			for _, w := range tt.text {
				if !strings.Contains(row["u_result"], w) {
					t.Errorf("u_result %q lacks %q", row["u_result"], w)
				}
			}
		})
	}
}

func TestReporterRedeliveryWritesTheSameValues(t *testing.T) {
	e := newEnv(t, streams.Config{})
	rep := e.reporter(t)
	id := e.request(t, "beth.anglin", "escalation")
	msg := workerMessage(e.rowEvent(t, id), 9)
	res := result(StateDone, "Escalated as Microsoft case 2612.")
	if err := rep.Report(ctxT(t), msg, res); err != nil {
		t.Fatal(err)
	}
	first := e.row(t, id)
	msg.NumDelivered = 2
	if err := rep.Report(ctxT(t), msg, res); err != nil {
		t.Fatal(err)
	}
	second := e.row(t, id)
	for _, f := range []string{"u_state", "u_result", "u_event_seq", "u_last_error"} {
		if first[f] != second[f] {
			t.Errorf("%s: %q then %q", f, first[f], second[f])
		}
	}
}

func TestReporterIgnoresEventsWithoutARow(t *testing.T) {
	e := newEnv(t, streams.Config{})
	rep := e.reporter(t)
	// A push whose id is a sys_id but no row: the 404 is the answer.
	ev := e.rowEvent(t, e.request(t, "beth.anglin", "escalation"))
	ev.ID = "0c2a6e5d8b7f4a1e9c3d5b7a9e1f2c40"
	e.sim.ResetCalls()
	if err := rep.Report(ctxT(t), workerMessage(ev, 3), result(StateDone, "")); err != nil {
		t.Fatalf("a 404 is not an error: %v", err)
	}
	if e.sim.Calls(routePatch) != 1 {
		t.Fatalf("calls %v", e.sim.State().Calls)
	}
	if _, found, err := (records{e.res.Outbox}).get(ctxT(t), ev.ID); err != nil || found {
		t.Fatalf("record of an event without a row kept: %v %v", found, err)
	}
	// Ticks and ids that are no sys_id are not looked for.
	tick := event.Event{ID: "tick.outbox.1764061200", Type: event.TypeTickOutbox}
	if err := rep.Report(ctxT(t), workerMessage(tick, 4), result(StateDone, "")); err != nil {
		t.Fatal(err)
	}
	undecoded := &worker.Message{Subject: event.SubjectUpdate, Header: nats.Header{jetstream.MsgIDHeader: []string{"replay-20261125-1"}}}
	if err := rep.Report(ctxT(t), undecoded, result(StateFailed, "decode: invalid event")); err != nil {
		t.Fatal(err)
	}
	if e.sim.Calls(routePatch) != 1 {
		t.Fatalf("ids without a row were looked for: %v", e.sim.State().Calls)
	}
}

func TestReporterFailsWhenTheRowCannotBeWritten(t *testing.T) {
	e := newEnv(t, streams.Config{})
	rep := e.reporter(t)
	id := e.request(t, "beth.anglin", "escalation")
	if err := e.sim.SetFaults(sim.Faults{Routes: map[string]sim.RouteFault{routePatch: {Status: 503}}}); err != nil {
		t.Fatal(err)
	}
	// The worker retries the message: the outcome must reach the row.
	if err := rep.Report(ctxT(t), workerMessage(e.rowEvent(t, id), 5), result(StateDone, "")); err == nil {
		t.Fatal("no error for an outcome that was not written")
	}
	if st := e.row(t, id)["u_state"]; st != StatePending {
		t.Fatalf("row %s", st)
	}
}

func TestFailedTextIsBoundedAndReadable(t *testing.T) {
	long := "escalate INC0010023: " + strings.Repeat("arm said no ", 200)
	got := resultText(event.SubjectEscalation, StateFailed, long)
	if len(got) > maxReason+300 || !strings.Contains(got, "Escalate INC0010023: arm said no") || !strings.Contains(got, "…") {
		t.Fatalf("failed text %d bytes: %q", len(got), got)
	}
	if got := resultText(event.SubjectEscalation, StateFailed, ""); !strings.HasPrefix(got, "Failed: The request could not be completed.") {
		t.Fatalf("empty reason: %q", got)
	}
}
