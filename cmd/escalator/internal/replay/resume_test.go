package replay

import (
	"context"
	"errors"
	"fmt"
	"sync/atomic"
	"testing"
	"time"

	"github.com/nats-io/nats.go/jetstream"

	"github.com/escalator/escalator/internal/event"
	"github.com/escalator/escalator/internal/streams"
)

// interrupter cancels the run after its n-th publish. With lostAck, the
// publish is stored but the run sees an error, like a crash before the ack
// came back.
type interrupter struct {
	next    Publisher
	n       int64
	lostAck bool
	cancel  context.CancelFunc
	count   atomic.Int64
}

func (p *interrupter) Publish(ctx context.Context, x *event.Event, opts ...streams.PublishOption) (*jetstream.PubAck, error) {
	ack, err := p.next.Publish(ctx, x, opts...)
	if p.count.Add(1) == p.n {
		p.cancel()
		if p.lostAck {
			return nil, context.Canceled
		}
	}
	return ack, err
}

func TestInterruptedReplayResumes(t *testing.T) {
	tests := []struct {
		name    string
		lostAck bool
	}{
		{"interrupted between events", false},
		{"interrupted before the ack", true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			e := newEnv(t)
			const total = 300
			var evs []*event.Event
			for i := 1; i <= total; i++ {
				typ := []string{event.TypeInsights, event.TypeEscalation, event.TypeUpdated}[i%3]
				evs = append(evs, ev(fmt.Sprintf("e%d", i), typ, i, roleInsights, roleAdmin))
			}
			e.publishAsync(t, evs)
			e.publish(t, ev("tick", event.TypeTickCases, 0)) // seq 301, never replayed

			run := "resume1"
			rctx, cancel := context.WithCancel(ctx(t))
			defer cancel()
			opts := Options{RunID: run, Source: Source{Kind: SourceStream}, SaveEvery: 10}
			_, err := Run(rctx, opts, Deps{JS: e.js, Publisher: &interrupter{next: e.pub, n: 137, lostAck: tt.lostAck, cancel: cancel}, Progress: e.res.Replay})
			if !errors.Is(err, context.Canceled) {
				t.Fatalf("interrupted run: %v, want context.Canceled", err)
			}
			rec, err := LoadRecord(ctx(t), e.res.Replay, run)
			if err != nil {
				t.Fatal(err)
			}
			wantPos := uint64(137)
			if tt.lostAck {
				wantPos = 136 // the unacknowledged event is not done
			}
			if rec.Position != wantPos || rec.Complete || rec.End != total+1 {
				t.Fatalf("record after interruption = %+v, want position %d of %d", rec, wantPos, total+1)
			}
			if got := len(e.replayed(t, run)); got != 137 {
				t.Fatalf("republished before the interruption = %d, want 137", got)
			}

			// More events arrive (including this run's own): not in the window.
			e.publish(t, ev("later", event.TypeInsights, 999, roleInsights))

			rep := &recorder{}
			sum, err := Run(ctx(t), Options{RunID: run, Resume: true}, Deps{JS: e.js, Publisher: e.pub, Progress: e.res.Replay, Reporter: rep})
			if err != nil {
				t.Fatalf("resume: %v", err)
			}
			got := e.replayed(t, run)
			if len(got) != total {
				t.Fatalf("republished = %d distinct, want %d", len(got), total)
			}
			for id, n := range got {
				if n != 1 {
					t.Errorf("%s stored %d times", id, n)
				}
			}
			if first := rep.results[0].Seq; first != wantPos+1 {
				t.Errorf("resume started at %d, want %d", first, wantPos+1)
			}
			wantDup := 0
			if tt.lostAck {
				wantDup = 1 // the republish whose ack was lost: JetStream drops the repeat
			}
			if !sum.Complete || !sum.Resumed || sum.Processed != total || sum.Filtered != 1 ||
				sum.Actions[ActionDuplicate] != wantDup || sum.Actions[ActionPublished] != total-wantDup || sum.Failed != 0 {
				t.Errorf("summary = %+v", sum)
			}
			// A complete run resumes to nothing.
			again, err := Run(ctx(t), Options{RunID: run, Resume: true}, Deps{JS: e.js, Publisher: e.pub, Progress: e.res.Replay})
			if err != nil || !again.Complete || len(e.replayed(t, run)) != total {
				t.Errorf("resuming a complete run: %+v, %v", again, err)
			}
		})
	}
}

func TestRunIDIsNotReused(t *testing.T) {
	e := newEnv(t)
	e.publish(t, ev("e1", event.TypeInsights, 1, roleInsights))
	deps := Deps{JS: e.js, Publisher: e.pub, Progress: e.res.Replay}
	opts := Options{RunID: "once", Source: Source{Kind: SourceStream}, IdleTimeout: 100 * time.Millisecond}
	if _, err := Run(ctx(t), opts, deps); err != nil {
		t.Fatal(err)
	}
	if _, err := Run(ctx(t), opts, deps); err == nil {
		t.Fatal("a second run under the same id started")
	}
	if _, err := Run(ctx(t), Options{RunID: "nope", Resume: true}, deps); !errors.Is(err, ErrNoRun) {
		t.Fatalf("resume of an unknown run = %v, want ErrNoRun", err)
	}
	if _, err := Run(ctx(t), Options{RunID: "once", Resume: true, DryRun: true}, deps); err == nil {
		t.Fatal("a dry run resumed")
	}
}

func TestRatePacesTheRun(t *testing.T) {
	// Only that a paced run completes and gets its events right: the pace
	// itself is not timed here.
	e := newEnv(t)
	for i := 1; i <= 5; i++ {
		e.publish(t, ev(fmt.Sprintf("e%d", i), event.TypeInsights, i, roleInsights))
	}
	sum, err := Run(ctx(t), Options{Source: Source{Kind: SourceStream}, DryRun: true, Rate: 1000, Roles: testRoles},
		Deps{JS: e.js, Planners: allOK()})
	if err != nil || sum.Actions["ok"] != 5 {
		t.Fatalf("paced run: %+v, %v", sum, err)
	}
}
