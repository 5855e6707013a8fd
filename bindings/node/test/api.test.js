'use strict';
// The specification's WebSocketHandshakeExecutor, and bad input throwing clear errors at once.
const { test, before, after } = require('node:test');
const assert = require('node:assert/strict');
const { Client, WebSocketHandshakeExecutor, TetherError, Status, STATES, optionsSchema, version } = require('..');
const { startServer } = require('./helpers');

let server;
before(async () => {
  server = await startServer();
});
after(async () => {
  await server.stop();
});

/** assert.throws for a TetherError with this status name whose message matches `text`. */
function throwsTether(fn, code, text) {
  assert.throws(fn, (err) => {
    assert.ok(err instanceof TetherError, `expected a TetherError, got ${err}`);
    assert.ok(err instanceof Error);
    assert.equal(err.name, 'TetherError');
    assert.equal(err.code, code, err.message);
    assert.equal(err.status, Status[code.replace(/^TETHER_(E_)?/, '')]);
    if (text) assert.match(err.message, text);
    return true;
  });
}

test('the spec Quick Start runs as written (URL pointed at the test server)', async () => {
  const credentials = {
    url: server.url('/auth/query?expect=tok'),
    authMethod: 'query-param',
    authToken: 'tok',
    tokenParamName: 'token',
    messageFormat: 'json',
    autoReconnect: true,
    pingInterval: 30000,
  };
  const executor = new WebSocketHandshakeExecutor();
  const seen = { open: 0, states: [], messages: [], closes: [] };
  let gotTwo;
  const two = new Promise((resolve) => { gotTwo = resolve; });
  executor.setEventHandlers({
    onOpen: () => seen.open++,
    onClose: (event) => seen.closes.push(event),
    onMessage: (data) => {
      seen.messages.push(data);
      if (seen.messages.length === 2) gotTwo();
    },
    onStateChange: (state) => seen.states.push(state),
    onReconnect: () => assert.fail('no reconnect expected'),
    onError: (err) => assert.fail(`unexpected error ${err.message}`),
  });
  const result = await executor.connect(credentials);
  assert.deepEqual(result, { success: true });
  assert.equal(executor.getState(), 'authenticated');
  assert.equal(executor.isConnected(), true);

  executor.send({ type: 'chat', message: 'Hello!' });
  const sent = await executor.executeRequest({
    credentials,
    url: '',
    method: 'POST',
    headers: {},
    body: { type: 'subscribe', channel: 'updates' },
  });
  assert.deepEqual(sent, { success: true });
  await two;
  assert.deepEqual(seen.messages, [
    { type: 'chat', message: 'Hello!' },
    { type: 'subscribe', channel: 'updates' },
  ]);

  await executor.disconnect(1000, 'User logged out');
  assert.equal(seen.open, 1);
  assert.deepEqual(seen.closes, [{ code: 1000, reason: 'User logged out', wasClean: true }]);
  assert.deepEqual(seen.states, ['connecting', 'connected', 'authenticated', 'disconnected']);
  assert.equal(executor.getState(), 'disconnected');
});

test('executor: a refused connection is { success: false, error }', async () => {
  const executor = new WebSocketHandshakeExecutor();
  const errors = [];
  executor.setEventHandlers({ onError: (e) => errors.push(e.code) });
  const result = await executor.connect({ url: server.url('/reject?status=403'), authMethod: 'none', messageFormat: 'json' });
  assert.equal(result.success, false);
  assert.match(result.error, /403/);
  assert.ok(errors.includes('TETHER_E_AUTH'), errors.join());
  executor.client.destroy();
});

test('executor: executeRequest connects with the request credentials when needed', async () => {
  const executor = new WebSocketHandshakeExecutor();
  const result = await executor.executeRequest({
    credentials: { url: server.url('/echo'), authMethod: 'none', messageFormat: 'text', pingInterval: 0 },
    url: '',
    method: 'POST',
    headers: {},
    body: 'ping',
  });
  assert.deepEqual(result, { success: true });
  await executor.disconnect();
});

test('message utilities: createMessage, parseMessage, getCloseReason', () => {
  const msg = WebSocketHandshakeExecutor.createMessage('chat', { text: 'Hi!' }, 'msg-123');
  assert.equal(msg.type, 'chat');
  assert.deepEqual(msg.payload, { text: 'Hi!' });
  assert.equal(msg.id, 'msg-123');
  assert.ok(Math.abs(msg.timestamp - Date.now()) < 60000);
  const noId = WebSocketHandshakeExecutor.createMessage('ping');
  assert.equal(noId.payload, null);
  assert.ok(!('id' in noId));

  const P = WebSocketHandshakeExecutor.parseMessage;
  assert.deepEqual(P('{"type":"t","payload":[1],"id":"7","timestamp":5}'), { type: 't', payload: [1], id: '7', timestamp: 5 });
  assert.deepEqual(P('{"type":"t","x":1}'), { type: 't', payload: { type: 't', x: 1 }, id: null, timestamp: null });
  assert.deepEqual(P('plain text'), { type: null, payload: 'plain text', id: null, timestamp: null });
  assert.deepEqual(P(Buffer.from('42')), { type: null, payload: 42, id: null, timestamp: null });
  assert.deepEqual(P({ type: 'already', payload: 'parsed' }), { type: 'already', payload: 'parsed', id: null, timestamp: null });

  const R = WebSocketHandshakeExecutor.getCloseReason;
  assert.equal(R(1000), 'Normal closure');
  assert.equal(R(1006), 'Abnormal closure (no close frame)');
  assert.equal(R(1008), 'Policy violation');
  assert.equal(R(4001), 'Application-defined');
  assert.equal(R(1), 'Unknown close code');
});

test('bad options throw at once, naming the field', () => {
  throwsTether(() => new Client(), 'TETHER_E_INVALID_ARGUMENT', /options must be an object/);
  throwsTether(() => new Client('ws://x'), 'TETHER_E_INVALID_ARGUMENT', /options must be an object/);
  throwsTether(() => new Client({}), 'TETHER_E_BAD_OPTION_VALUE', /"url" is required/);
  throwsTether(() => new Client({ url: 'http://example.com' }), 'TETHER_E_BAD_URL', /ws/);
  throwsTether(() => new Client({ url: 'ws://h/', pingIntervall: 5 }), 'TETHER_E_UNKNOWN_OPTION', /"pingIntervall"/);
  throwsTether(() => new Client({ url: 'ws://h/', pingInterval: '30000' }), 'TETHER_E_BAD_OPTION_VALUE', /"pingInterval" must be an integer/);
  throwsTether(() => new Client({ url: 'ws://h/', pingInterval: 1.5 }), 'TETHER_E_BAD_OPTION_VALUE', /pingInterval/);
  throwsTether(() => new Client({ url: 'ws://h/', pingInterval: -1 }), 'TETHER_E_BAD_OPTION_VALUE', /pingInterval/);
  throwsTether(() => new Client({ url: 'ws://h/', autoReconnect: 'yes' }), 'TETHER_E_BAD_OPTION_VALUE', /"autoReconnect" must be true or false/);
  throwsTether(() => new Client({ url: 'ws://h/', authMethod: 'oauth' }), 'TETHER_E_BAD_OPTION_VALUE', /authMethod/);
  throwsTether(() => new Client({ url: 'ws://h/', messageFormat: 'xml' }), 'TETHER_E_BAD_OPTION_VALUE', /messageFormat/);
  throwsTether(() => new Client({ url: 'ws://h/', headers: { 'X-N': 1 } }), 'TETHER_E_BAD_OPTION_VALUE', /"X-N"/);
  throwsTether(() => new Client({ url: 'ws://h/', subprotocols: 5 }), 'TETHER_E_BAD_OPTION_VALUE', /subprotocols/);
  throwsTether(() => new Client({ url: 'ws://h/', queryParams: { n: 1 } }), 'TETHER_E_BAD_OPTION_VALUE', /"queryParams".*"n"/);
  throwsTether(() => new Client({ url: 'ws://h/', queryParams: ['a'] }), 'TETHER_E_BAD_OPTION_VALUE', /queryParams/);
  throwsTether(() => new Client({ url: 'ws://h/', provider: 'firebase' }), 'TETHER_E_BAD_OPTION_VALUE', /provider/);
  throwsTether(() => new Client({ url: 'ws://h/', protocol: 'stomp' }), 'TETHER_E_BAD_OPTION_VALUE', /protocol/);
  throwsTether(() => new Client({ url: 'ws://h/', namespace: 7 }), 'TETHER_E_BAD_OPTION_VALUE', /"namespace" must be a string/);
  // The token never appears in error text.
  assert.throws(() => new Client({ url: 'ws://h/', authToken: 'hunter2', bogus: 1 }), (err) => !err.message.includes('hunter2'));
  // Every field of the spec's configuration reference is accepted, with its documented default.
  const schema = Object.fromEntries(optionsSchema().map((f) => [f.name, f.default]));
  assert.deepEqual(
    {
      tokenParamName: schema.tokenParamName,
      authMessageType: schema.authMessageType,
      pingInterval: schema.pingInterval,
      pongTimeout: schema.pongTimeout,
      autoReconnect: schema.autoReconnect,
      maxReconnectAttempts: schema.maxReconnectAttempts,
      reconnectDelay: schema.reconnectDelay,
    },
    { tokenParamName: 'token', authMessageType: 'authenticate', pingInterval: 30000, pongTimeout: 5000, autoReconnect: true, maxReconnectAttempts: 10, reconnectDelay: 1000 },
  );
  const c = new Client({
    url: 'wss://api.example.com/ws',
    authMethod: 'first-message',
    messageFormat: 'json',
    authToken: 'your-token',
    tokenParamName: 'token',
    authMessageType: 'authenticate',
    authMessageTemplate: '{"type": "{{type}}", "token": "{{token}}"}',
    subprotocols: 'graphql-transport-ws',
    pingInterval: 30000,
    pongTimeout: 5000,
    autoReconnect: true,
    maxReconnectAttempts: 10,
    reconnectDelay: 1000,
  });
  assert.equal(c.state, 'disconnected');
  c.destroy();
});

test('bad calls throw at once; refused sends throw, not reject', () => {
  const c = new Client({ url: server.url('/echo'), messageFormat: 'json', maxQueuedMessages: 2 });
  throwsTether(() => c.send('{not json'), 'TETHER_E_INVALID_JSON', /JSON/);
  throwsTether(() => c.send(undefined), 'TETHER_E_INVALID_ARGUMENT', /send\(\) takes/);
  throwsTether(() => c.send(() => 1), 'TETHER_E_INVALID_ARGUMENT', /send\(\) takes/);
  throwsTether(() => c.send({ big: 1n }), 'TETHER_E_INVALID_ARGUMENT', /JSON/);
  c.send({ n: 1 });
  c.send({ n: 2 });
  throwsTether(() => c.send({ n: 3 }), 'TETHER_E_QUEUE_FULL');
  throwsTether(() => c.close(999), 'TETHER_E_INVALID_ARGUMENT');
  throwsTether(() => c.close(1000.5), 'TETHER_E_INVALID_ARGUMENT', /integer/);
  throwsTether(() => c.close(1000, 42), 'TETHER_E_INVALID_ARGUMENT', /reason/);
  throwsTether(() => c.close(1000, 'x'.repeat(124)), 'TETHER_E_INVALID_ARGUMENT');
  throwsTether(() => c.setToken(42), 'TETHER_E_INVALID_ARGUMENT');
  c.destroy();
  throwsTether(() => c.send('x'), 'TETHER_E_CLOSED', /destroyed/);
  throwsTether(() => c.connect(), 'TETHER_E_CLOSED', /destroyed/);

  const offline = new Client({ url: server.url('/echo'), queueWhileOffline: false });
  throwsTether(() => offline.send({}), 'TETHER_E_NOT_CONNECTED');
  offline.destroy();

  const executor = new WebSocketHandshakeExecutor();
  throwsTether(() => executor.setEventHandlers({ onMesage: () => {} }), 'TETHER_E_INVALID_ARGUMENT', /"onMesage"/);
  throwsTether(() => executor.setEventHandlers({ onOpen: 'no' }), 'TETHER_E_INVALID_ARGUMENT', /function/);
  throwsTether(() => executor.connect({ url: 'ws://h/', bogus: true }), 'TETHER_E_UNKNOWN_OPTION', /"bogus"/);
  throwsTether(() => executor.send({}), 'TETHER_E_NOT_CONNECTED');
  throwsTether(() => executor.executeRequest({ body: 'x' }), 'TETHER_E_INVALID_ARGUMENT', /credentials/);
  throwsTether(() => WebSocketHandshakeExecutor.createMessage(1), 'TETHER_E_INVALID_ARGUMENT', /type/);
  throwsTether(() => WebSocketHandshakeExecutor.getCloseReason('1000'), 'TETHER_E_INVALID_ARGUMENT');
});

test('exports: version, states, statuses', () => {
  assert.match(version, /^\d+\.\d+\.\d+$/);
  assert.deepEqual([...STATES], ['disconnected', 'connecting', 'connected', 'authenticating', 'authenticated', 'reconnecting', 'error']);
  assert.equal(Status.OK, 0);
  assert.equal(Status.QUEUE_FULL, -7);
  assert.equal(Status.CANCELLED, -26);
  const e = new TetherError(Status.TIMEOUT);
  assert.equal(e.code, 'TETHER_E_TIMEOUT');
  assert.equal(e.message, 'timed out');
});
