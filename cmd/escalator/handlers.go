package main

import (
	"context"
	"fmt"
	"log/slog"

	"github.com/escalator/escalator/cmd/escalator/internal/outbox"
	"github.com/escalator/escalator/escalation"
	"github.com/escalator/escalator/health"
	"github.com/escalator/escalator/insights"
	"github.com/escalator/escalator/internal/admin"
	"github.com/escalator/escalator/internal/event"
	"github.com/escalator/escalator/rolegate"
	"github.com/escalator/escalator/worker"
)

// handledSubjects are the subjects the worker handles.
func handledSubjects() []string {
	return []string{
		event.SubjectInsights, event.SubjectEscalation, event.SubjectUpdate,
		event.SubjectTickHealth, event.SubjectTickCases, event.SubjectTickOutbox,
	}
}

// logHandlers only log each event: the spine without side effects, for load
// tests and for checking the wiring.
func logHandlers(log *slog.Logger) map[string]worker.Handler {
	h := worker.HandlerFunc(func(ctx context.Context, m *worker.Message) error {
		log.InfoContext(ctx, "event received") // the worker's context names the event
		return nil
	})
	out := map[string]worker.Handler{}
	for _, s := range handledSubjects() {
		out[s] = h
	}
	return out
}

// parts are the handlers and what they share, built once per process; the
// replay dry-run reuses their Plan functions.
type parts struct {
	remotes  *remotes
	snapshot *health.Snapshot
	cases    *escalation.CaseStore
	accounts *escalation.AccountStore
	insights *insights.Handler
	escalate *escalation.EscalateHandler
	update   *escalation.UpdateHandler
}

// buckets are the KV buckets the handlers keep their state in: the App's,
// or read-only snapshots of them for a replay dry run.
type buckets struct {
	cases    escalation.CaseBucket
	accounts escalation.AccountBucket
	digests  insights.DigestBucket
}

// buildParts builds the handlers over the App's JetStream resources and
// remotes; it makes no network call.
func buildParts(a *App) (*parts, error) {
	return buildPartsOver(a, buckets{cases: a.res.Cases, accounts: a.res.Accounts, digests: a.res.Insights})
}

// buildPartsOver is buildParts with the handlers' state in b.
func buildPartsOver(a *App, b buckets) (*parts, error) {
	cfg := a.cfg
	r, err := newRemotes(cfg.microsoft, cfg.snow, cfg.redis, a.log, a.tel, cfg.http)
	if err != nil {
		return nil, err
	}
	a.onClose(func(context.Context) error { return r.Close() })
	if err := cfg.microsoft.validateSupport(); err != nil {
		return nil, err
	}
	p := &parts{remotes: r}
	if p.snapshot, err = health.NewSnapshot(r.health, health.SnapshotConfig{Logger: a.log}); err != nil {
		return nil, err
	}
	if p.cases, err = escalation.NewCaseStore(b.cases, nil); err != nil {
		return nil, err
	}
	if p.accounts, err = escalation.NewAccountStore(b.accounts, escalation.AccountStoreConfig{Tenant: cfg.microsoft.Tenant}); err != nil {
		return nil, err
	}
	catalog, err := insights.LoadCatalog()
	if err != nil {
		return nil, fmt.Errorf("article catalog: %w", err)
	}
	if p.insights, err = insights.NewHandler(insights.HandlerConfig{
		Catalog: catalog, Health: p.snapshot, Notes: r.snow, Digests: b.digests, Logger: a.log,
	}); err != nil {
		return nil, err
	}
	if p.escalate, err = escalation.NewEscalateHandler(escalation.EscalateConfig{
		Cases: p.cases, Accounts: p.accounts, Support: r.support, Notes: r.snow, Incidents: r.snow,
		AllowHighestSeverity: cfg.worker.AllowHighestSeverity,
		CaseField:            cfg.worker.CaseField, TestEnvironment: cfg.worker.TestEnvironment,
		ServiceID: cfg.microsoft.SupportServiceID, ProblemClassificationID: cfg.microsoft.ProblemClassification,
		Classifier: r.support, Logger: a.log, MeterProvider: a.tel.MeterProvider,
	}); err != nil {
		return nil, err
	}
	if p.update, err = escalation.NewUpdateHandler(escalation.UpdateConfig{
		Cases: p.cases, Support: r.support, Notes: r.snow, ServiceNow: r.snow,
		CloseOnResolve: cfg.worker.CloseCaseOnResolve, Logger: a.log,
	}); err != nil {
		return nil, err
	}
	return p, nil
}

// productionHandlers are the handlers serve and dev run: the role gates in
// front of insights and escalation, the update handler, and the scheduled
// jobs' tick handlers.
func productionHandlers(_ context.Context, a *App) (map[string]worker.Handler, error) {
	p, err := buildParts(a)
	if err != nil {
		return nil, err
	}
	a.remotes = p.remotes
	a.background = append(a.background, p.snapshot.Run)
	a.checks = append(a.checks, tokenCacheCheck(p.remotes))

	source, err := roleSource(a.cfg.worker, p.remotes.snow)
	if err != nil {
		return nil, err
	}
	gate := func(roles []string, next worker.Handler) (worker.Handler, error) {
		return rolegate.New(rolegate.Config{Roles: roles, Source: source, Notes: p.remotes.snow, Logger: a.log, MeterProvider: a.tel.MeterProvider}, next)
	}
	insightsRoles, adminRoles := a.cfg.worker.roles()
	insightsGate, err := gate(insightsRoles, p.insights)
	if err != nil {
		return nil, err
	}
	escalateGate, err := gate(adminRoles, p.escalate)
	if err != nil {
		return nil, err
	}
	hs := map[string]worker.Handler{
		event.SubjectInsights:   insightsGate,
		event.SubjectEscalation: escalateGate,
		event.SubjectUpdate:     p.update,
	}
	rep, err := outbox.NewReporter(outbox.ReporterConfig{Table: p.remotes.snow, Records: a.res.Outbox, Logger: a.log})
	if err != nil {
		return nil, err
	}
	a.reporters = append(a.reporters, rep)
	if err := addScheduledJobs(a, p, hs); err != nil {
		return nil, err
	}
	return hs, nil
}

// roleSource is where the role gates learn a requester's roles: ServiceNow
// (one cache shared by both gates), or, with ESCALATOR_VERIFY_ROLES=false,
// the event itself.
func roleSource(w workerConfig, snow rolegate.UserRoleReader) (rolegate.RoleSource, error) {
	if !w.VerifyRoles {
		return rolegate.PayloadRoles{}, nil
	}
	ttl := w.RoleCacheTTL
	if ttl == 0 {
		ttl = -1 // 0s: no cache
	}
	return rolegate.NewRoleCache(rolegate.CacheConfig{Reader: snow, TTL: ttl})
}

// tokenCacheCheck reports a token cache that lost Redis as degraded: tokens
// still come, each replica fetching its own.
func tokenCacheCheck(r *remotes) admin.Check {
	return admin.Check{Name: "token-cache", Run: func(context.Context) admin.Status {
		if st := r.cache.Status(); st.Degraded {
			return admin.Degraded("redis unreachable since %s (%s): each replica fetches its own tokens", st.Since.Format("15:04:05"), st.Reason)
		}
		return admin.OK()
	}}
}

// addScheduledJobs registers the scheduled jobs: every replica runs a
// ticker (JetStream's duplicate window lets one tick per interval through
// for the fleet), the case sync always, the health sync and the outbox
// poller when enabled.
func addScheduledJobs(a *App, p *parts, hs map[string]worker.Handler) error {
	w := a.cfg.worker
	caseSync, err := escalation.NewCaseSync(escalation.CaseSyncConfig{
		Cases: p.cases, Support: p.remotes.support, Notes: p.remotes.snow, Leases: a.res.Leases,
		CaseField: w.CaseField, Logger: a.log, MeterProvider: a.tel.MeterProvider, TracerProvider: a.tel.TracerProvider,
	})
	if err != nil {
		return err
	}
	hs[event.SubjectTickCases] = caseSync
	jobs := []worker.TickJob{{Name: worker.TickCases, Type: event.TypeTickCases, Interval: w.CaseSyncInterval}}

	if w.HealthSync {
		sync, err := health.NewSync(health.SyncConfig{
			Graph: p.remotes.health, Incidents: p.remotes.snow, State: a.res.Health,
			AssignmentGroup: w.HealthAssignmentGroup, Category: w.HealthCategory,
			IncludeAdvisories: w.HealthAdvisories, Services: w.HealthServices, AutoResolve: w.HealthAutoResolve,
			Logger: a.log, MeterProvider: a.tel.MeterProvider, TracerProvider: a.tel.TracerProvider,
		})
		if err != nil {
			return err
		}
		hs[event.SubjectTickHealth] = sync
		jobs = append(jobs, worker.TickJob{Name: worker.TickHealth, Type: event.TypeTickHealth, Interval: w.HealthInterval})
	} else {
		// A tick left from a time the sync was on is acknowledged.
		hs[event.SubjectTickHealth] = worker.HandlerFunc(func(context.Context, *worker.Message) error { return nil })
	}
	if w.Outbox {
		poller, err := outbox.NewPoller(outbox.PollerConfig{
			Table: p.remotes.snow, Publisher: a.pub, Records: a.res.Outbox, Source: a.cfg.snow.URL,
			Logger: a.log, MeterProvider: a.tel.MeterProvider,
		})
		if err != nil {
			return err
		}
		hs[event.SubjectTickOutbox] = poller
		jobs = append(jobs, worker.TickJob{Name: worker.TickOutbox, Type: event.TypeTickOutbox, Interval: w.OutboxInterval})
	} else {
		hs[event.SubjectTickOutbox] = worker.HandlerFunc(func(context.Context, *worker.Message) error { return nil })
	}
	ticker, err := worker.NewTicker(worker.TickerConfig{Publisher: a.pub, Jobs: jobs, Logger: a.log})
	if err != nil {
		return err
	}
	a.background = append(a.background, ticker.Run)
	return nil
}
