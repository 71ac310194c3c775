// Package streams owns Escalator's JetStream layout: the event stream, the
// dead-letter stream, the durable pull consumer the workers share and the KV
// buckets that hold durable state. Ensure provisions all of it idempotently
// at every start; Publisher is the one way events enter the stream, with the
// event id as Nats-Msg-Id and the W3C trace context in the headers.
package streams
