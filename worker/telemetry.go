package worker

import (
	"context"
	"fmt"
	"sync/atomic"

	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/metric"
	"go.opentelemetry.io/otel/trace"
	tracenoop "go.opentelemetry.io/otel/trace/noop"

	"github.com/escalator/escalator/internal/streams"
	"github.com/escalator/escalator/internal/telemetry"
)

const scope = "github.com/escalator/escalator/worker"

// Outcomes, the values of the outcome attribute of escalator.messages.
const (
	OutcomeAck        = "ack"
	OutcomeRetry      = "retry"
	OutcomeDeadLetter = "dead_letter"
	// OutcomeDrained is a message Nak'ed without a delay because the worker
	// was shutting down; another worker takes it at once.
	OutcomeDrained = "drained"
)

var attrOutcome = attribute.Key("outcome")

type instruments struct {
	tracer trace.Tracer
	// tracing is false for a no-op TracerProvider, whose spans need no
	// attributes built.
	tracing     bool
	messages    metric.Int64Counter
	duration    metric.Float64Histogram
	inFlight    metric.Int64ObservableUpDownCounter
	deadLetters metric.Int64Counter
}

// newInstruments makes the worker's instruments; inFlight is read when
// escalator.messages.in_flight is collected, so running a handler costs no
// metric call.
func newInstruments(tp trace.TracerProvider, mp metric.MeterProvider, inFlight *atomic.Int64) (*instruments, error) {
	tp = telemetry.OrNoopTracer(tp)
	mp = telemetry.OrNoopMeter(mp)
	m := mp.Meter(scope)
	_, noop := tp.(tracenoop.TracerProvider)
	ins := &instruments{tracer: tp.Tracer(scope), tracing: !noop}
	var err error
	if ins.messages, err = m.Int64Counter("escalator.messages",
		metric.WithDescription("Messages settled by the worker, by subject and outcome."),
		metric.WithUnit("{message}")); err != nil {
		return nil, fmt.Errorf("worker: metric escalator.messages: %w", err)
	}
	if ins.duration, err = m.Float64Histogram("messaging.process.duration",
		metric.WithDescription("Time from receiving a message to settling it."),
		metric.WithUnit("s"),
		metric.WithExplicitBucketBoundaries(0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 120)); err != nil {
		return nil, fmt.Errorf("worker: metric messaging.process.duration: %w", err)
	}
	if ins.inFlight, err = m.Int64ObservableUpDownCounter("escalator.messages.in_flight",
		metric.WithDescription("Handlers running now."),
		metric.WithUnit("{message}"),
		metric.WithInt64Callback(func(_ context.Context, o metric.Int64Observer) error {
			o.Observe(inFlight.Load())
			return nil
		})); err != nil {
		return nil, fmt.Errorf("worker: metric escalator.messages.in_flight: %w", err)
	}
	if ins.deadLetters, err = m.Int64Counter("escalator.dead_letters",
		metric.WithDescription("Messages published to ESCALATOR_DLQ, by subject and error class."),
		metric.WithUnit("{message}")); err != nil {
		return nil, fmt.Errorf("worker: metric escalator.dead_letters: %w", err)
	}
	return ins, nil
}

// settled records one settled message.
func (ins *instruments) settled(ctx context.Context, subject, outcome, errorType string, seconds float64) {
	dest := streams.AttrDestination.String(subject)
	ins.messages.Add(ctx, 1, metricAttrs(subject, outcome))
	attrs := []attribute.KeyValue{streams.AttrMessagingSystem.String(streams.MessagingSystemNATS), dest}
	if errorType != "" {
		attrs = append(attrs, streams.AttrErrorType.String(errorType))
	}
	ins.duration.Record(ctx, seconds, metric.WithAttributes(attrs...))
}

func metricAttrs(subject, outcome string) metric.MeasurementOption {
	return metric.WithAttributes(streams.AttrDestination.String(subject), attrOutcome.String(outcome))
}
