package worker

import (
	"context"
	"errors"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/escalator/escalator/internal/event"
	"github.com/escalator/escalator/internal/fault"
	"github.com/escalator/escalator/internal/streams"
)

// reports records every Report call; failFirst makes the first one fail.
type reports struct {
	mu        sync.Mutex
	got       map[string][]Result
	failFirst bool
	calls     int
}

func (r *reports) Report(_ context.Context, msg *Message, res Result) error {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.calls++
	if r.failFirst && r.calls == 1 {
		return errors.New("outbox unreachable")
	}
	if r.got == nil {
		r.got = map[string][]Result{}
	}
	id := msg.Header.Get("Nats-Msg-Id")
	r.got[id] = append(r.got[id], res)
	return nil
}

func (r *reports) of(id string) []Result {
	r.mu.Lock()
	defer r.mu.Unlock()
	return append([]Result(nil), r.got[id]...)
}

func TestReporterToldEveryOutcomeBeforeSettle(t *testing.T) {
	e := newEnv(t, streams.Config{AckWait: 5 * time.Second})
	rep := &reports{}
	rec := &recorder{fn: func(_ context.Context, m *Message, _ int) error {
		switch m.Event.ID {
		case "refused-1":
			m.SetResult(ResultRefused, "Refused: abel.tuter does not hold escalator_administrator")
		case "failed-1":
			return fault.Permanentf("incident %s does not exist", m.Event.Data.Incident.Number)
		case "done-text-1":
			m.SetResult(ResultDone, "Escalated as Microsoft case 2612")
		}
		return nil
	}}
	e.start(t, map[string]Handler{event.SubjectInsights: rec}, Config{Reporter: rep})
	e.publish(t, "done-1", "done-text-1", "refused-1", "failed-1")
	eventually(t, 10*time.Second, "every message settled", func() bool { return e.settledAll(t) && e.dlqCount(t) == 1 })

	want := map[string]Result{
		"done-1":      {State: ResultDone},
		"done-text-1": {State: ResultDone, Text: "Escalated as Microsoft case 2612"},
		"refused-1":   {State: ResultRefused, Text: "Refused: abel.tuter does not hold escalator_administrator"},
	}
	for id, w := range want {
		if got := rep.of(id); len(got) != 1 || got[0] != w {
			t.Errorf("%s: reported %+v, want once %+v", id, got, w)
		}
	}
	failed := rep.of("failed-1")
	if len(failed) != 1 || failed[0].State != ResultFailed || !strings.Contains(failed[0].Text, "INC0010023 does not exist") {
		t.Errorf("failed-1: reported %+v, want once failed with the reason", failed)
	}
}

func TestReportFailureRetriesTheMessage(t *testing.T) {
	e := newEnv(t, streams.Config{AckWait: 5 * time.Second})
	rep := &reports{failFirst: true}
	rec := &recorder{}
	e.start(t, map[string]Handler{event.SubjectInsights: rec},
		Config{Reporter: rep, BackoffInitial: 10 * time.Millisecond, BackoffMax: 10 * time.Millisecond})
	e.publish(t, "retry-1")
	eventually(t, 10*time.Second, "message acked after the second report", func() bool {
		return len(rep.of("retry-1")) == 1 && e.settledAll(t)
	})
	if rec.count() != 2 {
		t.Fatalf("handler ran %d times, want 2 (the first report failed)", rec.count())
	}
}
