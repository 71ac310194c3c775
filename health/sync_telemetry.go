package health

import (
	"fmt"

	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/metric"

	"github.com/escalator/escalator/internal/telemetry"
)

const syncScope = "github.com/escalator/escalator/health"

// attrKind tells what an update posted: "post" (a work note of a post) or
// "resolve" (the auto-resolve).
var attrKind = attribute.Key("kind")

type syncInstruments struct {
	issuesSeen metric.Int64Counter
	created    metric.Int64Counter
	posted     metric.Int64Counter
}

// newSyncInstruments creates the sync's metrics:
//
//	escalator.health.issues_seen        issues considered (after the filters), per run
//	escalator.health.incidents_created  incidents created
//	escalator.health.updates_posted     updates written, by kind (post, resolve)
func newSyncInstruments(mp metric.MeterProvider) (*syncInstruments, error) {
	mp = telemetry.OrNoopMeter(mp)
	m := mp.Meter(syncScope)
	ins := &syncInstruments{}
	var err error
	if ins.issuesSeen, err = m.Int64Counter("escalator.health.issues_seen",
		metric.WithDescription("Service health issues considered by the health sync, counted per run."),
		metric.WithUnit("{issue}")); err != nil {
		return nil, fmt.Errorf("health sync: metric: %w", err)
	}
	if ins.created, err = m.Int64Counter("escalator.health.incidents_created",
		metric.WithDescription("ServiceNow incidents created for service health issues."),
		metric.WithUnit("{incident}")); err != nil {
		return nil, fmt.Errorf("health sync: metric: %w", err)
	}
	if ins.posted, err = m.Int64Counter("escalator.health.updates_posted",
		metric.WithDescription("Updates written to service health incidents, by kind (post, resolve)."),
		metric.WithUnit("{update}")); err != nil {
		return nil, fmt.Errorf("health sync: metric: %w", err)
	}
	return ins, nil
}

// attributes are the span attributes of a run.
func (r SyncResult) attributes() []attribute.KeyValue {
	return []attribute.KeyValue{
		attribute.Int("app.health.issues_seen", r.IssuesSeen),
		attribute.Int("app.health.incidents_created", r.IncidentsCreated),
		attribute.Int("app.health.notes_posted", r.NotesPosted),
		attribute.Int("app.health.resolved", r.Resolved),
	}
}
