'use strict';
// A GraphQL server speaking Apollo's legacy `graphql-ws` subprotocol: the real
// subscriptions-transport-ws SubscriptionServer on a `ws` server, serving the schema and pubsub
// of graphql-transport-ws.js (see there for the operations and the credentials rule).
//
// The library's own behaviour under test: `ka` every 200 ms after connection_ack;
// connection_error then close 1011 when onConnect refuses; `error` {message} when an operation
// cannot start (variables.channel "forbidden"); `data` then `complete` for queries and mutations;
// close 1002 without the graphql-ws subprotocol. Query parameters of the upgrade URL:
// ack_delay=MS delays the acknowledgement. WebSocket pings every 400 ms; a socket that misses
// a pong is terminated.
const http = require('http');
const { WebSocketServer } = require('ws');
const { execute, subscribe } = require('graphql');
const { SubscriptionServer } = require('subscriptions-transport-ws');
const {
  schema, waiters, connectionState, checkCredentials, isForbidden, urlParam, enforceWebSocketPongs,
  serve, log, delay,
} = require('./graphql-transport-ws.js');

const server = http.createServer();
const wss = new WebSocketServer({ server });

// Registered before the SubscriptionServer's own listener: counts the `ka` frames it sends,
// for the keepAlives long-poll field.
wss.on('connection', (socket) => {
  const state = connectionState(socket);
  const send = socket.send.bind(socket);
  socket.send = (data, ...rest) => {
    if (typeof data === 'string' && data.startsWith('{"type":"ka"')) {
      state.keepAlives += 1;
      waiters.changed();
    }
    return send(data, ...rest);
  };
  enforceWebSocketPongs(socket, 400);
});

SubscriptionServer.create({
  schema,
  execute,
  subscribe,
  keepAlive: 200,
  onConnect: async (connectionParams, _socket, context) => {
    const ackDelay = urlParam(context.request, 'ack_delay');
    if (ackDelay > 0) await delay(ackDelay);
    const verdict = checkCredentials(connectionParams);
    if (verdict !== true) {
      log('refused:', verdict);
      throw new Error(verdict);  // sent as connection_error {message}
    }
    return {};
  },
  onOperation: (message, params, socket) => {
    if (isForbidden(message.payload)) throw new Error('subscription to forbidden refused');
    return { ...params, context: { ...params.context, socket } };
  },
}, wss);

serve(server);
