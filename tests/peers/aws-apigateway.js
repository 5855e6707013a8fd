'use strict';
// An Amazon API Gateway WebSocket API, written from the API Gateway developer guide: a stage
// URL (/production), a $connect route with a REQUEST authorizer whose identity source is the
// Authorization query parameter, route selection by $request.body.action, API Gateway's own
// error frames ({"message": "Forbidden", ...} when no route matches and there is no $default
// route, "Internal server error" when an integration fails), the 10-minute idle timeout (only
// messages count, not WebSocket pings) and the 2-hour maximum connection duration, both ending
// with close 1001 "Going away", and the 128 KB message limit (close 1009).
//
// $connect authorizer: a missing Authorization or "bad" -> HTTP 401 {"message":"Unauthorized"}
// (the authorizer raised Unauthorized); "denied" -> HTTP 403 {"message":"Forbidden"} (a Deny
// policy); anything else is allowed.
// Routes (the application's integrations; there is no $default route), following tether's
// convention: a reply carries the request's requestId and its "data" or "error".
//   subscribe    {channel, requestId}: joins the channel; replies {"requestId","data":{"channel"}},
//                or an error for channels starting with "private-"
//   unsubscribe  {channel}: leaves it (no reply)
//   sendmessage  {channel, data, event?}: sends {"channel","data"(,"event")} to the channel's
//                members; with a requestId, replies {"data":{"delivered":N}}
//   ping         nothing (a mock integration without a route response): keeps the connection busy
//   echo         replies with the body less action and requestId as "data"
//   fail         replies {"error":{"message":"failed on purpose","code":400}}
//   never        no reply
//   crash        the integration fails: API Gateway's "Internal server error" frame
// Query parameters of the upgrade URL (test hooks): idle_ms (600000), max_ms (7200000).
const crypto = require('crypto');
const http = require('http');
const { WebSocketServer } = require('ws');

const log = (...args) => console.error('[aws-apigateway-peer]', ...args);
const STAGE = '/production';
const awsId = () => crypto.randomBytes(11).toString('base64');  // like "XDmENcnwIE0CFEQ="

const channels = new Map();  // channel -> Set of connections

function refuse(socket, status, text, errorType) {
  const body = JSON.stringify({ message: text });
  socket.end(`HTTP/1.1 ${status} ${text}\r\nContent-Type: application/json\r\n` +
    `Content-Length: ${Buffer.byteLength(body)}\r\nx-amzn-RequestId: ${crypto.randomUUID()}\r\n` +
    `x-amzn-ErrorType: ${errorType}\r\nConnection: close\r\n\r\n${body}`);
}

class Connection {
  constructor(ws, url) {
    this.ws = ws;
    this.id = awsId();
    this.channels = new Set();
    const number = (key, fallback) => Number(url.searchParams.get(key) || fallback);
    this.idleMs = number('idle_ms', 600000);
    this.idle = setTimeout(() => this.goAway('idle'), this.idleMs);
    this.max = setTimeout(() => this.goAway('maximum duration'), number('max_ms', 7200000));
    // ws closes the socket itself (1009 for a message over maxPayload); only log it here.
    ws.on('error', (e) => log(`${this.id}: ${e.message}`));
    ws.on('message', (data) => {
      this.active();
      this.route(data.toString());
    });
    ws.on('close', () => {
      clearTimeout(this.idle);
      clearTimeout(this.max);
      for (const channel of this.channels) channels.get(channel).delete(this);
    });
  }

  active() { this.idle.refresh(); }

  goAway(why) {
    log(`closing ${this.id}: ${why}`);
    this.ws.close(1001, 'Going away');
  }

  send(message) {
    if (this.ws.readyState !== this.ws.OPEN) return;
    this.active();
    this.ws.send(typeof message === 'string' ? message : JSON.stringify(message));
  }

  // API Gateway's own frames: note the spacing, which is API Gateway's.
  gatewayError(text) {
    this.send(`{"message": "${text}", "connectionId":"${this.id}", "requestId":"${awsId()}"}`);
  }

  route(text) {
    let body = null;
    try {
      body = JSON.parse(text);
    } catch (e) {
      body = null;
    }
    const action = body && typeof body === 'object' && typeof body.action === 'string' ? body.action : null;
    const integration = action !== null && Object.prototype.hasOwnProperty.call(ROUTES, action) ? ROUTES[action] : null;
    if (!integration) {
      this.gatewayError('Forbidden');  // no route for the key and no $default route
      return;
    }
    // An integration runs asynchronously; its route response (if any) comes back later.
    setImmediate(() => integration(this, body));
  }

  reply(body, fields) { this.send({ requestId: body.requestId, ...fields }); }
}

const ROUTES = {
  subscribe(connection, body) {
    const channel = body.channel;
    if (typeof channel !== 'string' || channel === '') {
      return connection.reply(body, { error: { message: 'channel is required', code: 400 } });
    }
    if (channel.startsWith('private-')) {
      return connection.reply(body, { error: { message: `not allowed to subscribe to ${channel}`, code: 403 } });
    }
    if (!channels.has(channel)) channels.set(channel, new Set());
    channels.get(channel).add(connection);
    connection.channels.add(channel);
    return connection.reply(body, { data: { channel } });
  },
  unsubscribe(connection, body) {
    if (channels.has(body.channel)) channels.get(body.channel).delete(connection);
    connection.channels.delete(body.channel);
  },
  sendmessage(connection, body) {
    const members = [...(channels.get(body.channel) || [])];
    const message = { channel: body.channel, data: body.data };
    if (typeof body.event === 'string') message.event = body.event;
    members.forEach((member) => member.send(message));
    if (body.requestId !== undefined) connection.reply(body, { data: { delivered: members.length } });
  },
  ping() {},
  echo(connection, body) {
    const { action, requestId, ...rest } = body;
    connection.reply(body, { data: rest });
  },
  fail(connection, body) { connection.reply(body, { error: { message: 'failed on purpose', code: 400 } }); },
  never() {},
  crash(connection) { connection.gatewayError('Internal server error'); },
};

const server = http.createServer((req, res) => {
  res.writeHead(426, { 'Content-Type': 'application/json' });
  res.end(JSON.stringify({ message: 'Upgrade Required' }));
});
const wss = new WebSocketServer({ noServer: true, maxPayload: 128 * 1024 });
server.on('upgrade', (req, socket, head) => {
  const url = new URL(req.url, 'http://localhost');
  if (url.pathname !== STAGE) return refuse(socket, 403, 'Forbidden', 'ForbiddenException');
  const token = url.searchParams.get('Authorization');
  if (!token || token === 'bad') return refuse(socket, 401, 'Unauthorized', 'UnauthorizedException');
  if (token === 'denied') return refuse(socket, 403, 'Forbidden', 'AccessDeniedException');
  wss.handleUpgrade(req, socket, head, (ws) => new Connection(ws, url));
});

server.listen(0, '127.0.0.1', () => {
  process.stdout.write(JSON.stringify({ port: server.address().port }) + '\n');
});
process.stdin.on('end', () => process.exit(0));
process.stdin.resume();
