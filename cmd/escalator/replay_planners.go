package main

import (
	"context"
	"fmt"
	"log/slog"

	"github.com/nats-io/nats.go/jetstream"

	"github.com/escalator/escalator/cmd/escalator/internal/replay"
	"github.com/escalator/escalator/escalation"
	"github.com/escalator/escalator/insights"
	"github.com/escalator/escalator/internal/event"
	"github.com/escalator/escalator/internal/kvsnapshot"
	"github.com/escalator/escalator/internal/streams"
)

// dryRunPlanners builds the handlers as serve does (buildHandlers: no
// network call) and adapts their Plan functions for the dry run, over
// snapshots of the buckets they read (escalator_cases, escalator_accounts,
// escalator_insights) loaded once, now: every event is judged against the
// state at the start of the run, and planning an event makes no NATS round
// trip. close releases the clients.
func dryRunPlanners(ctx context.Context, c replayConfig, log *slog.Logger, kvs map[string]jetstream.KeyValue) (map[string]replay.Planner, func(), error) {
	snaps := map[string]*kvsnapshot.Snapshot{}
	for _, name := range []string{streams.BucketCases, streams.BucketAccounts, streams.BucketInsights} {
		s, err := kvsnapshot.Load(ctx, kvs[name])
		if err != nil {
			return nil, nil, fmt.Errorf("dry run: %w", err)
		}
		snaps[name] = s
	}
	cfg := appConfig{nats: c.nats, redis: c.redis, microsoft: c.microsoft, snow: c.snow, worker: c.worker, log: c.log}
	// A snapshot refuses every write: these handlers can only plan.
	state := buckets{cases: snaps[streams.BucketCases], accounts: snaps[streams.BucketAccounts], digests: snaps[streams.BucketInsights]}
	h, err := buildHandlers(cfg, log, replayTelemetry(), state)
	if err != nil {
		return nil, nil, err
	}
	return handlerPlanners(h.escalate, h.insights, h.update), func() { _ = h.remotes.Close() }, nil
}

// escalationPlanner and insightsPlanner are the handlers' Plan functions.
type (
	escalationPlanner interface {
		Plan(ctx context.Context, ev *event.Event) (escalation.Plan, error)
	}
	insightsPlanner interface {
		Plan(ctx context.Context, ev *event.Event) (insights.Plan, error)
	}
	updatePlanner interface {
		Plan(ctx context.Context, ev *event.Event) (escalation.UpdatePlan, error)
	}
)

// handlerPlanners adapts the handlers' Plan functions to the replay engine.
func handlerPlanners(esc escalationPlanner, ins insightsPlanner, upd updatePlanner) map[string]replay.Planner {
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
			p, err := upd.Plan(ctx, ev)
			if err != nil {
				return replay.Decision{}, err
			}
			return replay.Decision{Action: string(p.Action), Summary: p.Summary}, nil
		}),
	}
}

func insightsSummary(p insights.Plan) string {
	if p.Post {
		return fmt.Sprintf("would post the insights note on %s (digest %.12s)", p.Incident, p.Digest)
	}
	return fmt.Sprintf("nothing to post: %s already has this insights note", p.Incident)
}
