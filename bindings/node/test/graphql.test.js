'use strict';
// The connection manager over graphql-transport-ws (provider 'graphql') against a REAL graphql-ws
// server: tests/peers/graphql-transport-ws.js (the `graphql-ws` library). A channel is a
// subscription document, a request a query or mutation; GraphQL has no publish (mutations are
// requests). Schema: hello, add(a, b), fail, subscribers(channel, atLeast, atMost);
// post(channel, text), end(channel), drop; subscription messages(channel), 'forbidden' refused.
// connection_init must carry the token "good" when it carries one.
const { test, before, after } = require('node:test');
const assert = require('node:assert/strict');
const { Client, WebSocketConnectionManager, TetherError } = require('..');
const { startPeer, next, freshKey, collector, assertRefusedForGood } = require('./helpers');

const MESSAGES = 'subscription Messages($channel: String!) { messages(channel: $channel) { channel text } }';
const POST = 'mutation Post($channel: String!, $text: String!) { post(channel: $channel, text: $text) }';
const SUBSCRIBERS = 'query Subscribers($channel: String!, $atLeast: Int, $atMost: Int) { subscribers(channel: $channel, atLeast: $atLeast, atMost: $atMost) }';

let peer;
before(async () => {
  peer = await startPeer('graphql-transport-ws');
});
after(async () => {
  await peer.stop();
});

function credentials(extra = {}) {
  return { url: peer.url('/'), provider: 'graphql', authToken: 'good', ...extra };
}

function manager(t, extra) {
  const m = new WebSocketConnectionManager(credentials(extra));
  t.after(() => m.client.destroy());
  return m;
}

/** Waits until the server runs `count` subscriptions of channel (atLeast, or atMost with 0). */
async function subscribers(m, channel, count) {
  const bound = count === 0 ? { atMost: 0 } : { atLeast: count };
  const result = await m.request(SUBSCRIBERS, { channel, ...bound });
  assert.deepEqual(result, { data: { subscribers: count } });
}

test('manager: subscription messages from another client, request, unsubscribe', async (t) => {
  const alice = manager(t);
  const bob = manager(t);
  assert.equal(alice.getStats().protocol, 'graphql-transport-ws');
  const room = freshKey('room');
  const got = collector(1);
  const sub = alice.subscribe(MESSAGES, (payload, info) => got.push({ payload, info }), { channel: room });
  await Promise.all([alice.connect(), bob.connect()]);
  await subscribers(bob, room, 1);

  // A mutation from bob is the "publish" alice's subscription sees.
  assert.deepEqual(await bob.request(POST, { channel: room, text: 'Hello!' }), { data: { post: 1 } });
  assert.deepEqual(await got.done, [{
    payload: { data: { messages: { channel: room, text: 'Hello!' } } },
    info: { subscription: sub, channel: MESSAGES, event: '' }, // GraphQL results have no event name
  }]);
  assert.deepEqual(await alice.request('query Add($a: Int!, $b: Int!) { add(a: $a, b: $b) }', { a: 2, b: 40 }),
    { data: { add: 42 } });
  assert.equal(alice.getStats().activeSubscriptions, 1);

  // Unsubscribed: the server stops the operation, and a later post reaches no one.
  assert.equal(alice.unsubscribe(sub), true);
  await subscribers(bob, room, 0);
  assert.deepEqual(await bob.request(POST, { channel: room, text: 'gone' }), { data: { post: 0 } });
  assert.equal(got.got.length, 1);
  assert.equal(alice.getStats().activeSubscriptions, 0);
});

test('manager: a resolver error rejects with TETHER_E_REMOTE and the whole result', async (t) => {
  const m = manager(t);
  await m.connect();
  await assert.rejects(m.request('{ hello fail }'), (err) => {
    assert.ok(err instanceof TetherError);
    assert.equal(err.code, 'TETHER_E_REMOTE');
    assert.match(err.message, /failed on purpose/);
    assert.deepEqual(err.remote.data, { hello: 'world', fail: null }); // partial data included
    assert.equal(err.remote.errors[0].message, 'failed on purpose');
    return true;
  });
  await assert.rejects(m.request('{ nope }'), { code: 'TETHER_E_REMOTE', message: /Cannot query field/ });
  await assert.rejects(m.request('{ sleep(ms: 3000) }', null, { timeout: 200 }), { code: 'TETHER_E_TIMEOUT' });
  assert.equal(m.getStats().pendingRequests, 0);
});

test('publish is not a GraphQL operation: TETHER_E_NOT_SUPPORTED at the call', async (t) => {
  const m = manager(t);
  assert.throws(() => m.publish('room', { text: 'hi' }), (err) => {
    assert.ok(err instanceof TetherError);
    assert.equal(err.code, 'TETHER_E_NOT_SUPPORTED');
    assert.match(err.message, /graphql-transport-ws/);
    assert.match(err.message, /mutation/);
    return true;
  });
  // Variables must be an object.
  assert.throws(() => m.subscribe(MESSAGES, () => {}, [1]), { code: 'TETHER_E_INVALID_ARGUMENT' });
  assert.throws(() => m.request('{ hello }', 'x'), { code: 'TETHER_E_INVALID_ARGUMENT' });
});

test('Client: subscriptions refused or ended by the server carry the error', async (t) => {
  const c = new Client(credentials());
  t.after(() => c.destroy());
  await c.connect();
  const failed = [];
  c.on('subscribeFailed', (info) => failed.push(info));

  const refused = c.subscribe(MESSAGES, { channel: 'forbidden' });
  const [refusal] = await next(c, 'subscribeFailed', 5000, (info) => info.subscription === refused);
  assert.equal(refusal.channel, MESSAGES);
  assert.ok(refusal.error instanceof TetherError);
  assert.equal(refusal.error.code, 'TETHER_E_REMOTE');
  assert.match(refusal.error.message, /subscription to forbidden refused/);
  assert.ok(Array.isArray(refusal.error.remote), 'the server\'s error JSON (GraphQL errors), parsed');
  assert.equal(refusal.error.remote[0].message, 'subscription to forbidden refused');
  assert.throws(() => c.unsubscribe(refused), { code: 'TETHER_E_INVALID_ARGUMENT' }); // removed

  // The server completes a running subscription: it ends with TETHER_E_CLOSED, not an error.
  const channel = freshKey('short');
  const ended = c.subscribe(MESSAGES, { channel });
  const [end] = await Promise.all([
    next(c, 'subscribeFailed', 5000, (info) => info.subscription === ended),
    (async () => {
      assert.deepEqual(await c.request(SUBSCRIBERS, { channel, atLeast: 1 }), { data: { subscribers: 1 } });
      assert.deepEqual(await c.request('mutation End($channel: String!) { end(channel: $channel) }', { channel }),
        { data: { end: 1 } });
    })(),
  ]);
  assert.equal(end[0].error.code, 'TETHER_E_CLOSED');
  assert.match(end[0].error.message, /ended/);
  assert.equal(c.stats().activeSubscriptions, 0);
  assert.equal(failed.length, 2);
});

test('reconnect after the server drops the socket: the subscription is renewed', async (t) => {
  const m = manager(t, { reconnectDelay: 100 });
  const room = freshKey('resub');
  const got = collector(1, 8000);
  const sub = m.subscribe(MESSAGES, (payload) => got.push(payload), { channel: room });
  const subscribed = collector(2, 8000);
  m.client.on('subscribed', (info) => subscribed.push(info));
  await m.connect();
  await subscribers(m, room, 1);

  const reconnected = next(m.client, 'reconnect', 8000);
  const reopened = next(m.client, 'open', 8000);
  assert.deepEqual(await m.request('mutation { drop }'), { data: { drop: true } }); // terminated right after
  await reconnected;
  await reopened;
  for (const s of await subscribed.done) assert.equal(s.subscription, sub);
  await subscribers(m, room, 1); // re-subscribed by tether, without the application asking
  assert.deepEqual(await m.request(POST, { channel: room, text: 'after reconnect' }), { data: { post: 1 } });
  assert.deepEqual(await got.done, [{ data: { messages: { channel: room, text: 'after reconnect' } } }]);
  assert.ok(m.getStats().reconnects >= 1);
});

test('a refused token: connect() rejects with TETHER_E_AUTH and nothing reconnects', async (t) => {
  const m = manager(t, { authToken: 'wrong-s3cret', reconnectDelay: 50 });
  await assertRefusedForGood(m, (err) => assert.doesNotMatch(err.message, /s3cret/));
});
