package streams

import (
	"context"
	"errors"
	"fmt"

	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"
	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/codes"
	"go.opentelemetry.io/otel/propagation"
	"go.opentelemetry.io/otel/trace"

	"github.com/escalator/escalator/internal/event"
	"github.com/escalator/escalator/internal/fault"
	"github.com/escalator/escalator/internal/telemetry"
)

// ErrUnavailable wraps every publish JetStream did not acknowledge (timeout,
// no responders, no stream, a stream that refused the message): the caller
// may retry later, and ingest answers 503.
var ErrUnavailable = errors.New("jetstream unavailable")

// Span attribute keys shared by the producer and the consumer side.
const (
	AttrMessagingSystem  = attribute.Key("messaging.system")
	AttrDestination      = attribute.Key("messaging.destination.name")
	AttrMessageID        = attribute.Key("messaging.message.id")
	AttrOperationType    = attribute.Key("messaging.operation.type")
	AttrIncidentNumber   = attribute.Key("app.incident.number")
	AttrConsumerGroup    = attribute.Key("messaging.consumer.group.name")
	AttrDeliveryCount    = attribute.Key("messaging.message.delivery_count")
	AttrErrorType        = attribute.Key("error.type")
	MessagingSystemNATS  = "nats"
	instrumentationScope = "github.com/escalator/escalator/internal/streams"
)

// Publisher publishes events to StreamName.
type Publisher struct {
	js     jetstream.JetStream
	tracer trace.Tracer
	prop   propagation.TextMapPropagator
}

// NewPublisher returns a Publisher; a nil tp disables spans but trace context
// is still propagated.
func NewPublisher(js jetstream.JetStream, tp trace.TracerProvider) *Publisher {
	tp = telemetry.OrNoopTracer(tp)
	return &Publisher{js: js, tracer: tp.Tracer(instrumentationScope), prop: telemetry.Propagator()}
}

// PublishOption adjusts one publish.
type PublishOption func(*publishOptions)

type publishOptions struct {
	msgID   string
	headers nats.Header
}

// WithMsgID overrides the Nats-Msg-Id (default: the event id).
func WithMsgID(id string) PublishOption {
	return func(o *publishOptions) { o.msgID = id }
}

// WithHeader adds a header to the message (the key is kept as given).
func WithHeader(key, value string) PublishOption {
	return func(o *publishOptions) { o.headers.Add(key, value) }
}

// Publish stores ev on its subject and waits for JetStream's ack. The
// PubAck's Duplicate field tells a repeat of an id seen within the duplicate
// window. An unacknowledged publish returns an error wrapping ErrUnavailable;
// an event that cannot be published at all (unknown type) a permanent error.
func (p *Publisher) Publish(ctx context.Context, ev *event.Event, opts ...PublishOption) (*jetstream.PubAck, error) {
	subject := ev.Subject()
	if subject == "" {
		return nil, fault.Permanentf("publish event %s: unknown type %q", ev.ID, ev.Type)
	}
	o := publishOptions{msgID: ev.ID, headers: nats.Header{}}
	for _, opt := range opts {
		opt(&o)
	}
	body, err := ev.Marshal()
	if err != nil {
		return nil, fault.AsPermanent(fmt.Errorf("marshal event %s: %w", ev.ID, err))
	}

	ctx = p.parent(ctx, ev)
	ctx, span := p.tracer.Start(ctx, "send "+subject,
		trace.WithSpanKind(trace.SpanKindProducer),
		trace.WithAttributes(
			AttrMessagingSystem.String(MessagingSystemNATS),
			AttrDestination.String(subject),
			AttrMessageID.String(o.msgID),
			AttrOperationType.String("send"),
			AttrIncidentNumber.String(ev.Data.Incident.Number),
		))
	defer span.End()

	msg := &nats.Msg{Subject: subject, Data: body, Header: o.headers}
	if o.msgID != "" {
		msg.Header.Set(jetstream.MsgIDHeader, o.msgID)
	}
	p.prop.Inject(ctx, telemetry.HeaderCarrier(msg.Header))

	ack, err := p.js.PublishMsg(ctx, msg)
	if err != nil {
		span.RecordError(err)
		span.SetStatus(codes.Error, "publish failed")
		span.SetAttributes(AttrErrorType.String("unavailable"))
		return nil, fmt.Errorf("publish event %s to %s: %w: %w", ev.ID, subject, ErrUnavailable, err)
	}
	return ack, nil
}

// parent is ctx itself when it carries a span; otherwise the event's
// CloudEvents traceparent, when it has one, becomes the remote parent.
func (p *Publisher) parent(ctx context.Context, ev *event.Event) context.Context {
	if trace.SpanContextFromContext(ctx).IsValid() || ev.TraceParent == "" {
		return ctx
	}
	carrier := propagation.MapCarrier{"traceparent": ev.TraceParent}
	if ev.TraceState != "" {
		carrier["tracestate"] = ev.TraceState
	}
	return propagation.TraceContext{}.Extract(ctx, carrier)
}
