// The GraphQL-over-HTTP conformance audit (npm graphql-http 1.x, serverAudits) against a live
// carecoord API. Every request carries the bearer token given in AUDIT_TOKEN.
// Usage: AUDIT_URL=http://127.0.0.1:8000/graphql AUDIT_TOKEN=... node http_audit.cjs
// Prints one JSON object: the count per status (ok, warn, error, notice) and each audit that
// was not ok, with its id, name, reason and the response's status and content type.
'use strict';

const { serverAudits } = require('graphql-http');

const url = process.env.AUDIT_URL;
const token = process.env.AUDIT_TOKEN;
if (!url || !token) {
  console.error('set AUDIT_URL and AUDIT_TOKEN');
  process.exit(2);
}

function withToken(input, init = {}) {
  const headers = new Headers(init.headers || {});
  headers.set('authorization', `Bearer ${token}`);
  return fetch(input, { ...init, headers });
}

async function main() {
  const results = [];
  for (const { fn } of serverAudits({ url, fetchFn: withToken })) {
    results.push(await fn());
  }
  const counts = { ok: 0, warn: 0, error: 0, notice: 0 };
  const failed = [];
  for (const result of results) {
    counts[result.status] += 1;
    if (result.status !== 'ok') {
      const response = result.response;
      failed.push({
        id: result.id,
        name: result.name,
        status: result.status,
        reason: result.reason,
        httpStatus: response ? response.status : null,
        contentType: response ? response.headers.get('content-type') : null,
      });
    }
  }
  console.log(JSON.stringify({ total: results.length, counts, failed }));
}

main().catch((error) => {
  console.error(error && error.stack ? error.stack : String(error));
  process.exit(1);
});
