// Package event is the wire contract between ServiceNow and Escalator:
// CloudEvents 1.0 in structured, batched and binary HTTP modes, validated field
// by field, and the mapping from event type to JetStream subject.
//
// It imports nothing of Escalator's own, so every part (ingest, worker,
// handlers, replay) decodes events the same way.
package event
