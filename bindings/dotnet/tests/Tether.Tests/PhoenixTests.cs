using System.Collections.Concurrent;
using System.Text.Json;

namespace Tether.Tests;

/// <summary>The connection manager with provider "phoenix" against tests/peers/phoenix.js: the
/// event name of channel messages, and the server's error data of a refused subscription.</summary>
[Collection(RunAlone.Name)]
public sealed class PhoenixTests(PhoenixPeer peer) : IClassFixture<PhoenixPeer>
{
    private static readonly TimeSpan Short = TimeSpan.FromSeconds(10);

    private TetherClient SocketClient() =>
        new(new TetherOptions(peer.Url("/socket/websocket")) { Provider = Provider.Phoenix, AuthToken = "good" });

    [Fact]
    public async Task Pushes_carry_their_event_name_and_a_refused_join_the_channels_reason()
    {
        await using var client = SocketClient();
        var manager = new ConnectionManager(client);
        var failures = new ConcurrentQueue<SubscriptionEventArgs>();
        manager.SubscriptionFailed += (_, e) => failures.Enqueue(e);
        await client.ConnectAsync().WaitAsync(Short);
        Assert.Equal("phoenix", manager.GetStats().Protocol);

        await using Subscription lobby = await manager.SubscribeAsync("room:lobby").WaitAsync(Short);
        await manager.PublishAsync("room:lobby", new { @event = "new_msg", payload = new { body = "hello" } }).WaitAsync(Short);
        using var cts = new CancellationTokenSource(Short);
        await foreach (ChannelMessage m in lobby.ReadAllAsync(cts.Token))
        {
            Assert.Equal("room:lobby", m.Channel);
            Assert.Equal("new_msg", m.EventName);
            Assert.Equal("{\"body\":\"hello\"}", m.Text);
            break;
        }

        var refused = await Assert.ThrowsAsync<TetherException>(() =>
            manager.SubscribeAsync("room:secret", JsonSerializer.SerializeToElement(new { password = "guess" })).WaitAsync(Short));
        Assert.Equal(TetherStatus.Remote, refused.Status);
        Assert.Contains("unauthorized", refused.Message);
        Assert.Equal("{\"reason\":\"unauthorized\"}", refused.RemoteError);
        // The event is raised on the dispatcher right after the task faults.
        var deadline = DateTime.UtcNow + Short;
        while (failures.IsEmpty && DateTime.UtcNow < deadline) await Task.Delay(10);
        SubscriptionEventArgs failure = Assert.Single(failures);
        Assert.Equal("room:secret", failure.Channel);
        Assert.Equal(TetherStatus.Remote, failure.Status);
        Assert.False(failure.IsResubscription);
        Assert.Equal("{\"reason\":\"unauthorized\"}", failure.RemoteError);
        Assert.Equal(1, manager.GetStats().ActiveSubscriptions);
    }
}
