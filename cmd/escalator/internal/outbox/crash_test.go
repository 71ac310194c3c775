package outbox

import (
	"context"
	"io"
	"log/slog"
	"testing"
	"time"

	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"

	"github.com/escalator/escalator/internal/event"
	"github.com/escalator/escalator/internal/fault"
	"github.com/escalator/escalator/internal/streams"
	"github.com/escalator/escalator/internal/testkit/testserver"
	"github.com/escalator/escalator/worker"
)

// process is one Escalator worker process: its own NATS connection, a
// ticker, the worker with the poller and the reporter.
type process struct {
	nc     *nats.Conn
	cancel context.CancelFunc
	done   chan struct{}
}

// outcomeHandler decides by type: insights are done, escalations refused,
// updates fail (and are dead-lettered).
var outcomeHandler = worker.HandlerFunc(func(_ context.Context, m *worker.Message) error {
	switch m.Event.Type {
	case event.TypeInsights:
		m.SetResult(worker.ResultDone, "Insights written to "+m.Event.Data.Incident.Number+".")
	case event.TypeEscalation:
		m.SetResult(worker.ResultRefused, "Refused: "+m.Event.Data.RequestedBy.UserName+" does not hold escalator_administrator.")
	default:
		return fault.Permanentf("incident %s has no Microsoft case", m.Event.Data.Incident.Number)
	}
	return nil
})

func (e *env) start(t *testing.T) *process {
	t.Helper()
	ctx := ctxT(t)
	nc, js := testserver.Connect(t, e.ns)
	cons, err := js.Consumer(ctx, streams.StreamName, streams.ConsumerName)
	if err != nil {
		t.Fatal(err)
	}
	kv, err := js.KeyValue(ctx, streams.BucketOutbox)
	if err != nil {
		t.Fatal(err)
	}
	pub := streams.NewPublisher(js, nil)
	poller, err := NewPoller(PollerConfig{Table: e.snow, Publisher: pub, Records: kv, Source: source, LeaseTTL: 2 * time.Second})
	if err != nil {
		t.Fatal(err)
	}
	rep, err := NewReporter(ReporterConfig{Table: e.snow, Records: kv})
	if err != nil {
		t.Fatal(err)
	}
	quiet := slog.New(slog.NewTextHandler(io.Discard, nil))
	w, err := worker.New(cons, js, map[string]worker.Handler{
		event.SubjectInsights: outcomeHandler, event.SubjectEscalation: outcomeHandler, event.SubjectUpdate: outcomeHandler,
		event.SubjectTickOutbox: poller,
	}, worker.Config{Reporter: rep, DrainTimeout: time.Second, BackoffInitial: 50 * time.Millisecond, Logger: quiet})
	if err != nil {
		t.Fatal(err)
	}
	ticker, err := worker.NewTicker(worker.TickerConfig{Publisher: pub, Logger: quiet,
		Jobs: []worker.TickJob{{Name: worker.TickOutbox, Type: event.TypeTickOutbox, Interval: time.Second}}})
	if err != nil {
		t.Fatal(err)
	}
	runCtx, cancel := context.WithCancel(context.Background())
	p := &process{nc: nc, cancel: cancel, done: make(chan struct{})}
	go func() {
		defer close(p.done)
		tdone := make(chan struct{})
		go func() { defer close(tdone); _ = ticker.Run(runCtx) }()
		_ = w.Run(runCtx)
		<-tdone
	}()
	t.Cleanup(p.kill)
	return p
}

// kill stops the process the hard way: the connection goes at once, so
// what was in flight (a publish not yet marked, a handled message not yet
// acked, the lease) is left as a crash leaves it.
func (p *process) kill() {
	p.nc.Close()
	p.cancel()
	<-p.done
}

// storedRows counts the events on the request subjects (not the ticks).
func (e *env) storedRows(t *testing.T) int {
	info, err := e.res.Stream.Info(ctxT(t), jetstream.WithSubjectFilter("escalator.incident.>"))
	if err != nil {
		t.Fatal(err)
	}
	n := 0
	for _, c := range info.State.Subjects {
		n += int(c)
	}
	return n
}

// TestPullThroughTwoCrashes: 1,000 rows pulled while the worker and poller
// are killed twice (and rows are written while Escalator is down) end with
// exactly one event per row in the stream and every row in a final state.
func TestPullThroughTwoCrashes(t *testing.T) {
	if testing.Short() {
		t.Skip("1,000 rows")
	}
	e := newEnv(t, streams.Config{AckWait: 2 * time.Second})
	types := []string{"insights", "escalation", "update"}
	var ids []string
	want := map[string]int{}
	add := func(n int) {
		for i := range n {
			typ := types[(len(ids)+i)%3]
			ids = append(ids, e.request(t, "beth.anglin", typ))
			want[map[string]string{"insights": StateDone, "escalation": StateRefused, "update": StateFailed}[typ]]++
		}
	}
	add(900) // written while Escalator is not running

	begin := time.Now()
	p := e.start(t)
	eventually(t, 60*time.Second, "300 rows stored", func() bool { return e.storedRows(t) >= 300 })
	p.kill()
	add(100) // written while it is down

	p = e.start(t)
	eventually(t, 60*time.Second, "700 rows stored", func() bool { return e.storedRows(t) >= 700 })
	p.kill()

	e.start(t)
	// Final, with nothing left to handle: a mark that overwrote an outcome
	// is repaired by the pass that made it, or after a kill by the sweep of
	// the next pass.
	eventually(t, 120*time.Second, "every row in a final state, the worker idle", func() bool {
		n := states(e, ids)
		if n[StateDone]+n[StateRefused]+n[StateFailed] != len(ids) {
			return false
		}
		info, err := e.res.Consumer.Info(ctxT(t))
		return err == nil && info.NumPending == 0 && info.NumAckPending == 0
	})
	t.Logf("%d rows final %s after the first start", len(ids), time.Since(begin).Round(time.Millisecond))
	got := states(e, ids)
	for st, n := range want {
		if got[st] != n {
			t.Errorf("%d rows %s, want %d (states %s)", got[st], st, n, fmtStates(got))
		}
	}
	n, _ := e.stored(t)
	if len(n) != len(ids) {
		t.Fatalf("%d rows in the stream, want %d", len(n), len(ids))
	}
	for _, id := range ids {
		if n[id] != 1 {
			t.Errorf("row %s stored %d times, want once", id, n[id])
		}
	}
}
