package replay

import (
	"context"
	"errors"
	"fmt"
	"reflect"
	"strings"
	"sync/atomic"
	"testing"

	"github.com/nats-io/nats.go/jetstream"

	"github.com/escalator/escalator/internal/event"
	"github.com/escalator/escalator/internal/streams"
)

// flakyPublisher fails every publish from the failAt-th on (1-based; 0
// never), as JetStream does when it cannot acknowledge, and passes the
// others to next.
type flakyPublisher struct {
	next   Publisher
	failAt int64
	n      atomic.Int64
}

func (p *flakyPublisher) Publish(ctx context.Context, x *event.Event, opts ...streams.PublishOption) (*jetstream.PubAck, error) {
	if n := p.n.Add(1); p.failAt > 0 && n >= p.failAt {
		return nil, fmt.Errorf("publish event %s: %w: %w", x.ID, streams.ErrUnavailable, jetstream.ErrNoStreamResponse)
	}
	return p.next.Publish(ctx, x, opts...)
}

func (e *env) dlqSeqs(t *testing.T) []uint64 {
	t.Helper()
	dls, err := ListDeadLetters(ctx(t), e.js, 0)
	if err != nil {
		t.Fatal(err)
	}
	var out []uint64
	for _, d := range dls {
		out = append(out, d.Seq)
	}
	return out
}

func TestListAndShowDeadLetters(t *testing.T) {
	e := newEnv(t)
	if dls, err := ListDeadLetters(ctx(t), e.js, 0); err != nil || len(dls) != 0 {
		t.Fatalf("empty DLQ: %v, %v", dls, err)
	}
	e.deadLetter(t, ev("x1", event.TypeEscalation, 1, roleAdmin), 11, "create ticket: 503 Service Unavailable")
	e.deadLetter(t, ev("i2", event.TypeInsights, 2, roleInsights), 12, "graph: 403")
	dls, err := ListDeadLetters(ctx(t), e.js, 0)
	if err != nil {
		t.Fatal(err)
	}
	if len(dls) != 2 {
		t.Fatalf("dead letters = %+v", dls)
	}
	d := dls[0]
	if d.Seq != 1 || d.Subject != event.SubjectEscalation || d.OrigSeq != 11 || d.EventID != "x1" ||
		d.Incident != number(1) || d.Deliveries != 6 || d.Class != "transient" ||
		d.Reason != "create ticket: 503 Service Unavailable" || d.FailedAt.IsZero() || d.Time.IsZero() {
		t.Errorf("dead letter = %+v", d)
	}
	if one, _ := ListDeadLetters(ctx(t), e.js, 1); len(one) != 1 {
		t.Errorf("limit 1 gave %d", len(one))
	}
	got, err := GetDeadLetter(ctx(t), e.js, 2)
	if err != nil {
		t.Fatal(err)
	}
	if got.EventID != "i2" || got.Reason != "graph: 403" || got.Header.Get(streams.HeaderOrigSeq) != "12" || !strings.Contains(string(got.Data), `"id":"i2"`) {
		t.Errorf("show = %+v", got)
	}
	if _, err := GetDeadLetter(ctx(t), e.js, 9); !errors.Is(err, ErrNoDeadLetter) {
		t.Errorf("show missing = %v, want ErrNoDeadLetter", err)
	}
}

func TestDLQReplayDeletesOnlyAfterAck(t *testing.T) {
	tests := []struct {
		name        string
		failAt      int64
		wantLeft    []uint64
		wantRepub   int
		wantRunErr  bool
		wantDeleted int
	}{
		{"all acked", 0, nil, 5, false, 5},
		{"first publish fails", 1, []uint64{1, 2, 3, 4, 5}, 0, true, 0},
		{"third publish fails", 3, []uint64{3, 4, 5}, 2, true, 2},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			e := newEnv(t)
			for i := 1; i <= 5; i++ {
				e.deadLetter(t, ev(fmt.Sprintf("x%d", i), event.TypeEscalation, i, roleAdmin), uint64(i), "503")
			}
			run := "dlq" + fmt.Sprint(tt.failAt)
			rec := &recorder{}
			sum, err := Run(ctx(t), Options{RunID: run, Source: Source{Kind: SourceDLQ}},
				Deps{JS: e.js, Publisher: &flakyPublisher{next: e.pub, failAt: tt.failAt}, Progress: e.res.Replay, Reporter: rec})
			if (err != nil) != tt.wantRunErr {
				t.Fatalf("run error = %v, want error %t", err, tt.wantRunErr)
			}
			if err != nil && !errors.Is(err, streams.ErrUnavailable) {
				t.Errorf("run error = %v, want it to wrap ErrUnavailable", err)
			}
			if got := e.dlqSeqs(t); !reflect.DeepEqual(got, tt.wantLeft) {
				t.Fatalf("dead letters left = %v, want %v", got, tt.wantLeft)
			}
			if got := len(e.replayed(t, run)); got != tt.wantRepub {
				t.Errorf("republished = %d, want %d", got, tt.wantRepub)
			}
			deleted := 0
			for _, r := range rec.results {
				if r.Deleted {
					deleted++
				}
			}
			if deleted != tt.wantDeleted {
				t.Errorf("deleted = %d, want %d", deleted, tt.wantDeleted)
			}
			if tt.wantRunErr && sum.Failed != 1 {
				t.Errorf("failed = %d, want 1", sum.Failed)
			}
			if !tt.wantRunErr {
				return
			}
			// After the fix, the same run finishes the DLQ: each dead letter
			// republished exactly once, and none left.
			sum, err = Run(ctx(t), Options{RunID: run, Resume: true}, Deps{JS: e.js, Publisher: e.pub, Progress: e.res.Replay})
			if err != nil {
				t.Fatalf("resume: %v", err)
			}
			if left := e.dlqSeqs(t); len(left) != 0 {
				t.Errorf("dead letters left after resume = %v", left)
			}
			got := e.replayed(t, run)
			if len(got) != 5 {
				t.Errorf("republished after resume = %v, want 5", got)
			}
			for id, n := range got {
				if n != 1 {
					t.Errorf("%s stored %d times", id, n)
				}
			}
			if !sum.Complete || sum.Failed != 0 || sum.Actions[ActionPublished] != 5 {
				t.Errorf("summary after resume = %+v", sum)
			}
		})
	}
}

func TestDLQDryRunDeletesNothing(t *testing.T) {
	e := newEnv(t)
	for i := 1; i <= 3; i++ {
		e.deadLetter(t, ev(fmt.Sprintf("x%d", i), event.TypeEscalation, i, roleAdmin), uint64(i), "503")
	}
	rec, sum := e.dryRun(t, Source{Kind: SourceDLQ}, Filter{}, allOK())
	if got := rec.seqs(); !reflect.DeepEqual(got, []uint64{1, 2, 3}) || sum.Actions["ok"] != 3 {
		t.Fatalf("dry run = %v %+v", got, sum)
	}
	if got := e.dlqSeqs(t); len(got) != 3 {
		t.Errorf("dead letters = %v, want all 3", got)
	}
	if keys, _ := e.res.Replay.ListKeys(ctx(t)); keys != nil {
		for k := range keys.Keys() {
			t.Errorf("a dry run saved progress %s", k)
		}
	}
}
