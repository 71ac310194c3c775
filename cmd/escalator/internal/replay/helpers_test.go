package replay

import (
	"context"
	"fmt"
	"sync"
	"testing"
	"time"

	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"

	"github.com/escalator/escalator/internal/event"
	"github.com/escalator/escalator/internal/fault"
	"github.com/escalator/escalator/internal/streams"
	"github.com/escalator/escalator/internal/testkit/testserver"
)

const (
	roleInsights = "x_mioms_m365_assis.insights_user"
	roleAdmin    = "x_mioms_m365_assis.administrator"
)

var testRoles = Roles{Insights: []string{roleInsights}, Admin: []string{roleAdmin}}

// env is one test's NATS server with Escalator's streams.
type env struct {
	nc  *nats.Conn
	js  jetstream.JetStream
	res *streams.Resources
	pub *streams.Publisher
}

func newEnv(t testing.TB) *env {
	t.Helper()
	nc, js := testserver.Connect(t, testserver.NATS(t))
	res, err := streams.Ensure(context.Background(), js, streams.Config{})
	if err != nil {
		t.Fatalf("ensure: %v", err)
	}
	return &env{nc: nc, js: js, res: res, pub: streams.NewPublisher(js, nil)}
}

func ctxT(t testing.TB) context.Context {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	t.Cleanup(cancel)
	return ctx
}

// sysID is the 32-hex sys_id of incident n.
func sysID(n int) string { return fmt.Sprintf("%032x", n) }

func number(n int) string { return fmt.Sprintf("INC%07d", n) }

// ev builds a valid event of type typ about incident n, requested by a
// user holding roles.
func ev(id, typ string, n int, roles ...string) *event.Event {
	e := &event.Event{
		SpecVersion: event.SpecVersion,
		ID:          id,
		Source:      "https://contoso.service-now.com",
		Type:        typ,
		Time:        time.Date(2025, 6, 1, 12, 0, 0, 0, time.UTC),
		Data: event.Data{
			Incident:    event.Incident{SysID: sysID(n), Number: number(n), ShortDescription: "Outlook cannot connect"},
			RequestedBy: event.RequestedBy{UserName: "beth.anglin", Roles: roles},
		},
	}
	if roles == nil {
		e.Data.RequestedBy.Roles = []string{}
	}
	return e
}

func (e *env) publish(t testing.TB, evs ...*event.Event) {
	t.Helper()
	for _, x := range evs {
		if _, err := e.pub.Publish(context.Background(), x); err != nil {
			t.Fatalf("publish %s: %v", x.ID, err)
		}
	}
}

// publishAsync stores many events quickly.
func (e *env) publishAsync(t testing.TB, evs []*event.Event) {
	t.Helper()
	for _, x := range evs {
		body, err := x.Marshal()
		if err != nil {
			t.Fatal(err)
		}
		if _, err := e.js.PublishAsync(x.Subject(), body, jetstream.WithMsgID(x.ID)); err != nil {
			t.Fatalf("publish %s: %v", x.ID, err)
		}
	}
	select {
	case <-e.js.PublishAsyncComplete():
	case <-time.After(30 * time.Second):
		t.Fatal("async publishes not acknowledged")
	}
}

// publishRaw stores a body as is (an invalid event).
func (e *env) publishRaw(t testing.TB, subject string, body []byte) {
	t.Helper()
	if _, err := e.js.Publish(context.Background(), subject, body); err != nil {
		t.Fatalf("publish raw: %v", err)
	}
}

// deadLetter stores a dead letter of x as the worker does.
func (e *env) deadLetter(t testing.TB, x *event.Event, origSeq uint64, reason string) {
	t.Helper()
	body, err := x.Marshal()
	if err != nil {
		t.Fatal(err)
	}
	msg := &nats.Msg{Subject: streams.DLQSubject(x.Subject()), Data: body, Header: nats.Header{}}
	msg.Header.Set(streams.HeaderOrigSubject, x.Subject())
	msg.Header.Set(streams.HeaderOrigSeq, fmt.Sprint(origSeq))
	msg.Header.Set(streams.HeaderDeliveries, "6")
	msg.Header.Set(streams.HeaderErrorClass, "transient")
	msg.Header.Set(streams.HeaderReason, reason)
	msg.Header.Set(streams.HeaderFailedAt, time.Now().UTC().Format(time.RFC3339))
	msg.Header.Set(jetstream.MsgIDHeader, streams.DLQMsgID(origSeq))
	if _, err := e.js.PublishMsg(context.Background(), msg); err != nil {
		t.Fatalf("dead letter: %v", err)
	}
}

// replayed reads ESCALATOR and counts, for run, the stored messages by
// Nats-Msg-Id.
func (e *env) replayed(t testing.TB, run string) map[string]int {
	t.Helper()
	ctx := ctxT(t)
	info, err := e.res.Stream.Info(ctx)
	if err != nil {
		t.Fatal(err)
	}
	out := map[string]int{}
	if info.State.Msgs == 0 {
		return out
	}
	cons, err := e.js.OrderedConsumer(ctx, streams.StreamName, jetstream.OrderedConsumerConfig{})
	if err != nil {
		t.Fatal(err)
	}
	for {
		batch, err := cons.FetchNoWait(1000)
		if err != nil {
			t.Fatal(err)
		}
		last := uint64(0)
		for m := range batch.Messages() {
			meta, _ := m.Metadata()
			last = meta.Sequence.Stream
			if m.Headers().Get(HeaderReplay) == run {
				out[m.Headers().Get(jetstream.MsgIDHeader)]++
			}
		}
		if last == 0 || last >= info.State.LastSeq {
			return out
		}
	}
}

// recorder is a Reporter that keeps everything.
type recorder struct {
	mu      sync.Mutex
	total   []int
	skipped []uint64
	results []Result
}

func (r *recorder) Window(n int) { r.mu.Lock(); r.total = append(r.total, n); r.mu.Unlock() }
func (r *recorder) Skipped(s uint64) {
	r.mu.Lock()
	r.skipped = append(r.skipped, s)
	r.mu.Unlock()
}
func (r *recorder) Result(x Result) { r.mu.Lock(); r.results = append(r.results, x); r.mu.Unlock() }

func (r *recorder) seqs() []uint64 {
	var out []uint64
	for _, x := range r.results {
		out = append(out, x.Seq)
	}
	return out
}

// okPlanner decides "ok" for every event.
var okPlanner = PlannerFunc(func(context.Context, *event.Event) (Decision, error) {
	return Decision{Action: "ok", Summary: "fine"}, nil
})

func allOK() map[string]Planner {
	return map[string]Planner{event.TypeInsights: okPlanner, event.TypeEscalation: okPlanner, event.TypeUpdated: okPlanner}
}

func seqRange(from, to uint64) []uint64 {
	var out []uint64
	for s := from; s <= to; s++ {
		out = append(out, s)
	}
	return out
}

func permanent(msg string) error { return fault.Permanentf("%s", msg) }
