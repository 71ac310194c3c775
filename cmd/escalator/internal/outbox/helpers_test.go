package outbox

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/nats-io/nats-server/v2/server"
	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"

	"github.com/escalator/escalator/internal/event"
	"github.com/escalator/escalator/internal/outbound"
	"github.com/escalator/escalator/internal/servicenow"
	"github.com/escalator/escalator/internal/streams"
	"github.com/escalator/escalator/internal/testkit/sim"
	"github.com/escalator/escalator/internal/testkit/simuser"
	"github.com/escalator/escalator/internal/testkit/testserver"
	"github.com/escalator/escalator/internal/testkit/wait"
	"github.com/escalator/escalator/worker"
)

// env is a real NATS server with Escalator's streams and buckets, and the
// simulator standing in for the instance.
type env struct {
	sim  *sim.Server
	url  string
	snow *servicenow.Client
	ns   *server.Server
	nc   *nats.Conn
	js   jetstream.JetStream
	res  *streams.Resources
	pub  *streams.Publisher
}

const source = "https://contoso.service-now.com"

func newEnv(t testing.TB, scfg streams.Config, simOpts ...func(*sim.Config)) *env {
	t.Helper()
	var sc sim.Config
	for _, o := range simOpts {
		o(&sc)
	}
	s := sim.New(sc)
	ts := httptest.NewServer(s.Handler())
	t.Cleanup(ts.Close)
	e := &env{sim: s, url: ts.URL}
	// One attempt per call: a fault the test injects reaches the poller.
	hc := outbound.NewClient(outbound.Options{Name: "servicenow", MaxAttempts: 1})
	var err error
	e.snow, err = servicenow.New(servicenow.Config{BaseURL: ts.URL, Username: sim.DefaultServiceNowUser,
		Password: sim.DefaultServiceNowPassword, HTTPClient: hc})
	if err != nil {
		t.Fatal(err)
	}
	e.ns = testserver.NATS(t)
	e.nc, e.js = testserver.Connect(t, e.ns)
	if e.res, err = streams.Ensure(context.Background(), e.js, scfg); err != nil {
		t.Fatal(err)
	}
	e.pub = streams.NewPublisher(e.js, nil)
	return e
}

func ctxT(t testing.TB) context.Context {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	t.Cleanup(cancel)
	return ctx
}

func (e *env) poller(t testing.TB, mutate func(*PollerConfig)) *Poller {
	t.Helper()
	cfg := PollerConfig{Table: e.snow, Publisher: e.pub, Records: e.res.Outbox, Source: source}
	if mutate != nil {
		mutate(&cfg)
	}
	p, err := NewPoller(cfg)
	if err != nil {
		t.Fatal(err)
	}
	return p
}

func (e *env) reporter(t testing.TB) *Reporter {
	t.Helper()
	r, err := NewReporter(ReporterConfig{Table: e.snow, Records: e.res.Outbox})
	if err != nil {
		t.Fatal(err)
	}
	return r
}

// payloadOf is the data the update set writes for a request of typ.
func payloadOf(typ string) string {
	roles := map[string][]string{
		"insights":   {"itil", "escalator_insights_user"},
		"escalation": {"itil", "escalator_administrator"},
		"update":     {"itil"},
	}[typ]
	b, _ := json.Marshal(map[string]any{
		"incident":     map[string]string{"sys_id": sim.DefaultIncidentSysID, "number": sim.DefaultIncidentNumber, "short_description": "Outlook cannot connect"},
		"requested_by": map[string]any{"user_name": "someone.else", "roles": roles},
	})
	return string(b)
}

// insert writes an outbox row as user, the way a click in the instance
// does, and returns its sys_id.
func (e *env) insert(t testing.TB, user string, fields map[string]string) string {
	t.Helper()
	return simuser.Create(t, e.url, user, Table, fields)
}

// request inserts a well-formed row of typ as user.
func (e *env) request(t testing.TB, user, typ string) string {
	t.Helper()
	return e.insert(t, user, map[string]string{"u_type": typ, "u_incident": sim.DefaultIncidentSysID, "u_payload": payloadOf(typ)})
}

func (e *env) row(t testing.TB, id string) map[string]string {
	t.Helper()
	r, ok := e.sim.Record(Table, id)
	if !ok {
		t.Fatalf("row %s not found", id)
	}
	return r
}

// stored counts the events in ESCALATOR by Nats-Msg-Id, and returns the
// message of each id.
func (e *env) stored(t testing.TB) (map[string]int, map[string]*jetstream.RawStreamMsg) {
	t.Helper()
	ctx := ctxT(t)
	info, err := e.res.Stream.Info(ctx)
	if err != nil {
		t.Fatal(err)
	}
	n, msgs := map[string]int{}, map[string]*jetstream.RawStreamMsg{}
	for seq := info.State.FirstSeq; seq <= info.State.LastSeq && info.State.Msgs > 0; seq++ {
		m, err := e.res.Stream.GetMsg(ctx, seq)
		if err != nil {
			t.Fatalf("get seq %d: %v", seq, err)
		}
		if strings.HasPrefix(m.Subject, "escalator.tick.") {
			continue
		}
		id := m.Header.Get(jetstream.MsgIDHeader)
		n[id]++
		msgs[id] = m
	}
	return n, msgs
}

// eventually polls cond until it holds or the deadline passes (wait.For).
func eventually(t testing.TB, within time.Duration, what string, cond func() bool) {
	t.Helper()
	wait.For(t, within, what, cond)
}

func states(e *env, ids []string) map[string]int {
	n := map[string]int{}
	for _, id := range ids {
		r, _ := e.sim.Record(Table, id)
		n[r["u_state"]]++
	}
	return n
}

func fmtStates(n map[string]int) string { return fmt.Sprint(n) }

// workerMessage is the delivery of ev stored at seq, as the worker hands it
// to a Reporter.
func workerMessage(ev event.Event, seq uint64) *worker.Message {
	return &worker.Message{Subject: ev.Subject(), Event: &ev, StreamSeq: seq, NumDelivered: 1,
		Header: nats.Header{jetstream.MsgIDHeader: []string{ev.ID}}}
}

func result(state, text string) worker.Result {
	return worker.Result{State: worker.ResultState(state), Text: text}
}
