'use strict';
// The update set XML: generated from the sources, reproducible, shaped like
// an instance's export, and carrying every script verbatim.

const test = require('node:test');
const assert = require('node:assert/strict');
const fs = require('node:fs');
const os = require('node:os');
const path = require('node:path');
const { execFileSync, spawnSync } = require('node:child_process');
const { build, updates, javaHash } = require('../build');
const R = require('../records');
const xml = require('../stubs/xml');

const DIR = path.join(__dirname, '..');
const XML = path.join(DIR, 'escalator-update-set.xml');
const text = (node, name) => { const c = xml.child(node, name); return c ? c.text : undefined; };

test('the committed XML is what build.js makes from the sources, and the build is reproducible', () => {
  assert.equal(build(), build());
  assert.equal(fs.readFileSync(XML, 'utf8'), build(), 'run node deploy/servicenow/build.js');
  assert.match(execFileSync(process.execPath, [path.join(DIR, 'build.js'), '--check'], { encoding: 'utf8' }), /matches its sources \(\d+ records\)/);
});

test('--check fails when a source changed and the XML was not rebuilt', () => {
  const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'escalator-sn-'));
  for (const f of ['build.js', 'records.js', 'escalator-update-set.xml']) fs.copyFileSync(path.join(DIR, f), path.join(tmp, f));
  fs.cpSync(path.join(DIR, 'src'), path.join(tmp, 'src'), { recursive: true });
  fs.appendFileSync(path.join(tmp, 'src', 'job_retry_pushes.js'), '// changed\n');
  const r = spawnSync(process.execPath, [path.join(tmp, 'build.js'), '--check'], { encoding: 'utf8' });
  assert.equal(r.status, 1);
  assert.match(r.stderr, /out of date/);
  fs.rmSync(tmp, { recursive: true, force: true });
});

test('the XML is an unload with one remote update set and one sys_update_xml per record, as instances export them', () => {
  const doc = xml.parse(fs.readFileSync(XML, 'utf8'));
  assert.equal(doc.name, 'unload');
  assert.match(doc.attrs.unload_date, /^\d{4}-\d{2}-\d{2} \d{2}:\d{2}:\d{2}$/);
  const [set] = xml.children(doc, 'sys_remote_update_set');
  assert.equal(set.attrs.action, 'INSERT_OR_UPDATE');
  assert.equal(text(set, 'state'), 'loaded');
  assert.equal(text(set, 'application_scope'), 'global');
  const setId = text(set, 'sys_id');
  const rows = xml.children(doc, 'sys_update_xml');
  assert.equal(rows.length, updates().length);
  const ids = new Set();
  for (const row of rows) {
    const name = text(row, 'name');
    const payload = text(row, 'payload');
    assert.equal(text(row, 'action'), 'INSERT_OR_UPDATE', name);
    assert.equal(xml.child(row, 'remote_update_set').text, setId, name);
    assert.equal(text(row, 'payload_hash'), String(javaHash(payload)), name);
    assert.equal(xml.child(row, 'application').text, 'global', name);
    const rec = xml.parse(payload);
    assert.equal(rec.name, 'record_update', name);
    const wrapper = rec.children[0];
    const table = rec.attrs.table || wrapper.name;
    const inner = table === 'sys_documentation' ? wrapper.children[0] : wrapper;
    const sysId = text(inner, 'sys_id') || text(xml.child(inner, 'sys_choice_set') || inner, 'sys_id');
    assert.match(sysId || '', /^[0-9a-f]{32}$/, name);
    assert.ok(!ids.has(sysId), 'sys_id once: ' + name);
    ids.add(sysId);
    if (['sys_dictionary', 'sys_documentation', 'sys_choice'].includes(table)) {
      assert.ok(name.startsWith(table + '_' + R.OUTBOX + '_'), name);
    } else {
      assert.equal(name, table + '_' + sysId, 'update name of a ' + table);
      assert.equal(text(inner, 'sys_update_name'), name);
      assert.equal(inner.attrs.action, 'INSERT_OR_UPDATE');
      assert.equal(xml.child(inner, 'sys_scope').text, 'global');
    }
  }
});

test('every script, condition and page is in its record verbatim', () => {
  const doc = xml.parse(fs.readFileSync(XML, 'utf8'));
  const records = xml.children(doc, 'sys_update_xml').map((row) => xml.parse(text(row, 'payload')).children[0]);
  const byName = (table, name) => records.find((r) => r.name === table && text(r, 'name') === name);
  const src = (f) => fs.readFileSync(path.join(DIR, 'src', f), 'utf8');
  for (const s of R.scriptIncludes) assert.equal(text(byName('sys_script_include', s.name), 'script'), src(s.file), s.name);
  for (const b of R.businessRules) {
    const r = byName('sys_script', b.name);
    assert.equal(text(r, 'script'), src(b.file), b.name);
    assert.equal(text(r, 'collection'), b.table);
    assert.equal(text(r, 'when'), b.when);
  }
  for (const u of R.uiActions) {
    const r = byName('sys_ui_action', u.name);
    assert.equal(text(r, 'script'), src(u.file), u.name);
    assert.equal(text(r, 'condition'), u.condition, u.name);
    assert.equal(text(r, 'client'), u.client ? 'true' : 'false', u.name);
  }
  const page = byName('sys_ui_page', 'escalator_escalation_dialog');
  assert.equal(text(page, 'html'), src('escalator_escalation_dialog.html'));
  assert.equal(text(page, 'processing_script'), src('escalator_escalation_dialog.processing.js'));
  assert.equal(text(byName('sysauto_script', 'Escalator: retry pushes'), 'run_period'), '1970-01-01 00:01:00');
  for (const p of R.properties) assert.equal(text(byName('sys_properties', p.name), 'type'), p.type, p.name);
  assert.deepEqual(records.filter((r) => r.name === 'sys_user_role').map((r) => text(r, 'name')), ['escalator_insights_user', 'escalator_administrator']);
  const fields = records.filter((r) => r.name === 'sys_dictionary').map((r) => r.attrs.element).filter(Boolean);
  assert.deepEqual(fields, R.fields.map((f) => f.element));
});
