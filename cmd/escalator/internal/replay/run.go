package replay

import (
	"context"
	"errors"
	"fmt"
	"maps"
	"time"

	"github.com/nats-io/nats.go/jetstream"
	"golang.org/x/time/rate"

	"github.com/escalator/escalator/internal/event"
	"github.com/escalator/escalator/internal/streams"
)

// Defaults of Options.
const (
	DefaultSaveEvery   = 100
	DefaultConcurrency = 32
	DefaultIdleTimeout = 2 * time.Second
)

// Options choose what a run replays and how.
type Options struct {
	// RunID names the run; default NewRunID. With Resume, the run to resume.
	RunID string
	// Resume continues the run RunID from its record: its source, filters
	// and window are reloaded; Source and Filter here are ignored.
	Resume bool
	Source Source
	Filter Filter
	// DryRun reports what would happen and changes nothing (not even the
	// progress bucket).
	DryRun bool
	// Rate caps the events handled per second; 0 means no cap.
	Rate float64
	// Roles gate the role-gated types in a dry run, as the role gate does.
	Roles Roles
	// SaveEvery is how many positions pass between progress saves of a
	// real run; default DefaultSaveEvery.
	SaveEvery int
	// Concurrency is the number of events planned at once in a dry run
	// (results are still reported in order); default DefaultConcurrency.
	// A real run republishes one event at a time, in order.
	Concurrency int
	// IdleTimeout ends a stream window whose last messages were deleted;
	// default DefaultIdleTimeout.
	IdleTimeout time.Duration
}

// Publisher republishes an event; *streams.Publisher implements it.
type Publisher interface {
	Publish(ctx context.Context, ev *event.Event, opts ...streams.PublishOption) (*jetstream.PubAck, error)
}

// Deps are what a run works with.
type Deps struct {
	// JS reads the streams and deletes replayed dead letters. Required
	// for the stream and DLQ sources.
	JS jetstream.JetStream
	// Publisher republishes (real run).
	Publisher Publisher
	// Progress is the bucket escalator_replay (real run).
	Progress jetstream.KeyValue
	// Planners by CloudEvents type make the dry run's decisions; an event
	// of a type without one is reported "unplanned".
	Planners map[string]Planner
	// Reporter watches the run; default none.
	Reporter Reporter
	// Clock defaults to time.Now.
	Clock func() time.Time
}

// Run replays the events opts select and returns what it did. Failed
// events are counted in the Summary (Failed), not returned as an error; the
// error is for a run that could not finish: a source that cannot be read, a
// progress record that cannot be saved, a republish JetStream did not
// acknowledge (the run stops there, and resumes from there) or ctx ending.
func Run(ctx context.Context, opts Options, deps Deps) (Summary, error) {
	r, err := newRunner(ctx, opts, deps)
	if err != nil {
		return Summary{}, err
	}
	if r.rd == nil { // a resumed run that was already complete
		return r.sum, nil
	}
	defer r.rd.close()
	return r.run(ctx)
}

type runner struct {
	opts    Options
	deps    Deps
	rd      reader
	rec     Record
	sum     Summary
	limiter *rate.Limiter
	dlq     jetstream.Stream
	// seen holds type|sys_id of the events a dry run planned (Repeat).
	seen      map[string]struct{}
	lastSaved uint64
	read      int // this attempt
	// stopped is the event a real run stopped at: failed, not done.
	stopped *Result
	// sized: the Reporter has the window's size (or it cannot be known).
	sized bool
}

func newRunner(ctx context.Context, opts Options, deps Deps) (*runner, error) {
	if deps.Clock == nil {
		deps.Clock = time.Now
	}
	if deps.Reporter == nil {
		deps.Reporter = nopReporter{}
	}
	if opts.SaveEvery <= 0 {
		opts.SaveEvery = DefaultSaveEvery
	}
	if opts.Concurrency <= 0 {
		opts.Concurrency = DefaultConcurrency
	}
	if opts.IdleTimeout <= 0 {
		opts.IdleTimeout = DefaultIdleTimeout
	}
	r := &runner{opts: opts, deps: deps, seen: map[string]struct{}{}}
	if err := r.prepare(ctx); err != nil {
		return nil, err
	}
	r.sum = Summary{
		RunID: r.rec.RunID, Source: r.rec.Source, Filter: r.rec.Filter, DryRun: opts.DryRun, Resumed: opts.Resume,
		Read: r.rec.Read, Filtered: r.rec.Filtered, Failed: r.rec.Failed, Actions: maps.Clone(r.rec.Actions),
		Position: r.rec.Position, Complete: r.rec.Complete,
	}
	if r.sum.Actions == nil {
		r.sum.Actions = map[string]int{}
	}
	for _, n := range r.sum.Actions {
		r.sum.Processed += n
	}
	if r.rec.Complete {
		return r, nil
	}
	if r.opts.Rate > 0 {
		r.limiter = rate.NewLimiter(rate.Limit(r.opts.Rate), 1)
	}
	var err error
	switch src := r.rec.Source; src.Kind {
	case SourceStream:
		r.rd, err = openStream(ctx, deps.JS, streams.StreamName, src, r.rec.Position, r.rec.End, opts.IdleTimeout)
	case SourceDLQ:
		if !opts.DryRun {
			if r.dlq, err = deps.JS.Stream(ctx, streams.DLQStreamName); err != nil {
				return nil, fmt.Errorf("open stream %s: %w", streams.DLQStreamName, err)
			}
		}
		r.rd, err = openStream(ctx, deps.JS, streams.DLQStreamName, src, r.rec.Position, r.rec.End, opts.IdleTimeout)
	case SourceFile:
		r.rd, err = openFile(src.File, r.rec.Position)
	}
	if err != nil {
		return nil, err
	}
	_, r.rec.End = r.rd.window()
	if !opts.DryRun {
		if err := r.save(ctx); err != nil {
			r.rd.close()
			return nil, err
		}
	}
	return r, nil
}

// prepare checks opts and deps and sets up the record: a new one, or the
// resumed run's.
func (r *runner) prepare(ctx context.Context) error {
	opts, deps := r.opts, r.deps
	if !opts.DryRun && (deps.Publisher == nil || deps.Progress == nil) {
		return errors.New("replay: a real run needs a publisher and the progress bucket")
	}
	if opts.Resume {
		if opts.DryRun {
			return errors.New("replay: a dry run changes nothing and keeps no progress, so it cannot be resumed")
		}
		rec, err := LoadRecord(ctx, deps.Progress, opts.RunID)
		if err != nil {
			return err
		}
		if opts.Rate == 0 {
			r.opts.Rate = rec.Rate
		}
		r.rec = rec
	} else {
		if opts.RunID == "" {
			opts.RunID = NewRunID(deps.Clock())
		}
		if err := ValidRunID(opts.RunID); err != nil {
			return err
		}
		if err := opts.Source.Validate(); err != nil {
			return err
		}
		if !opts.DryRun {
			if _, err := deps.Progress.Get(ctx, opts.RunID); err == nil {
				return fmt.Errorf("replay: run %s exists: resume it with --resume %s", opts.RunID, opts.RunID)
			} else if !errors.Is(err, jetstream.ErrKeyNotFound) {
				return fmt.Errorf("replay: read run %s: %w", opts.RunID, err)
			}
		}
		now := deps.Clock().UTC()
		r.rec = Record{RunID: opts.RunID, Source: opts.Source, Filter: opts.Filter, Rate: opts.Rate, Started: now}
	}
	for _, t := range r.rec.Filter.Types {
		if _, ok := event.Subject(t); !ok {
			return fmt.Errorf("replay: filter: unknown event type %q", t)
		}
	}
	if k := r.rec.Source.Kind; (k == SourceStream || k == SourceDLQ) && deps.JS == nil {
		return fmt.Errorf("replay: the %s source needs JetStream", k)
	}
	return nil
}

// save records the progress of a real run.
func (r *runner) save(ctx context.Context) error {
	r.rec.Position, r.rec.Complete = r.sum.Position, r.sum.Complete
	r.rec.Read, r.rec.Filtered, r.rec.Failed = r.sum.Read, r.sum.Filtered, r.sum.Failed
	r.rec.Actions = maps.Clone(r.sum.Actions)
	r.rec.Updated = r.deps.Clock().UTC()
	if err := saveRecord(ctx, r.deps.Progress, r.rec); err != nil {
		return err
	}
	r.lastSaved = r.sum.Position
	return nil
}

// done marks position pos handled, saving the progress every SaveEvery
// positions.
func (r *runner) done(ctx context.Context, pos uint64) error {
	r.sum.Position = pos
	if r.opts.DryRun || pos-r.lastSaved < uint64(r.opts.SaveEvery) {
		return nil
	}
	return r.save(ctx)
}

func (r *runner) run(ctx context.Context) (Summary, error) {
	start := r.deps.Clock()
	if total, _ := r.rd.window(); total >= 0 {
		r.deps.Reporter.Window(total)
		r.sized = true
	}
	var err error
	if r.opts.DryRun {
		err = r.dryRun(ctx)
	} else {
		err = r.realRun(ctx)
	}
	if err == nil {
		r.sum.Complete = true
	}
	if !r.opts.DryRun {
		// Saved even when ctx ended: that is what makes --resume work.
		sctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 5*time.Second)
		serr := r.save(sctx)
		cancel()
		if err == nil && serr != nil {
			r.sum.Complete = false
			err = serr
		}
	}
	if r.stopped != nil {
		r.sum.Read++
		r.sum.add(*r.stopped)
	}
	r.sum.Elapsed = r.deps.Clock().Sub(start)
	if s := r.sum.Elapsed.Seconds(); s > 0 {
		r.sum.PerSecond = float64(r.read) / s
	}
	sum := r.sum.clone()
	if err != nil && !r.opts.DryRun {
		return sum, fmt.Errorf("replay %s stopped after position %d (continue with --resume %s): %w", r.rec.RunID, sum.Position, r.rec.RunID, err)
	}
	return sum, err
}

// selected reports whether the filters keep an event. Internal ticks are
// never replayed: a past tick would run a past interval.
func (r *runner) selected(d decoded) bool {
	if d.typ != "" && event.Internal(d.typ) {
		return false
	}
	return r.rec.Filter.match(d.typ, d.number, d.sysID)
}

func (r *runner) wait(ctx context.Context) error {
	if r.limiter == nil {
		return nil
	}
	return r.limiter.Wait(ctx)
}

// size tells the Reporter the window's size once the first position of a
// window that starts at a time is known.
func (r *runner) size(pos uint64) {
	if r.sized {
		return
	}
	r.sized = true
	if _, end := r.rd.window(); end >= pos {
		r.deps.Reporter.Window(int(end - pos + 1))
	}
}

func baseResult(it item, d decoded) Result {
	return Result{Seq: it.pos, ID: d.id, Type: d.typ, Incident: d.number}
}
