using System.Collections.Concurrent;
using System.Diagnostics;
using System.Threading.Channels;

namespace Tether;

/// <summary>
/// The connection manager's bookkeeping for one client: live subscriptions by tether's id and
/// pending requests by the id the binding chose. The dispatcher routes CHANNEL_MESSAGE, RESPONSE,
/// SUBSCRIBED and SUBSCRIBE_FAILED events here. Shared by every <see cref="ConnectionManager"/>
/// over the client.
/// </summary>
/// <remarks>Like <see cref="ClientCore"/>, it must not hold the <see cref="TetherClient"/>: the
/// GCHandle roots it, and an undisposed client must still be finalized.</remarks>
internal sealed class ManagerRouter
{
    private readonly ClientCore _core;
    private readonly Dictionary<ulong, SubscriptionState> _subscriptions = [];
    private readonly ConcurrentDictionary<ulong, TaskCompletionSource<byte[]>> _requests = new();
    private Exception? _failed;

    internal ManagerRouter(ClientCore core) => _core = core;

    /// <summary>Held across tether_client_subscribe and the registration of its id, and by the
    /// dispatcher while it looks an id up: so no event for a new subscription can be dispatched
    /// before the subscription is known.</summary>
    internal Lock SyncRoot { get; } = new();

    internal event EventHandler<SubscriptionEventArgs>? Subscribed;
    internal event EventHandler<SubscriptionEventArgs>? SubscriptionFailed;

    /// <summary>Registers a subscription that tether just made; call it holding <see cref="SyncRoot"/>.
    /// When another live subscription of the same channel is confirmed already, tether shares that
    /// wire subscription and sends no SUBSCRIBED for this one: it is confirmed now.</summary>
    internal void AddSubscription(SubscriptionState state)
    {
        if (_failed is not null)
        {
            state.End(_failed);
            return;
        }
        _subscriptions.Add(state.Id, state);
        foreach (SubscriptionState other in _subscriptions.Values)
        {
            if (other != state && other.Channel == state.Channel && other.Confirmations > 0)
            {
                state.Confirm();
                break;
            }
        }
    }

    /// <summary>Removes a subscription; true when this call removed it (and so must end it).</summary>
    internal bool RemoveSubscription(ulong id)
    {
        lock (SyncRoot) return _subscriptions.Remove(id);
    }

    internal bool AddRequest(ulong id, TaskCompletionSource<byte[]> tcs)
    {
        _requests[id] = tcs;
        // Disposed meanwhile: FailAll may have run before the add.
        if (Volatile.Read(ref _failed) is { } failed && _requests.TryRemove(id, out _))
        {
            tcs.TrySetException(failed);
            return false;
        }
        return true;
    }

    /// <summary>Forgets a request (cancelled or refused): its late response, if any, is dropped.</summary>
    internal void RemoveRequest(ulong id) => _requests.TryRemove(id, out _);

    // ---- from the dispatcher --------------------------------------------------------------------

    internal void OnChannelMessage(ClientCore.Item item)
    {
        SubscriptionState? state = Find(item.Id);
        if (state is null || _core.IsDisposed) return;  // unsubscribed meanwhile: dropped
        state.Deliver(new ChannelMessage(item.Channel, item.Id, item.Data, item.Text));
    }

    internal void OnResponse(ClientCore.Item item)
    {
        // Not found: cancelled or disposed, and the late response is dropped.
        if (!_requests.TryRemove(item.Id, out TaskCompletionSource<byte[]>? tcs)) return;
        if (item.Status == TetherStatus.Ok)
        {
            tcs.TrySetResult(item.Data);
            return;
        }
        tcs.TrySetException(new TetherException(item.Status, item.Text, RemoteErrorOf(item)));
    }

    internal void OnSubscribed(ClientCore.Item item)
    {
        List<SubscriptionState> confirmed = [];
        lock (SyncRoot)
        {
            if (!_subscriptions.TryGetValue(item.Id, out SubscriptionState? state)) return;
            confirmed.Add(state);
            // The wire subscription is shared: one made after tether listed the channel's
            // subscriptions for this event gets none of its own.
            foreach (SubscriptionState other in _subscriptions.Values)
                if (other != state && other.Channel == state.Channel && other.Confirmations == 0) confirmed.Add(other);
        }
        foreach (SubscriptionState state in confirmed)
        {
            bool again = state.Confirmations > 0;
            state.Confirm();
            if (state.Id == item.Id)
                _core.Raise(Subscribed, new SubscriptionEventArgs(state.Id, state.Channel, again, TetherStatus.Ok, ""));
        }
    }

    internal void OnSubscribeFailed(ClientCore.Item item)
    {
        SubscriptionState? state;
        lock (SyncRoot)
        {
            if (!_subscriptions.Remove(item.Id, out state)) return;
        }
        string? remote = RemoteErrorOf(item);
        state.End(new TetherException(item.Status, item.Text, remote));
        _core.Raise(SubscriptionFailed, new SubscriptionEventArgs(state.Id, state.Channel, state.Confirmations > 0, item.Status, item.Text)
        {
            RemoteError = remote,
        });
    }

    /// <summary>The client is gone: pending requests and unconfirmed subscriptions fail, streams end.</summary>
    internal void FailAll(Exception error)
    {
        List<SubscriptionState> ended;
        lock (SyncRoot)
        {
            _failed ??= error;
            ended = [.. _subscriptions.Values];
            _subscriptions.Clear();
        }
        foreach (SubscriptionState state in ended) state.End(error);
        foreach (ulong id in _requests.Keys)
            if (_requests.TryRemove(id, out TaskCompletionSource<byte[]>? tcs)) tcs.TrySetException(error);
    }

    /// <summary>The server's error JSON of a failed RESPONSE or SUBSCRIBE_FAILED; null when there
    /// is none (no data, or JSON null: the protocol's answer carried no details).</summary>
    private static string? RemoteErrorOf(ClientCore.Item item) =>
        item.Status != TetherStatus.Ok && item.Data.Length > 0 && !item.Data.AsSpan().SequenceEqual("null"u8)
            ? System.Text.Encoding.UTF8.GetString(item.Data)
            : null;

    private SubscriptionState? Find(ulong id)
    {
        lock (SyncRoot) return _subscriptions.GetValueOrDefault(id);
    }

    /// <summary>JSON text as tether wants it: UTF-8 with a terminating NUL; null stays null.</summary>
    internal static byte[]? Terminate(byte[]? json)
    {
        if (json is null) return null;
        var terminated = new byte[json.Length + 1];
        json.CopyTo(terminated, 0);
        return terminated;
    }
}

/// <summary>One subscription as the dispatcher sees it: where its messages go, whether it was
/// confirmed, and how it ended.</summary>
internal sealed class SubscriptionState
{
    private readonly Action<ChannelMessage>? _handler;
    private readonly Channel<ChannelMessage>? _buffer;
    private readonly TaskCompletionSource _confirmed = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private readonly TaskCompletionSource _ended = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private int _confirmations;

    internal SubscriptionState(string channel, Action<ChannelMessage>? handler)
    {
        Channel = channel;
        _handler = handler;
        if (handler is null)
            _buffer = System.Threading.Channels.Channel.CreateUnbounded<ChannelMessage>(new UnboundedChannelOptions { SingleWriter = true });
    }

    internal ulong Id { get; set; }

    internal string Channel { get; }

    internal int Confirmations => Volatile.Read(ref _confirmations);

    internal bool HasHandler => _handler is not null;

    internal ChannelReader<ChannelMessage>? Messages => _buffer?.Reader;

    /// <summary>Completes at the first SUBSCRIBED; faults when refused first or the client is gone.</summary>
    internal Task Confirmed => _confirmed.Task;

    /// <summary>Completes when unsubscribed; faults when refused (also on a re-subscription) or
    /// when the client was disposed.</summary>
    internal Task Ended => _ended.Task;

    internal bool IsEnded => _ended.Task.IsCompleted;

    internal void Confirm()
    {
        Interlocked.Increment(ref _confirmations);
        _confirmed.TrySetResult();
    }

    internal void Deliver(ChannelMessage message)
    {
        if (IsEnded) return;
        if (_handler is null)
        {
            _buffer!.Writer.TryWrite(message);
            return;
        }
        try
        {
            _handler(message);
        }
        catch (Exception e)
        {
            // A throwing handler must not stop the events that follow.
            Trace.TraceError($"tether: a subscription handler threw: {e}");
        }
    }

    /// <summary>Ends the subscription: null when unsubscribed, else why it ended.</summary>
    internal void End(Exception? error)
    {
        if (error is null)
        {
            _confirmed.TrySetException(new OperationCanceledException("The subscription ended before the server confirmed it."));
            _ended.TrySetResult();
        }
        else
        {
            _confirmed.TrySetException(error);
            _ended.TrySetException(error);
        }
        // Buffered messages stay readable; the stream then ends (a refusal is thrown at the end).
        _buffer?.Writer.TryComplete(error is TetherException ? error : null);
        // Nobody may observe these: do not let them surface as unobserved task exceptions.
        _ = _confirmed.Task.Exception;
        _ = _ended.Task.Exception;
    }
}
