using System.Collections.Concurrent;
using System.Text.Json;

using static Tether.Tests.SubscriptionWaits;

namespace Tether.Tests;

/// <summary>The connection manager against the test server's /json path; the same scenarios as
/// tests/integration/manager_test.cpp.</summary>
public sealed class ManagerTests(TestServer server) : IClassFixture<TestServer>
{
    private static readonly TimeSpan Short = TimeSpan.FromSeconds(10);

    private sealed record Sum(long sum);
    private sealed record Count(int count);
    private sealed record Echoed(int t, int i);

    private TetherClient JsonClient(string pathAndQuery = "/json", TimeSpan? reconnectDelay = null, bool bufferMessages = true) =>
        new(new TetherOptions(server.WsUrl(pathAndQuery)) { Protocol = WireProtocol.Json, ReconnectDelay = reconnectDelay },
            bufferMessages: bufferMessages);

    [Fact]
    public async Task Channels_subscribe_receive_what_others_publish_unsubscribe()
    {
        await using var alice = JsonClient();
        await using var bob = JsonClient();
        var aliceManager = new ConnectionManager(alice);
        var bobManager = new ConnectionManager(bob);
        var confirmations = new ConcurrentQueue<SubscriptionEventArgs>();
        aliceManager.Subscribed += (_, e) => confirmations.Enqueue(e);
        int plainMessages = 0;
        alice.MessageReceived += (_, _) => Interlocked.Increment(ref plainMessages);

        // Made offline: sent once ready, confirmed then.
        Task<Subscription> subscribing = aliceManager.SubscribeAsync("chat");
        Assert.False(subscribing.IsCompleted);
        await alice.ConnectAsync().WaitAsync(Short);
        await bob.ConnectAsync().WaitAsync(Short);
        await using Subscription chat = await subscribing.WaitAsync(Short);
        Assert.Equal("chat", chat.Channel);
        Assert.NotEqual(0UL, chat.Id);
        Assert.True(chat.IsActive);
        SubscriptionEventArgs confirmed = Assert.Single(confirmations);
        Assert.Equal(chat.Id, confirmed.SubscriptionId);
        Assert.False(confirmed.IsResubscription);

        // A second subscription to the channel shares the wire subscription: confirmed at once.
        var handled = new ConcurrentQueue<ChannelMessage>();
        await using Subscription chatToo = await aliceManager.SubscribeAsync("chat", handled.Enqueue).WaitAsync(Short);
        Assert.NotEqual(chat.Id, chatToo.Id);

        await bobManager.PublishAsync("chat", new { text = "Hello!" }).WaitAsync(Short);
        ChannelMessage message = Assert.Single(await Read(chat, 1));
        Assert.Equal("chat", message.Channel);
        Assert.Equal(chat.Id, message.SubscriptionId);
        Assert.Equal("{\"text\":\"Hello!\"}", message.Text);
        Assert.Equal("Hello!", message.Payload.GetProperty("text").GetString());
        await WaitUntil(() => handled.Count == 1, "the handler's message");
        Assert.Equal(chatToo.Id, handled.Single().SubscriptionId);
        Assert.Equal("{\"text\":\"Hello!\"}", handled.Single().Text);
        Assert.Throws<InvalidOperationException>(() => chatToo.ReadAllAsync());

        TetherStats stats = aliceManager.GetStats();
        Assert.Equal(2, stats.ActiveSubscriptions);
        Assert.Equal("json", stats.Protocol);
        Assert.Equal(0, Volatile.Read(ref plainMessages));  // the manager's, not plain messages

        aliceManager.Unsubscribe(chat);
        await chatToo.DisposeAsync();
        Assert.False(chat.IsActive);
        await chat.Completion.WaitAsync(Short);
        aliceManager.Unsubscribe(chat);  // again: nothing happens
        Assert.Equal(0, aliceManager.GetStats().ActiveSubscriptions);
        await foreach (ChannelMessage _ in chat.ReadAllAsync().WithCancellation(new CancellationTokenSource(Short).Token)) { }

        // The server was told (alice's unsubscribe goes out before her request).
        Count? count = await aliceManager.RequestAsync<Count>("subscribers", new { channel = "chat" }).WaitAsync(Short);
        Assert.Equal(new Count(0), count);
        Assert.Single(handled);
    }

    [Fact]
    public async Task A_refused_subscription_faults_with_Remote_and_is_removed()
    {
        await using var client = JsonClient();
        var manager = new ConnectionManager(client);
        var refusals = new ConcurrentQueue<SubscriptionEventArgs>();
        manager.SubscriptionFailed += (_, e) => refusals.Enqueue(e);
        await client.ConnectAsync().WaitAsync(Short);

        var e = await Assert.ThrowsAsync<TetherException>(() =>
            manager.SubscribeAsync("forbidden-room", JsonSerializer.SerializeToElement(new { since = 0 })).WaitAsync(Short));
        Assert.Equal(TetherStatus.Remote, e.Status);
        Assert.Contains("forbidden-room", e.Message);
        Assert.Equal("TETHER_E_REMOTE", e.StatusName);
        await WaitUntil(() => refusals.Count == 1, "SubscriptionFailed");
        Assert.Equal("forbidden-room", refusals.Single().Channel);
        Assert.Equal(TetherStatus.Remote, refusals.Single().Status);
        Assert.Equal(0, manager.GetStats().ActiveSubscriptions);

        // The connection is fine: an allowed channel still works.
        await using Subscription ok = await manager.SubscribeAsync("room-ok").WaitAsync(Short);
        Assert.True(ok.IsActive);
    }

    [Fact]
    public async Task Requests_results_server_errors_timeouts_each_answered_once()
    {
        await using var client = JsonClient();
        var manager = new ConnectionManager(client);
        await client.ConnectAsync().WaitAsync(Short);

        var answered = new ConcurrentQueue<string>();
        Task<Sum?> add = manager.RequestAsync<Sum>("add", new { a = 2, b = 40 });
        Task<JsonElement> slow = manager.RequestJsonAsync("slow", JsonSerializer.SerializeToElement(new { delay_ms = 300, n = 11 }));
        Task<JsonElement> echo = manager.RequestJsonAsync("echo", JsonSerializer.SerializeToElement(new { n = 12 }));
        Task<JsonElement> fail = manager.RequestJsonAsync("fail");
        Task<JsonElement> nope = manager.RequestJsonAsync("nope");
        Task<JsonElement> never = manager.RequestJsonAsync("never", timeout: TimeSpan.FromMilliseconds(200));
        _ = echo.ContinueWith(_ => answered.Enqueue("echo"), TaskScheduler.Default);
        _ = slow.ContinueWith(_ => answered.Enqueue("slow"), TaskScheduler.Default);

        Assert.Equal(new Sum(42), await add.WaitAsync(Short));
        Assert.Equal(12, (await echo.WaitAsync(Short)).GetProperty("n").GetInt32());
        JsonElement slowResult = await slow.WaitAsync(Short);
        Assert.Equal(11, slowResult.GetProperty("n").GetInt32());

        var failed = await Assert.ThrowsAsync<TetherException>(() => fail.WaitAsync(Short));
        Assert.Equal(TetherStatus.Remote, failed.Status);
        Assert.Contains("request failed on purpose", failed.Message);
        Assert.Contains("400", failed.RemoteError);
        var unknown = await Assert.ThrowsAsync<TetherException>(() => nope.WaitAsync(Short));
        Assert.Equal(TetherStatus.Remote, unknown.Status);
        Assert.Contains("unknown method nope", unknown.Message);
        var timedOut = await Assert.ThrowsAsync<TetherException>(() => never.WaitAsync(Short));
        Assert.Equal(TetherStatus.Timeout, timedOut.Status);

        // The slow answer overtook nobody: echo was answered first.
        await WaitUntil(() => answered.Count == 2, "both continuations");
        Assert.Equal(["echo", "slow"], answered.ToArray());
        await Task.Delay(100);
        Assert.Equal(0, manager.GetStats().PendingRequests);
        Assert.Null(await manager.RequestAsync<object>("echo").WaitAsync(Short));  // no payload: null

        await Assert.ThrowsAsync<ArgumentOutOfRangeException>(() => manager.RequestJsonAsync("echo", timeout: TimeSpan.FromSeconds(-1)));
        await Assert.ThrowsAsync<ArgumentException>(() => manager.RequestJsonAsync(""));
    }

    [Fact]
    public async Task A_cancelled_request_throws_and_its_late_response_is_dropped()
    {
        await using var client = JsonClient();
        var manager = new ConnectionManager(client) { DefaultRequestTimeout = Timeout.InfiniteTimeSpan };
        await client.ConnectAsync().WaitAsync(Short);

        // Never answered: after the cancellation tether still waits for it (no timeout).
        using var neverCts = new CancellationTokenSource();
        Task<JsonElement> never = manager.RequestJsonAsync("never", cancellationToken: neverCts.Token);
        await neverCts.CancelAsync();
        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => never.WaitAsync(Short));
        Assert.True(never.IsCanceled);
        Assert.Equal(1, manager.GetStats().PendingRequests);

        // Answered after the cancellation: the late answer arrives and goes nowhere.
        using var slowCts = new CancellationTokenSource();
        Task<JsonElement> slow = manager.RequestJsonAsync("slow", JsonSerializer.SerializeToElement(new { delay_ms = 200 }),
            cancellationToken: slowCts.Token);
        await slowCts.CancelAsync();
        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => slow.WaitAsync(Short));
        await WaitUntil(() => manager.GetStats().PendingRequests == 1, "the late response");

        // The next request gets its own answer.
        JsonElement next = await manager.RequestJsonAsync("echo", JsonSerializer.SerializeToElement("next")).WaitAsync(Short);
        Assert.Equal("next", next.GetString());

        using var already = new CancellationTokenSource();
        await already.CancelAsync();
        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => manager.RequestJsonAsync("echo", cancellationToken: already.Token));
    }

    [Fact]
    public async Task Concurrent_RequestAsync_from_many_tasks_each_get_their_own_answer()
    {
        await using var client = JsonClient();
        var manager = new ConnectionManager(client);
        await client.ConnectAsync().WaitAsync(Short);
        const int Tasks = 16, PerTask = 25;
        await Task.WhenAll(Enumerable.Range(0, Tasks).Select(t => Task.Run(async () =>
        {
            var mine = Enumerable.Range(0, PerTask)
                .Select(i => (i, Task: manager.RequestAsync<Echoed>(i % 3 == 0 ? "slow" : "echo",
                    i % 3 == 0 ? new { delay_ms = i % 7, t, i } : new { t, i })))
                .ToList();
            foreach (var (i, task) in mine) Assert.Equal(new Echoed(t, i), await task.WaitAsync(Short));
        }))).WaitAsync(TimeSpan.FromSeconds(30));
        Assert.Equal(0, manager.GetStats().PendingRequests);
    }

    [Fact]
    public async Task After_a_reconnect_resubscribed_lost_requests_fail_queued_ones_are_sent()
    {
        string key = $"resub-{Guid.NewGuid():N}";
        // The server drops the first connection when its second message arrives.
        await using var client = JsonClient($"/json?key={key}&drop_after_messages=2", TimeSpan.FromMilliseconds(300));
        var manager = new ConnectionManager(client) { DefaultRequestTimeout = Timeout.InfiniteTimeSpan };
        var confirmations = new ConcurrentQueue<SubscriptionEventArgs>();
        manager.Subscribed += (_, e) => confirmations.Enqueue(e);
        var reconnecting = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        client.Reconnecting += (_, _) => reconnecting.TrySetResult();

        Task<Subscription> subscribing = manager.SubscribeAsync("room");       // message 1
        await client.ConnectAsync().WaitAsync(Short);
        await using Subscription room = await subscribing.WaitAsync(Short);
        Task<JsonElement> lost = manager.RequestJsonAsync("never");          // message 2: dropped
        var e = await Assert.ThrowsAsync<TetherException>(() => lost.WaitAsync(Short));
        Assert.Equal(TetherStatus.Closed, e.Status);
        await reconnecting.Task.WaitAsync(Short);

        // Made while reconnecting: queued, sent after the re-subscription.
        Count? count = await manager.RequestAsync<Count>("subscribers", new { channel = "room" }).WaitAsync(Short);
        Assert.Equal(new Count(1), count);
        await WaitUntil(() => confirmations.Count == 2, "the re-subscription");
        Assert.All(confirmations, c => Assert.Equal(room.Id, c.SubscriptionId));
        Assert.True(confirmations.Last().IsResubscription);
        Assert.True(room.IsActive);

        // The same Subscription works on the new connection.
        await manager.PublishAsync("room", new { after = "reconnect" }).WaitAsync(Short);
        ChannelMessage message = Assert.Single(await Read(room, 1));
        Assert.Equal("{\"after\":\"reconnect\"}", message.Text);
        TetherStats stats = manager.GetStats();
        Assert.Equal(1, stats.Reconnects);
        Assert.Equal(1, stats.ActiveSubscriptions);
    }

    [Fact]
    public async Task Requests_pending_when_the_client_closes_fail_with_Closed()
    {
        await using var client = JsonClient();
        var manager = new ConnectionManager(client) { DefaultRequestTimeout = Timeout.InfiniteTimeSpan };
        await client.ConnectAsync().WaitAsync(Short);
        Task<JsonElement> pending = manager.RequestJsonAsync("never");
        await client.CloseAsync().WaitAsync(Short);
        var e = await Assert.ThrowsAsync<TetherException>(() => pending.WaitAsync(Short));
        Assert.Equal(TetherStatus.Closed, e.Status);
    }

    [Fact]
    public async Task Dispose_fails_pending_requests_and_subscriptions()
    {
        var client = JsonClient("/hang");
        var manager = new ConnectionManager(client);
        _ = client.ConnectAsync();
        Task<Subscription> subscribing = manager.SubscribeAsync("never-confirmed");
        Task<JsonElement> request = manager.RequestJsonAsync("echo");
        await client.DisposeAsync();
        await Assert.ThrowsAsync<ObjectDisposedException>(() => subscribing.WaitAsync(Short));
        await Assert.ThrowsAsync<ObjectDisposedException>(() => request.WaitAsync(Short));
        await Assert.ThrowsAsync<ObjectDisposedException>(() => manager.RequestJsonAsync("echo"));
        await Assert.ThrowsAsync<ObjectDisposedException>(() => manager.SubscribeAsync("x"));
    }

    [Fact]
    public async Task Protocol_raw_is_NotSupported()
    {
        await using var client = new TetherClient(new TetherOptions(server.WsUrl("/echo")));
        var manager = new ConnectionManager(client);
        var subscribe = await Assert.ThrowsAsync<TetherException>(() => manager.SubscribeAsync("chat"));
        Assert.Equal(TetherStatus.NotSupported, subscribe.Status);
        Assert.Contains("protocol raw", subscribe.Message);
        var publish = await Assert.ThrowsAsync<TetherException>(() => manager.PublishAsync("chat", new { a = 1 }));
        Assert.Equal(TetherStatus.NotSupported, publish.Status);
        var request = await Assert.ThrowsAsync<TetherException>(() => manager.RequestAsync<object>("m"));
        Assert.Equal(TetherStatus.NotSupported, request.Status);
        TetherStats stats = manager.GetStats();
        Assert.Equal("raw", stats.Protocol);
        Assert.Equal(0, stats.PendingRequests);
    }
}
