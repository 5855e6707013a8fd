// The specification's Connection Manager example, typed. Check it with `npx tsc --noEmit -p .`.
// The same code runs against tether-test-server's /json path in test/manager.test.js.
import { WebSocketConnectionManager, TetherError } from '@tether/node';

async function main(url: string): Promise<void> {
  const manager = new WebSocketConnectionManager({
    url,
    authMethod: 'query-param',
    authToken: 'your-token',
    messageFormat: 'json',
    autoReconnect: true,
  });

  // Connect
  await manager.connect();

  // Subscribe to channels
  const subId = manager.subscribe('chat', (message) => {
    console.log('Chat message:', message);
  });

  // Request/Response pattern
  try {
    const response = await manager.request('getUser', { id: '123' });
    console.log('Response:', response);
  } catch (err) {
    if (err instanceof TetherError && err.code === 'TETHER_E_REMOTE') console.log('Server error:', err.remote);
    else throw err;
  }

  // Publish to channel
  manager.publish('chat', { text: 'Hello!' });

  // Get statistics
  const stats = manager.getStats();
  console.log('Messages received:', stats.messagesReceived);
  console.log('Latency:', stats.latencyMs, 'ms');

  // Unsubscribe
  manager.unsubscribe(subId);

  // Disconnect
  await manager.disconnect();
}

main(process.argv[2] ?? 'ws://127.0.0.1:8080/json').catch((err) => {
  console.error(err);
  process.exitCode = 1;
});
