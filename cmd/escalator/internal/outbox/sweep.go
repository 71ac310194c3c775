package outbox

import (
	"context"
	"errors"
	"fmt"
	"log/slog"

	"github.com/nats-io/nats.go/jetstream"

	"github.com/escalator/escalator/internal/servicenow"
)

// A pass repairs a "sent" that landed after the row's outcome right after
// its own write (take). A pass cut short between the two (a crash, a
// shutdown, an error) cannot, so it leaves runKey behind, and the next pass
// first sweeps: every sent row whose outcome escalator_outbox holds gets
// it. A pass that ended cleanly costs no sweep.

// runKey marks a pass in progress in escalator_outbox.
const runKey = "run.outbox"

// beginRun marks a pass in progress and reports whether the previous one
// was cut short.
func (p *Poller) beginRun(ctx context.Context) (cutShort bool, err error) {
	_, err = p.cfg.Records.Get(ctx, runKey)
	switch {
	case err == nil:
		cutShort = true
	case !errors.Is(err, jetstream.ErrKeyNotFound):
		return false, fmt.Errorf("read %s: %w", runKey, err)
	}
	if _, err := p.cfg.Records.Put(ctx, runKey, []byte("running")); err != nil {
		return false, fmt.Errorf("mark the pass in %s: %w", runKey, err)
	}
	return cutShort, nil
}

// endRun clears the mark of a pass that finished.
func (p *Poller) endRun(ctx context.Context) {
	if err := p.cfg.Records.Delete(ctx, runKey); err != nil {
		p.log.DebugContext(ctx, "pass mark not cleared; the next pass sweeps", slog.String("error", err.Error()))
	}
}

// sweep writes the known outcome on every sent row that lacks it.
func (p *Poller) sweep(ctx context.Context, res *RunResult) error {
	var ids []string
	opts := servicenow.ListOptions{Query: servicenow.Query{}.Eq("u_state", StateSent).OrderBy("sys_created_on"),
		Fields: []string{"sys_id"}, Limit: p.cfg.PageSize}
	for range p.cfg.MaxPages {
		page, err := p.cfg.Table.ListPage(ctx, Table, opts)
		if err != nil {
			return fmt.Errorf("read sent outbox rows: %w", err)
		}
		for _, r := range page.Records {
			ids = append(ids, r["sys_id"])
		}
		if page.NextOffset < 0 || len(page.Records) == 0 {
			break
		}
		opts.Offset = page.NextOffset
	}
	for _, id := range ids {
		rec, found, err := p.rec.get(ctx, id)
		if err != nil {
			return err
		}
		if !found || !rec.final() {
			continue // its outcome is still to come, and will land after the mark
		}
		if _, err := p.write(ctx, id, rec.Fields, "final", &res.Final); err != nil {
			return err
		}
	}
	return nil
}
