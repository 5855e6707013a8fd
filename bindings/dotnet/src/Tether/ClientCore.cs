using System.Collections.Concurrent;
using System.Diagnostics;
using System.Runtime.InteropServices;
using System.Threading.Channels;
using Tether.Native;

namespace Tether;

/// <summary>
/// The part of a client that tether's I/O thread talks to, through a <see cref="GCHandle"/> given
/// as user data. The trampoline only copies each event into a channel and returns, so user code
/// never runs on (and can never block) the I/O thread; a dispatcher task raises the events and
/// completes the tasks, in order.
/// </summary>
/// <remarks>
/// This object must not hold its <see cref="TetherClient"/> or <see cref="ClientHandle"/> strongly:
/// the GCHandle roots it until the release callback, and a rooted handle would never be finalized,
/// so an undisposed client would never be destroyed.
/// </remarks>
internal sealed class ClientCore
{
    private static int s_live;

    private readonly Channel<Item> _events = Channel.CreateUnbounded<Item>(
        new UnboundedChannelOptions { SingleReader = true, SingleWriter = false });
    private readonly Channel<Message>? _messages;
    private readonly WeakReference<TetherClient> _owner;
    private readonly ConcurrentDictionary<ulong, TaskCompletionSource> _sends = new();
    private readonly List<TaskCompletionSource> _finalWaiters = [];
    private readonly Lock _lock = new();
    private WeakReference<ClientHandle>? _handle;
    private TaskCompletionSource? _connect;
    private TetherStatus _lastErrorStatus;
    private string _lastErrorText = "";
    private Task _completion = Task.CompletedTask;
    private volatile bool _final = true;
    private volatile bool _disposed;

    [ThreadStatic] private static ClientCore? t_dispatching;

    /// <summary>Written after the last buffered message of a session, to wake readers.</summary>
    internal static readonly Message EndOfSession = new(MessageType.Binary, ReadOnlyMemory<byte>.Empty);

    internal ClientCore(TetherClient owner, bool bufferMessages)
    {
        _owner = new WeakReference<TetherClient>(owner);
        Router = new ManagerRouter(this);
        if (bufferMessages)
            _messages = Channel.CreateUnbounded<Message>(new UnboundedChannelOptions { SingleWriter = true });
        Interlocked.Increment(ref s_live);
    }

    /// <summary>Clients whose release callback has not run yet (for tests).</summary>
    internal static int LiveCount => Volatile.Read(ref s_live);

    internal event EventHandler<OpenedEventArgs>? Opened;
    internal event EventHandler<MessageReceivedEventArgs>? MessageReceived;
    internal event EventHandler<ClosedEventArgs>? Closed;
    internal event EventHandler<TetherErrorEventArgs>? Error;
    internal event EventHandler<StateChangedEventArgs>? StateChanged;
    internal event EventHandler<ReconnectingEventArgs>? Reconnecting;
    internal event EventHandler<EventArgs>? Drained;

    internal Func<ReconnectingEventArgs, string?>? TokenProvider { get; set; }

    /// <summary>The connection manager's subscriptions and pending requests of this client.</summary>
    internal ManagerRouter Router { get; }

    internal bool IsDisposed => _disposed;

    internal Task Completion => _completion;

    internal bool IsDispatcherThread => t_dispatching == this;

    internal ChannelReader<Message>? Messages => _messages?.Reader;

    /// <summary>True when the last state seen was disconnected or error and no connect followed.</summary>
    internal bool IsFinal => _final;

    internal void Start(ClientHandle handle)
    {
        _handle = new WeakReference<ClientHandle>(handle);
        _completion = Task.Run(DispatchAsync);
    }

    /// <summary>The native client was never made: no release callback will come.</summary>
    internal void Abandon()
    {
        Interlocked.Decrement(ref s_live);
        _events.Writer.TryComplete();
    }

    // ---- native callbacks (tether's I/O thread) -----------------------------------------------

    [UnmanagedCallersOnly]
    internal static void OnEvent(nint ev, nint userData)
    {
        try
        {
            var core = (ClientCore)GCHandle.FromIntPtr(userData).Target!;
            Item item = Item.Copy(ev);
            if (item.Kind == NativeMethods.EventReconnect) core.RefreshToken(item);
            core._events.Writer.TryWrite(item);
        }
        catch (Exception e)
        {
            // An exception must never unwind into native code.
            Trace.TraceError($"tether: event callback failed: {e}");
        }
    }

    [UnmanagedCallersOnly]
    internal static void OnRelease(nint userData)
    {
        try
        {
            GCHandle gc = GCHandle.FromIntPtr(userData);
            var core = (ClientCore)gc.Target!;
            gc.Free();
            Interlocked.Decrement(ref s_live);
            core._events.Writer.TryComplete();
        }
        catch (Exception e)
        {
            Trace.TraceError($"tether: release callback failed: {e}");
        }
    }

    /// <summary>Runs the token provider on the I/O thread: the RECONNECT event is the one moment
    /// when a new token is sure to be used by the attempt it announces.</summary>
    private void RefreshToken(Item item)
    {
        Func<ReconnectingEventArgs, string?>? provider = TokenProvider;
        if (provider is null || _disposed || _handle is null || !_handle.TryGetTarget(out ClientHandle? handle)) return;
        string? token = provider(new ReconnectingEventArgs(item.Code, TimeSpan.FromMilliseconds(item.Long)));
        if (token is not null && !handle.IsClosed) NativeMethods.ClientSetToken(handle, token);
    }

    // ---- calls from TetherClient ----------------------------------------------------------------

    internal (TaskCompletionSource Task, bool Created) BeginConnect()
    {
        lock (_lock)
        {
            if (_connect is not null) return (_connect, false);
            _lastErrorStatus = TetherStatus.Ok;
            _lastErrorText = "";
            _connect = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
            return (_connect, true);
        }
    }

    internal void ConnectStarted() => _final = false;

    internal void AbandonConnect(TaskCompletionSource tcs)
    {
        lock (_lock)
        {
            if (_connect == tcs) _connect = null;
        }
    }

    internal void AddSend(ulong id, TaskCompletionSource tcs) => _sends[id] = tcs;

    internal void RemoveSend(ulong id) => _sends.TryRemove(id, out _);

    /// <summary>A task that completes at the next final state (disconnected or error).</summary>
    internal TaskCompletionSource AddFinalWaiter()
    {
        var tcs = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        lock (_lock) _finalWaiters.Add(tcs);
        return tcs;
    }

    internal void RemoveFinalWaiter(TaskCompletionSource tcs)
    {
        lock (_lock) _finalWaiters.Remove(tcs);
    }

    /// <summary>Completes <paramref name="tcs"/> once every event queued so far was dispatched.</summary>
    internal void CompleteAfterQueuedEvents(TaskCompletionSource tcs)
    {
        if (!_events.Writer.TryWrite(new Item { Kind = Item.BarrierKind, Barrier = tcs })) tcs.TrySetResult();
    }

    /// <summary>The application disposed the client: pending work fails now, handlers stop.</summary>
    internal void OnDisposed()
    {
        _disposed = true;
        FailPending();
    }

    // ---- the dispatcher ---------------------------------------------------------------------------

    private async Task DispatchAsync()
    {
        ChannelReader<Item> reader = _events.Reader;
        while (await reader.WaitToReadAsync().ConfigureAwait(false))
        {
            while (reader.TryRead(out Item? item))
            {
                t_dispatching = this;
                try
                {
                    Dispatch(item);
                }
                finally
                {
                    t_dispatching = null;
                }
            }
        }
        // Released: no event will ever come again.
        _disposed = true;
        FailPending();
        _messages?.Writer.TryComplete();
    }

    private void Dispatch(Item item)
    {
        switch (item.Kind)
        {
            case Item.BarrierKind:
                item.Barrier!.TrySetResult();
                break;
            case NativeMethods.EventOpen:
                SetLastError(TetherStatus.Ok, "");
                Raise(Opened, new OpenedEventArgs(item.Text));
                TakeConnect()?.TrySetResult();
                break;
            case NativeMethods.EventMessage:
                var message = new Message((MessageType)item.Code, item.Data);
                _messages?.Writer.TryWrite(message);
                Raise(MessageReceived, new MessageReceivedEventArgs(message));
                break;
            case NativeMethods.EventClose:
                // An ERROR event, when there is one, came first and says more than the close.
                if (_lastErrorStatus == TetherStatus.Ok)
                {
                    SetLastError(item.Status == TetherStatus.Ok ? TetherStatus.Closed : item.Status,
                        $"the connection closed: {item.Code} {item.Text}".TrimEnd());
                }
                Raise(Closed, new ClosedEventArgs(item.Code, item.Text, item.Flag, item.Status));
                break;
            case NativeMethods.EventError:
                SetLastError(item.Status, item.Text);
                Raise(Error, new TetherErrorEventArgs(item.Status, item.Text));
                break;
            case NativeMethods.EventStateChange:
                OnState((ConnectionState)item.Code, (ConnectionState)item.Long);
                break;
            case NativeMethods.EventReconnect:
                Raise(Reconnecting, new ReconnectingEventArgs(item.Code, TimeSpan.FromMilliseconds(item.Long)));
                break;
            case NativeMethods.EventSent:
                if (_sends.TryRemove(item.Id, out TaskCompletionSource? sent)) sent.TrySetResult();
                break;
            case NativeMethods.EventSendFailed:
                if (_sends.TryRemove(item.Id, out TaskCompletionSource? failed))
                    failed.TrySetException(new TetherException(item.Status, item.Text));
                break;
            case NativeMethods.EventDrained:
                Raise(Drained, EventArgs.Empty);
                break;
            case NativeMethods.EventChannelMessage:
                Router.OnChannelMessage(item);
                break;
            case NativeMethods.EventResponse:
                Router.OnResponse(item);
                break;
            case NativeMethods.EventSubscribed:
                Router.OnSubscribed(item);
                break;
            case NativeMethods.EventSubscribeFailed:
                Router.OnSubscribeFailed(item);
                break;
        }
    }

    private void OnState(ConnectionState state, ConnectionState previous)
    {
        bool final = state is ConnectionState.Disconnected or ConnectionState.Error;
        _final = final;
        Raise(StateChanged, new StateChangedEventArgs(state, previous));
        if (!final) return;

        TaskCompletionSource? connect = TakeConnect();
        if (connect is not null)
        {
            TetherStatus status = _lastErrorStatus == TetherStatus.Ok ? TetherStatus.Closed : _lastErrorStatus;
            string text = _lastErrorText.Length > 0 ? _lastErrorText : "the client was closed before it was ready";
            connect.TrySetException(new TetherException(status, text));
        }
        foreach (TaskCompletionSource waiter in TakeFinalWaiters()) waiter.TrySetResult();
        _messages?.Writer.TryWrite(EndOfSession);
    }

    private void SetLastError(TetherStatus status, string text)
    {
        lock (_lock)
        {
            _lastErrorStatus = status;
            _lastErrorText = text;
        }
    }

    private TaskCompletionSource? TakeConnect()
    {
        lock (_lock)
        {
            TaskCompletionSource? tcs = _connect;
            _connect = null;
            return tcs;
        }
    }

    private List<TaskCompletionSource> TakeFinalWaiters()
    {
        lock (_lock)
        {
            var waiters = new List<TaskCompletionSource>(_finalWaiters);
            _finalWaiters.Clear();
            return waiters;
        }
    }

    private void FailPending()
    {
        var disposed = new ObjectDisposedException(nameof(TetherClient), "The client was disposed.");
        TakeConnect()?.TrySetException(disposed);
        foreach (ulong id in _sends.Keys)
            if (_sends.TryRemove(id, out TaskCompletionSource? tcs)) tcs.TrySetException(disposed);
        foreach (TaskCompletionSource waiter in TakeFinalWaiters()) waiter.TrySetResult();
        Router.FailAll(disposed);
    }

    internal void Raise<T>(EventHandler<T>? handler, T args)
    {
        if (handler is null || _disposed) return;
        object? sender = _owner.TryGetTarget(out TetherClient? client) ? client : null;
        try
        {
            handler(sender, args);
        }
        catch (Exception e)
        {
            // A throwing handler must not stop the events that follow.
            Trace.TraceError($"tether: an event handler threw: {e}");
        }
    }

    /// <summary>One event, copied out of the borrowed native event.</summary>
    internal sealed class Item
    {
        /// <summary>Not a tether event: a task to complete in order with the events.</summary>
        internal const int BarrierKind = -1;

        internal int Kind;
        internal int Code;          // close code, state, attempt, message type
        internal long Long;         // previous state, delay in ms
        internal bool Flag;         // was_clean
        internal TetherStatus Status;
        internal ulong Id;
        internal string Text = "";
        internal string Channel = "";
        internal byte[] Data = [];
        internal TaskCompletionSource? Barrier;

        internal static unsafe Item Copy(nint ev)
        {
            var item = new Item { Kind = NativeMethods.EventType(ev) };
            switch (item.Kind)
            {
                case NativeMethods.EventOpen:
                    item.Text = NativeMethods.Text(NativeMethods.EventText(ev));
                    break;
                case NativeMethods.EventMessage:
                    byte* data = NativeMethods.EventData(ev, out nuint size);
                    item.Data = size == 0 ? [] : new ReadOnlySpan<byte>(data, checked((int)size)).ToArray();
                    item.Code = NativeMethods.EventMessageType(ev);
                    break;
                case NativeMethods.EventClose:
                    item.Code = NativeMethods.EventCode(ev);
                    item.Text = NativeMethods.Text(NativeMethods.EventText(ev));
                    item.Flag = NativeMethods.EventWasClean(ev) != 0;
                    item.Status = (TetherStatus)NativeMethods.EventStatus(ev);
                    break;
                case NativeMethods.EventError:
                    item.Status = (TetherStatus)NativeMethods.EventStatus(ev);
                    item.Text = NativeMethods.Text(NativeMethods.EventText(ev));
                    break;
                case NativeMethods.EventStateChange:
                    item.Code = NativeMethods.EventState(ev);
                    item.Long = NativeMethods.EventPreviousState(ev);
                    break;
                case NativeMethods.EventReconnect:
                    item.Code = NativeMethods.EventAttempt(ev);
                    item.Long = NativeMethods.EventDelayMs(ev);
                    break;
                case NativeMethods.EventSent:
                    item.Id = NativeMethods.EventId(ev);
                    break;
                case NativeMethods.EventSendFailed:
                    item.Id = NativeMethods.EventId(ev);
                    item.Status = (TetherStatus)NativeMethods.EventStatus(ev);
                    item.Text = NativeMethods.Text(NativeMethods.EventText(ev));
                    break;
                case NativeMethods.EventChannelMessage:
                case NativeMethods.EventResponse:
                case NativeMethods.EventSubscribed:
                case NativeMethods.EventSubscribeFailed:
                    item.Id = NativeMethods.EventId(ev);
                    item.Channel = NativeMethods.Text(NativeMethods.EventChannel(ev));
                    item.Status = (TetherStatus)NativeMethods.EventStatus(ev);
                    item.Text = NativeMethods.Text(NativeMethods.EventText(ev));
                    byte* payload = NativeMethods.EventData(ev, out nuint length);
                    item.Data = length == 0 ? [] : new ReadOnlySpan<byte>(payload, checked((int)length)).ToArray();
                    break;
            }
            return item;
        }
    }
}
