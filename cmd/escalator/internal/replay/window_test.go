package replay

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/nats-io/nats.go/jetstream"

	"github.com/escalator/escalator/internal/event"
)

// dryRun runs a dry run over src with filter and returns the results.
func (e *env) dryRun(t *testing.T, src Source, filter Filter, planners map[string]Planner) (*recorder, Summary) {
	t.Helper()
	rec := &recorder{}
	sum, err := Run(ctx(t), Options{Source: src, Filter: filter, DryRun: true, Roles: testRoles, IdleTimeout: 200 * time.Millisecond},
		Deps{JS: e.js, Planners: planners, Reporter: rec})
	if err != nil {
		t.Fatalf("dry run: %v", err)
	}
	return rec, sum
}

func ctx(t *testing.T) context.Context { return ctxT(t) }

func TestStreamWindow(t *testing.T) {
	e := newEnv(t)
	for i := 1; i <= 20; i++ {
		e.publish(t, ev(fmt.Sprintf("e%d", i), event.TypeInsights, i, roleInsights))
	}
	stored := func(seq uint64) time.Time {
		t.Helper()
		m, err := e.res.Stream.GetMsg(ctx(t), seq)
		if err != nil {
			t.Fatal(err)
		}
		return m.Time
	}
	tests := []struct {
		name string
		src  Source
		want []uint64
	}{
		{"everything", Source{Kind: SourceStream}, seqRange(1, 20)},
		{"from-seq to-seq", Source{Kind: SourceStream, FromSeq: 5, ToSeq: 9}, seqRange(5, 9)},
		{"from-seq to the end", Source{Kind: SourceStream, FromSeq: 15}, seqRange(15, 20)},
		{"to-seq beyond the end", Source{Kind: SourceStream, FromSeq: 18, ToSeq: 99}, seqRange(18, 20)},
		{"from-seq beyond the end", Source{Kind: SourceStream, FromSeq: 21}, nil},
		{"since until", Source{Kind: SourceStream, Since: stored(8), Until: stored(12)}, seqRange(8, 12)},
		{"since", Source{Kind: SourceStream, Since: stored(17)}, seqRange(17, 20)},
		{"until", Source{Kind: SourceStream, Until: stored(3)}, seqRange(1, 3)},
		{"since after the last", Source{Kind: SourceStream, Since: stored(20).Add(time.Second)}, nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			rec, sum := e.dryRun(t, tt.src, Filter{}, allOK())
			if got := rec.seqs(); !reflect.DeepEqual(got, tt.want) {
				t.Fatalf("seqs = %v, want %v", got, tt.want)
			}
			if !sum.Complete || sum.Processed != len(tt.want) || sum.Actions["ok"] != len(tt.want) {
				t.Errorf("summary = %+v", sum)
			}
		})
	}
	// The progress bar's size: known at once for a window by sequence,
	// from the first event for one by time.
	for _, w := range []struct {
		src  Source
		want []int
	}{
		{Source{Kind: SourceStream}, []int{20}},
		{Source{Kind: SourceStream, FromSeq: 5, ToSeq: 9}, []int{5}},
		{Source{Kind: SourceStream, Since: stored(17)}, []int{4}},
	} {
		if rec, _ := e.dryRun(t, w.src, Filter{}, allOK()); !reflect.DeepEqual(rec.total, w.want) {
			t.Errorf("window of %+v = %v, want %v", w.src, rec.total, w.want)
		}
	}
}

func TestWindowEndsAtTheStartingLastSeq(t *testing.T) {
	e := newEnv(t)
	for i := 1; i <= 5; i++ {
		e.publish(t, ev(fmt.Sprintf("e%d", i), event.TypeInsights, i, roleInsights))
	}
	// A planner that publishes while the run reads: what arrives after the
	// start is not in the window.
	n := 100
	grow := PlannerFunc(func(ctx context.Context, x *event.Event) (Decision, error) {
		n++
		_, err := e.pub.Publish(ctx, ev(fmt.Sprintf("late%d", n), event.TypeInsights, n, roleInsights))
		return Decision{Action: "ok"}, err
	})
	rec := &recorder{}
	_, err := Run(ctx(t), Options{Source: Source{Kind: SourceStream}, DryRun: true, Roles: testRoles, Concurrency: 1},
		Deps{JS: e.js, Planners: map[string]Planner{event.TypeInsights: grow}, Reporter: rec})
	if err != nil {
		t.Fatal(err)
	}
	if got := rec.seqs(); !reflect.DeepEqual(got, seqRange(1, 5)) {
		t.Fatalf("seqs = %v, want 1..5", got)
	}
}

func TestFilters(t *testing.T) {
	e := newEnv(t)
	e.publish(t,
		ev("i1", event.TypeInsights, 1, roleInsights),   // 1
		ev("x1", event.TypeEscalation, 1, roleAdmin),    // 2
		ev("u1", event.TypeUpdated, 1),                  // 3
		ev("i2", event.TypeInsights, 2, roleInsights),   // 4
		ev("x2", event.TypeEscalation, 2, roleAdmin),    // 5
		ev("tick", event.TypeTickCases, 0),              // 6: never replayed
		ev("x3", event.TypeEscalation, 3, "other.role"), // 7
	)
	e.publishRaw(t, event.SubjectEscalation, []byte(`{"type":"`+event.TypeEscalation+`","data":{"incident":{"number":"INC0000002"}}}`)) // 8: invalid
	tests := []struct {
		name   string
		filter Filter
		want   []uint64
	}{
		{"none", Filter{}, []uint64{1, 2, 3, 4, 5, 7, 8}},
		{"escalation", Filter{Types: []string{event.TypeEscalation}}, []uint64{2, 5, 7, 8}},
		{"insights and update", Filter{Types: []string{event.TypeInsights, event.TypeUpdated}}, []uint64{1, 3, 4}},
		{"incident number", Filter{Incident: number(2)}, []uint64{4, 5, 8}},
		{"incident sys_id", Filter{Incident: sysID(1)}, []uint64{1, 2, 3}},
		{"incident lower case", Filter{Incident: strings.ToLower(number(1))}, []uint64{1, 2, 3}},
		{"type and incident", Filter{Types: []string{event.TypeEscalation}, Incident: number(1)}, []uint64{2}},
		{"nothing", Filter{Incident: "INC9999999"}, nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			rec, sum := e.dryRun(t, Source{Kind: SourceStream}, tt.filter, allOK())
			if got := rec.seqs(); !reflect.DeepEqual(got, tt.want) {
				t.Fatalf("seqs = %v, want %v", got, tt.want)
			}
			if sum.Read != 8 || sum.Filtered != 8-len(tt.want) || len(rec.skipped) != sum.Filtered {
				t.Errorf("read %d filtered %d skipped %d, want 8, %d", sum.Read, sum.Filtered, len(rec.skipped), 8-len(tt.want))
			}
		})
	}
}

func TestDryRunReportsEachDecision(t *testing.T) {
	e := newEnv(t)
	e.publish(t,
		ev("i1", event.TypeInsights, 1, roleInsights),
		ev("x1", event.TypeEscalation, 1, roleInsights), // lacks the admin role
		ev("u1", event.TypeUpdated, 1),
		ev("x2", event.TypeEscalation, 2, roleAdmin),
		ev("x2b", event.TypeEscalation, 2, roleAdmin), // same incident again
	)
	e.publishRaw(t, event.SubjectInsights, []byte(`{"specversion":"1.0"}`))
	planners := map[string]Planner{
		event.TypeInsights: PlannerFunc(func(context.Context, *event.Event) (Decision, error) {
			return Decision{Action: "post", Summary: "would post"}, nil
		}),
		event.TypeEscalation: PlannerFunc(func(_ context.Context, x *event.Event) (Decision, error) {
			return Decision{Action: "open", Summary: "would open a case for " + x.Data.Incident.Number}, nil
		}),
		// no planner for updates
	}
	rec, sum := e.dryRun(t, Source{Kind: SourceStream}, Filter{}, planners)
	want := []struct {
		action string
		repeat bool
		failed bool
		detail string
	}{
		{"post", false, false, "would post"},
		{ActionRefused, false, false, "does not have the role " + roleAdmin},
		{ActionUnplanned, false, false, event.TypeUpdated},
		{"open", false, false, "INC0000002"},
		{"open", true, false, "INC0000002"},
		{ActionInvalid, false, true, ""},
	}
	if len(rec.results) != len(want) {
		t.Fatalf("results = %+v", rec.results)
	}
	for i, w := range want {
		r := rec.results[i]
		if r.Action != w.action || r.Repeat != w.repeat || r.Failed() != w.failed || !strings.Contains(r.Detail, w.detail) {
			t.Errorf("result %d = %+v, want %+v", i, r, w)
		}
	}
	if !strings.Contains(rec.results[5].Error, "invalid event") {
		t.Errorf("invalid event error = %q, want the validation error", rec.results[5].Error)
	}
	if sum.Failed != 1 {
		t.Errorf("failed = %d, want 1", sum.Failed)
	}
}

func TestPlannerErrors(t *testing.T) {
	e := newEnv(t)
	e.publish(t, ev("x1", event.TypeEscalation, 1, roleAdmin), ev("x2", event.TypeEscalation, 2, roleAdmin))
	planners := map[string]Planner{event.TypeEscalation: PlannerFunc(func(_ context.Context, x *event.Event) (Decision, error) {
		if x.ID == "x1" {
			return Decision{}, permanent("escalation: bad sys_id")
		}
		return Decision{}, fmt.Errorf("read case: timeout")
	})}
	rec, sum := e.dryRun(t, Source{Kind: SourceStream}, Filter{}, planners)
	if got := []string{rec.results[0].Action, rec.results[1].Action}; !reflect.DeepEqual(got, []string{ActionInvalid, ActionError}) {
		t.Fatalf("actions = %v, want invalid (permanent) then error (transient)", got)
	}
	if sum.Failed != 2 {
		t.Errorf("failed = %d, want 2", sum.Failed)
	}
}

func TestOrderedConsumerLeavesTheDurableAlone(t *testing.T) {
	e := newEnv(t)
	for i := 1; i <= 30; i++ {
		e.publish(t, ev(fmt.Sprintf("e%d", i), event.TypeEscalation, i, roleAdmin))
	}
	// The workers have taken 10 and acked 7 of them.
	batch, err := e.res.Consumer.Fetch(10, jetstream.FetchMaxWait(time.Second))
	if err != nil {
		t.Fatal(err)
	}
	k := 0
	for m := range batch.Messages() {
		if k++; k <= 7 {
			if err := m.DoubleAck(ctx(t)); err != nil {
				t.Fatal(err)
			}
		}
	}
	info := func() jetstream.ConsumerInfo {
		t.Helper()
		i, err := e.res.Consumer.Info(ctx(t))
		if err != nil {
			t.Fatal(err)
		}
		// Compare sequences, not the pointers to their times.
		i.Delivered.Last, i.AckFloor.Last = nil, nil
		return *i
	}
	before := info()
	e.dryRun(t, Source{Kind: SourceStream}, Filter{}, allOK())
	e.dryRun(t, Source{Kind: SourceStream, FromSeq: 3, ToSeq: 12}, Filter{}, allOK())
	after := info()
	if before.Delivered != after.Delivered || before.AckFloor != after.AckFloor ||
		before.NumAckPending != after.NumAckPending || before.NumPending != after.NumPending ||
		before.NumRedelivered != after.NumRedelivered || before.NumWaiting != after.NumWaiting {
		t.Fatalf("durable consumer changed:\nbefore %+v\nafter  %+v", before, after)
	}

	// A real run adds its republished events to what the durable has
	// pending, and changes nothing else.
	rsum, err := Run(ctx(t), Options{Source: Source{Kind: SourceStream, ToSeq: 4}, IdleTimeout: 200 * time.Millisecond},
		Deps{JS: e.js, Publisher: e.pub, Progress: e.res.Replay})
	if err != nil || rsum.Actions[ActionPublished] != 4 {
		t.Fatalf("real run: %+v, %v", rsum, err)
	}
	// The server counts a consumer's pending messages asynchronously.
	real := info()
	for deadline := time.Now().Add(5 * time.Second); real.NumPending != before.NumPending+4 && time.Now().Before(deadline); {
		time.Sleep(10 * time.Millisecond)
		real = info()
	}
	if real.Delivered != before.Delivered || real.AckFloor != before.AckFloor || real.NumAckPending != before.NumAckPending ||
		real.NumPending != before.NumPending+4 {
		t.Fatalf("durable consumer after a real run:\nbefore %+v\nafter  %+v", before, real)
	}
}

func TestFileSource(t *testing.T) {
	lines := []string{}
	for i, x := range []*event.Event{
		ev("f1", event.TypeInsights, 1, roleInsights),
		ev("f2", event.TypeEscalation, 2, roleAdmin),
	} {
		b, _ := x.Marshal()
		lines = append(lines, string(b))
		if i == 0 {
			lines = append(lines, `{"specversion":"1.0","id":"bad","type":"`+event.TypeEscalation+`"}`)
		}
	}
	path := filepath.Join(t.TempDir(), "events.ndjson")
	if err := os.WriteFile(path, []byte(strings.Join(lines, "\n")+"\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	e := newEnv(t)
	rec, sum := e.dryRun(t, Source{Kind: SourceFile, File: path}, Filter{}, allOK())
	if got := rec.seqs(); !reflect.DeepEqual(got, []uint64{1, 2, 3}) {
		t.Fatalf("seqs = %v", got)
	}
	if r := rec.results[1]; r.Action != ActionInvalid || !strings.Contains(r.Error, "data: required") || r.ID != "bad" || r.Type != event.TypeEscalation {
		t.Errorf("invalid line = %+v", r)
	}
	if sum.Actions["ok"] != 2 || sum.Failed != 1 {
		t.Errorf("summary = %+v", sum)
	}

	// A real run publishes the valid ones.
	rsum, err := Run(ctx(t), Options{RunID: "file1", Source: Source{Kind: SourceFile, File: path}},
		Deps{JS: e.js, Publisher: e.pub, Progress: e.res.Replay})
	if err != nil {
		t.Fatal(err)
	}
	if rsum.Actions[ActionPublished] != 2 || rsum.Failed != 1 || !rsum.Complete {
		t.Errorf("real summary = %+v", rsum)
	}
	if got := e.replayed(t, "file1"); !reflect.DeepEqual(got, map[string]int{"replay-file1-f1": 1, "replay-file1-f2": 1}) {
		t.Errorf("republished = %v", got)
	}
}

func TestWindowWhoseLastMessagesWereDeleted(t *testing.T) {
	e := newEnv(t)
	for i := 1; i <= 6; i++ {
		e.publish(t, ev(fmt.Sprintf("e%d", i), event.TypeInsights, i, roleInsights))
	}
	for _, seq := range []uint64{3, 5, 6} {
		if err := e.res.Stream.DeleteMsg(ctx(t), seq); err != nil {
			t.Fatal(err)
		}
	}
	rec, sum := e.dryRun(t, Source{Kind: SourceStream}, Filter{}, allOK())
	if got := rec.seqs(); !reflect.DeepEqual(got, []uint64{1, 2, 4}) || !sum.Complete {
		t.Fatalf("seqs = %v (complete %t), want 1, 2, 4", got, sum.Complete)
	}
}
