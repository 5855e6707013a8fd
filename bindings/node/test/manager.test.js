'use strict';
// WebSocketConnectionManager and Client's channel / request methods against the test server's
// /json path (tests/server/README.md, "The /json path").
const { test, before, after } = require('node:test');
const assert = require('node:assert/strict');
const { Client, WebSocketConnectionManager, TetherError, Status } = require('..');
const { startServer, next, freshKey, collector } = require('./helpers');

let server;
before(async () => {
  server = await startServer();
});
after(async () => {
  await server.stop();
});

function manager(t, credentials) {
  const m = new WebSocketConnectionManager(credentials);
  t.after(() => m.client.destroy());
  return m;
}

test("the specification's Connection Manager example, pointed at /json", async (t) => {
  const manager = new WebSocketConnectionManager({
    url: server.url('/json'),
    authMethod: 'query-param',
    authToken: 'your-token',
    messageFormat: 'json',
    autoReconnect: true,
  });
  t.after(() => manager.client.destroy());
  const chat = collector(1);

  // Connect
  await manager.connect();

  // Subscribe to channels
  const subId = manager.subscribe('chat', (message) => {
    chat.push(message);
  });
  assert.ok(Number.isSafeInteger(subId) && subId > 0);

  // Request/Response pattern: the test server knows no 'getUser' method, so it answers with an
  // error, which rejects with TETHER_E_REMOTE carrying the server's error object.
  await assert.rejects(manager.request('getUser', { id: '123' }), (err) => {
    assert.ok(err instanceof TetherError);
    assert.equal(err.code, 'TETHER_E_REMOTE');
    assert.equal(err.remote.code, 404);
    return true;
  });
  const response = await manager.request('echo', { id: '123' });
  assert.deepEqual(response, { id: '123' });

  // Publish to channel
  manager.publish('chat', { text: 'Hello!' });
  assert.deepEqual(await chat.done, [{ text: 'Hello!' }]);

  // Get statistics
  const stats = manager.getStats();
  assert.ok(stats.messagesReceived >= 3, `messagesReceived ${stats.messagesReceived}`);
  assert.ok(stats.messagesSent >= 4, `messagesSent ${stats.messagesSent}`);
  assert.equal(typeof stats.latencyMs, 'number');
  assert.equal(stats.reconnects, 0);
  assert.equal(stats.activeSubscriptions, 1);
  assert.equal(stats.pendingRequests, 0);

  // Unsubscribe
  assert.equal(manager.unsubscribe(subId), true);
  assert.equal(manager.getStats().activeSubscriptions, 0);

  // Disconnect
  await manager.disconnect();
  assert.equal(manager.getState(), 'disconnected');
});

test('subscribe + publish between two managers; unsubscribe stops delivery', async (t) => {
  const a = manager(t, { url: server.url('/json') });
  const b = manager(t, { url: server.url('/json') });
  await Promise.all([a.connect(), b.connect()]);
  const channel = freshKey('room');
  const gotA = collector(2);
  const gotB = collector(2);
  const subA = a.subscribe(channel, (m, info) => {
    assert.equal(info.channel, channel);
    gotA.push(m);
  });
  b.subscribe(channel, (m) => gotB.push(m));
  await Promise.all([next(a.client, 'subscribed'), next(b.client, 'subscribed')]);
  await a.publish(channel, { n: 1 });
  await b.publish(channel, { n: 2 });
  assert.deepEqual(await gotA.done, [{ n: 1 }, { n: 2 }]);
  assert.deepEqual(await gotB.done, [{ n: 1 }, { n: 2 }]);

  a.unsubscribe(subA);
  // Answers come in order per connection: after this echo the server has handled the unsubscribe.
  await a.request('echo');
  const count = await b.request('subscribers', { channel });
  assert.deepEqual(count, { count: 1 });
  const gotB2 = collector(1);
  b.subscribe(channel, (m) => gotB2.push(m));
  b.publish(channel, { n: 3 });
  assert.deepEqual(await gotB2.done, [{ n: 3 }]);
  await new Promise((r) => setTimeout(r, 100));
  assert.equal(gotA.got.length, 2, 'nothing after unsubscribe');
  assert.equal(a.unsubscribe(subA), false);
});

test('a refused subscription emits subscribeFailed with TETHER_E_REMOTE', async (t) => {
  const m = manager(t, { url: server.url('/json') });
  await m.connect();
  const failed = next(m.client, 'subscribeFailed');
  const id = m.subscribe('forbidden-secret', () => assert.fail('no message expected'));
  const [info] = await failed;
  assert.equal(info.subscription, id);
  assert.equal(info.channel, 'forbidden-secret');
  assert.ok(info.error instanceof TetherError);
  assert.equal(info.error.status, Status.REMOTE);
  assert.equal(m.getStats().activeSubscriptions, 0);
  assert.equal(m.unsubscribe(id), false);
});

test('requests: echo, add, fail, never with a timeout; bad arguments throw', async (t) => {
  const m = manager(t, { url: server.url('/json') });
  await m.connect();
  assert.deepEqual(await m.request('echo', { deep: [1, 'two', null] }), { deep: [1, 'two', null] });
  assert.equal(await m.request('echo'), null);
  assert.deepEqual(await m.request('add', { a: 2, b: 40 }), { sum: 42 });
  await assert.rejects(m.request('fail'), (err) => {
    assert.equal(err.code, 'TETHER_E_REMOTE');
    assert.deepEqual(err.remote, { code: 400, message: 'request failed on purpose' });
    return true;
  });
  const started = Date.now();
  await assert.rejects(m.request('never', null, { timeout: 200 }), { code: 'TETHER_E_TIMEOUT' });
  assert.ok(Date.now() - started >= 150);
  assert.equal(m.getStats().pendingRequests, 0);
  assert.throws(() => m.request(''), { code: 'TETHER_E_INVALID_ARGUMENT' });
  assert.throws(() => m.request('echo', 1n), { code: 'TETHER_E_INVALID_ARGUMENT' });
  assert.throws(() => m.request('echo', {}, { timeout: -1 }), { code: 'TETHER_E_INVALID_ARGUMENT' });
  assert.throws(() => m.subscribe('x', 'not a function'), { code: 'TETHER_E_INVALID_ARGUMENT' });
});

test('concurrent requests each get their own answer', async (t) => {
  const m = manager(t, { url: server.url('/json') });
  await m.connect();
  const slow = m.request('slow', { delay_ms: 200, which: 'slow' });
  const many = Array.from({ length: 50 }, (_, i) => m.request('add', { a: i, b: 1000 }));
  const results = await Promise.all(many);
  results.forEach((r, i) => assert.deepEqual(r, { sum: i + 1000 }));
  assert.deepEqual(await slow, { delay_ms: 200, which: 'slow' });
});

test('a pending request rejects with TETHER_E_CLOSED on disconnect', async (t) => {
  const m = manager(t, { url: server.url('/json') });
  await m.connect();
  const pending = m.request('never', null, { timeout: 0 });
  await new Promise((r) => setTimeout(r, 50));
  await m.disconnect();
  await assert.rejects(pending, { code: 'TETHER_E_CLOSED' });
});

test('subscriptions come back after a reconnect', async (t) => {
  const key = freshKey('resub');
  const m = manager(t, { url: server.url(`/json?key=${key}&drop_after_messages=2`), reconnectDelay: 200 });
  const got = collector(1, 8000);
  const subscribed = collector(2, 8000);
  m.client.on('subscribed', (info) => subscribed.push(info));
  const room = m.subscribe('room-' + key, (msg) => got.push(msg)); // message 1
  await m.connect();
  const reconnected = next(m.client, 'reconnect', 5000);
  await assert.rejects(m.request('never', null, { timeout: 0 }), { code: 'TETHER_E_CLOSED' }); // message 2: dropped
  await reconnected;
  assert.deepEqual(await m.request('subscribers', { channel: 'room-' + key }, { timeout: 5000 }), { count: 1 });
  const subs = await subscribed.done;
  for (const s of subs) assert.equal(s.subscription, room);
  m.publish('room-' + key, { after: 'reconnect' });
  assert.deepEqual(await got.done, [{ after: 'reconnect' }]);
  assert.ok(m.getStats().reconnects >= 1);
});

test("a raw-protocol Client refuses the manager's methods", async (t) => {
  const c = new Client({ url: server.url('/json') });
  t.after(() => c.destroy());
  assert.throws(() => c.subscribe('x'), { code: 'TETHER_E_NOT_SUPPORTED' });
  assert.throws(() => c.request('echo'), { code: 'TETHER_E_NOT_SUPPORTED' });
  assert.throws(() => c.publish('x', 1), { code: 'TETHER_E_NOT_SUPPORTED' });
});

test("the manager's protocol: 'json' unless protocol or the provider preset chooses one", (t) => {
  const protocolOf = (credentials) => manager(t, { url: server.url('/json'), ...credentials }).getStats().protocol;
  assert.equal(protocolOf({}), 'json');
  assert.equal(protocolOf({ provider: undefined, protocol: undefined }), 'json'); // undefined = unset
  assert.equal(protocolOf({ provider: 'socketio' }), 'socketio');
  assert.equal(protocolOf({ provider: 'graphql' }), 'graphql-transport-ws');
  assert.equal(protocolOf({ provider: 'apollo' }), 'graphql-ws');
  assert.equal(protocolOf({ provider: 'phoenix' }), 'phoenix');
  assert.equal(protocolOf({ protocol: 'pusher' }), 'pusher');
  assert.equal(protocolOf({ provider: 'echo' }), 'json'); // presets that set no protocol
  assert.equal(protocolOf({ provider: 'ably' }), 'json');
  // A key the application sets itself wins over the preset's.
  assert.equal(protocolOf({ provider: 'socketio', protocol: 'json' }), 'json');
  // raw has no manager: every manager call is refused at once.
  const raw = manager(t, { url: server.url('/json'), protocol: 'raw' });
  assert.equal(raw.getStats().protocol, undefined);
  assert.throws(() => raw.subscribe('x', () => {}), { code: 'TETHER_E_NOT_SUPPORTED' });
  assert.throws(() => raw.request('echo'), { code: 'TETHER_E_NOT_SUPPORTED' });
  // Every protocol and provider value is accepted.
  for (const protocol of ['raw', 'json', 'socketio', 'graphql-transport-ws', 'graphql-ws', 'signalr', 'phoenix',
    'pusher', 'actioncable', 'binance', 'aws-apigateway']) {
    new Client({ url: 'ws://h/', protocol }).destroy();
  }
  for (const provider of ['none', 'socketio', 'pusher', 'ably', 'phoenix', 'actioncable', 'signalr', 'graphql',
    'apollo', 'aws-apigateway', 'binance', 'echo']) {
    new Client({ url: 'ws://h/', provider }).destroy();
  }
});

test('queryParams are added to the URL; the URL\'s own parameters win', async (t) => {
  const c = new Client({
    url: server.url('/headers?keep=url'),
    queryParams: { a: '1', keep: 'params', space: 'two words' },
    messageFormat: 'json',
  });
  t.after(() => c.destroy());
  const greeting = next(c, 'message');
  await c.connect();
  const [{ target }] = await greeting;
  const query = new URLSearchParams(target.slice(target.indexOf('?') + 1));
  assert.equal(query.get('a'), '1');
  assert.equal(query.get('space'), 'two words');
  assert.deepEqual(query.getAll('keep'), ['url']);
});
