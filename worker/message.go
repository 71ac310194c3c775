package worker

import (
	"context"

	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"

	"github.com/escalator/escalator/internal/event"
)

// Message is one delivery handed to a Handler.
type Message struct {
	Subject string
	// Event is the decoded body; a body that does not decode never reaches
	// a handler (it is dead-lettered).
	Event  *event.Event
	Header nats.Header
	Data   []byte
	// StreamSeq is the message's sequence in ESCALATOR.
	StreamSeq uint64
	// NumDelivered counts this delivery: 1 the first time.
	NumDelivered uint64

	msg    jetstream.Msg
	result Result
}

// InProgress tells JetStream the handler is still working, resetting the
// AckWait timer. The worker already sends it every ProgressInterval; a
// handler may call it before a step it knows to be long.
func (m *Message) InProgress() error {
	if m.msg == nil {
		return nil
	}
	return m.msg.InProgress()
}

// Handler handles one message. A nil error acks it; an error is classified
// by fault.Classify: transient errors are retried with backoff, permanent
// ones are dead-lettered at once.
type Handler interface {
	Handle(ctx context.Context, msg *Message) error
}

// HandlerFunc adapts a function to Handler.
type HandlerFunc func(ctx context.Context, msg *Message) error

// Handle calls f.
func (f HandlerFunc) Handle(ctx context.Context, msg *Message) error { return f(ctx, msg) }

// DeadLetterPublisher publishes a dead letter and waits for JetStream's ack;
// jetstream.JetStream satisfies it.
type DeadLetterPublisher interface {
	PublishMsg(ctx context.Context, msg *nats.Msg, opts ...jetstream.PublishOpt) (*jetstream.PubAck, error)
}
