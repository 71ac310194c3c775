package replay

import (
	"context"
	"errors"
	"fmt"

	"github.com/nats-io/nats.go/jetstream"

	"github.com/escalator/escalator/internal/fault"
	"github.com/escalator/escalator/internal/streams"
)

// realRun republishes the selected events one at a time, in source order.
func (r *runner) realRun(ctx context.Context) error {
	for {
		it, ok, err := r.rd.next(ctx)
		if err != nil || !ok {
			return err
		}
		r.read++
		r.size(it.pos)
		d := decode(it)
		if !r.selected(d) {
			r.sum.Read++
			r.sum.Filtered++
			r.deps.Reporter.Skipped(it.pos)
			if err := r.done(ctx, it.pos); err != nil {
				return err
			}
			continue
		}
		if err := r.wait(ctx); err != nil {
			return err
		}
		res, stop := r.republish(ctx, it, d)
		r.deps.Reporter.Result(res)
		if stop != nil {
			// Not done: the position stays before this event, so a resume
			// republishes it (under the same message id); the failure is
			// in this attempt's summary, not in the record.
			r.stopped = &res
			return stop
		}
		r.sum.Read++
		r.sum.add(res)
		if err := r.done(ctx, it.pos); err != nil {
			return err
		}
	}
}

// republish sends one event again under this run's message id; a dead
// letter is deleted once JetStream acknowledged the republish. A non-nil
// stop means the run cannot go on (JetStream did not acknowledge, or ctx
// ended).
func (r *runner) republish(ctx context.Context, it item, d decoded) (res Result, stop error) {
	res = baseResult(it, d)
	if d.err != nil {
		res.Action, res.Error = ActionInvalid, d.err.Error()
		return res, nil
	}
	ev := d.ev
	ack, err := r.deps.Publisher.Publish(ctx, ev,
		streams.WithMsgID(MsgID(r.rec.RunID, ev.ID, it.pos)),
		streams.WithHeader(HeaderReplay, r.rec.RunID))
	if err != nil {
		res.Action, res.Error = ActionError, err.Error()
		if fault.Classify(err) == fault.Permanent {
			return res, nil
		}
		return res, fmt.Errorf("republish event %s (seq %d): %w", ev.ID, it.pos, err)
	}
	res.Action, res.PublishedSeq = ActionPublished, ack.Sequence
	if ack.Duplicate {
		res.Action = ActionDuplicate
	}
	if r.dlq != nil {
		err := r.dlq.DeleteMsg(ctx, it.pos)
		switch {
		case err == nil || errors.Is(err, jetstream.ErrMsgNotFound):
			res.Deleted = true
		default:
			res.Error = fmt.Sprintf("republished as seq %d, but dead letter %d was not deleted: %v", ack.Sequence, it.pos, err)
		}
	}
	return res, nil
}
