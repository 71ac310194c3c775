package escalation_test

import (
	"context"
	"testing"

	sdkmetric "go.opentelemetry.io/otel/sdk/metric"

	"github.com/escalator/escalator/escalation"
	"github.com/escalator/escalator/internal/testkit/metrictest"
	"github.com/escalator/escalator/internal/testkit/sim"
)

func casesOpened(t *testing.T, rd *sdkmetric.ManualReader) int64 {
	t.Helper()
	return metrictest.Sum(t, rd, escalation.MetricCasesOpened, nil)
}

// TestEscalateCountsOpenedCasesOnce: a case is counted once, whichever step
// a first delivery crashed at, and not again by another request for the
// same incident.
func TestEscalateCountsOpenedCasesOnce(t *testing.T) {
	for _, step := range []string{"create", "patch", "note"} {
		t.Run("crash at "+step, func(t *testing.T) {
			e := newTestEnv(t)
			e.linkAdmin(t)
			rd := sdkmetric.NewManualReader()
			cfg := e.escalateConfig()
			crash := &crashOnce{SupportAPI: e.support, IncidentWriter: e.snow, step: step}
			cfg.Support, cfg.Notes = crash, crash
			cfg.MeterProvider = sdkmetric.NewMeterProvider(sdkmetric.WithReader(rd))
			h := newEscalate(t, cfg)
			ctx := context.Background()
			msg := message(escalationEvent("evt-1"))
			_ = h.Handle(ctx, msg) // crashes
			msg.NumDelivered++
			if err := h.Handle(ctx, msg); err != nil {
				t.Fatalf("redelivery: %v", err)
			}
			if err := h.Handle(ctx, message(escalationEvent("evt-2"))); err != nil {
				t.Fatalf("second request: %v", err)
			}
			if n := len(e.ticketsFor(sim.DefaultIncidentSysID)); n != 1 {
				t.Fatalf("tickets %d", n)
			}
			if n := casesOpened(t, rd); n != 1 {
				t.Fatalf("%s = %d, want 1", escalation.MetricCasesOpened, n)
			}
		})
	}
}
