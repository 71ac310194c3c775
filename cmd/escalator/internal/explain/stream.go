package explain

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/nats-io/nats.go/jetstream"
	"golang.org/x/sync/errgroup"

	"github.com/escalator/escalator/internal/eventindex"
	"github.com/escalator/escalator/internal/streams"
)

// Subject filters of the incident events and their dead letters: ticks
// name no incident and are never read.
const (
	incidentSubjects   = "escalator.incident.>"
	deadLetterSubjects = streams.DLQPrefix + incidentSubjects
)

// fetchers bounds the messages fetched at once from the index's sequences.
const fetchers = 8

// eventsByIndex reads the incident's events at the sequences the index
// recorded: one key listing and one get per event, whatever the size of
// the stream.
func eventsByIndex(ctx context.Context, st jetstream.Stream, ix *eventindex.Index, t target, r *Report) error {
	seqs, err := ix.Seqs(ctx, t.sysID)
	if err != nil {
		return err
	}
	r.Stats.Method, r.Stats.IndexEntries = "index", len(seqs)
	events := make([]*Event, len(seqs))
	var mu sync.Mutex
	g, gctx := errgroup.WithContext(ctx)
	g.SetLimit(fetchers)
	for i, seq := range seqs {
		g.Go(func() error {
			msg, err := st.GetMsg(gctx, seq)
			mu.Lock()
			defer mu.Unlock()
			if errors.Is(err, jetstream.ErrMsgNotFound) {
				r.Stats.Expired++ // aged out of the stream (or deleted)
				return nil
			}
			if err != nil {
				return fmt.Errorf("read event at seq %d: %w", seq, err)
			}
			r.Stats.MessagesRead++
			if p, ok := t.match(msg.Data); ok && strings.HasPrefix(msg.Subject, "escalator.incident.") {
				e := newEvent(msg.Sequence, msg.Time, msg.Subject, msg.Header, p)
				events[i] = &e
			}
			return nil
		})
	}
	if err := g.Wait(); err != nil {
		return err
	}
	for _, e := range events {
		if e != nil {
			r.Events = append(r.Events, *e)
		}
	}
	return nil
}

// eventsByScan reads every incident event of the stream (since since) and
// keeps the incident's: the way without an index, whose cost grows with the
// stream.
func eventsByScan(ctx context.Context, js jetstream.JetStream, t target, since time.Time, r *Report) error {
	r.Stats.Method = "scan"
	n, err := scan(ctx, js, streams.StreamName, incidentSubjects, since, func(m jetstream.Msg, meta *jetstream.MsgMetadata) {
		if !t.mayMatch(m.Data()) {
			return
		}
		if p, ok := t.match(m.Data()); ok {
			r.Events = append(r.Events, newEvent(meta.Sequence.Stream, meta.Timestamp, m.Subject(), m.Headers(), p))
			if r.Incident.SysID == "" && eventindex.ValidSysID(strings.ToLower(p.Data.Incident.SysID)) {
				r.Incident.SysID = strings.ToLower(p.Data.Incident.SysID)
			}
		}
	})
	r.Stats.MessagesRead = n
	return err
}

// deadLetters reads the incident dead letters of ESCALATOR_DLQ (since
// since) and keeps those of the incident: by the original sequence of one
// of its events, or by its sys_id or number in the body (a dead letter
// outlives its event's index entry: 30 days against 7). The DLQ holds only
// failures, so this read is short however long the event stream is.
func deadLetters(ctx context.Context, js jetstream.JetStream, t target, seqs []uint64, since time.Time, r *Report) error {
	n, err := scan(ctx, js, streams.DLQStreamName, deadLetterSubjects, since, func(m jetstream.Msg, meta *jetstream.MsgMetadata) {
		orig, _ := strconv.ParseUint(m.Headers().Get(streams.HeaderOrigSeq), 10, 64)
		ofOurs := orig != 0 && slices.Contains(seqs, orig)
		if !ofOurs && !t.mayMatch(m.Data()) {
			return
		}
		p, ok := t.match(m.Data())
		if ok || ofOurs {
			r.DeadLetters = append(r.DeadLetters, newDeadLetter(meta.Sequence.Stream, meta.Timestamp, m.Subject(), m.Headers(), p))
		}
	})
	r.Stats.DeadLettersRead = n
	return err
}

// scan reads the messages of stream on filter, from since (zero: the
// first), up to the last one stored when it starts, with an ordered
// consumer: ephemeral, no acks, no effect on the workers' consumer. It
// returns the number of messages read.
func scan(ctx context.Context, js jetstream.JetStream, stream, filter string, since time.Time, each func(jetstream.Msg, *jetstream.MsgMetadata)) (int, error) {
	cfg := jetstream.OrderedConsumerConfig{FilterSubjects: []string{filter}, InactiveThreshold: time.Minute}
	if !since.IsZero() {
		cfg.DeliverPolicy, cfg.OptStartTime = jetstream.DeliverByStartTimePolicy, &since
	}
	cons, err := js.OrderedConsumer(ctx, stream, cfg)
	if err != nil {
		return 0, fmt.Errorf("read %s: %w", stream, err)
	}
	info, err := cons.Info(ctx)
	if err != nil {
		return 0, fmt.Errorf("read %s: %w", stream, err)
	}
	if info.NumPending == 0 {
		return 0, nil
	}
	it, err := cons.Messages(jetstream.PullMaxMessages(1024))
	if err != nil {
		return 0, fmt.Errorf("read %s: %w", stream, err)
	}
	defer it.Stop()
	stop := context.AfterFunc(ctx, it.Stop)
	defer stop()
	n := 0
	for {
		m, err := it.Next()
		if err != nil {
			if ctx.Err() != nil {
				return n, ctx.Err()
			}
			return n, fmt.Errorf("read %s: %w", stream, err)
		}
		meta, err := m.Metadata()
		if err != nil {
			return n, fmt.Errorf("read %s: %w", stream, err)
		}
		n++
		each(m, meta)
		if meta.NumPending == 0 {
			return n, nil
		}
	}
}

// position is how far the workers' consumer has come.
type position struct {
	known               bool
	ackFloor, delivered uint64
}

func consumerPosition(ctx context.Context, js jetstream.JetStream) (position, error) {
	c, err := js.Consumer(ctx, streams.StreamName, streams.ConsumerName)
	if err != nil {
		return position{}, fmt.Errorf("consumer %s: %w", streams.ConsumerName, err)
	}
	info, err := c.Info(ctx)
	if err != nil {
		return position{}, fmt.Errorf("consumer %s: %w", streams.ConsumerName, err)
	}
	return position{known: true, ackFloor: info.AckFloor.Stream, delivered: info.Delivered.Stream}, nil
}

// status is where the worker stands with the event at seq.
func (p position) status(seq uint64) string {
	switch {
	case !p.known:
		return StatusUnknown
	case seq <= p.ackFloor:
		return StatusHandled
	case seq <= p.delivered:
		return StatusInProgress
	}
	return StatusWaiting
}
