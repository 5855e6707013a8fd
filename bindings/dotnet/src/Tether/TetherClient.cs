using System.Diagnostics.CodeAnalysis;
using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using System.Text;
using System.Text.Json;
using System.Text.Json.Serialization.Metadata;
using Tether.Native;

namespace Tether;

/// <summary>
/// A resilient WebSocket client: it connects, authenticates, keeps the connection alive with
/// pings, reconnects with backoff, and queues messages while offline.
/// </summary>
/// <remarks>
/// <para>Every member is safe to call from any thread, concurrently.</para>
/// <para>Events are raised in order, one at a time, on a dispatcher task of this client, never on
/// tether's I/O thread: a slow handler delays this client's later events but never the network.
/// An exception thrown by a handler is written to <see cref="System.Diagnostics.Trace"/> and does
/// not stop later events. Tasks complete with continuations that run asynchronously.</para>
/// <para>Dispose the client (or <c>await using</c> it). A client that is never disposed is
/// destroyed by its finalizer, which closes the connection in the background.</para>
/// </remarks>
public sealed class TetherClient : IAsyncDisposable, IDisposable
{
    private static readonly UTF8Encoding StrictUtf8 = new(encoderShouldEmitUTF8Identifier: false, throwOnInvalidBytes: true);

    private readonly ClientHandle _handle;
    private readonly ClientCore _core;
    private long _nextId;
    private int _disposed;

    /// <summary>Creates a client. It does not connect until <see cref="ConnectAsync"/>.</summary>
    /// <param name="options">The configuration; copied, later changes have no effect.</param>
    /// <param name="runtime">The I/O threads to use, or null for the shared default runtime.</param>
    /// <param name="bufferMessages">True (default) to keep every received message for
    /// <see cref="ReadAllAsync"/> until it is read. Pass false when you only use
    /// <see cref="MessageReceived"/>, so that unread messages do not pile up.</param>
    /// <exception cref="TetherException">An option is refused (the message names the key), or
    /// the URL is missing.</exception>
    public TetherClient(TetherOptions options, TetherRuntime? runtime = null, bool bufferMessages = true)
    {
        ArgumentNullException.ThrowIfNull(options);
        using OptionsHandle nativeOptions = options.ToNative();
        _core = new ClientCore(this, bufferMessages);
        GCHandle user = GCHandle.Alloc(_core);
        bool runtimeAdded = false;
        int status;
        try
        {
            runtime?.Handle.DangerousAddRef(ref runtimeAdded);
            nint nativeRuntime = runtime is null ? 0 : runtime.Handle.DangerousGetHandle();
            unsafe
            {
                status = NativeMethods.ClientNew(out _handle, nativeRuntime, nativeOptions, NativeMethods.ModeCallback,
                    &ClientCore.OnEvent, &ClientCore.OnRelease, GCHandle.ToIntPtr(user));
            }
            if (status != 0) throw TetherException.FromLastError(status);
        }
        catch
        {
            // On failure tether never calls release: the handle is ours to free.
            user.Free();
            _core.Abandon();
            throw;
        }
        finally
        {
            if (runtimeAdded) runtime!.Handle.DangerousRelease();
        }
        _core.Start(_handle);
    }

    /// <summary>The client is ready: connected and authenticated. Queued messages are being sent.</summary>
    public event EventHandler<OpenedEventArgs>? Opened { add => _core.Opened += value; remove => _core.Opened -= value; }

    /// <summary>A message arrived. It is also kept for <see cref="ReadAllAsync"/> unless the client
    /// was made with <c>bufferMessages: false</c>.</summary>
    public event EventHandler<MessageReceivedEventArgs>? MessageReceived
    {
        add => _core.MessageReceived += value;
        remove => _core.MessageReceived -= value;
    }

    /// <summary>A connection closed; a <see cref="StateChanged"/> to the state it leads to follows.</summary>
    public event EventHandler<ClosedEventArgs>? Closed { add => _core.Closed += value; remove => _core.Closed -= value; }

    /// <summary>Something failed: a connect attempt, auth, keep-alive, a give-up after the last
    /// reconnect attempt.</summary>
    public event EventHandler<TetherErrorEventArgs>? Error { add => _core.Error += value; remove => _core.Error -= value; }

    /// <summary>The connection state changed; every transition is reported once, in order.</summary>
    public event EventHandler<StateChangedEventArgs>? StateChanged
    {
        add => _core.StateChanged += value;
        remove => _core.StateChanged -= value;
    }

    /// <summary>A reconnect attempt is scheduled. To give that attempt a fresh token, use
    /// <see cref="TokenProvider"/>: this event is raised asynchronously and may come too late.</summary>
    public event EventHandler<ReconnectingEventArgs>? Reconnecting
    {
        add => _core.Reconnecting += value;
        remove => _core.Reconnecting -= value;
    }

    /// <summary>The outgoing queue emptied after it had filled past half a limit or refused a send.</summary>
    public event EventHandler<EventArgs>? Drained { add => _core.Drained += value; remove => _core.Drained -= value; }

    /// <summary>
    /// Called before each reconnect attempt with its number and delay; a non-null result replaces
    /// the token for that attempt and the ones after (token refresh).
    /// </summary>
    /// <remarks>It runs on tether's I/O thread, which is the only way to be sure the attempt uses
    /// the new token: it must return quickly (a cached value) and must not block or wait.</remarks>
    public Func<ReconnectingEventArgs, string?>? TokenProvider
    {
        get => _core.TokenProvider;
        set => _core.TokenProvider = value;
    }

    /// <summary>The current connection state.</summary>
    public ConnectionState State
    {
        get
        {
            ThrowIfDisposed();
            TetherException.ThrowIfFailed(NativeMethods.ClientState(out int state, _handle));
            return (ConnectionState)state;
        }
    }

    /// <summary>The version of the loaded libtether, "MAJOR.MINOR.PATCH".</summary>
    public static string NativeVersion => NativeMethods.Text(NativeMethods.Version());

    /// <summary>The specification's meaning of a close code ("Normal closure", ...).</summary>
    /// <param name="code">A WebSocket close code.</param>
    public static string DescribeCloseCode(int code) => NativeMethods.Text(NativeMethods.CloseCodeStr(code));

    /// <summary>
    /// Connects and waits until the client is ready (authenticated when auth is configured).
    /// Failed attempts are retried as the reconnect options say; the task faults only when the
    /// client gives up for good.
    /// </summary>
    /// <param name="cancellationToken">Cancelling stops the attempt: the client is closed.</param>
    /// <exception cref="TetherException">Already connecting or connected
    /// (<see cref="TetherStatus.BadState"/>), or the connection failed for good (auth refused,
    /// reconnect attempts exhausted...; the status and message are the last error's).</exception>
    /// <exception cref="OperationCanceledException">Cancelled.</exception>
    /// <exception cref="ObjectDisposedException">The client was disposed.</exception>
    public async Task ConnectAsync(CancellationToken cancellationToken = default)
    {
        ThrowIfDisposed();
        cancellationToken.ThrowIfCancellationRequested();
        var (opened, created) = _core.BeginConnect();
        int status = NativeMethods.ClientConnect(_handle);
        if (status != 0)
        {
            TetherException error = TetherException.FromLastError(status);
            if (created) _core.AbandonConnect(opened);
            throw error;
        }
        _core.ConnectStarted();
        try
        {
            await opened.Task.WaitAsync(cancellationToken).ConfigureAwait(false);
        }
        catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
        {
            CloseQuietly(1000, "connect cancelled");
            throw;
        }
    }

    /// <summary>Sends a text message and waits until it is written to the socket.</summary>
    /// <remarks>The message is queued at once (also while offline, unless queueWhileOffline is
    /// false) and sent in order. Cancelling stops the wait, not the send.</remarks>
    /// <param name="text">The text; it must be valid UTF-16 (no lone surrogates).</param>
    /// <param name="cancellationToken">Stops waiting.</param>
    /// <exception cref="TetherException">Refused now (queue full, too big, closed...) or failed later
    /// (<see cref="TetherStatus.Cancelled"/> when closed before it could be sent...).</exception>
    public Task SendAsync(string text, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(text);
        byte[] bytes;
        try
        {
            bytes = StrictUtf8.GetBytes(text);
        }
        catch (EncoderFallbackException e)
        {
            throw new ArgumentException("The text is not valid UTF-16 (a lone surrogate), so it has no UTF-8 form.", nameof(text), e);
        }
        return SendCoreAsync(MessageType.Text, bytes, cancellationToken);
    }

    /// <summary>Sends a binary message and waits until it is written to the socket.</summary>
    /// <param name="data">The payload; copied before the method returns.</param>
    /// <param name="cancellationToken">Stops waiting, not the send.</param>
    /// <exception cref="TetherException">Refused now or failed later.</exception>
    public Task SendAsync(ReadOnlyMemory<byte> data, CancellationToken cancellationToken = default) =>
        SendCoreAsync(MessageType.Binary, data.Span, cancellationToken);

    /// <summary>Sends bytes as a given frame type and waits until they are written to the socket.</summary>
    /// <param name="data">The payload; copied before the method returns.</param>
    /// <param name="type"><see cref="MessageType.Default"/> follows messageFormat (and checks
    /// JSON for <c>json</c>); <see cref="MessageType.Text"/> must be UTF-8.</param>
    /// <param name="cancellationToken">Stops waiting, not the send.</param>
    /// <exception cref="TetherException">Refused now (not JSON, not UTF-8, queue full...) or failed later.</exception>
    public Task SendAsync(ReadOnlyMemory<byte> data, MessageType type, CancellationToken cancellationToken = default) =>
        SendCoreAsync(type, data.Span, cancellationToken);

    /// <summary>Serializes a value with reflection-based System.Text.Json and sends it as a text message.</summary>
    /// <typeparam name="T">The value's type.</typeparam>
    /// <param name="value">The value.</param>
    /// <param name="options">Serializer options, or null for the defaults.</param>
    /// <param name="cancellationToken">Stops waiting, not the send.</param>
    /// <exception cref="TetherException">Refused now or failed later.</exception>
    [RequiresUnreferencedCode("JSON serialization of arbitrary types may need types that trimming removes; use the JsonTypeInfo overload.")]
    [RequiresDynamicCode("JSON serialization of arbitrary types may need runtime code generation; use the JsonTypeInfo overload.")]
    public Task SendJsonAsync<T>(T value, JsonSerializerOptions? options = null, CancellationToken cancellationToken = default) =>
        SendCoreAsync(MessageType.Text, JsonSerializer.SerializeToUtf8Bytes(value, options), cancellationToken);

    /// <summary>Serializes a value with source-generated metadata and sends it as a text message.</summary>
    /// <typeparam name="T">The value's type.</typeparam>
    /// <param name="value">The value.</param>
    /// <param name="typeInfo">The metadata, e.g. from a <c>JsonSerializerContext</c>.</param>
    /// <param name="cancellationToken">Stops waiting, not the send.</param>
    /// <exception cref="TetherException">Refused now or failed later.</exception>
    public Task SendJsonAsync<T>(T value, JsonTypeInfo<T> typeInfo, CancellationToken cancellationToken = default) =>
        SendCoreAsync(MessageType.Text, JsonSerializer.SerializeToUtf8Bytes(value, typeInfo), cancellationToken);

    /// <summary>
    /// Closes gracefully: what was queued is sent first, then a close frame; waits until the client
    /// is disconnected (at most closeTimeout, whatever the peer does). Stops reconnecting. Closing a
    /// closed client does nothing.
    /// </summary>
    /// <param name="code">1000, or an application code 3000-4999.</param>
    /// <param name="reason">Null or at most 123 bytes of UTF-8.</param>
    /// <param name="cancellationToken">Stops waiting, not the close.</param>
    /// <exception cref="TetherException">A bad code or reason (<see cref="TetherStatus.InvalidArgument"/>).</exception>
    public async Task CloseAsync(int code = 1000, string? reason = null, CancellationToken cancellationToken = default)
    {
        ThrowIfDisposed();
        TaskCompletionSource closed = _core.AddFinalWaiter();
        int status = NativeMethods.ClientClose(_handle, code, reason);
        if (status != 0)
        {
            TetherException error = TetherException.FromLastError(status);
            _core.RemoveFinalWaiter(closed);
            throw error;
        }
        if (State is ConnectionState.Disconnected or ConnectionState.Error)
            _core.CompleteAfterQueuedEvents(closed);
        await closed.Task.WaitAsync(cancellationToken).ConfigureAwait(false);
    }

    /// <summary>
    /// The received messages, in order, as they arrive. The sequence ends when the client is closed
    /// for good (disconnected or error, not while reconnecting) and what was buffered has been
    /// read, or when the client is disposed. Read it from one consumer at a time.
    /// </summary>
    /// <param name="cancellationToken">Stops the enumeration.</param>
    /// <exception cref="InvalidOperationException">The client was made with <c>bufferMessages: false</c>.</exception>
    public async IAsyncEnumerable<Message> ReadAllAsync([EnumeratorCancellation] CancellationToken cancellationToken = default)
    {
        var reader = _core.Messages ?? throw new InvalidOperationException(
            "ReadAllAsync needs a client made with bufferMessages: true; this one only raises MessageReceived.");
        while (true)
        {
            while (reader.TryRead(out Message? message))
            {
                if (ReferenceEquals(message, ClientCore.EndOfSession))
                {
                    if (_core.IsFinal && !reader.TryPeek(out _)) yield break;
                    continue;
                }
                yield return message;
            }
            if (_core.IsFinal && Volatile.Read(ref _disposed) == 0 && !reader.TryPeek(out _) && IsSettled()) yield break;
            if (!await reader.WaitToReadAsync(cancellationToken).ConfigureAwait(false)) yield break;
        }
    }

    /// <summary>Sets the token for the next (re)connect; the current connection is not touched.</summary>
    /// <param name="token">The new token; null or empty clears it.</param>
    public void SetToken(string? token)
    {
        ThrowIfDisposed();
        TetherException.ThrowIfFailed(NativeMethods.ClientSetToken(_handle, token));
    }

    /// <summary>What waits in the outgoing queue (the specification's bufferedAmount).</summary>
    public (long Messages, long Bytes) GetBufferedAmount()
    {
        ThrowIfDisposed();
        TetherException.ThrowIfFailed(NativeMethods.ClientBuffered(out ulong messages, out ulong bytes, _handle));
        return ((long)messages, (long)bytes);
    }

    /// <summary>A snapshot of the client's counters.</summary>
    public TetherStats GetStats() => TetherStats.Parse(GetStatsJson());

    /// <summary>A snapshot of the client's counters as tether's JSON object.</summary>
    public string GetStatsJson()
    {
        ThrowIfDisposed();
        TetherException.ThrowIfFailed(NativeMethods.ClientStatsJson(out nint json, _handle));
        return NativeMethods.TakeText(json);
    }

    /// <summary>Destroys the client without waiting: an open connection is closed (1001) in the
    /// background, queued messages are dropped, pending tasks fail with
    /// <see cref="ObjectDisposedException"/>, and no handler is called after this returns (except
    /// one that is already running).</summary>
    public void Dispose()
    {
        if (Interlocked.Exchange(ref _disposed, 1) != 0) return;
        _handle.Dispose();
        _core.OnDisposed();
    }

    /// <summary>As <see cref="Dispose"/>, then waits until tether has released the client and the
    /// last event was dispatched. From inside an event handler it does not wait.</summary>
    public async ValueTask DisposeAsync()
    {
        Dispose();
        if (!_core.IsDispatcherThread) await _core.Completion.ConfigureAwait(false);
    }

    private unsafe Task SendCoreAsync(MessageType type, ReadOnlySpan<byte> data, CancellationToken cancellationToken)
    {
        if (cancellationToken.IsCancellationRequested) return Task.FromCanceled(cancellationToken);
        ThrowIfDisposed();
        (ulong id, TaskCompletionSource sent) = BeginSend();
        int status;
        try
        {
            fixed (byte* bytes = data)
                status = NativeMethods.ClientSend(_handle, (int)type, bytes, (nuint)data.Length, id);
        }
        catch
        {
            _core.RemoveSend(id);
            throw;
        }
        return FinishSend(id, sent, status, cancellationToken);
    }

    /// <summary>Completes once tether released the client and the last event was dispatched.</summary>
    internal Task Released => _core.Completion;

    internal ClientHandle Handle => _handle;

    internal ClientCore Core => _core;

    /// <summary>A fresh id for a send, publish or request of this client; never 0, never reused.</summary>
    internal ulong NextId() => (ulong)Interlocked.Increment(ref _nextId);

    internal void EnsureNotDisposed() => ThrowIfDisposed();

    /// <summary>Publishes through tether's queue; the task completes as a send does (SENT / SEND_FAILED).</summary>
    internal unsafe Task PublishCoreAsync(string channel, byte[] payloadJson, CancellationToken cancellationToken)
    {
        if (cancellationToken.IsCancellationRequested) return Task.FromCanceled(cancellationToken);
        ThrowIfDisposed();
        (ulong id, TaskCompletionSource sent) = BeginSend();
        int status;
        try
        {
            byte[] terminated = ManagerRouter.Terminate(payloadJson)!;
            fixed (byte* payload = terminated)
                status = NativeMethods.ClientPublish(_handle, channel, payload, id);
        }
        catch
        {
            _core.RemoveSend(id);
            throw;
        }
        return FinishSend(id, sent, status, cancellationToken);
    }

    /// <summary>Registers a fresh id whose SENT / SEND_FAILED event completes the returned source.</summary>
    private (ulong Id, TaskCompletionSource Sent) BeginSend()
    {
        ulong id = NextId();
        var sent = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        _core.AddSend(id, sent);
        return (id, sent);
    }

    /// <summary>Turns tether's answer to a send or publish into the task the caller awaits.</summary>
    private Task FinishSend(ulong id, TaskCompletionSource sent, int status, CancellationToken cancellationToken)
    {
        if (status != 0)
        {
            TetherException error = TetherException.FromLastError(status);
            _core.RemoveSend(id);
            return Task.FromException(error);
        }
        return cancellationToken.CanBeCanceled ? sent.Task.WaitAsync(cancellationToken) : sent.Task;
    }

    private bool IsSettled()
    {
        try
        {
            return State is ConnectionState.Disconnected or ConnectionState.Error;
        }
        catch (ObjectDisposedException)
        {
            return false;
        }
    }

    private void CloseQuietly(int code, string reason)
    {
        try
        {
            NativeMethods.ClientClose(_handle, code, reason);
        }
        catch (ObjectDisposedException)
        {
            // Disposed meanwhile: the connection is going away anyway.
        }
    }

    private void ThrowIfDisposed() => ObjectDisposedException.ThrowIf(Volatile.Read(ref _disposed) != 0, this);
}
