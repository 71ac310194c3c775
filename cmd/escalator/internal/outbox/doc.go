// Package outbox takes requests from ServiceNow's outbox table
// u_escalator_outbox and writes what became of them back on their rows.
//
// Every request an agent makes is written to the outbox first, in the same
// transaction as the click. The update set's business rule pushes the row's
// CloudEvent to ingest; the Poller pulls the rows still pending over the
// Table API on a leaderless tick, so no inbound path to Escalator is needed
// and rows written while Escalator was down are taken when it returns. Both
// ways publish the event with the row's sys_id as its id and Nats-Msg-Id, so
// a row taken both ways is stored once.
//
// A row's life: pending → sent (the event is stored, u_event_seq holds its
// stream sequence) → done, refused or failed (the Reporter, told by the
// worker before it settles the message). A row that cannot become an event
// (bad JSON, unknown type, no incident, an event the decoder refuses) goes
// straight to failed with the reason, and the rows behind it go on.
//
// The KV bucket escalator_outbox keeps, per row, the sequence its event was
// stored at and the outcome reported for it. It lets a row that stayed
// pending longer than the stream's duplicate window (the instance could not
// be written after the publish) be marked without a second publish, and it
// repairs the one race the Table API cannot exclude: the outcome written
// before the poller's "sent" (the Table API has no conditional update),
// right after the mark or, for a pass cut short there, by the next pass's
// sweep (sweep.go).
package outbox
