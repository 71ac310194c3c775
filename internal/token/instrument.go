package token

import (
	"fmt"

	"github.com/redis/go-redis/extra/redisotel/v9"
	"github.com/redis/go-redis/v9"
	"go.opentelemetry.io/otel/metric"
	"go.opentelemetry.io/otel/trace"
)

// InstrumentRedis adds OpenTelemetry tracing and metrics to rdb with
// db.statement turned off: a statement would export the encrypted token
// (SET's value) and the lock owner into every span. nil providers mean the
// otel globals.
func InstrumentRedis(rdb redis.UniversalClient, tp trace.TracerProvider, mp metric.MeterProvider) error {
	topts := []redisotel.TracingOption{redisotel.WithDBStatement(false)}
	if tp != nil {
		topts = append(topts, redisotel.WithTracerProvider(tp))
	}
	if err := redisotel.InstrumentTracing(rdb, topts...); err != nil {
		return fmt.Errorf("instrument redis tracing: %w", err)
	}
	var mopts []redisotel.MetricsOption
	if mp != nil {
		mopts = append(mopts, redisotel.WithMeterProvider(mp))
	}
	if err := redisotel.InstrumentMetrics(rdb, mopts...); err != nil {
		return fmt.Errorf("instrument redis metrics: %w", err)
	}
	return nil
}
