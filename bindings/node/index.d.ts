// Type definitions for @tether/node (hand-written; keep in step with lib/index.js).
/// <reference types="node" />

import { EventEmitter } from 'node:events';

// ---- states, statuses, errors ---------------------------------------------------------------

/** Connection states, exactly as the specification names them. */
export type WebSocketConnectionState =
  | 'disconnected' // Not connected
  | 'connecting' // TCP, TLS and WebSocket handshakes in progress
  | 'connected' // WebSocket open, not ready yet
  | 'authenticating' // first-message auth sent, waiting for the reply
  | 'authenticated' // Ready to use
  | 'reconnecting' // Waiting for the next reconnect attempt
  | 'error'; // Failed for good (no reconnect follows)

/** Every state name, indexed by tether's numeric state. */
export const STATES: readonly WebSocketConnectionState[];

/** tether status names, as tether_status_name() spells them. */
export type TetherStatusName =
  | 'TETHER_OK'
  | 'TETHER_E_INVALID_ARGUMENT'
  | 'TETHER_E_UNKNOWN_OPTION'
  | 'TETHER_E_BAD_OPTION_VALUE'
  | 'TETHER_E_BAD_URL'
  | 'TETHER_E_NO_MEMORY'
  | 'TETHER_E_BAD_STATE'
  | 'TETHER_E_QUEUE_FULL'
  | 'TETHER_E_NOT_CONNECTED'
  | 'TETHER_E_TIMEOUT'
  | 'TETHER_E_WOULD_DEADLOCK'
  | 'TETHER_E_INVALID_JSON'
  | 'TETHER_E_INVALID_UTF8'
  | 'TETHER_E_DNS'
  | 'TETHER_E_CONNECT'
  | 'TETHER_E_TLS'
  | 'TETHER_E_HANDSHAKE'
  | 'TETHER_E_AUTH'
  | 'TETHER_E_PROXY'
  | 'TETHER_E_PROTOCOL'
  | 'TETHER_E_MESSAGE_TOO_BIG'
  | 'TETHER_E_CLOSED'
  | 'TETHER_E_PONG_TIMEOUT'
  | 'TETHER_E_IO'
  | 'TETHER_E_NOT_SUPPORTED'
  | 'TETHER_E_INTERNAL'
  | 'TETHER_E_CANCELLED'
  | 'TETHER_E_REMOTE'
  | 'TETHER_E_UNKNOWN';

/** Numeric tether statuses by short name: Status.QUEUE_FULL === -7. Codes never change. */
export const Status: Readonly<{
  OK: 0;
  INVALID_ARGUMENT: -1;
  UNKNOWN_OPTION: -2;
  BAD_OPTION_VALUE: -3;
  BAD_URL: -4;
  NO_MEMORY: -5;
  BAD_STATE: -6;
  QUEUE_FULL: -7;
  NOT_CONNECTED: -8;
  TIMEOUT: -9;
  WOULD_DEADLOCK: -10;
  INVALID_JSON: -11;
  INVALID_UTF8: -12;
  DNS: -13;
  CONNECT: -14;
  TLS: -15;
  HANDSHAKE: -16;
  AUTH: -17;
  PROXY: -18;
  PROTOCOL: -19;
  MESSAGE_TOO_BIG: -20;
  CLOSED: -21;
  PONG_TIMEOUT: -22;
  IO: -23;
  NOT_SUPPORTED: -24;
  INTERNAL: -25;
  CANCELLED: -26;
  REMOTE: -27;
}>;

/**
 * Every failure of this package: bad arguments (thrown at once), refused operations, and
 * connection failures (rejections, 'error' events).
 */
export class TetherError extends Error {
  constructor(status: number, message?: string);
  readonly name: 'TetherError';
  /** The status name, e.g. 'TETHER_E_QUEUE_FULL'. */
  readonly code: TetherStatusName;
  /** The numeric status, e.g. -7 (see Status). */
  readonly status: number;
  /** TETHER_E_REMOTE from request(): the server's error object, e.g. { code: 400, message }. */
  remote?: JsonValue;
}

/** The library version, "MAJOR.MINOR.PATCH". */
export const version: string;

// ---- options ------------------------------------------------------------------------------

export type AuthMethod = 'none' | 'query-param' | 'first-message' | 'subprotocol';
export type MessageFormat = 'json' | 'text' | 'binary';

/**
 * The wire protocol of the connection manager (subscribe, publish, request):
 * - 'raw': none, messages go out and come in as they are (Client's default);
 * - 'json': the specification's envelope { type, channel, payload, id } (the manager's default);
 * - a provider's own: 'socketio' (Engine.IO 4 / Socket.IO 5), 'graphql-transport-ws'
 *   (graphql-ws), 'graphql-ws' (Apollo's legacy subscriptions-transport-ws), 'signalr' (JSON
 *   hub protocol), 'phoenix' (Channels v2), 'pusher' (protocol 7), 'actioncable', 'binance',
 *   'aws-apigateway'.
 */
export type Protocol =
  | 'raw'
  | 'json'
  | 'socketio'
  | 'graphql-transport-ws'
  | 'graphql-ws'
  | 'signalr'
  | 'phoenix'
  | 'pusher'
  | 'actioncable'
  | 'binance'
  | 'aws-apigateway';

/**
 * A provider preset, one per row of the specification's provider table: it sets protocol,
 * authMethod, tokenParamName, subprotocols and queryParams as that provider's own clients do.
 * Fields set in the same credentials keep their values. 'graphql' is graphql-transport-ws,
 * 'apollo' the legacy graphql-ws; 'none' is no preset.
 */
export type Provider =
  | 'none'
  | 'socketio'
  | 'pusher'
  | 'ably'
  | 'phoenix'
  | 'actioncable'
  | 'signalr'
  | 'graphql'
  | 'apollo'
  | 'aws-apigateway'
  | 'binance'
  | 'echo';

/**
 * The specification's credentials (configuration reference). Unknown fields throw a TetherError
 * (TETHER_E_UNKNOWN_OPTION); a field set to undefined counts as not set.
 */
export interface WebSocketCredentials {
  /** WebSocket endpoint, ws:// or wss://. Required. */
  url: string;
  /** Authentication method. Default 'none'. */
  authMethod?: AuthMethod;
  /** json (text frames that must hold JSON; received text is parsed), text, or binary. Default 'json'. */
  messageFormat?: MessageFormat;
  /** Authentication token (secret: never shown in errors, events or stats). */
  authToken?: string;
  /**
   * Wire protocol for channels and requests. Default: the provider preset's, else 'raw' for a
   * Client and 'json' for a WebSocketConnectionManager.
   */
  protocol?: Protocol;
  /** A provider preset (protocol, auth and URL conventions of that provider). Default 'none'. */
  provider?: Provider;
  /** socketio: the Socket.IO namespace to join, '/' or '/name'. Default '/'. */
  namespace?: string;
  /**
   * Query parameters added to the URL at connect (values are strings); a parameter the URL
   * already has keeps the URL's value. A JSON object text is accepted too.
   */
  queryParams?: Record<string, string> | string;
  /** Query parameter for 'query-param' auth. Default 'token'. */
  tokenParamName?: string;
  /** {{type}} in the auth message template. Default 'authenticate'. */
  authMessageType?: string;
  /** First message for 'first-message' auth. Default '{"type":"{{type}}","token":"{{token}}"}'. */
  authMessageTemplate?: string;
  /** Comma-separated subprotocols (an array is joined with commas). */
  subprotocols?: string | string[];
  /** Ping interval in ms; 0 turns keep-alive off. Default 30000. */
  pingInterval?: number;
  /** Pong timeout in ms. Default 5000. */
  pongTimeout?: number;
  /** Reconnect automatically. Default true. */
  autoReconnect?: boolean;
  /** Consecutive failed attempts before giving up; 0 = unlimited. Default 10. */
  maxReconnectAttempts?: number;
  /** Initial reconnect delay in ms (exponential backoff with full jitter). Default 1000. */
  reconnectDelay?: number;
}

/** Everything tether accepts: the spec's credentials plus tether's own settings. */
export interface ClientOptions extends WebSocketCredentials {
  /** 'first-message': the reply type that confirms auth; empty = ready once the auth message is written. */
  authSuccessType?: string;
  /** Wait for the authSuccessType reply, ms. Default 10000. */
  authTimeout?: number;
  /** Cap of the reconnect backoff, ms. Default 30000. */
  maxReconnectDelay?: number;
  /** DNS + TCP (+ proxy), ms. Default 10000. */
  connectTimeout?: number;
  /** TLS + WebSocket handshake, ms. Default 10000. */
  handshakeTimeout?: number;
  /** A close always ends within it, ms. Default 5000. */
  closeTimeout?: number;
  /** Largest message, bytes (incoming: close 1009; outgoing: refused). Default 16777216. */
  maxMessageSize?: number;
  /** Queue sends made while not ready. Default true. */
  queueWhileOffline?: boolean;
  /** Outgoing queue bound in messages. Default 1000. */
  maxQueuedMessages?: number;
  /** Outgoing queue bound in bytes. Default 16777216. */
  maxQueuedBytes?: number;
  /** Received events waiting for JavaScript before tether stops reading. Default 10000. */
  maxPollQueue?: number;
  /** Extra upgrade headers. */
  headers?: Record<string, string>;
  /** Default 'tether/<version>'. */
  userAgent?: string;
  /** Offer permessage-deflate. Default false. */
  perMessageDeflate?: boolean;
  /** HTTP CONNECT proxy, http://[user:password@]host[:port]. */
  proxy?: string;
  /** PEM CAs to trust instead of the system store. */
  caFile?: string;
  /** Client certificate (PEM) for mutual TLS. */
  clientCertFile?: string;
  /** Client key (PEM) for mutual TLS. */
  clientKeyFile?: string;
  /** DANGEROUS: no certificate or host-name check. Default false. */
  insecureSkipTlsVerify?: boolean;
}

/** One row of the option table. */
export interface OptionSchemaField {
  name: keyof ClientOptions;
  type: 'url' | 'select' | 'secret' | 'text' | 'json' | 'number' | 'boolean';
  default: string | number | boolean | null;
  required: boolean;
  secret: boolean;
  allowed?: string[];
  min?: number;
  max?: number;
  doc: string;
}

/** The option table of the library (for rendering the spec's credential form). */
export function optionsSchema(): OptionSchemaField[];

// ---- messages and events ------------------------------------------------------------------

/** A JSON value, as a json-format client hands it over. */
export type JsonValue = string | number | boolean | null | JsonValue[] | { [key: string]: JsonValue };

/**
 * A received message: a Buffer for a binary frame; for a text frame a string, or with
 * messageFormat 'json' the parsed value (the string itself when the text is not JSON).
 */
export type MessageData = Buffer | string | JsonValue;

/** What send() takes: text, bytes, or any JSON-serializable value. */
export type SendData = string | ArrayBufferView | ArrayBuffer | JsonValue | object;

export interface OpenEvent {
  /** The negotiated subprotocol, '' when none. */
  protocol: string;
}

/** Shared by every message of the same kind, and frozen. */
export interface MessageInfo {
  /** True for a binary frame. */
  readonly binary: boolean;
}

export interface CloseEvent {
  /** The close code; 1006 when no close frame arrived. */
  code: number;
  reason: string;
  /** True after a complete closing handshake. */
  wasClean: boolean;
  /** The failure behind the close, when there was one (e.g. TETHER_E_PONG_TIMEOUT). */
  error?: TetherError;
}

export interface ReconnectEvent {
  /** 1, 2, ... */
  attempt: number;
  /** Delay before this attempt, ms. */
  delayMs: number;
}

export interface ClientStats {
  state: WebSocketConnectionState;
  messagesSent: number;
  messagesReceived: number;
  bytesSent: number;
  bytesReceived: number;
  reconnects: number;
  /** Last ping round trip, ms; -1 before the first pong. */
  latencyMs: number;
  queuedMessages: number;
  queuedBytes: number;
  /** The URL with any token redacted. */
  url: string;
  /** With a protocol other than 'raw': live subscriptions, requests awaiting an answer, the protocol. */
  activeSubscriptions?: number;
  pendingRequests?: number;
  protocol?: Exclude<Protocol, 'raw'>;
}

/** Which subscription an event is about. */
export interface SubscriptionInfo {
  subscription: number;
  /** The channel as subscribe() was given it (for GraphQL: the subscription document). */
  channel: string;
}

/** Where a channel message came from. */
export interface ChannelMessageInfo extends SubscriptionInfo {
  /**
   * The protocol's event name: the Socket.IO event, the Phoenix / Pusher event, the SignalR
   * method, the Binance stream event type; '' where the protocol has none (json, graphql-*).
   */
  event: string;
}

export interface SubscribeFailedEvent extends SubscriptionInfo {
  /**
   * TETHER_E_REMOTE when the server refused or failed the subscription (its error JSON on
   * error.remote), TETHER_E_CLOSED when the server ended it (a GraphQL complete).
   */
  error: TetherError;
}

export interface RequestOptions {
  /** Longest wait for the answer in ms; 0 = none. Default 30000. */
  timeout?: number;
}

export interface ClientEvents {
  open: [event: OpenEvent];
  message: [data: MessageData, info: MessageInfo];
  close: [event: CloseEvent];
  error: [error: TetherError];
  state: [state: WebSocketConnectionState, previous: WebSocketConnectionState];
  reconnect: [event: ReconnectEvent];
  drain: [];
  /** A message on a subscribed channel: the parsed payload. */
  channelMessage: [payload: JsonValue, info: ChannelMessageInfo];
  subscribed: [event: SubscriptionInfo];
  subscribeFailed: [event: SubscribeFailedEvent];
}

/**
 * A resilient WebSocket connection. Events: 'open', 'message', 'close', 'error', 'state',
 * 'reconnect', 'drain'. An 'error' without a listener is not thrown (tether recovers from most
 * failures itself). While connecting, open or reconnecting the client keeps the process alive.
 */
export class Client extends EventEmitter {
  /** Validates the options at once (throws TetherError); does not connect. */
  constructor(options: ClientOptions);

  readonly state: WebSocketConnectionState;
  /** The subprotocol chosen on the last open ('' when none). */
  readonly protocol: string;
  /** Bytes waiting in the outgoing queue. */
  readonly bufferedAmount: number;
  /** Messages waiting in the outgoing queue. */
  readonly bufferedMessages: number;
  /** True after destroy(). */
  readonly destroyed: boolean;

  /** Resolves once ready (authenticated); rejects with a TetherError if it ends first. */
  connect(): Promise<void>;
  /**
   * Queues a message (sent in order once ready). Throws at once when not accepted; the Promise
   * resolves when it is written to the socket, rejects if it never will be. Ignoring it is safe.
   */
  send(data: SendData): Promise<void>;
  /** As send(), without tracking delivery. */
  sendNoAck(data: SendData): void;
  /** Graceful close (1000 or 3000-4999; reason up to 123 bytes). Resolves once disconnected. */
  close(code?: number, reason?: string): Promise<void>;
  /** The token for the next (re)connect; call it from a 'reconnect' listener. null clears it. */
  setToken(token: string | null): void;
  /** A statistics snapshot (null after destroy()). */
  stats(): ClientStats | null;
  /**
   * Needs a protocol other than 'raw' (else TETHER_E_NOT_SUPPORTED). Subscribes; returns the
   * subscription id at once. Messages arrive as 'channelMessage'; 'subscribed' /
   * 'subscribeFailed' follow. Subscriptions are renewed after every reconnect.
   */
  subscribe(channel: string, params?: JsonValue | object): number;
  /** Ends a subscription; throws TETHER_E_INVALID_ARGUMENT for an id that is not live. */
  unsubscribe(subscription: number): void;
  /**
   * Publishes a JSON value, in order with send(); resolves once written. Throws
   * TETHER_E_NOT_SUPPORTED where the protocol has no publish (graphql-*: use a mutation).
   */
  publish(channel: string, payload: JsonValue | object): Promise<void>;
  /** Resolves with the result; rejects with TetherError TETHER_E_REMOTE / _TIMEOUT / _CLOSED. */
  request<R = JsonValue>(method: string, params?: JsonValue | object, options?: RequestOptions): Promise<R>;
  /** Frees the native client now; pending Promises reject with TETHER_E_CANCELLED. */
  destroy(): void;
  /** Messages from now until the client closes (throws when it ends in 'error'). */
  [Symbol.asyncIterator](): AsyncIterableIterator<MessageData>;

  on<K extends keyof ClientEvents>(event: K, listener: (...args: ClientEvents[K]) => void): this;
  once<K extends keyof ClientEvents>(event: K, listener: (...args: ClientEvents[K]) => void): this;
  off<K extends keyof ClientEvents>(event: K, listener: (...args: ClientEvents[K]) => void): this;
  addListener<K extends keyof ClientEvents>(event: K, listener: (...args: ClientEvents[K]) => void): this;
  removeListener<K extends keyof ClientEvents>(event: K, listener: (...args: ClientEvents[K]) => void): this;
  prependListener<K extends keyof ClientEvents>(event: K, listener: (...args: ClientEvents[K]) => void): this;
  prependOnceListener<K extends keyof ClientEvents>(event: K, listener: (...args: ClientEvents[K]) => void): this;
  emit<K extends keyof ClientEvents>(event: K, ...args: ClientEvents[K]): boolean;
}

// ---- the specification's executor ------------------------------------------------------------

export interface WebSocketEventHandlers {
  onOpen?: () => void;
  onClose?: (event: CloseEvent) => void;
  onMessage?: (data: MessageData) => void;
  onError?: (error: TetherError) => void;
  onStateChange?: (state: WebSocketConnectionState) => void;
  onReconnect?: (attempt: number) => void;
}

export interface WebSocketConnectResult {
  success: boolean;
  error?: string;
}

/** The protocol interface's request; url, method and headers are not used by WebSocket. */
export interface WebSocketRequest {
  credentials?: WebSocketCredentials | ClientOptions;
  url?: string;
  method?: string;
  headers?: Record<string, string>;
  /** The message to send. */
  body: SendData;
}

export interface WebSocketRequestResult {
  success: boolean;
  error?: string;
}

/** The envelope of createMessage / parseMessage. */
export interface WebSocketMessage<P = JsonValue> {
  type: string | null;
  payload: P;
  id?: string | null;
  timestamp: number | null;
}

export class WebSocketHandshakeExecutor {
  constructor();
  /** Sets the handlers (any subset); unknown names or non-functions throw. */
  setEventHandlers(handlers: WebSocketEventHandlers): void;
  /** Connects; bad credentials throw at once, the outcome is { success, error? }. */
  connect(credentials: WebSocketCredentials | ClientOptions): Promise<WebSocketConnectResult>;
  /** Sends one message; throws when not accepted; later delivery failures go to onError. */
  send(data: SendData): void;
  /** Connects with request.credentials when needed, then sends request.body. */
  executeRequest(request: WebSocketRequest): Promise<WebSocketRequestResult>;
  /** Graceful close (default 1000); resolves once disconnected. */
  disconnect(code?: number, reason?: string): Promise<void>;
  getState(): WebSocketConnectionState;
  isConnected(): boolean;
  /** The underlying Client, null before connect(). */
  readonly client: Client | null;

  /** { type, payload, id, timestamp } (id left out when not given). */
  static createMessage<P extends JsonValue | object = JsonValue>(type: string, payload?: P, id?: string): WebSocketMessage<P>;
  /** Parses received text, bytes or an already-parsed value into the envelope. */
  static parseMessage(data: MessageData | ArrayBufferView | ArrayBuffer): WebSocketMessage;
  /** The meaning of a close code: 1006 -> 'Abnormal closure (no close frame)'. */
  static getCloseReason(code: number): string;
}

// ---- the specification's connection manager ---------------------------------------------------

export interface ConnectionManagerStats extends ClientStats {
  activeSubscriptions: number;
  pendingRequests: number;
}

/**
 * The specification's connection manager: channels and request/response over the protocol of
 * `protocol`, else the one the `provider` preset sets, else 'json'.
 */
export class WebSocketConnectionManager {
  /** Validates the credentials at once; does not connect. */
  constructor(credentials: WebSocketCredentials | ClientOptions);
  /** Resolves once ready; rejects with a TetherError if the connection ends first. */
  connect(): Promise<void>;
  /**
   * Returns the subscription id at once; handler gets each message's parsed payload and
   * { subscription, channel, event }. Refusals are 'subscribeFailed' events on `client`.
   */
  subscribe<P = JsonValue>(channel: string, handler: (message: P, info: ChannelMessageInfo) => void, params?: JsonValue | object): number;
  /** false when the id is not (or no longer) subscribed. */
  unsubscribe(subscriptionId: number): boolean;
  /**
   * Publishes; resolves once written (ignoring the Promise is safe). Throws
   * TETHER_E_NOT_SUPPORTED where the protocol has no publish.
   */
  publish(channel: string, payload: JsonValue | object): Promise<void>;
  /** Resolves with the result; rejects with TetherError TETHER_E_REMOTE / _TIMEOUT / _CLOSED. Default timeout 30 s. */
  request<R = JsonValue>(method: string, params?: JsonValue | object, options?: RequestOptions): Promise<R>;
  getStats(): ConnectionManagerStats;
  getState(): WebSocketConnectionState;
  isConnected(): boolean;
  /** Graceful close (default 1000); resolves once disconnected. */
  disconnect(code?: number, reason?: string): Promise<void>;
  /** The underlying Client ('subscribed', 'subscribeFailed', 'state', ... events; destroy()). */
  readonly client: Client;
}
