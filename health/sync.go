package health

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"slices"
	"strings"
	"time"

	"github.com/nats-io/nats.go/jetstream"
	"go.opentelemetry.io/otel/metric"
	"go.opentelemetry.io/otel/trace"

	"github.com/escalator/escalator/internal/servicenow"
	"github.com/escalator/escalator/internal/telemetry"
	"github.com/escalator/escalator/worker"
)

// The service health sync (the app's v2.1 feature) turns Microsoft service
// health issues into ServiceNow incidents, on every tick of
// escalator.tick.health:
//
//   - each new, unresolved issue of classification incident (and advisory,
//     when enabled) of the configured services becomes one incident
//     (fields: see IncidentFields);
//   - every post of the issue becomes one work note (marker PostKeys);
//   - optionally, a resolved issue resolves its incident, once;
//   - an incident that is resolved or closed, by hand or by the sync,
//     receives nothing more.
//
// Exactly one incident per issue, across replicas and crashes: the issue is
// claimed in escalator_health with a KV create (pending), then the incident
// is looked up by correlation_id = issue id before one is created with it,
// then the record says open. A crash between the create and the record
// finds the incident on the next run instead of creating a second. The runs
// themselves never overlap (a worker.Job, lease LeaseKeyHealth in the same
// bucket), so "is this note there? post it" is never raced.

// IssueLister lists service health issues; *Client implements it.
type IssueLister interface {
	Issues(ctx context.Context, filter string) ([]Issue, error)
}

// IncidentAPI is what the sync does on ServiceNow; *servicenow.Client
// implements it.
type IncidentAPI interface {
	FindIncidents(ctx context.Context, query string) ([]servicenow.Incident, error)
	CreateIncident(ctx context.Context, fields map[string]string) (servicenow.Incident, error)
	GetIncident(ctx context.Context, sysID string) (servicenow.Incident, error)
	PatchIncident(ctx context.Context, sysID string, fields map[string]string) (servicenow.Incident, error)
	AddWorkNoteOnce(ctx context.Context, sysID, key, text string) (posted bool, err error)
}

// ResolveCloseCode is the close_code of an auto-resolved incident.
const ResolveCloseCode = "Closed/Resolved by Caller"

// LeaseKeyHealth is the key of the sync's lease in escalator_health:
// worker.LeaseKey(worker.TickHealth).
const LeaseKeyHealth = worker.LeaseKeyPrefix + worker.TickHealth

// SyncConfig configures NewSync.
type SyncConfig struct {
	// Graph lists the issues; required.
	Graph IssueLister
	// Incidents is the ServiceNow client; required.
	Incidents IncidentAPI
	// State is the bucket escalator_health (streams.Resources.Health);
	// required. It holds one Record per issue and the lease.
	State jetstream.KeyValue
	// AssignmentGroup and Category of the incidents
	// (ESCALATOR_HEALTH_ASSIGNMENT_GROUP, ESCALATOR_HEALTH_CATEGORY);
	// required.
	AssignmentGroup, Category string
	// IncludeAdvisories also creates incidents for advisories.
	IncludeAdvisories bool
	// Services limits the sync to these services, compared without letter
	// case to the issue's service name as Graph gives it ("Exchange
	// Online"); empty means every service.
	Services []string
	// AutoResolve resolves the incident when Microsoft resolves the issue
	// (ESCALATOR_HEALTH_AUTO_RESOLVE).
	AutoResolve bool
	// LeaseTTL is the lease's TTL; default worker.DefaultLeaseTTL.
	LeaseTTL time.Duration
	// Clock defaults to time.Now.
	Clock func() time.Time
	// Logger defaults to discarding; MeterProvider and TracerProvider to
	// no-ops.
	Logger         *slog.Logger
	MeterProvider  metric.MeterProvider
	TracerProvider trace.TracerProvider
}

// Sync is the worker.Handler of escalator.tick.health, a scheduled job: its
// Handle runs the sync once for a tick under the lease, unless another
// replica's run is in progress (then the tick is acked: that run does the
// work); its RunOnce syncs every issue once, without the lease. Errors of
// one issue do not stop the others; the first is returned, so that the
// tick is retried.
type Sync struct {
	*worker.Job[SyncResult]
	cfg   SyncConfig
	store recordStore
	log   *slog.Logger
	ins   *syncInstruments
}

// NewSync validates cfg and returns the sync.
func NewSync(cfg SyncConfig) (*Sync, error) {
	switch {
	case cfg.Graph == nil:
		return nil, errors.New("health sync: a Graph client is required")
	case cfg.Incidents == nil:
		return nil, errors.New("health sync: a ServiceNow client is required")
	case cfg.State == nil:
		return nil, errors.New("health sync: the escalator_health bucket is required")
	case strings.TrimSpace(cfg.AssignmentGroup) == "":
		return nil, errors.New("health sync: the assignment group (ESCALATOR_HEALTH_ASSIGNMENT_GROUP) is required")
	case strings.TrimSpace(cfg.Category) == "":
		return nil, errors.New("health sync: the category (ESCALATOR_HEALTH_CATEGORY) is required")
	}
	if cfg.Clock == nil {
		cfg.Clock = time.Now
	}
	cfg.Logger = telemetry.OrDiscard(cfg.Logger)
	ins, err := newSyncInstruments(cfg.MeterProvider)
	if err != nil {
		return nil, err
	}
	s := &Sync{cfg: cfg, store: recordStore{kv: cfg.State}, log: cfg.Logger, ins: ins}
	s.Job, err = worker.NewJob(worker.JobConfig[SyncResult]{
		Tick: worker.TickHealth, Name: "health sync", Run: s.run, Attributes: SyncResult.attributes,
		Leases: cfg.State, LeaseTTL: cfg.LeaseTTL, Scope: syncScope,
		Logger: cfg.Logger, MeterProvider: cfg.MeterProvider, TracerProvider: cfg.TracerProvider,
	})
	if err != nil {
		return nil, err
	}
	return s, nil
}

// SyncResult counts what one run did.
type SyncResult struct {
	IssuesSeen, IncidentsCreated, NotesPosted, Resolved int
}

// run is one run: progress is called between issues.
func (s *Sync) run(ctx context.Context, progress func() error) (SyncResult, error) {
	var res SyncResult
	issues, err := s.cfg.Graph.Issues(ctx, "")
	if err != nil {
		return res, err
	}
	slices.SortFunc(issues, func(a, b Issue) int { return strings.Compare(a.ID, b.ID) })
	issues = slices.DeleteFunc(issues, func(is Issue) bool {
		if !s.wanted(is) {
			return true
		}
		if !issueKey.MatchString(is.ID) {
			s.log.WarnContext(ctx, "service health issue id unusable as a key; skipped", slog.String("issue", is.ID))
			return true
		}
		return false
	})
	err = worker.ForEach(ctx, issues, progress, func(is Issue) error {
		res.IssuesSeen++
		s.ins.issuesSeen.Add(ctx, 1)
		err := s.syncIssue(ctx, is, &res)
		if err != nil {
			s.log.WarnContext(ctx, "service health issue not synced", slog.String("issue", is.ID), slog.String("error", err.Error()))
		}
		return err
	})
	return res, err
}

// wanted applies the classification and service filters.
func (s *Sync) wanted(is Issue) bool {
	switch is.Classification {
	case ClassificationIncident:
	case ClassificationAdvisory:
		if !s.cfg.IncludeAdvisories {
			return false
		}
	default:
		return false
	}
	if len(s.cfg.Services) == 0 {
		return true
	}
	return slices.ContainsFunc(s.cfg.Services, func(svc string) bool { return strings.EqualFold(strings.TrimSpace(svc), is.Service) })
}

// syncIssue brings the incident of one issue up to date.
func (s *Sync) syncIssue(ctx context.Context, is Issue, res *SyncResult) error {
	rec, rev, found, err := s.store.get(ctx, is.ID)
	if err != nil {
		return err
	}
	if !found {
		if is.IsResolved {
			return nil // over before we saw it: no incident for history
		}
		now := s.cfg.Clock().UTC()
		rec = Record{IssueID: is.ID, State: RecordPending, ClaimedAt: now, UpdatedAt: now}
		if rev, err = s.store.create(ctx, rec); err != nil {
			return err
		}
	}
	if rec.State == RecordClosed {
		return nil
	}
	if rec.State == RecordPending {
		if rec, rev, err = s.open(ctx, is, rec, rev, res); err != nil {
			return err
		}
	}
	return s.update(ctx, is, rec, rev, res)
}

// open finds or creates the incident of a claimed issue and records it.
func (s *Sync) open(ctx context.Context, is Issue, rec Record, rev uint64, res *SyncResult) (Record, uint64, error) {
	found, err := s.cfg.Incidents.FindIncidents(ctx, "correlation_id="+is.ID)
	if err != nil {
		return rec, rev, fmt.Errorf("look up the incident of issue %s: %w", is.ID, err)
	}
	var inc servicenow.Incident
	if len(found) > 0 {
		inc = found[0]
		s.log.InfoContext(ctx, "incident of a pending issue found; not creating another",
			slog.String("issue", is.ID), slog.String("incident", inc.Number))
	} else {
		inc, err = s.cfg.Incidents.CreateIncident(ctx, IncidentFields(is, s.cfg.AssignmentGroup, s.cfg.Category))
		if err != nil {
			return rec, rev, fmt.Errorf("create the incident of issue %s: %w", is.ID, err)
		}
		res.IncidentsCreated++
		s.ins.created.Add(ctx, 1)
		s.log.InfoContext(ctx, "incident created for a service health issue",
			slog.String("issue", is.ID), slog.String("incident", inc.Number))
	}
	if inc.SysID == "" {
		return rec, rev, fmt.Errorf("incident of issue %s: the answer has no sys_id", is.ID)
	}
	rec.State, rec.SysID, rec.Number, rec.UpdatedAt = RecordOpen, inc.SysID, inc.Number, s.cfg.Clock().UTC()
	rev, err = s.store.update(ctx, rec, rev)
	return rec, rev, err
}

// update posts the issue's new posts and, when enabled, resolves the
// incident of a resolved issue. It reads the incident first: a resolved or
// closed incident gets nothing and the record is closed.
func (s *Sync) update(ctx context.Context, is Issue, rec Record, rev uint64, res *SyncResult) error {
	posts := sortedPosts(is.Posts)
	resolve := s.cfg.AutoResolve && is.IsResolved
	if rec.PostsSeen >= len(posts) && !resolve {
		if is.IsResolved && !rec.Resolved {
			rec.Resolved, rec.UpdatedAt = true, s.cfg.Clock().UTC()
			_, err := s.store.update(ctx, rec, rev)
			return err
		}
		return nil
	}
	inc, err := s.cfg.Incidents.GetIncident(ctx, rec.SysID)
	if errors.Is(err, servicenow.ErrNotFound) {
		s.log.WarnContext(ctx, "incident of the issue is gone; nothing more is synced", slog.String("issue", is.ID), slog.String("incident", rec.Number))
		return s.close(ctx, rec, rev)
	}
	if err != nil {
		return fmt.Errorf("read incident %s of issue %s: %w", rec.Number, is.ID, err)
	}
	if inc.IsResolvedOrClosed() {
		return s.close(ctx, rec, rev)
	}
	keys := PostKeys(is.ID, posts)
	for i := rec.PostsSeen; i < len(posts); i++ {
		posted, err := s.cfg.Incidents.AddWorkNoteOnce(ctx, rec.SysID, keys[i], PostNote(is, posts[i]))
		if err != nil {
			return fmt.Errorf("post update of issue %s to %s: %w", is.ID, rec.Number, err)
		}
		if posted {
			res.NotesPosted++
			s.ins.posted.Add(ctx, 1, metric.WithAttributes(attrKind.String("post")))
		}
		rec.PostsSeen, rec.LastPostAt, rec.UpdatedAt = i+1, posts[i].CreatedDateTime, s.cfg.Clock().UTC()
		if rev, err = s.store.update(ctx, rec, rev); err != nil {
			return err
		}
	}
	rec.Resolved = is.IsResolved
	if resolve {
		// Read state, patch, record: a crash before the record finds the
		// incident resolved next time and only records it.
		_, err := s.cfg.Incidents.PatchIncident(ctx, rec.SysID, map[string]string{
			"state":       servicenow.StateResolved,
			"close_code":  ResolveCloseCode,
			"close_notes": ResolveNote(is),
		})
		if err != nil {
			return fmt.Errorf("resolve incident %s of issue %s: %w", rec.Number, is.ID, err)
		}
		res.Resolved++
		s.ins.posted.Add(ctx, 1, metric.WithAttributes(attrKind.String("resolve")))
		s.log.InfoContext(ctx, "incident resolved with its service health issue", slog.String("issue", is.ID), slog.String("incident", rec.Number))
		rec.AutoResolved, rec.State = true, RecordClosed
	}
	rec.UpdatedAt = s.cfg.Clock().UTC()
	_, err = s.store.update(ctx, rec, rev)
	return err
}

// close records that the incident takes no more updates.
func (s *Sync) close(ctx context.Context, rec Record, rev uint64) error {
	rec.State, rec.UpdatedAt = RecordClosed, s.cfg.Clock().UTC()
	_, err := s.store.update(ctx, rec, rev)
	return err
}
