// Package rolegate refuses role-gated events whose requester lacks the role.
//
// ServiceNow sends the requester's roles with every insights or escalation
// request (data.requested_by.roles). A Gate wraps the handler of one event
// type: when the role is there the event goes on to that handler; when it
// is not, nothing is sent to Microsoft, and the refusal is
//
//   - audited: one warn log line "event refused: missing role" with the user
//     name, incident number, event id, type and missing role (never the
//     event's body);
//   - counted: the metric escalator.events.refused, by event type and role;
//   - explained: a work note on the incident names the missing role. It
//     carries the marker [escalator:refused-<event id>], so a redelivery or
//     replay of the same event does not post it twice.
//
// The event is then acked. Only a work note that cannot be posted fails the
// message, so that the refusal is not acked unexplained: a transient failure
// is retried, a permanent one (the incident does not exist, an ACL) is
// dead-lettered with its reason.
package rolegate
