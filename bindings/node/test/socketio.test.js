'use strict';
// The connection manager over the socketio protocol (provider 'socketio') against a REAL
// Socket.IO 4 server: tests/peers/socketio.js (the `socket.io` package). Its events: chat
// (re-broadcast to every socket of the namespace), add(a, b) / echo / never with acks,
// push({event, args}) (the server emits event(...args) back), drop (the server closes the
// connection under the session), kick (socket.disconnect(true)), whoami; token 'bad' is refused.
const { test, before, after } = require('node:test');
const assert = require('node:assert/strict');
const { Client, WebSocketConnectionManager, TetherError } = require('..');
const { startPeer, next, collector, assertRefusedForGood } = require('./helpers');

let peer;
before(async () => {
  peer = await startPeer('socketio');
});
after(async () => {
  await peer.stop();
});

function credentials(extra = {}) {
  return { url: peer.url('/socket.io/'), provider: 'socketio', ...extra };
}

function manager(t, extra) {
  const m = new WebSocketConnectionManager(credentials(extra));
  t.after(() => m.client.destroy());
  return m;
}

function client(t, extra) {
  const c = new Client(credentials(extra));
  t.after(() => c.destroy());
  return c;
}

test('manager: subscribe gets payload and event; another client publishes; unsubscribe', async (t) => {
  const alice = manager(t);
  const bob = manager(t);
  assert.equal(alice.getStats().protocol, 'socketio', 'the preset chose the protocol, not the manager');
  const chat = collector(2);
  // Subscribed before connecting: tether listens for the event once the session is up.
  const sub = alice.subscribe('chat', (payload, info) => chat.push({ payload, info }));
  const subscribed = next(alice.client, 'subscribed');
  await Promise.all([alice.connect(), bob.connect()]);
  assert.deepEqual((await subscribed)[0], { subscription: sub, channel: 'chat' });

  // One argument arrives as itself, several as an array of the arguments.
  await bob.publish('chat', { text: 'Hello!' });
  await bob.publish('chat', ['bob', { text: 'hi' }, 3]);
  assert.deepEqual(await chat.done, [
    { payload: { text: 'Hello!' }, info: { subscription: sub, channel: 'chat', event: 'chat' } },
    { payload: ['bob', { text: 'hi' }, 3], info: { subscription: sub, channel: 'chat', event: 'chat' } },
  ]);
  assert.equal(alice.getStats().activeSubscriptions, 1);

  // Unsubscribed: the broadcast reaches alice as the plain Socket.IO packet, not as a channel message.
  assert.equal(alice.unsubscribe(sub), true);
  assert.equal(alice.getStats().activeSubscriptions, 0);
  const channelMessages = [];
  alice.client.on('channelMessage', (payload) => channelMessages.push(payload));
  const plain = next(alice.client, 'message', 5000, (data) => typeof data === 'string' && data.includes('after'));
  bob.publish('chat', { text: 'after' });
  assert.equal((await plain)[0], '42["chat",{"text":"after"}]');
  assert.deepEqual(channelMessages, []);
  assert.equal(chat.got.length, 2);
  assert.equal(alice.unsubscribe(sub), false);
});

test('manager: requests are answered by the server acks', async (t) => {
  const m = manager(t);
  await m.connect();
  // An array of params is the argument list: add(2, 40, ack) runs on the server.
  assert.equal(await m.request('add', [2, 40]), 42);
  assert.deepEqual(await m.request('echo', ['x', { y: 1 }]), ['x', { y: 1 }]);
  assert.deepEqual(await m.request('echo', { only: 1 }), { only: 1 });
  // Socket.IO acks carry no error flag: a server's error is part of the result.
  assert.deepEqual(await m.request('fail'), { error: { message: 'failed on purpose' } });
  await assert.rejects(m.request('never', null, { timeout: 300 }), (err) => {
    assert.ok(err instanceof TetherError);
    assert.equal(err.code, 'TETHER_E_TIMEOUT');
    return true;
  });
  assert.equal(m.getStats().pendingRequests, 0);
  // What the protocol has no place for fails at the call.
  assert.throws(() => m.publish('disconnect', 1), { code: 'TETHER_E_INVALID_ARGUMENT', message: /reserved/ });
  assert.throws(() => m.subscribe('chat', () => {}, { since: 0 }), { code: 'TETHER_E_INVALID_ARGUMENT', message: /params/ });
});

test('Client: channelMessage carries the event name; a namespace of its own', async (t) => {
  const c = client(t);
  const news = collector(3);
  c.on('channelMessage', (payload, info) => news.push({ payload, event: info.event, channel: info.channel }));
  await c.connect();
  const sub = c.subscribe('news');
  assert.ok(Number.isSafeInteger(sub) && sub > 0);
  // push({event, args}): the server emits event(...args) to this socket.
  c.publish('push', { event: 'news', args: [] });
  c.publish('push', { event: 'news', args: [{ headline: 'one' }] });
  c.publish('push', { event: 'weather', args: ['sunny'] }); // not subscribed: a plain message
  c.publish('push', { event: 'news', args: ['two', 2, null] });
  assert.deepEqual(await news.done, [
    { payload: null, event: 'news', channel: 'news' },
    { payload: { headline: 'one' }, event: 'news', channel: 'news' },
    { payload: ['two', 2, null], event: 'news', channel: 'news' },
  ]);
  assert.deepEqual(await c.request('add', [1, 2]), 3);

  // /admin greets each socket with `welcome` right after the CONNECT ack.
  const admin = client(t, { namespace: '/admin' });
  const welcome = next(admin, 'channelMessage');
  admin.subscribe('welcome');
  await admin.connect();
  const [payload, info] = await welcome;
  assert.equal(info.event, 'welcome');
  assert.equal(payload.nsp, '/admin');
  assert.equal((await admin.request('whoami')).nsp, '/admin');
});

test('reconnect after the server drops the connection: re-subscribed, token sent again', async (t) => {
  const alice = manager(t, { authToken: 'alice', reconnectDelay: 100 });
  const bob = manager(t);
  const chat = collector(1, 8000);
  const sub = alice.subscribe('chat', (payload, info) => chat.push({ payload, info }));
  const subscribed = collector(2, 8000);
  alice.client.on('subscribed', (info) => subscribed.push(info));
  await Promise.all([alice.connect(), bob.connect()]);
  const first = await alice.request('whoami');
  assert.equal(first.token, 'alice');

  const reconnected = next(alice.client, 'reconnect', 8000);
  const reopened = next(alice.client, 'open', 8000);
  alice.publish('drop', []); // the event with no arguments: the server closes the engine connection
  await reconnected;
  await reopened;
  for (const s of await subscribed.done) assert.equal(s.subscription, sub);
  const second = await alice.request('whoami');
  assert.notEqual(second.sid, first.sid, 'a new Socket.IO session');
  assert.equal(second.token, 'alice');

  bob.publish('chat', { after: 'reconnect' });
  assert.deepEqual(await chat.done, [
    { payload: { after: 'reconnect' }, info: { subscription: sub, channel: 'chat', event: 'chat' } },
  ]);
  assert.ok(alice.getStats().reconnects >= 1);
});

test('a refused token: connect() rejects with TETHER_E_AUTH and nothing reconnects', async (t) => {
  const m = manager(t, { authToken: 'bad', reconnectDelay: 50 });
  await assertRefusedForGood(m, (err) => assert.match(err.message, /invalid token/));
});

test("the server's socket.disconnect() ends the session for good", async (t) => {
  const c = client(t);
  await c.connect();
  let reconnects = 0;
  c.on('reconnect', () => { reconnects += 1; });
  const closed = next(c, 'close');
  const disconnected = next(c, 'state', 5000, (state) => state === 'disconnected');
  c.publish('kick', []);
  const [info] = await closed;
  assert.match(info.reason, /io server disconnect/);
  await disconnected;
  assert.equal(reconnects, 0);
  assert.equal(c.state, 'disconnected');
});
