// The reference graphql-transport-ws client (npm graphql-ws) refused for one websocket too
// many of its user: it is to try again, and get in once one of the user's sockets closes.
// Environment: API_URL (http://host:port), TOKEN (the user's), OPEN (how many sockets the
// user may hold: all are opened here first), CLIENT_ID (a client the user may read).
// Prints one JSON object: {refused: {code, reason} | null, connected, failed}.
'use strict';

const { createClient } = require('graphql-ws');
const WebSocket = require('ws');

const env = process.env;
const wsUrl = env.API_URL.replace(/^http/, 'ws') + '/graphql';
const init = JSON.stringify({
  type: 'connection_init',
  payload: { Authorization: `Bearer ${env.TOKEN}` },
});

function held() {
  return new Promise((resolve, reject) => {
    const socket = new WebSocket(wsUrl, 'graphql-transport-ws');
    socket.on('open', () => socket.send(init));
    socket.on('message', (data) => {
      const message = JSON.parse(String(data));
      if (message.type === 'connection_ack') resolve(socket);
      else reject(new Error(`not acknowledged: ${String(data)}`));
    });
    socket.on('close', (code, reason) => reject(new Error(`closed ${code} ${reason}`)));
  });
}

async function main() {
  const open = [];
  for (let i = 0; i < Number(env.OPEN); i++) open.push(await held());
  let refused = null;
  const result = await new Promise((resolve) => {
    const client = createClient({
      url: wsUrl,
      webSocketImpl: WebSocket,
      connectionParams: { Authorization: `Bearer ${env.TOKEN}` },
      retryAttempts: 20,
      retryWait: () => new Promise((wake) => setTimeout(wake, 200)),
      on: {
        closed: (event) => {
          if (refused === null) {
            refused = { code: event.code, reason: event.reason };
            open.pop().close(); // a place frees: the client's next try is to get it
          }
        },
        connected: () => resolve({ client, connected: true, failed: null }),
      },
    });
    client.subscribe(
      { query: 'subscription($id: UUID!) { timeline(clientId: $id) { position } }',
        variables: { id: env.CLIENT_ID } },
      {
        next: () => {},
        error: (error) => resolve({ client, connected: false, failed: error.code ?? String(error) }),
        complete: () => {},
      },
    );
  });
  await result.client.dispose();
  for (const socket of open) socket.close();
  console.log(JSON.stringify({ refused, connected: result.connected, failed: result.failed }));
}

main().catch((error) => {
  console.error(error && error.stack ? error.stack : String(error));
  process.exit(1);
});
