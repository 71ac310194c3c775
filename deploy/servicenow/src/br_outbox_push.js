/*
 * Business rule "Escalator: push request" (u_escalator_outbox, async after
 * insert): sends the new row to Escalator's ingest once the transaction that
 * wrote it has committed. A failed push is retried by the scheduled job
 * "Escalator: retry pushes" with the same CloudEvent id.
 */
(function executeRule(current, previous /* null when async */) {
    new EscalatorPush().push(current);
})(current, previous);
