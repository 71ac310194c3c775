/*
 * Scheduled job "Escalator: retry pushes" (every minute): pushes the pending
 * outbox rows whose next attempt has come (backoff from u_attempts, honouring
 * Retry-After), each with its own CloudEvent id.
 */
new EscalatorPush().retryDue();
