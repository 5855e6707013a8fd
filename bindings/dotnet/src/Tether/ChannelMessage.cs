using System.Diagnostics.CodeAnalysis;
using System.Text;
using System.Text.Json;
using System.Text.Json.Serialization.Metadata;

namespace Tether;

/// <summary>A message published on a channel that a <see cref="Subscription"/> listens to.</summary>
public sealed class ChannelMessage
{
    private string? _text;

    /// <summary>Creates a channel message (for tests and adapters; the manager makes its own).</summary>
    /// <param name="channel">The channel.</param>
    /// <param name="subscriptionId">The subscription it was delivered to.</param>
    /// <param name="payload">The payload as UTF-8 JSON; not copied.</param>
    public ChannelMessage(string channel, ulong subscriptionId, ReadOnlyMemory<byte> payload)
        : this(channel, subscriptionId, payload, "") { }

    /// <summary>Creates a channel message with the protocol's event name.</summary>
    /// <param name="channel">The channel.</param>
    /// <param name="subscriptionId">The subscription it was delivered to.</param>
    /// <param name="payload">The payload as UTF-8 JSON; not copied.</param>
    /// <param name="eventName">The protocol's event name; empty when it has none.</param>
    public ChannelMessage(string channel, ulong subscriptionId, ReadOnlyMemory<byte> payload, string eventName)
    {
        ArgumentNullException.ThrowIfNull(channel);
        ArgumentNullException.ThrowIfNull(eventName);
        Channel = channel;
        SubscriptionId = subscriptionId;
        Data = payload;
        EventName = eventName;
    }

    /// <summary>The channel it was published on.</summary>
    public string Channel { get; }

    /// <summary>The protocol's name for the event, where it has one: the Socket.IO event, the
    /// Phoenix or Pusher event, the client method a SignalR hub invoked, the Binance event type.
    /// Empty for protocols without (<c>json</c>, GraphQL, Action Cable...).</summary>
    public string EventName { get; }

    /// <summary>The id of the subscription it was delivered to (<see cref="Subscription.Id"/>).</summary>
    public ulong SubscriptionId { get; }

    /// <summary>The payload as UTF-8 JSON text, as the publisher sent it.</summary>
    public ReadOnlyMemory<byte> Data { get; }

    /// <summary>The payload as JSON text.</summary>
    public string Text => _text ??= Encoding.UTF8.GetString(Data.Span);

    /// <summary>The payload as a <see cref="JsonElement"/> (<see cref="JsonValueKind.Null"/> when the
    /// publisher sent none).</summary>
    /// <exception cref="JsonException">The payload is not JSON.</exception>
    public JsonElement Payload => ConnectionManager.ParseElement(Data.Span);

    /// <summary>Deserializes the payload with reflection-based System.Text.Json.</summary>
    /// <typeparam name="T">The type to read.</typeparam>
    /// <param name="options">Serializer options, or null for the defaults.</param>
    /// <exception cref="JsonException">The payload is not JSON of that shape.</exception>
    [RequiresUnreferencedCode("JSON serialization of arbitrary types may need types that trimming removes; use the JsonTypeInfo overload.")]
    [RequiresDynamicCode("JSON serialization of arbitrary types may need runtime code generation; use the JsonTypeInfo overload.")]
    public T? ReadJson<T>(JsonSerializerOptions? options = null) => JsonSerializer.Deserialize<T>(Data.Span, options);

    /// <summary>Deserializes the payload with source-generated metadata.</summary>
    /// <typeparam name="T">The type to read.</typeparam>
    /// <param name="typeInfo">The metadata, e.g. from a <c>JsonSerializerContext</c>.</param>
    /// <exception cref="JsonException">The payload is not JSON of that shape.</exception>
    public T? ReadJson<T>(JsonTypeInfo<T> typeInfo) => JsonSerializer.Deserialize(Data.Span, typeInfo);

    /// <inheritdoc />
    public override string ToString() => $"{Channel}: {Text}";
}
