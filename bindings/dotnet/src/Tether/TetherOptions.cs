using System.Globalization;
using System.Text.Json;
using Tether.Native;

namespace Tether;

/// <summary>
/// The configuration of a <see cref="TetherClient"/>: one typed property per option of the
/// specification (the camelCase key is in each property's remarks). A property left null keeps
/// tether's default. Values are checked by tether when the client is created, and a bad value
/// throws a <see cref="TetherException"/> that names the key.
/// </summary>
/// <remarks>Durations are whole milliseconds; fractions are dropped.</remarks>
public sealed class TetherOptions
{
    private readonly Dictionary<string, string> _extra = new(StringComparer.Ordinal);

    /// <summary>Creates options with every default; set at least <see cref="Url"/>.</summary>
    public TetherOptions() { }

    /// <summary>Creates options for a URL.</summary>
    /// <param name="url">A ws:// or wss:// URL.</param>
    public TetherOptions(string url) => Url = url;

    /// <summary><c>url</c>: the ws:// or wss:// URL. Required.</summary>
    public string? Url { get; set; }

    /// <summary><c>authMethod</c>: how to present <see cref="AuthToken"/>. Default <see cref="Tether.AuthMethod.None"/>.</summary>
    public AuthMethod? AuthMethod { get; set; }

    /// <summary><c>messageFormat</c>: default <see cref="Tether.MessageFormat.Json"/>.</summary>
    public MessageFormat? MessageFormat { get; set; }

    /// <summary><c>protocol</c>: the wire protocol of the connection manager. Default
    /// <see cref="WireProtocol.Raw"/>, with which <see cref="ConnectionManager"/> can do nothing;
    /// set it, or a <see cref="Provider"/> that sets it.</summary>
    public WireProtocol? Protocol { get; set; }

    /// <summary><c>provider</c>: a preset that sets <see cref="Protocol"/>, <see cref="AuthMethod"/>,
    /// <see cref="TokenParamName"/>, <see cref="Subprotocols"/> and <see cref="QueryParams"/> as
    /// that provider's own clients do. Those of them set here keep their values. Default
    /// <see cref="Tether.Provider.None"/>.</summary>
    public Provider? Provider { get; set; }

    /// <summary><c>namespace</c>: the Socket.IO namespace to connect to (<c>/</c> or <c>/name</c>);
    /// only protocol socketio uses it. Default <c>/</c>.</summary>
    public string? Namespace { get; set; }

    /// <summary><c>queryParams</c>: query parameters added to the URL at connect (a parameter the
    /// URL has already keeps the URL's value). Setting it replaces the preset's, e.g. the
    /// <c>EIO=4</c> of <see cref="Tether.Provider.SocketIO"/>.</summary>
    public IDictionary<string, string>? QueryParams { get; set; }

    /// <summary><c>authToken</c>: the secret. tether never shows it in errors, events, stats or logs.</summary>
    public string? AuthToken { get; set; }

    /// <summary><c>tokenParamName</c>: the query parameter for query-param auth. Default <c>token</c>.</summary>
    public string? TokenParamName { get; set; }

    /// <summary><c>authMessageType</c>: <c>{{type}}</c> in the auth template. Default <c>authenticate</c>.</summary>
    public string? AuthMessageType { get; set; }

    /// <summary><c>authMessageTemplate</c>: the first message for first-message auth, with
    /// <c>{{type}}</c> and <c>{{token}}</c> placeholders.</summary>
    public string? AuthMessageTemplate { get; set; }

    /// <summary><c>authSuccessType</c>: the reply <c>type</c> that confirms first-message auth;
    /// empty means ready once the auth message is written.</summary>
    public string? AuthSuccessType { get; set; }

    /// <summary><c>authTimeout</c>: the wait for the <see cref="AuthSuccessType"/> reply. Default 10 s.</summary>
    public TimeSpan? AuthTimeout { get; set; }

    /// <summary><c>subprotocols</c>: offered in Sec-WebSocket-Protocol, in this order.</summary>
    public IList<string>? Subprotocols { get; set; }

    /// <summary><c>pingInterval</c>: WebSocket ping interval; zero turns keep-alive off. Default 30 s.</summary>
    public TimeSpan? PingInterval { get; set; }

    /// <summary><c>pongTimeout</c>: no pong in time means the peer is dead. Default 5 s.</summary>
    public TimeSpan? PongTimeout { get; set; }

    /// <summary><c>autoReconnect</c>: default true.</summary>
    public bool? AutoReconnect { get; set; }

    /// <summary><c>maxReconnectAttempts</c>: consecutive failures before giving up; 0 = unlimited. Default 10.</summary>
    public int? MaxReconnectAttempts { get; set; }

    /// <summary><c>reconnectDelay</c>: base of the exponential backoff. Default 1 s.</summary>
    public TimeSpan? ReconnectDelay { get; set; }

    /// <summary><c>maxReconnectDelay</c>: cap of the backoff. Default 30 s.</summary>
    public TimeSpan? MaxReconnectDelay { get; set; }

    /// <summary><c>connectTimeout</c>: DNS + TCP (+ proxy). Default 10 s.</summary>
    public TimeSpan? ConnectTimeout { get; set; }

    /// <summary><c>handshakeTimeout</c>: TLS + WebSocket handshake. Default 10 s.</summary>
    public TimeSpan? HandshakeTimeout { get; set; }

    /// <summary><c>closeTimeout</c>: a close always ends within it. Default 5 s.</summary>
    public TimeSpan? CloseTimeout { get; set; }

    /// <summary><c>maxMessageSize</c>: in bytes, both ways. Default 16 MiB.</summary>
    public long? MaxMessageSize { get; set; }

    /// <summary><c>queueWhileOffline</c>: queue sends made while not ready. Default true.</summary>
    public bool? QueueWhileOffline { get; set; }

    /// <summary><c>maxQueuedMessages</c>: bound of the outgoing queue. Default 1000.</summary>
    public long? MaxQueuedMessages { get; set; }

    /// <summary><c>maxQueuedBytes</c>: bound of the outgoing queue. Default 16 MiB.</summary>
    public long? MaxQueuedBytes { get; set; }

    /// <summary><c>maxPollQueue</c>: only for poll-mode clients of the C API. Default 10000.</summary>
    public long? MaxPollQueue { get; set; }

    /// <summary><c>headers</c>: extra headers of the upgrade request.</summary>
    public IDictionary<string, string>? Headers { get; set; }

    /// <summary><c>userAgent</c>: default <c>tether/VERSION</c>.</summary>
    public string? UserAgent { get; set; }

    /// <summary><c>perMessageDeflate</c>: offer permessage-deflate. Default false.</summary>
    public bool? PerMessageDeflate { get; set; }

    /// <summary><c>proxy</c>: an HTTP CONNECT proxy, <c>http://[user:password@]host[:port]</c>.</summary>
    public string? Proxy { get; set; }

    /// <summary><c>caFile</c>: PEM CAs to trust instead of the system store.</summary>
    public string? CaFile { get; set; }

    /// <summary><c>clientCertFile</c>: client certificate (PEM) for mutual TLS.</summary>
    public string? ClientCertFile { get; set; }

    /// <summary><c>clientKeyFile</c>: the client certificate's key (PEM).</summary>
    public string? ClientKeyFile { get; set; }

    /// <summary><c>insecureSkipTlsVerify</c>: DANGEROUS, no certificate or host-name check. Default false.</summary>
    public bool? InsecureSkipTlsVerify { get; set; }

    /// <summary>Sets an option by its key and text form, for keys that a newer libtether has
    /// and this class does not yet. It wins over the typed property of the same key.</summary>
    /// <param name="key">The camelCase key.</param>
    /// <param name="value">The text form ("true", "30000", a JSON object for headers).</param>
    /// <returns>This object, to chain calls.</returns>
    public TetherOptions Set(string key, string value)
    {
        ArgumentException.ThrowIfNullOrEmpty(key);
        ArgumentNullException.ThrowIfNull(value);
        _extra[key] = value;
        return this;
    }

    /// <summary>The JSON description of every option that the loaded libtether knows (type,
    /// default, required, secret, allowed values, documentation).</summary>
    public static string SchemaJson => NativeMethods.Text(NativeMethods.OptionsSchemaJson());

    /// <summary>Checks every value against tether's rules without creating a client.</summary>
    /// <exception cref="TetherException">A value is refused; the message names the key.</exception>
    public void Validate()
    {
        using OptionsHandle handle = ToNative();
    }

    /// <summary>The options as tether's key/value text pairs, only those that are set.</summary>
    public IReadOnlyList<KeyValuePair<string, string>> ToKeyValuePairs()
    {
        var pairs = new List<KeyValuePair<string, string>>();
        void Add(string key, string? value)
        {
            if (value is not null && !_extra.ContainsKey(key)) pairs.Add(new(key, value));
        }

        Add("url", Url);
        Add("authMethod", AuthMethod switch
        {
            null => null,
            Tether.AuthMethod.None => "none",
            Tether.AuthMethod.QueryParam => "query-param",
            Tether.AuthMethod.FirstMessage => "first-message",
            Tether.AuthMethod.Subprotocol => "subprotocol",
            _ => throw new ArgumentOutOfRangeException(nameof(AuthMethod), AuthMethod, "not an AuthMethod"),
        });
        Add("messageFormat", MessageFormat switch
        {
            null => null,
            Tether.MessageFormat.Json => "json",
            Tether.MessageFormat.Text => "text",
            Tether.MessageFormat.Binary => "binary",
            _ => throw new ArgumentOutOfRangeException(nameof(MessageFormat), MessageFormat, "not a MessageFormat"),
        });
        Add("protocol", Protocol switch
        {
            null => null,
            WireProtocol.Raw => "raw",
            WireProtocol.Json => "json",
            WireProtocol.SocketIO => "socketio",
            WireProtocol.GraphQLTransportWs => "graphql-transport-ws",
            WireProtocol.GraphQLWs => "graphql-ws",
            WireProtocol.SignalR => "signalr",
            WireProtocol.Phoenix => "phoenix",
            WireProtocol.Pusher => "pusher",
            WireProtocol.ActionCable => "actioncable",
            WireProtocol.Binance => "binance",
            WireProtocol.AwsApiGateway => "aws-apigateway",
            _ => throw new ArgumentOutOfRangeException(nameof(Protocol), Protocol, "not a WireProtocol"),
        });
        Add("provider", Provider switch
        {
            null => null,
            Tether.Provider.None => "none",
            Tether.Provider.SocketIO => "socketio",
            Tether.Provider.Pusher => "pusher",
            Tether.Provider.Ably => "ably",
            Tether.Provider.Phoenix => "phoenix",
            Tether.Provider.ActionCable => "actioncable",
            Tether.Provider.SignalR => "signalr",
            Tether.Provider.GraphQL => "graphql",
            Tether.Provider.Apollo => "apollo",
            Tether.Provider.AwsApiGateway => "aws-apigateway",
            Tether.Provider.Binance => "binance",
            Tether.Provider.Echo => "echo",
            _ => throw new ArgumentOutOfRangeException(nameof(Provider), Provider, "not a Provider"),
        });
        Add("namespace", Namespace);
        Add("queryParams", QueryParams is null ? null : StringMapJson(QueryParams));
        Add("authToken", AuthToken);
        Add("tokenParamName", TokenParamName);
        Add("authMessageType", AuthMessageType);
        Add("authMessageTemplate", AuthMessageTemplate);
        Add("authSuccessType", AuthSuccessType);
        Add("authTimeout", Ms(AuthTimeout));
        Add("subprotocols", Subprotocols is null ? null : string.Join(",", Subprotocols));
        Add("pingInterval", Ms(PingInterval));
        Add("pongTimeout", Ms(PongTimeout));
        Add("autoReconnect", Bool(AutoReconnect));
        Add("maxReconnectAttempts", Num(MaxReconnectAttempts));
        Add("reconnectDelay", Ms(ReconnectDelay));
        Add("maxReconnectDelay", Ms(MaxReconnectDelay));
        Add("connectTimeout", Ms(ConnectTimeout));
        Add("handshakeTimeout", Ms(HandshakeTimeout));
        Add("closeTimeout", Ms(CloseTimeout));
        Add("maxMessageSize", Num(MaxMessageSize));
        Add("queueWhileOffline", Bool(QueueWhileOffline));
        Add("maxQueuedMessages", Num(MaxQueuedMessages));
        Add("maxQueuedBytes", Num(MaxQueuedBytes));
        Add("maxPollQueue", Num(MaxPollQueue));
        Add("headers", Headers is null ? null : StringMapJson(Headers));
        Add("userAgent", UserAgent);
        Add("perMessageDeflate", Bool(PerMessageDeflate));
        Add("proxy", Proxy);
        Add("caFile", CaFile);
        Add("clientCertFile", ClientCertFile);
        Add("clientKeyFile", ClientKeyFile);
        Add("insecureSkipTlsVerify", Bool(InsecureSkipTlsVerify));
        pairs.AddRange(_extra);
        return pairs;
    }

    /// <summary>Makes the native options object; the caller disposes it.</summary>
    internal OptionsHandle ToNative()
    {
        TetherException.ThrowIfFailed(NativeMethods.OptionsNew(out OptionsHandle handle));
        try
        {
            foreach (var (key, value) in ToKeyValuePairs())
                TetherException.ThrowIfFailed(NativeMethods.OptionsSet(handle, key, value));
            return handle;
        }
        catch
        {
            handle.Dispose();
            throw;
        }
    }

    private static string? Ms(TimeSpan? value) =>
        value is null ? null : ((long)value.Value.TotalMilliseconds).ToString(CultureInfo.InvariantCulture);

    private static string? Num(long? value) => value?.ToString(CultureInfo.InvariantCulture);

    private static string? Bool(bool? value) => value is null ? null : value.Value ? "true" : "false";

    /// <summary>A JSON object of string values, as <c>headers</c> and <c>queryParams</c> take it.</summary>
    private static string StringMapJson(IDictionary<string, string> map)
    {
        using var buffer = new MemoryStream();
        using (var writer = new Utf8JsonWriter(buffer))
        {
            writer.WriteStartObject();
            foreach (var (name, value) in map) writer.WriteString(name, value);
            writer.WriteEndObject();
        }
        return System.Text.Encoding.UTF8.GetString(buffer.ToArray());
    }
}
