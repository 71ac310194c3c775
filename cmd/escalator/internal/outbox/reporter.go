package outbox

import (
	"context"
	"errors"
	"fmt"
	"log/slog"

	"github.com/nats-io/nats.go/jetstream"

	"github.com/escalator/escalator/internal/servicenow"
	"github.com/escalator/escalator/internal/telemetry"
	"github.com/escalator/escalator/worker"
)

// Patcher writes fields on a record; *servicenow.Client implements it.
type Patcher interface {
	Patch(ctx context.Context, table, sysID string, fields map[string]string) (servicenow.Record, error)
}

// ReporterConfig configures NewReporter.
type ReporterConfig struct {
	// Table writes the outcome on the row; required.
	Table Patcher
	// Records is the escalator_outbox bucket; required.
	Records jetstream.KeyValue
	// Logger defaults to discarding.
	Logger *slog.Logger
}

// Reporter writes each outcome on the outbox row its event came from,
// pulled or pushed: a worker.Reporter for the worker's Config.Reporter.
type Reporter struct {
	table Patcher
	rec   records
	log   *slog.Logger
}

// NewReporter validates cfg and returns a Reporter.
func NewReporter(cfg ReporterConfig) (*Reporter, error) {
	switch {
	case cfg.Table == nil:
		return nil, errors.New("outbox reporter: a ServiceNow client is required")
	case cfg.Records == nil:
		return nil, errors.New("outbox reporter: the escalator_outbox bucket is required")
	}
	log := telemetry.OrDiscard(cfg.Logger)
	return &Reporter{table: cfg.Table, rec: records{cfg.Records}, log: log}, nil
}

// Report writes u_state (done, refused or failed), u_result in words and
// u_event_seq on the row whose sys_id is the event's id. An event whose id
// is no sys_id (a tick) is not looked for; one whose row does not exist
// (a push that wrote no row, a replay under a new id) is a 404 and nothing
// more. A redelivery writes the same fields again.
//
// The outcome is stored in escalator_outbox before the row is written, so a
// poller whose "sent" lands after it (the Table API cannot refuse a write
// on a condition) finds it and writes it again.
func (r *Reporter) Report(ctx context.Context, msg *worker.Message, res worker.Result) error {
	id := eventID(msg)
	if !isSysID(id) {
		return nil
	}
	fields := outcomeFields(msg.Subject, res, msg.StreamSeq)
	if err := r.rec.put(ctx, id, record{Seq: msg.StreamSeq, Fields: fields}); err != nil {
		return fmt.Errorf("outcome of %s: %w", id, err)
	}
	_, err := r.table.Patch(ctx, Table, id, fields)
	if errors.Is(err, servicenow.ErrNotFound) {
		// Not from the outbox: forget the record.
		if derr := r.rec.delete(ctx, id); derr != nil {
			r.log.DebugContext(ctx, "outbox record left to expire", slog.String("event_id", id), slog.String("error", derr.Error()))
		}
		return nil
	}
	if err != nil {
		return fmt.Errorf("write the outcome on %s row %s: %w", Table, id, err)
	}
	r.log.DebugContext(ctx, "outcome written on the outbox row", slog.String("event_id", id), slog.String("state", fields["u_state"]))
	return nil
}

// eventID is the CloudEvent id (a replay keeps it under a new Nats-Msg-Id),
// or the Nats-Msg-Id of a message that did not decode.
func eventID(msg *worker.Message) string {
	if msg.Event != nil {
		return msg.Event.ID
	}
	return msg.Header.Get(jetstream.MsgIDHeader)
}
