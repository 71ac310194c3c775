package outbox

import (
	"context"
	"fmt"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/nats-io/nats.go/jetstream"

	"github.com/escalator/escalator/internal/event"
	"github.com/escalator/escalator/internal/fault"
	"github.com/escalator/escalator/internal/servicenow"
	"github.com/escalator/escalator/internal/streams"
	"github.com/escalator/escalator/internal/testkit/sim"
)

const (
	routeList  = "GET /api/now/table/" + Table
	routePatch = "PATCH /api/now/table/" + Table + "/{sys_id}"
)

func TestPollerStoresEachPendingRowOnceAndMarksItSent(t *testing.T) {
	e := newEnv(t, streams.Config{})
	ids := []string{e.request(t, "beth.anglin", "escalation"), e.request(t, "david.miller", "insights"), e.request(t, "abel.tuter", "update")}
	users := []string{"beth.anglin", "david.miller", "abel.tuter"}
	e.sim.ResetCalls()

	res, err := e.poller(t, nil).RunOnce(ctxT(t), nil)
	if err != nil || res.Sent != 3 || res.Duplicates != 0 {
		t.Fatalf("run: %+v, %v", res, err)
	}
	n, msgs := e.stored(t)
	for i, id := range ids {
		if n[id] != 1 {
			t.Fatalf("row %s stored %d times, want once", id, n[id])
		}
		ev, err := event.Decode(msgs[id].Data)
		if err != nil {
			t.Fatal(err)
		}
		// The requester is who wrote the row, not who the payload names.
		if ev.ID != id || ev.Source != source || ev.Data.RequestedBy.UserName != users[i] {
			t.Errorf("event of %s: id %s source %s requester %s, want requester %s", id, ev.ID, ev.Source, ev.Data.RequestedBy.UserName, users[i])
		}
		row := e.row(t, id)
		seq := strconv.FormatUint(msgs[id].Sequence, 10)
		if row["u_state"] != StateSent || row["u_event_seq"] != seq || row["u_result"] != "Taken by Escalator as event "+seq+"; waiting for Escalator to act on it." {
			t.Errorf("row %s: state %s seq %s result %q, want sent at %s", id, row["u_state"], row["u_event_seq"], row["u_result"], seq)
		}
	}
	// One page read, one write per row.
	if got := e.sim.Calls(routeList); got != 1 {
		t.Errorf("%d page reads, want 1", got)
	}
	if got := e.sim.Calls(routePatch); got != 3 {
		t.Errorf("%d row writes, want 3", got)
	}

	// Nothing pending: one read, nothing else.
	e.sim.ResetCalls()
	if res, err := e.poller(t, nil).RunOnce(ctxT(t), nil); err != nil || res != (RunResult{}) {
		t.Fatalf("second run: %+v, %v", res, err)
	}
	if e.sim.Calls(routeList) != 1 || e.sim.Calls(routePatch) != 0 {
		t.Fatalf("second run calls %v", e.sim.State().Calls)
	}
}

func TestPollerTakesRowsOldestFirstAcrossPages(t *testing.T) {
	var mu sync.Mutex
	now := time.Date(2026, 11, 25, 9, 0, 0, 0, time.UTC)
	// Each row is written a second before the previous one: the table's
	// order is the reverse of the rows' age.
	clock := func() time.Time { mu.Lock(); defer mu.Unlock(); now = now.Add(-time.Second); return now }
	e := newEnv(t, streams.Config{}, func(c *sim.Config) { c.Now = clock })
	var ids []string
	for range 7 {
		ids = append([]string{e.request(t, "abel.tuter", "update")}, ids...) // oldest first
	}
	e.sim.ResetCalls()
	res, err := e.poller(t, func(c *PollerConfig) { c.PageSize = 3 }).RunOnce(ctxT(t), nil)
	if err != nil || res.Sent != 7 {
		t.Fatalf("run: %+v, %v", res, err)
	}
	_, msgs := e.stored(t)
	for i := 1; i < len(ids); i++ {
		if msgs[ids[i]].Sequence <= msgs[ids[i-1]].Sequence {
			t.Fatalf("row %d stored at %d, before row %d at %d", i, msgs[ids[i]].Sequence, i-1, msgs[ids[i-1]].Sequence)
		}
	}
	// Pages of 3: 3, 3, 1.
	if got := e.sim.Calls(routeList); got != 3 {
		t.Errorf("%d page reads, want 3", got)
	}
}

func TestMalformedRowsFailAndTheRowsBehindThemGoOn(t *testing.T) {
	e := newEnv(t, streams.Config{})
	good1 := e.request(t, "beth.anglin", "escalation")
	badJSON := e.insert(t, "beth.anglin", map[string]string{"u_type": "insights", "u_incident": sim.DefaultIncidentSysID, "u_payload": `{"incident":`})
	badType := e.insert(t, "beth.anglin", map[string]string{"u_type": "reopen", "u_incident": sim.DefaultIncidentSysID, "u_payload": payloadOf("update")})
	good2 := e.request(t, "david.miller", "insights")
	noIncident := e.insert(t, "beth.anglin", map[string]string{"u_type": "update", "u_payload": payloadOf("update")})
	invalid := e.insert(t, "beth.anglin", map[string]string{"u_type": "update", "u_incident": sim.DefaultIncidentSysID, "u_payload": `{"incident":{}}`})
	good3 := e.request(t, "abel.tuter", "update")

	res, err := e.poller(t, func(c *PollerConfig) { c.PageSize = 2 }).RunOnce(ctxT(t), nil)
	if err != nil || res.Sent != 3 || res.Failed != 4 {
		t.Fatalf("run: %+v, %v", res, err)
	}
	for id, want := range map[string]string{badJSON: "u_payload is not a JSON object", badType: `u_type is "reopen"`,
		noIncident: "u_incident is empty", invalid: "data.incident.number required"} {
		row := e.row(t, id)
		if row["u_state"] != StateFailed || !strings.Contains(row["u_last_error"], want) ||
			!strings.HasPrefix(row["u_result"], "Failed: Escalator could not read this request: ") || !strings.Contains(row["u_result"], want) {
			t.Errorf("row %s: %q / %q / %q, want failed with %q", id, row["u_state"], row["u_result"], row["u_last_error"], want)
		}
	}
	n, _ := e.stored(t)
	if len(n) != 3 || n[good1] != 1 || n[good2] != 1 || n[good3] != 1 {
		t.Fatalf("stored %v, want the three good rows once each", n)
	}
	// Failed rows are never read again.
	e.sim.ResetCalls()
	if res, err := e.poller(t, nil).RunOnce(ctxT(t), nil); err != nil || res != (RunResult{}) || e.sim.Calls(routePatch) != 0 {
		t.Fatalf("second run: %+v, %v, calls %v", res, err, e.sim.State().Calls)
	}
}

// refusing is an instance that refuses (permanently) every write of one
// row, as an ACL or a data policy could.
type refusing struct {
	*servicenow.Client
	id string
}

func (r refusing) Patch(ctx context.Context, table, sysID string, fields map[string]string) (servicenow.Record, error) {
	if sysID == r.id {
		return nil, fault.Permanentf("patch %s %s: 403 Operation against file '%s' was aborted by a data policy", table, sysID, table)
	}
	return r.Client.Patch(ctx, table, sysID, fields)
}

func TestRowThatCannotBeWrittenDoesNotBlockTheOthers(t *testing.T) {
	e := newEnv(t, streams.Config{})
	stuck := e.request(t, "abel.tuter", "update")
	var rest []string
	for range 4 {
		rest = append(rest, e.request(t, "abel.tuter", "update"))
	}
	p := e.poller(t, func(c *PollerConfig) { c.Table = refusing{e.snow, stuck}; c.PageSize = 2 })
	res, err := p.RunOnce(ctxT(t), nil)
	if err != nil || res.Sent != 4 || res.Skipped != 1 {
		t.Fatalf("run: %+v, %v", res, err)
	}
	for _, id := range rest {
		if st := e.row(t, id)["u_state"]; st != StateSent {
			t.Errorf("row %s %s, want sent", id, st)
		}
	}
	if st := e.row(t, stuck)["u_state"]; st != StatePending {
		t.Fatalf("refused row %s, want pending", st)
	}
	// Once the instance takes the write, the row is marked with the
	// event already stored: no second copy.
	if res, err := e.poller(t, nil).RunOnce(ctxT(t), nil); err != nil || res.Sent != 1 {
		t.Fatalf("second run: %+v, %v", res, err)
	}
	if n, _ := e.stored(t); n[stuck] != 1 {
		t.Fatalf("refused row stored %d times", n[stuck])
	}
}

func TestUnavailableInstanceStopsThePassAndLeavesRowsPending(t *testing.T) {
	e := newEnv(t, streams.Config{})
	a, b := e.request(t, "abel.tuter", "update"), e.request(t, "abel.tuter", "update")
	if err := e.sim.SetFaults(sim.Faults{Routes: map[string]sim.RouteFault{routePatch: {Status: 503}}}); err != nil {
		t.Fatal(err)
	}
	res, err := e.poller(t, nil).RunOnce(ctxT(t), nil)
	if err == nil || fault.Classify(err) != fault.Transient || res.Sent != 0 {
		t.Fatalf("run: %+v, %v; want a transient error", res, err)
	}
	if e.row(t, a)["u_state"] != StatePending || e.row(t, b)["u_state"] != StatePending {
		t.Fatal("rows left the pending state without being marked")
	}
	e.sim.ClearFaults()
	res, err = e.poller(t, nil).RunOnce(ctxT(t), nil)
	if err != nil || res.Sent != 2 {
		t.Fatalf("run after the outage: %+v, %v", res, err)
	}
	if n, _ := e.stored(t); n[a] != 1 || n[b] != 1 {
		t.Fatalf("stored %v, want each row once", n)
	}
}

// TestCrashBeforeTheMarkRepublishesADuplicate: a poller that stopped after
// the publish and before it recorded it leaves the row pending; the next
// pass publishes again, JetStream drops the copy (same Nats-Msg-Id within
// the duplicate window) and acks with the stored sequence, which the row
// gets.
func TestCrashBeforeTheMarkRepublishesADuplicate(t *testing.T) {
	e := newEnv(t, streams.Config{})
	id := e.request(t, "beth.anglin", "escalation")
	ev, err := RowEvent(servicenow.Record(e.row(t, id)), source)
	if err != nil {
		t.Fatal(err)
	}
	first, err := e.pub.Publish(ctxT(t), &ev) // the crashed pass's publish
	if err != nil {
		t.Fatal(err)
	}
	res, err := e.poller(t, nil).RunOnce(ctxT(t), nil)
	if err != nil || res.Sent != 1 || res.Duplicates != 1 {
		t.Fatalf("run: %+v, %v", res, err)
	}
	if n, _ := e.stored(t); n[id] != 1 {
		t.Fatalf("stored %d times", n[id])
	}
	if got := e.row(t, id)["u_event_seq"]; got != strconv.FormatUint(first.Sequence, 10) {
		t.Fatalf("u_event_seq %s, want the stored event's %d", got, first.Sequence)
	}
}

// TestRowPendingPastTheDuplicateWindowIsStoredOnce: the instance could not
// be written after the publish for longer than the duplicate window. The
// record in escalator_outbox, not the window, stops a second publish.
func TestRowPendingPastTheDuplicateWindowIsStoredOnce(t *testing.T) {
	e := newEnv(t, streams.Config{DuplicateWindow: 100 * time.Millisecond})
	id := e.request(t, "beth.anglin", "escalation")
	if err := e.sim.SetFaults(sim.Faults{Routes: map[string]sim.RouteFault{routePatch: {Status: 503}}}); err != nil {
		t.Fatal(err)
	}
	if _, err := e.poller(t, nil).RunOnce(ctxT(t), nil); err == nil {
		t.Fatal("the mark succeeded against a failing instance")
	}
	waitPastDuplicateWindow(t, e)
	e.sim.ClearFaults()
	res, err := e.poller(t, nil).RunOnce(ctxT(t), nil)
	if err != nil || res.Sent != 1 {
		t.Fatalf("run: %+v, %v", res, err)
	}
	n, msgs := e.stored(t)
	if n[id] != 1 {
		t.Fatalf("row stored %d times, want once", n[id])
	}
	if got := e.row(t, id)["u_event_seq"]; got != strconv.FormatUint(msgs[id].Sequence, 10) {
		t.Fatalf("u_event_seq %s, want %d", got, msgs[id].Sequence)
	}
}

// waitPastDuplicateWindow publishes a probe until JetStream stores a second
// copy of it: the window has passed for everything published before.
func waitPastDuplicateWindow(t *testing.T, e *env) {
	t.Helper()
	probe := &event.Event{SpecVersion: "1.0", ID: "probe-window", Source: "test", Type: event.TypeTickCases,
		Time: time.Now().UTC(), Data: event.Data{Tick: &event.Tick{Name: "probe"}}}
	if _, err := e.pub.Publish(ctxT(t), probe); err != nil {
		t.Fatal(err)
	}
	eventually(t, 10*time.Second, "the duplicate window to pass", func() bool {
		ack, err := e.pub.Publish(ctxT(t), probe)
		return err == nil && !ack.Duplicate
	})
}

// quick publishes and then lets the worker report the outcome at once,
// before the poller's mark: the race the Table API cannot exclude.
type quick struct {
	pub Publisher
	rep *Reporter
	res map[string]string // row id → outcome state
}

func (q quick) Publish(ctx context.Context, ev *event.Event, opts ...streams.PublishOption) (*jetstream.PubAck, error) {
	ack, err := q.pub.Publish(ctx, ev, opts...)
	if err != nil {
		return nil, err
	}
	msg := workerMessage(*ev, ack.Sequence)
	return ack, q.rep.Report(ctx, msg, result(q.res[ev.ID], ""))
}

func TestOutcomeWrittenBeforeTheMarkIsKept(t *testing.T) {
	e := newEnv(t, streams.Config{})
	done, refused := e.request(t, "beth.anglin", "escalation"), e.request(t, "abel.tuter", "escalation")
	rep := e.reporter(t)
	q := quick{pub: e.pub, rep: rep, res: map[string]string{done: StateDone, refused: StateRefused}}
	res, err := e.poller(t, func(c *PollerConfig) { c.Publisher = q }).RunOnce(ctxT(t), nil)
	if err != nil || res.Sent != 2 || res.Final != 2 {
		t.Fatalf("run: %+v, %v", res, err)
	}
	for id, want := range map[string]string{done: StateDone, refused: StateRefused} {
		if got := e.row(t, id)["u_state"]; got != want {
			t.Errorf("row %s %s, want %s (the outcome, not sent)", id, got, want)
		}
	}
}

// lostAnswer is an instance whose answer to the "sent" mark is lost after
// the write landed: the pass ends there, as a crash right after the mark.
type lostAnswer struct{ *servicenow.Client }

func (l lostAnswer) Patch(ctx context.Context, table, sysID string, fields map[string]string) (servicenow.Record, error) {
	r, err := l.Client.Patch(ctx, table, sysID, fields)
	if err == nil && fields["u_state"] == StateSent {
		return nil, fault.AsTransient(fmt.Errorf("patch %s %s: connection reset", table, sysID), 0)
	}
	return r, err
}

func TestPassCutShortAfterTheMarkIsRepairedByTheNext(t *testing.T) {
	e := newEnv(t, streams.Config{})
	id := e.request(t, "beth.anglin", "escalation")
	q := quick{pub: e.pub, rep: e.reporter(t), res: map[string]string{id: StateRefused}}
	if _, err := e.poller(t, func(c *PollerConfig) { c.Publisher = q; c.Table = lostAnswer{e.snow} }).RunOnce(ctxT(t), nil); err == nil {
		t.Fatal("the pass did not stop at the lost answer")
	}
	if st := e.row(t, id)["u_state"]; st != StateSent {
		t.Fatalf("row %s: the test wants the outcome overwritten by the mark", st)
	}
	res, err := e.poller(t, nil).RunOnce(ctxT(t), nil)
	if err != nil || res.Final != 1 {
		t.Fatalf("next pass: %+v, %v", res, err)
	}
	if st := e.row(t, id)["u_state"]; st != StateRefused {
		t.Fatalf("row %s after the sweep, want refused", st)
	}
	// A pass that ended cleanly leaves nothing to sweep: one read.
	e.sim.ResetCalls()
	if _, err := e.poller(t, nil).RunOnce(ctxT(t), nil); err != nil || e.sim.Calls(routeList) != 1 {
		t.Fatalf("clean pass: %v, calls %v", err, e.sim.State().Calls)
	}
}

func TestOutcomeKnownBeforeThePassIsWrittenWithoutAPublish(t *testing.T) {
	e := newEnv(t, streams.Config{})
	id := e.request(t, "beth.anglin", "escalation")
	// The worker handled the pushed event and stored the outcome, but its
	// write to the row failed.
	fields := outcomeFields(event.SubjectEscalation, result(StateDone, "Escalated as Microsoft case 2612"), 41)
	if err := (records{e.res.Outbox}).put(ctxT(t), id, record{Seq: 41, Fields: fields}); err != nil {
		t.Fatal(err)
	}
	res, err := e.poller(t, nil).RunOnce(ctxT(t), nil)
	if err != nil || res.Final != 1 || res.Sent != 0 {
		t.Fatalf("run: %+v, %v", res, err)
	}
	if n, _ := e.stored(t); len(n) != 0 {
		t.Fatalf("published %v", n)
	}
	row := e.row(t, id)
	if row["u_state"] != StateDone || row["u_result"] != "Escalated as Microsoft case 2612" || row["u_event_seq"] != "41" {
		t.Fatalf("row %v", row)
	}
}

func TestNewPollerNamesWhatIsMissing(t *testing.T) {
	e := newEnv(t, streams.Config{})
	ok := PollerConfig{Table: e.snow, Publisher: e.pub, Records: e.res.Outbox, Source: source}
	for name, mutate := range map[string]func(*PollerConfig){
		"ServiceNow client": func(c *PollerConfig) { c.Table = nil },
		"publisher":         func(c *PollerConfig) { c.Publisher = nil },
		"escalator_outbox":  func(c *PollerConfig) { c.Records = nil },
		"source":            func(c *PollerConfig) { c.Source = "" },
		"page size":         func(c *PollerConfig) { c.PageSize = servicenow.MaxPageSize + 1 },
	} {
		cfg := ok
		mutate(&cfg)
		if _, err := NewPoller(cfg); err == nil || !strings.Contains(err.Error(), name) {
			t.Errorf("%s: error %v", name, err)
		}
	}
	if _, err := NewPoller(ok); err != nil {
		t.Fatal(err)
	}
}
