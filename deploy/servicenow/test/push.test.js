'use strict';
// Pushing a row to ingest: every answer ingest gives, and no answer at all,
// ends in the row state DESIGN.md names; retries keep the CloudEvent id.

const test = require('node:test');
const assert = require('node:assert/strict');
const crypto = require('node:crypto');
const { newInstance, answer, incident, outbox, SECRET } = require('../stubs/setup');

// request records an insights request as david.miller and returns the instance.
function request(transport, opts = {}) {
  const sn = newInstance(Object.assign({ transport }, opts));
  sn.login('david.miller');
  const r = sn.runScript('new EscalatorClient().requestInsights(current)', { current: incident(sn) });
  assert.equal(r.ok, true, r.message);
  return sn;
}
const retry = (sn) => sn.runScript('new EscalatorPush().retryDue()');
const notes = (sn) => sn.rows('sys_journal_field').filter((j) => j.element === 'work_notes').map((j) => j.value);

test('202: the row is sent with the event sequence, the request signed with the shared secret', () => {
  const sn = request((req) => answer.accepted(req, 42));
  sn.runAsync();
  const [row] = outbox(sn);
  assert.equal(row.u_state, 'sent');
  assert.equal(row.u_event_seq, '42');
  assert.equal(row.u_attempts, '1');
  assert.equal(row.u_last_error, '');
  const req = sn.requests[0];
  assert.equal(req.method, 'post');
  assert.equal(req.headers.Authorization, 'Bearer tok-123');
  assert.equal(req.headers['Content-Type'], 'application/cloudevents+json');
  assert.equal(req.timeoutMs, 10000, 'a push has a timeout');
  const m = /^t=(\d+),v1=([0-9a-f]{64})$/.exec(req.headers['Escalator-Signature']);
  assert.ok(m, req.headers['Escalator-Signature']);
  assert.equal(Number(m[1]), Math.floor(sn.nowMs() / 1000));
  const want = crypto.createHmac('sha256', SECRET).update(m[1] + '.' + req.body).digest('hex');
  assert.equal(m[2], want, 'v1 is hex HMAC-SHA256(secret, "<t>." + body)');
  const ev = JSON.parse(req.body);
  assert.equal(ev.specversion, '1.0');
  assert.equal(ev.source, 'https://contoso.service-now.com');
  assert.equal(ev.type, 'com.servicenow.incident.insights.requested');
  assert.equal(ev.time, '2026-11-25T09:14:03Z');
  assert.deepEqual(ev.data, JSON.parse(row.u_payload));
  assert.equal(retry(sn), 0, 'a sent row is not pushed again');
});

test('without a signing secret there is no signature header', () => {
  const sn = request((req) => answer.accepted(req), { properties: { 'escalator.signing_secret': '' } });
  sn.runAsync();
  assert.equal(sn.requests[0].headers['Escalator-Signature'], undefined);
  assert.equal(outbox(sn)[0].u_state, 'sent');
});

test('a duplicate answer is still sent, and says so', () => {
  const sn = request((req) => answer.accepted(req, 9, true));
  sn.runAsync();
  assert.match(outbox(sn)[0].u_result, /^Already stored by Escalator as event 9/);
});

for (const [status, title, detail, extra] of [
  [401, 'Unauthorized', 'missing or unknown bearer token'],
  [403, 'Forbidden', 'source address 203.0.113.9 is not in ESCALATOR_INGEST_ALLOW_CIDRS'],
  [400, 'Invalid event', '1 invalid field', { body: { errors: [{ field: 'data.incident.sys_id', detail: 'want 32 hex characters' }] } }],
  [413, 'Payload too large', 'body over 1 MiB'],
  [415, 'Unsupported media type', 'want application/cloudevents+json'],
]) {
  test(status + ': permanent, the row failed with the problem\'s detail and a work note', () => {
    const sn = request(() => answer.problem(status, title, detail, extra));
    sn.runAsync();
    const [row] = outbox(sn);
    assert.equal(row.u_state, 'failed');
    assert.ok(row.u_last_error.includes('HTTP ' + status) && row.u_last_error.includes(detail), row.u_last_error);
    if (extra) assert.match(row.u_last_error, /data\.incident\.sys_id: want 32 hex characters/);
    assert.match(row.u_result, /Send again/);
    const n = notes(sn);
    assert.equal(n.length, 1);
    assert.match(n[0], /^\[Escalator\] The Microsoft 365 insights request failed: Escalator refused the request: HTTP /);
    sn.advance(7200);
    assert.equal(retry(sn), 0, 'a failed row is not retried by itself');
    assert.equal(sn.requests.length, 1);
  });
}

test('429 with Retry-After: retried after the wait ingest asked for, with the same id', () => {
  let calls = 0;
  const sn = request((req) => (++calls === 1
    ? answer.problem(429, 'Too many requests', 'slow down', { headers: { 'Retry-After': '300' } })
    : answer.accepted(req, 8)));
  sn.runAsync();
  let [row] = outbox(sn);
  assert.equal(row.u_state, 'pending');
  assert.equal(row.u_attempts, '1');
  assert.equal(row.u_next_attempt, '2026-11-25 09:19:03', 'now + 300 s, longer than the 60 s backoff');
  assert.match(row.u_last_error, /HTTP 429 Too many requests: slow down/);
  sn.advance(299);
  assert.equal(retry(sn), 0, 'not before Retry-After');
  sn.advance(1);
  assert.equal(retry(sn), 1);
  [row] = outbox(sn);
  assert.equal(row.u_state, 'sent');
  assert.equal(row.u_attempts, '2');
  assert.equal(JSON.parse(sn.requests[0].body).id, JSON.parse(sn.requests[1].body).id, 'the retry reuses the CloudEvent id');
  assert.equal(sn.requests[0].body, sn.requests[1].body);
});

test('503 with a short Retry-After: the backoff is the floor', () => {
  const sn = request(() => answer.problem(503, 'Unavailable', 'JetStream did not acknowledge', { headers: { 'Retry-After': '5' } }));
  sn.runAsync();
  assert.equal(outbox(sn)[0].u_next_attempt, '2026-11-25 09:15:03');
});

test('an HTTP-date Retry-After is honoured too', () => {
  const sn = request(() => answer.problem(503, 'Unavailable', 'later', { headers: { 'Retry-After': 'Wed, 25 Nov 2026 09:24:03 GMT' } }));
  sn.runAsync();
  assert.equal(outbox(sn)[0].u_next_attempt, '2026-11-25 09:24:03');
});

test('5xx without Retry-After: the wait doubles from a minute up to an hour; one work note at the third attempt', () => {
  const sn = request(() => answer.problem(500, 'Internal', 'boom'));
  sn.runAsync();
  const waits = [];
  for (let i = 0; i < 9; i++) {
    const row = outbox(sn)[0];
    const next = Date.parse(row.u_next_attempt.replace(' ', 'T') + 'Z');
    waits.push((next - sn.nowMs()) / 1000);
    sn.advance((next - sn.nowMs()) / 1000);
    retry(sn);
  }
  assert.deepEqual(waits, [60, 120, 240, 480, 960, 1920, 3600, 3600, 3600]);
  assert.equal(outbox(sn)[0].u_state, 'pending');
  assert.equal(new Set(sn.requests.map((r) => JSON.parse(r.body).id)).size, 1, 'one id across all attempts');
  const n = notes(sn);
  assert.equal(n.length, 1, n.join('\n'));
  assert.match(n[0], /has not reached Escalator yet \(3 attempts\): HTTP 500 Internal: boom/);
});

test('connection refused (execute() throws): retried on schedule with the Java exception\'s message', () => {
  let up = false;
  const sn = request((req) => {
    if (!up) throw new Error('Connection refused (Connection refused)');
    return answer.accepted(req, 3);
  });
  sn.runAsync();
  let [row] = outbox(sn);
  assert.equal(row.u_state, 'pending');
  assert.match(row.u_last_error, /no answer from https:\/\/escalator\.example\.com\/v1\/events: Connection refused/);
  up = true;
  sn.advance(60);
  retry(sn);
  [row] = outbox(sn);
  assert.equal(row.u_state, 'sent');
  assert.equal(row.u_event_seq, '3');
});

test('no HTTP answer (status 0, haveError) is retried like a refused connection', () => {
  const sn = request(() => ({ status: 0, error: 'Request timed out after 10000 ms' }));
  sn.runAsync();
  const [row] = outbox(sn);
  assert.equal(row.u_state, 'pending');
  assert.match(row.u_last_error, /Request timed out/);
});

test('after the last attempt the row fails with a work note, not silently', () => {
  const sn = request(() => answer.problem(503, 'Unavailable', 'down', { headers: { 'Retry-After': '1' } }));
  sn.runAsync();
  for (let i = 0; i < 30 && outbox(sn)[0].u_state === 'pending'; i++) {
    sn.advance(3600);
    retry(sn);
  }
  const [row] = outbox(sn);
  assert.equal(row.u_state, 'failed');
  assert.equal(row.u_attempts, '20');
  assert.match(row.u_last_error, /^Not delivered after 20 attempts; last: HTTP 503/);
  assert.match(notes(sn).pop(), /failed: Not delivered after 20 attempts/);
});

for (const [prop, value] of [['escalator.ingest_url', undefined], ['escalator.ingest_url', ''], ['escalator.ingest_token', undefined], ['escalator.ingest_token', '  ']]) {
  test('unset ' + prop + ' (' + JSON.stringify(value) + '): a clear error on the row and a note, never Bearer null', () => {
    const sn = request(() => { throw new Error('must not be called'); }, { properties: { [prop]: value } });
    sn.runAsync();
    assert.equal(sn.requests.length, 0, 'nothing is sent');
    const [row] = outbox(sn);
    assert.equal(row.u_state, 'pending', 'left for a pull or for after the fix');
    assert.ok(row.u_last_error.startsWith(prop + ' is not set'), row.u_last_error);
    assert.match(row.u_last_error, /escalator\.push_enabled/);
    assert.match(notes(sn)[0], new RegExp('^\\[Escalator\\] .*' + prop.replace('.', '\\.') + ' is not set'));
    for (let i = 0; i < 4; i++) { sn.advance(3600); retry(sn); }
    assert.equal(notes(sn).length, 1, 'one note for a configuration problem, not one per attempt');
    assert.equal(sn.requests.length, 0);
  });
}

test('push off: nothing is sent, the row waits for Escalator to pull it', () => {
  const sn = request(() => { throw new Error('must not be called'); }, { properties: { 'escalator.push_enabled': 'false', 'escalator.ingest_url': undefined } });
  sn.runAsync();
  sn.advance(3600);
  assert.equal(retry(sn), 0);
  assert.equal(sn.requests.length, 0);
  assert.equal(outbox(sn)[0].u_state, 'pending');
  assert.equal(outbox(sn)[0].u_last_error || '', '');
});

test('with escalator.mid_server the push goes through the MID Server (executeAsync, waitForResponse)', () => {
  const sn = request((req) => answer.accepted(req), { properties: { 'escalator.mid_server': 'mid-dmz-01' } });
  sn.runAsync();
  assert.equal(sn.requests[0].midServer, 'mid-dmz-01');
  assert.equal(sn.requests[0].async, true);
  assert.equal(outbox(sn)[0].u_state, 'sent');
});

test('an outcome Escalator wrote first (done) is not moved back to sent', () => {
  let sn;
  sn = request((req) => {
    const id = JSON.parse(req.body).id;
    sn.updateRow('u_escalator_outbox', { sys_id: id, u_state: 'done', u_result: 'Work note added with 1 issue and 5 articles.' });
    return answer.accepted(req, 11);
  });
  sn.runAsync();
  const [row] = outbox(sn);
  assert.equal(row.u_state, 'done');
  assert.equal(row.u_event_seq, '11');
  assert.match(row.u_result, /^Work note added/);
});

test('Send again: an administrator re-sends a failed row with the same id; others may not', () => {
  let fixed = false;
  const sn = request((req) => (fixed ? answer.accepted(req, 5) : answer.problem(401, 'Unauthorized', 'unknown token')));
  sn.runAsync();
  assert.equal(outbox(sn)[0].u_state, 'failed');
  const again = (user) => {
    sn.login(user);
    const gr = new sn.context.GlideRecord('u_escalator_outbox');
    gr.get(outbox(sn)[0].sys_id);
    return sn.runScript('new EscalatorPush().sendAgain(row)', { row: gr });
  };
  const refused = again('david.miller');
  assert.equal(refused.ok, false);
  assert.match(refused.message, /escalator_administrator/);
  fixed = true;
  const r = again('beth.anglin');
  assert.equal(r.ok, true, r.message);
  assert.equal(outbox(sn)[0].u_state, 'sent');
  assert.equal(JSON.parse(sn.requests[0].body).id, JSON.parse(sn.requests[1].body).id);
});
