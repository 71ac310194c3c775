package telemetry

import (
	"log/slog"

	"go.opentelemetry.io/otel/metric"
	metricnoop "go.opentelemetry.io/otel/metric/noop"
	"go.opentelemetry.io/otel/trace"
	tracenoop "go.opentelemetry.io/otel/trace/noop"
)

// The one rule for a dependency left nil: a package given no logger, tracer
// or meter provider stays silent. A library never logs to the process's
// default logger nor reports to the OpenTelemetry globals; the binary passes
// its own to every New.

// OrDiscard returns log, or a logger that drops every line when log is nil.
func OrDiscard(log *slog.Logger) *slog.Logger {
	if log == nil {
		return slog.New(slog.DiscardHandler)
	}
	return log
}

// OrNoopTracer returns tp, or a tracer provider that records nothing when tp
// is nil.
func OrNoopTracer(tp trace.TracerProvider) trace.TracerProvider {
	if tp == nil {
		return tracenoop.NewTracerProvider()
	}
	return tp
}

// OrNoopMeter returns mp, or a meter provider that records nothing when mp
// is nil.
func OrNoopMeter(mp metric.MeterProvider) metric.MeterProvider {
	if mp == nil {
		return metricnoop.NewMeterProvider()
	}
	return mp
}
