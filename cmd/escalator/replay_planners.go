package main

import (
	"context"
	"fmt"
	"log/slog"

	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"

	"github.com/escalator/escalator/escalation"
	"github.com/escalator/escalator/insights"
	"github.com/escalator/escalator/internal/event"
	"github.com/escalator/escalator/internal/kvsnapshot"
	"github.com/escalator/escalator/internal/replay"
	"github.com/escalator/escalator/internal/streams"
)

// dryRunPlanners builds the handlers as serve does (buildParts: no network
// call) and adapts their Plan functions for the dry run, over snapshots of
// the buckets they read (escalator_cases, escalator_accounts,
// escalator_insights) loaded once, now: every event is judged against the
// state at the start of the run, and planning an event makes no NATS round
// trip. close releases the clients.
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
	if p, err = overSnapshots(ctx, a, p); err != nil {
		closeParts()
		return nil, nil, err
	}
	return handlerPlanners(p.escalate, p.insights, p.update), closeParts, nil
}

// overSnapshots returns p's stores and handlers rebuilt over snapshots of
// the buckets, with the same remotes, health snapshot and settings: a
// snapshot refuses any write, so these handlers can only plan.
func overSnapshots(ctx context.Context, a *App, p *parts) (*parts, error) {
	var snaps [3]*kvsnapshot.Snapshot
	for i, kv := range []jetstream.KeyValue{a.res.Cases, a.res.Accounts, a.res.Insights} {
		s, err := kvsnapshot.Load(ctx, kv)
		if err != nil {
			return nil, fmt.Errorf("dry run: %w", err)
		}
		snaps[i] = s
	}
	q := *p
	var err error
	if q.cases, err = escalation.NewCaseStore(snaps[0], nil); err != nil {
		return nil, err
	}
	if q.accounts, err = escalation.NewAccountStore(snaps[1], escalation.AccountStoreConfig{Tenant: a.cfg.microsoft.Tenant}); err != nil {
		return nil, err
	}
	catalog, err := insights.LoadCatalog()
	if err != nil {
		return nil, fmt.Errorf("article catalog: %w", err)
	}
	w, ms := a.cfg.worker, a.cfg.microsoft
	if q.insights, err = insights.NewHandler(insights.HandlerConfig{
		Catalog: catalog, Health: p.snapshot, Notes: p.remotes.snow, Digests: snaps[2], Logger: a.log,
	}); err != nil {
		return nil, err
	}
	if q.escalate, err = escalation.NewEscalateHandler(escalation.EscalateConfig{
		Cases: q.cases, Accounts: q.accounts, Support: p.remotes.support, Notes: p.remotes.snow,
		CaseField: w.CaseField, TestEnvironment: w.TestEnvironment,
		ServiceID: ms.SupportServiceID, ProblemClassificationID: ms.ProblemClassification, Logger: a.log,
	}); err != nil {
		return nil, err
	}
	if q.update, err = escalation.NewUpdateHandler(escalation.UpdateConfig{
		Cases: q.cases, Support: p.remotes.support, Notes: p.remotes.snow, CloseOnResolve: w.CloseCaseOnResolve, Logger: a.log,
	}); err != nil {
		return nil, err
	}
	return &q, nil
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
