package replay

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"

	"github.com/escalator/escalator/internal/streams"
)

// DeadLetter is one message of ESCALATOR_DLQ as `escalator dlq` shows it.
type DeadLetter struct {
	Seq uint64 `json:"seq"`
	// Time is when the dead letter was stored.
	Time time.Time `json:"time"`
	// Subject is the original subject, OrigSeq the original sequence in
	// ESCALATOR.
	Subject    string    `json:"original_subject"`
	OrigSeq    uint64    `json:"original_seq,omitempty"`
	EventID    string    `json:"event_id,omitempty"`
	Incident   string    `json:"incident,omitempty"`
	Deliveries int       `json:"deliveries,omitempty"`
	Class      string    `json:"class,omitempty"`
	Reason     string    `json:"reason,omitempty"`
	FailedAt   time.Time `json:"failed_at,omitzero"`
	// Header is every header of the dead letter; Data its body (the
	// original event).
	Header nats.Header `json:"headers,omitempty"`
	Data   []byte      `json:"-"`
}

// DeadLetterOf reads a message of ESCALATOR_DLQ: seq and stored are its
// place and time in the stream, subject its subject there (DLQPrefix and the
// original subject; one without the prefix is taken as the original), h its
// headers and data its body. It is the one reading of the headers the worker
// writes on a dead letter: `escalator explain` shows the same fields.
func DeadLetterOf(seq uint64, stored time.Time, subject string, h nats.Header, data []byte) DeadLetter {
	dl := DeadLetter{
		Seq: seq, Time: stored, Header: h, Data: data,
		Subject: originalSubject(subject, h),
		Class:   h.Get(streams.HeaderErrorClass),
		Reason:  h.Get(streams.HeaderReason),
	}
	dl.OrigSeq, _ = strconv.ParseUint(h.Get(streams.HeaderOrigSeq), 10, 64)
	dl.Deliveries, _ = strconv.Atoi(h.Get(streams.HeaderDeliveries))
	dl.FailedAt, _ = time.Parse(time.RFC3339, h.Get(streams.HeaderFailedAt))
	var peek struct {
		ID   string `json:"id"`
		Data struct {
			Incident struct {
				Number string `json:"number"`
			} `json:"incident"`
		} `json:"data"`
	}
	_ = json.Unmarshal(data, &peek) // a body that is not JSON is shown as is
	dl.EventID, dl.Incident = peek.ID, peek.Data.Incident.Number
	return dl
}

// originalSubject is the subject a dead letter was first published on: its
// header, else its subject in ESCALATOR_DLQ without DLQPrefix.
func originalSubject(dlqSubject string, h nats.Header) string {
	if s := h.Get(streams.HeaderOrigSubject); s != "" {
		return s
	}
	return strings.TrimPrefix(dlqSubject, streams.DLQPrefix)
}

// ListDeadLetters returns the dead letters stored now, oldest first, at most
// limit of them (0: all). It reads with an ordered consumer and deletes
// nothing.
func ListDeadLetters(ctx context.Context, js jetstream.JetStream, limit int) ([]DeadLetter, error) {
	rd, err := openStream(ctx, js, streams.DLQStreamName, Source{Kind: SourceDLQ}, 0, 0, DefaultIdleTimeout)
	if err != nil {
		return nil, err
	}
	defer rd.close()
	var out []DeadLetter
	for limit <= 0 || len(out) < limit {
		it, ok, err := rd.next(ctx)
		if err != nil {
			return out, fmt.Errorf("list dead letters: %w", err)
		}
		if !ok {
			break
		}
		out = append(out, DeadLetterOf(it.pos, it.stored, it.subject, it.header, it.data))
	}
	return out, nil
}

// ErrNoDeadLetter is returned by GetDeadLetter for a sequence the DLQ does
// not hold.
var ErrNoDeadLetter = errors.New("no such dead letter")

// GetDeadLetter reads the dead letter at seq.
func GetDeadLetter(ctx context.Context, js jetstream.JetStream, seq uint64) (DeadLetter, error) {
	st, err := js.Stream(ctx, streams.DLQStreamName)
	if err != nil {
		return DeadLetter{}, fmt.Errorf("open stream %s: %w", streams.DLQStreamName, err)
	}
	msg, err := st.GetMsg(ctx, seq)
	if errors.Is(err, jetstream.ErrMsgNotFound) {
		return DeadLetter{}, fmt.Errorf("dead letter %d: %w (replayed, expired, or never there)", seq, ErrNoDeadLetter)
	}
	if err != nil {
		return DeadLetter{}, fmt.Errorf("read dead letter %d: %w", seq, err)
	}
	return DeadLetterOf(msg.Sequence, msg.Time, msg.Subject, msg.Header, msg.Data), nil
}
