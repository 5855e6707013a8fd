'use strict';
// A Rails Action Cable server, written from Action Cable's documented wire format and the
// behaviour of ActionCable::Connection::Base, Connection::Subscriptions and Channel::Base
// (Rails 7): subprotocol actioncable-v1-json, {"type":"welcome"} once the connection's `connect`
// accepted it, {"type":"ping","message":<unix time>} heartbeats, subscriptions named by their
// identifier (the JSON text of {"channel":..., ...params}) echoed on every confirmation,
// rejection and broadcast, and {"type":"disconnect","reason":..,"reconnect":..} before the
// server closes a connection. Like Rails it answers nothing to an unknown command, channel,
// identifier or action (it only logs them).
//
// The application on top (what a Rails app would define):
//   ApplicationCable::Connection#connect  the `token` query parameter identifies the user; a
//       missing token or "bad" is reject_unauthorized_connection
//   ChatChannel   subscribed: stream_from "chat_<room>", reject when params.room is "secret"
//       speak(data)     broadcasts {"room": room, "message": data.message} to chat_<room>
//       drop            (test hook) the socket is cut without a close frame
//       restart         what ActionCable.server.restart does: disconnect, reason server_restart,
//                       reconnect true
//       kick            what remote_connections.where(...).disconnect(reconnect: false) does:
//                       disconnect, reason remote, reconnect false
// Query parameters of the upgrade URL: token; ping_ms (heartbeat interval, 300 by default here,
// 3000 in Rails).
const http = require('http');
const { WebSocketServer } = require('ws');

const log = (...args) => console.error('[actioncable-peer]', ...args);
const PROTOCOLS = ['actioncable-v1-json', 'actioncable-unsupported'];

// stream name -> Set of {connection, identifier}
const streams = new Map();

function broadcast(stream, message) {
  for (const { connection, identifier } of streams.get(stream) || []) {
    connection.transmit({ identifier, message });
  }
}

class ChatChannel {
  constructor(connection, identifier, params) {
    Object.assign(this, { connection, identifier, params, streams: [], rejected: false });
  }

  subscribed() {
    if (this.params.room === 'secret') {
      this.rejected = true;
      return;
    }
    this.streamFrom(`chat_${this.params.room}`);
  }

  streamFrom(name) {
    if (!streams.has(name)) streams.set(name, new Set());
    const entry = { connection: this.connection, identifier: this.identifier };
    streams.get(name).add(entry);
    this.streams.push([name, entry]);
  }

  stopAllStreams() {
    for (const [name, entry] of this.streams) streams.get(name).delete(entry);
    this.streams = [];
  }

  speak(data) { broadcast(`chat_${this.params.room}`, { room: this.params.room, message: data.message }); }
  drop() { this.connection.ws.terminate(); }
  restart() { this.connection.close('server_restart', true); }
  kick() { this.connection.close('remote', false); }
}
ChatChannel.actions = ['speak', 'drop', 'restart', 'kick'];

const CHANNELS = { ChatChannel };

class Connection {
  constructor(ws, url) {
    this.ws = ws;
    this.subscriptions = new Map();  // identifier -> channel instance
    ws.on('error', (e) => log('WebSocket error occurred:', e.message));
    const token = url.searchParams.get('token');
    if (!token || token === 'bad') {
      // reject_unauthorized_connection: handle_open rescues UnauthorizedError with close().
      this.close('unauthorized', false);
      return;
    }
    this.transmit({ type: 'welcome' });
    const pingMs = Number(url.searchParams.get('ping_ms') || 300);
    this.beat = setInterval(() => this.transmit({ type: 'ping', message: Math.floor(Date.now() / 1000) }), pingMs);
    ws.on('message', (data) => this.receive(data.toString()));
    ws.on('close', () => this.closed());
  }

  transmit(message) {
    if (this.ws.readyState === this.ws.OPEN) this.ws.send(JSON.stringify(message));
  }

  close(reason, reconnect) {
    this.transmit({ type: 'disconnect', reason, reconnect });
    this.ws.close(1000);  // faye-websocket's default code
  }

  closed() {
    clearInterval(this.beat);
    for (const channel of this.subscriptions.values()) channel.stopAllStreams();
    this.subscriptions.clear();
  }

  receive(text) {
    let data;
    try {
      data = JSON.parse(text);
    } catch (e) {
      log('Could not execute command from', text, e.message);
      return;
    }
    switch (data.command) {
      case 'subscribe': return this.add(data);
      case 'unsubscribe': return this.remove(data);
      case 'message': return this.performAction(data);
      default: log('Received unrecognized command in', text);
    }
  }

  add(data) {
    const identifier = data.identifier;
    let params;
    try {
      params = JSON.parse(identifier);
    } catch (e) {
      log('Could not execute command: bad identifier', identifier);
      return;
    }
    if (this.subscriptions.has(identifier)) return;
    const Klass = Object.prototype.hasOwnProperty.call(CHANNELS, params.channel) ? CHANNELS[params.channel] : null;
    if (!Klass) {
      log('Subscription class not found:', params.channel);
      return;
    }
    const channel = new Klass(this, identifier, params);
    this.subscriptions.set(identifier, channel);
    channel.subscribed();
    if (channel.rejected) {
      channel.stopAllStreams();
      this.subscriptions.delete(identifier);
      this.transmit({ identifier, type: 'reject_subscription' });
    } else {
      this.transmit({ identifier, type: 'confirm_subscription' });
    }
  }

  find(data) {
    const channel = this.subscriptions.get(data.identifier);
    if (!channel) log('Unable to find subscription with identifier:', data.identifier);
    return channel;
  }

  remove(data) {
    const channel = this.find(data);
    if (!channel) return;
    channel.stopAllStreams();
    this.subscriptions.delete(data.identifier);
  }

  performAction(data) {
    const channel = this.find(data);
    if (!channel) return;
    let payload;
    try {
      payload = JSON.parse(data.data);
    } catch (e) {
      log('Could not execute command: data is not JSON', data.data);
      return;
    }
    const action = payload && payload.action;
    if (!channel.constructor.actions.includes(action)) {
      log(`Unable to process ${channel.constructor.name}#${action}`);
      return;
    }
    channel[action](payload);
  }
}

const server = http.createServer((req, res) => {
  res.writeHead(404, { 'Content-Type': 'text/plain; charset=utf-8' });
  res.end('Page not found');
});
// websocket-driver picks the first protocol the client offers that the server supports.
const wss = new WebSocketServer({
  noServer: true,
  handleProtocols: (offered) => [...offered].find((p) => PROTOCOLS.includes(p)) || false,
});
server.on('upgrade', (req, socket, head) => {
  const url = new URL(req.url, 'http://localhost');
  if (url.pathname !== '/cable') {
    socket.end('HTTP/1.1 404 Not Found\r\nContent-Type: text/plain; charset=utf-8\r\nContent-Length: 14\r\n\r\nPage not found');
    return;
  }
  wss.handleUpgrade(req, socket, head, (ws) => new Connection(ws, url));
});

server.listen(0, '127.0.0.1', () => {
  process.stdout.write(JSON.stringify({ port: server.address().port }) + '\n');
});
process.stdin.on('end', () => process.exit(0));
process.stdin.resume();
