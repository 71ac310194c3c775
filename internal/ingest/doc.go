// Package ingest is the HTTP front door of Escalator: ServiceNow business
// rules POST CloudEvents to /v1/events, and the server answers 202 only once
// JetStream has acknowledged every event of the request.
//
// The event id becomes the Nats-Msg-Id, so a client that retries after a
// timeout or a 503 cannot store an event twice: the repeat is answered
// "duplicate": true. Every error is an RFC 9457 problem document, and a
// request JetStream could not take (unreachable, or the stream full) is
// answered 503 with Retry-After, never 202, so the caller's retry is always
// safe and always needed.
//
// A request passes, in order: the source network (the peer, or behind
// trusted proxies the right-most untrusted X-Forwarded-For address), the
// method, the bearer token, the media type — each refused before the body
// is read, on a closed connection — then the size-capped body, its
// Escalator-Signature when signing secrets are set (Sign makes one), the
// events' validity and their source. POST /v1/ping runs the same checks
// and publishes nothing: the ServiceNow side's "test connection".
//
// Serve bounds what a client can hold: read, write and idle timeouts, the
// header size, the connections at once, and the shutdown.
package ingest
