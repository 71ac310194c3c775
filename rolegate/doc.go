// Package rolegate refuses role-gated events whose requester lacks the role.
//
// A Gate wraps the handler of one event type (insights, escalation) and a
// list of roles of which the requester must hold one. Which roles the
// requester holds comes from a RoleSource: a RoleCache reads them from
// ServiceNow (sys_user_has_role, active, for data.requested_by.user_name),
// remembering each user's for a short TTL, because a bearer token says that
// the caller may post, not that the payload is true; PayloadRoles believes
// data.requested_by.roles, the escape hatch ESCALATOR_VERIFY_ROLES=false.
// ServiceNow's admin role holds every role, as gs.hasRole() says on an
// instance. Roles that cannot be read fail the message as transient: it is
// retried, never refused for it.
//
// When the role is there the event goes on to the next handler; when it
// is not, nothing is sent to Microsoft, and the refusal is
//
//   - audited: one warn log line "event refused: missing role" with the user
//     name, incident number, event id, type and missing role (never the
//     event's body);
//   - counted: the metric escalator.events.refused, by event type and role;
//   - explained: a work note on the incident names the missing role. It
//     carries the marker [escalator:refused-<event id>], so a redelivery or
//     replay of the same event does not post it twice;
//   - reported: the message's result is worker.ResultRefused with the
//     reason ("Refused: abel.tuter does not hold escalator_administrator").
//
// The event is then acked. Only a work note that cannot be posted fails the
// message, so that the refusal is not acked unexplained: a transient failure
// is retried, a permanent one (the incident does not exist, an ACL) is
// dead-lettered with its reason.
package rolegate
