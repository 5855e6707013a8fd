using System.Text.Json;

namespace Tether;

/// <summary>A snapshot of a client's counters.</summary>
/// <param name="State">The state as the specification spells it ("authenticated").</param>
/// <param name="MessagesSent">Messages written to the socket.</param>
/// <param name="MessagesReceived">Messages received.</param>
/// <param name="BytesSent">Payload bytes written.</param>
/// <param name="BytesReceived">Payload bytes received.</param>
/// <param name="Reconnects">Successful reconnects.</param>
/// <param name="LatencyMs">The last ping round trip in milliseconds; -1 before the first pong.</param>
/// <param name="QueuedMessages">Messages waiting in the outgoing queue.</param>
/// <param name="QueuedBytes">Bytes waiting in the outgoing queue.</param>
/// <param name="Url">The URL with any token replaced by <c>***</c>.</param>
public sealed record TetherStats(
    string State, long MessagesSent, long MessagesReceived, long BytesSent, long BytesReceived,
    long Reconnects, long LatencyMs, long QueuedMessages, long QueuedBytes, string Url)
{
    internal static TetherStats Parse(string json)
    {
        using JsonDocument doc = JsonDocument.Parse(json);
        JsonElement o = doc.RootElement;
        long N(string name) => o.TryGetProperty(name, out JsonElement v) && v.ValueKind == JsonValueKind.Number ? v.GetInt64() : 0;
        string S(string name) => o.TryGetProperty(name, out JsonElement v) && v.ValueKind == JsonValueKind.String ? v.GetString()! : "";
        return new TetherStats(S("state"), N("messagesSent"), N("messagesReceived"), N("bytesSent"), N("bytesReceived"),
            N("reconnects"), N("latencyMs"), N("queuedMessages"), N("queuedBytes"), S("url"))
        {
            ActiveSubscriptions = N("activeSubscriptions"),
            PendingRequests = N("pendingRequests"),
            Protocol = S("protocol") is { Length: > 0 } protocol ? protocol : "raw",
        };
    }

    /// <summary>Live subscriptions of the connection manager (<c>activeSubscriptions</c>); 0 with
    /// protocol raw.</summary>
    public long ActiveSubscriptions { get; init; }

    /// <summary>Requests of the connection manager waiting for their response (<c>pendingRequests</c>),
    /// including those whose task was cancelled but that tether still waits for.</summary>
    public long PendingRequests { get; init; }

    /// <summary>The wire protocol of the connection manager as tether names it (<c>raw</c>,
    /// <c>json</c>, <c>signalr</c>...; see <see cref="WireProtocol"/>).</summary>
    public string Protocol { get; init; } = "raw";
}
