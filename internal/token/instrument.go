package token

import (
	"fmt"

	"github.com/redis/go-redis/extra/redisotel/v9"
	"github.com/redis/go-redis/v9"
	"go.opentelemetry.io/otel/metric"
	"go.opentelemetry.io/otel/trace"

	"github.com/escalator/escalator/internal/telemetry"
)

// InstrumentRedis adds OpenTelemetry tracing and metrics to rdb with
// db.statement turned off: a statement would export the encrypted token
// (SET's value) and the lock owner into every span. nil providers record
// nothing.
func InstrumentRedis(rdb redis.UniversalClient, tp trace.TracerProvider, mp metric.MeterProvider) error {
	if err := redisotel.InstrumentTracing(rdb, redisotel.WithDBStatement(false),
		redisotel.WithTracerProvider(telemetry.OrNoopTracer(tp))); err != nil {
		return fmt.Errorf("instrument redis tracing: %w", err)
	}
	if err := redisotel.InstrumentMetrics(rdb, redisotel.WithMeterProvider(telemetry.OrNoopMeter(mp))); err != nil {
		return fmt.Errorf("instrument redis metrics: %w", err)
	}
	return nil
}
