'use strict';
// newInstance: an instance with the update set installed: its Script
// Includes loaded, its business rules registered from records.js, the
// seeded incident INC0010023 and the properties an administrator sets.

const R = require('../records');
const { Instance } = require('./instance');

const INCIDENT = '9d385017c611228701d22104cc95c371';
const SECRET = 'a3f1c9e27b5d4e8f9a0b1c2d3e4f5a6b7c8d9e0f1a2b3c4d5e6f7a8b9c0d1e2f';

function newInstance(opts = {}) {
  const properties = Object.assign({
    'escalator.ingest_url': 'https://escalator.example.com/v1/events',
    'escalator.ingest_token': 'tok-123',
    'escalator.signing_secret': SECRET,
    'escalator.push_enabled': 'true',
    'escalator.mid_server': '',
    'escalator.integration_user': 'escalator.integration',
  }, opts.properties || {});
  for (const k of Object.keys(properties)) if (properties[k] === undefined) delete properties[k];
  const sn = new Instance(Object.assign({}, opts, { properties }));
  for (const s of R.scriptIncludes) sn.load(s.file);
  for (const b of R.businessRules) sn.addRule({ table: b.table, when: b.when, insert: b.insert, update: b.update, script: sn.source(b.file) });
  const group = sn.insertRow('sys_user_group', { name: 'Messaging' });
  const caller = sn.rows('sys_user').find((u) => u.user_name === 'abel.tuter').sys_id;
  sn.insertRow('incident', Object.assign({
    sys_id: INCIDENT, number: 'INC0010023',
    short_description: 'Outlook cannot connect to Exchange Online for the finance floor',
    description: "Since 08:40 UTC about 40 users get 'Trying to connect...' in Outlook desktop. OWA works.",
    priority: '1', urgency: '1', impact: '2', state: '2', category: 'email',
    assignment_group: group, caller_id: caller, opened_at: '2026-11-25 08:52:11', close_code: '', close_notes: '',
  }, opts.incident || {}));
  sn.schema.incident = { work_notes: '', comments: '' };
  return sn;
}

// answer builds what ingest answers.
const answer = {
  accepted: (req, seq = 7, duplicate = false) => ({ status: 202, headers: { 'Content-Type': 'application/json' },
    body: JSON.stringify({ accepted: [{ id: JSON.parse(req.body).id, seq, duplicate }] }) }),
  problem: (status, title, detail, extra = {}) => ({ status, headers: Object.assign({ 'Content-Type': 'application/problem+json' }, extra.headers || {}),
    body: JSON.stringify(Object.assign({ type: 'https://escalator.dev/problems/x', title, status, detail }, extra.body || {})) }),
};

function incident(sn) {
  const gr = new sn.context.GlideRecord('incident');
  gr.get(INCIDENT);
  return gr;
}

function outbox(sn) { return sn.rows(R.OUTBOX); }

module.exports = { newInstance, answer, incident, outbox, INCIDENT, SECRET };
