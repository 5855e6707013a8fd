// A Phoenix Channels server (socket at /socket/websocket, V2 JSON serializer) written from the
// Phoenix documentation and the framework's Phoenix.Socket / Phoenix.Channel behaviour, for the
// phoenix protocol tests. Frames are what a Phoenix 1.7 endpoint sends:
//   reply      [join_ref, ref, topic, "phx_reply", {"status": "ok"|"error", "response": {...}}]
//   push       [join_ref, null, topic, event, payload]      (push/3 to one client)
//   broadcast  [null, null, topic, event, payload]          (broadcast!/3, fastlaned)
//   channel exit  [join_ref, join_ref, topic, "phx_error"|"phx_close", {}]
//
// The socket (UserSocket.connect/3): ?token=... is required and "bad" is refused, as is a vsn
// other than 2.0.0: a refused connect is the upgrade's HTTP 403, as Phoenix answers it.
// ?idle_ms=N: the transport's idle timeout (Phoenix's `timeout`, 60 s by default): a socket that
// receives nothing (no message, no WebSocket ping) for N ms is closed with 1000.
//
// The channel "room:*" (RoomChannel):
//   join      params accepted; "room:secret" refused with {"reason": "unauthorized"};
//             params {"welcome": true} make the channel push "welcome" {topic, params} after
//             the join (an after_join push)
//   new_msg   broadcast!("new_msg", payload) to every client joined to the topic, no reply
//   ping      {:reply, {:ok, payload}}
//   add       {"a","b"} numbers -> {:reply, {:ok, {"sum"}}}; else {:error, {"reason"}}
//   whoami    {:reply, {:ok, {"user_id": "user-<token>"}}}
//   stats     {:reply, {:ok, {"heartbeats": N}}}: heartbeats received on this socket
//   shout     push("shout", payload) to this client only
//   never     {:noreply}: a request that is never answered
//   kick      {:stop, :normal}: the channel ends -> phx_close
//   crash     the channel process crashes -> phx_error
//   drop      the endpoint drops every connection (a lost network, for reconnect tests)
//   anything else crashes the channel (no handle_in clause) -> phx_error
// Pushes whose join_ref is not the topic's current join are dropped (Phoenix 1.7 ignores stale
// pushes), and pushes to a topic that is not joined get {"reason": "unmatched topic"}.
//
// Prints {"port":N} once listening on 127.0.0.1; logs to stderr; exits when stdin ends.
'use strict';

const http = require('http');
const { WebSocketServer } = require('ws');

const log = (...args) => console.error('[phoenix peer]', ...args);

const sockets = new Set();
const wss = new WebSocketServer({ noServer: true });

const server = http.createServer((req, res) => {
  res.writeHead(404, { 'content-type': 'text/plain' });
  res.end('not found\n');
});

function refuse(socket, status, text) {
  socket.write(`HTTP/1.1 ${status} ${text}\r\ncontent-length: 0\r\nconnection: close\r\n\r\n`);
  socket.destroy();
}

server.on('upgrade', (req, socket, head) => {
  const url = new URL(req.url, 'http://localhost');
  if (url.pathname !== '/socket/websocket') return refuse(socket, 404, 'Not Found');
  const vsn = url.searchParams.get('vsn');
  const token = url.searchParams.get('token');
  if (vsn !== '2.0.0') {
    log(`refused: vsn ${vsn} (this endpoint speaks only 2.0.0)`);
    return refuse(socket, 403, 'Forbidden');
  }
  if (!token || token === 'bad') {
    log('refused: connect/3 returned :error for the token');
    return refuse(socket, 403, 'Forbidden');
  }
  const idleMs = Number(url.searchParams.get('idle_ms') || 60000);
  wss.handleUpgrade(req, socket, head, (ws) => accept(ws, { token, idleMs }));
});

const send = (ws, message) => {
  if (ws.readyState === ws.OPEN) ws.send(JSON.stringify(message));
};

const reply = (ws, joinRef, ref, topic, status, response) =>
  send(ws, [joinRef, ref, topic, 'phx_reply', { status, response }]);

function accept(ws, { token, idleMs }) {
  const state = { token, heartbeats: 0, joins: new Map() };  // topic -> join_ref
  ws.phoenix = state;
  sockets.add(ws);

  let idle = null;
  const touch = () => {
    clearTimeout(idle);
    idle = setTimeout(() => {
      log(`idle for ${idleMs} ms: closing`);
      ws.close(1000);
    }, idleMs);
  };
  touch();
  ws.on('ping', touch);
  ws.on('close', () => {
    clearTimeout(idle);
    sockets.delete(ws);
  });

  ws.on('message', (data, isBinary) => {
    touch();
    let message;
    try {
      message = isBinary ? null : JSON.parse(data.toString());
    } catch (e) {
      message = null;
    }
    if (!Array.isArray(message) || message.length !== 5) {
      log('not a V2 message, closing:', data.toString().slice(0, 200));
      ws.close(1011);  // the serializer's decode! raises: the socket process exits
      return;
    }
    const [joinRef, ref, topic, event, payload] = message;
    if (topic === 'phoenix' && event === 'heartbeat') {
      state.heartbeats += 1;
      reply(ws, null, ref, 'phoenix', 'ok', {});
      return;
    }
    if (event === 'phx_join') return join(ws, joinRef, ref, topic, payload);
    const current = state.joins.get(topic);
    if (current === undefined) {
      reply(ws, null, ref, topic, 'error', { reason: 'unmatched topic' });
      return;
    }
    if (joinRef !== current) {
      log(`stale push to ${topic} (join_ref ${joinRef}, current ${current}): ignored`);
      return;
    }
    handleIn(ws, current, ref, topic, event, payload);
  });
}

function join(ws, joinRef, ref, topic, params) {
  const { joins } = ws.phoenix;
  if (!topic.startsWith('room:')) {
    reply(ws, null, ref, topic, 'error', { reason: 'unmatched topic' });
    return;
  }
  if (joins.has(topic)) {
    // A duplicate join closes the existing channel first.
    send(ws, [joins.get(topic), joins.get(topic), topic, 'phx_close', {}]);
    joins.delete(topic);
  }
  if (topic === 'room:secret') {
    reply(ws, joinRef, ref, topic, 'error', { reason: 'unauthorized' });
    return;
  }
  joins.set(topic, joinRef);
  reply(ws, joinRef, ref, topic, 'ok', {});
  if (params && params.welcome === true) {
    send(ws, [joinRef, null, topic, 'welcome', { topic, params }]);
  }
}

function channelExit(ws, joinRef, topic, event) {
  ws.phoenix.joins.delete(topic);
  send(ws, [joinRef, joinRef, topic, event, {}]);
}

function handleIn(ws, joinRef, ref, topic, event, payload) {
  switch (event) {
    case 'phx_leave':
      reply(ws, joinRef, ref, topic, 'ok', {});
      channelExit(ws, joinRef, topic, 'phx_close');
      return;
    case 'new_msg':
      for (const other of sockets) {
        if (other.phoenix.joins.has(topic)) send(other, [null, null, topic, 'new_msg', payload]);
      }
      return;
    case 'ping':
      reply(ws, joinRef, ref, topic, 'ok', payload);
      return;
    case 'add': {
      const a = payload && payload.a;
      const b = payload && payload.b;
      if (typeof a !== 'number' || typeof b !== 'number') {
        reply(ws, joinRef, ref, topic, 'error', { reason: 'a and b must be numbers' });
      } else {
        reply(ws, joinRef, ref, topic, 'ok', { sum: a + b });
      }
      return;
    }
    case 'whoami':
      reply(ws, joinRef, ref, topic, 'ok', { user_id: `user-${ws.phoenix.token}` });
      return;
    case 'stats':
      reply(ws, joinRef, ref, topic, 'ok', { heartbeats: ws.phoenix.heartbeats });
      return;
    case 'shout':
      send(ws, [joinRef, null, topic, 'shout', payload]);
      return;
    case 'never':
      return;
    case 'kick':
      channelExit(ws, joinRef, topic, 'phx_close');
      return;
    case 'drop':
      log('dropping every connection');
      for (const other of sockets) other.terminate();
      return;
    case 'crash':
    default:
      log(`${topic}: ${event} crashes the channel`);
      channelExit(ws, joinRef, topic, 'phx_error');
  }
}

server.listen(0, '127.0.0.1', () => {
  process.stdout.write(JSON.stringify({ port: server.address().port }) + '\n');
});

process.stdin.on('end', () => process.exit(0));
process.stdin.resume();
