'use strict';
// Recording requests: who may ask, what the outbox row holds, and that the
// row exists before anything touches the network.

const test = require('node:test');
const assert = require('node:assert/strict');
const fs = require('node:fs');
const path = require('node:path');
const { newInstance, answer, incident, outbox, INCIDENT } = require('../stubs/setup');

// The contract's examples, as the repository carries them (cmd/escalator/examples).
const CONTRACT = path.join(__dirname, '..', '..', '..', 'cmd', 'escalator', 'examples');

function ask(sn, user, expr, extra = {}) {
  sn.login(user);
  return sn.runScript(expr, Object.assign({ current: incident(sn) }, extra));
}

test('an insights request is written to the outbox before any network call', () => {
  const sn = newInstance({ transport: (req) => answer.accepted(req) });
  const r = ask(sn, 'david.miller', 'new EscalatorClient().requestInsights(current)');
  assert.equal(r.ok, true, r.message);
  assert.deepEqual(sn.requests, [], 'nothing is sent inside the click');
  const [row] = outbox(sn);
  assert.equal(row.sys_id, r.sysId);
  assert.equal(row.u_type, 'insights');
  assert.equal(row.u_incident, INCIDENT);
  assert.equal(row.u_state, 'pending');
  assert.equal(row.sys_created_by, 'david.miller');

  sn.runAsync();
  const insert = sn.log.indexOf('insert u_escalator_outbox');
  const post = sn.log.indexOf('http POST https://escalator.example.com/v1/events');
  assert.ok(insert >= 0 && post > insert, 'row inserted, then pushed: ' + sn.log.join(', '));
  assert.equal(JSON.parse(sn.requests[0].body).id, row.sys_id, 'the row sys_id is the CloudEvent id');
});

test('the payload has the shape of the contract examples', () => {
  const sn = newInstance({ transport: (req) => answer.accepted(req) });
  ask(sn, 'david.miller', 'new EscalatorClient().requestInsights(current)');
  const data = JSON.parse(outbox(sn)[0].u_payload);
  const example = JSON.parse(fs.readFileSync(path.join(CONTRACT, 'insights-requested.json'), 'utf8')).data;
  assert.deepEqual(Object.keys(data).sort(), Object.keys(example).sort());
  for (const k of Object.keys(example.incident)) {
    assert.equal(data.incident[k], example.incident[k], 'incident.' + k);
  }
  assert.equal(data.requested_by.user_name, 'david.miller');
  assert.equal(data.requested_by.email, 'david.miller@contoso.com');
  assert.deepEqual(data.requested_by.roles, ['itil', 'escalator_insights_user']);
});

for (const user of ['nobody', 'abel.tuter', 'beth.anglin']) {
  test('insights are refused on the server to ' + user + ', who lacks the role', () => {
    const sn = newInstance({ transport: (req) => answer.accepted(req) });
    const r = ask(sn, user, 'new EscalatorClient().requestInsights(current)');
    assert.equal(r.ok, false);
    assert.match(r.message, /escalator_insights_user/);
    assert.equal(outbox(sn).length, 0);
  });
}

test('an admin, whom gs.hasRole answers yes for every role, is not refused and says so in the roles', () => {
  const sn = newInstance({ transport: (req) => answer.accepted(req) });
  const r = ask(sn, 'admin', 'new EscalatorClient().requestInsights(current)');
  assert.equal(r.ok, true, r.message);
  const roles = JSON.parse(outbox(sn)[0].u_payload).requested_by.roles;
  assert.ok(roles.includes('admin') && roles.includes('escalator_insights_user') && roles.includes('escalator_administrator'), roles.join());
});

test('getRoles() as a JavaScript array (scoped scripts) works like the Java list', () => {
  for (const rolesAsArray of [false, true]) {
    const sn = newInstance({ transport: (req) => answer.accepted(req) });
    sn.login('david.miller', { rolesAsArray });
    sn.runScript('new EscalatorClient().requestInsights(current)', { current: incident(sn) });
    assert.deepEqual(JSON.parse(outbox(sn)[0].u_payload).requested_by.roles, ['itil', 'escalator_insights_user'], 'array: ' + rolesAsArray);
  }
});

const FORM = { title: 'Outlook desktop clients cannot connect to Exchange Online', description: 'About 40 users on one site; OWA unaffected.',
  severity: 'critical', contact_method: 'phone', phone: '+1 425 555 0100', problem_start_time: '2026-11-25T08:40:00.000Z', consent: 'true' };

test('an escalation carries the dialog answers in its escalation block', () => {
  const sn = newInstance({ transport: (req) => answer.accepted(req) });
  const r = ask(sn, 'beth.anglin', 'new EscalatorClient().requestEscalation(current, form)', { form: FORM });
  assert.equal(r.ok, true, r.message);
  const data = JSON.parse(outbox(sn)[0].u_payload);
  assert.equal(outbox(sn)[0].u_type, 'escalation');
  assert.deepEqual(data.escalation, {
    title: FORM.title, description: FORM.description, severity: 'critical',
    contact: { first_name: 'Beth', last_name: 'Anglin', email: 'beth.anglin@contoso.com', preferred_contact_method: 'phone', phone: '+1 425 555 0100' },
    advanced_diagnostic_consent: 'Yes', problem_start_time: '2026-11-25T08:40:00Z',
  });
  const example = JSON.parse(fs.readFileSync(path.join(CONTRACT, 'escalation-requested.json'), 'utf8')).data;
  for (const k of ['title', 'description', 'severity']) assert.equal(typeof data.escalation[k], typeof example.escalation[k], k);
});

test('an escalation without answers falls back to the incident and email', () => {
  const sn = newInstance({ transport: (req) => answer.accepted(req) });
  const r = ask(sn, 'beth.anglin', 'new EscalatorClient().requestEscalation(current, {})');
  assert.equal(r.ok, true, r.message);
  const esc = JSON.parse(outbox(sn)[0].u_payload).escalation;
  assert.equal(esc.title, 'Outlook cannot connect to Exchange Online for the finance floor');
  assert.equal(esc.contact.preferred_contact_method, 'email');
  assert.equal(esc.advanced_diagnostic_consent, 'No');
  assert.equal(esc.severity, undefined, 'left to Escalator, which maps the priority');
});

for (const [name, change, want] of [
  ['an unknown severity', { severity: 'urgent' }, /Severity "urgent"/],
  ['phone without a number', { contact_method: 'phone', phone: ' ' }, /phone number/],
  ['an unknown contact method', { contact_method: 'fax' }, /Contact method "fax"/],
  ['a start time that is not UTC ISO', { problem_start_time: '25/11/2026 08:40' }, /not a UTC time/],
  ['a start time in the future', { problem_start_time: '2026-11-26T08:40:00Z' }, /in the future/],
]) {
  test('an escalation with ' + name + ' is refused with the reason, and nothing is recorded', () => {
    const sn = newInstance({ transport: (req) => answer.accepted(req) });
    const r = ask(sn, 'beth.anglin', 'new EscalatorClient().requestEscalation(current, form)', { form: Object.assign({}, FORM, change) });
    assert.equal(r.ok, false);
    assert.match(r.message, want);
    assert.equal(outbox(sn).length, 0);
  });
}

test('escalation is refused on the server to a user without escalator_administrator', () => {
  const sn = newInstance({ transport: (req) => answer.accepted(req) });
  const r = ask(sn, 'david.miller', 'new EscalatorClient().requestEscalation(current, form)', { form: FORM });
  assert.equal(r.ok, false);
  assert.match(r.message, /escalator_administrator/);
  assert.equal(outbox(sn).length, 0);
});

test('a 10 KB description with quotes, CRLF, HTML and emoji arrives intact, in an ASCII body', () => {
  const unit = 'He said "it\'s down" \\ <b>OWA</b> & <script>x</script>\r\nnext line\ttab 😀 ünïcödé 中文 \u2028\n';
  let text = '';
  while (text.length < 10240) text += unit;
  const sn = newInstance({ transport: (req) => answer.accepted(req), incident: { description: text } });
  const r = ask(sn, 'beth.anglin', 'new EscalatorClient().requestEscalation(current, form)', { form: { description: text } });
  assert.equal(r.ok, true, r.message);
  sn.runAsync();
  const body = sn.requests[0].body;
  assert.match(body, /^[\x20-\x7e]*$/, 'the body is printable ASCII');
  const ev = JSON.parse(body);
  assert.equal(ev.data.incident.description, text);
  assert.equal(ev.data.escalation.description, text.trim(), 'the dialog\'s answers are trimmed, nothing else');
});

test('a description too long for u_payload is shortened, the identifiers kept', () => {
  const long = 'x'.repeat(150000);
  const sn = newInstance({ transport: (req) => answer.accepted(req), incident: { description: long } });
  ask(sn, 'beth.anglin', 'new EscalatorClient().requestEscalation(current, form)', { form: { description: long } });
  const payload = outbox(sn)[0].u_payload;
  assert.ok(payload.length <= 60000, 'payload ' + payload.length);
  const data = JSON.parse(payload);
  assert.equal(data.incident.sys_id, INCIDENT);
  assert.match(data.escalation.description, /\[shortened by Escalator: \d+ characters left out/);
});

test('a refused insert is reported to the user, not lost silently', () => {
  const sn = newInstance({ transport: (req) => answer.accepted(req) });
  sn.failInserts.u_escalator_outbox = true;
  const r = ask(sn, 'david.miller', 'new EscalatorClient().requestInsights(current)');
  assert.equal(r.ok, false);
  assert.match(r.message, /could not be recorded/);
  assert.ok(sn.log.some((l) => l.startsWith('error: Escalator: could not insert')));
});
