'use strict';
// A strict little XML parser for the tests: it refuses what is not
// well-formed (unbalanced or crossed tags, bad attributes, unknown entities,
// a bare & or <, more than one root) and returns a tree of
// {name, attrs, children, text}. Node has no XML parser of its own.

const ENTITIES = { amp: '&', lt: '<', gt: '>', quot: '"', apos: "'" };

function unescape(s, where) {
  return s.replace(/&([^;\s&<]*);|&/g, (m, name) => {
    if (name === undefined) throw new Error('bare & in ' + where);
    if (ENTITIES[name] !== undefined) return ENTITIES[name];
    const num = /^#(\d+)$/.exec(name) || /^#x([0-9a-fA-F]+)$/.exec(name);
    if (num) return String.fromCodePoint(parseInt(num[1], name[1] === 'x' ? 16 : 10));
    throw new Error('unknown entity &' + name + '; in ' + where);
  });
}

function parse(xml) {
  let i = 0;
  const root = { name: '#document', attrs: {}, children: [], text: '' };
  const stack = [root];
  const top = () => stack[stack.length - 1];
  const fail = (msg) => { throw new Error(msg + ' at offset ' + i + ': ' + JSON.stringify(xml.slice(i, i + 60))); };
  while (i < xml.length) {
    if (xml.startsWith('<?', i)) {
      const end = xml.indexOf('?>', i);
      if (end < 0) fail('unterminated processing instruction');
      i = end + 2;
    } else if (xml.startsWith('<!--', i)) {
      const end = xml.indexOf('-->', i);
      if (end < 0) fail('unterminated comment');
      i = end + 3;
    } else if (xml.startsWith('<![CDATA[', i)) {
      const end = xml.indexOf(']]>', i);
      if (end < 0) fail('unterminated CDATA');
      if (stack.length === 1) fail('CDATA outside the root');
      top().text += xml.slice(i + 9, end);
      i = end + 3;
    } else if (xml.startsWith('</', i)) {
      const m = /^<\/([A-Za-z_][\w.:-]*)\s*>/.exec(xml.slice(i));
      if (!m) fail('bad end tag');
      if (stack.length === 1 || top().name !== m[1]) fail('end tag </' + m[1] + '> does not close <' + top().name + '>');
      stack.pop();
      i += m[0].length;
    } else if (xml[i] === '<') {
      const m = /^<([A-Za-z_][\w.:-]*)((?:\s+[A-Za-z_][\w.:-]*\s*=\s*(?:"[^"<]*"|'[^'<]*'))*)\s*(\/?)>/.exec(xml.slice(i));
      if (!m) fail('bad start tag');
      const attrs = {};
      const re = /([A-Za-z_][\w.:-]*)\s*=\s*(?:"([^"<]*)"|'([^'<]*)')/g;
      let a;
      while ((a = re.exec(m[2]))) {
        if (attrs[a[1]] !== undefined) fail('attribute ' + a[1] + ' twice');
        attrs[a[1]] = unescape(a[2] !== undefined ? a[2] : a[3], 'attribute ' + a[1]);
      }
      const node = { name: m[1], attrs, children: [], text: '' };
      if (stack.length === 1 && root.children.length) fail('a second root element');
      top().children.push(node);
      if (!m[3]) stack.push(node);
      i += m[0].length;
    } else {
      const end = xml.indexOf('<', i) < 0 ? xml.length : xml.indexOf('<', i);
      const raw = xml.slice(i, end);
      if (stack.length === 1) {
        if (raw.trim()) fail('text outside the root');
      } else {
        top().text += unescape(raw, '<' + top().name + '>');
      }
      i = end;
    }
  }
  if (stack.length !== 1) throw new Error('unclosed <' + top().name + '>');
  if (root.children.length !== 1) throw new Error('no root element');
  return root.children[0];
}

// child finds the first child element named name.
function child(node, name) { return node.children.find((c) => c.name === name); }
function children(node, name) { return node.children.filter((c) => c.name === name); }

module.exports = { parse, child, children };
