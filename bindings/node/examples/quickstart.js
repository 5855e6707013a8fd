// The specification's Quick Start (JavaScript twin of quickstart.ts).
'use strict';
// Run: node examples/quickstart.js ws://127.0.0.1:PORT/echo
const { Client, WebSocketHandshakeExecutor } = require('@tether/node');

async function main(url) {
  // 1. Configure Connection
  const credentials = {
    url,
    authMethod: 'query-param',
    authToken: process.env.WS_TOKEN,
    tokenParamName: 'token',
    messageFormat: 'json',
    autoReconnect: true,
    pingInterval: 30000,
  };

  // The echo server answers both messages of step 4; step 5 waits for them, since what
  // arrives after disconnect() is called may be dropped (as in a browser).
  let received = 0;
  let bothEchoed;
  const echoed = new Promise((resolve) => { bothEchoed = resolve; });

  // 2. Create Executor
  const executor = new WebSocketHandshakeExecutor();
  executor.setEventHandlers({
    onOpen: () => console.log('Connected!'),
    onClose: (event) => console.log('Closed:', event.code),
    onMessage: (data) => {
      console.log('Received:', data);
      if (++received === 2) bothEchoed();
    },
    onStateChange: (state) => console.log('State:', state),
    onReconnect: (attempt) => console.log('Reconnecting...', attempt),
    onError: (error) => console.error('Error:', error.code, error.message),
  });

  // 3. Connect
  const result = await executor.connect(credentials);
  if (!result.success) throw new Error(`connect failed: ${result.error}`);
  console.log('WebSocket connected!');

  // 4. Send Messages
  executor.send({ type: 'chat', message: 'Hello!' });
  const sent = await executor.executeRequest({
    credentials,
    url: '', // Not used for WebSocket
    method: 'POST',
    headers: {},
    body: { type: 'subscribe', channel: 'updates' },
  });
  console.log('Request sent:', sent.success);

  // Message utilities
  const msg = WebSocketHandshakeExecutor.createMessage('chat', { text: 'Hi!' }, 'msg-123');
  const parsed = WebSocketHandshakeExecutor.parseMessage(JSON.stringify(msg));
  console.log('Envelope:', parsed.type, parsed.id, WebSocketHandshakeExecutor.getCloseReason(1006));

  // 5. Disconnect
  await echoed;
  await executor.disconnect(1000, 'User logged out');

  // The Node-idiomatic layer under the executor: events, Promises and for await.
  const client = new Client({ url, messageFormat: 'text', pingInterval: 0 });
  await client.connect();
  const messages = client[Symbol.asyncIterator](); // buffers from now on
  await client.send('one');
  client.send(Buffer.from([1, 2, 3])).catch((err) => console.error(err.code));
  let n = 0;
  for await (const message of messages) {
    console.log('Iterated:', Buffer.isBuffer(message) ? message : String(message));
    if (++n === 2) break;
  }
  await client.close();
}

main(process.argv[2] ?? 'ws://127.0.0.1:8080/echo').catch((err) => {
  console.error(err);
  process.exitCode = 1;
});
