using System.Collections.Concurrent;
using System.Text.Json;

using static Tether.Tests.SubscriptionWaits;

namespace Tether.Tests;

/// <summary>The connection manager with provider "signalr" against a real ASP.NET Core SignalR hub
/// (tests/peers/signalr/Program.cs); the scenarios of tests/integration/protocol_signalr_test.cpp.</summary>
/// <remarks>A channel is a client method the hub invokes; publishing invokes a hub method with the
/// payload as its argument array; a request invokes one and returns its result.</remarks>
[Collection(RunAlone.Name)]
public sealed class SignalrTests(SignalrPeer peer) : IClassFixture<SignalrPeer>
{
    private static readonly TimeSpan Short = TimeSpan.FromSeconds(10);

    private TetherClient HubClient(string token = "good", string path = "/hub") =>
        new(new TetherOptions(peer.Url(path))
        {
            Provider = Provider.SignalR,
            AuthToken = token,
            ReconnectDelay = TimeSpan.FromMilliseconds(200),
        });

    [Fact]
    public async Task Listening_receives_what_another_client_publishes_through_the_hub_until_unsubscribed()
    {
        await using var alice = HubClient();
        await using var bob = HubClient();
        var aliceHub = new ConnectionManager(alice);
        var bobHub = new ConnectionManager(bob);
        var confirmations = new ConcurrentQueue<SubscriptionEventArgs>();
        aliceHub.Subscribed += (_, e) => confirmations.Enqueue(e);
        int plainMessages = 0;
        alice.MessageReceived += (_, _) => Interlocked.Increment(ref plainMessages);
        var states = new ConcurrentQueue<ConnectionState>();
        alice.StateChanged += (_, e) => states.Enqueue(e.State);

        // Made offline: the listeners are registered once the hub's handshake is done.
        Task<Subscription> subscribing = aliceHub.SubscribeAsync("news");
        await alice.ConnectAsync().WaitAsync(Short);
        await bob.ConnectAsync().WaitAsync(Short);
        await using Subscription news = await subscribing.WaitAsync(Short);
        await using Subscription done = await aliceHub.SubscribeAsync("done").WaitAsync(Short);
        Assert.Equal(
            [ConnectionState.Connecting, ConnectionState.Connected, ConnectionState.Authenticating, ConnectionState.Authenticated],
            states.ToArray());
        await WaitUntil(() => confirmations.Count == 2, "both listeners confirmed");
        Assert.Equal([news.Id, done.Id], confirmations.Select(c => c.SubscriptionId).Order().ToArray());

        // Answered: the hub has registered alice's connection, so Clients.All reaches her.
        Assert.Equal(2, await aliceHub.RequestAsync<int>("Add", new[] { 1, 1 }).WaitAsync(Short));

        // bob invokes the hub's Publish(channel, payload), which invokes `news` on every client.
        await bobHub.PublishAsync("Publish", new object[] { "news", new { text = "Hello!" } }).WaitAsync(Short);
        ChannelMessage hello = Assert.Single(await Read(news, 1));
        Assert.Equal("news", hello.Channel);
        Assert.Equal("news", hello.EventName);  // the client method the hub invoked
        Assert.Equal(news.Id, hello.SubscriptionId);
        Assert.Equal("{\"text\":\"Hello!\"}", hello.Text);
        Assert.Equal("Hello!", hello.Payload.GetProperty("text").GetString());
        // Several arguments arrive as their array.
        await bobHub.PublishAsync("Publish2", new object[] { "news", 1, "two" }).WaitAsync(Short);
        Assert.Equal("[1,\"two\"]", Assert.Single(await Read(news, 1)).Text);

        TetherStats stats = aliceHub.GetStats();
        Assert.Equal("signalr", stats.Protocol);
        Assert.Equal(2, stats.ActiveSubscriptions);
        Assert.Contains("/hub?access_token=", stats.Url);
        Assert.DoesNotContain("good", stats.Url);  // the token is redacted

        aliceHub.Unsubscribe(news);
        Assert.False(news.IsActive);
        await news.Completion.WaitAsync(Short);
        Assert.Equal(1, aliceHub.GetStats().ActiveSubscriptions);
        // Answered once the hub has sent it to everyone: before `done` is published.
        JsonElement none = await bobHub.RequestJsonAsync("Publish",
            JsonSerializer.SerializeToElement(new object[] { "news", new { text = "too late" } })).WaitAsync(Short);
        Assert.Equal(JsonValueKind.Null, none.ValueKind);
        await bobHub.PublishAsync("Publish", new object[] { "done", true }).WaitAsync(Short);
        ChannelMessage last = Assert.Single(await Read(done, 1));
        Assert.Equal("done", last.EventName);
        Assert.Equal("true", last.Text);
        // The unsubscribed listener heard nothing more: its stream simply ends.
        Assert.Empty(await Read(news, 1));
        Assert.Equal(0, Volatile.Read(ref plainMessages));  // the manager's, not plain messages
    }

    [Fact]
    public async Task Requests_get_the_hubs_result_or_its_error()
    {
        await using var client = HubClient();
        var hub = new ConnectionManager(client);
        await client.ConnectAsync().WaitAsync(Short);

        Assert.Equal(42, await hub.RequestAsync<int>("Add", new[] { 2, 40 }).WaitAsync(Short));
        // A parameter that is not an array is the method's only argument.
        JsonElement echoed = await hub.RequestJsonAsync("Echo", JsonSerializer.SerializeToElement(new { a = new object[] { 1, "x" } }))
            .WaitAsync(Short);
        Assert.Equal("x", echoed.GetProperty("a")[1].GetString());

        var failed = await Assert.ThrowsAsync<TetherException>(() => hub.RequestJsonAsync("Fail").WaitAsync(Short));
        Assert.Equal(TetherStatus.Remote, failed.Status);
        Assert.Equal("TETHER_E_REMOTE", failed.StatusName);
        Assert.Contains("HubException: failed on purpose", failed.Message);
        Assert.Contains("failed on purpose", failed.RemoteError);

        var unknown = await Assert.ThrowsAsync<TetherException>(() => hub.RequestJsonAsync("Nope").WaitAsync(Short));
        Assert.Equal(TetherStatus.Remote, unknown.Status);
        Assert.Contains("Method does not exist", unknown.Message);

        var timedOut = await Assert.ThrowsAsync<TetherException>(() =>
            hub.RequestJsonAsync("Sleep", JsonSerializer.SerializeToElement(new[] { 2000 }), TimeSpan.FromMilliseconds(100)).WaitAsync(Short));
        Assert.Equal(TetherStatus.Timeout, timedOut.Status);

        // The connection is fine after all of these.
        Assert.Equal(3, await hub.RequestAsync<int>("Add", new[] { 1, 2 }).WaitAsync(Short));
        Assert.Equal(ConnectionState.Authenticated, client.State);
    }

    [Fact]
    public async Task After_the_hub_drops_the_transport_tether_reconnects_and_the_listener_hears_again()
    {
        await using var listener = HubClient();
        await using var bob = HubClient();
        var listenerHub = new ConnectionManager(listener);
        var bobHub = new ConnectionManager(bob);
        var confirmations = new ConcurrentQueue<SubscriptionEventArgs>();
        listenerHub.Subscribed += (_, e) => confirmations.Enqueue(e);
        int reconnecting = 0;
        listener.Reconnecting += (_, _) => Interlocked.Increment(ref reconnecting);

        await listener.ConnectAsync().WaitAsync(Short);
        await bob.ConnectAsync().WaitAsync(Short);
        await using Subscription news = await listenerHub.SubscribeAsync("news").WaitAsync(Short);
        await WaitUntil(() => confirmations.Count == 1, "the listener");

        // The hub aborts the TCP connection: no Close record, so tether reconnects.
        await listenerHub.PublishAsync("Drop", Array.Empty<object>()).WaitAsync(Short);
        await WaitUntil(() => confirmations.Count == 2, "the re-subscription");
        Assert.True(Volatile.Read(ref reconnecting) >= 1);
        Assert.All(confirmations, c => Assert.Equal(news.Id, c.SubscriptionId));
        Assert.True(confirmations.Last().IsResubscription);
        Assert.True(news.IsActive);

        // An answered request proves the hub has registered the new connection (its handshake
        // reply, which made the client ready, comes just before that).
        Assert.Equal(42, await listenerHub.RequestAsync<int>("Add", new[] { 40, 2 }).WaitAsync(Short));
        // Listening again needed nothing on the wire: bob's publish reaches the same Subscription.
        await bobHub.PublishAsync("Publish", new object[] { "news", new { after = "reconnect" } }).WaitAsync(Short);
        ChannelMessage message = Assert.Single(await Read(news, 1));
        Assert.Equal("{\"after\":\"reconnect\"}", message.Text);
        Assert.Equal("news", message.EventName);
        Assert.Equal(1, listenerHub.GetStats().Reconnects);
    }

    [Fact]
    public async Task A_bad_token_is_refused_at_the_upgrade_with_Auth_and_no_reconnect()
    {
        await using var client = HubClient(token: "not-the-token");
        var recorder = new Recorder(client);
        var e = await Assert.ThrowsAsync<TetherException>(() => client.ConnectAsync().WaitAsync(Short));
        Assert.Equal(TetherStatus.Auth, e.Status);
        Assert.Contains("HTTP 401", e.Message);
        Assert.DoesNotContain("not-the-token", e.Message);
        await recorder.WaitFor(r => r.States().Contains(ConnectionState.Error), what: "the error state");
        Assert.Empty(recorder.Of<ReconnectingEventArgs>());
        Assert.Empty(recorder.Of<OpenedEventArgs>());
        Assert.Equal(ConnectionState.Error, client.State);
        Assert.DoesNotContain("not-the-token", recorder.AllText());
    }

    [Fact]
    public async Task What_the_protocol_cannot_do_fails_at_the_call_with_NotSupported()
    {
        await using var client = HubClient();
        var hub = new ConnectionManager(client);
        // A listener with arguments would be a server-to-client stream (a StreamInvocation).
        var e = await Assert.ThrowsAsync<TetherException>(() =>
            hub.SubscribeAsync("Counter", JsonSerializer.SerializeToElement(new[] { 3 })));
        Assert.Equal(TetherStatus.NotSupported, e.Status);
        Assert.Equal("TETHER_E_NOT_SUPPORTED", e.StatusName);
        Assert.Contains("signalr", e.Message);
        Assert.Contains("StreamInvocation", e.Message);
        Assert.Equal(0, hub.GetStats().ActiveSubscriptions);
    }

    [Fact]
    public void Provider_signalr_sets_the_protocol_and_the_access_token_parameter()
    {
        using var client = HubClient();
        Assert.Equal("signalr", client.GetStats().Protocol);
        var pairs = new TetherOptions("ws://h/hub") { Provider = Provider.SignalR }.ToKeyValuePairs();
        Assert.Equal("signalr", Assert.Single(pairs, p => p.Key == "provider").Value);
    }
}
