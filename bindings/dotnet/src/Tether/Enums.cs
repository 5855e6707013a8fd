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
    /// <summary>The first-message auth was sent; awaiting the reply.</summary>
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

/// <summary>The wire protocol of the connection manager (option <c>protocol</c>).</summary>
public enum WireProtocol
{
    /// <summary><c>raw</c>: no protocol; messages go out and come in as they are. The connection
    /// manager's calls fail with <see cref="TetherStatus.NotSupported"/>.</summary>
    Raw,
    /// <summary><c>json</c>: the specification's envelope <c>{type, channel, payload, id, timestamp}</c>,
    /// which <see cref="ConnectionManager"/> speaks.</summary>
    Json,
}
