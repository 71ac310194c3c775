package rolegate

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"slices"
	"strings"

	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/metric"
	"go.opentelemetry.io/otel/trace"

	"github.com/escalator/escalator/internal/event"
	"github.com/escalator/escalator/internal/fault"
	"github.com/escalator/escalator/internal/servicenow"
	"github.com/escalator/escalator/internal/telemetry"
	"github.com/escalator/escalator/worker"
)

const scope = "github.com/escalator/escalator/rolegate"

// MetricRefused counts refused events, by AttrEventType and AttrRole.
const MetricRefused = "escalator.events.refused"

// Attributes of MetricRefused.
const (
	// AttrEventType is the CloudEvents type (OpenTelemetry's
	// cloudevents.event_type).
	AttrEventType = attribute.Key("cloudevents.event_type")
	// AttrRole is the role the requester lacked: the gate's roles,
	// comma-separated, when it accepts several.
	AttrRole = attribute.Key("role")
)

// NoteWriter posts a work note once per key; *servicenow.Client implements
// it.
type NoteWriter interface {
	AddWorkNoteOnce(ctx context.Context, sysID, key, text string) (posted bool, err error)
}

// Config configures New.
type Config struct {
	// Roles are the ServiceNow roles of which the requester must hold one,
	// e.g. escalator_administrator and x_mioms_m365_assis.administrator
	// (ESCALATOR_ROLE_ADMIN). Required. ServiceNow's admin role holds every
	// role (see AdminRole).
	Roles []string
	// Source tells which roles the requester holds: a *RoleCache reads them
	// from ServiceNow; PayloadRoles believes the event. Required.
	Source RoleSource
	// Notes posts the work note that explains a refusal. Required.
	Notes NoteWriter
	// Logger receives the audit line of each refusal. Default: discard.
	Logger *slog.Logger
	// MeterProvider makes escalator.events.refused. Default: no metrics.
	MeterProvider metric.MeterProvider
}

// Gate is a worker.Handler that calls the next handler only for events
// whose requester holds the role.
type Gate struct {
	roles   []string
	source  RoleSource
	notes   NoteWriter
	log     *slog.Logger
	refused metric.Int64Counter
	next    worker.Handler
}

// New validates cfg and returns the gate in front of next.
func New(cfg Config, next worker.Handler) (*Gate, error) {
	var errs []error
	if len(cfg.Roles) == 0 {
		errs = append(errs, errors.New("no role"))
	}
	if slices.Contains(cfg.Roles, "") {
		errs = append(errs, errors.New("an empty role name"))
	}
	if cfg.Source == nil {
		errs = append(errs, errors.New("no role source"))
	}
	if cfg.Notes == nil {
		errs = append(errs, errors.New("no work note writer"))
	}
	if next == nil {
		errs = append(errs, errors.New("no next handler"))
	}
	if err := errors.Join(errs...); err != nil {
		return nil, fmt.Errorf("rolegate: %w", err)
	}
	cfg.Logger = telemetry.OrDiscard(cfg.Logger)
	cfg.MeterProvider = telemetry.OrNoopMeter(cfg.MeterProvider)
	refused, err := cfg.MeterProvider.Meter(scope).Int64Counter(MetricRefused,
		metric.WithDescription("Role-gated events refused because the requester lacks the role, by event type and role."),
		metric.WithUnit("{event}"))
	if err != nil {
		return nil, fmt.Errorf("rolegate: metric %s: %w", MetricRefused, err)
	}
	return &Gate{roles: slices.Clone(cfg.Roles), source: cfg.Source, notes: cfg.Notes, log: cfg.Logger, refused: refused, next: next}, nil
}

// Roles are the roles of which the gate requires one.
func (g *Gate) Roles() []string { return slices.Clone(g.roles) }

// Handle passes an event whose requester holds one of the roles to the next
// handler; it refuses any other (see the package documentation) and acks it
// once the work note is on the incident. Roles that cannot be read fail the
// message as transient: it is retried, not refused.
func (g *Gate) Handle(ctx context.Context, msg *worker.Message) error {
	if msg == nil || msg.Event == nil {
		return fault.Permanentf("rolegate: message without an event")
	}
	ev := msg.Event
	held, err := g.source.Roles(ctx, ev)
	if err != nil {
		return fault.AsTransient(fmt.Errorf("role check of event %s: %w", ev.ID, err), 0)
	}
	if Holds(held, g.roles) {
		return g.next.Handle(ctx, msg)
	}
	if err := g.refuse(ctx, ev); err != nil {
		return err
	}
	msg.SetResult(worker.ResultRefused, RefusalResult(ev, g.roles))
	return nil
}

func (g *Gate) refuse(ctx context.Context, ev *event.Event) error {
	missing := strings.Join(g.roles, ",")
	trace.SpanFromContext(ctx).AddEvent("event refused: missing role",
		trace.WithAttributes(AttrRole.String(missing)))

	key := NoteKey(ev.ID)
	posted, err := g.notes.AddWorkNoteOnce(ctx, ev.Data.Incident.SysID, key, RefusalNote(ev, g.roles))
	note := "posted"
	switch {
	case err != nil:
		note = "failed"
	case !posted:
		note = "already posted"
	}
	attrs := []any{
		"user_name", ev.Data.RequestedBy.UserName,
		"incident", ev.Data.Incident.Number,
		"event_id", ev.ID,
		"type", ev.Type,
		"missing_role", missing,
		"work_note", note,
	}
	if err != nil {
		attrs = append(attrs, "error", err)
	}
	g.log.WarnContext(ctx, "event refused: missing role", attrs...)
	if err != nil {
		return fmt.Errorf("refuse event %s: work note on %s: %w", ev.ID, ev.Data.Incident.Number, err)
	}
	// Counted once the refusal is settled, so a retried work note does not
	// count one refusal twice.
	g.refused.Add(ctx, 1, metric.WithAttributes(AttrEventType.String(ev.Type), AttrRole.String(missing)))
	return nil
}

// NoteKey is the work note marker key of the refusal of event id:
// "refused-<id>", or "refused-<sha256 of id>" when the id holds a character
// that a marker or an encoded query cannot carry (servicenow.RefusalKeyForm).
func NoteKey(id string) string { return servicenow.NoteKey("refused", id, servicenow.RefusalKeyForm) }

// RefusalNote is the work note that explains the refusal of ev for lack of
// one of roles.
func RefusalNote(ev *event.Event, roles []string) string {
	what := "the role " + roleList(roles) + ". Ask a ServiceNow administrator to grant it."
	if len(roles) > 1 {
		what = "any of the roles " + roleList(roles) + ". Ask a ServiceNow administrator to grant one."
	}
	return fmt.Sprintf("Escalator refused the %s from %s: the user does not have %s",
		requestName(ev.Type), requester(ev), what)
}

// RefusalResult is the outcome of a refusal in a few words, as the
// requester's outbox row shows it.
func RefusalResult(ev *event.Event, roles []string) string {
	return fmt.Sprintf("Refused: %s does not hold %s", requester(ev), roleList(roles))
}

func requester(ev *event.Event) string {
	if user := ev.Data.RequestedBy.UserName; user != "" {
		return user
	}
	return "an unknown user"
}

func requestName(eventType string) string {
	switch eventType {
	case event.TypeEscalation:
		return "escalation request"
	case event.TypeInsights:
		return "insights request"
	default:
		return "request (" + eventType + ")"
	}
}
