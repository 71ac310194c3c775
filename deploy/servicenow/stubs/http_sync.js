'use strict';
// A RESTMessageV2 transport that performs real HTTP, synchronously as
// execute() does: each request runs `node http_sync.js` as a child process,
// which reads {method, endpoint, headers, body, timeoutMs} on stdin and
// prints {status, headers, body} or {error}. A connection failure throws,
// as execute() does on an instance.

const { execFileSync } = require('node:child_process');

function transport(req) {
  const out = execFileSync(process.execPath, [__filename], {
    input: JSON.stringify({ method: req.method, endpoint: req.endpoint, headers: req.headers, body: req.body, timeoutMs: req.timeoutMs || 10000 }),
    encoding: 'utf8', timeout: (req.timeoutMs || 10000) + 5000,
  });
  const answer = JSON.parse(out);
  if (answer.error) throw new Error(answer.error);
  return answer;
}

async function main() {
  let input = '';
  for await (const chunk of process.stdin) input += chunk;
  const req = JSON.parse(input);
  try {
    const res = await fetch(req.endpoint, {
      method: req.method.toUpperCase(), headers: req.headers, body: req.method === 'get' ? undefined : req.body,
      signal: AbortSignal.timeout(req.timeoutMs), redirect: 'manual',
    });
    const headers = {};
    res.headers.forEach((v, k) => { headers[k] = v; });
    process.stdout.write(JSON.stringify({ status: res.status, headers, body: await res.text() }));
  } catch (e) {
    process.stdout.write(JSON.stringify({ error: (e.cause && e.cause.message) || e.message }));
  }
}

if (require.main === module) main();

module.exports = { transport };
