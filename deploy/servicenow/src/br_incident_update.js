/*
 * Business rule "Escalator: incident updated" (incident, after update,
 * synchronous). It runs inside the update, so it sees the journal entry this
 * update added and the fields it changed, and records them in the outbox;
 * the push happens after, in the outbox's async rule. Only incidents with an
 * escalation are sent.
 */
(function executeRule(current, previous /* null when async */) {
    new EscalatorClient().recordUpdate(current);
})(current, previous);
