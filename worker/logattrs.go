package worker

import (
	"cmp"
	"context"
	"log/slog"

	"github.com/nats-io/nats.go/jetstream"

	"github.com/escalator/escalator/internal/telemetry"
)

// The message identity every log line about a message carries (through
// telemetry.LogHandler), so that handlers need not repeat it.
const (
	LogKeyEventID  = "event_id"
	LogKeyIncident = "incident"
	LogKeySubject  = "subject"
	LogKeyDelivery = "delivery"
)

// messageLog is the identity of the delivery a handler's context belongs to.
// It is read at each log call, not copied when the context is made: the
// incident is known only once the body is decoded, and a message that logs
// nothing costs no attribute.
type messageLog delivery

// AppendLogAttrs appends event_id (the Nats-Msg-Id, which a replay derives
// from the CloudEvent id), incident (the incident number, once decoded),
// subject and delivery (1 the first time).
func (m *messageLog) AppendLogAttrs(dst []slog.Attr) []slog.Attr {
	msg := &m.message
	id := msg.Header.Get(jetstream.MsgIDHeader)
	var incident string
	if msg.Event != nil {
		id = cmp.Or(id, msg.Event.ID)
		incident = msg.Event.Data.Incident.Number
	}
	return append(dst,
		slog.String(LogKeyEventID, id),
		slog.String(LogKeyIncident, incident),
		slog.String(LogKeySubject, msg.Subject),
		slog.Uint64(LogKeyDelivery, msg.NumDelivered))
}

// withMessageLog returns ctx carrying d's identity for the log lines of its
// handler and of its settling.
func withMessageLog(ctx context.Context, d *delivery) context.Context {
	return telemetry.ContextWithLogAttrs(ctx, (*messageLog)(d))
}
