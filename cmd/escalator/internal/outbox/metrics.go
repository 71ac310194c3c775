package outbox

import (
	"context"
	"fmt"

	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/metric"

	"github.com/escalator/escalator/internal/telemetry"
)

const scope = "github.com/escalator/escalator/cmd/escalator/internal/outbox"

var attrOutcome = attribute.Key("outcome")

// newRowCounter creates escalator.outbox.rows: outbox rows the poller
// wrote, by outcome (sent, final, failed, skipped).
func newRowCounter(mp metric.MeterProvider) (metric.Int64Counter, error) {
	mp = telemetry.OrNoopMeter(mp)
	c, err := mp.Meter(scope).Int64Counter("escalator.outbox.rows",
		metric.WithDescription("Outbox rows the poller wrote, by outcome: sent (event stored), final (the outcome was already known), failed (not a valid request), skipped (could not be written)."),
		metric.WithUnit("{row}"))
	if err != nil {
		return nil, fmt.Errorf("outbox poller: metric: %w", err)
	}
	return c, nil
}

func (p *Poller) count(ctx context.Context, outcome string) {
	p.rows.Add(ctx, 1, metric.WithAttributes(attrOutcome.String(outcome)))
}
