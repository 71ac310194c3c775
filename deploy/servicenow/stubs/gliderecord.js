'use strict';
// GlideRecord and GlideElement as ServiceNow documents them, over an
// in-memory table store. What the documentation says and these follow:
//   - every stored value is a string; getValue() returns null for an empty
//     field (toString() of the element returns '');
//   - gr.field is a GlideElement, gr.field = v sets the value;
//   - journal fields (work_notes, comments) store nothing on the record: a
//     write adds a sys_journal_field row; during the business rules of the
//     update that wrote it the element still holds the new text and
//     changes() is true; a later load holds ''. getJournalEntry(n) formats
//     entries as "<date time> - <full name> (Work notes)\n<text>\n\n";
//   - date/time values are stored and returned by getValue() in UTC,
//     "YYYY-MM-DD HH:MM:SS";
//   - getElements() is a Java list (size/get) in global scope.

const JOURNAL = { work_notes: 'Work notes', comments: 'Additional comments' };
const DISPLAY = { sys_user: 'name', sys_user_group: 'name', incident: 'number' };

function javaList(items) {
  return { size: () => items.length, get: (i) => items[i], toString: () => '[' + items.join(', ') + ']' };
}

function compare(a, op, b) {
  a = a == null ? '' : String(a);
  switch (op) {
    case '=': return a === String(b);
    case '!=': return a !== String(b);
    case 'IN': return String(b).split(',').indexOf(a) >= 0;
    case 'NOT IN': return String(b).split(',').indexOf(a) < 0;
    case '<': return a !== '' && a < String(b);
    case '<=': return a !== '' && a <= String(b);
    case '>': return a > String(b);
    case '>=': return a >= String(b);
    case 'STARTSWITH': return a.indexOf(String(b)) === 0;
    case 'CONTAINS': return a.indexOf(String(b)) >= 0;
    case 'ISEMPTY': return a === '';
    case 'ISNOTEMPTY': return a !== '';
    default: throw new Error('GlideRecord stub: operator ' + op + ' not supported');
  }
}

function makeGlideRecord(sn) {
  function GlideElement(gr, name) {
    this._gr = gr;
    this._name = name;
  }
  GlideElement.prototype.toString = function () {
    const v = this._gr._values[this._name];
    return v == null ? '' : String(v);
  };
  GlideElement.prototype.getName = function () { return this._name; };
  GlideElement.prototype.nil = function () { return this.toString() === ''; };
  GlideElement.prototype.changes = function () {
    if (JOURNAL[this._name]) return (this._gr._values[this._name] || '') !== '';
    const before = this._gr._previous ? this._gr._previous[this._name] : undefined;
    return (before == null ? '' : before) !== (this._gr._values[this._name] == null ? '' : this._gr._values[this._name]);
  };
  GlideElement.prototype.changesTo = function (v) { return this.changes() && this.toString() === String(v); };
  GlideElement.prototype.getRefRecord = function () {
    const table = sn.references[this._gr._table + '.' + this._name];
    const ref = new GlideRecord(table);
    if (!this.nil()) ref.get(this.toString());
    return ref;
  };
  GlideElement.prototype.getDisplayValue = function () {
    const table = sn.references[this._gr._table + '.' + this._name];
    if (!table) return this.toString();
    const ref = this.getRefRecord();
    return ref.isValidRecord() ? ref.getValue(DISPLAY[table] || 'sys_id') || '' : '';
  };
  GlideElement.prototype.getJournalEntry = function (n) {
    const rows = sn.rows('sys_journal_field')
      .filter((r) => r.element_id === this._gr._values.sys_id && r.element === this._name)
      .sort((a, b) => (a.sys_created_on < b.sys_created_on ? 1 : a.sys_created_on > b.sys_created_on ? -1 : b._seq - a._seq));
    const pick = n === -1 ? rows : rows.slice(0, n);
    return pick.map((r) => sn.displayTime(r.sys_created_on) + ' - ' + sn.fullName(r.sys_created_by) +
      ' (' + JOURNAL[this._name] + ')\n' + r.value + '\n\n').join('');
  };

  function GlideRecord(table) {
    this._table = table;
    this._conditions = [];
    this._orders = [];
    this._limit = 0;
    this._result = null;
    this._index = -1;
    this._values = {};
    this._previous = null;
    this._workflow = true;
    this._new = false;
    this._operation = '';
    return new Proxy(this, {
      get(target, prop) {
        if (typeof prop !== 'string' || prop in target) return target[prop];
        return new GlideElement(target, prop);
      },
      set(target, prop, value) {
        if (prop.charAt(0) === '_' || prop in target) target[prop] = value;
        else target.setValue(prop, value);
        return true;
      },
    });
  }
  const P = GlideRecord.prototype;
  P.getTableName = function () { return this._table; };
  P.initialize = function () { this._values = {}; this._new = true; };
  P.newRecord = P.initialize;
  P.isNewRecord = function () { return this._new; };
  P.isValidRecord = function () { return !!this._values.sys_id && !this._new; };
  P.operation = function () { return this._operation; };
  P.setWorkflow = function (on) { this._workflow = !!on; };
  P.addQuery = function (field, op, value) {
    if (arguments.length === 2) { value = op; op = '='; }
    this._conditions.push({ field, op: String(op).toUpperCase(), value: value == null ? '' : String(value) });
    return this;
  };
  P.addNullQuery = function (field) { this._conditions.push({ field, op: 'ISEMPTY', value: '' }); };
  P.addEncodedQuery = function (q) {
    String(q).split('^').forEach((part) => {
      const m = /^([a-z_0-9.]+)(!=|<=|>=|=|<|>|IN|STARTSWITH)(.*)$/.exec(part);
      if (!m) throw new Error('GlideRecord stub: encoded query part ' + part + ' not supported');
      this._conditions.push({ field: m[1], op: m[2], value: m[3] });
    });
  };
  P.orderBy = function (f) { this._orders.push({ f, desc: false }); };
  P.orderByDesc = function (f) { this._orders.push({ f, desc: true }); };
  P.setLimit = function (n) { this._limit = n; };
  P.query = function () {
    let rows = sn.rows(this._table).filter((r) => this._conditions.every((c) => compare(r[c.field], c.op, c.value)));
    rows.sort((a, b) => {
      for (const o of this._orders) {
        const x = a[o.f] || '';
        const y = b[o.f] || '';
        if (x !== y) return (x < y ? -1 : 1) * (o.desc ? -1 : 1);
      }
      return a._seq - b._seq;
    });
    if (this._limit) rows = rows.slice(0, this._limit);
    this._result = rows;
    this._index = -1;
    sn.trace('query ' + this._table);
  };
  P.hasNext = function () { return this._result !== null && this._index + 1 < this._result.length; };
  P.next = function () {
    if (!this.hasNext()) return false;
    this._index++;
    this._load(this._result[this._index]);
    return true;
  };
  P.getRowCount = function () { return this._result ? this._result.length : 0; };
  P._load = function (row) {
    this._values = Object.assign({}, row);
    delete this._values._seq;
    this._previous = Object.assign({}, this._values);
    this._new = false;
  };
  P.get = function (field, value) {
    if (arguments.length === 1) { value = field; field = 'sys_id'; }
    const row = sn.rows(this._table).find((r) => r[field] === String(value));
    if (!row) return false;
    this._load(row);
    return true;
  };
  P.getValue = function (f) {
    const v = this._values[f];
    return v == null || v === '' ? null : String(v);
  };
  P.setValue = function (f, v) { this._values[f] = v == null ? '' : String(v); };
  P.getElement = function (f) { return new GlideElement(this, f); };
  P.getElements = function () {
    const names = Object.keys(Object.assign({}, sn.schema[this._table] || {}, this._values)).filter((n) => n.charAt(0) !== '_');
    const els = names.map((n) => new GlideElement(this, n));
    return sn.scoped ? els : javaList(els);
  };
  P.getUniqueValue = function () { return this.getValue('sys_id'); };
  P.getDisplayValue = function () { return this.getValue(DISPLAY[this._table] || 'sys_id') || ''; };
  P._journal = function () {
    for (const el of Object.keys(JOURNAL)) {
      const text = this._values[el];
      if (text) {
        sn.insertRow('sys_journal_field', {
          name: this._table, element: el, element_id: this._values.sys_id, value: text,
          sys_created_by: sn.user.user_name, sys_created_on: sn.nowValue(),
        });
      }
    }
  };
  P._stored = function () {
    const row = Object.assign({}, this._values);
    for (const el of Object.keys(JOURNAL)) delete row[el];
    return row;
  };
  P.insert = function () {
    if (sn.failInserts[this._table]) return null;
    if (!this._values.sys_id) this._values.sys_id = sn.newSysId();
    this._values.sys_created_on = this._values.sys_created_on || sn.nowValue();
    this._values.sys_created_by = this._values.sys_created_by || sn.user.user_name;
    this._values.sys_updated_on = sn.nowValue();
    this._values.sys_updated_by = sn.user.user_name;
    sn.insertRow(this._table, this._stored());
    this._journal();
    this._new = false;
    this._operation = 'insert';
    sn.trace('insert ' + this._table);
    if (this._workflow) sn.afterWrite(this, 'insert');
    return this._values.sys_id;
  };
  P.update = function () {
    if (this._new) return this.insert();
    this._values.sys_updated_on = sn.nowValue();
    this._values.sys_updated_by = sn.user.user_name;
    // As on an instance, only the fields this GlideRecord changed are written.
    const stored = this._stored();
    const changed = { sys_id: stored.sys_id };
    for (const k of Object.keys(stored)) {
      if (!this._previous || this._previous[k] !== stored[k]) changed[k] = stored[k];
    }
    sn.updateRow(this._table, changed);
    this._journal();
    this._operation = 'update';
    sn.trace('update ' + this._table);
    if (this._workflow) sn.afterWrite(this, 'update');
    for (const el of Object.keys(JOURNAL)) delete this._values[el];
    this._previous = Object.assign({}, this._values);
    return this._values.sys_id;
  };
  P.deleteRecord = function () { sn.deleteRow(this._table, this._values.sys_id); return true; };
  return GlideRecord;
}

module.exports = { makeGlideRecord, javaList, JOURNAL };
