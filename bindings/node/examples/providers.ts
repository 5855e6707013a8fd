// The connection manager over providers' own protocols, typed. Check it with
// `npx tsc --noEmit -p .`; test/socketio.test.js and test/graphql.test.js run the same calls
// against a real Socket.IO server and a real graphql-ws server.
import { WebSocketConnectionManager, TetherError } from '@tether/node';

// Socket.IO: a channel is an event name, publish emits it, request emits with an ack.
async function socketio(url: string): Promise<void> {
  const manager = new WebSocketConnectionManager({
    url, // e.g. wss://example.com/socket.io/
    provider: 'socketio', // protocol 'socketio'; the token goes in the CONNECT packet
    authToken: process.env.SOCKET_TOKEN,
    namespace: '/',
  });
  manager.subscribe('chat', (message, { event }) => console.log(`${event}:`, message));
  await manager.connect();
  manager.publish('chat', { text: 'Hello!' }); // emit('chat', {text: 'Hello!'})
  const sum = await manager.request<number>('add', [2, 40]); // emit('add', 2, 40, ack)
  console.log('add ->', sum);
  await manager.disconnect();
}

// GraphQL over graphql-transport-ws: a channel is a subscription document, a request a query
// or a mutation; publish does not exist (it throws TETHER_E_NOT_SUPPORTED).
async function graphql(url: string): Promise<void> {
  const manager = new WebSocketConnectionManager({
    url,
    provider: 'graphql',
    authToken: process.env.GRAPHQL_TOKEN, // sent in connection_init
    queryParams: { client: 'tether' },
  });
  manager.client.on('subscribeFailed', ({ error }) => console.error('subscription over:', error.code, error.remote));
  manager.subscribe(
    'subscription Messages($channel: String!) { messages(channel: $channel) { text } }',
    (result) => console.log('message:', result),
    { channel: 'room' },
  );
  await manager.connect();
  try {
    await manager.request('mutation Post($text: String!) { post(channel: "room", text: $text) }', { text: 'Hi' });
  } catch (err) {
    if (err instanceof TetherError && err.code === 'TETHER_E_REMOTE') console.error('GraphQL errors:', err.remote);
    else throw err;
  }
  await manager.disconnect();
}

const [kind, url] = process.argv.slice(2);
(kind === 'graphql' ? graphql : socketio)(url ?? 'ws://127.0.0.1:3000/socket.io/').catch((err) => {
  console.error(err);
  process.exitCode = 1;
});
