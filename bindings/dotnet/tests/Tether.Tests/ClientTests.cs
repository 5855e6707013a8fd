using System.Text;
using System.Text.Json;

namespace Tether.Tests;

public sealed class ClientTests(TestServer server) : IClassFixture<TestServer>
{
    private static readonly TimeSpan Short = TimeSpan.FromSeconds(10);

    private static async Task<List<Message>> Read(TetherClient client, int count, Func<Message, bool>? filter = null)
    {
        var messages = new List<Message>();
        using var cts = new CancellationTokenSource(Short);
        await foreach (Message m in client.ReadAllAsync(cts.Token))
        {
            if (filter is null || filter(m)) messages.Add(m);
            if (messages.Count == count) break;
        }
        return messages;
    }

    private sealed record Chat(string Type, string Message);

    [Fact]
    public async Task Echo_text_binary_and_json()
    {
        await using var client = new TetherClient(new TetherOptions(server.WsUrl("/echo")));
        var recorder = new Recorder(client);
        await client.ConnectAsync().WaitAsync(Short);
        Assert.Equal(ConnectionState.Authenticated, client.State);
        Assert.Equal([ConnectionState.Connecting, ConnectionState.Connected, ConnectionState.Authenticated], recorder.States());

        await client.SendAsync("nul\0inside and ünïcödé").WaitAsync(Short);
        await client.SendAsync(new byte[] { 0, 255, 1 }).WaitAsync(Short);
        var jsonOptions = new JsonSerializerOptions(JsonSerializerDefaults.Web);
        await client.SendJsonAsync(new Chat("chat", "Hello!"), jsonOptions).WaitAsync(Short);
        await client.SendAsync("{\"valid\":true}"u8.ToArray(), MessageType.Default).WaitAsync(Short);

        List<Message> got = await Read(client, 4);
        Assert.Equal("nul\0inside and ünïcödé", got[0].Text);
        Assert.Equal(MessageType.Text, got[0].Type);
        Assert.Equal(new byte[] { 0, 255, 1 }, got[1].Data.ToArray());
        Assert.Equal(MessageType.Binary, got[1].Type);
        Assert.Equal("{\"type\":\"chat\",\"message\":\"Hello!\"}", got[2].Text);
        Assert.Equal(new Chat("chat", "Hello!"), got[2].ReadJson<Chat>(jsonOptions));
        Assert.Equal("{\"valid\":true}", got[3].Text);
        Assert.Equal(4, recorder.Of<MessageReceivedEventArgs>().Count);

        await client.CloseAsync(1000, "User logged out").WaitAsync(Short);
        ClosedEventArgs closed = Assert.Single(recorder.Of<ClosedEventArgs>());
        Assert.Equal(1000, closed.Code);
        Assert.Equal("User logged out", closed.Reason);
        Assert.True(closed.WasClean);
        Assert.Equal("Normal closure", closed.CodeDescription);
        Assert.Equal(ConnectionState.Disconnected, client.State);
        Assert.Empty(recorder.Of<ReconnectingEventArgs>());

        // Closed for good: the message stream ends; closing again does nothing.
        await foreach (Message _ in client.ReadAllAsync().WithCancellation(new CancellationTokenSource(Short).Token)) { }
        await client.CloseAsync().WaitAsync(Short);
        var late = await Assert.ThrowsAsync<TetherException>(() => client.SendAsync("late"));
        Assert.Equal(TetherStatus.Closed, late.Status);
    }

    [Fact]
    public async Task Auth_query_param_right_and_wrong_token()
    {
        var options = new TetherOptions(server.WsUrl("/auth/query?param=access_token&expect=s3cr3t-tok"))
        {
            AuthMethod = AuthMethod.QueryParam, TokenParamName = "access_token", AuthToken = "s3cr3t-tok",
        };
        await using (var client = new TetherClient(options))
        {
            await client.ConnectAsync().WaitAsync(Short);
            Assert.Contains("access_token=***", client.GetStats().Url);
            Assert.DoesNotContain("s3cr3t-tok", client.GetStatsJson().Replace("expect=s3cr3t-tok", ""));
        }

        options.AuthToken = "wrong-secret-value";
        await using var refused = new TetherClient(options);
        var recorder = new Recorder(refused);
        var error = await Assert.ThrowsAsync<TetherException>(() => refused.ConnectAsync().WaitAsync(Short));
        Assert.Equal(TetherStatus.Auth, error.Status);
        Assert.Contains("401", error.Message);
        Assert.DoesNotContain("wrong-secret-value", error.ToString());
        Assert.DoesNotContain("wrong-secret-value", recorder.AllText());
        Assert.Equal(ConnectionState.Error, refused.State);
        Assert.Empty(recorder.Of<ReconnectingEventArgs>());
    }

    [Fact]
    public async Task Auth_subprotocol()
    {
        await using var client = new TetherClient(new TetherOptions(server.WsUrl("/auth/subprotocol?expect=tok-123"))
        {
            AuthMethod = AuthMethod.Subprotocol, AuthToken = "tok-123", Subprotocols = ["chat.v1"],
        });
        var recorder = new Recorder(client);
        await client.ConnectAsync().WaitAsync(Short);
        Assert.Equal("chat.v1", Assert.Single(recorder.Of<OpenedEventArgs>()).Subprotocol);
    }

    [Fact]
    public async Task Auth_first_message_confirmed_then_refused()
    {
        var options = new TetherOptions(server.WsUrl("/auth/first-message?expect=tk-9x&type=authenticate&reply=auth_ok"))
        {
            AuthMethod = AuthMethod.FirstMessage, AuthToken = "tk-9x", AuthSuccessType = "auth_ok",
            MessageFormat = MessageFormat.Text,
        };
        await using (var client = new TetherClient(options))
        {
            var recorder = new Recorder(client);
            Task queued = client.SendAsync("queued before auth");
            await client.ConnectAsync().WaitAsync(Short);
            await queued.WaitAsync(Short);
            Assert.Equal([ConnectionState.Connecting, ConnectionState.Connected, ConnectionState.Authenticating,
                ConnectionState.Authenticated], recorder.States());
            Assert.Equal("queued before auth", (await Read(client, 1))[0].Text);
        }

        options.Url = server.WsUrl("/auth/first-message?expect=good");
        options.AuthToken = "bad";
        await using var refused = new TetherClient(options);
        var refusedRecorder = new Recorder(refused);
        var error = await Assert.ThrowsAsync<TetherException>(() => refused.ConnectAsync().WaitAsync(Short));
        Assert.Equal(1008, refusedRecorder.Of<ClosedEventArgs>()[0].Code);
        Assert.Contains("auth failed", error.Message);
        Assert.Empty(refusedRecorder.Of<ReconnectingEventArgs>());
    }

    [Fact]
    public async Task Reconnect_after_a_drop_sends_queued_messages_in_order()
    {
        await using var client = new TetherClient(new TetherOptions(server.WsUrl("/flaky?key=dotnet-order&fail_first=1&mode=drop"))
        {
            MessageFormat = MessageFormat.Text, ReconnectDelay = TimeSpan.FromMilliseconds(200),
        });
        var recorder = new Recorder(client);
        await client.ConnectAsync().WaitAsync(Short);
        await recorder.WaitFor<ReconnectingEventArgs>();
        Task[] sends = Enumerable.Range(0, 100).Select(i => client.SendAsync($"m{i}")).ToArray();
        await Task.WhenAll(sends).WaitAsync(Short);
        List<Message> echoed = await Read(client, 100, m => m.Text.StartsWith('m'));
        Assert.Equal(Enumerable.Range(0, 100).Select(i => $"m{i}"), echoed.Select(m => m.Text));
        Assert.Equal(1, client.GetStats().Reconnects);
        Assert.Single(recorder.States(), s => s == ConnectionState.Reconnecting);
        Assert.Equal(1006, recorder.Of<ClosedEventArgs>()[0].Code);
    }

    [Fact]
    public async Task Token_provider_gives_the_reconnect_attempt_a_fresh_token()
    {
        await using var client = new TetherClient(new TetherOptions(server.WsUrl("/flaky?key=dotnet-refresh&fail_first=1"))
        {
            AuthMethod = AuthMethod.QueryParam, AuthToken = "first-token", MessageFormat = MessageFormat.Text,
            ReconnectDelay = TimeSpan.FromMilliseconds(50),
        });
        client.TokenProvider = e => $"token-for-attempt-{e.Attempt}";
        await client.ConnectAsync().WaitAsync(Short);
        List<Message> greetings = await Read(client, 2);
        Assert.Equal("{\"connection\":1,\"token\":\"first-token\"}", greetings[0].Text);
        Assert.Equal("{\"connection\":2,\"token\":\"token-for-attempt-1\"}", greetings[1].Text);
    }

    [Fact]
    public async Task Keep_alive_timeout_is_a_dead_peer_and_a_reconnect()
    {
        await using var client = new TetherClient(new TetherOptions(server.WsUrl("/silent"))
        {
            PingInterval = TimeSpan.FromMilliseconds(100), PongTimeout = TimeSpan.FromMilliseconds(200),
            MaxReconnectAttempts = 1,
        });
        var recorder = new Recorder(client);
        await client.ConnectAsync().WaitAsync(Short);
        await recorder.WaitFor<ReconnectingEventArgs>(1, 3000);
        Assert.Equal(TetherStatus.PongTimeout, recorder.Of<TetherErrorEventArgs>()[0].Status);
        Assert.Equal(1006, recorder.Of<ClosedEventArgs>()[0].Code);
        Assert.False(recorder.Of<ClosedEventArgs>()[0].WasClean);
    }

    [Fact]
    public async Task Close_codes_follow_the_reconnect_table()
    {
        await using (var client = new TetherClient(new TetherOptions(server.WsUrl("/close?code=1011&reason=oops&after_ms=50"))
                     { MaxReconnectAttempts = 1, ReconnectDelay = TimeSpan.FromMilliseconds(20) }))
        {
            var recorder = new Recorder(client);
            await client.ConnectAsync().WaitAsync(Short);
            await recorder.WaitFor<ReconnectingEventArgs>();
            ClosedEventArgs closed = recorder.Of<ClosedEventArgs>()[0];
            Assert.Equal((1011, "oops", true), (closed.Code, closed.Reason, closed.WasClean));
        }
        await using (var client = new TetherClient(new TetherOptions(server.WsUrl("/close?code=1008&after_ms=50"))))
        {
            var recorder = new Recorder(client);
            await client.ConnectAsync().WaitAsync(Short);
            await recorder.WaitFor(r => r.States().Contains(ConnectionState.Error), what: "state error");
            Assert.Equal(1008, recorder.Of<ClosedEventArgs>()[0].Code);
            Assert.Empty(recorder.Of<ReconnectingEventArgs>());
        }
        await using (var client = new TetherClient(new TetherOptions(server.WsUrl("/echo"))))
        {
            var recorder = new Recorder(client);
            await client.ConnectAsync().WaitAsync(Short);
            var bad = await Assert.ThrowsAsync<TetherException>(() => client.CloseAsync(1006));
            Assert.Equal(TetherStatus.InvalidArgument, bad.Status);
            Assert.Contains("1006", bad.Message);
            await Assert.ThrowsAsync<TetherException>(() => client.CloseAsync(1000, new string('r', 200)));
            await client.CloseAsync(4000, "app done").WaitAsync(Short);
            Assert.Equal(4000, recorder.Of<ClosedEventArgs>()[0].Code);
            Assert.Equal("Application-defined", TetherClient.DescribeCloseCode(4000));
        }
    }

    [Fact]
    public async Task Close_ends_within_closeTimeout_with_a_silent_peer()
    {
        await using var client = new TetherClient(new TetherOptions(server.WsUrl("/silent")) { CloseTimeout = TimeSpan.FromMilliseconds(300) });
        var recorder = new Recorder(client);
        await client.ConnectAsync().WaitAsync(Short);
        var watch = System.Diagnostics.Stopwatch.StartNew();
        await client.CloseAsync().WaitAsync(Short);
        Assert.True(watch.Elapsed < TimeSpan.FromSeconds(2), $"close took {watch.Elapsed}");
        Assert.False(recorder.Of<ClosedEventArgs>()[0].WasClean);
    }

    [Fact]
    public async Task Concurrent_SendAsync_from_many_tasks_keeps_each_tasks_order()
    {
        const int Tasks = 8, PerTask = 200;
        await using var client = new TetherClient(new TetherOptions(server.WsUrl("/echo"))
        {
            MessageFormat = MessageFormat.Text, MaxQueuedMessages = Tasks * PerTask,
        });
        await client.ConnectAsync().WaitAsync(Short);
        var readTask = Read(client, Tasks * PerTask);
        await Task.WhenAll(Enumerable.Range(0, Tasks).Select(t => Task.Run(async () =>
        {
            for (int i = 0; i < PerTask; i++) await client.SendAsync($"{t}:{i}");
        }))).WaitAsync(TimeSpan.FromSeconds(30));
        List<Message> got = await readTask.WaitAsync(TimeSpan.FromSeconds(30));
        for (int t = 0; t < Tasks; t++)
            Assert.Equal(Enumerable.Range(0, PerTask).Select(i => $"{t}:{i}"),
                got.Select(m => m.Text).Where(s => s.StartsWith($"{t}:", StringComparison.Ordinal)));
    }

    [Fact]
    public async Task Dispose_during_traffic_ends_every_pending_task()
    {
        var client = new TetherClient(new TetherOptions(server.WsUrl("/echo")) { MessageFormat = MessageFormat.Binary });
        var received = 0;
        client.MessageReceived += (_, _) => Interlocked.Increment(ref received);
        await client.ConnectAsync().WaitAsync(Short);
        var payload = new byte[4096];
        Task[] senders = Enumerable.Range(0, 4).Select(_ => Task.Run(async () =>
        {
            try
            {
                while (true) await client.SendAsync(payload);
            }
            catch (ObjectDisposedException)
            {
            }
            catch (TetherException e) when (e.Status is TetherStatus.Closed or TetherStatus.QueueFull)
            {
            }
        })).ToArray();
        await new Recorder(client).WaitFor(_ => Volatile.Read(ref received) > 50, what: "traffic");
        await client.DisposeAsync().AsTask().WaitAsync(Short);
        await Task.WhenAll(senders).WaitAsync(Short);
        int after = Volatile.Read(ref received);
        await Task.Delay(100);
        Assert.Equal(after, Volatile.Read(ref received));  // no handler after DisposeAsync
        Assert.Throws<ObjectDisposedException>(() => client.State);
        await Assert.ThrowsAsync<ObjectDisposedException>(() => client.SendAsync("x"));
    }

    [Fact]
    public async Task Dispose_fails_a_pending_connect()
    {
        var client = new TetherClient(new TetherOptions(server.WsUrl("/hang")));
        Task connect = client.ConnectAsync();
        client.Dispose();
        await Assert.ThrowsAsync<ObjectDisposedException>(() => connect.WaitAsync(Short));
        client.Dispose();  // twice is fine
    }

    [Fact]
    public async Task Dispose_from_inside_a_handler()
    {
        var client = new TetherClient(new TetherOptions(server.WsUrl("/echo")));
        var disposed = new TaskCompletionSource();
        client.Opened += async (_, _) =>
        {
            await client.DisposeAsync();
            disposed.SetResult();
        };
        await Assert.ThrowsAnyAsync<Exception>(() => client.ConnectAsync().WaitAsync(Short));
        await disposed.Task.WaitAsync(Short);
    }

    [System.Runtime.CompilerServices.MethodImpl(System.Runtime.CompilerServices.MethodImplOptions.NoInlining)]
    private async Task<(WeakReference Client, Task Released)> ConnectAndForget()
    {
        var client = new TetherClient(new TetherOptions(server.WsUrl("/echo")));
        await client.ConnectAsync().WaitAsync(Short);
        await client.SendAsync("before the finalizer");
        return (new WeakReference(client), client.Released);
    }

    [Fact]
    public async Task An_undisposed_client_is_destroyed_by_its_finalizer()
    {
        var (weak, released) = await ConnectAndForget();
        for (int i = 0; i < 50 && !released.IsCompleted; i++)
        {
            GC.Collect();
            GC.WaitForPendingFinalizers();
            await Task.WhenAny(released, Task.Delay(100));
        }
        Assert.True(released.IsCompleted, "the release callback did not run after the finalizer");
        Assert.False(weak.IsAlive);
    }

    [Fact]
    public async Task Cancellation_stops_a_connect_that_hangs()
    {
        await using var client = new TetherClient(new TetherOptions(server.WsUrl("/hang")));
        using var cts = new CancellationTokenSource(200);
        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => client.ConnectAsync(cts.Token));
        await client.CloseAsync().WaitAsync(Short);
        Assert.Equal(ConnectionState.Disconnected, client.State);
    }

    [Fact]
    public async Task A_runtime_serves_several_clients()
    {
        using var runtime = new TetherRuntime(2);
        var clients = Enumerable.Range(0, 3)
            .Select(_ => new TetherClient(new TetherOptions(server.WsUrl("/echo")) { MessageFormat = MessageFormat.Text }, runtime))
            .ToList();
        runtime.Dispose();  // the clients keep it running
        foreach (var c in clients) await c.ConnectAsync().WaitAsync(Short);
        foreach (var c in clients) await c.SendAsync("hi").WaitAsync(Short);
        foreach (var c in clients) Assert.Equal("hi", (await Read(c, 1))[0].Text);
        foreach (var c in clients) await c.DisposeAsync();
    }
}
