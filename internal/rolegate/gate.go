package rolegate

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"log/slog"

	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/metric"
	metricnoop "go.opentelemetry.io/otel/metric/noop"
	"go.opentelemetry.io/otel/trace"

	"github.com/escalator/escalator/internal/event"
	"github.com/escalator/escalator/internal/fault"
	"github.com/escalator/escalator/worker"
)

const scope = "github.com/escalator/escalator/internal/rolegate"

// MetricRefused counts refused events, by AttrEventType and AttrRole.
const MetricRefused = "escalator.events.refused"

// Attributes of MetricRefused.
const (
	// AttrEventType is the CloudEvents type (OpenTelemetry's
	// cloudevents.event_type).
	AttrEventType = attribute.Key("cloudevents.event_type")
	// AttrRole is the role the requester lacked.
	AttrRole = attribute.Key("role")
)

// NoteWriter posts a work note once per key; *servicenow.Client implements
// it.
type NoteWriter interface {
	AddWorkNoteOnce(ctx context.Context, sysID, key, text string) (posted bool, err error)
}

// Config configures New.
type Config struct {
	// Role is the ServiceNow role the requester must hold, e.g.
	// x_mioms_m365_assis.administrator. Required.
	Role string
	// Notes posts the work note that explains a refusal. Required.
	Notes NoteWriter
	// Logger receives the audit line of each refusal. Default slog.Default().
	Logger *slog.Logger
	// MeterProvider makes escalator.events.refused. Default: no metrics.
	MeterProvider metric.MeterProvider
}

// Gate is a worker.Handler that calls the next handler only for events
// whose requester holds the role.
type Gate struct {
	role    string
	notes   NoteWriter
	log     *slog.Logger
	refused metric.Int64Counter
	next    worker.Handler
}

// New validates cfg and returns the gate in front of next.
func New(cfg Config, next worker.Handler) (*Gate, error) {
	var errs []error
	if cfg.Role == "" {
		errs = append(errs, errors.New("no role"))
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
	if cfg.Logger == nil {
		cfg.Logger = slog.Default()
	}
	if cfg.MeterProvider == nil {
		cfg.MeterProvider = metricnoop.NewMeterProvider()
	}
	refused, err := cfg.MeterProvider.Meter(scope).Int64Counter(MetricRefused,
		metric.WithDescription("Role-gated events refused because the requester lacks the role, by event type and role."),
		metric.WithUnit("{event}"))
	if err != nil {
		return nil, fmt.Errorf("rolegate: metric %s: %w", MetricRefused, err)
	}
	return &Gate{role: cfg.Role, notes: cfg.Notes, log: cfg.Logger, refused: refused, next: next}, nil
}

// Allowed reports whether the requester of ev holds role, by exact name.
func Allowed(ev *event.Event, role string) bool {
	return ev != nil && role != "" && ev.Data.RequestedBy.HasRole(role)
}

// Role is the role the gate requires.
func (g *Gate) Role() string { return g.role }

// Handle passes an allowed event to the next handler; it refuses any other
// (see the package documentation) and acks it once the work note is on the
// incident.
func (g *Gate) Handle(ctx context.Context, msg *worker.Message) error {
	if msg == nil || msg.Event == nil {
		return fault.Permanentf("rolegate: message without an event")
	}
	ev := msg.Event
	if Allowed(ev, g.role) {
		return g.next.Handle(ctx, msg)
	}
	return g.refuse(ctx, ev)
}

func (g *Gate) refuse(ctx context.Context, ev *event.Event) error {
	trace.SpanFromContext(ctx).AddEvent("event refused: missing role",
		trace.WithAttributes(AttrRole.String(g.role)))

	key := NoteKey(ev.ID)
	posted, err := g.notes.AddWorkNoteOnce(ctx, ev.Data.Incident.SysID, key, RefusalNote(ev, g.role))
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
		"missing_role", g.role,
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
	g.refused.Add(ctx, 1, metric.WithAttributes(AttrEventType.String(ev.Type), AttrRole.String(g.role)))
	return nil
}

// NoteKey is the work note marker key of the refusal of event id:
// "refused-<id>", or "refused-<sha256 of id>" when the id holds a character
// that a marker or an encoded query cannot carry.
func NoteKey(id string) string {
	for _, r := range id {
		if !safeKeyRune(r) {
			sum := sha256.Sum256([]byte(id))
			return "refused-" + hex.EncodeToString(sum[:16])
		}
	}
	return "refused-" + id
}

func safeKeyRune(r rune) bool {
	return r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r >= '0' && r <= '9' ||
		r == '-' || r == '_' || r == '.' || r == ':'
}

// RefusalNote is the work note that explains the refusal of ev for lack of
// role.
func RefusalNote(ev *event.Event, role string) string {
	user := ev.Data.RequestedBy.UserName
	if user == "" {
		user = "an unknown user"
	}
	return fmt.Sprintf("Escalator refused the %s from %s: the user does not have the role %s. "+
		"Ask a ServiceNow administrator to grant it.", requestName(ev.Type), user, role)
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
