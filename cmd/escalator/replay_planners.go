package main

import (
	"context"
	"errors"
	"fmt"
	"log/slog"

	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"

	"github.com/escalator/escalator/escalation"
	"github.com/escalator/escalator/insights"
	"github.com/escalator/escalator/internal/event"
	"github.com/escalator/escalator/internal/replay"
	"github.com/escalator/escalator/internal/streams"
)

// dryRunPlanners builds the handlers as serve does (buildParts: no network
// call) and adapts their Plan functions for the dry run. close releases
// the clients.
func dryRunPlanners(ctx context.Context, c replayConfig, log *slog.Logger, nc *nats.Conn, js jetstream.JetStream, res *streams.Resources) (map[string]replay.Planner, func(), error) {
	a := &App{
		cfg: appConfig{nats: c.nats, redis: c.redis, microsoft: c.microsoft, snow: c.snow, worker: c.worker, log: c.log},
		log: log, tel: replayTelemetry(), nc: nc, js: js, res: res,
	}
	closeParts := func() { _ = a.Close(context.WithoutCancel(ctx)) }
	p, err := buildParts(a)
	if err != nil {
		closeParts()
		return nil, nil, err
	}
	return handlerPlanners(p.escalate, p.insights, p.cases), closeParts, nil
}

// escalationPlanner and insightsPlanner are the handlers' Plan functions.
type (
	escalationPlanner interface {
		Plan(ctx context.Context, ev *event.Event) (escalation.Plan, error)
	}
	insightsPlanner interface {
		Plan(ctx context.Context, ev *event.Event) (insights.Plan, error)
	}
)

// handlerPlanners adapts the handlers' Plan functions to the replay engine.
func handlerPlanners(esc escalationPlanner, ins insightsPlanner, cases *escalation.CaseStore) map[string]replay.Planner {
	return map[string]replay.Planner{
		event.TypeEscalation: replay.PlannerFunc(func(ctx context.Context, ev *event.Event) (replay.Decision, error) {
			p, err := esc.Plan(ctx, ev)
			if err != nil {
				return replay.Decision{}, err
			}
			return replay.Decision{Action: string(p.Action), Summary: p.Summary}, nil
		}),
		event.TypeInsights: replay.PlannerFunc(func(ctx context.Context, ev *event.Event) (replay.Decision, error) {
			p, err := ins.Plan(ctx, ev)
			if err != nil {
				return replay.Decision{}, err
			}
			return replay.Decision{Action: p.Action(), Summary: insightsSummary(p)}, nil
		}),
		event.TypeUpdated: replay.PlannerFunc(func(ctx context.Context, ev *event.Event) (replay.Decision, error) {
			return updateDecision(ctx, cases, ev)
		}),
	}
}

func insightsSummary(p insights.Plan) string {
	if p.Post {
		return fmt.Sprintf("would post the insights note on %s (digest %.12s)", p.Incident, p.Digest)
	}
	return fmt.Sprintf("nothing to post: %s already has this insights note", p.Incident)
}

// updateDecision reads what the update handler reads first: the case
// record. The handler has no Plan of its own yet; it syncs only an open
// case.
func updateDecision(ctx context.Context, cases *escalation.CaseStore, ev *event.Event) (replay.Decision, error) {
	inc := ev.Data.Incident
	c, _, err := cases.Get(ctx, inc.SysID)
	switch {
	case errors.Is(err, escalation.ErrNoCase):
		return replay.Decision{Action: "nothing", Summary: fmt.Sprintf("nothing to sync: %s has no Microsoft case", inc.Number)}, nil
	case err != nil:
		return replay.Decision{}, err
	case c.State != escalation.CaseOpen:
		return replay.Decision{Action: "nothing", Summary: fmt.Sprintf("nothing to sync: case %s of %s is %s", c.CaseID, inc.Number, c.State)}, nil
	}
	return replay.Decision{Action: "sync", Summary: fmt.Sprintf("would sync %s to case %s", inc.Number, c.CaseID)}, nil
}
