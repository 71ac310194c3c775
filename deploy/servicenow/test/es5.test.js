'use strict';
// Every script of the update set runs in ServiceNow's ES5 engine.

const test = require('node:test');
const assert = require('node:assert/strict');
const fs = require('node:fs');
const path = require('node:path');
const R = require('../records');
const { es5Problems } = require('../stubs/es5');

const SRC = path.join(__dirname, '..', 'src');

test('every script in src/ parses as ES5 and uses only ES5 built-ins', () => {
  const files = fs.readdirSync(SRC).filter((f) => f.endsWith('.js'));
  assert.ok(files.length >= 12, files.join());
  const problems = files.flatMap((f) => es5Problems(fs.readFileSync(path.join(SRC, f), 'utf8'), f));
  assert.deepEqual(problems, []);
});

test('every condition, onclick and access-control script is ES5 too', () => {
  const snippets = [].concat(
    R.uiActions.map((u) => ['condition of ' + u.name, u.condition]),
    R.uiActions.filter((u) => u.onclick).map((u) => ['onclick of ' + u.name, u.onclick]),
    R.acls.map((a) => ['ACL ' + a.operation, a.script]));
  assert.deepEqual(snippets.flatMap(([name, src]) => es5Problems(src, name)), []);
});

test('the check refuses what the ES5 engine would', () => {
  for (const [src, want] of [
    ['let x = 1;', /not ES5/], ['const x = 1;', /not ES5/], ['var f = (a) => a;', /not ES5/], ['var s = `t${1}`;', /not ES5/],
    ['class A {}', /not ES5/], ['var a = [1].includes(1);', /\.includes is not in ES5/], ['var o = Object.assign({}, {});', /\.assign/],
    ['var p = new Promise(function () {});', /Promise is not in ES5/], ['for (var x of [1]) {}', /not ES5/], ['var {a} = {a: 1};', /not ES5/],
  ]) {
    const problems = es5Problems(src, 'x.js');
    assert.equal(problems.length, 1, src + ': ' + problems.join());
    assert.match(problems[0], want);
  }
  assert.deepEqual(es5Problems('var o = { includes: 1, find: 2 }; var v = o["find"];', 'x.js'), [], 'property names are fine');
});
