namespace Tether;

/// <summary>
/// The status codes of tether.h (<c>tether_status</c>). The numbers are permanent: tether never
/// renumbers or reuses a code, so a value outside this list is a code from a newer library.
/// </summary>
public enum TetherStatus
{
    /// <summary>Success (<c>TETHER_OK</c>).</summary>
    Ok = 0,
    /// <summary>A null reference, bad length or out-of-range number.</summary>
    InvalidArgument = -1,
    /// <summary>No option has that key.</summary>
    UnknownOption = -2,
    /// <summary>The value does not fit the option's type or range.</summary>
    BadOptionValue = -3,
    /// <summary>The URL is malformed or not ws:// / wss://.</summary>
    BadUrl = -4,
    /// <summary>An allocation failed.</summary>
    NoMemory = -5,
    /// <summary>The call does not fit the client's state.</summary>
    BadState = -6,
    /// <summary>The outgoing queue is at its message or byte limit.</summary>
    QueueFull = -7,
    /// <summary>Not ready and queueing while offline is off.</summary>
    NotConnected = -8,
    /// <summary>A wait, connect, handshake or auth timed out.</summary>
    Timeout = -9,
    /// <summary>A blocking call was made on a library I/O thread.</summary>
    WouldDeadlock = -10,
    /// <summary>Text that must be JSON is not.</summary>
    InvalidJson = -11,
    /// <summary>Text that must be UTF-8 is not.</summary>
    InvalidUtf8 = -12,
    /// <summary>The host name could not be resolved.</summary>
    Dns = -13,
    /// <summary>The TCP connection failed (refused, unreachable).</summary>
    Connect = -14,
    /// <summary>TLS failed: certificate, host name or handshake.</summary>
    Tls = -15,
    /// <summary>The HTTP upgrade was refused or malformed.</summary>
    Handshake = -16,
    /// <summary>The server refused the credentials.</summary>
    Auth = -17,
    /// <summary>The HTTP CONNECT proxy refused or failed.</summary>
    Proxy = -18,
    /// <summary>The peer broke the WebSocket protocol.</summary>
    Protocol = -19,
    /// <summary>A message exceeded maxMessageSize.</summary>
    MessageTooBig = -20,
    /// <summary>The connection or client is closed.</summary>
    Closed = -21,
    /// <summary>No pong within pongTimeout: the peer is dead.</summary>
    PongTimeout = -22,
    /// <summary>A socket read or write failed.</summary>
    IO = -23,
    /// <summary>The operation is not supported here.</summary>
    NotSupported = -24,
    /// <summary>A bug in tether; the message says where.</summary>
    Internal = -25,
    /// <summary>The operation was cancelled by close or destroy.</summary>
    Cancelled = -26,
    /// <summary>The server answered a request or subscription with an error; the message says
    /// what it said.</summary>
    Remote = -27,
}
