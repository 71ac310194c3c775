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
	"github.com/escalator/escalator/internal/eventindex"
	"github.com/escalator/escalator/internal/streams"
	"github.com/escalator/escalator/internal/telemetry"
	"github.com/escalator/escalator/rolegate"
	"github.com/escalator/escalator/worker"
)

// spine is what the worker's parts are built over: the configuration and
// what NewApp has brought up before them.
type spine struct {
	cfg appConfig
	log *slog.Logger
	tel *telemetry.Providers
	res *streams.Resources
	pub eventindex.Inner
}

// workerParts are what a workerBuilder returns: the handlers by subject,
// the reporters that hear each outcome before it is settled, what runs
// beside the worker until its context ends, the readiness checks, and
// the release of what was acquired (run in reverse).
type workerParts struct {
	handlers   map[string]worker.Handler
	reporters  reporters
	background []func(context.Context) error
	checks     []admin.Check
	closers    []func(context.Context) error
	// remotes are the Microsoft and ServiceNow clients (nil when the
	// handlers need none).
	remotes *remotes
}

// workerBuilder builds the worker's parts over the spine. What it had
// acquired is in the closers it returns even with an error, so that a
// failed start releases it.
type workerBuilder func(ctx context.Context, s spine) (workerParts, error)

// buildWorker builds the parts serve and dev run: the role gates in front
// of insights and escalation, the update handler, the outbox write-back,
// the scheduled jobs' tick handlers and ticker, the health snapshot beside
// them and the token cache's readiness check. It makes no network call.
func buildWorker(_ context.Context, s spine) (workerParts, error) {
	var w workerParts
	h, err := buildHandlers(s.cfg, s.log, s.tel, buckets{cases: s.res.Cases, accounts: s.res.Accounts, digests: s.res.Insights})
	if err != nil {
		return w, err
	}
	w.remotes = h.remotes
	w.closers = append(w.closers, func(context.Context) error { return h.remotes.Close() })
	w.background = append(w.background, h.snapshot.Run)
	w.checks = append(w.checks, tokenCacheCheck(h.remotes))

	if w.handlers, err = gatedHandlers(s, h); err != nil {
		return w, err
	}
	rep, err := outbox.NewReporter(outbox.ReporterConfig{Table: h.remotes.snow, Records: s.res.Outbox, Logger: s.log})
	if err != nil {
		return w, err
	}
	w.reporters = append(w.reporters, rep)
	ticks, ticker, err := scheduledJobs(s, h)
	if err != nil {
		return w, err
	}
	for subject, handler := range ticks {
		w.handlers[subject] = handler
	}
	w.background = append(w.background, ticker.Run)
	return w, nil
}

// handlerParts are the handlers and what they share; the replay dry run
// uses their Plan functions.
type handlerParts struct {
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

// buildHandlers builds the remotes and the handlers over state; it makes
// no network call. The caller closes h.remotes; a failure part way closes
// them itself.
func buildHandlers(cfg appConfig, log *slog.Logger, tel *telemetry.Providers, state buckets) (*handlerParts, error) {
	r, err := newRemotes(cfg.microsoft, cfg.snow, cfg.redis, log, tel, cfg.http)
	if err != nil {
		return nil, err
	}
	h, err := handlersOver(r, cfg, log, tel, state)
	if err != nil {
		return nil, rollback(err, r.Close())
	}
	return h, nil
}

func handlersOver(r *remotes, cfg appConfig, log *slog.Logger, tel *telemetry.Providers, state buckets) (*handlerParts, error) {
	if err := cfg.microsoft.validateSupport(); err != nil {
		return nil, err
	}
	h := &handlerParts{remotes: r}
	var err error
	if h.snapshot, err = health.NewSnapshot(r.health, health.SnapshotConfig{Logger: log}); err != nil {
		return nil, err
	}
	if h.cases, err = escalation.NewCaseStore(state.cases, nil); err != nil {
		return nil, err
	}
	if h.accounts, err = escalation.NewAccountStore(state.accounts, escalation.AccountStoreConfig{Tenant: cfg.microsoft.Tenant}); err != nil {
		return nil, err
	}
	catalog, err := insights.LoadCatalog()
	if err != nil {
		return nil, fmt.Errorf("article catalog: %w", err)
	}
	if h.insights, err = insights.NewHandler(insights.HandlerConfig{
		Catalog: catalog, Health: h.snapshot, Notes: r.snow, Digests: state.digests, Logger: log,
	}); err != nil {
		return nil, err
	}
	if h.escalate, err = escalation.NewEscalateHandler(escalation.EscalateConfig{
		Cases: h.cases, Accounts: h.accounts, Support: r.support, Notes: r.snow, Incidents: r.snow,
		AllowHighestSeverity: cfg.worker.AllowHighestSeverity,
		CaseField:            cfg.worker.CaseField, TestEnvironment: cfg.worker.TestEnvironment,
		ServiceID: cfg.microsoft.SupportServiceID, ProblemClassificationID: cfg.microsoft.ProblemClassification,
		Classifier: r.support, Logger: log, MeterProvider: tel.MeterProvider,
	}); err != nil {
		return nil, err
	}
	if h.update, err = escalation.NewUpdateHandler(escalation.UpdateConfig{
		Cases: h.cases, Support: r.support, Notes: r.snow, ServiceNow: r.snow,
		CloseOnResolve: cfg.worker.CloseCaseOnResolve, Logger: log,
	}); err != nil {
		return nil, err
	}
	return h, nil
}

// gatedHandlers are the event handlers by subject: the role gates in front
// of insights and escalation, and the update handler.
func gatedHandlers(s spine, h *handlerParts) (map[string]worker.Handler, error) {
	source, err := roleSource(s.cfg.worker, h.remotes.snow)
	if err != nil {
		return nil, err
	}
	gate := func(roles []string, next worker.Handler) (worker.Handler, error) {
		return rolegate.New(rolegate.Config{Roles: roles, Source: source, Notes: h.remotes.snow, Logger: s.log, MeterProvider: s.tel.MeterProvider}, next)
	}
	insightsRoles, adminRoles := s.cfg.worker.roles()
	insightsGate, err := gate(insightsRoles, h.insights)
	if err != nil {
		return nil, err
	}
	escalateGate, err := gate(adminRoles, h.escalate)
	if err != nil {
		return nil, err
	}
	return map[string]worker.Handler{
		event.SubjectInsights:   insightsGate,
		event.SubjectEscalation: escalateGate,
		event.SubjectUpdate:     h.update,
	}, nil
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

// ackTick acknowledges a tick left from a time its job was on.
var ackTick = worker.HandlerFunc(func(context.Context, *worker.Message) error { return nil })

// scheduledJobs are the scheduled jobs' tick handlers and the ticker that
// publishes their ticks: every replica runs a ticker (JetStream's duplicate
// window lets one tick per interval through for the fleet), the case sync
// always, the health sync and the outbox poller when enabled.
func scheduledJobs(s spine, h *handlerParts) (map[string]worker.Handler, *worker.Ticker, error) {
	w := s.cfg.worker
	caseSync, err := escalation.NewCaseSync(escalation.CaseSyncConfig{
		Cases: h.cases, Support: h.remotes.support, Notes: h.remotes.snow, Leases: s.res.Leases,
		CaseField: w.CaseField, Logger: s.log, MeterProvider: s.tel.MeterProvider, TracerProvider: s.tel.TracerProvider,
	})
	if err != nil {
		return nil, nil, err
	}
	hs := map[string]worker.Handler{event.SubjectTickCases: caseSync, event.SubjectTickHealth: ackTick, event.SubjectTickOutbox: ackTick}
	jobs := []worker.TickJob{{Name: worker.TickCases, Type: event.TypeTickCases, Interval: w.CaseSyncInterval}}
	if w.HealthSync {
		sync, err := health.NewSync(health.SyncConfig{
			Graph: h.remotes.health, Incidents: h.remotes.snow, State: s.res.Health,
			AssignmentGroup: w.HealthAssignmentGroup, Category: w.HealthCategory,
			IncludeAdvisories: w.HealthAdvisories, Services: w.HealthServices, AutoResolve: w.HealthAutoResolve,
			Logger: s.log, MeterProvider: s.tel.MeterProvider, TracerProvider: s.tel.TracerProvider,
		})
		if err != nil {
			return nil, nil, err
		}
		hs[event.SubjectTickHealth] = sync
		jobs = append(jobs, worker.TickJob{Name: worker.TickHealth, Type: event.TypeTickHealth, Interval: w.HealthInterval})
	}
	if w.Outbox {
		poller, err := outbox.NewPoller(outbox.PollerConfig{
			Table: h.remotes.snow, Publisher: s.pub, Records: s.res.Outbox, Source: s.cfg.snow.URL,
			Logger: s.log, MeterProvider: s.tel.MeterProvider,
		})
		if err != nil {
			return nil, nil, err
		}
		hs[event.SubjectTickOutbox] = poller
		jobs = append(jobs, worker.TickJob{Name: worker.TickOutbox, Type: event.TypeTickOutbox, Interval: w.OutboxInterval})
	}
	ticker, err := worker.NewTicker(worker.TickerConfig{Publisher: s.pub, Jobs: jobs, Logger: s.log})
	if err != nil {
		return nil, nil, err
	}
	return hs, ticker, nil
}
