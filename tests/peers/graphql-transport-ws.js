'use strict';
// A GraphQL over WebSocket server speaking graphql-transport-ws: the real `graphql-ws` library
// (useServer) on a `ws` server, with the schema below. Also exports that schema and the hooks'
// rules, which graphql-ws-legacy.js serves with subscriptions-transport-ws, so both protocols
// are tested against the same operations.
//
// Schema (every long-poll field resolves once its condition holds, so tests wait for events
// instead of sleeping):
//   Query        hello, add(a, b), fail (a resolver error), sleep(ms),
//                subscribers(channel, atLeast, atMost)  live subscriptions of a channel,
//                pongs(atLeast)                          protocol pongs received on this socket,
//                keepAlives(atLeast)                     legacy `ka` frames sent on this socket
//   Mutation     post(channel, text) -> receivers, end(channel) (completes its subscriptions),
//                drop (terminates this socket after the reply), close(code, reason)
//   Subscription messages(channel) -> {channel, text}; variables.channel "forbidden" is refused
// Connection hooks: connection_init's payload.authorization (or payload.token) must be
// "Bearer good" (or "good") when present; anything else is refused. Query parameters of the
// upgrade URL: ack_delay=MS delays the acknowledgement; protocol_ping=MS sends {"type":"ping"}
// every MS from connection_init on and terminates the socket when the previous one had no pong.
// WebSocket pings every 400 ms; a socket that misses a pong is terminated.
const http = require('http');
const {
  GraphQLSchema, GraphQLObjectType, GraphQLString, GraphQLInt, GraphQLBoolean, GraphQLNonNull,
  GraphQLError,
} = require('graphql');

const log = (...args) => console.error('[graphql-peer]', ...args);
const delay = (ms) => new Promise((resolve) => setTimeout(resolve, ms));

// Conditions that resolve a long-poll field: each change re-checks every waiter.
class Waiters {
  constructor() { this.list = []; }
  until(test) {
    const value = test();
    if (value !== undefined) return Promise.resolve(value);
    return new Promise((resolve) => this.list.push({ test, resolve }));
  }
  changed() {
    this.list = this.list.filter(({ test, resolve }) => {
      const value = test();
      if (value === undefined) return true;
      resolve(value);
      return false;
    });
  }
}
const waiters = new Waiters();

// Channels of subscribers. subscribe() gives an async iterator (not a generator) so that
// return() — what both servers call when the client stops a subscription or the socket
// closes — takes effect at once even while a next() is pending; counts stay exact.
class PubSub {
  constructor() { this.channels = new Map(); }
  count(channel) { return (this.channels.get(channel) || new Set()).size; }
  publish(channel, event) {
    const subs = [...(this.channels.get(channel) || [])];
    subs.forEach((sub) => sub.push(event));
    return subs.length;
  }
  end(channel) {
    const subs = [...(this.channels.get(channel) || [])];
    subs.forEach((sub) => sub.finish());
    return subs.length;
  }
  subscribe(channel) {
    const channels = this.channels;
    const set = channels.get(channel) || new Set();
    channels.set(channel, set);
    const queue = [];
    let pending = null;
    let done = false;
    const sub = {
      push(event) {
        if (pending) { pending({ value: event, done: false }); pending = null; } else queue.push(event);
      },
      finish() {
        if (done) return;
        done = true;
        set.delete(sub);
        if (set.size === 0 && channels.get(channel) === set) channels.delete(channel);
        if (pending) { pending({ value: undefined, done: true }); pending = null; }
        waiters.changed();
      },
    };
    set.add(sub);
    waiters.changed();
    return {
      next() {
        if (queue.length) return Promise.resolve({ value: queue.shift(), done: false });
        if (done) return Promise.resolve({ value: undefined, done: true });
        return new Promise((resolve) => { pending = resolve; });
      },
      return() { sub.finish(); return Promise.resolve({ value: undefined, done: true }); },
      throw(err) { sub.finish(); return Promise.reject(err); },
      [Symbol.asyncIterator]() { return this; },
    };
  }
}
const pubsub = new PubSub();

// Per-socket counters the long-poll fields read.
function connectionState(socket) {
  if (!socket.peerState) socket.peerState = { pongs: 0, keepAlives: 0 };
  return socket.peerState;
}

const nonNull = (type) => new GraphQLNonNull(type);
const MessageType = new GraphQLObjectType({
  name: 'Message',
  fields: { channel: { type: nonNull(GraphQLString) }, text: { type: nonNull(GraphQLString) } },
});

// The server's action on this socket once the reply is on its way.
function afterReply(context, action) {
  setTimeout(() => action(context.socket), 50);
  return true;
}

const schema = new GraphQLSchema({
  query: new GraphQLObjectType({
    name: 'Query',
    fields: {
      hello: { type: nonNull(GraphQLString), resolve: () => 'world' },
      add: {
        type: nonNull(GraphQLInt),
        args: { a: { type: nonNull(GraphQLInt) }, b: { type: nonNull(GraphQLInt) } },
        resolve: (_, { a, b }) => a + b,
      },
      fail: {
        type: GraphQLString,
        resolve: () => { throw new Error('failed on purpose'); },
      },
      sleep: {
        type: nonNull(GraphQLInt),
        args: { ms: { type: nonNull(GraphQLInt) } },
        resolve: async (_, { ms }) => { await delay(ms); return ms; },
      },
      subscribers: {
        type: nonNull(GraphQLInt),
        args: { channel: { type: nonNull(GraphQLString) }, atLeast: { type: GraphQLInt }, atMost: { type: GraphQLInt } },
        resolve: (_, { channel, atLeast, atMost }) => waiters.until(() => {
          const n = pubsub.count(channel);
          return (atLeast == null || n >= atLeast) && (atMost == null || n <= atMost) ? n : undefined;
        }),
      },
      pongs: {
        type: nonNull(GraphQLInt),
        args: { atLeast: { type: nonNull(GraphQLInt) } },
        resolve: (_, { atLeast }, context) => waiters.until(() => {
          const n = connectionState(context.socket).pongs;
          return n >= atLeast ? n : undefined;
        }),
      },
      keepAlives: {
        type: nonNull(GraphQLInt),
        args: { atLeast: { type: nonNull(GraphQLInt) } },
        resolve: (_, { atLeast }, context) => waiters.until(() => {
          const n = connectionState(context.socket).keepAlives;
          return n >= atLeast ? n : undefined;
        }),
      },
    },
  }),
  mutation: new GraphQLObjectType({
    name: 'Mutation',
    fields: {
      post: {
        type: nonNull(GraphQLInt),
        args: { channel: { type: nonNull(GraphQLString) }, text: { type: nonNull(GraphQLString) } },
        resolve: (_, { channel, text }) => pubsub.publish(channel, { channel, text }),
      },
      end: {
        type: nonNull(GraphQLInt),
        args: { channel: { type: nonNull(GraphQLString) } },
        resolve: (_, { channel }) => pubsub.end(channel),
      },
      drop: {
        type: nonNull(GraphQLBoolean),
        resolve: (_, __, context) => afterReply(context, (socket) => socket.terminate()),
      },
      close: {
        type: nonNull(GraphQLBoolean),
        args: { code: { type: nonNull(GraphQLInt) }, reason: { type: GraphQLString } },
        resolve: (_, { code, reason }, context) =>
          afterReply(context, (socket) => socket.close(code, reason || '')),
      },
    },
  }),
  subscription: new GraphQLObjectType({
    name: 'Subscription',
    fields: {
      messages: {
        type: nonNull(MessageType),
        args: { channel: { type: nonNull(GraphQLString) } },
        subscribe: (_, { channel }) => pubsub.subscribe(channel),
        resolve: (event) => event,
      },
    },
  }),
});

// The credentials rule both servers apply to connection_init's payload: true, or the refusal.
function checkCredentials(params) {
  const given = params && (params.authorization !== undefined ? params.authorization : params.token);
  if (given === undefined || given === 'Bearer good' || given === 'good') return true;
  return 'invalid token';
}

// The subscription both servers refuse, as the protocol's `error` message.
function isForbidden(payload) {
  return Boolean(payload && payload.variables && payload.variables.channel === 'forbidden');
}

function urlParam(request, name) {
  const value = new URL(request.url, 'http://peer').searchParams.get(name);
  return value === null ? 0 : Number(value);
}

// WebSocket-level keep-alive like graphql-ws's own: a ping every interval; a socket that has
// not answered the previous one by then is terminated.
function enforceWebSocketPongs(socket, interval) {
  let alive = true;
  socket.on('pong', () => { alive = true; });
  const timer = setInterval(() => {
    if (!alive) { log('no pong: terminating'); socket.terminate(); return; }
    alive = false;
    socket.ping();
  }, interval);
  socket.on('close', () => clearInterval(timer));
}

// Listen on 127.0.0.1:0, print the port, exit when stdin ends.
function serve(server) {
  server.listen(0, '127.0.0.1', () => {
    process.stdout.write(JSON.stringify({ port: server.address().port }) + '\n');
  });
  process.stdin.on('end', () => process.exit(0));
  process.stdin.resume();
}

module.exports = {
  schema, waiters, connectionState, checkCredentials, isForbidden, urlParam,
  enforceWebSocketPongs, serve, log, delay,
};

function main() {
  const { WebSocketServer } = require('ws');
  const { useServer } = require('graphql-ws/lib/use/ws');
  const server = http.createServer();
  const wss = new WebSocketServer({ server });

  // protocol_ping: this socket's protocol-level pings, answered by {"type":"pong"}.
  wss.on('connection', (socket, request) => {
    const interval = urlParam(request, 'protocol_ping');
    const state = connectionState(socket);
    socket.on('message', (data) => {
      let message;
      try { message = JSON.parse(String(data)); } catch (_) { return; }
      if (message && message.type === 'pong') { state.pongs += 1; state.awaitingPong = false; waiters.changed(); }
      if (message && message.type === 'connection_init' && interval > 0) startProtocolPings(socket, state, interval);
    });
  });
  function startProtocolPings(socket, state, interval) {
    const timer = setInterval(() => {
      if (state.awaitingPong) { log('no protocol pong: terminating'); socket.terminate(); return; }
      state.awaitingPong = true;
      socket.send(JSON.stringify({ type: 'ping', payload: { n: state.pongs + 1 } }));
    }, interval);
    socket.on('close', () => clearInterval(timer));
  }

  useServer({
    schema,
    context: (ctx) => ({ socket: ctx.extra.socket }),
    onConnect: async (ctx) => {
      const ackDelay = urlParam(ctx.extra.request, 'ack_delay');
      if (ackDelay > 0) await delay(ackDelay);
      const verdict = checkCredentials(ctx.connectionParams);
      if (verdict !== true) log('refused:', verdict);
      return verdict === true;  // false: the library closes with 4403 Forbidden
    },
    onSubscribe: (_ctx, message) => (isForbidden(message.payload)
      ? [new GraphQLError('subscription to forbidden refused')]
      : undefined),
  }, wss, 400);

  serve(server);
}

if (require.main === module) main();
