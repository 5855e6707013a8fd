using System.Runtime.CompilerServices;
using System.Threading.Channels;

namespace Tether;

/// <summary>
/// A live subscription to a channel, made by <see cref="ConnectionManager.SubscribeAsync(string, CancellationToken)"/>.
/// It lasts across reconnects (tether re-subscribes after each one) until it is unsubscribed,
/// disposed, refused by the server on a re-subscription, or its client is disposed.
/// </summary>
/// <remarks>Made without a handler, it keeps every message for <see cref="ReadAllAsync"/> until
/// read; made with one, it calls the handler on the client's dispatcher instead.</remarks>
public sealed class Subscription : IDisposable, IAsyncDisposable
{
    private readonly ConnectionManager _manager;

    internal Subscription(ConnectionManager manager, SubscriptionState state)
    {
        _manager = manager;
        State = state;
    }

    internal SubscriptionState State { get; }

    /// <summary>tether's id of the subscription; <see cref="ChannelMessage.SubscriptionId"/> carries it.</summary>
    public ulong Id => State.Id;

    /// <summary>The channel.</summary>
    public string Channel => State.Channel;

    /// <summary>True until the subscription ends.</summary>
    public bool IsActive => !State.IsEnded;

    /// <summary>
    /// Completes when the subscription ends: normally when unsubscribed; faulted with a
    /// <see cref="TetherException"/> when the server ended it (<see cref="TetherStatus.Remote"/>:
    /// refused a re-subscription or failed it; <see cref="TetherStatus.Closed"/>: completed it), or
    /// with <see cref="ObjectDisposedException"/> when the client was disposed.
    /// </summary>
    public Task Completion => State.Ended;

    /// <summary>
    /// The channel's messages, in order, as they arrive. The sequence ends when the subscription is
    /// unsubscribed or the client disposed (after what was buffered has been read), and throws the
    /// <see cref="TetherException"/> when the server ended it (as <see cref="Completion"/>). A
    /// client that is closed but not disposed keeps its subscriptions for the next connect, so the
    /// sequence then simply waits: pass a token to stop it. Read it from one consumer at a time.
    /// </summary>
    /// <param name="cancellationToken">Stops the enumeration (not the subscription).</param>
    /// <exception cref="InvalidOperationException">The subscription was made with a handler.</exception>
    public IAsyncEnumerable<ChannelMessage> ReadAllAsync(CancellationToken cancellationToken = default)
    {
        // Checked now, not at the first MoveNextAsync.
        ChannelReader<ChannelMessage> reader = State.Messages ?? throw new InvalidOperationException(
            "This subscription was made with a handler, which receives its messages; ReadAllAsync needs one made without.");
        return ReadAllCoreAsync(reader, cancellationToken);
    }

    private static async IAsyncEnumerable<ChannelMessage> ReadAllCoreAsync(ChannelReader<ChannelMessage> reader,
        [EnumeratorCancellation] CancellationToken cancellationToken)
    {
        while (await reader.WaitToReadAsync(cancellationToken).ConfigureAwait(false))
        {
            while (reader.TryRead(out ChannelMessage? message)) yield return message;
        }
    }

    /// <summary>Unsubscribes (<see cref="ConnectionManager.Unsubscribe"/>); does nothing when ended.</summary>
    public void Dispose() => _manager.Unsubscribe(this);

    /// <summary>As <see cref="Dispose"/>; unsubscribing never waits on the network.</summary>
    public ValueTask DisposeAsync()
    {
        Dispose();
        return ValueTask.CompletedTask;
    }

    /// <inheritdoc />
    public override string ToString() => $"Subscription {Id} to {Channel}{(IsActive ? "" : " (ended)")}";
}
