// Package ingest is the HTTP front door of Escalator: ServiceNow business
// rules POST CloudEvents to /v1/events, and the server answers 202 only once
// JetStream has acknowledged every event of the request.
//
// The event id becomes the Nats-Msg-Id, so a client that retries after a
// timeout or a 503 cannot store an event twice: the repeat is answered
// "duplicate": true. Every error is an RFC 9457 problem document, and a
// request JetStream could not take is answered 503 with Retry-After, never
// 202, so the caller's retry is always safe and always needed.
package ingest
