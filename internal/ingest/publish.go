package ingest

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"sync"

	"github.com/escalator/escalator/internal/event"
	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"
	"go.opentelemetry.io/otel/propagation"
	"go.opentelemetry.io/otel/trace"
)

// publish stores every event and returns their acknowledgements in request
// order; if any publish fails nothing is acknowledged to the caller, whose
// retry is deduplicated by event id.
func (s *Server) publish(ctx context.Context, r *http.Request, events []event.Event) ([]acceptedEvent, *problem) {
	ctx, cancel := context.WithTimeout(ctx, s.cfg.PublishTimeout)
	defer cancel()

	// A traceparent on the request makes every event part of the caller's
	// trace through the server span; without one, an event's own CloudEvents
	// traceparent is the parent of its producer span.
	httpTrace := trace.SpanContextFromContext(s.prop.Extract(context.Background(), propagation.HeaderCarrier(r.Header))).IsValid()

	accepted := make([]acceptedEvent, len(events))
	errs := make([]error, len(events))
	one := func(ctx context.Context, i int) {
		ev := &events[i]
		ack, err := s.pub.Publish(s.parentFor(ctx, ev, httpTrace), ev)
		if err != nil {
			errs[i] = err
			return
		}
		accepted[i] = acceptedEvent{ID: ev.ID, Seq: ack.Sequence, Duplicate: ack.Duplicate, eventType: ev.Type}
	}

	if len(events) == 1 {
		one(ctx, 0)
	} else {
		// The first failure dooms the request: stop publishing the rest.
		ctx, stop := context.WithCancel(ctx)
		defer stop()
		sem := make(chan struct{}, min(s.cfg.PublishConcurrency, len(events)))
		var wg sync.WaitGroup
		for i := range events {
			select {
			case sem <- struct{}{}:
			case <-ctx.Done():
			}
			if ctx.Err() != nil {
				errs[i] = ctx.Err()
				continue
			}
			wg.Add(1)
			go func() {
				defer func() { <-sem; wg.Done() }()
				one(ctx, i)
				if errs[i] != nil {
					stop()
				}
			}()
		}
		wg.Wait()
	}

	if err := firstCause(errs); err != nil {
		return nil, s.unavailable(err, typesOf(events))
	}
	return accepted, nil
}

// parentFor is the context an event is published under: the request's
// (with the server span) unless the request carried no trace context and
// the event has its own traceparent, which then becomes the remote parent.
// The server span is linked to the event's trace so both stay navigable.
func (s *Server) parentFor(ctx context.Context, ev *event.Event, httpTrace bool) context.Context {
	if httpTrace || ev.TraceParent == "" {
		return ctx
	}
	carrier := propagation.MapCarrier{"traceparent": ev.TraceParent}
	if ev.TraceState != "" {
		carrier["tracestate"] = ev.TraceState
	}
	sc := trace.SpanContextFromContext(propagation.TraceContext{}.Extract(context.Background(), carrier))
	if !sc.IsValid() {
		return ctx
	}
	trace.SpanFromContext(ctx).AddLink(trace.Link{SpanContext: sc})
	return trace.ContextWithRemoteSpanContext(ctx, sc)
}

// firstCause picks the error that failed the request, preferring a real
// failure over the cancellations it caused in its siblings.
func firstCause(errs []error) error {
	var canceled error
	for _, err := range errs {
		switch {
		case err == nil:
		case errors.Is(err, context.Canceled):
			if canceled == nil {
				canceled = err
			}
		default:
			return err
		}
	}
	return canceled
}

// JetStream API error codes (nats-server's jetstream_errors_generated.go)
// that nats.go does not name. A stream at its limits with the discard
// policy "new" answers JSStreamStoreFailed ("maximum bytes exceeded",
// "maximum messages exceeded"); the others say the server has no room.
const (
	codeAccountResourcesExceeded jetstream.ErrorCode = 10002
	codeInsufficientResources    jetstream.ErrorCode = 10023
	codeMemoryResourcesExceeded  jetstream.ErrorCode = 10028
	codeStorageResourcesExceeded jetstream.ErrorCode = 10047
	codeStreamStoreFailed        jetstream.ErrorCode = 10077
)

// storeFull reports whether JetStream refused the event for want of room:
// the stream is at its MaxBytes/MaxMsgs, or the server or account at its
// storage limits. Nothing was stored; a later retry may succeed.
func storeFull(err error) bool {
	var apiErr *jetstream.APIError
	if !errors.As(err, &apiErr) {
		return false
	}
	switch apiErr.ErrorCode {
	case codeStreamStoreFailed, codeInsufficientResources, codeStorageResourcesExceeded,
		codeMemoryResourcesExceeded, codeAccountResourcesExceeded:
		return true
	}
	return false
}

// tooLarge reports whether JetStream refused an event for its size.
func tooLarge(err error) bool {
	var apiErr *jetstream.APIError
	return errors.Is(err, nats.ErrMaxPayload) ||
		errors.As(err, &apiErr) && apiErr.ErrorCode == jetstream.JSErrCodeStreamMessageExceedsMaximum
}

// unavailable turns a failed publish into the answer: 413 for an event
// JetStream will never take, else 503 with Retry-After (the store is full,
// or JetStream did not answer), so the caller's retry is always safe.
func (s *Server) unavailable(err error, types []string) *problem {
	if tooLarge(err) {
		p := newProblem(http.StatusRequestEntityTooLarge, "event-too-large", "Event too large",
			"an event exceeds the largest message JetStream accepts")
		p.events = types
		return p
	}
	var p *problem
	if storeFull(err) {
		p = newProblem(http.StatusServiceUnavailable, "stream-full", "Event store full",
			fmt.Sprintf("the event stream is at its size limit; nothing was accepted, retry after %s", s.cfg.RetryAfter))
		p.reason = "stream-full"
	} else {
		p = newProblem(http.StatusServiceUnavailable, "unavailable", "Event store unavailable",
			fmt.Sprintf("JetStream did not acknowledge the events; nothing was accepted, retry after %s", s.cfg.RetryAfter))
		p.reason = "unavailable: " + err.Error()
	}
	p.retryAfter = s.cfg.RetryAfter
	p.events = types
	return p
}
