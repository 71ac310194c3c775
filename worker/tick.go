package worker

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"strconv"
	"sync"
	"time"

	"github.com/nats-io/nats.go/jetstream"

	"github.com/escalator/escalator/internal/event"
	"github.com/escalator/escalator/internal/streams"
	"github.com/escalator/escalator/internal/telemetry"
)

// Scheduled jobs without a leader: every replica runs a Ticker, which
// publishes one tick event per job and interval with the Nats-Msg-Id
// TickMsgID(name, interval start). Every replica computes the same id for
// the same interval, so JetStream's duplicate window stores exactly one tick
// per interval for the whole fleet, and the shared consumer hands it to
// exactly one handler (redeliveries aside, which the jobs are idempotent
// against). The stream's duplicate window must be at least the longest
// interval: a replica starting late in an interval publishes that
// interval's tick, which the window must still remember.

// Tick job names.
const (
	TickHealth = "health"
	TickCases  = "cases"
	TickOutbox = "outbox"
)

// DefaultTickSource is the CloudEvents source of tick events.
const DefaultTickSource = "urn:escalator:ticker"

// TickPublisher publishes an event and waits for JetStream's ack;
// *streams.Publisher implements it.
type TickPublisher interface {
	Publish(ctx context.Context, ev *event.Event, opts ...streams.PublishOption) (*jetstream.PubAck, error)
}

// Clock is the time source of the Ticker and the lease; tests pass one
// they move by hand (internal/testkit/fakeclock). It is the one clock seam
// kept where testing/synctest does not fit: those tests, and e2e, talk to
// a real JetStream server, which no bubble can hold. Tried: a Publish in a
// bubble waits for its ack on a bubbled channel, which counts as durably
// blocked, so the fake clock jumps past the publish timeout at once and
// the publish fails; NATS's reader goroutine lives outside the bubble.
type Clock interface {
	Now() time.Time
	After(d time.Duration) <-chan time.Time
}

type systemClock struct{}

func (systemClock) Now() time.Time                         { return time.Now() }
func (systemClock) After(d time.Duration) <-chan time.Time { return time.After(d) }

// TickJob is one scheduled job.
type TickJob struct {
	// Name is the job's name in the message id and in data.tick.name:
	// TickHealth or TickCases (any name of letters, digits, '-' and '_'
	// works).
	Name string
	// Type is the tick's CloudEvents type, event.TypeTickHealth or
	// event.TypeTickCases; it decides the subject.
	Type string
	// Interval between ticks (ESCALATOR_HEALTH_INTERVAL,
	// ESCALATOR_CASE_SYNC_INTERVAL); at least one second. Intervals start
	// at multiples of Interval since the zero time, the same on every
	// replica.
	Interval time.Duration
}

// TickerConfig configures NewTicker.
type TickerConfig struct {
	// Publisher is required.
	Publisher TickPublisher
	// Jobs are the scheduled jobs; at least one, names unique.
	Jobs []TickJob
	// Clock defaults to the system clock.
	Clock Clock
	// Logger defaults to discarding.
	Logger *slog.Logger
	// Source is the events' CloudEvents source; default DefaultTickSource.
	Source string
	// RetryDelay between attempts when a publish fails (JetStream
	// unavailable); default a tenth of the shortest interval, at most 5s.
	// Attempts stop when the interval ends: the next one has its own tick.
	RetryDelay time.Duration
}

// Ticker publishes the ticks of its jobs. Create it with NewTicker.
type Ticker struct {
	cfg TickerConfig
	log *slog.Logger
}

// NewTicker validates cfg and returns a Ticker.
func NewTicker(cfg TickerConfig) (*Ticker, error) {
	if cfg.Publisher == nil {
		return nil, errors.New("ticker: publisher is nil")
	}
	if len(cfg.Jobs) == 0 {
		return nil, errors.New("ticker: no jobs")
	}
	seen := map[string]bool{}
	shortest := time.Duration(0)
	for _, j := range cfg.Jobs {
		switch {
		case !validTickName(j.Name):
			return nil, fmt.Errorf("ticker: job name %q: want letters, digits, '-' or '_'", j.Name)
		case seen[j.Name]:
			return nil, fmt.Errorf("ticker: job %q listed twice", j.Name)
		case !event.Internal(j.Type):
			return nil, fmt.Errorf("ticker: job %q: type %q is not a tick type", j.Name, j.Type)
		case j.Interval < time.Second:
			return nil, fmt.Errorf("ticker: job %q: interval %s: want at least 1s", j.Name, j.Interval)
		}
		seen[j.Name] = true
		if shortest == 0 || j.Interval < shortest {
			shortest = j.Interval
		}
	}
	if cfg.Clock == nil {
		cfg.Clock = systemClock{}
	}
	cfg.Logger = telemetry.OrDiscard(cfg.Logger)
	if cfg.Source == "" {
		cfg.Source = DefaultTickSource
	}
	if cfg.RetryDelay < 0 {
		return nil, fmt.Errorf("ticker: negative retry delay %s", cfg.RetryDelay)
	}
	if cfg.RetryDelay == 0 {
		cfg.RetryDelay = min(shortest/10, 5*time.Second)
	}
	cfg.Jobs = append([]TickJob(nil), cfg.Jobs...)
	return &Ticker{cfg: cfg, log: cfg.Logger}, nil
}

func validTickName(s string) bool {
	if s == "" || len(s) > 32 {
		return false
	}
	for _, r := range s {
		if !('a' <= r && r <= 'z' || 'A' <= r && r <= 'Z' || '0' <= r && r <= '9' || r == '-' || r == '_') {
			return false
		}
	}
	return true
}

// TickMsgID is the Nats-Msg-Id of the tick of job name for the interval
// starting at start: "tick.<name>.<start in unix seconds>".
func TickMsgID(name string, start time.Time) string {
	return "tick." + name + "." + strconv.FormatInt(start.Unix(), 10)
}

// IntervalStart is the start of the interval t falls in.
func IntervalStart(t time.Time, interval time.Duration) time.Time {
	return t.Truncate(interval).UTC()
}

// TickEvent is the event of job's tick for the interval starting at start;
// its id is the message id.
func TickEvent(job TickJob, start time.Time, source string) *event.Event {
	id := TickMsgID(job.Name, start)
	return &event.Event{
		SpecVersion: event.SpecVersion,
		ID:          id,
		Source:      source,
		Type:        job.Type,
		Time:        start.UTC(),
		Data:        event.Data{Tick: &event.Tick{Name: job.Name, Start: start.UTC()}},
	}
}

// Run publishes the tick of the current interval of every job at once, then
// one at every interval boundary, until ctx ends. It returns nil then.
func (t *Ticker) Run(ctx context.Context) error {
	var wg sync.WaitGroup
	for _, j := range t.cfg.Jobs {
		wg.Add(1)
		go func() {
			defer wg.Done()
			t.runJob(ctx, j)
		}()
	}
	wg.Wait()
	return nil
}

func (t *Ticker) runJob(ctx context.Context, j TickJob) {
	clock := t.cfg.Clock
	for {
		start := IntervalStart(clock.Now(), j.Interval)
		t.publish(ctx, j, start)
		next := start.Add(j.Interval)
		// Wait for the boundary; a clock that wakes early loops back here
		// and publishes the same interval again, which JetStream drops.
		for {
			now := clock.Now()
			if !now.Before(next) {
				break
			}
			select {
			case <-ctx.Done():
				return
			case <-clock.After(next.Sub(now)):
			}
		}
	}
}

// publish sends the tick of start, retrying until it is stored or the
// interval is over.
func (t *Ticker) publish(ctx context.Context, j TickJob, start time.Time) {
	clock := t.cfg.Clock
	end := start.Add(j.Interval)
	ev := TickEvent(j, start, t.cfg.Source)
	for attempt := 1; ; attempt++ {
		if ctx.Err() != nil {
			return
		}
		ack, err := t.cfg.Publisher.Publish(ctx, ev, streams.WithMsgID(ev.ID))
		if err == nil {
			t.log.DebugContext(ctx, "tick published", slog.String("job", j.Name), slog.String("id", ev.ID),
				slog.Bool("duplicate", ack != nil && ack.Duplicate))
			return
		}
		if !clock.Now().Add(t.cfg.RetryDelay).Before(end) {
			t.log.WarnContext(ctx, "tick not published; the next interval publishes its own", slog.String("job", j.Name),
				slog.String("id", ev.ID), slog.Int("attempts", attempt), slog.String("error", err.Error()))
			return
		}
		t.log.DebugContext(ctx, "tick publish failed; retrying", slog.String("job", j.Name),
			slog.String("id", ev.ID), slog.String("error", err.Error()))
		select {
		case <-ctx.Done():
			return
		case <-clock.After(t.cfg.RetryDelay):
		}
	}
}
