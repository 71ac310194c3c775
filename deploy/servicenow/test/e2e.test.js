'use strict';
// The scripts against a real `escalator dev` over HTTP: beth.anglin
// escalates the seeded incident INC0010023 from the dialog, the outbox row is
// pushed (signed) to ingest, and the case appears at the simulator. Skipped,
// with the reason, when the binary cannot be built here.

const test = require('node:test');
const assert = require('node:assert/strict');
const fs = require('node:fs');
const net = require('node:net');
const os = require('node:os');
const path = require('node:path');
const { spawn, spawnSync } = require('node:child_process');
const { newInstance, incident, outbox, SECRET } = require('../stubs/setup');
const { transport } = require('../stubs/http_sync');

const ROOT = path.join(__dirname, '..', '..', '..');
const TOKEN = require('node:crypto').randomBytes(24).toString('hex');

function freePort() {
  return new Promise((resolve, reject) => {
    const s = net.createServer();
    s.once('error', reject);
    s.listen(0, '127.0.0.1', () => { const { port } = s.address(); s.close(() => resolve(port)); });
  });
}

async function until(what, deadlineMs, fn) {
  const end = Date.now() + deadlineMs;
  let last;
  while (Date.now() < end) {
    try {
      const v = await fn();
      if (v) return v;
    } catch (e) {
      if (e instanceof assert.AssertionError) throw e;
      last = e;
    }
    await new Promise((r) => setTimeout(r, 200));
  }
  throw new Error('timed out waiting for ' + what + (last ? ': ' + last.message : ''));
}

function parseEnv(file) {
  const env = {};
  for (const line of fs.readFileSync(file, 'utf8').split('\n')) {
    const m = /^([A-Z_0-9]+)='(.*)'$/.exec(line);
    if (m) env[m[1]] = m[2].replace(/'\\''/g, "'");
  }
  return env;
}

test('an escalation from the dialog reaches Escalator over HTTP and opens a case at the simulator', { timeout: 600000 }, async (t) => {
  const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'escalator-sn-e2e-'));
  t.after(() => fs.rmSync(tmp, { recursive: true, force: true }));
  const bin = path.join(tmp, 'escalator');
  const goEnv = Object.assign({}, process.env, { GOTOOLCHAIN: 'go1.27.3' });
  const built = spawnSync('go', ['build', '-o', bin, './cmd/escalator'], { cwd: ROOT, env: goEnv, encoding: 'utf8', timeout: 540000 });
  if (built.error || built.status !== 0) {
    const why = built.error ? built.error.message : (built.stderr || '').split('\n').slice(0, 5).join(' ');
    t.diagnostic('escalator binary not built: ' + why);
    t.skip('the escalator binary cannot be built here (' + why + ')');
    return;
  }

  const [ingest, admin, sim, nats] = [await freePort(), await freePort(), await freePort(), await freePort()];
  const data = path.join(tmp, 'data');
  const env = Object.assign({}, goEnv, {
    ESCALATOR_INGEST_ADDR: '127.0.0.1:' + ingest, ESCALATOR_ADMIN_ADDR: '127.0.0.1:' + admin,
    ESCALATOR_DEV_SIM_ADDR: '127.0.0.1:' + sim, ESCALATOR_DEV_NATS_ADDR: '127.0.0.1:' + nats,
    ESCALATOR_INGEST_TOKENS: TOKEN, ESCALATOR_INGEST_SIGNING_SECRETS: SECRET,
    ESCALATOR_ROLE_ADMIN: 'escalator_administrator', ESCALATOR_ROLE_INSIGHTS: 'escalator_insights_user',
    ESCALATOR_LOG_LEVEL: 'warn', OTEL_TRACES_EXPORTER: 'none',
  });
  const dev = spawn(bin, ['dev', '--data', data], { env, stdio: ['ignore', 'pipe', 'pipe'] });
  let output = '';
  dev.stdout.on('data', (b) => { output += b; });
  dev.stderr.on('data', (b) => { output += b; });
  t.after(async () => {
    if (dev.exitCode === null) {
      dev.kill('SIGTERM');
      await new Promise((r) => dev.once('exit', r));
    }
  });
  const simURL = 'http://127.0.0.1:' + sim;
  await until('escalator dev to be ready', 120000, async () => {
    assert.equal(dev.exitCode, null, 'escalator dev exited: ' + output);
    const r = await fetch('http://127.0.0.1:' + admin + '/readyz');
    return r.status === 200;
  });

  const devEnv = parseEnv(path.join(data, 'dev.env'));
  const link = spawnSync(bin, ['account', 'link', 'admin@contoso.onmicrosoft.com'], { env: Object.assign({}, env, devEnv), encoding: 'utf8', timeout: 60000 });
  assert.equal(link.status, 0, 'account link: ' + link.stdout + link.stderr);

  const sn = newInstance({
    realClock: true, transport,
    properties: {
      'glide.servlet.uri': devEnv.ESCALATOR_SERVICENOW_URL + '/',
      'escalator.ingest_url': 'http://127.0.0.1:' + ingest + '/v1/events',
      'escalator.ingest_token': TOKEN,
    },
  });
  sn.login('beth.anglin');

  await t.test('Test connection', (t2) => {
    const r = sn.runScript('new EscalatorSetup().testConnection()');
    if (/answered 404/.test(r.message)) {
      t2.skip('this Escalator has no /v1/ping yet: ' + r.message);
      return;
    }
    assert.equal(r.ok, true, r.message);
    assert.match(r.message, /verified the instance's signature/);
  });

  const page = sn.source('escalator_escalation_dialog.processing.js');
  sn.runScript(page, {
    incident_sys_id: incident(sn).getUniqueValue(), escalator_title: 'Outlook desktop clients cannot connect (ServiceNow e2e)',
    escalator_description: 'About 40 users on one site; "OWA" unaffected; started 08:40 UTC. ✉️', escalator_severity: 'moderate',
    escalator_contact_method: 'email', escalator_phone: '', escalator_problem_start_utc: '', escalator_consent: 'true',
  });
  assert.deepEqual(sn.messages.error, []);
  sn.runAsync();
  const [row] = outbox(sn);
  assert.equal(row.u_state, 'sent', row.u_result + ' / ' + row.u_last_error + '\n' + output);
  assert.match(row.u_event_seq, /^\d+$/);

  const state = await until('the case at the simulator\n' + output, 90000, async () => {
    const s = await (await fetch(simURL + '/_sim/state')).json();
    return (s.tickets || []).length ? s : null;
  });
  const ticket = state.tickets.find((x) => x.properties && /ServiceNow e2e/.test(x.properties.title || ''));
  assert.ok(ticket, JSON.stringify(state.tickets));

  // The same row pushed again (a retry) is stored once.
  const again = sn.runScript('var gr = new GlideRecord("u_escalator_outbox"); gr.get(id); new EscalatorPush().send(new EscalatorPush().settings.ingestUrl, new EscalatorPush().eventBody(gr));', { id: row.sys_id });
  assert.equal(again.status, 202, again.body);
  assert.equal(JSON.parse(again.body).accepted[0].duplicate, true);
});
