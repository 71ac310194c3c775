package explain

import (
	"context"
	"fmt"
	"net/http/httptest"
	"strconv"
	"testing"
	"time"

	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"

	"github.com/escalator/escalator/internal/event"
	"github.com/escalator/escalator/internal/eventindex"
	"github.com/escalator/escalator/internal/servicenow"
	"github.com/escalator/escalator/internal/streams"
	"github.com/escalator/escalator/internal/testkit/sim"
	"github.com/escalator/escalator/internal/testkit/simuser"
	"github.com/escalator/escalator/internal/testkit/testserver"
)

const (
	ourSysID  = sim.DefaultIncidentSysID
	ourNumber = sim.DefaultIncidentNumber
	traceHex  = "4bf92f3577b34da6a3ce929d0e0e4736"
)

func ctxT(t testing.TB) context.Context {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	t.Cleanup(cancel)
	return ctx
}

// fixture is a private NATS with Escalator's streams, and a publisher that
// indexes (index true) or not.
type fixture struct {
	js     jetstream.JetStream
	pub    eventindex.Inner
	noised int
}

func newFixture(t testing.TB, index bool) *fixture {
	t.Helper()
	_, js := testserver.Connect(t, testserver.NATS(t))
	ctx := ctxT(t)
	if _, err := streams.Ensure(ctx, js, streams.Config{}); err != nil {
		t.Fatal(err)
	}
	f := &fixture{js: js, pub: streams.NewPublisher(js, nil)}
	if index {
		ix, err := eventindex.Ensure(ctx, js, eventindex.Config{})
		if err != nil {
			t.Fatal(err)
		}
		f.pub = eventindex.NewPublisher(f.pub, ix, nil)
	}
	return f
}

func testEvent(id, typ, sysID, number string) *event.Event {
	return &event.Event{
		SpecVersion: event.SpecVersion, ID: id, Source: "https://contoso.service-now.com", Type: typ,
		Time:        time.Now().UTC(),
		TraceParent: "00-" + traceHex + "-00f067aa0ba902b7-01",
		Data: event.Data{
			Incident:    event.Incident{SysID: sysID, Number: number},
			RequestedBy: event.RequestedBy{UserName: "beth.anglin"},
		},
	}
}

// publish stores an event and returns its sequence.
func (f *fixture) publish(t testing.TB, ev *event.Event) uint64 {
	t.Helper()
	ack, err := f.pub.Publish(ctxT(t), ev)
	if err != nil {
		t.Fatal(err)
	}
	return ack.Sequence
}

// noise publishes n events of other incidents.
func (f *fixture) noise(t testing.TB, n int) {
	t.Helper()
	for range n {
		f.noised++
		i := f.noised
		f.publish(t, testEvent(fmt.Sprintf("noise-%d", i), event.TypeUpdated, fmt.Sprintf("%032x", i), fmt.Sprintf("INC%07d", 5000000+i)))
	}
}

// deadLetter stores a dead letter of the event at seq as the worker does.
func (f *fixture) deadLetter(t testing.TB, ev *event.Event, seq uint64, reason string) {
	t.Helper()
	body, _ := ev.Marshal()
	h := nats.Header{}
	h.Set(jetstream.MsgIDHeader, streams.DLQMsgID(seq))
	h.Set(streams.HeaderOrigSubject, ev.Subject())
	h.Set(streams.HeaderOrigSeq, strconv.FormatUint(seq, 10))
	h.Set(streams.HeaderDeliveries, "6")
	h.Set(streams.HeaderErrorClass, "transient")
	h.Set(streams.HeaderReason, reason)
	if _, err := f.js.PublishMsg(ctxT(t), &nats.Msg{Subject: streams.DLQSubject(ev.Subject()), Header: h, Data: body}); err != nil {
		t.Fatal(err)
	}
}

// simServiceNow is the simulator's ServiceNow, through the real client
// (basic auth: the integration user is "admin"), and its URL.
func simServiceNow(t testing.TB) (string, *servicenow.Client) {
	t.Helper()
	s := sim.New(sim.Config{})
	hs := httptest.NewServer(s.Handler())
	t.Cleanup(hs.Close)
	c, err := servicenow.New(servicenow.Config{BaseURL: hs.URL, Username: "admin", Password: "admin"})
	if err != nil {
		t.Fatal(err)
	}
	return hs.URL, c
}

// workNoteAs adds a work note to incident sysID as user, as a click in the
// instance would.
func workNoteAs(t testing.TB, base, user, sysID, text string) {
	t.Helper()
	simuser.Update(t, base, user, "incident", sysID, map[string]string{"work_notes": text})
}

func explainT(t testing.TB, d Deps, q Query) *Report {
	t.Helper()
	r, err := Explain(ctxT(t), d, q)
	if err != nil {
		t.Fatal(err)
	}
	return r
}

func sourceOf(r *Report, name string) Source {
	for _, s := range r.Sources {
		if s.Name == name {
			return s
		}
	}
	return Source{}
}
