namespace Tether;

/// <summary>The connection states of the specification, numbered as tether.h numbers them.</summary>
public enum ConnectionState
{
    /// <summary>Not connected.</summary>
    Disconnected = 0,
    /// <summary>TCP, TLS and WebSocket handshakes in progress.</summary>
    Connecting = 1,
    /// <summary>WebSocket open, not yet ready.</summary>
    Connected = 2,
    /// <summary>Awaiting the reply to the first-message auth, or the protocol's handshake
    /// (Socket.IO CONNECT, GraphQL connection_ack, SignalR handshake, Pusher connection_established, Action Cable welcome).</summary>
    Authenticating = 3,
    /// <summary>Ready to use.</summary>
    Authenticated = 4,
    /// <summary>Waiting for the next reconnect attempt.</summary>
    Reconnecting = 5,
    /// <summary>Failed for good: no reconnect will follow.</summary>
    Error = 6,
}

/// <summary>The frame type of a message.</summary>
public enum MessageType
{
    /// <summary>For sending only: text for messageFormat <c>json</c>/<c>text</c>, binary for
    /// <c>binary</c>; with <c>json</c> tether checks that the payload is JSON.</summary>
    Default = 0,
    /// <summary>A text frame (UTF-8).</summary>
    Text = 1,
    /// <summary>A binary frame.</summary>
    Binary = 2,
}

/// <summary>How the client authenticates (option <c>authMethod</c>).</summary>
public enum AuthMethod
{
    /// <summary><c>none</c>: no authentication.</summary>
    None,
    /// <summary><c>query-param</c>: the token goes in the URL query (<see cref="TetherOptions.TokenParamName"/>).</summary>
    QueryParam,
    /// <summary><c>first-message</c>: the token goes in the first message (<see cref="TetherOptions.AuthMessageTemplate"/>).</summary>
    FirstMessage,
    /// <summary><c>subprotocol</c>: the token is offered in Sec-WebSocket-Protocol.</summary>
    Subprotocol,
}

/// <summary>What the client's messages are (option <c>messageFormat</c>).</summary>
public enum MessageFormat
{
    /// <summary><c>json</c>: text frames that must hold JSON (checked on send).</summary>
    Json,
    /// <summary><c>text</c>: text frames.</summary>
    Text,
    /// <summary><c>binary</c>: binary frames.</summary>
    Binary,
}

/// <summary>The wire protocol of the connection manager (option <c>protocol</c>): what a channel,
/// a publish and a request are on the wire. A <see cref="Provider"/> preset sets it for you.</summary>
/// <remarks>An operation a protocol does not have fails with <see cref="TetherStatus.NotSupported"/>
/// and a message that names the protocol and the operation (publish in GraphQL, request in
/// Pusher, a SignalR subscription with parameters...).</remarks>
public enum WireProtocol
{
    /// <summary><c>raw</c>: no protocol; messages go out and come in as they are. The connection
    /// manager's calls fail with <see cref="TetherStatus.NotSupported"/>.</summary>
    Raw,
    /// <summary><c>json</c>: the specification's envelope <c>{type, channel, payload, id, timestamp}</c>.</summary>
    Json,
    /// <summary><c>socketio</c>: Engine.IO 4 / Socket.IO 5. A channel is an event name, a publish
    /// emits an event, a request emits one with an acknowledgement.</summary>
    SocketIO,
    /// <summary><c>graphql-transport-ws</c>: the graphql-ws library's protocol. A channel is a
    /// subscription query; a request is a query or mutation; there is no publish.</summary>
    GraphQLTransportWs,
    /// <summary><c>graphql-ws</c>: Apollo's legacy subscriptions-transport-ws protocol.</summary>
    GraphQLWs,
    /// <summary><c>signalr</c>: ASP.NET Core SignalR's JSON hub protocol. A channel is a client
    /// method the hub invokes, a publish invokes a hub method without waiting, a request invokes
    /// one and waits for its result; payloads are the argument array.</summary>
    SignalR,
    /// <summary><c>phoenix</c>: Phoenix Channels (V2 serializer). A channel is a topic that is
    /// joined; a publish pushes an event, a request pushes one and waits for the reply.</summary>
    Phoenix,
    /// <summary><c>pusher</c>: Pusher Channels protocol 7. A channel is a Pusher channel; a
    /// publish is a client event; there is no request.</summary>
    Pusher,
    /// <summary><c>actioncable</c>: Rails Action Cable. A channel is a channel class (with its
    /// parameters, the subscription's identifier); a publish performs an action.</summary>
    ActionCable,
    /// <summary><c>binance</c>: Binance's market-data streams; a channel is a stream name
    /// (live SUBSCRIBE / UNSUBSCRIBE).</summary>
    Binance,
    /// <summary><c>aws-apigateway</c>: an Amazon API Gateway WebSocket API, whose routes are
    /// selected by the frame's <c>action</c>.</summary>
    AwsApiGateway,
}

/// <summary>A provider preset (option <c>provider</c>): sets <see cref="TetherOptions.Protocol"/>,
/// <see cref="TetherOptions.AuthMethod"/>, <see cref="TetherOptions.TokenParamName"/>,
/// <see cref="TetherOptions.Subprotocols"/> and <see cref="TetherOptions.QueryParams"/> as that
/// provider's own clients do. Any of these the application sets itself keeps its value.</summary>
public enum Provider
{
    /// <summary><c>none</c>: no preset.</summary>
    None,
    /// <summary><c>socketio</c>: protocol socketio, the token in the CONNECT packet's auth,
    /// <c>EIO=4</c> and <c>transport=websocket</c> in the URL.</summary>
    SocketIO,
    /// <summary><c>pusher</c>: protocol pusher; <c>protocol=7</c>, <c>client</c> and
    /// <c>version</c> in the URL.</summary>
    Pusher,
    /// <summary><c>ably</c>: protocol raw, the token (an API key) as the <c>key</c> query
    /// parameter, <c>format=json</c>.</summary>
    Ably,
    /// <summary><c>phoenix</c>: protocol phoenix, <c>vsn=2.0.0</c>, the token as a query parameter.</summary>
    Phoenix,
    /// <summary><c>actioncable</c>: protocol actioncable, its subprotocols, the token as the
    /// <c>token</c> query parameter.</summary>
    ActionCable,
    /// <summary><c>signalr</c>: protocol signalr, the token as <c>access_token</c> in the URL
    /// (connect straight to the hub URL; tether does not negotiate).</summary>
    SignalR,
    /// <summary><c>graphql</c>: protocol graphql-transport-ws and its subprotocol, the token in
    /// connection_init.</summary>
    GraphQL,
    /// <summary><c>apollo</c>: protocol graphql-ws (Apollo's legacy transport), the token in
    /// connection_init.</summary>
    Apollo,
    /// <summary><c>aws-apigateway</c>: protocol aws-apigateway, the token as the
    /// <c>Authorization</c> query parameter.</summary>
    AwsApiGateway,
    /// <summary><c>binance</c>: protocol binance, no auth.</summary>
    Binance,
    /// <summary><c>echo</c>: an echo server: protocol raw, no auth.</summary>
    Echo,
}
