package insights

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"strings"
	"time"

	"github.com/nats-io/nats.go/jetstream"
	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/trace"

	"github.com/escalator/escalator/health"
	"github.com/escalator/escalator/internal/event"
	"github.com/escalator/escalator/internal/fault"
	"github.com/escalator/escalator/internal/servicenow"
	"github.com/escalator/escalator/internal/telemetry"
	"github.com/escalator/escalator/worker"
)

// How many issues and articles a note shows.
const (
	TopIssues   = noteIssues
	TopArticles = noteArticles
)

// DefaultMaxAge is how old the service health snapshot may be before the
// handler refreshes it: twice the snapshot's default refresh interval, so a
// healthy refresh loop is never overtaken.
const DefaultMaxAge = 10 * time.Minute

// HealthSource is the shared service health snapshot; *health.Snapshot
// implements it.
type HealthSource interface {
	// Current returns the last good reading and when it was taken (zero:
	// never).
	Current() (health.Data, time.Time)
	// Refresh reads Graph now.
	Refresh(ctx context.Context) error
}

// NoteWriter posts a work note once per key; *servicenow.Client implements
// it.
type NoteWriter interface {
	AddWorkNoteOnce(ctx context.Context, sysID, key, text string) (posted bool, err error)
}

// DigestBucket is what the handler needs of the bucket escalator_insights:
// a jetstream.KeyValue, or a read-only *kvsnapshot.Snapshot of it for the
// replay dry run (which only plans).
type DigestBucket interface {
	Get(ctx context.Context, key string) (jetstream.KeyValueEntry, error)
	Create(ctx context.Context, key string, value []byte, opts ...jetstream.KVCreateOpt) (uint64, error)
	Update(ctx context.Context, key string, value []byte, revision uint64) (uint64, error)
}

// HandlerConfig configures NewHandler.
type HandlerConfig struct {
	// Catalog recommends the articles. Required (LoadCatalog).
	Catalog *Catalog
	// Health gives the active service health issues. Required.
	Health HealthSource
	// Notes writes the note back to the incident. Required.
	Notes NoteWriter
	// Digests is the bucket escalator_insights: incident sys_id → digest of
	// the last note posted. Required.
	Digests DigestBucket
	// MaxAge is the oldest snapshot used without a refresh. Default
	// DefaultMaxAge.
	MaxAge time.Duration
	// Logger default: discard.
	Logger *slog.Logger
	// Clock tells the time (the snapshot's age). Default time.Now.
	Clock func() time.Time
}

// Handler answers insights requests (subject escalator.incident.insights):
// it writes the matching service health issues and recommended articles to
// the incident as one work note, and writes again only when they changed.
// The role check is not its business: it sits behind a rolegate.
type Handler struct {
	catalog *Catalog
	health  HealthSource
	notes   NoteWriter
	digests DigestBucket
	maxAge  time.Duration
	log     *slog.Logger
	now     func() time.Time
}

// NewHandler validates cfg and returns a Handler.
func NewHandler(cfg HandlerConfig) (*Handler, error) {
	var errs []error
	if cfg.Catalog == nil {
		errs = append(errs, errors.New("no article catalog"))
	}
	if cfg.Health == nil {
		errs = append(errs, errors.New("no service health source"))
	}
	if cfg.Notes == nil {
		errs = append(errs, errors.New("no work note writer"))
	}
	if cfg.Digests == nil {
		errs = append(errs, errors.New("no digest bucket"))
	}
	if cfg.MaxAge < 0 {
		errs = append(errs, fmt.Errorf("max age %s is negative", cfg.MaxAge))
	}
	if err := errors.Join(errs...); err != nil {
		return nil, fmt.Errorf("insights handler: %w", err)
	}
	if cfg.MaxAge == 0 {
		cfg.MaxAge = DefaultMaxAge
	}
	cfg.Logger = telemetry.OrDiscard(cfg.Logger)
	if cfg.Clock == nil {
		cfg.Clock = time.Now
	}
	return &Handler{
		catalog: cfg.Catalog, health: cfg.Health, notes: cfg.Notes, digests: cfg.Digests,
		maxAge: cfg.MaxAge, log: cfg.Logger, now: cfg.Clock,
	}, nil
}

// Plan is what handling an insights request would do, computed without
// side effects (no work note, no digest written): the replay dry run.
type Plan struct {
	SysID    string
	Incident string // number
	Note     Note
	Text     string // FormatNote(Note)
	Digest   string
	// Stored is the digest recorded for the incident ("" when none) and
	// StoredRevision its revision in the bucket (0 when none).
	Stored         string
	StoredRevision uint64
	// Post says whether the note would be posted: its digest differs from
	// the stored one.
	Post bool
	// Key is the work note marker key the note would carry.
	Key string
}

// Action is "post" or "unchanged".
func (p Plan) Action() string {
	if p.Post {
		return "post"
	}
	return "unchanged"
}

// Plan computes the note for ev and whether it would be posted. It reads
// the health snapshot (refreshing it when stale) and the stored digest.
func (h *Handler) Plan(ctx context.Context, ev *event.Event) (Plan, error) {
	if ev == nil {
		return Plan{}, fault.Permanentf("insights: no event")
	}
	if ev.Type != event.TypeInsights {
		return Plan{}, fault.Permanentf("insights: event %s has type %q, want %q", ev.ID, ev.Type, event.TypeInsights)
	}
	inc := ev.Data.Incident
	if inc.SysID == "" {
		return Plan{}, fault.Permanentf("insights: event %s has no incident sys_id", ev.ID)
	}
	data, err := h.snapshot(ctx)
	if err != nil {
		return Plan{}, fmt.Errorf("insights for %s: %w", inc.Number, err)
	}
	note := h.compose(inc, data.Issues)
	p := Plan{SysID: inc.SysID, Incident: inc.Number, Note: note, Text: FormatNote(note), Digest: Digest(note)}

	entry, err := h.digests.Get(ctx, inc.SysID)
	switch {
	case errors.Is(err, jetstream.ErrKeyNotFound):
	case err != nil:
		return Plan{}, fmt.Errorf("insights for %s: read digest: %w", inc.Number, err)
	default:
		p.Stored, p.StoredRevision = string(entry.Value()), entry.Revision()
	}
	p.Post = p.Stored != p.Digest
	p.Key = noteKey(p.Digest, p.StoredRevision)
	return p, nil
}

// noteKey is the marker key of a note: its digest, and the revision of the
// digest it replaces. The revision makes a note that returns to an earlier
// digest (A, B, then A again) a new note, while a retry after a crash
// between posting and recording the digest finds the note it posted.
func noteKey(digest string, prevRev uint64) string {
	return servicenow.NoteKey("insights", fmt.Sprintf("%s-%d", digest[:16], prevRev), servicenow.EventKeyForm)
}

// Handle posts the insights note for the incident of msg, unless the
// incident already has a note with the same digest. A service health
// snapshot that cannot be read fails the message (it is retried): a note
// without the issues would look like "no issue matches".
func (h *Handler) Handle(ctx context.Context, msg *worker.Message) error {
	if msg == nil {
		return fault.Permanentf("insights: no message")
	}
	p, err := h.Plan(ctx, msg.Event)
	if err != nil {
		return err
	}
	span := trace.SpanFromContext(ctx)
	span.SetAttributes(
		attribute.String("app.insights.digest", p.Digest),
		attribute.Int("app.insights.issues", len(p.Note.shownIssues())),
		attribute.Int("app.insights.articles", len(p.Note.shownArticles())),
		attribute.String("app.insights.action", p.Action()),
	)
	counts := fmt.Sprintf("%d service health %s, %d %s", len(p.Note.shownIssues()), plural(len(p.Note.shownIssues()), "issue", "issues"),
		len(p.Note.shownArticles()), plural(len(p.Note.shownArticles()), "article", "articles"))
	if !p.Post {
		h.log.DebugContext(ctx, "insights unchanged", "digest", p.Digest)
		msg.SetResult(worker.ResultDone, "Insights unchanged since the last note: "+counts)
		return nil
	}
	posted, err := h.notes.AddWorkNoteOnce(ctx, p.SysID, p.Key, p.Text)
	if err != nil {
		return fmt.Errorf("insights for %s: work note: %w", p.Incident, err)
	}
	if err := h.record(ctx, p); err != nil {
		return fmt.Errorf("insights for %s: record digest: %w", p.Incident, err)
	}
	h.log.InfoContext(ctx, "insights written", "digest", p.Digest,
		"issues", shownIssueIDs(p.Note), "articles", len(p.Note.shownArticles()), "posted", posted)
	msg.SetResult(worker.ResultDone, "Insights posted: "+counts)
	return nil
}

func plural(n int, one, many string) string {
	if n == 1 {
		return one
	}
	return many
}

// record stores the digest, on the condition that nobody changed it since
// Plan read it. A concurrent change fails the message: it is retried, and
// compared with the newer digest.
func (h *Handler) record(ctx context.Context, p Plan) error {
	var err error
	if p.StoredRevision == 0 {
		_, err = h.digests.Create(ctx, p.SysID, []byte(p.Digest))
	} else {
		_, err = h.digests.Update(ctx, p.SysID, []byte(p.Digest), p.StoredRevision)
	}
	if err != nil {
		return fault.AsTransient(err, 0)
	}
	return nil
}

// snapshot returns the current service health, refreshed first when it was
// never read or is older than MaxAge.
func (h *Handler) snapshot(ctx context.Context) (health.Data, error) {
	data, at := h.health.Current()
	if !at.IsZero() && h.now().Sub(at) <= h.maxAge {
		return data, nil
	}
	if err := h.health.Refresh(ctx); err != nil {
		return health.Data{}, fmt.Errorf("service health: %w", err)
	}
	data, _ = h.health.Current()
	return data, nil
}

// compose matches the incident's text against services, issues and
// articles.
func (h *Handler) compose(inc event.Incident, active []health.Issue) Note {
	text := IncidentText(inc)
	services := MatchServices(text)
	return Note{
		Incident: inc.Number,
		Services: services,
		Issues:   RankIssues(text, services, FromHealth(active), TopIssues),
		Articles: h.catalog.Recommend(text, services, TopArticles),
	}
}

// IncidentText is the text matched for an incident: short description,
// description and category, one per line.
func IncidentText(inc event.Incident) string {
	parts := make([]string, 0, 3)
	for _, s := range []string{inc.ShortDescription, inc.Description, inc.Category} {
		if s = strings.TrimSpace(s); s != "" {
			parts = append(parts, s)
		}
	}
	return strings.Join(parts, "\n")
}

// FromHealth adapts Graph service health issues to Issue.
func FromHealth(issues []health.Issue) []Issue {
	out := make([]Issue, len(issues))
	for i, is := range issues {
		out[i] = Issue{
			ID: is.ID, Title: is.Title, Service: is.Service, Feature: is.Feature, FeatureGroup: is.FeatureGroup,
			ImpactDescription: is.ImpactDescription, Classification: string(is.Classification),
			Status: string(is.Status), LastModified: is.LastModifiedDateTime,
		}
	}
	return out
}

func shownIssueIDs(n Note) []string {
	shown := n.shownIssues()
	ids := make([]string, len(shown))
	for i, m := range shown {
		ids[i] = m.Issue.ID
	}
	return ids
}
