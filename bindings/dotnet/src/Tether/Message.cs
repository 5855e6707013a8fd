using System.Diagnostics.CodeAnalysis;
using System.Text;
using System.Text.Json;
using System.Text.Json.Serialization.Metadata;

namespace Tether;

/// <summary>A received message: its bytes and whether it came as a text or a binary frame.</summary>
public sealed class Message
{
    private string? _text;

    /// <summary>Creates a message (for tests and adapters; the client makes its own).</summary>
    /// <param name="type"><see cref="MessageType.Text"/> or <see cref="MessageType.Binary"/>.</param>
    /// <param name="data">The payload; not copied.</param>
    public Message(MessageType type, ReadOnlyMemory<byte> data)
    {
        Type = type;
        Data = data;
    }

    /// <summary><see cref="MessageType.Text"/> or <see cref="MessageType.Binary"/>.</summary>
    public MessageType Type { get; }

    /// <summary>The payload. Text is UTF-8 and may contain U+0000.</summary>
    public ReadOnlyMemory<byte> Data { get; }

    /// <summary>True for a text frame.</summary>
    public bool IsText => Type == MessageType.Text;

    /// <summary>The payload decoded as UTF-8 (for binary frames too; invalid bytes become U+FFFD).</summary>
    public string Text => _text ??= Encoding.UTF8.GetString(Data.Span);

    /// <summary>Deserializes the payload as JSON with reflection-based System.Text.Json.</summary>
    /// <typeparam name="T">The type to read.</typeparam>
    /// <param name="options">Serializer options, or null for the defaults.</param>
    /// <exception cref="JsonException">The payload is not JSON of that shape.</exception>
    [RequiresUnreferencedCode("JSON serialization of arbitrary types may need types that trimming removes; use the JsonTypeInfo overload.")]
    [RequiresDynamicCode("JSON serialization of arbitrary types may need runtime code generation; use the JsonTypeInfo overload.")]
    public T? ReadJson<T>(JsonSerializerOptions? options = null) => JsonSerializer.Deserialize<T>(Data.Span, options);

    /// <summary>Deserializes the payload as JSON with source-generated metadata.</summary>
    /// <typeparam name="T">The type to read.</typeparam>
    /// <param name="typeInfo">The metadata, e.g. from a <c>JsonSerializerContext</c>.</param>
    /// <exception cref="JsonException">The payload is not JSON of that shape.</exception>
    public T? ReadJson<T>(JsonTypeInfo<T> typeInfo) => JsonSerializer.Deserialize(Data.Span, typeInfo);

    /// <inheritdoc />
    public override string ToString() => IsText ? Text : $"<binary, {Data.Length} bytes>";
}
