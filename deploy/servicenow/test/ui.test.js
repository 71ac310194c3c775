'use strict';
// The incident form and the Escalator requests list: who sees which button,
// what the buttons, the dialog and "Test connection" do, who may read the
// outbox.

const test = require('node:test');
const assert = require('node:assert/strict');
const vm = require('node:vm');
const R = require('../records');
const xml = require('../stubs/xml');
const { newInstance, answer, incident, outbox, SECRET } = require('../stubs/setup');
const crypto = require('node:crypto');

const action = (name) => R.uiActions.find((u) => u.name === name);
function visible(sn, user, name, current) {
  sn.login(user);
  return sn.runScript(action(name).condition, { current: current || incident(sn) }) === true;
}

test('the buttons are shown only to the roles they need (admin sees all, as gs.hasRole says)', () => {
  const sn = newInstance();
  const outboxRow = new sn.context.GlideRecord('u_escalator_outbox');
  outboxRow.setValue('u_state', 'failed');
  const who = { nobody: [], 'abel.tuter': [], 'david.miller': ['Get Microsoft 365 insights'],
    'beth.anglin': ['Escalate to Microsoft support', 'Test connection', 'Send again'],
    admin: ['Get Microsoft 365 insights', 'Escalate to Microsoft support', 'Test connection', 'Send again'] };
  for (const [user, want] of Object.entries(who)) {
    const shown = R.uiActions.filter((u) => visible(sn, user, u.name, u.table === 'incident' ? incident(sn) : outboxRow)).map((u) => u.name);
    assert.deepEqual(shown, want, user);
  }
});

test('the incident buttons are hidden on a new, unsaved incident', () => {
  const sn = newInstance();
  const fresh = new sn.context.GlideRecord('incident');
  fresh.initialize();
  assert.equal(visible(sn, 'admin', 'Get Microsoft 365 insights', fresh), false);
  assert.equal(visible(sn, 'admin', 'Escalate to Microsoft support', fresh), false);
});

test('"Get Microsoft 365 insights" records the request, says so, and checks the role again on the server', () => {
  const sn = newInstance({ transport: (req) => answer.accepted(req) });
  const script = sn.source(action('Get Microsoft 365 insights').file);
  sn.login('david.miller');
  sn.runScript(script, { current: incident(sn) });
  assert.equal(outbox(sn).length, 1);
  assert.match(sn.messages.info[0], /insights requested/);
  assert.equal(sn.context.action.redirect, 'record:' + incident(sn).getUniqueValue());
  sn.login('abel.tuter');
  sn.runScript(script, { current: incident(sn) });
  assert.equal(outbox(sn).length, 1, 'a forged click without the role records nothing');
  assert.match(sn.messages.error[0], /escalator_insights_user/);
});

test('"Escalate to Microsoft support" opens the dialog for this incident', () => {
  const sn = newInstance();
  const opened = {};
  const ctx = vm.createContext({
    g_form: { isNewRecord: () => false, getUniqueValue: () => 'abc', addErrorMessage: (m) => { opened.error = m; } },
    GlideModal: function (page) { opened.page = page; this.setTitle = (t) => { opened.title = t; }; this.setWidth = () => {};
      this.setPreference = (k, v) => { opened[k] = v; }; this.render = () => { opened.rendered = true; }; },
  });
  vm.runInContext(sn.source(action('Escalate to Microsoft support').file) + '\n;' + action('Escalate to Microsoft support').onclick, ctx);
  assert.deepEqual(opened, { page: 'escalator_escalation_dialog', title: 'Escalate to Microsoft support', sysparm_incident_id: 'abc', rendered: true });
});

const PAGE = R.uiPages[0];
const DIALOG = { escalator_title: 'Outlook down', escalator_description: 'Forty users', escalator_severity: 'moderate',
  escalator_contact_method: 'email', escalator_phone: '', escalator_problem_start_utc: '2026-11-25T08:40:00.000Z', escalator_consent: 'true' };

test('the dialog posts an escalation for the incident and returns to it', () => {
  const sn = newInstance({ transport: (req) => answer.accepted(req) });
  sn.login('beth.anglin');
  sn.runScript(sn.source(PAGE.processing), Object.assign({ incident_sys_id: incident(sn).getUniqueValue() }, DIALOG));
  const [row] = outbox(sn);
  assert.equal(row.u_type, 'escalation');
  const esc = JSON.parse(row.u_payload).escalation;
  assert.equal(esc.title, 'Outlook down');
  assert.equal(esc.severity, 'moderate');
  assert.equal(esc.problem_start_time, '2026-11-25T08:40:00Z');
  assert.equal(esc.advanced_diagnostic_consent, 'Yes');
  assert.equal(sn.context.response.redirect, 'incident.do?sys_id=' + incident(sn).getUniqueValue());
  assert.match(sn.messages.info[0], /Escalation to Microsoft support requested/);
});

test('the dialog without the consent box ticked, and for a user without the role', () => {
  const sn = newInstance({ transport: (req) => answer.accepted(req) });
  const vars = Object.assign({ incident_sys_id: incident(sn).getUniqueValue() }, DIALOG);
  delete vars.escalator_consent;
  sn.login('beth.anglin');
  sn.runScript('var escalator_consent; ' + sn.source(PAGE.processing), vars);
  assert.equal(JSON.parse(outbox(sn)[0].u_payload).escalation.advanced_diagnostic_consent, 'No');
  sn.login('david.miller');
  sn.runScript(sn.source(PAGE.processing), vars);
  assert.equal(outbox(sn).length, 1);
  assert.match(sn.messages.error[0], /escalator_administrator/);
});

test('the dialog page is well-formed and names every field its processing script reads', () => {
  const sn = newInstance();
  const html = sn.source(PAGE.html);
  const names = new Set();
  (function walk(n) { if (n.attrs.name) names.add(n.attrs.name); n.children.forEach(walk); })(xml.parse(html));
  const read = sn.source(PAGE.processing).replace(/\/\*[\s\S]*?\*\//g, '').match(/\b(incident_sys_id|escalator_[a-z_]+)\b/g);
  for (const v of new Set(read)) assert.ok(names.has(v), v + ' is a field of the page');
  const ids = html.match(/escalatorField\('([a-z_]+)'\)/g) || [];
  for (const m of sn.source(PAGE.client).match(/escalatorField\('([a-z_]+)'\)/g).concat(ids)) {
    const id = /'([a-z_]+)'/.exec(m)[1];
    assert.ok(new RegExp('id="' + id + '"').test(html), id + ' is an element of the page');
  }
});

function dialogClient(values) {
  const els = {};
  for (const [k, v] of Object.entries(values)) els[k] = { value: v, innerHTML: '', text: '', appendChild(t) { this.text = t.data; } };
  const ctx = vm.createContext({ gel: (id) => els[id], document: { createTextNode: (data) => ({ data }) }, GlideModal: { get: () => ({ destroy() {} }) } });
  vm.runInContext(newInstance().source(PAGE.client), ctx);
  return { els, submit: () => vm.runInContext('escalatorSubmit()', ctx) };
}
const CLIENT = { escalator_title: 'T', escalator_description: 'D', escalator_contact_method: 'email', escalator_phone: '',
  escalator_problem_start: '', escalator_problem_start_utc: '', escalator_error: '', escalator_default_severity: 'critical', escalator_severity: 'minimal' };

test('the dialog applies the default severity and checks the answers before sending', () => {
  let d = dialogClient(CLIENT);
  assert.equal(d.els.escalator_severity.value, 'critical');
  assert.equal(d.submit(), true);
  d = dialogClient(Object.assign({}, CLIENT, { escalator_title: '  ' }));
  assert.equal(d.submit(), false);
  assert.equal(d.els.escalator_error.text, 'Give the case a title.');
  d = dialogClient(Object.assign({}, CLIENT, { escalator_contact_method: 'phone' }));
  assert.equal(d.submit(), false);
  assert.match(d.els.escalator_error.text, /phone number/);
  d = dialogClient(Object.assign({}, CLIENT, { escalator_problem_start: '2020-01-02T03:04' }));
  assert.equal(d.submit(), true);
  assert.equal(d.els.escalator_problem_start_utc.value, new Date('2020-01-02T03:04').toISOString(), 'local time sent as UTC');
});

function ping(transport, opts) {
  const sn = newInstance(Object.assign({ transport }, opts || {}));
  sn.login('beth.anglin');
  return { sn, r: sn.runScript('new EscalatorSetup().testConnection()') };
}
const pong = (o) => () => ({ status: 200, headers: {}, body: JSON.stringify(Object.assign({ status: 'ok' }, o)) });

test('Test connection posts the signed source to /v1/ping and reports a good setup', () => {
  const { sn, r } = ping(pong({ signature: 'verified', source: 'match' }));
  assert.equal(r.ok, true, r.message);
  assert.match(r.message, /reachable and accepted the token\. It verified the instance's signature\. This instance's URL matches/);
  const req = sn.requests[0];
  assert.equal(req.endpoint, 'https://escalator.example.com/v1/ping');
  assert.equal(req.body, '{"source":"https://contoso.service-now.com"}');
  assert.equal(req.headers.Authorization, 'Bearer tok-123');
  const [, t, mac] = /^t=(\d+),v1=([0-9a-f]+)$/.exec(req.headers['Escalator-Signature']);
  assert.equal(mac, crypto.createHmac('sha256', SECRET).update(t + '.' + req.body).digest('hex'));
});

for (const [name, transport, opts, ok, want] of [
  ['signatures not checked', pong({ signature: 'not_required', source: 'not_checked' }), {}, true, /does not check signatures: set ESCALATOR_INGEST_SIGNING_SECRETS/],
  ['unsigned and not required', pong({ signature: 'not_required', source: 'match' }), { properties: { 'escalator.signing_secret': '' } }, true, /not signed/],
  ['the source differs', pong({ signature: 'verified', source: 'mismatch' }), {}, false, /ESCALATOR_SERVICENOW_URL at Escalator is not this instance/],
  ['a refused token', () => answer.problem(401, 'Unauthorized', 'signature does not match'), {}, false, /refused the token or the signature \(HTTP 401 Unauthorized: signature does not match\)/],
  ['an old Escalator', () => ({ status: 404, body: 'not found' }), {}, false, /answered 404/],
  ['nothing listening', () => { throw new Error('Connection refused'); }, {}, false, /is not reachable: Connection refused.*MID Server/],
  ['no URL', pong({}), { properties: { 'escalator.ingest_url': undefined } }, false, /escalator\.ingest_url is not set/],
]) {
  test('Test connection: ' + name, () => {
    const { sn, r } = ping(transport, opts);
    assert.equal(r.ok, ok, r.message);
    assert.match(r.message, want);
    if (name === 'no URL') assert.equal(sn.requests.length, 0);
  });
}

test('Test connection is refused to a user without escalator_administrator, on the server too', () => {
  const sn = newInstance({ transport: pong({ signature: 'verified', source: 'match' }) });
  sn.login('david.miller');
  const r = sn.runScript('new EscalatorSetup().testConnection()');
  assert.equal(r.ok, false);
  assert.equal(sn.requests.length, 0);
});

test('the outbox access controls: Escalator roles read, the integration user reads and writes, nobody else', () => {
  const sn = newInstance();
  const may = (user, op) => { sn.login(user); return sn.runScript(R.acls.find((a) => a.operation === op).script.replace('answer = ', '')); };
  assert.deepEqual(['nobody', 'abel.tuter', 'david.miller', 'beth.anglin', 'escalator.integration'].map((u) => may(u, 'read')), [false, false, true, true, true]);
  assert.deepEqual(['abel.tuter', 'david.miller', 'beth.anglin', 'escalator.integration'].map((u) => may(u, 'write')), [false, false, true, true]);
  assert.deepEqual(['beth.anglin', 'escalator.integration'].map((u) => may(u, 'create')), [false, true]);
  assert.equal(may('beth.anglin', 'delete'), false);
});
