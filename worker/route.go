package worker

import (
	"strings"

	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/metric"
	"go.opentelemetry.io/otel/trace"

	"github.com/escalator/escalator/internal/streams"
)

// route is what the worker knows about a subject before any message of it
// arrives: its handler and the span name, span attributes and metric
// attribute sets every message of it shares. Built once per subject, it
// spares the success path an allocation per attribute and an attribute
// set per metric call.
type route struct {
	subject string
	handler Handler // nil: no handler for the subject
	// spanName is "process <subject>"; spanStart holds the span kind and
	// the attributes that do not depend on the message.
	spanName  string
	spanStart []trace.SpanStartOption
	// acked counts an Ack in escalator.messages; duration records a
	// success in messaging.process.duration.
	acked    []metric.AddOption
	duration []metric.RecordOption
}

func newRoute(subject string, h Handler, consumerName string) *route {
	dest := streams.AttrDestination.String(subject)
	acked := metric.WithAttributeSet(attribute.NewSet(dest, attrOutcome.String(OutcomeAck)))
	duration := metric.WithAttributeSet(attribute.NewSet(
		streams.AttrMessagingSystem.String(streams.MessagingSystemNATS), dest))
	return &route{
		subject:  subject,
		handler:  h,
		spanName: "process " + subject,
		spanStart: []trace.SpanStartOption{
			trace.WithSpanKind(trace.SpanKindConsumer),
			trace.WithAttributes(
				streams.AttrMessagingSystem.String(streams.MessagingSystemNATS),
				streams.AttrOperationType.String("process"),
				dest,
				streams.AttrConsumerGroup.String(consumerName),
			),
		},
		acked:    []metric.AddOption{acked},
		duration: []metric.RecordOption{duration},
	}
}

// route returns subject's route; a subject without a handler gets one
// built on the spot (its messages are dead-lettered anyway).
func (w *Worker) route(subject string) *route {
	if r, ok := w.routes[subject]; ok {
		return r
	}
	return newRoute(subject, nil, w.cfg.ConsumerName)
}

// ackCounts reads the stream sequence and delivery count from a JetStream
// reply subject as jetstream.Msg.Metadata does, without allocating:
// $JS.ACK.<stream>.<consumer>.<delivered>.<sseq>.<cseq>.<tm>.<pending> (9
// tokens) or, from newer servers, with <domain>.<account hash> after
// $JS.ACK and perhaps a random token at the end (11 or 12). ok is false
// for anything else.
func ackCounts(reply string) (streamSeq, delivered uint64, ok bool) {
	const prefix = "$JS.ACK."
	if !strings.HasPrefix(reply, prefix) {
		return 0, 0, false
	}
	var first int // index of the delivered token among the tokens
	switch n := strings.Count(reply, ".") + 1; {
	case n == 9:
		first = 4
	case n >= 11:
		first = 6
	default:
		return 0, 0, false
	}
	rest := reply
	for range first {
		_, rest, _ = strings.Cut(rest, ".")
	}
	d, rest, _ := strings.Cut(rest, ".")
	s, _, _ := strings.Cut(rest, ".")
	return parseNum(s), parseNum(d), true
}

// parseNum is a decimal number, 0 if s is not one (as the client reads it).
func parseNum(s string) uint64 {
	var n uint64
	for i := 0; i < len(s); i++ {
		c := s[i]
		if c < '0' || c > '9' {
			return 0
		}
		n = n*10 + uint64(c-'0')
	}
	return n
}
