// Package worker is Escalator's JetStream consumer runtime: it pulls events
// from the shared durable consumer, runs the Handler registered for each
// subject with bounded concurrency, and turns the outcome into exactly one of
// Ack, NakWithDelay (transient failure, delay growing with the delivery
// count) or a dead letter in ESCALATOR_DLQ followed by Term (permanent
// failure, or the last allowed delivery). It keeps long handlers alive with
// InProgress, continues the producer's trace, records metrics, and drains on
// shutdown so that nothing is lost or handled twice by stopping.
//
// The runtime decodes every message with event.Decode before its handler
// runs, for three reasons: a body that does not decode is dead-lettered
// once, with the field that is wrong, instead of by each handler; the
// incident number labels the delivery's span and log lines; and the
// Reporter that writes the outcome to the ServiceNow outbox row needs the
// event's id. Beyond that envelope it knows nothing about incidents or
// Microsoft: any Handler works.
package worker
