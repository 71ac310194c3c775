'use strict';
// es5Problems: what ServiceNow's ES5 engine would refuse in a script, or
// not have at run time. Syntax is checked by acorn with ecmaVersion 5 (let,
// const, arrows, template literals, classes, destructuring, spread, for-of
// are syntax errors there); built-ins that ES5 lacks are found in the tree.

const acorn = require('acorn');

const MISSING_METHODS = new Set(['includes', 'startsWith', 'endsWith', 'padStart', 'padEnd', 'repeat', 'find', 'findIndex',
  'fill', 'flat', 'flatMap', 'entries', 'values', 'assign', 'from', 'of', 'trimStart', 'trimEnd', 'codePointAt', 'fromCodePoint']);
const MISSING_GLOBALS = new Set(['Promise', 'Map', 'Set', 'WeakMap', 'WeakSet', 'Symbol', 'Proxy', 'Reflect', 'fetch']);

function es5Problems(source, name) {
  let ast;
  try {
    ast = acorn.parse(source, { ecmaVersion: 5, sourceType: 'script', locations: true });
  } catch (e) {
    return [name + ': not ES5: ' + e.message];
  }
  const problems = [];
  (function walk(node) {
    if (!node || typeof node.type !== 'string') return;
    if (node.type === 'MemberExpression' && !node.computed && MISSING_METHODS.has(node.property.name)) {
      problems.push(name + ':' + node.loc.start.line + ': .' + node.property.name + ' is not in ES5');
    }
    if (node.type === 'Identifier' && MISSING_GLOBALS.has(node.name)) {
      problems.push(name + ':' + node.loc.start.line + ': ' + node.name + ' is not in ES5');
    }
    for (const key of Object.keys(node)) {
      const v = node[key];
      if (key === 'loc') continue;
      if (Array.isArray(v)) v.forEach(walk);
      else if (v && typeof v.type === 'string') {
        if (node.type === 'MemberExpression' && key === 'property' && !node.computed) continue;
        if (node.type === 'Property' && key === 'key') continue;
        walk(v);
      }
    }
  })(ast);
  return problems;
}

module.exports = { es5Problems };
