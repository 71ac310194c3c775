'use strict';
// A ServiceNow instance in memory, for running the update set's scripts under
// Node: tables, users and roles, system properties, a clock, business rules
// (synchronous "after" rules run inside the write that fires them, "async"
// rules queue until runAsync()), and the global objects the scripts use
// (gs, GlideRecord, GlideDateTime, sn_ws, Class, GlideStringUtil,
// GlideCertificateEncryption). The behaviours follow ServiceNow's
// documentation, never the code under test; see gliderecord.js and rest.js.

const crypto = require('node:crypto');
const fs = require('node:fs');
const path = require('node:path');
const vm = require('node:vm');
const { makeGlideRecord, javaList } = require('./gliderecord');
const { makeRest } = require('./rest');

const SRC = path.join(__dirname, '..', 'src');

function pad(n) { return String(n).padStart(2, '0'); }
function utcValue(ms) {
  const d = new Date(ms);
  return d.getUTCFullYear() + '-' + pad(d.getUTCMonth() + 1) + '-' + pad(d.getUTCDate()) + ' ' +
    pad(d.getUTCHours()) + ':' + pad(d.getUTCMinutes()) + ':' + pad(d.getUTCSeconds());
}
function parseUtc(v) {
  const m = /^(\d{4})-(\d{2})-(\d{2}) (\d{2}):(\d{2}):(\d{2})$/.exec(String(v));
  if (!m) throw new Error('GlideDateTime stub: not a UTC date/time value: ' + v);
  return Date.UTC(+m[1], +m[2] - 1, +m[3], +m[4], +m[5], +m[6]);
}

const DEFAULT_USERS = {
  'beth.anglin': { first_name: 'Beth', last_name: 'Anglin', email: 'beth.anglin@contoso.com', phone: '+1 425 555 0100', roles: ['itil', 'escalator_administrator'] },
  'david.miller': { first_name: 'David', last_name: 'Miller', email: 'david.miller@contoso.com', roles: ['itil', 'escalator_insights_user'] },
  'abel.tuter': { first_name: 'Abel', last_name: 'Tuter', email: 'abel.tuter@contoso.com', roles: ['itil'] },
  'nobody': { first_name: 'No', last_name: 'Roles', email: 'nobody@contoso.com', roles: [] },
  'admin': { first_name: 'System', last_name: 'Administrator', email: 'admin@contoso.com', roles: ['admin'] },
  'escalator.integration': { first_name: 'Escalator', last_name: 'Integration', email: '', roles: ['itil'] },
};

class Instance {
  constructor(opts = {}) {
    this.tables = {};
    this.seq = 0;
    this.clockMs = opts.now !== undefined ? opts.now : Date.UTC(2026, 10, 25, 9, 14, 3);
    this.realClock = !!opts.realClock;
    this.scoped = !!opts.scoped;
    this.log = [];
    this.messages = { info: [], error: [] };
    this.properties = Object.assign({ 'glide.servlet.uri': 'https://contoso.service-now.com/' }, opts.properties || {});
    this.references = { 'incident.caller_id': 'sys_user', 'incident.assignment_group': 'sys_user_group', 'u_escalator_outbox.u_incident': 'incident' };
    this.schema = {};
    this.rules = [];
    this.asyncQueue = [];
    this.failInserts = {};
    this.requests = [];
    this.transport = opts.transport || (() => { throw new Error('no transport set'); });
    for (const [name, u] of Object.entries(Object.assign({}, DEFAULT_USERS, opts.users || {}))) {
      this.insertRow('sys_user', Object.assign({ sys_id: this.newSysId(), user_name: name, name: u.first_name + ' ' + u.last_name }, u, { roles: undefined }));
      this.userRoles = this.userRoles || {};
      this.userRoles[name] = u.roles;
    }
    this.login(opts.user || 'beth.anglin');
    this.context = this.makeContext();
  }

  // --- store
  rows(table) { return this.tables[table] || (this.tables[table] = []); }
  insertRow(table, row) {
    const r = Object.assign({}, row, { _seq: ++this.seq });
    if (!r.sys_id) r.sys_id = this.newSysId();
    this.rows(table).push(r);
    return r.sys_id;
  }
  updateRow(table, row) {
    const rows = this.rows(table);
    const i = rows.findIndex((r) => r.sys_id === row.sys_id);
    if (i < 0) throw new Error('update of a missing ' + table + ' row ' + row.sys_id);
    rows[i] = Object.assign({}, rows[i], row, { _seq: rows[i]._seq });
  }
  deleteRow(table, id) { this.tables[table] = this.rows(table).filter((r) => r.sys_id !== id); }
  row(table, id) { return this.rows(table).find((r) => r.sys_id === id); }
  newSysId() { return crypto.randomBytes(16).toString('hex'); }
  trace(what) { this.log.push(what); }

  // --- clock
  nowMs() { return this.realClock ? Date.now() : this.clockMs; }
  nowValue() { return utcValue(this.nowMs()); }
  advance(seconds) { this.clockMs += seconds * 1000; }
  // Display values are in the user's time zone (here US/Pacific, UTC-8 in November).
  displayTime(utc) { return utcValue(parseUtc(utc) - 8 * 3600 * 1000); }

  // --- users
  login(userName, opts = {}) {
    const row = this.rows('sys_user').find((u) => u.user_name === userName);
    if (!row) throw new Error('no user ' + userName);
    this.user = row;
    this.rolesAsArray = opts.rolesAsArray !== undefined ? opts.rolesAsArray : this.scoped;
  }
  roles(userName) { return (this.userRoles && this.userRoles[userName]) || []; }
  fullName(userName) { const u = this.rows('sys_user').find((r) => r.user_name === userName); return u ? u.name : userName; }

  // --- business rules
  addRule(rule) { this.rules.push(rule); }
  afterWrite(gr, operation) {
    for (const rule of this.rules) {
      if (rule.table !== gr._table || !rule[operation]) continue;
      if (rule.when === 'after') {
        gr._operation = operation;
        this.runScript(rule.script, { current: gr, previous: null });
      } else if (rule.when === 'async') {
        this.asyncQueue.push({ rule, table: gr._table, id: gr._values.sys_id, user: this.user.user_name, operation });
      }
    }
  }
  // runAsync runs the queued async rules, each with a fresh current record
  // (its changes() are false, its journal fields empty), as ServiceNow does.
  runAsync() {
    let n = 0;
    while (this.asyncQueue.length) {
      const job = this.asyncQueue.shift();
      const before = this.user.user_name;
      this.login(job.user, { rolesAsArray: this.rolesAsArray });
      const current = new this.context.GlideRecord(job.table);
      if (current.get(job.id)) {
        current._operation = job.operation;
        this.runScript(job.rule.script, { current, previous: null });
      }
      this.login(before, { rolesAsArray: this.rolesAsArray });
      n++;
    }
    return n;
  }

  // saveForm is an agent saving the form of a record: the values are set,
  // the record is updated (journal entries written), after rules run.
  saveForm(table, id, values, userName) {
    if (userName) this.login(userName);
    const gr = new this.context.GlideRecord(table);
    if (!gr.get(id)) throw new Error('no ' + table + ' ' + id);
    for (const [k, v] of Object.entries(values)) gr.setValue(k, v);
    gr.update();
    return gr;
  }

  // --- scripts
  source(file) { return fs.readFileSync(path.join(SRC, file), 'utf8'); }
  runScript(src, globals = {}) {
    Object.assign(this.context, globals);
    return vm.runInContext(src, this.context, { filename: 'servicenow-script.js' });
  }
  load(file) { return this.runScript(this.source(file)); }

  makeContext() {
    const sn = this;
    const GlideRecord = makeGlideRecord(sn);
    class GlideDateTime {
      constructor(v) {
        this.ms = v === undefined ? sn.nowMs() : (v instanceof GlideDateTime ? v.ms : parseUtc(v));
      }
      getValue() { return utcValue(this.ms); }
      setValue(v) { this.ms = parseUtc(v); }
      getNumericValue() { return this.ms; }
      addSeconds(s) { this.ms += Number(s) * 1000; }
      getDisplayValue() { return sn.displayTime(this.getValue()); }
      compareTo(o) { return this.ms < o.ms ? -1 : this.ms > o.ms ? 1 : 0; }
      before(o) { return this.ms < o.ms; }
      after(o) { return this.ms > o.ms; }
      toString() { return this.getValue(); }
    }
    const user = () => ({
      getName: () => sn.user.user_name,
      getID: () => sn.user.sys_id,
      getEmail: () => sn.user.email || '',
      getFirstName: () => sn.user.first_name || '',
      getLastName: () => sn.user.last_name || '',
      getFullName: () => sn.user.name,
      getRoles: () => (sn.rolesAsArray ? sn.roles(sn.user.user_name).slice() : javaList(sn.roles(sn.user.user_name).slice())),
      hasRole: (r) => gs.hasRole(r),
    });
    const gs = {
      getProperty(name, alt) {
        if (Object.prototype.hasOwnProperty.call(sn.properties, name) && sn.properties[name] !== undefined) return sn.properties[name];
        return alt === undefined ? null : alt;
      },
      getUser: user,
      getUserName: () => sn.user.user_name,
      getUserID: () => sn.user.sys_id,
      getUserDisplayName: () => sn.user.name,
      // Documented: hasRole is always true for a user with the admin role.
      hasRole: (r) => { const roles = sn.roles(sn.user.user_name); return roles.indexOf('admin') >= 0 || roles.indexOf(r) >= 0; },
      generateGUID: () => sn.newSysId(),
      nowDateTime: () => sn.displayTime(sn.nowValue()),
      info: (m) => sn.log.push('info: ' + m),
      warn: (m) => sn.log.push('warn: ' + m),
      error: (m) => sn.log.push('error: ' + m),
      debug: (m) => sn.log.push('debug: ' + m),
      addInfoMessage: (m) => sn.messages.info.push(String(m)),
      addErrorMessage: (m) => sn.messages.error.push(String(m)),
      base64Encode: (s) => Buffer.from(String(s), 'utf8').toString('base64'),
    };
    const Class = { create: () => function () { this.initialize.apply(this, arguments); } };
    const GlideStringUtil = { base64Encode: (s) => Buffer.from(String(s), 'utf8').toString('base64') };
    class GlideCertificateEncryption {
      // Documented: key must be base64 encoded; returns the MAC in base64.
      generateMac(key, algorithm, data) {
        const alg = { HmacSHA256: 'sha256', HmacSHA1: 'sha1', HmacMD5: 'md5' }[algorithm];
        if (!alg) throw new Error('unknown MAC algorithm ' + algorithm);
        return crypto.createHmac(alg, Buffer.from(String(key), 'base64')).update(String(data), 'utf8').digest('base64');
      }
    }
    const action = { redirect: null, setRedirectURL: (u) => { action.redirect = typeof u === 'string' ? u : 'record:' + u.getUniqueValue(); } };
    const response = { redirect: null, sendRedirect: (u) => { response.redirect = u; } };
    const ctx = { gs, GlideRecord, GlideDateTime, Class, GlideStringUtil, GlideCertificateEncryption, sn_ws: makeRest(sn), action, response };
    return vm.createContext(ctx);
  }
}

module.exports = { Instance, utcValue, parseUtc };
