package outbox

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"strconv"
	"time"

	"github.com/nats-io/nats.go/jetstream"
	"go.opentelemetry.io/otel/metric"

	"github.com/escalator/escalator/internal/event"
	"github.com/escalator/escalator/internal/fault"
	"github.com/escalator/escalator/internal/servicenow"
	"github.com/escalator/escalator/internal/streams"
	"github.com/escalator/escalator/internal/telemetry"
	"github.com/escalator/escalator/worker"
)

// TableReader lists and writes outbox rows; *servicenow.Client implements it.
type TableReader interface {
	ListPage(ctx context.Context, table string, opts servicenow.ListOptions) (servicenow.Page, error)
	Patcher
}

// Publisher stores an event and waits for JetStream's ack;
// *streams.Publisher implements it.
type Publisher interface {
	Publish(ctx context.Context, ev *event.Event, opts ...streams.PublishOption) (*jetstream.PubAck, error)
}

// LeaseKey is the key of the poller's lease in escalator_outbox: one run at
// a time for the fleet, so rows keep their order in the stream.
const LeaseKey = "lease.outbox"

// Defaults.
const (
	DefaultPageSize = 100
	DefaultMaxPages = 100
	// maxSkipped bounds the rows a run leaves pending because they could
	// not be written (a permanent error other than "gone"); each is
	// excluded from the run's later pages by a term of the query.
	maxSkipped = 50
)

// PollerConfig configures NewPoller.
type PollerConfig struct {
	// Table reads and marks the rows; required.
	Table TableReader
	// Publisher stores the events; required.
	Publisher Publisher
	// Records is the escalator_outbox bucket (records and the lease);
	// required.
	Records jetstream.KeyValue
	// Source is the events' CloudEvents source, the instance URL
	// (ESCALATOR_SERVICENOW_URL); required.
	Source string
	// PageSize is the rows per page read; default DefaultPageSize, at
	// most servicenow.MaxPageSize.
	PageSize int
	// MaxPages bounds the pages one run reads; default DefaultMaxPages.
	// What is left is taken by the next tick.
	MaxPages int
	// LeaseTTL defaults to worker.DefaultLeaseTTL.
	LeaseTTL time.Duration
	// Logger defaults to discarding; MeterProvider to a no-op.
	Logger        *slog.Logger
	MeterProvider metric.MeterProvider
}

// Poller is the worker.Handler of escalator.tick.outbox: on every tick it
// takes the pending outbox rows, oldest first.
type Poller struct {
	cfg   PollerConfig
	log   *slog.Logger
	rec   records
	rows  metric.Int64Counter
	lease worker.Handler
}

// NewPoller validates cfg and returns a Poller.
func NewPoller(cfg PollerConfig) (*Poller, error) {
	switch {
	case cfg.Table == nil:
		return nil, errors.New("outbox poller: a ServiceNow client is required")
	case cfg.Publisher == nil:
		return nil, errors.New("outbox poller: a publisher is required")
	case cfg.Records == nil:
		return nil, errors.New("outbox poller: the escalator_outbox bucket is required")
	case cfg.Source == "":
		return nil, errors.New("outbox poller: the source (the instance URL) is required")
	case cfg.PageSize < 0 || cfg.PageSize > servicenow.MaxPageSize:
		return nil, fmt.Errorf("outbox poller: page size %d: want 1 to %d", cfg.PageSize, servicenow.MaxPageSize)
	case cfg.MaxPages < 0:
		return nil, fmt.Errorf("outbox poller: max pages %d: want at least 1", cfg.MaxPages)
	}
	if cfg.PageSize == 0 {
		cfg.PageSize = DefaultPageSize
	}
	if cfg.MaxPages == 0 {
		cfg.MaxPages = DefaultMaxPages
	}
	log := telemetry.OrDiscard(cfg.Logger)
	rows, err := newRowCounter(cfg.MeterProvider)
	if err != nil {
		return nil, err
	}
	p := &Poller{cfg: cfg, log: log, rec: records{cfg.Records}, rows: rows}
	p.lease, err = worker.Exclusive(worker.HandlerFunc(p.handle), worker.LeaseConfig{
		KV: cfg.Records, Key: LeaseKey, TTL: cfg.LeaseTTL, Logger: log,
	})
	if err != nil {
		return nil, fmt.Errorf("outbox poller: %w", err)
	}
	return p, nil
}

// Handle runs one pass for a tick, unless another replica's is running.
func (p *Poller) Handle(ctx context.Context, msg *worker.Message) error {
	return p.lease.Handle(ctx, msg)
}

// handle never fails the tick: the next tick, seconds away, is the retry,
// and a tick dead-lettered for every interval of an outage would bury the
// dead letters that matter.
func (p *Poller) handle(ctx context.Context, msg *worker.Message) error {
	res, err := p.RunOnce(ctx, msg.InProgress)
	if err != nil && ctx.Err() == nil {
		p.log.WarnContext(ctx, "outbox pass stopped; the next tick goes on", slog.String("error", err.Error()),
			slog.Int("sent", res.Sent), slog.Int("failed", res.Failed))
	}
	return nil
}

// RunResult counts what one pass did with the rows it read.
type RunResult struct {
	// Sent rows were stored (Duplicates of them were already in the
	// stream, pushed or published by an earlier pass) and marked sent.
	Sent, Duplicates int
	// Final rows already had their outcome (the worker was quicker than
	// the mark) and were given it.
	Final int
	// Failed rows could not become an event and were marked failed.
	Failed int
	// Skipped rows could not be written and stay pending.
	Skipped int
}

// RunOnce takes every pending row once, oldest first, page after page,
// after a sweep of the sent rows when the previous pass was cut short (see
// sweep.go). progress, when not nil, is called between pages. It stops at
// the first error that a later pass may not meet (JetStream or the
// instance unreachable) and returns it; the rows not taken stay pending.
func (p *Poller) RunOnce(ctx context.Context, progress func() error) (RunResult, error) {
	var res RunResult
	cutShort, err := p.beginRun(ctx)
	if err != nil {
		return res, err
	}
	if cutShort {
		if err := p.sweep(ctx, &res); err != nil {
			return res, err
		}
	}
	if err := p.pass(ctx, progress, &res); err != nil {
		return res, err
	}
	p.endRun(ctx)
	return res, nil
}

// pass takes the pending rows.
func (p *Poller) pass(ctx context.Context, progress func() error, res *RunResult) error {
	var skipped []string
	for range p.cfg.MaxPages {
		q := servicenow.Query{}.Eq("u_state", StatePending)
		for _, id := range skipped {
			q = q.NotEq("sys_id", id)
		}
		page, err := p.cfg.Table.ListPage(ctx, Table, servicenow.ListOptions{
			Query: q.OrderBy("sys_created_on"), Fields: rowFields, Limit: p.cfg.PageSize,
		})
		if err != nil {
			return fmt.Errorf("read pending outbox rows: %w", err)
		}
		for _, row := range page.Records {
			skip, err := p.take(ctx, row, res)
			if err != nil {
				return err
			}
			if skip {
				res.Skipped++
				skipped = append(skipped, row["sys_id"])
			}
		}
		// Rows marked leave the query, so the next page starts again at
		// offset 0; a short page was the last.
		if len(page.Records) < p.cfg.PageSize || len(skipped) > maxSkipped {
			return nil
		}
		if progress != nil {
			_ = progress()
		}
	}
	return nil
}

// take turns one row into its stored event and marks it. skip reports a
// row left pending that the pass must not read again.
func (p *Poller) take(ctx context.Context, row servicenow.Record, res *RunResult) (skip bool, err error) {
	id := row["sys_id"]
	ev, rerr := RowEvent(row, p.cfg.Source)
	if rerr != nil {
		p.log.WarnContext(ctx, "outbox row cannot become an event; marked failed", slog.String("row", id), slog.String("reason", rerr.Error()))
		fields := map[string]string{"u_state": StateFailed, "u_result": rowFailedText(rerr), "u_last_error": bound(rerr.Error(), maxResult)}
		return p.write(ctx, id, fields, "failed", &res.Failed)
	}
	rec, found, err := p.rec.get(ctx, id)
	if err != nil {
		return false, err
	}
	if found && rec.final() {
		return p.write(ctx, id, rec.Fields, "final", &res.Final)
	}
	if !found {
		// The id is the row's sys_id and the Nats-Msg-Id: a republish
		// within the duplicate window (a crash before the mark, a push of
		// the same row) is dropped by JetStream and acked with the
		// stored sequence.
		ack, err := p.cfg.Publisher.Publish(ctx, &ev)
		if err != nil {
			return false, fmt.Errorf("publish outbox row %s: %w", id, err)
		}
		if ack.Duplicate {
			res.Duplicates++
		}
		rec = record{Seq: ack.Sequence}
		// Past the window, this record is what stops a second publish.
		if err := p.rec.create(ctx, id, rec); err != nil {
			p.log.WarnContext(ctx, "outbox record not stored", slog.String("row", id), slog.String("error", err.Error()))
		}
	}
	seq := strconv.FormatUint(rec.Seq, 10)
	sent := map[string]string{"u_state": StateSent, "u_event_seq": seq,
		"u_result": "Taken by Escalator as event " + seq + "; waiting for Escalator to act on it."}
	answer, st, err := p.patch(ctx, id, sent)
	if st != written || err != nil {
		return st == skipped, err
	}
	res.Sent++
	p.count(ctx, "sent")
	if !p.othersWrote(row, answer) {
		return false, nil
	}
	// Someone wrote the row between the page read and the mark: if it was
	// the outcome, the mark has just replaced it. Write it again.
	latest, found, err := p.rec.get(ctx, id)
	if err != nil || !found || !latest.final() {
		return false, err
	}
	return p.write(ctx, id, latest.Fields, "final", &res.Final)
}

// write patches the row and counts it under outcome.
func (p *Poller) write(ctx context.Context, id string, fields map[string]string, outcome string, n *int) (bool, error) {
	_, st, err := p.patch(ctx, id, fields)
	if st != written || err != nil {
		return st == skipped, err
	}
	*n++
	p.count(ctx, outcome)
	return false, nil
}

// patchStatus is what became of a write.
type patchStatus int

const (
	written patchStatus = iota
	// gone: the row was deleted meanwhile; nothing to do.
	gone
	// skipped: a permanent refusal; the row stays pending.
	skipped
)

// patch writes fields on the row. A transient failure is returned (the
// pass stops, the row stays pending); any permanent one other than a row
// gone meanwhile skips the row.
func (p *Poller) patch(ctx context.Context, id string, fields map[string]string) (servicenow.Record, patchStatus, error) {
	answer, err := p.cfg.Table.Patch(ctx, Table, id, fields)
	switch {
	case err == nil:
		return answer, written, nil
	case errors.Is(err, servicenow.ErrNotFound):
		return nil, gone, nil
	case fault.Classify(err) == fault.Transient || ctx.Err() != nil:
		return nil, written, fmt.Errorf("mark outbox row %s %s: %w", id, fields["u_state"], err)
	default:
		p.log.WarnContext(ctx, "outbox row cannot be written; left pending", slog.String("row", id), slog.String("error", err.Error()))
		p.count(ctx, "skipped")
		return nil, skipped, nil
	}
}

// othersWrote reports whether the row changed between the page read and
// the mark: sys_mod_count moved by more than the mark's one update (or
// cannot be compared).
func (p *Poller) othersWrote(row, answer servicenow.Record) bool {
	before, err1 := strconv.Atoi(row["sys_mod_count"])
	after, err2 := strconv.Atoi(answer["sys_mod_count"])
	return err1 != nil || err2 != nil || after != before+1
}
