package replay

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/nats-io/nats.go/jetstream"

	"github.com/escalator/escalator/internal/event"
	"github.com/escalator/escalator/internal/streams"
	"github.com/escalator/escalator/rolegate"
	"github.com/escalator/escalator/worker"
)

// decisions records what the real handlers decided, by event id.
type decisions struct {
	mu sync.Mutex
	m  map[string]string
}

func (d *decisions) set(id, action string) {
	d.mu.Lock()
	defer d.mu.Unlock()
	d.m[id] = action
}

func (d *decisions) len() int {
	d.mu.Lock()
	defer d.mu.Unlock()
	return len(d.m)
}

// refusalNotes is the role gate's work note writer: each refusal is the
// gate's decision "refused".
type refusalNotes struct{ d *decisions }

func (n refusalNotes) AddWorkNoteOnce(_ context.Context, _, key, _ string) (bool, error) {
	n.d.set(strings.TrimPrefix(key, "refused-"), ActionRefused)
	return true, nil
}

// fakeHandlers are stand-ins for the escalation, insights and update
// handlers that, like the real ones, take their decision from one function
// shared by Handle and Plan, over the real KV buckets.
type fakeHandlers struct {
	cases, digests jetstream.KeyValue
	got            *decisions
}

func digestOf(x *event.Event) string {
	sum := sha256.Sum256([]byte(x.Data.Incident.ShortDescription))
	return hex.EncodeToString(sum[:8])
}

func (f fakeHandlers) decide(ctx context.Context, x *event.Event) (Decision, error) {
	sys := x.Data.Incident.SysID
	switch x.Type {
	case event.TypeEscalation:
		e, err := f.cases.Get(ctx, sys)
		if errors.Is(err, jetstream.ErrKeyNotFound) {
			return Decision{Action: "open", Summary: "would open a case for " + x.Data.Incident.Number}, nil
		} else if err != nil {
			return Decision{}, err
		}
		return Decision{Action: "already", Summary: "already case " + string(e.Value())}, nil
	case event.TypeInsights:
		e, err := f.digests.Get(ctx, sys)
		if err == nil && string(e.Value()) == digestOf(x) {
			return Decision{Action: "unchanged"}, nil
		} else if err != nil && !errors.Is(err, jetstream.ErrKeyNotFound) {
			return Decision{}, err
		}
		return Decision{Action: "post"}, nil
	case event.TypeUpdated:
		if _, err := f.cases.Get(ctx, sys); errors.Is(err, jetstream.ErrKeyNotFound) {
			return Decision{Action: "nothing", Summary: "no case"}, nil
		} else if err != nil {
			return Decision{}, err
		}
		return Decision{Action: "sync"}, nil
	}
	return Decision{}, fmt.Errorf("unexpected type %s", x.Type)
}

// Handle decides, records the decision and applies it.
func (f fakeHandlers) Handle(ctx context.Context, m *worker.Message) error {
	x := m.Event
	d, err := f.decide(ctx, x)
	if err != nil {
		return err
	}
	switch d.Action {
	case "open":
		_, err = f.cases.Create(ctx, x.Data.Incident.SysID, []byte("CASE-"+x.Data.Incident.Number))
	case "post":
		_, err = f.digests.Put(ctx, x.Data.Incident.SysID, []byte(digestOf(x)))
	}
	if err != nil {
		return err
	}
	f.got.set(x.ID, d.Action)
	return nil
}

// TestDryRunMatchesRealDecisions replays 10,000 mixed events twice: a dry
// run, then a real run whose republished events go through the worker, the
// role gate and the handlers. Every event's dry-run decision is the one the
// handlers then take. Each incident has one event, so no event's decision
// depends on another of the run (see Result.Repeat). The full 10,000 run
// without -race and -short.
func TestDryRunMatchesRealDecisions(t *testing.T) {
	total := 10_000 // about 7 s
	switch {
	case testing.Short():
		total = 1_000
	case raceEnabled:
		total = 1_000 // the race detector makes 10,000 take 40 s
	}
	e := newEnv(t)
	ctx := ctxT(t)
	got := &decisions{m: map[string]string{}}
	fh := fakeHandlers{cases: e.res.Cases, digests: e.res.Insights, got: got}

	types := []string{event.TypeInsights, event.TypeEscalation, event.TypeUpdated}
	var evs []*event.Event
	invalid := map[uint64]bool{}
	for i := 1; i <= total; i++ {
		if i%97 == 0 {
			invalid[uint64(i)] = true
			evs = append(evs, nil)
			continue
		}
		typ := types[i%3]
		roles := []string{roleInsights, roleAdmin}
		if i%10 == 0 {
			roles = []string{"itil"}
		}
		x := ev(fmt.Sprintf("ev-%05d", i), typ, i, roles...)
		x.Data.Incident.ShortDescription = fmt.Sprintf("Teams calls drop %d", i%7)
		evs = append(evs, x)
		// The state the events meet: a case for a quarter of the
		// incidents, the current or an older insights digest for others.
		switch {
		case typ != event.TypeInsights && i%4 == 0:
			if _, err := e.res.Cases.Put(ctx, x.Data.Incident.SysID, []byte("CASE-old")); err != nil {
				t.Fatal(err)
			}
		case typ == event.TypeInsights && i%4 == 0:
			if _, err := e.res.Insights.Put(ctx, x.Data.Incident.SysID, []byte(digestOf(x))); err != nil {
				t.Fatal(err)
			}
		case typ == event.TypeInsights && i%4 == 1:
			if _, err := e.res.Insights.Put(ctx, x.Data.Incident.SysID, []byte("older")); err != nil {
				t.Fatal(err)
			}
		}
	}
	for i, x := range evs {
		if x != nil {
			body, _ := x.Marshal()
			_, err := e.js.PublishAsync(x.Subject(), body, jetstream.WithMsgID(x.ID))
			if err != nil {
				t.Fatal(err)
			}
			continue
		}
		body := fmt.Sprintf(`{"specversion":"1.0","id":"bad-%d","type":%q,"data":{"incident":{"number":%q}}}`, i+1, event.TypeEscalation, number(i+1))
		if _, err := e.js.PublishAsync(event.SubjectEscalation, []byte(body)); err != nil {
			t.Fatal(err)
		}
	}
	select {
	case <-e.js.PublishAsyncComplete():
	case <-time.After(30 * time.Second):
		t.Fatal("events not stored")
	}

	planners := map[string]Planner{}
	for _, typ := range types {
		planners[typ] = PlannerFunc(fh.decide)
	}
	dry := &recorder{}
	dsum, err := Run(ctx, Options{Source: Source{Kind: SourceStream}, DryRun: true, Roles: testRoles},
		Deps{JS: e.js, Planners: planners, Reporter: dry})
	if err != nil {
		t.Fatal(err)
	}
	if len(dry.results) != total || dsum.Processed != total {
		t.Fatalf("dry run reported %d events, want %d", len(dry.results), total)
	}

	// The real run, consumed by a worker from the first republished event.
	real := &recorder{}
	rsum, err := Run(ctx, Options{RunID: "decisions", Source: Source{Kind: SourceStream}},
		Deps{JS: e.js, Publisher: e.pub, Progress: e.res.Replay, Reporter: real})
	if err != nil {
		t.Fatal(err)
	}
	published := rsum.Actions[ActionPublished]
	if published != total-len(invalid) || rsum.Actions[ActionInvalid] != len(invalid) {
		t.Fatalf("real run = %+v", rsum)
	}
	cons, err := e.js.CreateOrUpdateConsumer(ctx, streams.StreamName, jetstream.ConsumerConfig{
		Durable: "decisions", DeliverPolicy: jetstream.DeliverByStartSequencePolicy, OptStartSeq: uint64(total) + 1,
		AckPolicy: jetstream.AckExplicitPolicy, AckWait: 30 * time.Second, MaxAckPending: 512,
	})
	if err != nil {
		t.Fatal(err)
	}
	gate := func(role string) worker.Handler {
		g, err := rolegate.New(rolegate.Config{Roles: []string{role}, Source: rolegate.PayloadRoles{}, Notes: refusalNotes{got}, Logger: slog.New(slog.NewTextHandler(io.Discard, nil))}, fh)
		if err != nil {
			t.Fatal(err)
		}
		return g
	}
	w, err := worker.New(cons, e.js, map[string]worker.Handler{
		event.SubjectInsights:   gate(roleInsights),
		event.SubjectEscalation: gate(roleAdmin),
		event.SubjectUpdate:     fh,
	}, worker.Config{Concurrency: 64, Logger: slog.New(slog.NewTextHandler(io.Discard, nil))})
	if err != nil {
		t.Fatal(err)
	}
	wctx, stop := context.WithCancel(ctx)
	done := make(chan error, 1)
	go func() { done <- w.Run(wctx) }()
	deadline := time.Now().Add(45 * time.Second)
	for got.len() < published && time.Now().Before(deadline) {
		time.Sleep(20 * time.Millisecond) // polling for the worker, not waiting out a delay
	}
	stop()
	if err := <-done; err != nil && !errors.Is(err, context.Canceled) {
		t.Fatalf("worker: %v", err)
	}
	if n := got.len(); n != published {
		t.Fatalf("the handlers decided %d events, want %d", n, published)
	}

	counts := map[string]int{}
	for i, d := range dry.results {
		r := real.results[i]
		if d.Seq != r.Seq || d.ID != r.ID {
			t.Fatalf("result %d: dry %+v and real %+v are not the same event", i, d, r)
		}
		want := d.Action
		have := got.m[d.ID]
		if invalid[d.Seq] {
			have = r.Action // never republished: the real run reports it invalid
		}
		if have != want {
			t.Errorf("event %s (seq %d): dry run said %q, the handlers did %q", d.ID, d.Seq, want, have)
		}
		counts[want]++
	}
	// Every kind of decision was exercised.
	for _, a := range []string{"open", "already", "post", "unchanged", "sync", "nothing", ActionRefused, ActionInvalid} {
		if counts[a] == 0 {
			t.Errorf("no %q decision among the events: %v", a, counts)
		}
	}
	t.Logf("decisions: %v", counts)
}
