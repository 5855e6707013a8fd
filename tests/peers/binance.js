'use strict';
// Binance market data streams, written from Binance's "WebSocket Streams" documentation:
// raw streams at /ws and /ws/<stream>, combined streams at /stream and
// /stream?streams=<a>/<b> ({"stream":<name>,"data":<raw payload>}), live SUBSCRIBE /
// UNSUBSCRIBE / LIST_SUBSCRIPTIONS / SET_PROPERTY / GET_PROPERTY with the documented answers
// and error messages, WebSocket pings from the server with a deadline for the pong, and the
// serverShutdown event.
//
// Streams: any well-formed stream name is accepted (Binance validates the syntax, not whether
// the symbol trades); <symbol>@trade, @aggTrade and @bookTicker of btcusdt, ethusdt and bnbbtc
// tick every tick_ms.
// Query parameters of the upgrade URL (the test hooks; real values in brackets):
//   ping_ms=200 [20000]            WebSocket ping interval
//   pong_timeout_ms=1000 [60000]   a connection whose ping has no pong by then is terminated
//   tick_ms=50                     interval of the ticking streams
//   lifetime_ms                    the connection is closed when it is this old [24 h]
//   drop_after_ms                  the socket is cut (no close frame) this long after the upgrade
//   shutdown_after_ms              {"e":"serverShutdown"} is sent this long after the upgrade;
//                                  the server closes the connection 2 s later
//   answer_delay_ms                answers to requests are this late (a slow server)
// Not modelled: the limit of 5 incoming messages per second and of 300 connections per 5 min.
const http = require('http');
const { WebSocketServer } = require('ws');

const log = (...args) => console.error('[binance-peer]', ...args);

const METHODS = ['SUBSCRIBE', 'UNSUBSCRIBE', 'LIST_SUBSCRIPTIONS', 'SET_PROPERTY', 'GET_PROPERTY'];
const MAX_STREAMS = 1024;
const TICKING = new Set(['btcusdt', 'ethusdt', 'bnbbtc']);
const INTERVALS = '1s|1m|3m|5m|15m|30m|1h|2h|4h|6h|8h|12h|1d|3d|1w|1M';
const STREAM_NAME = new RegExp(
  '^(?:[a-z0-9]+@(?:trade|aggTrade|bookTicker|miniTicker|ticker|ticker_(?:1h|4h|1d)|avgPrice|' +
    `depth(?:5|10|20)?(?:@100ms)?|kline_(?:${INTERVALS}))` +
    '|!(?:miniTicker|ticker|ticker_(?:1h|4h|1d))@arr)$');

const error = (code, msg) => ({ code, msg });
const invalid = (what) => error(2, `Invalid request: ${what}`);

class Connection {
  constructor(ws, url, path) {
    this.ws = ws;
    this.combined = path.startsWith('/stream');
    this.streams = new Set();
    this.sequence = 1;
    const initial = path.startsWith('/ws/') ? [path.slice(4)] : (url.searchParams.get('streams') || '').split('/');
    for (const name of initial) if (STREAM_NAME.test(name)) this.streams.add(name);

    const number = (key, fallback) => Number(url.searchParams.get(key) || fallback);
    this.answerDelay = number('answer_delay_ms', 0);
    const timers = [];
    timers.push(setInterval(() => this.tick(), number('tick_ms', 50)));
    this.pongDue = 0;  // when the outstanding ping's pong is late; 0: none outstanding
    const pongTimeout = number('pong_timeout_ms', 1000);
    timers.push(setInterval(() => {
      if (this.pongDue && Date.now() > this.pongDue) {
        log('no pong in time: terminating');
        ws.terminate();
        return;
      }
      if (!this.pongDue) this.pongDue = Date.now() + pongTimeout;
      ws.ping();
    }, number('ping_ms', 200)));
    ws.on('pong', () => { this.pongDue = 0; });
    ws.on('error', (e) => log(e.message));
    const after = (key, action) => {
      if (url.searchParams.has(key)) timers.push(setTimeout(action, number(key, 0)));
    };
    after('lifetime_ms', () => ws.close(1000));
    after('drop_after_ms', () => ws.terminate());
    after('shutdown_after_ms', () => {
      this.send('!serverShutdown', { e: 'serverShutdown', E: Date.now() });
      timers.push(setTimeout(() => ws.close(1000), 2000));
    });
    ws.on('close', () => timers.forEach((t) => clearTimeout(t)));
    ws.on('message', (data, binary) => this.receive(data.toString(), binary));
  }

  // A stream event: wrapped when the combined property is on.
  send(stream, data) {
    if (this.ws.readyState !== this.ws.OPEN) return;
    this.ws.send(JSON.stringify(this.combined ? { stream, data } : data));
  }

  answer(id, body) {
    const text = JSON.stringify({ ...body, id });
    const send = () => { if (this.ws.readyState === this.ws.OPEN) this.ws.send(text); };
    if (this.answerDelay > 0) setTimeout(send, this.answerDelay);
    else send();
  }

  tick() {
    const now = Date.now();
    for (const stream of this.streams) {
      const [symbol, kind] = stream.split('@');
      if (!TICKING.has(symbol)) continue;
      const n = this.sequence++;
      const S = symbol.toUpperCase();
      const price = (100 + (n % 50) / 10).toFixed(8);
      if (kind === 'trade') {
        this.send(stream, { e: 'trade', E: now, s: S, t: n, p: price, q: '0.01000000', T: now, m: n % 2 === 0, M: true });
      } else if (kind === 'aggTrade') {
        this.send(stream, { e: 'aggTrade', E: now, s: S, a: n, p: price, q: '0.01000000', f: n, l: n, T: now, m: true, M: true });
      } else if (kind === 'bookTicker') {
        this.send(stream, { u: n, s: S, b: price, B: '1.00000000', a: price, A: '2.00000000' });
      }
    }
  }

  receive(text, binary) {
    let request;
    try {
      request = JSON.parse(text);
    } catch (e) {
      return this.answer(null, { error: error(3, 'Invalid JSON: expected value at line 1 column 1') });
    }
    if (binary || request === null || typeof request !== 'object' || Array.isArray(request)) {
      return this.answer(null, { error: invalid(`invalid type: expected struct Request at line 1 column ${text.length}`) });
    }
    const { id, method } = request;
    const idOk = id === null || (Number.isSafeInteger(id)) || (typeof id === 'string' && /^[A-Za-z0-9-]{1,36}$/.test(id));
    if (!('id' in request) || !idOk) return this.answer(null, { error: invalid('request ID must be an unsigned integer') });
    if (method === undefined) {
      return this.answer(id, { error: invalid(`missing field \`method\` at line 1 column ${text.length}`) });
    }
    if (!METHODS.includes(method)) {
      const column = text.indexOf(JSON.stringify(method)) + JSON.stringify(method).length;
      const expected = METHODS.map((m) => `\`${m}\``).join(', ');
      return this.answer(id, {
        error: invalid(`unknown variant \`${method}\`, expected one of ${expected} at line 1 column ${column}`),
      });
    }
    const params = request.params === undefined ? [] : request.params;
    if (!Array.isArray(params)) return this.answer(id, { error: invalid('invalid type: expected a sequence') });
    const result = this[method](params);
    this.answer(id, result && result.error ? result : { result: result === undefined ? null : result.value });
  }

  SUBSCRIBE(params) {
    if (params.some((s) => typeof s !== 'string' || !STREAM_NAME.test(s))) return { error: invalid('invalid stream') };
    if (new Set([...this.streams, ...params]).size > MAX_STREAMS) return { error: error(4, 'Too many subscriptions') };
    params.forEach((s) => this.streams.add(s));
    return undefined;
  }

  UNSUBSCRIBE(params) {
    if (params.some((s) => typeof s !== 'string' || !STREAM_NAME.test(s))) return { error: invalid('invalid stream') };
    params.forEach((s) => this.streams.delete(s));
    return undefined;
  }

  LIST_SUBSCRIPTIONS(params) {
    if (params.length > 0) return { error: invalid('too many parameters') };
    return { value: [...this.streams] };
  }

  SET_PROPERTY(params) {
    if (params.length > 2) return { error: invalid('too many parameters') };
    const [name, value] = params;
    if (typeof name !== 'string') return { error: invalid('property name must be a string') };
    if (name !== 'combined') return { error: error(0, 'Unknown property') };
    if (typeof value !== 'boolean') return { error: error(1, 'Invalid value type: expected Boolean') };
    this.combined = value;
    return undefined;
  }

  GET_PROPERTY(params) {
    if (params.length > 1) return { error: invalid('too many parameters') };
    const [name] = params;
    if (typeof name !== 'string') return { error: invalid('property name must be a string') };
    if (name !== 'combined') return { error: error(0, 'Unknown property') };
    return { value: this.combined };
  }
}

const server = http.createServer((req, res) => {
  res.writeHead(404);
  res.end();
});
const wss = new WebSocketServer({ noServer: true });
server.on('upgrade', (req, socket, head) => {
  const url = new URL(req.url, 'http://localhost');
  const path = url.pathname;
  if (!(path === '/ws' || path.startsWith('/ws/') || path === '/stream' || path === '/stream/')) {
    socket.end('HTTP/1.1 404 Not Found\r\nContent-Length: 0\r\n\r\n');
    return;
  }
  wss.handleUpgrade(req, socket, head, (ws) => new Connection(ws, url, path));
});

server.listen(0, '127.0.0.1', () => {
  process.stdout.write(JSON.stringify({ port: server.address().port }) + '\n');
});
process.stdin.on('end', () => process.exit(0));
process.stdin.resume();
