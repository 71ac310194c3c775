// Package replay sends past events through Escalator again: a window of the
// stream ESCALATOR, the dead letters of ESCALATOR_DLQ, or an NDJSON file.
//
// The stream is read with an ordered consumer (ephemeral, no acks), so the
// durable consumer the workers share is never touched. A real run
// republishes each event with the same CloudEvent id, which the handlers'
// idempotency keys recognise, under a new Nats-Msg-Id derived from the run
// id (replay-<run>-<event id>) and with the header Escalator-Replay: <run>.
// A dead letter is deleted only after its republish was acknowledged.
//
// A dry run changes nothing: for each event it reports what the handlers
// would do, from the same decisions they take (validation, the role gate,
// each handler's Plan). It judges every event against the state at the
// start of the run, not as earlier events of the same replay would leave
// it; Result.Repeat marks an event whose incident an earlier event of the
// run already concerned. `escalator replay --dry-run` builds its Planners
// over snapshots of the buckets the handlers read (internal/kvsnapshot),
// loaded once before the first event: the state is consistent across the
// run, and planning an event makes no network call.
//
// Progress of a real run is kept in the bucket escalator_replay under the run
// id (source, filters, window, last position done, counts), so an
// interrupted run resumes where it stopped; the derived message ids make a
// republish repeated after a crash a duplicate that JetStream drops.
package replay
