using System.Text.Json;

namespace Tether.Tests;

public sealed class ErrorTests(TestServer server) : IClassFixture<TestServer>
{
    [Fact]
    public void Unknown_option_names_the_key()
    {
        var e = Assert.Throws<TetherException>(() => new TetherOptions("ws://127.0.0.1:1/").Set("pingIntervall", "5").Validate());
        Assert.Equal(TetherStatus.UnknownOption, e.Status);
        Assert.Contains("pingIntervall", e.Message);
        Assert.Equal("TETHER_E_UNKNOWN_OPTION", e.StatusName);
    }

    [Fact]
    public void Bad_values_name_the_key()
    {
        var e = Assert.Throws<TetherException>(() => new TetherOptions("ws://127.0.0.1:1/") { PingInterval = TimeSpan.FromMilliseconds(-5) }.Validate());
        Assert.Equal(TetherStatus.BadOptionValue, e.Status);
        Assert.Contains("pingInterval", e.Message);

        var url = Assert.Throws<TetherException>(() => new TetherClient(new TetherOptions("http://example.com/")));
        Assert.Equal(TetherStatus.BadUrl, url.Status);
        Assert.False(string.IsNullOrWhiteSpace(url.Message));

        var missing = Assert.Throws<TetherException>(() => new TetherClient(new TetherOptions()));
        Assert.Contains("url", missing.Message);

        var ca = Assert.Throws<TetherException>(() => new TetherClient(new TetherOptions(server.WssUrl("/echo")) { CaFile = "/nonexistent/ca.pem" }));
        Assert.Contains("caFile", ca.Message);

        Assert.Throws<ArgumentNullException>(() => new TetherClient(null!));
        Assert.Equal(TetherStatus.InvalidArgument, Assert.Throws<TetherException>(() => new TetherRuntime(0)).Status);
    }

    [Fact]
    public void A_refused_secret_is_never_repeated()
    {
        var options = new TetherOptions("ws://127.0.0.1:1/") { AuthToken = "bad\ntoken-value-zz", AuthMethod = AuthMethod.QueryParam };
        try
        {
            options.Validate();
        }
        catch (TetherException e)
        {
            Assert.DoesNotContain("token-value-zz", e.Message);
        }
    }

    [Fact]
    public async Task Bad_sends_throw_with_clear_messages()
    {
        await using var client = new TetherClient(new TetherOptions(server.WsUrl("/echo")) { MessageFormat = MessageFormat.Json });
        var json = await Assert.ThrowsAsync<TetherException>(() => client.SendAsync("{not json"u8.ToArray(), MessageType.Default));
        Assert.Equal(TetherStatus.InvalidJson, json.Status);
        Assert.Contains("JSON", json.Message);

        var utf8 = await Assert.ThrowsAsync<TetherException>(() => client.SendAsync(new byte[] { 0xc3, 0x28 }, MessageType.Text));
        Assert.Equal(TetherStatus.InvalidUtf8, utf8.Status);

        await Assert.ThrowsAsync<ArgumentException>(() => client.SendAsync("lone \ud800 surrogate"));
        await Assert.ThrowsAsync<ArgumentNullException>(() => client.SendAsync((string)null!));
        Assert.Equal((0L, 0L), client.GetBufferedAmount());

        await client.ConnectAsync().WaitAsync(TimeSpan.FromSeconds(10));
        var twice = await Assert.ThrowsAsync<TetherException>(() => client.ConnectAsync());
        Assert.Equal(TetherStatus.BadState, twice.Status);
    }

    [Fact]
    public async Task Offline_sends_fail_when_queueing_is_off()
    {
        await using var client = new TetherClient(new TetherOptions(server.WsUrl("/echo")) { QueueWhileOffline = false });
        var e = await Assert.ThrowsAsync<TetherException>(() => client.SendAsync("x"));
        Assert.Equal(TetherStatus.NotConnected, e.Status);
    }

    [Fact]
    public async Task A_send_pending_at_close_before_ready_fails_with_cancelled()
    {
        await using var client = new TetherClient(new TetherOptions(server.WsUrl("/hang")));
        _ = client.ConnectAsync();
        Task pending = client.SendAsync("never");
        await client.CloseAsync().WaitAsync(TimeSpan.FromSeconds(10));
        var e = await Assert.ThrowsAsync<TetherException>(() => pending.WaitAsync(TimeSpan.FromSeconds(10)));
        Assert.Equal(TetherStatus.Cancelled, e.Status);
    }

    [Fact]
    public void Options_map_to_the_specification_keys()
    {
        var options = new TetherOptions("ws://h/")
        {
            AuthMethod = AuthMethod.FirstMessage, PingInterval = TimeSpan.FromSeconds(15), AutoReconnect = false,
            Subprotocols = ["a", "b"], Headers = new Dictionary<string, string> { ["X-A"] = "1" },
            Protocol = WireProtocol.Json,
        };
        var pairs = options.ToKeyValuePairs().ToDictionary(p => p.Key, p => p.Value);
        Assert.Equal("first-message", pairs["authMethod"]);
        Assert.Equal("15000", pairs["pingInterval"]);
        Assert.Equal("false", pairs["autoReconnect"]);
        Assert.Equal("a,b", pairs["subprotocols"]);
        Assert.Equal("{\"X-A\":\"1\"}", pairs["headers"]);
        Assert.Equal("json", pairs["protocol"]);
        options.Validate();
        Assert.Contains("\"insecureSkipTlsVerify\"", TetherOptions.SchemaJson);
        Assert.Matches(@"^\d+\.\d+\.\d+$", TetherClient.NativeVersion);
        Assert.Equal("TETHER_E_REMOTE", new TetherException(TetherStatus.Remote, "x").StatusName);
    }

    [Fact]
    public void Every_protocol_and_provider_maps_to_a_name_that_libtether_allows()
    {
        using JsonDocument schema = JsonDocument.Parse(TetherOptions.SchemaJson);
        string[] Allowed(string key) => schema.RootElement.EnumerateArray()
            .Single(o => o.GetProperty("name").GetString() == key)
            .GetProperty("allowed").EnumerateArray().Select(v => v.GetString()!).Order().ToArray();
        string Key(TetherOptions options, string key) => options.ToKeyValuePairs().Single(p => p.Key == key).Value;

        string[] protocols = Enum.GetValues<WireProtocol>()
            .Select(p => Key(new TetherOptions("ws://h/") { Protocol = p }, "protocol")).Order().ToArray();
        Assert.Equal(Allowed("protocol"), protocols);
        string[] providers = Enum.GetValues<Provider>()
            .Select(p => Key(new TetherOptions("ws://h/") { Provider = p }, "provider")).Order().ToArray();
        Assert.Equal(Allowed("provider"), providers);
        foreach (WireProtocol protocol in Enum.GetValues<WireProtocol>()) new TetherOptions("ws://h/") { Protocol = protocol }.Validate();
        foreach (Provider provider in Enum.GetValues<Provider>()) new TetherOptions("ws://h/") { Provider = provider }.Validate();
        Assert.Equal("graphql-transport-ws", Key(new TetherOptions("ws://h/") { Protocol = WireProtocol.GraphQLTransportWs }, "protocol"));
        Assert.Equal("aws-apigateway", Key(new TetherOptions("ws://h/") { Provider = Provider.AwsApiGateway }, "provider"));

        var socketio = new TetherOptions("ws://h/socket.io/")
        {
            Provider = Provider.SocketIO, Namespace = "/chat",
            QueryParams = new Dictionary<string, string> { ["EIO"] = "4", ["transport"] = "websocket", ["room"] = "a b" },
        };
        var pairs = socketio.ToKeyValuePairs().ToDictionary(p => p.Key, p => p.Value);
        Assert.Equal("socketio", pairs["provider"]);
        Assert.Equal("/chat", pairs["namespace"]);
        Assert.Equal("{\"EIO\":\"4\",\"transport\":\"websocket\",\"room\":\"a b\"}", pairs["queryParams"]);
        socketio.Validate();

        var badProtocol = Assert.Throws<ArgumentOutOfRangeException>(() => new TetherOptions("ws://h/") { Protocol = (WireProtocol)99 }.ToKeyValuePairs());
        Assert.Equal("Protocol", badProtocol.ParamName);
        var badNamespace = Assert.Throws<TetherException>(() => new TetherOptions("ws://h/") { Namespace = "no-slash" }.Validate());
        Assert.Contains("namespace", badNamespace.Message);
    }
}
