// The reference graphql-transport-ws client (npm graphql-ws) against a live carecoord API:
// subscribe to a client's timeline, record a prescription through HTTP, collect what arrives;
// then open a socket with a bad token, and one with none, and report how each was closed.
// Environment: API_URL (http://host:port), READER_TOKEN (a nurse on the client's care team),
// WRITER_TOKEN (a prescriber on it), BAD_TOKEN, CLIENT_ID, AFTER (a position before the
// prescription), QUIET_MS (how long to wait for a second, duplicate entry).
// Prints one JSON object: {recorded, received, refused: {code, reason},
// anonymous: {code, reason}}.
'use strict';

const { createClient } = require('graphql-ws');
const WebSocket = require('ws');

const env = process.env;
const wsUrl = env.API_URL.replace(/^http/, 'ws') + '/graphql';
const quietMs = Number(env.QUIET_MS || 1000);

const TIMELINE = `subscription($id: UUID!, $after: Seq) {
  timeline(clientId: $id, after: $after) { position type eventId } }`;
const PRESCRIBE = `mutation($input: PrescribeInput!) {
  prescribeMedication(input: $input) { id position } }`;

function client(token) {
  return createClient({
    url: wsUrl,
    webSocketImpl: WebSocket,
    connectionParams: token ? { Authorization: `Bearer ${token}` } : undefined,
    retryAttempts: 0,
    lazy: true,
  });
}

async function record() {
  const response = await fetch(env.API_URL + '/graphql', {
    method: 'POST',
    headers: {
      'content-type': 'application/json',
      accept: 'application/graphql-response+json',
      authorization: `Bearer ${env.WRITER_TOKEN}`,
    },
    body: JSON.stringify({
      query: PRESCRIBE,
      variables: {
        input: {
          clientId: env.CLIENT_ID,
          medication: 'buprenorphine',
          dose: '8',
          unit: 'mg',
          route: 'sublingual',
          start: new Date().toISOString().slice(0, 10),
        },
      },
    }),
  });
  const body = await response.json();
  if (body.errors) throw new Error(`prescribing failed: ${JSON.stringify(body.errors)}`);
  return body.data.prescribeMedication;
}

async function subscribeAndRecord() {
  const reader = client(env.READER_TOKEN);
  const received = [];
  let connected;
  const ready = new Promise((resolve) => (connected = resolve));
  reader.on('connected', () => connected());
  let failed = null;
  const dispose = reader.subscribe(
    { query: TIMELINE, variables: { id: env.CLIENT_ID, after: Number(env.AFTER) } },
    {
      next: (value) => received.push(value),
      error: (error) => (failed = error),
      complete: () => {},
    },
  );
  await ready;
  const recorded = await record();
  const deadline = Date.now() + 10000;
  while (!received.length && !failed && Date.now() < deadline) {
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
  await new Promise((resolve) => setTimeout(resolve, quietMs)); // a duplicate would come now
  dispose();
  await reader.dispose();
  if (failed) throw new Error(`subscription failed: ${JSON.stringify(failed)}`);
  return { recorded, received };
}

async function closedWith(token) {
  const refused = client(token);
  const closed = await new Promise((resolve) => {
    refused.subscribe(
      { query: TIMELINE, variables: { id: env.CLIENT_ID } },
      {
        next: () => {},
        error: (event) => resolve({ code: event.code, reason: event.reason }),
        complete: () => resolve({ code: null, reason: 'completed without a refusal' }),
      },
    );
  });
  await refused.dispose();
  return closed;
}

async function main() {
  const { recorded, received } = await subscribeAndRecord();
  const refused = await closedWith(env.BAD_TOKEN);
  const anonymous = await closedWith(null);
  console.log(JSON.stringify({ recorded, received, refused, anonymous }));
}

main().catch((error) => {
  console.error(error && error.stack ? error.stack : String(error));
  process.exit(1);
});
