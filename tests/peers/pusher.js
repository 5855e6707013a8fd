// A Pusher Channels server (protocol 7) written from the "Pusher Channels Protocol" reference,
// for the pusher protocol tests. Connections go to /app/<key>?protocol=7&client=...&version=...
// Frames are what the service sends:
//   {"event":"pusher:connection_established","data":"{\"socket_id\":\"1.2\",\"activity_timeout\":120}"}
//   {"event":"pusher_internal:subscription_succeeded","channel":c,"data":"{}"}
//   {"event":"pusher:subscription_error","channel":c,"data":{"type":"AuthError","error":...,"status":401}}
//   {"event":e,"channel":c,"data":"<JSON-encoded string>"}      (a server event)
//   {"event":"client-...","channel":c,"data":...}               (a client event, as sent)
//   {"event":"pusher:error","data":{"code":N|null,"message":...}}, then a close with code N
//   {"event":"pusher:ping","data":{}} / {"event":"pusher:pong","data":{}}
//
// The app: key "app-key" (others: pusher:error 4001 and close 4001); protocol 7 only (others:
// 4007). private-* and presence-* channels need params.auth == "good" (else
// pusher:subscription_error). Client events go only to private/presence channels the sender is
// subscribed to, and reach the channel's other subscribers.
//
// Query parameters for the tests:
//   activity_timeout=S   the activity_timeout announced in connection_established (120)
//   server_ping_ms=N     the server sends pusher:ping after N ms without a message from the
//                        client (activity_timeout * 1000)
//   pong_timeout_ms=N    and closes with 4201 when no message follows within N ms (30000)
//   established_delay_ms=N  connection_established only after N ms (0)
//   report_keepalive=C   after every pusher:ping / pusher:pong from the client, the server
//                        event "keepalive" {"pings","pongs"} on channel C to that client
//
// Hooks, as client events on a private channel:
//   client-trigger {"channel","event","data"} -> the server event {"event","channel",
//                        "data":JSON.stringify(data)} to every subscriber of "channel";
//                        {"channel","event","raw":"text"} sends "text" as the data string
//   client-stats   -> the server event "stats" {"pings","pongs","subscriptions"} to the sender
//                        (pusher:ping / pusher:pong received from it)
//   client-close {"code"} -> pusher:error {code, message} and a close with that code
// and pusher:signin {"auth","user_data"}: auth "good" -> pusher:signin_success; else 4009.
//
// Prints {"port":N} once listening on 127.0.0.1; logs to stderr; exits when stdin ends.
'use strict';

const http = require('http');
const { WebSocketServer } = require('ws');

const log = (...args) => console.error('[pusher peer]', ...args);

const APP_KEY = 'app-key';
const MESSAGES = {
  4001: 'App key does not exist',
  4007: 'Unsupported protocol version',
  4004: 'Application is over connection quota',
  4009: 'Connection is unauthorized',
  4100: 'Over capacity',
  4200: 'Generic reconnect immediately',
  4201: 'Pong reply not received',
};

const clients = new Set();
let nextSocket = 1;

const server = http.createServer((req, res) => {
  res.writeHead(404, { 'content-type': 'text/plain' });
  res.end('not found\n');
});
const wss = new WebSocketServer({ server });

const send = (ws, message) => {
  if (ws.readyState === ws.OPEN) ws.send(JSON.stringify(message));
};

function fail(ws, code, message) {
  send(ws, { event: 'pusher:error', data: { code, message: message || MESSAGES[code] || 'error' } });
  ws.close(code, message || MESSAGES[code] || '');
}

wss.on('connection', (ws, req) => {
  const url = new URL(req.url, 'http://localhost');
  const match = /^\/app\/([^/]+)$/.exec(url.pathname);
  if (!match || match[1] !== APP_KEY) {
    log(`unknown app key in ${url.pathname}`);
    return fail(ws, 4001, `App key ${match ? match[1] : ''} does not exist`);
  }
  if (url.searchParams.get('protocol') !== '7') return fail(ws, 4007);

  const activityTimeout = Number(url.searchParams.get('activity_timeout') || 120);
  const serverPingMs = Number(url.searchParams.get('server_ping_ms') || activityTimeout * 1000);
  const pongTimeoutMs = Number(url.searchParams.get('pong_timeout_ms') || 30000);
  const establishedDelayMs = Number(url.searchParams.get('established_delay_ms') || 0);
  const reportChannel = url.searchParams.get('report_keepalive');
  const state = { channels: new Set(), pings: 0, pongs: 0 };
  const report = () => {
    if (reportChannel) {
      const { pings, pongs } = state;
      send(ws, { event: 'keepalive', channel: reportChannel, data: JSON.stringify({ pings, pongs }) });
    }
  };
  ws.pusher = state;
  clients.add(ws);

  // Activity: any message from the client. After server_ping_ms without one, a pusher:ping;
  // without an answer within pong_timeout_ms, the connection is closed with 4201.
  let timer = null;
  const idle = () => {
    clearTimeout(timer);
    timer = setTimeout(() => {
      send(ws, { event: 'pusher:ping', data: {} });
      timer = setTimeout(() => fail(ws, 4201), pongTimeoutMs);
    }, serverPingMs);
  };
  idle();
  let established = null;
  ws.on('close', () => {
    clearTimeout(timer);
    clearTimeout(established);
    clients.delete(ws);
  });

  const socketId = `${nextSocket++}.${Math.floor(Math.random() * 1e9)}`;
  const establish = () => send(ws, {
    event: 'pusher:connection_established',
    data: JSON.stringify({ socket_id: socketId, activity_timeout: activityTimeout }),
  });
  if (establishedDelayMs > 0) {
    established = setTimeout(establish, establishedDelayMs);
  } else {
    establish();
  }

  ws.on('message', (raw, isBinary) => {
    idle();
    let message;
    try {
      message = isBinary ? null : JSON.parse(raw.toString());
    } catch (e) {
      message = null;
    }
    if (!message || typeof message.event !== 'string') {
      send(ws, { event: 'pusher:error', data: { code: null, message: 'Unable to parse the message' } });
      return;
    }
    const { event, channel, data } = message;
    if (event === 'pusher:ping') {
      state.pings += 1;
      send(ws, { event: 'pusher:pong', data: {} });
      report();
    } else if (event === 'pusher:pong') {
      state.pongs += 1;
      report();
    } else if (event === 'pusher:signin') {
      if (data && data.auth === 'good') {
        send(ws, { event: 'pusher:signin_success', data: JSON.stringify({ user_data: data.user_data }) });
      } else {
        fail(ws, 4009, 'Connection is unauthorized: invalid pusher:signin');
      }
    } else if (event === 'pusher:subscribe') {
      subscribe(ws, data || {});
    } else if (event === 'pusher:unsubscribe') {
      state.channels.delete(data && data.channel);
    } else if (event.startsWith('client-')) {
      clientEvent(ws, event, channel, data);
    } else {
      send(ws, { event: 'pusher:error', data: { code: null, message: `Unsupported event received on socket: ${event}` } });
    }
  });
});

const needsAuth = (channel) => channel.startsWith('private-') || channel.startsWith('presence-');

function subscribe(ws, data) {
  const channel = data.channel;
  if (typeof channel !== 'string' || channel === '') {
    send(ws, { event: 'pusher:error', data: { code: null, message: 'No channel given to pusher:subscribe' } });
    return;
  }
  if (needsAuth(channel) && data.auth !== 'good') {
    send(ws, {
      event: 'pusher:subscription_error',
      channel,
      data: { type: 'AuthError', error: `Invalid signature for ${channel}`, status: 401 },
    });
    return;
  }
  ws.pusher.channels.add(channel);
  send(ws, { event: 'pusher_internal:subscription_succeeded', channel, data: '{}' });
}

function serverEvent(channel, event, data) {
  for (const other of clients) {
    if (other.pusher.channels.has(channel)) send(other, { event, channel, data });
  }
}

function clientEvent(ws, event, channel, data) {
  if (typeof channel !== 'string' || !needsAuth(channel)) {
    send(ws, { event: 'pusher:error', data: { code: null, message: 'Client event rejected - only supported on private and presence channels' } });
    return;
  }
  if (!ws.pusher.channels.has(channel)) {
    send(ws, { event: 'pusher:error', data: { code: null, message: `Client event rejected - not subscribed to channel ${channel}` } });
    return;
  }
  if (event === 'client-trigger') {
    const d = data || {};
    serverEvent(d.channel, d.event || 'server-event', typeof d.raw === 'string' ? d.raw : JSON.stringify(d.data));
    return;
  }
  if (event === 'client-stats') {
    const { pings, pongs, channels } = ws.pusher;
    send(ws, { event: 'stats', channel, data: JSON.stringify({ pings, pongs, subscriptions: [...channels] }) });
    return;
  }
  if (event === 'client-close') {
    const code = Number(data && data.code);
    log(`closing with ${code} on request`);
    fail(ws, code);
    return;
  }
  for (const other of clients) {
    if (other !== ws && other.pusher.channels.has(channel)) send(other, { event, channel, data });
  }
}

server.listen(0, '127.0.0.1', () => {
  process.stdout.write(JSON.stringify({ port: server.address().port }) + '\n');
});

process.stdin.on('end', () => process.exit(0));
process.stdin.resume();
