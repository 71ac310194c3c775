// Package worker is Escalator's JetStream consumer runtime: it pulls events
// from the shared durable consumer, runs the Handler registered for each
// subject with bounded concurrency, and turns the outcome into exactly one of
// Ack, NakWithDelay (transient failure, delay growing with the delivery
// count) or a dead letter in ESCALATOR_DLQ followed by Term (permanent
// failure, or the last allowed delivery). It keeps long handlers alive with
// InProgress, continues the producer's trace, records metrics, and drains on
// shutdown so that nothing is lost or handled twice by stopping.
//
// The runtime knows nothing about incidents or Microsoft: any Handler works.
package worker
