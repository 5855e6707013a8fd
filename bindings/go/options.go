package tether

import (
	"encoding/json"
	"strconv"
	"strings"
	"time"
)

// AuthMethod is how the client presents Options.AuthToken (the "authMethod" option).
type AuthMethod string

// Authentication methods.
const (
	AuthNone         AuthMethod = "none"          // no authentication (the default)
	AuthQueryParam   AuthMethod = "query-param"   // token added to the URL as TokenParamName=token
	AuthFirstMessage AuthMethod = "first-message" // token sent in the first message
	AuthSubprotocol  AuthMethod = "subprotocol"   // token offered in Sec-WebSocket-Protocol
)

// MessageFormat is what messages are (the "messageFormat" option).
type MessageFormat string

// Message formats.
const (
	FormatJSON   MessageFormat = "json"   // text frames that must hold JSON (the default)
	FormatText   MessageFormat = "text"   // UTF-8 text frames
	FormatBinary MessageFormat = "binary" // binary frames
)

// Protocol is the wire protocol of the connection manager (the "protocol" option).
type Protocol string

// Protocols. Every one but ProtocolRaw makes the client a connection manager: Subscribe,
// Unsubscribe, Publish and Request speak it. What a channel, a publish and a request are in each
// is in README.md ("Providers"); an operation a protocol does not have fails with
// ErrNotSupported, its message naming the protocol and the operation. Protocols with a
// handshake (socket.io, GraphQL, SignalR, Pusher, Action Cable) keep the client in
// StateAuthenticating until the server completes it, and a refusal there is ErrAuth with no
// reconnect.
const (
	// ProtocolRaw: messages are the application's own; Subscribe, Publish and Request fail
	// with ErrNotSupported (the default).
	ProtocolRaw Protocol = "raw"
	// ProtocolJSON: the specification's JSON envelope ({"type","channel","payload","id",
	// "method"}), which Subscribe, Unsubscribe, Publish and Request speak.
	ProtocolJSON Protocol = "json"
	// ProtocolSocketIO: Socket.IO 5 over Engine.IO 4 (WebSocket transport only). A channel is
	// an event name, Publish emits an event, Request emits one with an ack and returns the
	// ack's arguments. Options.Namespace picks the namespace.
	ProtocolSocketIO Protocol = "socketio"
	// ProtocolGraphQLTransportWS: the graphql-ws library's protocol. A channel is a
	// subscription document (params: its variables), a Request is a query or mutation
	// (params: variables); there is no Publish.
	ProtocolGraphQLTransportWS Protocol = "graphql-transport-ws"
	// ProtocolGraphQLWS: Apollo's legacy subscriptions-transport-ws protocol, used as
	// ProtocolGraphQLTransportWS.
	ProtocolGraphQLWS Protocol = "graphql-ws"
	// ProtocolSignalR: ASP.NET Core SignalR's JSON hub protocol. A channel is a client method
	// the hub invokes, Publish invokes a hub method without waiting, Request invokes one and
	// returns its result.
	ProtocolSignalR Protocol = "signalr"
	// ProtocolPhoenix: Phoenix Channels (V2 serializer). A channel is a topic (params: the
	// join payload); Publish and Request take {"event","payload"}.
	ProtocolPhoenix Protocol = "phoenix"
	// ProtocolPusher: Pusher Channels protocol 7. Publish sends a client event
	// ({"event":"client-...","data"}); there is no Request.
	ProtocolPusher Protocol = "pusher"
	// ProtocolActionCable: Rails Action Cable. A channel is a channel class (or a JSON
	// identifier); Publish performs an action; there is no Request.
	ProtocolActionCable Protocol = "actioncable"
	// ProtocolBinance: Binance market data streams. A channel is a stream name; Request sends
	// a method (LIST_SUBSCRIPTIONS...); the streams are read-only: there is no Publish.
	ProtocolBinance Protocol = "binance"
	// ProtocolAWSAPIGateway: Amazon API Gateway WebSocket APIs, routed by the body's "action".
	ProtocolAWSAPIGateway Protocol = "aws-apigateway"
)

// Provider names a preset of the library (the "provider" option): it sets the protocol, the
// auth method, the token's query parameter, the subprotocols and the query parameters as that
// provider's own client libraries do. An option the application sets itself (a non-zero
// Options field, or Options.Set) keeps the application's value, whatever the preset says.
type Provider string

// Providers.
const (
	ProviderNone          Provider = "none"           // no preset (the default)
	ProviderSocketIO      Provider = "socketio"       // ProtocolSocketIO; the token in the CONNECT packet; ?EIO=4&transport=websocket
	ProviderPusher        Provider = "pusher"         // ProtocolPusher; ?protocol=7&client=tether&version=...
	ProviderAbly          Provider = "ably"           // ProtocolRaw; the token as ?key=...; ?format=json
	ProviderPhoenix       Provider = "phoenix"        // ProtocolPhoenix; the token as ?token=...; ?vsn=2.0.0
	ProviderActionCable   Provider = "actioncable"    // ProtocolActionCable; the token as ?token=...; subprotocol actioncable-v1-json
	ProviderSignalR       Provider = "signalr"        // ProtocolSignalR; the token as ?access_token=...
	ProviderGraphQL       Provider = "graphql"        // ProtocolGraphQLTransportWS; the token in connection_init
	ProviderApollo        Provider = "apollo"         // ProtocolGraphQLWS; the token in connection_init
	ProviderAWSAPIGateway Provider = "aws-apigateway" // ProtocolAWSAPIGateway; the token as ?Authorization=...
	ProviderBinance       Provider = "binance"        // ProtocolBinance; no auth
	ProviderEcho          Provider = "echo"           // ProtocolRaw; no auth
)

// UnlimitedReconnects is the Options.MaxReconnectAttempts value that never gives up.
const UnlimitedReconnects = -1

// DefaultEventBuffer is the capacity of Client.Events when Options.EventBuffer is zero.
const DefaultEventBuffer = 256

// Options configures a client. The zero value of every field means the library's default, so
// only what differs needs setting; the key each field sets is named in its comment, and
// README.md of the C library lists the defaults. Values are checked when the client is made,
// and an error names the key.
//
// Keys that have no field (ones added to the library later, for instance) can be set with Set.
type Options struct {
	URL           string        // "url": ws:// or wss:// endpoint. Required.
	AuthMethod    AuthMethod    // "authMethod"
	MessageFormat MessageFormat // "messageFormat"
	Protocol      Protocol      // "protocol": any but ProtocolRaw enables Subscribe, Publish and Request

	// "provider": a preset of protocol, authMethod, tokenParamName, subprotocols and
	// queryParams; the fields set here win over it.
	Provider Provider
	// "namespace": the Socket.IO namespace ("/" or "/name") of ProtocolSocketIO.
	Namespace string
	// "queryParams": parameters added to the URL at connect (a parameter the URL has already
	// keeps the URL's value). A non-nil map replaces the provider's parameters as a whole, so
	// an empty one removes them; to add a parameter and keep the provider's, put it in URL.
	QueryParams map[string]string

	AuthToken           string        // "authToken": secret, never shown in errors, events or stats
	TokenParamName      string        // "tokenParamName": query parameter for AuthQueryParam
	AuthMessageType     string        // "authMessageType": {{type}} in the auth template
	AuthMessageTemplate string        // "authMessageTemplate": first message for AuthFirstMessage
	AuthSuccessType     string        // "authSuccessType": reply type that confirms first-message auth
	AuthTimeout         time.Duration // "authTimeout"
	Subprotocols        []string      // "subprotocols": offered in Sec-WebSocket-Protocol

	// "pingInterval": time between keep-alive pings. Negative turns keep-alive off.
	PingInterval time.Duration
	PongTimeout  time.Duration // "pongTimeout": no pong in time means the peer is dead

	DisableAutoReconnect bool // "autoReconnect" false: never reconnect after a close
	// "maxReconnectAttempts": consecutive failed attempts before giving up;
	// UnlimitedReconnects (any negative value) never gives up.
	MaxReconnectAttempts int
	ReconnectDelay       time.Duration // "reconnectDelay": base of the exponential backoff
	MaxReconnectDelay    time.Duration // "maxReconnectDelay": cap of the backoff

	ConnectTimeout   time.Duration // "connectTimeout": DNS + TCP (+ proxy)
	HandshakeTimeout time.Duration // "handshakeTimeout": TLS + WebSocket handshake
	CloseTimeout     time.Duration // "closeTimeout": a close always ends within it

	MaxMessageSize      int64 // "maxMessageSize": bytes, incoming and outgoing
	DisableOfflineQueue bool  // "queueWhileOffline" false: sends while not ready fail with ErrNotConnected
	MaxQueuedMessages   int   // "maxQueuedMessages": outgoing queue bound in messages
	MaxQueuedBytes      int64 // "maxQueuedBytes": outgoing queue bound in bytes
	MaxPollQueue        int   // "maxPollQueue": reading pauses while this many events wait

	Headers           map[string]string // "headers": extra upgrade request headers
	UserAgent         string            // "userAgent"
	PerMessageDeflate bool              // "perMessageDeflate": offer compression
	Proxy             string            // "proxy": http://[user:password@]host[:port]

	CAFile                string // "caFile": PEM CAs to trust instead of the system store
	ClientCertFile        string // "clientCertFile": client certificate for mutual TLS
	ClientKeyFile         string // "clientKeyFile": its private key
	InsecureSkipTLSVerify bool   // "insecureSkipTlsVerify": DANGEROUS, no certificate check

	// EventBuffer is the capacity of the Events channel (Go only; DefaultEventBuffer when zero).
	// When the channel is full the poller waits, the library's event queue fills up to
	// MaxPollQueue, and then the client stops reading from the socket: backpressure.
	EventBuffer int

	// Runtime is the set of I/O threads that serves the client; nil uses the library's shared
	// default runtime with one thread.
	Runtime *Runtime

	extra []setting
}

type setting struct{ key, value string }

// Set sets any option by its key and text form, as tether_options_set does: booleans are
// "true"/"false", numbers are decimal integers (milliseconds for times), "headers" is a JSON
// object. It is applied after the typed fields, so it wins over them; a later Set of the same key
// wins over an earlier one. The key and value are checked when the client is made.
func (o *Options) Set(key, value string) {
	o.extra = append(o.extra, setting{key, value})
}

// settings lists the options in text form, in a fixed order, leaving out zero fields.
func (o *Options) settings() ([]setting, error) {
	var out []setting
	add := func(key, value string) { out = append(out, setting{key, value}) }
	text := func(key, value string) {
		if value != "" {
			add(key, value)
		}
	}
	millis := func(key string, d time.Duration) {
		if d != 0 {
			add(key, strconv.FormatInt(durationMillis(d), 10))
		}
	}
	number := func(key string, n int64) {
		if n != 0 {
			add(key, strconv.FormatInt(n, 10))
		}
	}
	text("url", o.URL)
	text("authMethod", string(o.AuthMethod))
	text("messageFormat", string(o.MessageFormat))
	text("protocol", string(o.Protocol))
	text("provider", string(o.Provider))
	text("namespace", o.Namespace)
	if o.QueryParams != nil {
		q, err := json.Marshal(o.QueryParams)
		if err != nil {
			return nil, &Error{Status: StatusBadOptionValue, Message: "queryParams: " + err.Error()}
		}
		add("queryParams", string(q))
	}
	text("authToken", o.AuthToken)
	text("tokenParamName", o.TokenParamName)
	text("authMessageType", o.AuthMessageType)
	text("authMessageTemplate", o.AuthMessageTemplate)
	text("authSuccessType", o.AuthSuccessType)
	millis("authTimeout", o.AuthTimeout)
	text("subprotocols", strings.Join(o.Subprotocols, ","))
	switch {
	case o.PingInterval < 0:
		add("pingInterval", "0")
	default:
		millis("pingInterval", o.PingInterval)
	}
	millis("pongTimeout", o.PongTimeout)
	if o.DisableAutoReconnect {
		add("autoReconnect", "false")
	}
	switch {
	case o.MaxReconnectAttempts < 0:
		add("maxReconnectAttempts", "0")
	default:
		number("maxReconnectAttempts", int64(o.MaxReconnectAttempts))
	}
	millis("reconnectDelay", o.ReconnectDelay)
	millis("maxReconnectDelay", o.MaxReconnectDelay)
	millis("connectTimeout", o.ConnectTimeout)
	millis("handshakeTimeout", o.HandshakeTimeout)
	millis("closeTimeout", o.CloseTimeout)
	number("maxMessageSize", o.MaxMessageSize)
	if o.DisableOfflineQueue {
		add("queueWhileOffline", "false")
	}
	number("maxQueuedMessages", int64(o.MaxQueuedMessages))
	number("maxQueuedBytes", o.MaxQueuedBytes)
	number("maxPollQueue", int64(o.MaxPollQueue))
	if len(o.Headers) > 0 {
		h, err := json.Marshal(o.Headers)
		if err != nil {
			return nil, &Error{Status: StatusBadOptionValue, Message: "headers: " + err.Error()}
		}
		add("headers", string(h))
	}
	text("userAgent", o.UserAgent)
	if o.PerMessageDeflate {
		add("perMessageDeflate", "true")
	}
	text("proxy", o.Proxy)
	text("caFile", o.CAFile)
	text("clientCertFile", o.ClientCertFile)
	text("clientKeyFile", o.ClientKeyFile)
	if o.InsecureSkipTLSVerify {
		add("insecureSkipTlsVerify", "true")
	}
	return append(out, o.extra...), nil
}

// durationMillis rounds up, so that a positive duration never becomes 0 ms (which means "off"
// or is out of range for the library); negative durations pass through for the library to refuse.
func durationMillis(d time.Duration) int64 {
	ms := int64(d / time.Millisecond)
	if d%time.Millisecond > 0 {
		ms++
	}
	return ms
}

// closeWait is how long Close waits for the CLOSE event at most, whatever its context says:
// the library promises it within closeTimeout, and the margin covers a loaded machine.
func (o *Options) closeWait() time.Duration {
	timeout := 5 * time.Second // the library's default closeTimeout
	if o.CloseTimeout > 0 {
		timeout = o.CloseTimeout
	}
	for _, s := range o.extra {
		if s.key == "closeTimeout" {
			if ms, err := strconv.ParseInt(s.value, 10, 64); err == nil && ms > 0 {
				timeout = time.Duration(ms) * time.Millisecond
			}
		}
	}
	return timeout + 2*time.Second
}

// Option changes Options; Dial takes any number of them.
type Option func(*Options)

// WithOption sets any option by key and text form; see Options.Set.
func WithOption(key, value string) Option { return func(o *Options) { o.Set(key, value) } }

// WithMessageFormat sets "messageFormat".
func WithMessageFormat(f MessageFormat) Option { return func(o *Options) { o.MessageFormat = f } }

// WithProtocol sets "protocol", the connection manager's wire protocol.
func WithProtocol(p Protocol) Option { return func(o *Options) { o.Protocol = p } }

// WithProvider sets "provider": a preset of protocol, auth method, token parameter,
// subprotocols and query parameters as the provider's own clients use them. Options given
// alongside it win over the preset, in any order.
func WithProvider(p Provider) Option { return func(o *Options) { o.Provider = p } }

// WithNamespace sets "namespace", the Socket.IO namespace ("/admin") of ProtocolSocketIO.
func WithNamespace(namespace string) Option { return func(o *Options) { o.Namespace = namespace } }

// WithQueryParams sets "queryParams", parameters added to the URL at connect. They replace a
// provider's parameters as a whole (see Options.QueryParams); nil keeps the provider's.
func WithQueryParams(params map[string]string) Option {
	return func(o *Options) {
		if params == nil {
			o.QueryParams = nil
			return
		}
		o.QueryParams = make(map[string]string, len(params))
		for k, v := range params {
			o.QueryParams[k] = v
		}
	}
}

// WithAuth sets "authMethod" and "authToken".
func WithAuth(method AuthMethod, token string) Option {
	return func(o *Options) { o.AuthMethod, o.AuthToken = method, token }
}

// WithAuthToken sets "authToken" alone and keeps the auth method: the one a provider preset
// chose, for instance.
func WithAuthToken(token string) Option { return func(o *Options) { o.AuthToken = token } }

// WithTokenParamName sets "tokenParamName", the query parameter of AuthQueryParam.
func WithTokenParamName(name string) Option { return func(o *Options) { o.TokenParamName = name } }

// WithAuthMessage sets the first-message auth: "authMessageType", "authMessageTemplate" (empty
// keeps the default template) and "authSuccessType" (empty: ready once the message is sent).
func WithAuthMessage(messageType, template, successType string) Option {
	return func(o *Options) {
		o.AuthMessageType, o.AuthMessageTemplate, o.AuthSuccessType = messageType, template, successType
	}
}

// WithAuthTimeout sets "authTimeout".
func WithAuthTimeout(d time.Duration) Option { return func(o *Options) { o.AuthTimeout = d } }

// WithSubprotocols sets "subprotocols".
func WithSubprotocols(names ...string) Option {
	return func(o *Options) { o.Subprotocols = append([]string(nil), names...) }
}

// WithKeepAlive sets "pingInterval" and "pongTimeout"; a negative interval turns keep-alive off.
func WithKeepAlive(pingInterval, pongTimeout time.Duration) Option {
	return func(o *Options) { o.PingInterval, o.PongTimeout = pingInterval, pongTimeout }
}

// WithAutoReconnect sets "autoReconnect".
func WithAutoReconnect(on bool) Option { return func(o *Options) { o.DisableAutoReconnect = !on } }

// WithReconnect sets "maxReconnectAttempts" (UnlimitedReconnects never gives up),
// "reconnectDelay" and "maxReconnectDelay"; zero values keep the defaults.
func WithReconnect(maxAttempts int, delay, maxDelay time.Duration) Option {
	return func(o *Options) {
		o.MaxReconnectAttempts, o.ReconnectDelay, o.MaxReconnectDelay = maxAttempts, delay, maxDelay
	}
}

// WithTimeouts sets "connectTimeout", "handshakeTimeout" and "closeTimeout"; zero values keep
// the defaults.
func WithTimeouts(connect, handshake, close time.Duration) Option {
	return func(o *Options) { o.ConnectTimeout, o.HandshakeTimeout, o.CloseTimeout = connect, handshake, close }
}

// WithMaxMessageSize sets "maxMessageSize" in bytes.
func WithMaxMessageSize(n int64) Option { return func(o *Options) { o.MaxMessageSize = n } }

// WithQueueWhileOffline sets "queueWhileOffline".
func WithQueueWhileOffline(on bool) Option { return func(o *Options) { o.DisableOfflineQueue = !on } }

// WithQueueLimits sets "maxQueuedMessages" and "maxQueuedBytes"; zero values keep the defaults.
func WithQueueLimits(messages int, bytes int64) Option {
	return func(o *Options) { o.MaxQueuedMessages, o.MaxQueuedBytes = messages, bytes }
}

// WithMaxPollQueue sets "maxPollQueue".
func WithMaxPollQueue(n int) Option { return func(o *Options) { o.MaxPollQueue = n } }

// WithHeaders sets "headers", extra upgrade request headers.
func WithHeaders(h map[string]string) Option {
	return func(o *Options) {
		o.Headers = make(map[string]string, len(h))
		for k, v := range h {
			o.Headers[k] = v
		}
	}
}

// WithUserAgent sets "userAgent".
func WithUserAgent(ua string) Option { return func(o *Options) { o.UserAgent = ua } }

// WithPerMessageDeflate sets "perMessageDeflate".
func WithPerMessageDeflate(on bool) Option { return func(o *Options) { o.PerMessageDeflate = on } }

// WithProxy sets "proxy", an HTTP CONNECT proxy URL.
func WithProxy(url string) Option { return func(o *Options) { o.Proxy = url } }

// WithCAFile sets "caFile".
func WithCAFile(path string) Option { return func(o *Options) { o.CAFile = path } }

// WithClientCert sets "clientCertFile" and "clientKeyFile" for mutual TLS.
func WithClientCert(certFile, keyFile string) Option {
	return func(o *Options) { o.ClientCertFile, o.ClientKeyFile = certFile, keyFile }
}

// WithInsecureSkipTLSVerify sets "insecureSkipTlsVerify". DANGEROUS: for tests only.
func WithInsecureSkipTLSVerify(on bool) Option {
	return func(o *Options) { o.InsecureSkipTLSVerify = on }
}

// WithEventBuffer sets Options.EventBuffer, the capacity of the Events channel.
func WithEventBuffer(n int) Option { return func(o *Options) { o.EventBuffer = n } }

// WithRuntime sets Options.Runtime.
func WithRuntime(rt *Runtime) Option { return func(o *Options) { o.Runtime = rt } }
