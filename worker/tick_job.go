package worker

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"time"

	"github.com/nats-io/nats.go/jetstream"
	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/codes"
	"go.opentelemetry.io/otel/metric"
	"go.opentelemetry.io/otel/trace"

	"github.com/escalator/escalator/internal/telemetry"
)

// A scheduled job is the handler of its tick: one run of its work under
// its lease. Job is what every such job does around its work — the lease
// (Exclusive's), the run's span and error, the run metrics and the run's log
// line — so that a job supplies only the run itself and what its result
// says.

// Outcomes of a job run, the values of the outcome attribute of
// escalator.job.runs.
const (
	JobOK    = "ok"
	JobError = "error"
	// JobSkipped is a tick that found another run holding the lease.
	JobSkipped = "skipped"
)

var attrJob = attribute.Key("job")

// JobConfig configures NewJob.
type JobConfig[R any] struct {
	// Tick is the name of the job's tick (TickCases, TickHealth): the job
	// attribute of the run metrics; the lease is LeaseKey(Tick). Required.
	Tick string
	// Name names a run in its span, its errors ("<Name>: …") and its span
	// status ("<Name> failed"), e.g. "case sync". Required.
	Name string
	// Run is one run of the job's work, without the lease; progress, when
	// not nil, is to be called between items (the tick's InProgress).
	// Required.
	Run func(ctx context.Context, progress func() error) (R, error)
	// Attributes are the span attributes of a run's result; optional.
	Attributes func(R) []attribute.KeyValue
	// Leases is the bucket of the lease; required. LeaseTTL defaults to
	// DefaultLeaseTTL.
	Leases   jetstream.KeyValue
	LeaseTTL time.Duration
	// Scope is the instrumentation scope of the run's span, the job's
	// package; default the worker's.
	Scope string
	// Logger defaults to discarding; MeterProvider and TracerProvider to
	// no-ops.
	Logger         *slog.Logger
	MeterProvider  metric.MeterProvider
	TracerProvider trace.TracerProvider
}

// Job is a scheduled job: the Handler of its tick. Create it with NewJob.
type Job[R any] struct {
	cfg      JobConfig[R]
	lease    *exclusive
	log      *slog.Logger
	tracer   trace.Tracer
	runs     metric.Int64Counter
	duration metric.Float64Histogram
}

// NewJob validates cfg and returns the job. Its metrics:
//
//	escalator.job.runs      runs, by job and outcome (ok, error, skipped)
//	escalator.job.duration  how long a run took, by job and outcome
func NewJob[R any](cfg JobConfig[R]) (*Job[R], error) {
	switch {
	case !validTickName(cfg.Tick):
		return nil, fmt.Errorf("job: tick name %q: want letters, digits, '-' or '_'", cfg.Tick)
	case cfg.Name == "":
		return nil, fmt.Errorf("job %s: the name of a run is empty", cfg.Tick)
	case cfg.Run == nil:
		return nil, errors.New(cfg.Name + ": the run is nil")
	}
	cfg.Logger = telemetry.OrDiscard(cfg.Logger)
	lease, err := newExclusive(LeaseConfig{KV: cfg.Leases, Key: LeaseKey(cfg.Tick), TTL: cfg.LeaseTTL, Logger: cfg.Logger})
	if err != nil {
		return nil, fmt.Errorf("%s: %w", cfg.Name, err)
	}
	tp, mp := cfg.TracerProvider, cfg.MeterProvider
	tp = telemetry.OrNoopTracer(tp)
	mp = telemetry.OrNoopMeter(mp)
	if cfg.Scope == "" {
		cfg.Scope = scope
	}
	j := &Job[R]{cfg: cfg, lease: lease, log: cfg.Logger, tracer: tp.Tracer(cfg.Scope)}
	m := mp.Meter(scope)
	if j.runs, err = m.Int64Counter("escalator.job.runs",
		metric.WithDescription("Runs of the scheduled jobs, by job and outcome (ok, error, skipped: another replica's run held the lease)."),
		metric.WithUnit("{run}")); err != nil {
		return nil, fmt.Errorf("%s: metric escalator.job.runs: %w", cfg.Name, err)
	}
	if j.duration, err = m.Float64Histogram("escalator.job.duration",
		metric.WithDescription("How long a run of a scheduled job took, by job and outcome."),
		metric.WithUnit("s"),
		metric.WithExplicitBucketBoundaries(0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 120, 300, 600)); err != nil {
		return nil, fmt.Errorf("%s: metric escalator.job.duration: %w", cfg.Name, err)
	}
	return j, nil
}

// Handle runs the job once for a tick, unless another replica's run holds
// the lease: then the tick is acked, that run does the work.
func (j *Job[R]) Handle(ctx context.Context, msg *Message) error {
	ran, err := j.lease.run(ctx, func(ctx context.Context) error {
		_, err := j.RunOnce(ctx, msg.InProgress)
		return err
	})
	if !ran && err == nil {
		j.runs.Add(ctx, 1, metric.WithAttributes(attrJob.String(j.cfg.Tick), attrOutcome.String(JobSkipped)))
	}
	return err
}

// RunOnce runs the job once without the lease (Handle takes it), in its
// span, and counts the run. Its error is the run's, wrapped in the job's
// name.
func (j *Job[R]) RunOnce(ctx context.Context, progress func() error) (R, error) {
	ctx, span := j.tracer.Start(ctx, j.cfg.Name)
	defer span.End()
	start := time.Now()
	res, err := j.cfg.Run(ctx, progress)
	took := time.Since(start)
	if j.cfg.Attributes != nil {
		span.SetAttributes(j.cfg.Attributes(res)...)
	}
	outcome := JobOK
	if err != nil {
		err = fmt.Errorf("%s: %w", j.cfg.Name, err)
		span.RecordError(err)
		span.SetStatus(codes.Error, j.cfg.Name+" failed")
		outcome = JobError
	}
	attrs := metric.WithAttributes(attrJob.String(j.cfg.Tick), attrOutcome.String(outcome))
	j.runs.Add(ctx, 1, attrs)
	j.duration.Record(ctx, took.Seconds(), attrs)
	// The error itself is logged where it is handled: by the worker, for a
	// tick.
	j.log.DebugContext(ctx, "scheduled job ran", slog.String("job", j.cfg.Tick), slog.String("outcome", outcome),
		slog.Duration("took", took))
	return res, err
}

// ForEach calls do for each item in order, and progress (when not nil)
// after each, until ctx ends. An item that fails does not stop the others:
// ForEach returns the first error.
func ForEach[T any](ctx context.Context, items []T, progress func() error, do func(T) error) error {
	var first error
	for _, it := range items {
		if err := do(it); err != nil && first == nil {
			first = err
		}
		if progress != nil {
			_ = progress()
		}
		if ctx.Err() != nil {
			break
		}
	}
	return first
}
