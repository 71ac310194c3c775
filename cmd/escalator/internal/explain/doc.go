// Package explain assembles the timeline `escalator explain` prints: what
// Escalator did with one incident, from every source there is. The events
// of the incident in the stream ESCALATOR (found through the index of
// internal/eventindex, or by a filtered read of the stream when there is
// none), its dead letters in ESCALATOR_DLQ, its case record and the linked
// account as the KV histories of escalator_cases and escalator_accounts
// keep them, the outbox rows and Escalator's work notes in ServiceNow, the
// case's status at Microsoft and the trace ids stored with each message.
//
// Everything is read; nothing is written. A source that is not configured
// or does not answer is reported as such and the others still are.
package explain
