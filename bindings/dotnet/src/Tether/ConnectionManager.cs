using System.Diagnostics.CodeAnalysis;
using System.Text.Json;
using System.Text.Json.Serialization.Metadata;
using Tether.Native;

namespace Tether;

/// <summary>
/// The specification's connection manager over a <see cref="TetherClient"/>: channels (subscribe,
/// unsubscribe, publish) and request/response, spoken in the client's wire protocol
/// (<see cref="TetherOptions.Protocol"/>, or the one a <see cref="TetherOptions.Provider"/> preset
/// sets): the specification's <c>json</c> envelope, Socket.IO, GraphQL, SignalR, Phoenix, Pusher,
/// Action Cable, Binance or API Gateway. With protocol <c>raw</c> every call fails with
/// <see cref="TetherStatus.NotSupported"/>, as does an operation the protocol does not have (the
/// message names the protocol and the operation).
/// </summary>
/// <remarks>
/// <para>What a channel, a publish and a request are depends on the protocol. With SignalR, for
/// example, a channel is a client method the hub invokes (<see cref="ChannelMessage.EventName"/>
/// names it, <see cref="ChannelMessage.Data"/> is its argument, or the array of its arguments), a
/// publish invokes a hub method with the payload as its argument array, and a request invokes one
/// and returns its result.</para>
/// <para>Subscriptions live across reconnects: after every (re)authentication tether re-subscribes
/// each live channel before it sends what was queued. Subscriptions and requests made while
/// offline are sent once the client is ready.</para>
/// <para>Every member is safe to call from any thread. Channel messages, handlers and events run
/// on the client's dispatcher, in order with its other events; tasks complete with continuations
/// that run asynchronously. Several managers over one client share its subscriptions and events.</para>
/// <para>The manager owns nothing: dispose the client to end everything (pending tasks then fail
/// with <see cref="ObjectDisposedException"/>).</para>
/// </remarks>
public sealed class ConnectionManager
{
    private readonly ManagerRouter _router;
    private TimeSpan _defaultRequestTimeout = TimeSpan.FromSeconds(30);

    /// <summary>Creates a manager over a client made with a <see cref="TetherOptions.Protocol"/>
    /// or a <see cref="TetherOptions.Provider"/> (not protocol <c>raw</c>).</summary>
    /// <param name="client">The client; connect it as usual, before or after subscribing.</param>
    public ConnectionManager(TetherClient client)
    {
        ArgumentNullException.ThrowIfNull(client);
        Client = client;
        _router = client.Core.Router;
    }

    /// <summary>The client the manager speaks through.</summary>
    public TetherClient Client { get; }

    /// <summary>Serializer options of the reflection-based overloads (payloads, parameters and
    /// results); null for System.Text.Json's defaults.</summary>
    public JsonSerializerOptions? SerializerOptions { get; init; }

    /// <summary>The timeout of a request made with <c>timeout: null</c>. Default 30 s;
    /// <see cref="Timeout.InfiniteTimeSpan"/> waits without limit.</summary>
    /// <exception cref="ArgumentOutOfRangeException">Not positive (and not infinite), or above int.MaxValue ms.</exception>
    public TimeSpan DefaultRequestTimeout
    {
        get => _defaultRequestTimeout;
        set
        {
            TimeoutMs(value, nameof(value));
            _defaultRequestTimeout = value;
        }
    }

    /// <summary>The server confirmed a subscription: once when it is made, again after each
    /// reconnect (<see cref="SubscriptionEventArgs.IsResubscription"/>). The sender is the client.</summary>
    public event EventHandler<SubscriptionEventArgs>? Subscribed
    {
        add => _router.Subscribed += value;
        remove => _router.Subscribed -= value;
    }

    /// <summary>A subscription has ended from the server's side: refused when it was made (the
    /// <see cref="SubscribeAsync(string, CancellationToken)"/> task faults too) or at a
    /// re-subscription after a reconnect, failed later, or completed by the server (a GraphQL
    /// <c>complete</c>: <see cref="TetherStatus.Closed"/>). <see cref="SubscriptionEventArgs.RemoteError"/>
    /// carries the server's error. The sender is the client.</summary>
    public event EventHandler<SubscriptionEventArgs>? SubscriptionFailed
    {
        add => _router.SubscriptionFailed += value;
        remove => _router.SubscriptionFailed -= value;
    }

    // ---- channels --------------------------------------------------------------------------------

    /// <summary>Subscribes to a channel; its messages are kept for <see cref="Subscription.ReadAllAsync"/>.</summary>
    /// <param name="channel">The channel name.</param>
    /// <param name="cancellationToken">Stops waiting for the confirmation and unsubscribes.</param>
    /// <returns>The subscription, once the server confirmed it (made while offline: once the
    /// client is ready and the server confirmed it). Protocols whose servers confirm nothing
    /// (socketio, graphql-*, signalr) count it confirmed once it is written.</returns>
    /// <exception cref="TetherException"><see cref="TetherStatus.Remote"/> when the server refused
    /// it (the message carries the server's reason, <see cref="TetherException.RemoteError"/> its
    /// error); <see cref="TetherStatus.NotSupported"/> with protocol raw;
    /// <see cref="TetherStatus.InvalidUtf8"/> for a channel that is not valid text.</exception>
    /// <exception cref="OperationCanceledException">Cancelled.</exception>
    /// <exception cref="ObjectDisposedException">The client was disposed.</exception>
    public Task<Subscription> SubscribeAsync(string channel, CancellationToken cancellationToken = default) =>
        SubscribeCoreAsync(channel, null, null, cancellationToken);

    /// <summary>Subscribes to a channel and calls <paramref name="handler"/> for each of its messages.</summary>
    /// <param name="channel">The channel name.</param>
    /// <param name="handler">Runs on the client's dispatcher, one message at a time, in order; an
    /// exception it throws is written to <see cref="System.Diagnostics.Trace"/>.</param>
    /// <param name="cancellationToken">Stops waiting for the confirmation and unsubscribes.</param>
    /// <returns>The subscription, once the server confirmed it.</returns>
    /// <exception cref="TetherException">As <see cref="SubscribeAsync(string, CancellationToken)"/>.</exception>
    public Task<Subscription> SubscribeAsync(string channel, Action<ChannelMessage> handler, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(handler);
        return SubscribeCoreAsync(channel, null, handler, cancellationToken);
    }

    /// <summary>Subscribes to a channel with parameters that go along with the subscription (a
    /// filter, a starting point...), e.g. <c>JsonSerializer.SerializeToElement(new { since = 0 })</c>.</summary>
    /// <param name="channel">The channel name.</param>
    /// <param name="parameters">Sent with the subscription (the <c>json</c> protocol's
    /// <c>payload</c>, Phoenix's join parameters, a GraphQL subscription's variables...), also on
    /// every re-subscription.</param>
    /// <param name="handler">Null to keep the messages for <see cref="Subscription.ReadAllAsync"/>;
    /// otherwise called for each message on the client's dispatcher.</param>
    /// <param name="cancellationToken">Stops waiting for the confirmation and unsubscribes.</param>
    /// <returns>The subscription, once the server confirmed it.</returns>
    /// <exception cref="TetherException">As <see cref="SubscribeAsync(string, CancellationToken)"/>,
    /// and <see cref="TetherStatus.NotSupported"/> when the protocol has no parameters for a
    /// subscription (SignalR, where they would make a server-to-client stream).</exception>
    public Task<Subscription> SubscribeAsync(string channel, JsonElement parameters, Action<ChannelMessage>? handler = null,
        CancellationToken cancellationToken = default) =>
        SubscribeCoreAsync(channel, ToJson(parameters), handler, cancellationToken);

    /// <summary>
    /// Ends a subscription: no message reaches it afterwards, its <see cref="Subscription.ReadAllAsync"/>
    /// ends once what was buffered is read, and when it was the channel's last subscription the
    /// server is told to stop sending the channel. Does nothing for a subscription that ended
    /// already or whose client was disposed. Never waits on the network.
    /// </summary>
    /// <param name="subscription">A subscription of this manager's client.</param>
    /// <exception cref="ArgumentException">The subscription belongs to another client.</exception>
    public void Unsubscribe(Subscription subscription)
    {
        ArgumentNullException.ThrowIfNull(subscription);
        SubscriptionState state = subscription.State;
        if (!_router.RemoveSubscription(state.Id))
        {
            if (!state.IsEnded && !Client.Core.IsDisposed)
                throw new ArgumentException("The subscription belongs to another client.", nameof(subscription));
            return;
        }
        try
        {
            int status = NativeMethods.ClientUnsubscribe(Client.Handle, state.Id);
            // INVALID_ARGUMENT: tether dropped it already (refused at a re-subscription whose
            // event is still on its way); nothing is left to undo.
            if (status != 0 && status != (int)TetherStatus.InvalidArgument) throw TetherException.FromLastError(status);
        }
        catch (ObjectDisposedException)
        {
            // The client was disposed meanwhile: everything ends anyway.
        }
        finally
        {
            state.End(null);
        }
    }

    /// <summary>Publishes a payload, serialized with reflection-based System.Text.Json
    /// (<see cref="SerializerOptions"/>), to a channel: with <c>json</c> to every subscriber
    /// (this client's too); with SignalR it invokes the hub method <paramref name="channel"/>
    /// with the payload as its argument array, without waiting for a result.</summary>
    /// <typeparam name="T">The payload's type.</typeparam>
    /// <param name="channel">The channel name.</param>
    /// <param name="payload">The payload.</param>
    /// <param name="cancellationToken">Stops waiting, not the publish.</param>
    /// <returns>A task that completes when the message was written to the socket; queued in order
    /// with <see cref="TetherClient.SendAsync(string, CancellationToken)"/>, also while offline.</returns>
    /// <exception cref="TetherException">Refused now (<see cref="TetherStatus.NotSupported"/> with
    /// protocol raw or one without publish, <see cref="TetherStatus.InvalidArgument"/> for a payload
    /// without the shape the protocol needs, queue full...) or failed later, as a send.</exception>
    [RequiresUnreferencedCode("JSON serialization of arbitrary types may need types that trimming removes; use the JsonTypeInfo overload.")]
    [RequiresDynamicCode("JSON serialization of arbitrary types may need runtime code generation; use the JsonTypeInfo overload.")]
    public Task PublishAsync<T>(string channel, T payload, CancellationToken cancellationToken = default)
    {
        CheckName(channel, nameof(channel));
        return Client.PublishCoreAsync(channel, JsonSerializer.SerializeToUtf8Bytes(payload, SerializerOptions), cancellationToken);
    }

    /// <summary>Publishes a payload serialized with source-generated metadata.</summary>
    /// <typeparam name="T">The payload's type.</typeparam>
    /// <param name="channel">The channel name.</param>
    /// <param name="payload">The payload.</param>
    /// <param name="typeInfo">The metadata, e.g. from a <c>JsonSerializerContext</c>.</param>
    /// <param name="cancellationToken">Stops waiting, not the publish.</param>
    /// <returns>A task that completes when the message was written to the socket.</returns>
    /// <exception cref="TetherException">Refused now or failed later, as a send.</exception>
    public Task PublishAsync<T>(string channel, T payload, JsonTypeInfo<T> typeInfo, CancellationToken cancellationToken = default)
    {
        CheckName(channel, nameof(channel));
        ArgumentNullException.ThrowIfNull(typeInfo);
        return Client.PublishCoreAsync(channel, JsonSerializer.SerializeToUtf8Bytes(payload, typeInfo), cancellationToken);
    }

    // ---- requests --------------------------------------------------------------------------------

    /// <summary>
    /// Sends a request and waits for its response, deserialized with reflection-based
    /// System.Text.Json (<see cref="SerializerOptions"/>). The binding gives each request its own id,
    /// so concurrent requests from any number of tasks each get their own answer.
    /// </summary>
    /// <typeparam name="TResult">The type of the result.</typeparam>
    /// <param name="method">The method name.</param>
    /// <param name="parameters">Null for none, or a value to serialize as the request's <c>payload</c>.</param>
    /// <param name="timeout">The longest wait for the response, from now; null for
    /// <see cref="DefaultRequestTimeout"/>, <see cref="Timeout.InfiniteTimeSpan"/> for none.</param>
    /// <param name="cancellationToken">Stops waiting; a response that arrives later is dropped.</param>
    /// <returns>The server's result.</returns>
    /// <exception cref="TetherException"><see cref="TetherStatus.Remote"/>: the server answered with an
    /// error (the message is the server's, <see cref="TetherException.RemoteError"/> its error object);
    /// <see cref="TetherStatus.Timeout"/>: no response in time; <see cref="TetherStatus.Closed"/>:
    /// the connection was lost after the request went out, or the client was closed;
    /// <see cref="TetherStatus.NotSupported"/>: protocol raw or one without requests; or refused
    /// now as a send.</exception>
    /// <exception cref="OperationCanceledException">Cancelled.</exception>
    /// <exception cref="JsonException">The result does not fit <typeparamref name="TResult"/>.</exception>
    [RequiresUnreferencedCode("JSON serialization of arbitrary types may need types that trimming removes; use the JsonTypeInfo overload.")]
    [RequiresDynamicCode("JSON serialization of arbitrary types may need runtime code generation; use the JsonTypeInfo overload.")]
    public async Task<TResult?> RequestAsync<TResult>(string method, object? parameters = null, TimeSpan? timeout = null,
        CancellationToken cancellationToken = default)
    {
        if (parameters is CancellationToken)
            throw new ArgumentException("A CancellationToken was passed as the request's parameters; name it: cancellationToken: token.", nameof(parameters));
        byte[]? json = parameters is null ? null : JsonSerializer.SerializeToUtf8Bytes(parameters, parameters.GetType(), SerializerOptions);
        byte[] result = await RequestCoreAsync(method, json, timeout, cancellationToken).ConfigureAwait(false);
        return JsonSerializer.Deserialize<TResult>(result, SerializerOptions);
    }

    /// <summary>Sends a request with source-generated metadata for its parameters and result.</summary>
    /// <typeparam name="TParams">The type of the parameters.</typeparam>
    /// <typeparam name="TResult">The type of the result.</typeparam>
    /// <param name="method">The method name.</param>
    /// <param name="parameters">Serialized as the request's <c>payload</c>.</param>
    /// <param name="parametersType">Metadata of <typeparamref name="TParams"/>.</param>
    /// <param name="resultType">Metadata of <typeparamref name="TResult"/>.</param>
    /// <param name="timeout">As in <see cref="RequestAsync{TResult}(string, object?, TimeSpan?, CancellationToken)"/>.</param>
    /// <param name="cancellationToken">Stops waiting; a response that arrives later is dropped.</param>
    /// <returns>The server's result.</returns>
    /// <exception cref="TetherException">As in <see cref="RequestAsync{TResult}(string, object?, TimeSpan?, CancellationToken)"/>.</exception>
    public async Task<TResult?> RequestAsync<TParams, TResult>(string method, TParams parameters, JsonTypeInfo<TParams> parametersType,
        JsonTypeInfo<TResult> resultType, TimeSpan? timeout = null, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(parametersType);
        ArgumentNullException.ThrowIfNull(resultType);
        byte[] json = JsonSerializer.SerializeToUtf8Bytes(parameters, parametersType);
        byte[] result = await RequestCoreAsync(method, json, timeout, cancellationToken).ConfigureAwait(false);
        return JsonSerializer.Deserialize(result, resultType);
    }

    /// <summary>Sends a request with JSON parameters and returns the result as a <see cref="JsonElement"/>
    /// (no reflection: fit for trimming and native AOT).</summary>
    /// <param name="method">The method name.</param>
    /// <param name="parameters">Null for none, or the request's <c>payload</c>.</param>
    /// <param name="timeout">As in <see cref="RequestAsync{TResult}(string, object?, TimeSpan?, CancellationToken)"/>.</param>
    /// <param name="cancellationToken">Stops waiting; a response that arrives later is dropped.</param>
    /// <returns>The server's result (<see cref="JsonValueKind.Null"/> when it sent none).</returns>
    /// <exception cref="TetherException">As in <see cref="RequestAsync{TResult}(string, object?, TimeSpan?, CancellationToken)"/>.</exception>
    public async Task<JsonElement> RequestJsonAsync(string method, JsonElement? parameters = null, TimeSpan? timeout = null,
        CancellationToken cancellationToken = default)
    {
        byte[]? json = parameters is { } p ? ToJson(p) : null;
        byte[] result = await RequestCoreAsync(method, json, timeout, cancellationToken).ConfigureAwait(false);
        return ParseElement(result);
    }

    /// <summary>A snapshot of the client's counters, with the manager's
    /// <see cref="TetherStats.ActiveSubscriptions"/>, <see cref="TetherStats.PendingRequests"/> and
    /// <see cref="TetherStats.Protocol"/>.</summary>
    public TetherStats GetStats() => Client.GetStats();

    // ---- the core ----------------------------------------------------------------------------------

    private async Task<Subscription> SubscribeCoreAsync(string channel, byte[]? parametersJson, Action<ChannelMessage>? handler,
        CancellationToken cancellationToken)
    {
        CheckName(channel, nameof(channel));
        cancellationToken.ThrowIfCancellationRequested();
        Client.EnsureNotDisposed();
        var state = new SubscriptionState(channel, handler);
        byte[]? parameters = ManagerRouter.Terminate(parametersJson);
        lock (_router.SyncRoot)
        {
            int status;
            ulong id;
            unsafe
            {
                fixed (byte* p = parameters)
                    status = NativeMethods.ClientSubscribe(out id, Client.Handle, channel, p);
            }
            if (status != 0) throw TetherException.FromLastError(status);
            state.Id = id;
            _router.AddSubscription(state);
        }
        var subscription = new Subscription(this, state);
        try
        {
            await state.Confirmed.WaitAsync(cancellationToken).ConfigureAwait(false);
        }
        catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
        {
            Unsubscribe(subscription);
            throw;
        }
        return subscription;
    }

    private async Task<byte[]> RequestCoreAsync(string method, byte[]? parametersJson, TimeSpan? timeout, CancellationToken cancellationToken)
    {
        CheckName(method, nameof(method));
        int timeoutMs = TimeoutMs(timeout ?? _defaultRequestTimeout, nameof(timeout));
        cancellationToken.ThrowIfCancellationRequested();
        Client.EnsureNotDisposed();
        ulong id = Client.NextId();
        var response = new TaskCompletionSource<byte[]>(TaskCreationOptions.RunContinuationsAsynchronously);
        if (!_router.AddRequest(id, response)) return await response.Task.ConfigureAwait(false);
        byte[]? parameters = ManagerRouter.Terminate(parametersJson);
        int status;
        try
        {
            unsafe
            {
                fixed (byte* p = parameters)
                    status = NativeMethods.ClientRequest(Client.Handle, method, p, timeoutMs, id);
            }
        }
        catch
        {
            _router.RemoveRequest(id);
            throw;
        }
        if (status != 0)
        {
            TetherException error = TetherException.FromLastError(status);
            _router.RemoveRequest(id);
            throw error;
        }
        try
        {
            return await response.Task.WaitAsync(cancellationToken).ConfigureAwait(false);
        }
        catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
        {
            // tether still waits for it (until its timeout); the answer, if any, is dropped.
            _router.RemoveRequest(id);
            throw;
        }
    }

    /// <summary>0 (none) for infinite, else whole milliseconds rounded up, at least 1.</summary>
    private static int TimeoutMs(TimeSpan timeout, string paramName)
    {
        if (timeout == Timeout.InfiniteTimeSpan) return 0;
        if (timeout <= TimeSpan.Zero || timeout.TotalMilliseconds > int.MaxValue)
            throw new ArgumentOutOfRangeException(paramName, timeout, "A timeout must be positive and at most int.MaxValue ms, or Timeout.InfiniteTimeSpan.");
        return (int)Math.Ceiling(timeout.TotalMilliseconds);
    }

    private static void CheckName(string name, string paramName)
    {
        ArgumentException.ThrowIfNullOrEmpty(name, paramName);
        if (name.Contains('\0')) throw new ArgumentException("The name contains U+0000, which tether's C interface cannot carry.", paramName);
    }

    private static byte[]? ToJson(JsonElement element)
    {
        if (element.ValueKind == JsonValueKind.Undefined) return null;
        using var buffer = new MemoryStream();
        using (var writer = new Utf8JsonWriter(buffer)) element.WriteTo(writer);
        return buffer.ToArray();
    }

    /// <summary>Parses JSON text into a standalone element; empty text is JSON null.</summary>
    internal static JsonElement ParseElement(ReadOnlySpan<byte> json)
    {
        if (json.IsEmpty) json = "null"u8;
        var reader = new Utf8JsonReader(json);
        return JsonElement.ParseValue(ref reader);
    }
}
