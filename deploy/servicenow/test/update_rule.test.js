'use strict';
// The incident's after-update rule: an update of an escalated incident sends
// the journal entry that update added and the fields it changed, nothing
// older, nothing Escalator wrote itself.

const test = require('node:test');
const assert = require('node:assert/strict');
const { newInstance, answer, outbox, INCIDENT } = require('../stubs/setup');

// escalated: an instance whose incident has an escalation Escalator acted on.
function escalated(opts = {}) {
  const sn = newInstance(Object.assign({ transport: (req) => answer.accepted(req) }, opts));
  sn.insertRow('u_escalator_outbox', { u_type: 'escalation', u_incident: INCIDENT, u_state: 'done', u_payload: '{}', sys_created_on: sn.nowValue() });
  return sn;
}
const updates = (sn) => outbox(sn).filter((r) => r.u_type === 'update').map((r) => JSON.parse(r.u_payload));
const journal = (sn, text) => sn.rows('sys_journal_field').find((j) => j.value === text);

test('a state change without a note sends the fields and no note (never the previous one)', () => {
  const sn = escalated();
  sn.saveForm('incident', INCIDENT, { work_notes: 'Waiting for Microsoft.' }, 'beth.anglin');
  sn.advance(60);
  sn.saveForm('incident', INCIDENT, { state: '6', close_code: 'Solved (Permanently)', close_notes: 'Microsoft rolled back the change.' }, 'beth.anglin');
  const u = updates(sn);
  assert.equal(u.length, 2);
  assert.deepEqual(u[1].change, { fields: ['state', 'close_code', 'close_notes'] });
  assert.equal(u[1].incident.state, '6');
  assert.equal(u[1].incident.close_code, 'Solved (Permanently)');
  assert.equal(u[1].requested_by.user_name, 'beth.anglin');
});

test('a note sends the id of the journal entry this update added', () => {
  const sn = escalated();
  sn.saveForm('incident', INCIDENT, { work_notes: 'Users confirm Outlook reconnects after 11:05 UTC.' }, 'beth.anglin');
  const [u] = updates(sn);
  const entry = journal(sn, 'Users confirm Outlook reconnects after 11:05 UTC.');
  assert.deepEqual(u.change, { fields: [], journal_id: entry.sys_id, work_note: 'Users confirm Outlook reconnects after 11:05 UTC.' });
});

test('two notes in quick succession are each captured with their own journal id, however late the pushes run', () => {
  const sn = escalated();
  sn.saveForm('incident', INCIDENT, { work_notes: 'first note' }, 'beth.anglin');
  sn.saveForm('incident', INCIDENT, { work_notes: 'second note' }, 'david.miller');
  assert.equal(sn.runAsync(), 2, 'both pushes run after both updates');
  const u = updates(sn);
  assert.deepEqual(u.map((x) => x.change.work_note), ['first note', 'second note']);
  assert.deepEqual(u.map((x) => x.change.journal_id), [journal(sn, 'first note').sys_id, journal(sn, 'second note').sys_id]);
  assert.deepEqual(u.map((x) => x.requested_by.user_name), ['beth.anglin', 'david.miller']);
  assert.deepEqual(sn.requests.map((r) => JSON.parse(r.body).data.change.work_note), ['first note', 'second note']);
});

test('the same text twice within one second still names each update its own entry', () => {
  const sn = escalated();
  sn.saveForm('incident', INCIDENT, { work_notes: 'ping' }, 'beth.anglin');
  sn.saveForm('incident', INCIDENT, { work_notes: 'ping' }, 'beth.anglin');
  const ids = updates(sn).map((x) => x.change.journal_id);
  assert.equal(new Set(ids).size, 2, ids.join());
});

test('a note and a state change in one save send both', () => {
  const sn = escalated();
  sn.saveForm('incident', INCIDENT, { work_notes: 'Resolved by Microsoft.', state: '6' }, 'beth.anglin');
  const [u] = updates(sn);
  assert.deepEqual(u.change.fields, ['state']);
  assert.equal(u.change.journal_id, journal(sn, 'Resolved by Microsoft.').sys_id);
});

test('the element list may be a JavaScript array (scoped) as well as a Java list', () => {
  const sn = escalated({ scoped: true });
  sn.saveForm('incident', INCIDENT, { priority: '2' }, 'beth.anglin');
  assert.deepEqual(updates(sn)[0].change.fields, ['priority']);
});

test('an incident without an escalation sends nothing', () => {
  const sn = newInstance({ transport: (req) => answer.accepted(req) });
  sn.saveForm('incident', INCIDENT, { work_notes: 'just a note', state: '3' }, 'beth.anglin');
  assert.equal(outbox(sn).length, 0);
});

test('a failed escalation does not make updates worth sending', () => {
  const sn = newInstance({ transport: (req) => answer.accepted(req) });
  sn.insertRow('u_escalator_outbox', { u_type: 'escalation', u_incident: INCIDENT, u_state: 'failed', u_payload: '{}' });
  sn.saveForm('incident', INCIDENT, { state: '3' }, 'beth.anglin');
  assert.equal(updates(sn).length, 0);
});

test("Escalator's own updates and notes are not sent back", () => {
  const sn = escalated();
  sn.saveForm('incident', INCIDENT, { work_notes: '[escalator:case-123] Microsoft support case 123 opened.', correlation_id: '123' }, 'escalator.integration');
  sn.saveForm('incident', INCIDENT, { work_notes: 'Support case 123: Microsoft replied. [escalator:msg-9]' }, 'beth.anglin');
  assert.equal(updates(sn).length, 0);
  // A note the instance adds for a failed push is marked and skipped too.
  const gr = new sn.context.GlideRecord('u_escalator_outbox');
  gr.get(outbox(sn)[0].sys_id);
  sn.runScript("new EscalatorPush().note(row, 'could not send')", { row: gr });
  assert.ok(journal(sn, '[Escalator] could not send'));
  assert.equal(updates(sn).length, 0);
});

test('an update that changes only system fields sends nothing', () => {
  const sn = escalated();
  sn.saveForm('incident', INCIDENT, { sys_tags: 'x' }, 'beth.anglin');
  assert.equal(updates(sn).length, 0);
});
