package worker

import (
	"context"
	"fmt"
	"log/slog"
	"time"
	"unicode/utf8"

	"github.com/nats-io/nats.go/jetstream"
	"go.opentelemetry.io/otel/codes"
	"go.opentelemetry.io/otel/trace"

	"github.com/escalator/escalator/internal/event"
	"github.com/escalator/escalator/internal/fault"
	"github.com/escalator/escalator/internal/streams"
	"github.com/escalator/escalator/internal/telemetry"
)

// process handles one delivery and settles it.
func (w *Worker) process(d *delivery) {
	m := d.msg
	r := w.route(m.Subject())
	msg := &d.message
	*msg = Message{Subject: r.subject, Header: m.Headers(), Data: m.Data(), msg: m}
	if seq, n, ok := ackCounts(m.Reply()); ok {
		msg.StreamSeq, msg.NumDelivered = seq, n
	} else if meta, err := m.Metadata(); err == nil {
		msg.StreamSeq = meta.Sequence.Stream
		msg.NumDelivered = meta.NumDelivered
	} else {
		// Not a JetStream delivery: count it as the first.
		msg.NumDelivered = 1
	}

	ctx := withMessageLog(w.prop.Extract(w.base, telemetry.HeaderCarrier(msg.Header)), d)
	var span trace.Span
	if w.ins.tracing {
		// r.spanStart is full (len == cap): append copies it.
		ctx, span = w.ins.tracer.Start(ctx, r.spanName, append(r.spanStart,
			trace.WithAttributes(
				streams.AttrMessageID.String(msg.Header.Get(jetstream.MsgIDHeader)),
				streams.AttrDeliveryCount.Int64(int64(msg.NumDelivered)),
			))...)
		defer span.End()
	} else {
		// A no-op tracer's span would only carry the caller's span
		// context, which ctx already does: no span, no context to allocate.
		span = trace.SpanFromContext(ctx)
	}

	// escalator.messages.in_flight reads w.inFlight when collected.
	w.inFlight.Add(1)
	err := w.handle(ctx, d, r, span)
	w.settle(ctx, d, r, err, span)
	w.inFlight.Add(-1)
}

// handle decodes the message and runs its handler; the worker's keepAlive
// sends InProgress meanwhile.
func (w *Worker) handle(ctx context.Context, d *delivery, r *route, span trace.Span) error {
	msg := &d.message
	if msg.NumDelivered > uint64(w.cfg.MaxDeliver) {
		// An earlier delivery never settled (a crash, a lost ack): do not
		// run the handler again past the limit.
		return fmt.Errorf("delivered %d times, over the limit of %d: earlier attempts did not finish", msg.NumDelivered, w.cfg.MaxDeliver)
	}
	ev, err := event.Decode(msg.Data)
	if err != nil {
		return fault.AsPermanent(fmt.Errorf("decode: %w", err))
	}
	d.event = ev
	msg.Event = &d.event
	if span.IsRecording() {
		span.SetAttributes(streams.AttrIncidentNumber.String(ev.Data.Incident.Number))
	}
	if r.handler == nil {
		return fault.Permanentf("no handler for subject %s", msg.Subject)
	}
	return callHandler(ctx, r.handler, msg)
}

// callHandler turns a handler panic into a permanent error: a bug would
// fail the same way on every retry, and the dead letter can be replayed
// once it is fixed.
func callHandler(ctx context.Context, h Handler, msg *Message) (err error) {
	defer func() {
		if r := recover(); r != nil {
			err = fault.Permanentf("handler panic: %v", r)
		}
	}()
	return h.Handle(ctx, msg)
}

// settle turns the handler's result into Ack, NakWithDelay or a dead letter.
func (w *Worker) settle(ctx context.Context, d *delivery, r *route, err error, span trace.Span) {
	if !d.claim() {
		return // the drain already returned it
	}
	m, msg := d.msg, &d.message
	elapsed := func() float64 { return time.Since(d.received).Seconds() }

	if err == nil {
		err = w.report(ctx, msg)
	}
	if err == nil {
		// A plain Ack, not waiting for the server's confirmation: the
		// effects are done and keyed, so an Ack lost on the way costs only
		// a redelivery that repeats nothing, while waiting would cost a
		// round trip per message.
		if aerr := m.Ack(); aerr != nil {
			w.log.WarnContext(ctx, "ack failed; the message will be redelivered", w.logAttrs(msg, aerr)...)
		}
		span.SetStatus(codes.Ok, "")
		w.ins.messages.Add(ctx, 1, r.acked...)
		w.ins.duration.Record(ctx, elapsed(), r.duration...)
		return
	}

	class := fault.Classify(err)
	span.RecordError(err)
	span.SetStatus(codes.Error, truncate(err.Error(), 256))
	span.SetAttributes(streams.AttrErrorType.String(class.String()))
	attrs := append(w.logAttrs(msg, err), slog.String("class", class.String()))

	if class == fault.Transient && msg.NumDelivered < uint64(w.cfg.MaxDeliver) {
		delay := w.cfg.retryDelay(msg.NumDelivered, err)
		if nerr := m.NakWithDelay(delay); nerr != nil {
			attrs = append(attrs, slog.String("nak_error", nerr.Error()))
		}
		w.log.WarnContext(ctx, "handler failed; retrying", append(attrs, slog.Duration("retry_in", delay))...)
		w.ins.settled(ctx, msg.Subject, OutcomeRetry, class.String(), elapsed())
		return
	}

	reason := deadLetterReason(err)
	sctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), w.cfg.SettleTimeout)
	defer cancel()
	if perr := w.publishDeadLetter(sctx, msg, class, reason); perr != nil {
		// Never lose the message: leave it in the stream and try again.
		delay := w.cfg.retryDelay(msg.NumDelivered, err)
		_ = m.NakWithDelay(delay)
		w.log.ErrorContext(ctx, "dead letter publish failed; retrying", append(attrs,
			slog.String("dlq_error", perr.Error()), slog.Duration("retry_in", delay))...)
		w.ins.settled(ctx, msg.Subject, OutcomeRetry, class.String(), elapsed())
		return
	}
	if w.cfg.Reporter != nil {
		if rerr := w.cfg.Reporter.Report(sctx, msg, Result{State: ResultFailed, Text: reason}); rerr != nil {
			attrs = append(attrs, slog.String("report_error", rerr.Error()))
		}
	}
	// Term, not TermWithReason: servers before 2.10.4 ignore a +TERM that
	// carries a reason and redeliver the message. The reason is in the
	// dead letter's headers.
	if terr := m.Term(); terr != nil {
		// The dead letter is stored (deduplicated by its id), so a
		// redelivery dead-letters it again without a second copy.
		attrs = append(attrs, slog.String("term_error", terr.Error()))
	}
	w.log.ErrorContext(ctx, "handler failed; dead-lettered", attrs...)
	w.ins.deadLetters.Add(ctx, 1, metricDeadLetterAttrs(msg.Subject, class.String()))
	w.ins.settled(ctx, msg.Subject, OutcomeDeadLetter, class.String(), elapsed())
}

// report tells the Reporter, if any, what the handler did; a failure to
// report is transient, so the message is retried rather than acked unseen.
func (w *Worker) report(ctx context.Context, msg *Message) error {
	if w.cfg.Reporter == nil {
		return nil
	}
	res, ok := msg.Result()
	if !ok {
		res = Result{State: ResultDone}
	}
	if err := w.cfg.Reporter.Report(ctx, msg, res); err != nil {
		return fault.AsTransient(fmt.Errorf("report the outcome: %w", err), 0)
	}
	return nil
}

// logAttrs names the message without its body.
func (w *Worker) logAttrs(msg *Message, err error) []any {
	return []any{
		slog.String("event_id", msg.Header.Get(jetstream.MsgIDHeader)),
		slog.String("subject", msg.Subject),
		slog.Uint64("stream_seq", msg.StreamSeq),
		slog.Uint64(LogKeyDelivery, msg.NumDelivered),
		slog.String("error", err.Error()),
	}
}

// truncate cuts s to at most n bytes without splitting a UTF-8 sequence.
func truncate(s string, n int) string {
	if len(s) <= n {
		return s
	}
	for n > 0 && !utf8.RuneStart(s[n]) {
		n--
	}
	return s[:n]
}
