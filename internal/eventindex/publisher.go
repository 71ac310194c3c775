package eventindex

import (
	"context"
	"log/slog"
	"sync"
	"time"

	"github.com/nats-io/nats.go/jetstream"

	"github.com/escalator/escalator/internal/event"
	"github.com/escalator/escalator/internal/streams"
	"github.com/escalator/escalator/internal/telemetry"
)

// Inner is the publisher Publisher wraps; *streams.Publisher implements it.
type Inner interface {
	Publish(ctx context.Context, ev *event.Event, opts ...streams.PublishOption) (*jetstream.PubAck, error)
}

// numberRefresh is how often a publisher writes an active incident's number
// again, keeping its entry alive past the bucket's TTL; recentNumbers bounds
// the numbers it remembers writing.
const (
	numberRefresh = time.Hour
	recentNumbers = 10000
)

// Publisher publishes through Inner and indexes every incident event that
// JetStream stored (or already held: a duplicate's ack names the stored
// sequence). It has Inner's method, so it stands wherever a
// *streams.Publisher does (ingest, publish, replay, the ticker, the outbox
// poller).
//
// Each event costs one index write; the incident's number one more, once an
// hour per incident and process.
type Publisher struct {
	inner Inner
	index *Index
	log   *slog.Logger
	now   func() time.Time

	mu      sync.Mutex
	numbers map[string]time.Time // number → when this process last wrote it
}

// NewPublisher wraps inner. A nil log discards the index's warnings.
func NewPublisher(inner Inner, index *Index, log *slog.Logger) *Publisher {
	log = telemetry.OrDiscard(log)
	return &Publisher{inner: inner, index: index, log: log, now: time.Now, numbers: map[string]time.Time{}}
}

// Publish publishes ev, then records it in the index. A failed index write
// does not fail the publish: the event is stored and will be handled; only
// `escalator explain` would miss it (and says how to scan instead).
func (p *Publisher) Publish(ctx context.Context, ev *event.Event, opts ...streams.PublishOption) (*jetstream.PubAck, error) {
	ack, err := p.inner.Publish(ctx, ev, opts...)
	inc := ev.Data.Incident
	if err != nil || ack == nil || ack.Stream != streams.StreamName || inc.SysID == "" {
		return ack, err
	}
	if ierr := p.index.RecordEvent(ctx, inc.SysID, ack.Sequence); ierr != nil {
		p.log.Warn("event stored but not indexed: escalator explain will not list it (use --scan)",
			"event_id", ev.ID, "seq", ack.Sequence, "err", ierr)
		return ack, nil
	}
	if p.numberDue(inc.Number) {
		if ierr := p.index.RecordNumber(ctx, inc.Number, inc.SysID); ierr != nil {
			p.forget(inc.Number)
			p.log.Warn("incident number not indexed: explain finds it by sys_id, or by number through ServiceNow",
				"number", inc.Number, "err", ierr)
		}
	}
	return ack, nil
}

// numberDue reports whether number should be written now, and notes it
// written.
func (p *Publisher) numberDue(number string) bool {
	if number == "" {
		return false
	}
	now := p.now()
	p.mu.Lock()
	defer p.mu.Unlock()
	if at, ok := p.numbers[number]; ok && now.Sub(at) < numberRefresh {
		return false
	}
	if len(p.numbers) >= recentNumbers {
		clear(p.numbers)
	}
	p.numbers[number] = now
	return true
}

func (p *Publisher) forget(number string) {
	p.mu.Lock()
	delete(p.numbers, number)
	p.mu.Unlock()
}
