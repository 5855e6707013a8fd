'use strict';
// Client against tether-test-server on loopback: echo, auth, reconnect, keep-alive, close codes,
// a 10,000-message burst, async iteration.
const { test, before, after } = require('node:test');
const assert = require('node:assert/strict');
const { once } = require('node:events');
const { Client, TetherError } = require('..');
const { startServer, next, freshKey } = require('./helpers');

let server;
before(async () => {
  server = await startServer();
});
after(async () => {
  await server.stop();
});

/** A client that is destroyed when the test ends, whatever happens. */
function client(t, options) {
  const c = new Client(options);
  t.after(() => c.destroy());
  return c;
}

function collect(c, n, ms = 5000, filter = () => true) {
  const got = [];
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`got ${got.length} of ${n} messages`)), ms);
    c.on('message', function on(data, info) {
      if (!filter(data, info)) return;
      got.push({ data, info });
      if (got.length === n) {
        clearTimeout(timer);
        c.off('message', on);
        resolve(got);
      }
    });
  });
}

test('echo of text, binary and json; states in order; clean close', async (t) => {
  const c = client(t, { url: server.url('/echo'), messageFormat: 'json', pingInterval: 0 });
  const states = [];
  c.on('state', (s, prev) => states.push(`${prev}->${s}`));
  const opened = next(c, 'open');
  await c.connect();
  assert.equal(c.state, 'authenticated');
  assert.deepEqual((await opened)[0], { protocol: '' });

  const received = collect(c, 4);
  await c.send({ type: 'chat', message: 'Hello!' }); // resolves once written
  c.send('[1,2,3]');
  c.send(Buffer.from([0x00, 0xff, 0x01]));
  c.send(new Uint8Array([7, 8]).buffer);
  const msgs = await received;
  assert.deepEqual(msgs[0].data, { type: 'chat', message: 'Hello!' });
  assert.deepEqual(msgs[0].info, { binary: false });
  assert.deepEqual(msgs[1].data, [1, 2, 3]);
  assert.ok(Buffer.isBuffer(msgs[2].data));
  assert.deepEqual([...msgs[2].data], [0x00, 0xff, 0x01]);
  assert.equal(msgs[2].info.binary, true);
  assert.deepEqual([...msgs[3].data], [7, 8]);

  const stats = c.stats();
  assert.equal(stats.state, 'authenticated');
  assert.ok(stats.messagesReceived >= 4);

  const closed = next(c, 'close');
  await c.close(1000, 'User logged out');
  assert.deepEqual((await closed)[0], { code: 1000, reason: 'User logged out', wasClean: true });
  assert.equal(c.state, 'disconnected');
  assert.deepEqual(states, [
    'disconnected->connecting',
    'connecting->connected',
    'connected->authenticated',
    'authenticated->disconnected',
  ]);
});

test('binary messages outlive their client; long and short text both go out whole', async (t) => {
  const c = new Client({ url: server.url('/echo'), messageFormat: 'text', pingInterval: 0 });
  await c.connect();
  // Text around the size of the addon's stack buffer (1 KiB), in bytes of 1 to 3 per character.
  const texts = [1019, 1020, 1021, 1024, 5000].map((n, i) => ['a', 'é', '€'][i % 3].repeat(n));
  const sizes = [1, 100, 300000];
  const received = collect(c, texts.length + sizes.length);
  for (const text of texts) c.send(text);
  for (const n of sizes) c.send(Buffer.alloc(n, n % 251));
  const msgs = await received;
  assert.deepEqual(msgs.slice(0, texts.length).map((m) => m.data), texts);
  await c.close();
  c.destroy();
  // The Buffers must not depend on the client or its events: neither a destroy nor a collection
  // may touch them.
  const v8 = require('node:v8');
  v8.setFlagsFromString('--expose-gc');
  const gc = require('node:vm').runInNewContext('gc');
  gc();
  await new Promise((resolve) => setImmediate(resolve));
  gc();
  const binary = msgs.slice(texts.length);
  assert.deepEqual(binary.map((m) => m.data.length), sizes);
  for (const [i, n] of sizes.entries()) assert.ok(binary[i].data.every((b) => b === n % 251));
});

test('text format: strings stay strings (U+0000 too), binary stays Buffer', async (t) => {
  const c = client(t, { url: server.url('/echo'), messageFormat: 'text', pingInterval: 0 });
  await c.connect();
  const received = collect(c, 3);
  c.send('nul\0inside');
  c.send('{"not":"parsed"}');
  c.send(new Uint16Array([0x0201]));
  const msgs = await received;
  assert.equal(msgs[0].data, 'nul\0inside');
  assert.equal(msgs[1].data, '{"not":"parsed"}');
  assert.deepEqual([...msgs[2].data], [1, 2]);
  await c.close();
});

test('for await iterates messages and ends when the client closes', async (t) => {
  const c = client(t, { url: server.url('/echo'), messageFormat: 'text', pingInterval: 0 });
  await c.connect();
  const it = c[Symbol.asyncIterator]();
  for (let i = 0; i < 5; i++) c.send(`m${i}`);
  const got = [];
  for await (const m of it) {
    got.push(m);
    if (got.length === 5) c.close(); // the loop ends once the client is disconnected
  }
  assert.deepEqual(got, ['m0', 'm1', 'm2', 'm3', 'm4']);
  assert.equal(c.state, 'disconnected');
});

test('10,000 messages in a burst arrive complete and in order', async (t) => {
  const N = 10000;
  const c = client(t, {
    url: server.url('/echo'),
    messageFormat: 'text',
    pingInterval: 0,
    maxQueuedMessages: N,
  });
  await c.connect();
  const viaEvents = collect(c, N, 30000);
  const it = c[Symbol.asyncIterator]();
  const acks = [];
  for (let i = 0; i < N; i++) acks.push(c.send(`burst-${i}`));
  let i = 0;
  for await (const m of it) {
    assert.equal(m, `burst-${i}`);
    if (++i === N) break;
  }
  await Promise.all(acks);
  const events = await viaEvents;
  assert.equal(events.length, N);
  events.forEach((e, k) => assert.equal(e.data, `burst-${k}`));

  // And the other way: the server sends 10,000 at once.
  const d = client(t, { url: server.url(`/send?size=64&count=${N}&binary=1`), pingInterval: 0 });
  const fromServer = collect(d, N, 30000);
  await d.connect();
  const got = await fromServer;
  assert.ok(got.every((m) => m.info.binary && m.data.length === 64 && m.data.toString() === '0123456789'.repeat(7).slice(0, 64)));
  await Promise.all([c.close(), d.close()]);
});

test('auth none, query-param, subprotocol and first-message', async (t) => {
  await t.test('query-param puts the token in the URL', async (t) => {
    const c = client(t, {
      url: server.url('/auth/query?param=access_token&expect=s3cret'),
      authMethod: 'query-param',
      authToken: 's3cret',
      tokenParamName: 'access_token',
      pingInterval: 0,
    });
    await c.connect();
    assert.match(c.stats().url, /access_token=\*\*\*$/, 'the token is redacted in stats');
    await c.close();
  });
  await t.test('query-param with a wrong token is refused for good', async (t) => {
    const c = client(t, {
      url: server.url('/auth/query?expect=s3cret'),
      authMethod: 'query-param',
      authToken: 'wrong-token',
      reconnectDelay: 10,
    });
    await assert.rejects(c.connect(), (err) => {
      assert.ok(err instanceof TetherError);
      assert.equal(err.code, 'TETHER_E_AUTH');
      assert.ok(!err.message.includes('wrong-token'), err.message);
      return true;
    });
    assert.equal(c.state, 'error');
  });
  await t.test('subprotocol offers the token in Sec-WebSocket-Protocol', async (t) => {
    const c = client(t, {
      url: server.url('/auth/subprotocol?expect=s3cret'),
      authMethod: 'subprotocol',
      authToken: 's3cret',
      subprotocols: ['chat.v1'],
      pingInterval: 0,
    });
    await c.connect();
    assert.equal(c.protocol, 'chat.v1');
    await c.close();
  });
  await t.test('first-message goes through authenticating', async (t) => {
    const c = client(t, {
      url: server.url('/auth/first-message?expect=s3cret&type=authenticate&reply=auth_ok'),
      authMethod: 'first-message',
      authToken: 's3cret',
      authSuccessType: 'auth_ok',
      messageFormat: 'json',
      pingInterval: 0,
    });
    const states = [];
    c.on('state', (s) => states.push(s));
    await c.connect();
    assert.deepEqual(states, ['connecting', 'connected', 'authenticating', 'authenticated']);
    const echoed = next(c, 'message');
    c.send({ after: 'auth' });
    assert.deepEqual((await echoed)[0], { after: 'auth' });
    await c.close();
  });
  await t.test('first-message with a wrong token: 1008, no reconnect', async (t) => {
    const c = client(t, {
      url: server.url('/auth/first-message?expect=s3cret&type=authenticate&reply=auth_ok'),
      authMethod: 'first-message',
      authToken: 'nope',
      authSuccessType: 'auth_ok',
    });
    const closed = next(c, 'close');
    await assert.rejects(c.connect(), TetherError);
    assert.equal((await closed)[0].code, 1008);
    assert.equal(c.state, 'error');
  });
});

test('reconnect after a drop: messages queued meanwhile arrive in order; token refresh', async (t) => {
  const key = freshKey('order');
  const c = client(t, {
    url: server.url(`/flaky?key=${key}&fail_first=1&after_messages=0&mode=drop`),
    messageFormat: 'text',
    reconnectDelay: 200,
    authMethod: 'query-param',
    authToken: 'first-token',
  });
  const acks = [];
  c.once('reconnect', ({ attempt, delayMs }) => {
    assert.equal(attempt, 1);
    assert.ok(delayMs >= 0 && delayMs <= 200);
    c.setToken('second-token');
    for (let i = 0; i < 100; i++) acks.push(c.send(`m${i}`));
  });
  const states = [];
  c.on('state', (s) => states.push(s));
  const all = collect(c, 102, 10000);
  c.connect();
  const msgs = (await all).map((m) => m.data);
  await Promise.all(acks);
  assert.equal(msgs[0], '{"connection":1,"token":"first-token"}');
  assert.equal(msgs[1], '{"connection":2,"token":"second-token"}');
  assert.deepEqual(msgs.slice(2), Array.from({ length: 100 }, (_, i) => `m${i}`));
  assert.equal(states.filter((s) => s === 'reconnecting').length, 1);
  assert.equal(c.stats().reconnects, 1);
  await c.close();
});

test('keep-alive: no pong within pongTimeout is a dead peer and a reconnect', async (t) => {
  const c = client(t, {
    url: server.url('/silent'),
    pingInterval: 100,
    pongTimeout: 200,
    maxReconnectAttempts: 1,
  });
  const error = next(c, 'error', 3000);
  const closed = next(c, 'close', 3000);
  const reconnect = next(c, 'reconnect', 3000);
  await c.connect();
  const [err] = await error;
  assert.equal(err.code, 'TETHER_E_PONG_TIMEOUT');
  const [close] = await closed;
  assert.equal(close.code, 1006);
  assert.equal(close.wasClean, false);
  assert.equal(close.error.code, 'TETHER_E_PONG_TIMEOUT');
  await reconnect;
});

test('close codes: ours, and the server\'s per the reconnect table', async (t) => {
  await t.test('an application code and reason from us', async (t) => {
    const c = client(t, { url: server.url('/echo'), pingInterval: 0 });
    await c.connect();
    const closed = next(c, 'close');
    await c.close(4000, 'bye');
    assert.deepEqual((await closed)[0], { code: 4000, reason: 'bye', wasClean: true });
    await c.close(); // again: nothing to do
  });
  await t.test('1011 from the server reconnects', async (t) => {
    const c = client(t, { url: server.url('/close?code=1011&reason=oops'), maxReconnectAttempts: 1, reconnectDelay: 10 });
    const closed = next(c, 'close');
    const reconnect = next(c, 'reconnect');
    await c.connect();
    assert.deepEqual((await closed)[0], { code: 1011, reason: 'oops', wasClean: true });
    await reconnect;
  });
  await t.test('1008 from the server does not', async (t) => {
    const c = client(t, { url: server.url('/close?code=1008&after_ms=50') });
    let reconnects = 0;
    c.on('reconnect', () => reconnects++);
    const ended = next(c, 'state', 3000, (s) => s === 'error');
    await c.connect();
    await ended;
    assert.equal(reconnects, 0);
  });
  await t.test('a close while the peer is silent ends within closeTimeout', async (t) => {
    const c = client(t, { url: server.url('/silent'), closeTimeout: 300, pingInterval: 0 });
    await c.connect();
    const started = Date.now();
    const closed = next(c, 'close');
    await c.close(1000, 'bye');
    assert.ok(Date.now() - started < 2000);
    assert.equal((await closed)[0].wasClean, false);
    assert.throws(() => c.send('late'), { code: 'TETHER_E_CLOSED' });
  });
});

test('sends made before connect are queued and flushed once ready', async (t) => {
  const c = client(t, { url: server.url('/echo'), messageFormat: 'text', pingInterval: 0 });
  const acks = [c.send('early-1'), c.send('early-2')];
  assert.equal(c.bufferedMessages, 2);
  assert.equal(c.bufferedAmount, 14);
  const got = collect(c, 2);
  await c.connect();
  await Promise.all(acks);
  assert.deepEqual((await got).map((m) => m.data), ['early-1', 'early-2']);
  await c.close();
});

test('closing before the connection is ready rejects connect() and queued sends', async (t) => {
  const c = client(t, { url: server.url('/hang'), handshakeTimeout: 5000 });
  const connecting = c.connect();
  const ack = c.send({ queued: true });
  await c.close();
  await assert.rejects(connecting, TetherError);
  await assert.rejects(ack, { code: 'TETHER_E_CANCELLED' });
});
