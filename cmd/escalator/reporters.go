package main

import (
	"context"

	"github.com/escalator/escalator/worker"
)

// reporters tells several worker.Reporters each outcome, in order: the
// production worker has the outbox write-back, dev adds the line it prints
// per event. The first error stops the rest: the worker then
// retries a handled message, and the later reporters hear of it once, when
// it is finally settled.
type reporters []worker.Reporter

// Report calls each reporter in turn.
func (rs reporters) Report(ctx context.Context, msg *worker.Message, res worker.Result) error {
	for _, r := range rs {
		if err := r.Report(ctx, msg, res); err != nil {
			return err
		}
	}
	return nil
}

// reporter is the worker's Reporter for rs: nil when there is none, so
// that the worker skips reporting altogether.
func (rs reporters) reporter() worker.Reporter {
	if len(rs) == 0 {
		return nil
	}
	return rs
}
