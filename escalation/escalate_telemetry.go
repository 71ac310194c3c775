package escalation

import (
	"fmt"

	"go.opentelemetry.io/otel/metric"

	"github.com/escalator/escalator/internal/telemetry"
)

// MetricCasesOpened counts Microsoft support cases opened: counted when the
// case is marked open, which happens once per case whatever redeliveries,
// replays or crashes came before (a later one finds the case done).
const MetricCasesOpened = "escalator.cases.opened"

// newCasesOpened creates the counter of opened cases on mp (nil: no-op).
func newCasesOpened(mp metric.MeterProvider) (metric.Int64Counter, error) {
	mp = telemetry.OrNoopMeter(mp)
	c, err := mp.Meter(caseSyncScope).Int64Counter(MetricCasesOpened,
		metric.WithDescription("Microsoft support cases opened (a repeated create of an existing ticket is not counted)."),
		metric.WithUnit("{case}"))
	if err != nil {
		return nil, fmt.Errorf("escalation handler: metric %s: %w", MetricCasesOpened, err)
	}
	return c, nil
}
