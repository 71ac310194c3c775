// Package eventindex keeps the index that lets `escalator explain` find the
// events of one incident without reading the stream: the subjects
// (escalator.incident.insights|escalate|update) do not name the incident, and
// JetStream filters only by subject, so without an index the only way to
// find an incident's events is to read every message.
//
// The index is the KV bucket escalator_explain. Publisher, a wrapper of the
// event publisher, records every stored incident event under
// "incident.<sys_id>.<stream seq>" and the incident's number under
// "number.<NUMBER>" (value: the sys_id). Reading an incident's events is then
// one filtered key listing (the server walks only that incident's subjects)
// and one direct get per event. Entries expire with the events they point at
// (the bucket's TTL is the event stream's max age).
//
// The index is an aid, never the record: a failed index write is logged and
// the event stays stored; a publish that JetStream answers as a duplicate
// writes its entries again (the same keys), which repairs an entry an
// earlier attempt lost.
package eventindex
