package replay

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"sync/atomic"
	"time"

	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"

	"github.com/escalator/escalator/internal/streams"
)

// item is one message of a source, not yet decoded.
type item struct {
	pos     uint64
	subject string // the event's subject (a dead letter's original subject)
	data    []byte
	header  nats.Header
	stored  time.Time // zero for a file
}

// reader yields the items of a source in order.
type reader interface {
	// next returns the next item, or ok false at the end of the window.
	next(ctx context.Context) (it item, ok bool, err error)
	// window is the number of items expected (-1 unknown) and the last
	// position of the window (0 for a file).
	window() (total int, end uint64)
	close()
}

// streamReader reads a window of a stream with an ordered consumer:
// ephemeral, no acks, no effect on any durable consumer.
type streamReader struct {
	dlq   bool
	end   uint64
	until time.Time
	idle  time.Duration
	total int
	iter  jetstream.MessagesContext
	done  bool

	// Next waits without a timer or context of its own (one per message
	// would double the cost of reading): an idle timer, reset at each
	// message, and the context stop the iterator instead.
	idleTimer *time.Timer
	idled     atomic.Bool
	watched   context.Context
	unwatch   func() bool

	stream   jetstream.Stream
	subjects string        // the stream's subject filter
	last     atomic.Uint64 // the last sequence read (0: none)
	start    uint64        // the first sequence of the window (0: by time)
}

// openStream positions an ordered consumer on the window of src in stream
// name: after the position `after` (a resumed run), from src.FromSeq or
// src.Since otherwise; up to end (a resumed run's recorded window) or the
// stream's last sequence now, bounded by src.ToSeq and src.Until.
func openStream(ctx context.Context, js jetstream.JetStream, name string, src Source, after, end uint64, idle time.Duration) (*streamReader, error) {
	st, err := js.Stream(ctx, name)
	if err != nil {
		return nil, fmt.Errorf("open stream %s: %w", name, err)
	}
	info, err := st.Info(ctx)
	if err != nil {
		return nil, fmt.Errorf("read stream %s: %w", name, err)
	}
	state := info.State
	if end == 0 {
		end = state.LastSeq
		if src.ToSeq != 0 && src.ToSeq < end {
			end = src.ToSeq
		}
	}
	r := &streamReader{dlq: name == streams.DLQStreamName, end: end, until: src.Until, idle: idle, total: -1, stream: st, subjects: streams.StreamSubjects}
	if r.dlq {
		r.subjects = streams.DLQSubjects
	}
	cfg := jetstream.OrderedConsumerConfig{InactiveThreshold: time.Minute}
	start := state.FirstSeq
	switch {
	case after > 0:
		start = after + 1
	case src.FromSeq > 0:
		start = max(src.FromSeq, state.FirstSeq)
	case !src.Since.IsZero():
		start = 0
		if state.Msgs > 0 && state.LastTime.Before(src.Since) {
			r.done = true // nothing stored since then
		}
	}
	if state.Msgs == 0 || end == 0 || (start != 0 && start > end) {
		r.done = true
	}
	if r.done {
		r.total = 0
		return r, nil
	}
	r.start = start
	if start == 0 {
		t := src.Since
		cfg.DeliverPolicy, cfg.OptStartTime = jetstream.DeliverByStartTimePolicy, &t
	} else {
		cfg.DeliverPolicy, cfg.OptStartSeq = jetstream.DeliverByStartSequencePolicy, start
		r.total = int(end - start + 1)
		if r.dlq && start <= state.FirstSeq && end >= state.LastSeq {
			r.total = int(state.Msgs) // dead letters leave gaps when replayed
		}
	}
	cons, err := js.OrderedConsumer(ctx, name, cfg)
	if err != nil {
		return nil, fmt.Errorf("ordered consumer on %s: %w", name, err)
	}
	if r.iter, err = cons.Messages(jetstream.PullMaxMessages(512)); err != nil {
		return nil, fmt.Errorf("read %s: %w", name, err)
	}
	return r, nil
}

// window is fixed once open returns: next never changes it.
func (r *streamReader) window() (int, uint64) { return r.total, r.end }

func (r *streamReader) next(ctx context.Context) (item, bool, error) {
	if r.done {
		return item{}, false, nil
	}
	// Every message up to end was stored before the run started, so the
	// server sends it at once; an idle wait means the window holds no more
	// (its last messages were deleted).
	if err := ctx.Err(); err != nil {
		return item{}, false, err
	}
	if r.watched != ctx {
		if r.unwatch != nil {
			r.unwatch()
		}
		r.watched, r.unwatch = ctx, context.AfterFunc(ctx, r.iter.Stop)
	}
	if r.idleTimer == nil {
		r.idleTimer = time.AfterFunc(r.idle, r.onIdle)
	} else {
		r.idleTimer.Reset(r.idle)
	}
	msg, err := r.iter.Next()
	if err != nil {
		switch {
		case ctx.Err() != nil:
			return item{}, false, ctx.Err()
		case r.idled.Load():
			r.done = true
			return item{}, false, nil
		}
		return item{}, false, fmt.Errorf("read message: %w", err)
	}
	meta, err := msg.Metadata()
	if err != nil {
		return item{}, false, fmt.Errorf("read message metadata: %w", err)
	}
	seq := meta.Sequence.Stream
	r.last.Store(seq)
	if seq > r.end || (!r.until.IsZero() && meta.Timestamp.After(r.until)) {
		r.done = true
		return item{}, false, nil
	}
	if seq == r.end {
		r.done = true // the next call ends without waiting
	}
	it := item{pos: seq, subject: msg.Subject(), data: msg.Data(), header: msg.Headers(), stored: meta.Timestamp}
	if r.dlq {
		it.subject = originalSubject(msg.Subject(), it.header)
	}
	return it, true, nil
}

// onIdle runs when no message came for the idle time. The window ends
// early only when the stream holds no more of it (its last messages were
// deleted); a slow server or a loaded machine just makes the reader wait.
func (r *streamReader) onIdle() {
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	from := r.last.Load() + 1
	if from == 1 && r.start > 1 {
		from = r.start
	}
	msg, err := r.stream.GetMsg(ctx, from, jetstream.WithGetMsgSubject(r.subjects))
	more := err == nil && msg.Sequence <= r.end && (r.until.IsZero() || !msg.Time.After(r.until))
	if more || (err != nil && !errors.Is(err, jetstream.ErrMsgNotFound)) {
		r.idleTimer.Reset(r.idle) // more to come, or cannot tell yet
		return
	}
	r.idled.Store(true)
	r.iter.Stop()
}

func (r *streamReader) close() {
	if r.idleTimer != nil {
		r.idleTimer.Stop()
	}
	if r.unwatch != nil {
		r.unwatch()
	}
	if r.iter != nil {
		r.iter.Stop()
	}
}

// fileReader yields the events of a JSON or NDJSON file one by one, so an
// invalid event is reported on its own rather than failing the file.
type fileReader struct {
	raws []json.RawMessage
	i    int
}

func openFile(path string, after uint64) (*fileReader, error) {
	body, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("read events: %w", err)
	}
	raws, err := splitEvents(body)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	return &fileReader{raws: raws, i: int(min(after, uint64(len(raws))))}, nil
}

// splitEvents cuts a JSON array or a stream of JSON values into events.
func splitEvents(body []byte) ([]json.RawMessage, error) {
	trimmed := bytes.TrimSpace(body)
	if len(trimmed) == 0 {
		return nil, nil
	}
	if trimmed[0] == '[' {
		var raws []json.RawMessage
		if err := json.Unmarshal(trimmed, &raws); err != nil {
			return nil, fmt.Errorf("not a JSON array of events: %w", err)
		}
		return raws, nil
	}
	var raws []json.RawMessage
	dec := json.NewDecoder(bytes.NewReader(trimmed))
	for {
		var raw json.RawMessage
		err := dec.Decode(&raw)
		if errors.Is(err, io.EOF) {
			return raws, nil
		}
		if err != nil {
			return nil, fmt.Errorf("event %d is not JSON: %w", len(raws)+1, err)
		}
		raws = append(raws, raw)
	}
}

func (r *fileReader) window() (int, uint64) { return len(r.raws) - r.i, 0 }

func (r *fileReader) next(ctx context.Context) (item, bool, error) {
	if err := ctx.Err(); err != nil {
		return item{}, false, err
	}
	if r.i >= len(r.raws) {
		return item{}, false, nil
	}
	r.i++
	return item{pos: uint64(r.i), data: r.raws[r.i-1]}, true, nil
}

func (r *fileReader) close() {}
