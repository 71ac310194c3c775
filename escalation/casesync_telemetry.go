package escalation

import (
	"fmt"

	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/metric"

	"github.com/escalator/escalator/internal/telemetry"
)

const caseSyncScope = "github.com/escalator/escalator/escalation"

// attrNoteKind tells what a case-sync note reports: "status" or
// "communication".
var attrNoteKind = attribute.Key("kind")

type caseSyncInstruments struct {
	synced metric.Int64Counter
	posted metric.Int64Counter
}

// newCaseSyncInstruments creates the case sync's metrics:
//
//	escalator.cases.synced          open cases read from Azure, per run
//	escalator.cases.updates_posted  work notes written, by kind (status, communication)
func newCaseSyncInstruments(mp metric.MeterProvider) (*caseSyncInstruments, error) {
	mp = telemetry.OrNoopMeter(mp)
	m := mp.Meter(caseSyncScope)
	ins := &caseSyncInstruments{}
	var err error
	if ins.synced, err = m.Int64Counter("escalator.cases.synced",
		metric.WithDescription("Open Microsoft cases read by the case sync, counted per run."),
		metric.WithUnit("{case}")); err != nil {
		return nil, fmt.Errorf("case sync: metric: %w", err)
	}
	if ins.posted, err = m.Int64Counter("escalator.cases.updates_posted",
		metric.WithDescription("Work notes the case sync wrote, by kind (status, communication)."),
		metric.WithUnit("{update}")); err != nil {
		return nil, fmt.Errorf("case sync: metric: %w", err)
	}
	return ins, nil
}

// attributes are the span attributes of a run.
func (r CaseSyncResult) attributes() []attribute.KeyValue {
	return []attribute.KeyValue{
		attribute.Int("app.cases.synced", r.Cases),
		attribute.Int("app.cases.notes_posted", r.Notes),
		attribute.Int("app.cases.closed", r.Closed),
	}
}
