package worker

import (
	"context"
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"
	"go.opentelemetry.io/otel/metric"

	"github.com/escalator/escalator/internal/fault"
	"github.com/escalator/escalator/internal/streams"
)

// maxReason bounds the Escalator-Reason header.
const maxReason = 1024

// publishDeadLetter stores msg in ESCALATOR_DLQ with its original body and
// headers plus the reason, and waits for the PubAck. Its Nats-Msg-Id is
// derived from the stream sequence, so dead-lettering twice stores it once.
func (w *Worker) publishDeadLetter(ctx context.Context, msg *Message, class fault.Class, reason string) error {
	h := make(nats.Header, len(msg.Header)+6)
	for k, v := range msg.Header {
		h[k] = append([]string(nil), v...)
	}
	h.Set(jetstream.MsgIDHeader, streams.DLQMsgID(msg.StreamSeq))
	h.Set(streams.HeaderOrigSubject, msg.Subject)
	h.Set(streams.HeaderOrigSeq, strconv.FormatUint(msg.StreamSeq, 10))
	h.Set(streams.HeaderDeliveries, strconv.FormatUint(msg.NumDelivered, 10))
	h.Set(streams.HeaderErrorClass, class.String())
	h.Set(streams.HeaderReason, reason)
	h.Set(streams.HeaderFailedAt, time.Now().UTC().Format(time.RFC3339))
	dl := &nats.Msg{Subject: streams.DLQSubject(msg.Subject), Header: h, Data: msg.Data}
	if _, err := w.dlq.PublishMsg(ctx, dl); err != nil {
		return fmt.Errorf("publish dead letter of seq %d: %w", msg.StreamSeq, err)
	}
	return nil
}

// deadLetterReason is err's message fit for a header: one line, bounded.
func deadLetterReason(err error) string {
	s := strings.Map(func(r rune) rune {
		if r == '\r' || r == '\n' {
			return ' '
		}
		return r
	}, err.Error())
	return truncate(s, maxReason)
}

func metricDeadLetterAttrs(subject, class string) metric.MeasurementOption {
	return metric.WithAttributes(streams.AttrDestination.String(subject), streams.AttrErrorType.String(class))
}
