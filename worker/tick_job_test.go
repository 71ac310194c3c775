package worker

import (
	"context"
	"encoding/json"
	"errors"
	"log/slog"
	"strings"
	"sync/atomic"
	"testing"

	"github.com/nats-io/nats.go/jetstream"
	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/codes"
	sdkmetric "go.opentelemetry.io/otel/sdk/metric"
	"go.opentelemetry.io/otel/sdk/metric/metricdata"
	sdktrace "go.opentelemetry.io/otel/sdk/trace"
	"go.opentelemetry.io/otel/sdk/trace/tracetest"

	"github.com/escalator/escalator/internal/streams"
	"github.com/escalator/escalator/internal/testkit/logtest"
)

type jobResult struct{ Items int }

// jobEnv is a job of tick "test" on real NATS, with its metrics, spans and
// debug log captured.
type jobEnv struct {
	kv     jetstream.KeyValue
	reader *sdkmetric.ManualReader
	spans  *tracetest.InMemoryExporter
	log    *logtest.Buffer
	tp     *sdktrace.TracerProvider
	mp     *sdkmetric.MeterProvider
}

func newJobEnv(t *testing.T) *jobEnv {
	t.Helper()
	e := newEnv(t, streams.Config{})
	j := &jobEnv{kv: e.res.Leases, reader: sdkmetric.NewManualReader(), spans: tracetest.NewInMemoryExporter(), log: &logtest.Buffer{}}
	j.tp = sdktrace.NewTracerProvider(sdktrace.WithSyncer(j.spans))
	j.mp = sdkmetric.NewMeterProvider(sdkmetric.WithReader(j.reader))
	return j
}

func (e *jobEnv) job(t *testing.T, run func(context.Context, func() error) (jobResult, error)) *Job[jobResult] {
	t.Helper()
	j, err := NewJob(JobConfig[jobResult]{
		Tick: "test", Name: "test sync", Run: run, Leases: e.kv,
		Attributes: func(r jobResult) []attribute.KeyValue {
			return []attribute.KeyValue{attribute.Int("app.test.items", r.Items)}
		},
		Logger:        slog.New(slog.NewJSONHandler(e.log, &slog.HandlerOptions{Level: slog.LevelDebug})),
		MeterProvider: e.mp, TracerProvider: e.tp,
	})
	if err != nil {
		t.Fatal(err)
	}
	return j
}

// runs is escalator.job.runs by outcome, and the count of
// escalator.job.duration's recordings.
func (e *jobEnv) runs(t *testing.T) (map[string]int64, uint64) {
	t.Helper()
	var rm metricdata.ResourceMetrics
	if err := e.reader.Collect(context.Background(), &rm); err != nil {
		t.Fatal(err)
	}
	out, durations := map[string]int64{}, uint64(0)
	for _, sm := range rm.ScopeMetrics {
		for _, m := range sm.Metrics {
			switch d := m.Data.(type) {
			case metricdata.Sum[int64]:
				if m.Name != "escalator.job.runs" {
					continue
				}
				for _, dp := range d.DataPoints {
					if job, _ := dp.Attributes.Value(attrJob); job.AsString() != "test" {
						t.Errorf("run counted for job %q", job.AsString())
					}
					o, _ := dp.Attributes.Value(attrOutcome)
					out[o.AsString()] += dp.Value
				}
			case metricdata.Histogram[float64]:
				if m.Name == "escalator.job.duration" {
					for _, dp := range d.DataPoints {
						durations += dp.Count
					}
				}
			}
		}
	}
	return out, durations
}

// logged is the debug lines of msg.
func (e *jobEnv) logged(t *testing.T, msg string) []map[string]any {
	t.Helper()
	var out []map[string]any
	for _, l := range strings.Split(strings.TrimSpace(e.log.String()), "\n") {
		var rec map[string]any
		if json.Unmarshal([]byte(l), &rec) == nil && rec["msg"] == msg {
			out = append(out, rec)
		}
	}
	return out
}

func TestJobRunsUnderItsLease(t *testing.T) {
	e := newJobEnv(t)
	held := false
	j := e.job(t, func(ctx context.Context, progress func() error) (jobResult, error) {
		ent, err := e.kv.Get(ctx, LeaseKey("test"))
		held = err == nil && len(ent.Value()) > 0
		return jobResult{Items: 3}, progress()
	})
	if err := j.Handle(context.Background(), &Message{}); err != nil {
		t.Fatal(err)
	}
	if !held {
		t.Fatal("the run did not hold the lease lease.test")
	}
	if _, err := e.kv.Get(context.Background(), "lease.test"); !errors.Is(err, jetstream.ErrKeyNotFound) {
		t.Fatalf("lease not released: %v", err)
	}
	if runs, durations := e.runs(t); runs[JobOK] != 1 || len(runs) != 1 || durations != 1 {
		t.Fatalf("runs %v, %d durations; want one ok run", runs, durations)
	}
	spans := e.spans.GetSpans()
	if len(spans) != 1 || spans[0].Name != "test sync" || spans[0].Status.Code == codes.Error {
		t.Fatalf("spans %+v", spans)
	}
	if !hasAttr(spans[0].Attributes, attribute.Int("app.test.items", 3)) {
		t.Fatalf("span attributes %v", spans[0].Attributes)
	}
	if l := e.logged(t, "scheduled job ran"); len(l) != 1 || l[0]["job"] != "test" || l[0]["outcome"] != JobOK {
		t.Fatalf("run log %v", l)
	}
}

func TestJobSkipsWhileAnotherReplicaRuns(t *testing.T) {
	e := newJobEnv(t)
	entered, release := make(chan struct{}), make(chan struct{})
	other := e.job(t, func(context.Context, func() error) (jobResult, error) {
		close(entered)
		<-release
		return jobResult{}, nil
	})
	var ran atomic.Int64
	mine := e.job(t, func(context.Context, func() error) (jobResult, error) {
		ran.Add(1)
		return jobResult{}, nil
	})
	done := make(chan error, 1)
	go func() { done <- other.Handle(context.Background(), &Message{}) }()
	<-entered
	if err := mine.Handle(context.Background(), &Message{}); err != nil {
		t.Fatalf("a skipped tick must ack: %v", err)
	}
	if ran.Load() != 0 {
		t.Fatal("ran while another replica held the lease")
	}
	if l := e.logged(t, "job already running elsewhere; tick skipped"); len(l) != 1 || l[0]["lease"] != "lease.test" {
		t.Fatalf("skip log %v", l)
	}
	close(release)
	if err := <-done; err != nil {
		t.Fatal(err)
	}
	if runs, durations := e.runs(t); runs[JobSkipped] != 1 || runs[JobOK] != 1 || durations != 1 {
		t.Fatalf("runs %v, %d durations; want one skipped and one ok", runs, durations)
	}
}

func TestJobRunErrorIsCountedAndLogged(t *testing.T) {
	e := newJobEnv(t)
	boom := errors.New("graph unreachable")
	j := e.job(t, func(context.Context, func() error) (jobResult, error) { return jobResult{Items: 1}, boom })
	err := j.Handle(context.Background(), &Message{})
	if !errors.Is(err, boom) || err.Error() != "test sync: graph unreachable" {
		t.Fatalf("error %v, want the run's wrapped in the job's name", err)
	}
	if runs, durations := e.runs(t); runs[JobError] != 1 || len(runs) != 1 || durations != 1 {
		t.Fatalf("runs %v, %d durations; want one failed run", runs, durations)
	}
	spans := e.spans.GetSpans()
	if len(spans) != 1 || spans[0].Status.Code != codes.Error || spans[0].Status.Description != "test sync failed" || len(spans[0].Events) == 0 {
		t.Fatalf("spans %+v", spans)
	}
	if l := e.logged(t, "scheduled job ran"); len(l) != 1 || l[0]["outcome"] != JobError {
		t.Fatalf("run log %v", l)
	}
	if _, err := e.kv.Get(context.Background(), "lease.test"); !errors.Is(err, jetstream.ErrKeyNotFound) {
		t.Fatalf("lease of a failed run not released: %v", err)
	}
}

func TestForEachGoesOnAfterAFailure(t *testing.T) {
	first, second := errors.New("first"), errors.New("second")
	var did []int
	progress := 0
	err := ForEach(context.Background(), []int{1, 2, 3, 4}, func() error { progress++; return nil }, func(i int) error {
		did = append(did, i)
		switch i {
		case 2:
			return first
		case 3:
			return second
		}
		return nil
	})
	if !errors.Is(err, first) || len(did) != 4 || progress != 4 {
		t.Fatalf("err %v, did %v, progress %d", err, did, progress)
	}

	ctx, cancel := context.WithCancel(context.Background())
	did = nil
	err = ForEach(ctx, []int{1, 2, 3}, nil, func(i int) error {
		did = append(did, i)
		cancel()
		return nil
	})
	if err != nil || len(did) != 1 {
		t.Fatalf("after cancel: err %v, did %v", err, did)
	}
}

func TestNewJobValidates(t *testing.T) {
	e := newJobEnv(t)
	run := func(context.Context, func() error) (jobResult, error) { return jobResult{}, nil }
	tests := []struct {
		name string
		cfg  JobConfig[jobResult]
	}{
		{"no tick", JobConfig[jobResult]{Name: "n", Run: run, Leases: e.kv}},
		{"bad tick", JobConfig[jobResult]{Tick: "a.b", Name: "n", Run: run, Leases: e.kv}},
		{"no name", JobConfig[jobResult]{Tick: "t", Run: run, Leases: e.kv}},
		{"no run", JobConfig[jobResult]{Tick: "t", Name: "n", Leases: e.kv}},
		{"no lease bucket", JobConfig[jobResult]{Tick: "t", Name: "n", Run: run}},
		{"negative TTL", JobConfig[jobResult]{Tick: "t", Name: "n", Run: run, Leases: e.kv, LeaseTTL: -1}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if _, err := NewJob(tt.cfg); err == nil {
				t.Fatal("want an error")
			}
		})
	}
}

func hasAttr(attrs []attribute.KeyValue, want attribute.KeyValue) bool {
	for _, a := range attrs {
		if a == want {
			return true
		}
	}
	return false
}
