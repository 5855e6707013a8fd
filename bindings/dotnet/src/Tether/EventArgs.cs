namespace Tether;

/// <summary>The client is ready: connected and, when auth is configured, authenticated.</summary>
public sealed class OpenedEventArgs(string subprotocol) : EventArgs
{
    /// <summary>The subprotocol the server selected; empty when none.</summary>
    public string Subprotocol { get; } = subprotocol;
}

/// <summary>A message arrived.</summary>
public sealed class MessageReceivedEventArgs(Message message) : EventArgs
{
    /// <summary>The message.</summary>
    public Message Message { get; } = message;
}

/// <summary>A connection closed. Whether a reconnect follows is told by the next
/// <see cref="TetherClient.StateChanged"/> (<see cref="ConnectionState.Reconnecting"/> or not).</summary>
public sealed class ClosedEventArgs(int code, string reason, bool wasClean, TetherStatus status) : EventArgs
{
    /// <summary>The close code; 1006 when no close frame arrived.</summary>
    public int Code { get; } = code;

    /// <summary>The close reason; empty when none.</summary>
    public string Reason { get; } = reason;

    /// <summary>True when the closing handshake completed.</summary>
    public bool WasClean { get; } = wasClean;

    /// <summary>The failure behind the close, or <see cref="TetherStatus.Ok"/> for a close frame.</summary>
    public TetherStatus Status { get; } = status;

    /// <summary>The specification's meaning of <see cref="Code"/> ("Normal closure", ...).</summary>
    public string CodeDescription => TetherClient.DescribeCloseCode(Code);
}

/// <summary>A failure: a connect attempt failed, auth was refused, the peer stopped answering...</summary>
public sealed class TetherErrorEventArgs(TetherStatus status, string message) : EventArgs
{
    /// <summary>What failed.</summary>
    public TetherStatus Status { get; } = status;

    /// <summary>tether's description; never contains the token.</summary>
    public string Message { get; } = message;

    /// <summary>The same as an exception, e.g. to log or rethrow.</summary>
    public TetherException ToException() => new(Status, Message);
}

/// <summary>The connection state changed.</summary>
public sealed class StateChangedEventArgs(ConnectionState state, ConnectionState previousState) : EventArgs
{
    /// <summary>The new state.</summary>
    public ConnectionState State { get; } = state;

    /// <summary>The state before.</summary>
    public ConnectionState PreviousState { get; } = previousState;
}

/// <summary>A reconnect attempt is scheduled.</summary>
public sealed class ReconnectingEventArgs(int attempt, TimeSpan delay) : EventArgs
{
    /// <summary>The attempt number, from 1.</summary>
    public int Attempt { get; } = attempt;

    /// <summary>The wait before the attempt.</summary>
    public TimeSpan Delay { get; } = delay;
}

/// <summary>The server confirmed a subscription of the connection manager, or ended it (refused,
/// failed or completed it).</summary>
public sealed class SubscriptionEventArgs(ulong subscriptionId, string channel, bool again, TetherStatus status, string message)
    : EventArgs
{
    /// <summary>The subscription's id (<see cref="Subscription.Id"/>).</summary>
    public ulong SubscriptionId { get; } = subscriptionId;

    /// <summary>The channel.</summary>
    public string Channel { get; } = channel;

    /// <summary>True for a re-subscription after a reconnect: the subscription had been confirmed before.</summary>
    public bool IsResubscription { get; } = again;

    /// <summary><see cref="TetherStatus.Ok"/> when confirmed; <see cref="TetherStatus.Remote"/> when
    /// the server refused or failed it; <see cref="TetherStatus.Closed"/> when the server ended it
    /// (a GraphQL <c>complete</c>).</summary>
    public TetherStatus Status { get; } = status;

    /// <summary>Why it ended, as tether reports the server's answer; empty when confirmed.</summary>
    public string Message { get; } = message;

    /// <summary>The error the server sent, as JSON text (a Phoenix join reply's response, a
    /// Pusher <c>subscription_error</c>'s data, GraphQL's errors...); null when confirmed or when
    /// the server sent none.</summary>
    public string? RemoteError { get; init; }
}
