'use strict';
// The Node face of tether: `Client` (EventEmitter + Promises + async iteration) over the addon,
// the specification's `WebSocketHandshakeExecutor` over `Client`, and the specification's
// `WebSocketConnectionManager` over Client's channel / request methods (the C ABI's manager).
const { EventEmitter } = require('node:events');
const native = require('../native/tether.node');

// ---- statuses and errors ------------------------------------------------------------------

/** status number -> { name: 'TETHER_E_QUEUE_FULL', text: 'outgoing queue full' } */
const STATUS_INFO = new Map();
/** Status.QUEUE_FULL === -7, Status.OK === 0 */
const Status = {};
for (const [code, name, text] of native.statuses()) {
  STATUS_INFO.set(code, { name, text });
  Status[name.replace(/^TETHER_(E_)?/, '')] = code;
}
Object.freeze(Status);

class TetherError extends Error {
  /**
   * @param {number} status a tether status (negative)
   * @param {string} [message] detail; defaults to the status text
   */
  constructor(status, message) {
    const info = STATUS_INFO.get(status) || { name: 'TETHER_E_UNKNOWN', text: 'unknown status' };
    super(message || info.text);
    this.name = 'TetherError';
    /** The status name, e.g. 'TETHER_E_QUEUE_FULL'. */
    this.code = info.name;
    /** The numeric tether_status, e.g. -7. */
    this.status = status;
  }
}

/** The error for a failed native call, with tether_last_error_message() of this thread. */
function lastError(status) {
  return new TetherError(status, native.lastError() || undefined);
}

function argumentError(message) {
  return new TetherError(Status.INVALID_ARGUMENT, message);
}

/** The error of a failed RESPONSE or a SUBSCRIBE_FAILED event; the server's error JSON, parsed,
 * goes on err.remote. */
function remoteError(ev) {
  const err = new TetherError(ev.status, ev.message || undefined);
  if (ev.data) err.remote = parseJson(ev.data);
  return err;
}

// ---- states and events --------------------------------------------------------------------

const STATE_NAMES = Object.freeze(native.stateNames());
const STATE = Object.freeze(Object.fromEntries(STATE_NAMES.map((n, i) => [n, i])));
const EV = Object.freeze({
  OPEN: 1, MESSAGE: 2, CLOSE: 3, ERROR: 4, STATE: 5, RECONNECT: 6, SENT: 7, SEND_FAILED: 8, DRAINED: 9,
  CHANNEL_MESSAGE: 10, RESPONSE: 11, SUBSCRIBED: 12, SUBSCRIBE_FAILED: 13,
});

/** JSON text of a value for the wire, or a TetherError naming what. undefined -> null. */
function toJson(value, what) {
  if (value === undefined) return null;
  let json;
  try {
    json = JSON.stringify(value);
  } catch (err) {
    throw argumentError(`${what} cannot be serialized as JSON: ${err.message}`);
  }
  if (json === undefined) throw argumentError(`${what} is not JSON-serializable (${describe(value)})`);
  return json;
}

function parseJson(text) {
  if (text === '' || text === undefined) return null;
  try {
    return JSON.parse(text);
  } catch {
    return text;
  }
}
const MESSAGE_TYPE = Object.freeze({ DEFAULT: 0, TEXT: 1, BINARY: 2 });

// ---- options ------------------------------------------------------------------------------

const SCHEMA = Object.freeze(JSON.parse(native.schema()));
const FIELDS = new Map(SCHEMA.map((f) => [f.name, f]));
const KNOWN_KEYS = SCHEMA.map((f) => f.name).join(', ');
/** Options that are a JSON object of strings on the C side and a plain object in JavaScript. */
const STRING_MAP_FIELDS = new Set(['headers', 'queryParams']);

function describe(value) {
  if (value === null) return 'null';
  if (Array.isArray(value)) return 'an array';
  return typeof value === 'string' ? `the string ${JSON.stringify(value)}` : `a ${typeof value}`;
}

/**
 * Checks the JavaScript types of client options / spec credentials and turns them into the JSON
 * document tether_options_set_json() takes. Values (ranges, URLs, allowed choices) are then checked
 * by tether itself, whose message names the key.
 */
function optionsToJson(options, what) {
  if (options === null || typeof options !== 'object' || Array.isArray(options)) {
    throw argumentError(`${what} must be an object like { url: 'wss://...' }, got ${describe(options)}`);
  }
  const out = {};
  for (const [key, value] of Object.entries(options)) {
    if (value === undefined) continue; // e.g. authToken: process.env.WS_TOKEN when unset
    const field = FIELDS.get(key);
    if (!field) {
      throw new TetherError(Status.UNKNOWN_OPTION, `unknown ${what} field "${key}"; known fields: ${KNOWN_KEYS}`);
    }
    const bad = (expected) =>
      new TetherError(Status.BAD_OPTION_VALUE, `${what} field "${key}" must be ${expected}, got ${describe(value)}`);
    switch (field.type) {
      case 'number':
        if (typeof value !== 'number' || !Number.isSafeInteger(value)) throw bad('an integer number');
        out[key] = value;
        break;
      case 'boolean':
        if (typeof value !== 'boolean') throw bad('true or false');
        out[key] = value;
        break;
      case 'json': {
        // headers, queryParams: an object of strings; authMessageTemplate: text (need not be JSON).
        const stringMap = STRING_MAP_FIELDS.has(key);
        if (stringMap && value !== null && typeof value === 'object' && !Array.isArray(value)) {
          for (const [name, v] of Object.entries(value)) {
            if (typeof v !== 'string') throw bad(`an object of string values ("${name}" is ${describe(v)})`);
          }
          out[key] = JSON.stringify(value);
        } else if (typeof value === 'string') {
          out[key] = value;
        } else if (!stringMap && value !== null && typeof value === 'object') {
          out[key] = JSON.stringify(value);
        } else {
          throw bad(stringMap ? 'an object of string values' : 'a string');
        }
        break;
      }
      default:
        if (key === 'subprotocols' && Array.isArray(value) && value.every((s) => typeof s === 'string')) {
          out[key] = value.join(',');
        } else if (typeof value !== 'string') {
          throw bad(key === 'subprotocols' ? 'a comma-separated string or an array of strings' : 'a string');
        } else {
          out[key] = value;
        }
    }
  }
  if (typeof out.url !== 'string' || out.url === '') {
    throw new TetherError(Status.BAD_OPTION_VALUE, `${what} field "url" is required (ws:// or wss://)`);
  }
  return JSON.stringify(out);
}

// ---- the client ---------------------------------------------------------------------------

const kDispatch = Symbol('tether.dispatch');
const kResume = Symbol('tether.resume');
const ITERATOR_HIGH_WATER = 1024; // buffered messages per iterator before reading pauses
const ITERATOR_LOW_WATER = 256;
const DEFAULT_REQUEST_TIMEOUT = 30000;

// Called by the addon with each event, in order: a message as its data alone (a string for
// text, a Buffer for binary, so that no object is made per message), any other event as an
// object with a `type`. Module-level on purpose: the addon's threadsafe function holds it
// strongly, and it must not keep any client alive.
function dispatch(client, event) {
  client[kDispatch](event);
}

// The second argument of every 'message' event: shared and frozen rather than one per message.
const TEXT_INFO = Object.freeze({ binary: false });
const BINARY_INFO = Object.freeze({ binary: true });

function noop() {}

/** What a collection that was never made iterates as. */
const NONE = Object.freeze([]);

class MessageIterator {
  constructor(client, onDone) {
    this.client = client;
    this.onDone = onDone;
    this.buffer = [];
    this.waiter = null;
    this.done = false;
    this.error = null;
  }

  push(value) {
    if (this.done) return;
    if (this.waiter) {
      const { resolve } = this.waiter;
      this.waiter = null;
      resolve({ value, done: false });
    } else {
      this.buffer.push(value);
    }
  }

  end(error) {
    if (this.done) return;
    this.done = true;
    this.error = error || null;
    if (this.waiter) {
      const { resolve, reject } = this.waiter;
      this.waiter = null;
      if (this.error && this.buffer.length === 0) reject(this.error);
      else resolve({ value: undefined, done: true });
    }
  }

  next() {
    if (this.buffer.length > 0) {
      const value = this.buffer.shift();
      if (this.buffer.length === ITERATOR_LOW_WATER) this.client[kResume]();
      return Promise.resolve({ value, done: false });
    }
    if (this.done) {
      this.onDone(this);
      if (this.error) {
        const err = this.error;
        this.error = null;
        return Promise.reject(err);
      }
      return Promise.resolve({ value: undefined, done: true });
    }
    return new Promise((resolve, reject) => {
      this.waiter = { resolve, reject };
    });
  }

  return() {
    this.done = true;
    this.buffer = [];
    this.onDone(this);
    return Promise.resolve({ value: undefined, done: true });
  }

  [Symbol.asyncIterator]() {
    return this;
  }
}

class Client extends EventEmitter {
  #format;
  #destroyed = false;
  #nextId = 1;
  // The three collections below are made on first use: most clients of a large fleet never track a
  // send, make a request or iterate, and empty ones cost ~2 KiB per client (benchmark conns case).
  #pendingSends = null; // id -> { resolve, reject }
  #pendingRequests = null; // id -> { resolve, reject }
  #connectWaiters = []; // { resolve, reject, armed }
  #closeWaiters = [];
  #iterators = null;
  #paused = false;
  #closing = false; // close() was called since the last connect()
  #lastError = null;
  #protocol = '';

  /**
   * @param {object} options tether options (the spec's credentials and tether's extra keys)
   */
  constructor(options) {
    super();
    const json = optionsToJson(options, 'options');
    this.#format = options.messageFormat || 'json';
    const st = native.create(this, json, dispatch);
    if (st !== 0) throw lastError(st);
  }

  /** The state as the specification names it: 'disconnected', 'connecting', ... */
  get state() {
    return STATE_NAMES[native.state(this)] || 'disconnected';
  }

  /** The subprotocol the server chose on the last open ('' when none). */
  get protocol() {
    return this.#protocol;
  }

  /** Bytes waiting in the outgoing queue (the spec's bufferedAmount). */
  get bufferedAmount() {
    return native.buffered(this)[1];
  }

  /** Messages waiting in the outgoing queue. */
  get bufferedMessages() {
    return native.buffered(this)[0];
  }

  get destroyed() {
    return this.#destroyed;
  }

  /** A snapshot of the statistics (messagesSent, messagesReceived, latencyMs, ...). */
  stats() {
    const json = native.stats(this);
    return json ? JSON.parse(json) : null;
  }

  /**
   * Connects (and keeps reconnecting per the options). Resolves once the client is ready
   * (authenticated); rejects with a TetherError when it ends disconnected or in error first.
   * While connecting or open the client keeps the process alive.
   */
  connect() {
    this.#assertUsable();
    const state = native.state(this);
    if (state === STATE.authenticated) return Promise.resolve();
    // A waiter is armed by the 'connecting' state that its own attempt reports (or at once when
    // an attempt is already running), so that events of an earlier session still waiting to be
    // dispatched cannot settle it.
    const armed = state !== STATE.disconnected && state !== STATE.error;
    const promise = new Promise((resolve, reject) => {
      this.#connectWaiters.push({ resolve, reject, armed });
    });
    if (state === STATE.disconnected || state === STATE.error) {
      this.#lastError = null;
      this.#closing = false;
      const st = native.connect(this);
      if (st !== 0 && st !== Status.BAD_STATE) {
        const err = lastError(st);
        this.#connectWaiters.pop();
        throw err;
      }
    }
    return promise;
  }

  /**
   * Queues one message; it is sent in order once the client is ready.
   *  - string: a text frame (with messageFormat 'json' it must hold JSON);
   *  - Buffer, TypedArray, DataView, ArrayBuffer: a binary frame;
   *  - any other value: JSON.stringify'd into a text frame.
   * Throws a TetherError at once when the message is not accepted (bad data, queue full, closed).
   * The returned Promise resolves once the message is written to the socket and rejects if it
   * never will be (e.g. the client gave up or was closed first). Ignoring it is safe.
   */
  send(data) {
    const id = this.#nextId++;
    this.#queue(data, id);
    const promise = new Promise((resolve, reject) => {
      (this.#pendingSends ??= new Map()).set(id, { resolve, reject });
    });
    promise.catch(noop); // fire-and-forget sends must not become unhandled rejections
    return promise;
  }

  /**
   * Subscribes to a channel (needs a protocol other than 'raw', set with `protocol` or a
   * `provider` preset). What a channel is depends on the protocol: a channel name (json,
   * phoenix, pusher, ...), an event name (socketio), a hub method (signalr), a subscription
   * document (graphql-*). Returns the subscription id at once; the channel's messages arrive as
   * 'channelMessage' (payload, { subscription, channel, event }) events, then 'subscribed' or
   * 'subscribeFailed' follows when the server answers. Subscriptions live across reconnects
   * (tether re-subscribes after every reconnect).
   */
  subscribe(channel, params) {
    this.#assertUsable();
    if (typeof channel !== 'string' || channel === '') {
      throw argumentError(`subscribe(): channel must be a non-empty string, got ${describe(channel)}`);
    }
    const r = native.subscribe(this, channel, toJson(params, 'subscribe(): params'));
    if (r < 0) throw lastError(r);
    return r;
  }

  /** Ends a subscription; throws TETHER_E_INVALID_ARGUMENT for an id that is not live. */
  unsubscribe(subscription) {
    if (!Number.isSafeInteger(subscription) || subscription <= 0) {
      throw argumentError(`unsubscribe() takes a subscription id, got ${describe(subscription)}`);
    }
    if (this.#destroyed) return;
    const st = native.unsubscribe(this, subscription);
    if (st !== 0) throw lastError(st);
  }

  /**
   * Publishes a JSON value to a channel, queued in order with send(). Throws at once when it is
   * not accepted; the Promise resolves once written to the socket (ignoring it is safe).
   */
  publish(channel, payload) {
    this.#assertUsable();
    if (typeof channel !== 'string' || channel === '') {
      throw argumentError(`publish(): channel must be a non-empty string, got ${describe(channel)}`);
    }
    const json = toJson(payload === undefined ? null : payload, 'publish(): payload');
    const id = this.#nextId++;
    const st = native.publish(this, channel, json, id);
    if (st !== 0) throw lastError(st);
    const promise = new Promise((resolve, reject) => {
      (this.#pendingSends ??= new Map()).set(id, { resolve, reject });
    });
    promise.catch(noop);
    return promise;
  }

  /**
   * Sends a request and resolves with the server's result; rejects with a TetherError:
   * TETHER_E_REMOTE (the server's error, as err.remote), TETHER_E_TIMEOUT, TETHER_E_CLOSED.
   * options.timeout: ms, 0 = none; default 30000.
   */
  request(method, params, options = {}) {
    this.#assertUsable();
    if (typeof method !== 'string' || method === '') {
      throw argumentError(`request(): method must be a non-empty string, got ${describe(method)}`);
    }
    const timeout = options?.timeout ?? DEFAULT_REQUEST_TIMEOUT;
    if (!Number.isInteger(timeout) || timeout < 0 || timeout > 0x7fffffff) {
      throw argumentError(`request(): timeout must be a non-negative integer (ms), got ${describe(timeout)}`);
    }
    const id = this.#nextId++;
    const st = native.request(this, method, toJson(params, 'request(): params'), timeout, id);
    if (st !== 0) throw lastError(st);
    return new Promise((resolve, reject) => {
      (this.#pendingRequests ??= new Map()).set(id, { resolve, reject });
    });
  }

  /** As send(), without a delivery Promise (no acknowledgement is tracked). */
  sendNoAck(data) {
    this.#queue(data, 0);
  }

  #queue(data, id) {
    this.#assertUsable();
    let type;
    let payload = data;
    if (typeof data === 'string') {
      type = this.#format === 'json' ? MESSAGE_TYPE.DEFAULT : MESSAGE_TYPE.TEXT;
    } else if (ArrayBuffer.isView(data) || data instanceof ArrayBuffer) {
      type = MESSAGE_TYPE.BINARY;
    } else if (data === undefined || typeof data === 'function' || typeof data === 'symbol') {
      throw argumentError(`send() takes a string, a Buffer/TypedArray/ArrayBuffer or a JSON-serializable value, got ${describe(data)}`);
    } else {
      try {
        payload = JSON.stringify(data);
      } catch (err) {
        throw argumentError(`send(): the value cannot be serialized as JSON: ${err.message}`);
      }
      type = MESSAGE_TYPE.TEXT;
    }
    const st = native.send(this, type, payload, id);
    if (st !== 0) throw lastError(st);
  }

  /**
   * Closes gracefully (code 1000 or 3000-4999, reason up to 123 bytes) and stops reconnecting.
   * Messages queued before the call are sent first. Resolves once the client is disconnected.
   * Bad arguments throw at once.
   */
  close(code = 1000, reason = '') {
    if (!Number.isInteger(code)) throw argumentError(`close code must be an integer (1000 or 3000-4999), got ${describe(code)}`);
    if (typeof reason !== 'string') throw argumentError(`close reason must be a string, got ${describe(reason)}`);
    if (this.#destroyed) return Promise.resolve();
    const state = native.state(this);
    const pending = this.#connectWaiters.length > 0;
    const st = native.close(this, code, reason);
    if (st !== 0) throw lastError(st);
    if ((state === STATE.disconnected || state === STATE.error) && !pending) return Promise.resolve();
    this.#closing = true;
    return new Promise((resolve) => this.#closeWaiters.push(resolve));
  }

  /** Replaces the token for the next (re)connect; call it from a 'reconnect' listener. */
  setToken(token) {
    if (token !== null && token !== undefined && typeof token !== 'string') {
      throw argumentError(`setToken() takes a string, got ${describe(token)}`);
    }
    this.#assertUsable();
    const st = native.setToken(this, token ?? null);
    if (st !== 0) throw lastError(st);
  }

  /**
   * Releases the native client at once (an open connection is closed with 1001 in the
   * background). Pending Promises reject with TETHER_E_CANCELLED; no event follows.
   */
  destroy() {
    if (this.#destroyed) return;
    this.#destroyed = true;
    native.destroy(this);
    const err = new TetherError(Status.CANCELLED, 'the client was destroyed');
    this.#failPending(err);
    for (const resolve of this.#closeWaiters.splice(0)) resolve();
    for (const it of this.#iterators ?? NONE) it.end();
  }

  /** `for await (const message of client)`: messages from now until the client closes. */
  [Symbol.asyncIterator]() {
    const it = new MessageIterator(this, (done) => {
      this.#iterators?.delete(done);
      this[kResume]();
    });
    if (this.#destroyed) it.end();
    else (this.#iterators ??= new Set()).add(it);
    return it;
  }

  #assertUsable() {
    if (this.#destroyed) throw new TetherError(Status.CLOSED, 'the client was destroyed');
  }

  #failPending(err) {
    for (const w of this.#connectWaiters.splice(0)) w.reject(err);
    const sends = this.#pendingSends?.values() ?? NONE;
    const requests = this.#pendingRequests?.values() ?? NONE;
    this.#pendingSends = null;
    this.#pendingRequests = null;
    for (const p of sends) p.reject(err);
    for (const p of requests) p.reject(err);
  }

  [kResume]() {
    if (!this.#paused) return;
    for (const it of this.#iterators ?? NONE) if (it.buffer.length > ITERATOR_LOW_WATER) return;
    this.#paused = false;
    if (!this.#destroyed) native.setPaused(this, false);
  }

  #decodeText(text) {
    if (this.#format !== 'json') return text;
    try {
      return JSON.parse(text);
    } catch {
      return text; // a json-format client still hands over text that is not JSON
    }
  }

  #message(data, info) {
    if (this.#iterators !== null) {
      for (const it of this.#iterators) {
        it.push(data);
        if (it.buffer.length >= ITERATOR_HIGH_WATER && !this.#paused) {
          this.#paused = true;
          native.setPaused(this, true);
        }
      }
    }
    this.emit('message', data, info);
  }

  // A listener that throws is an uncaught exception (the addon reports it); the events after it
  // are still dispatched.
  [kDispatch](ev) {
    if (this.#destroyed) return;
    if (typeof ev === 'string') this.#message(this.#decodeText(ev), TEXT_INFO);
    else if (Buffer.isBuffer(ev)) this.#message(ev, BINARY_INFO);
    else this.#handle(ev);
  }

  #handle(ev) {
    switch (ev.type) {
      case EV.OPEN: {
        this.#protocol = ev.protocol;
        const waiting = this.#connectWaiters;
        this.#connectWaiters = waiting.filter((w) => !w.armed);
        for (const w of waiting) if (w.armed) w.resolve();
        this.emit('open', { protocol: ev.protocol });
        break;
      }
      case EV.CLOSE: {
        const info = { code: ev.code, reason: ev.reason, wasClean: ev.wasClean };
        if (ev.status !== 0) info.error = this.#lastError || new TetherError(ev.status);
        // After close() nothing reconnects, so this CLOSE ends the client. Settling here rather
        // than on the following 'disconnected' state also covers a close() made right after
        // connect(), where libtether 0.1.0 reports CLOSE without any STATE event.
        if (this.#closing) this.#settleEnd('disconnected', true);
        this.emit('close', info);
        break;
      }
      case EV.ERROR: {
        const err = new TetherError(ev.status, ev.message);
        this.#lastError = err;
        // tether recovers from most failures itself (it reconnects), so an 'error' without a
        // listener is not thrown; a final failure also rejects connect() and ends iterators.
        if (this.listenerCount('error') > 0) this.emit('error', err);
        break;
      }
      case EV.STATE: {
        const state = STATE_NAMES[ev.state];
        if (state === 'connecting') for (const w of this.#connectWaiters) w.armed = true;
        if (state === 'disconnected' || state === 'error') this.#settleEnd(state);
        this.emit('state', state, STATE_NAMES[ev.previous]);
        break;
      }
      case EV.RECONNECT:
        this.emit('reconnect', { attempt: ev.attempt, delayMs: ev.delayMs });
        break;
      case EV.SENT: {
        const p = this.#pendingSends?.get(ev.id);
        if (p) {
          this.#pendingSends.delete(ev.id);
          p.resolve();
        }
        break;
      }
      case EV.SEND_FAILED: {
        const p = this.#pendingSends?.get(ev.id);
        if (p) {
          this.#pendingSends.delete(ev.id);
          p.reject(new TetherError(ev.status, ev.message));
        }
        break;
      }
      case EV.DRAINED:
        this.emit('drain');
        break;
      case EV.CHANNEL_MESSAGE:
        this.emit('channelMessage', parseJson(ev.data), {
          subscription: ev.id, channel: ev.channel, event: ev.event,
        });
        break;
      case EV.RESPONSE: {
        const p = this.#pendingRequests?.get(ev.id);
        if (!p) break;
        this.#pendingRequests.delete(ev.id);
        if (ev.status === 0) p.resolve(parseJson(ev.data));
        else p.reject(remoteError(ev));
        break;
      }
      case EV.SUBSCRIBED:
        this.emit('subscribed', { subscription: ev.id, channel: ev.channel });
        break;
      case EV.SUBSCRIBE_FAILED:
        this.emit('subscribeFailed', { subscription: ev.id, channel: ev.channel, error: remoteError(ev) });
        break;
      default:
        break;
    }
  }

  // The client stopped for good (closed, gave up, or refused): settle what waited on it.
  #settleEnd(state, closedByUs = false) {
    const err =
      state === 'error'
        ? this.#lastError || new TetherError(Status.CLOSED, 'the connection failed')
        : this.#lastError ||
          new TetherError(closedByUs ? Status.CANCELLED : Status.CLOSED,
            closedByUs ? 'close() was called before the connection was ready' : 'the connection closed before it was ready');
    const waiting = this.#connectWaiters;
    this.#connectWaiters = closedByUs ? [] : waiting.filter((w) => !w.armed);
    for (const w of waiting) if (w.armed || closedByUs) w.reject(err);
    for (const resolve of this.#closeWaiters.splice(0)) resolve();
    for (const it of this.#iterators ?? NONE) it.end(state === 'error' ? err : null);
  }
}

// ---- the specification's executor ---------------------------------------------------------

const HANDLER_NAMES = ['onOpen', 'onClose', 'onMessage', 'onError', 'onStateChange', 'onReconnect'];

class WebSocketHandshakeExecutor {
  #client = null;
  #handlers = {};

  /** Sets the handlers (any subset); replaces the previous set. */
  setEventHandlers(handlers) {
    if (handlers === null || typeof handlers !== 'object') {
      throw argumentError(`setEventHandlers() takes an object of handlers, got ${describe(handlers)}`);
    }
    for (const [name, fn] of Object.entries(handlers)) {
      if (!HANDLER_NAMES.includes(name)) {
        throw argumentError(`unknown event handler "${name}"; known handlers: ${HANDLER_NAMES.join(', ')}`);
      }
      if (fn !== undefined && typeof fn !== 'function') {
        throw argumentError(`event handler "${name}" must be a function, got ${describe(fn)}`);
      }
    }
    this.#handlers = { ...handlers };
  }

  /**
   * Connects with the spec's credentials. Bad credentials throw at once; the outcome of the
   * connection is { success: true } or { success: false, error }.
   */
  connect(credentials) {
    const client = new Client(credentials); // validates: throws on bad credentials
    if (this.#client) this.#client.destroy();
    this.#client = client;
    const call = (name, ...args) => {
      const fn = this.#handlers[name];
      if (fn) fn(...args);
    };
    client.on('open', () => call('onOpen'));
    client.on('close', (event) => call('onClose', event));
    client.on('message', (data) => call('onMessage', data));
    client.on('error', (err) => call('onError', err));
    client.on('state', (state) => call('onStateChange', state));
    client.on('reconnect', ({ attempt }) => call('onReconnect', attempt));
    return client.connect().then(
      () => ({ success: true }),
      (err) => ({ success: false, error: err.message }),
    );
  }

  /** The current state ('disconnected' before connect()). */
  getState() {
    return this.#client ? this.#client.state : 'disconnected';
  }

  /** True when the connection is ready (authenticated). */
  isConnected() {
    return this.getState() === 'authenticated';
  }

  /** The underlying Client (null before connect()). */
  get client() {
    return this.#client;
  }

  /**
   * Sends one message (objects as JSON, strings as text, Buffers as binary). Throws at once when
   * it is not accepted; a later delivery failure goes to onError.
   */
  send(data) {
    if (!this.#client) throw new TetherError(Status.NOT_CONNECTED, 'send() before connect()');
    this.#client.send(data).catch((err) => {
      const fn = this.#handlers.onError;
      if (fn) fn(err);
    });
  }

  /**
   * The protocol interface: connects with request.credentials when not connected yet, then sends
   * request.body. Resolves { success: true } once the message is written to the socket.
   */
  executeRequest(request) {
    if (request === null || typeof request !== 'object') {
      throw argumentError(`executeRequest() takes a request object, got ${describe(request)}`);
    }
    if (request.body === undefined) throw argumentError('executeRequest(): request.body is required');
    const needsConnect =
      !this.#client || this.#client.destroyed || ['disconnected', 'error'].includes(this.#client.state);
    if (needsConnect && request.credentials === undefined) {
      throw argumentError('executeRequest(): not connected and request.credentials is missing');
    }
    const connected = needsConnect ? this.connect(request.credentials) : Promise.resolve({ success: true });
    return connected.then(async (result) => {
      if (!result.success) return result;
      try {
        await this.#client.send(request.body);
        return { success: true };
      } catch (err) {
        return { success: false, error: err.message };
      }
    });
  }

  /** Closes gracefully (default 1000) and stops reconnecting. Resolves once disconnected. */
  disconnect(code = 1000, reason = '') {
    if (!this.#client) return Promise.resolve();
    return this.#client.close(code, reason);
  }

  /** { type, payload, id, timestamp }; id is left out when not given. */
  static createMessage(type, payload, id) {
    if (typeof type !== 'string') throw argumentError(`createMessage(): type must be a string, got ${describe(type)}`);
    if (id !== undefined && id !== null && typeof id !== 'string') {
      throw argumentError(`createMessage(): id must be a string, got ${describe(id)}`);
    }
    let payloadJson = null;
    if (payload !== undefined && payload !== null) {
      payloadJson = JSON.stringify(payload);
      if (payloadJson === undefined) throw argumentError(`createMessage(): payload is not JSON-serializable (${describe(payload)})`);
    }
    const out = native.messageCreate(type, payloadJson, id ?? null);
    if (typeof out === 'number') throw lastError(out);
    return JSON.parse(out);
  }

  /**
   * Parses a received message into { type, payload, id, timestamp } (null for what is absent);
   * takes text, bytes, or a value a json-format client already parsed.
   */
  static parseMessage(data) {
    let input = data;
    if (typeof data !== 'string' && !ArrayBuffer.isView(data) && !(data instanceof ArrayBuffer)) {
      input = JSON.stringify(data === undefined ? null : data);
    }
    const out = native.messageParse(input);
    if (typeof out === 'number') throw lastError(out);
    return JSON.parse(out);
  }

  /** The meaning of a close code, e.g. 1006 -> 'Abnormal closure (no close frame)'. */
  static getCloseReason(code) {
    if (!Number.isInteger(code)) throw argumentError(`getCloseReason() takes an integer code, got ${describe(code)}`);
    return native.closeCodeStr(code);
  }
}

// ---- the specification's connection manager ------------------------------------------------

class WebSocketConnectionManager {
  #client;
  #handlers = new Map(); // subscription id -> handler

  /**
   * @param {object} credentials the spec's credentials. The wire protocol is `protocol`, else
   * the one the `provider` preset sets, else 'json'. Bad credentials throw at once.
   */
  constructor(credentials) {
    if (credentials === null || typeof credentials !== 'object' || Array.isArray(credentials)) {
      throw argumentError(`WebSocketConnectionManager takes a credentials object, got ${describe(credentials)}`);
    }
    // Setting protocol 'json' up front would count as the application's own choice and override
    // the preset's, so it is added only when neither the application nor a preset chose one
    // (stats() has no protocol for 'raw'). Nothing connects before connect().
    let client = new Client(credentials);
    if (credentials.protocol === undefined && client.stats().protocol === undefined) {
      client.destroy();
      client = new Client({ ...credentials, protocol: 'json' });
    }
    this.#client = client;
    this.#client.on('channelMessage', (payload, info) => {
      const handler = this.#handlers.get(info.subscription);
      if (handler) handler(payload, info);
    });
    this.#client.on('subscribeFailed', ({ subscription }) => this.#handlers.delete(subscription));
  }

  /** The underlying Client (for events such as 'state', 'subscribed', 'subscribeFailed'). */
  get client() {
    return this.#client;
  }

  /** Resolves once the connection is ready; rejects with a TetherError when it ends first. */
  connect() {
    return this.#client.connect();
  }

  /**
   * Subscribes; returns the subscription id at once. handler(payload, { subscription, channel,
   * event }): event is the protocol's event name ('' where it has none). A refusal or an end
   * by the server removes the subscription and emits 'subscribeFailed' on `client`.
   */
  subscribe(channel, handler, params) {
    if (typeof handler !== 'function') throw argumentError(`subscribe(): handler must be a function, got ${describe(handler)}`);
    const id = this.#client.subscribe(channel, params);
    this.#handlers.set(id, handler);
    return id;
  }

  unsubscribe(subscriptionId) {
    if (!this.#handlers.has(subscriptionId)) return false;
    this.#handlers.delete(subscriptionId);
    try {
      this.#client.unsubscribe(subscriptionId);
    } catch (err) {
      if (err.status !== Status.INVALID_ARGUMENT) throw err; // already refused by the server
    }
    return true;
  }

  /** Publishes a JSON value; the Promise resolves once it is written (ignoring it is safe). */
  publish(channel, payload) {
    return this.#client.publish(channel, payload);
  }

  /** Resolves with the result; rejects with TetherError REMOTE / TIMEOUT / CLOSED. */
  request(method, params, options) {
    return this.#client.request(method, params, options);
  }

  getState() {
    return this.#client.state;
  }

  isConnected() {
    return this.#client.state === 'authenticated';
  }

  /** { messagesReceived, messagesSent, latencyMs, reconnects, activeSubscriptions, pendingRequests, ... } */
  getStats() {
    const s = this.#client.stats() || {};
    return {
      ...s,
      messagesReceived: s.messagesReceived ?? 0,
      messagesSent: s.messagesSent ?? 0,
      latencyMs: s.latencyMs ?? -1,
      reconnects: s.reconnects ?? 0,
      activeSubscriptions: s.activeSubscriptions ?? 0,
      pendingRequests: s.pendingRequests ?? 0,
    };
  }

  /** Closes gracefully and stops reconnecting; resolves once disconnected. */
  disconnect(code = 1000, reason = '') {
    this.#handlers.clear();
    return this.#client.close(code, reason);
  }
}

/** The option table of the library: name, type, default, required, secret, allowed, min, max, doc. */
function optionsSchema() {
  return SCHEMA.map((f) => ({ ...f }));
}

module.exports = {
  Client,
  WebSocketHandshakeExecutor,
  WebSocketConnectionManager,
  TetherError,
  Status,
  STATES: STATE_NAMES,
  optionsSchema,
  version: native.version(),
};
