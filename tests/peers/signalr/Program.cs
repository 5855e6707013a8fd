// The ASP.NET Core SignalR server that tether's signalr tests talk to
// (tests/integration/protocol_signalr_test.cpp): Kestrel and the framework's own SignalR hub
// code speaking the JSON hub protocol over WebSockets. Clients connect straight to a hub URL
// (skipNegotiation) with ?access_token=good.
//
// Hubs (the same methods, different HubOptions):
//   /hub          the defaults: the server pings after 15 s of silence, drops a client silent 30 s
//   /hub-pings    KeepAliveInterval 200 ms: the server sends a Ping record at each of its
//                 once-a-second heartbeat ticks
//   /hub-slow     ClientTimeoutInterval 16 s: for the slow test of the client's 15 s heartbeat
//                 (the server enforces the timeout only once the client has sent a Ping)
//   /hub-msgpack  SupportedProtocols = messagepack only: a json handshake is refused
// Auth: ASP.NET Core authentication; the access_token query parameter must be "good" (a missing
// or other token gets HTTP 401 at the upgrade). ?room=closed makes OnConnectedAsync throw, which
// the framework answers with a Close record carrying the error.
//
// Prints {"port":N} as its first stdout line once listening; logs only warnings, to stderr;
// exits when stdin ends.
using System.Runtime.CompilerServices;
using System.Security.Claims;
using System.Text.Encodings.Web;
using System.Text.Json;
using Microsoft.AspNetCore.Authentication;
using Microsoft.AspNetCore.Connections.Features;
using Microsoft.AspNetCore.SignalR;
using Microsoft.Extensions.Options;

var builder = WebApplication.CreateSlimBuilder(args);
builder.WebHost.UseUrls("http://127.0.0.1:0");
builder.WebHost.UseShutdownTimeout(TimeSpan.FromMilliseconds(500));
builder.Logging.ClearProviders();
builder.Logging.SetMinimumLevel(LogLevel.Warning);
// The tests make hub methods fail on purpose, and the keys of an unused data protection are
// not worth a warning: only the rest is logged.
builder.Logging.AddFilter("Microsoft.AspNetCore.SignalR", LogLevel.None);
builder.Logging.AddFilter("Microsoft.AspNetCore.DataProtection", LogLevel.None);
builder.Logging.AddConsole(o => o.LogToStandardErrorThreshold = LogLevel.Trace);

builder.Services.AddAuthentication(AccessTokenHandler.Name)
    .AddScheme<AuthenticationSchemeOptions, AccessTokenHandler>(AccessTokenHandler.Name, null);
builder.Services.AddAuthorization();
builder.Services.AddSignalR(o =>
    {
        // Ask invokes the caller from inside a hub method (a client result), which needs a
        // second invocation slot; Sleep must not hold back the requests made after it.
        o.MaximumParallelInvocationsPerClient = 4;
    })
    .AddHubOptions<PingsHub>(o => o.KeepAliveInterval = TimeSpan.FromMilliseconds(200))
    .AddHubOptions<SlowTimeoutHub>(o => o.ClientTimeoutInterval = TimeSpan.FromSeconds(16))
    .AddHubOptions<MessagePackOnlyHub>(o => o.SupportedProtocols = new List<string> { "messagepack" });

var app = builder.Build();
app.UseAuthentication();
app.UseAuthorization();
app.MapHub<PeerHub>("/hub").RequireAuthorization();
app.MapHub<PingsHub>("/hub-pings").RequireAuthorization();
app.MapHub<SlowTimeoutHub>("/hub-slow").RequireAuthorization();
app.MapHub<MessagePackOnlyHub>("/hub-msgpack").RequireAuthorization();

await app.StartAsync();
var port = new Uri(app.Urls.First()).Port;
Console.Out.Write("{\"port\":" + port + "}\n");
Console.Out.Flush();

// The test owns our stdin: when it ends (the test finished or died), so do we.
await Task.Run(() => { while (Console.In.Read() != -1) { } });
await app.StopAsync();

// The methods every hub offers.
public class PeerHub : Hub
{
    public override Task OnConnectedAsync()
    {
        // The framework sends this exception's text in a Close record and ends the connection.
        if (Context.GetHttpContext()?.Request.Query["room"].ToString() == "closed")
            throw new HubException("the room is closed");
        return Task.CompletedTask;
    }

    public int Add(int a, int b) => a + b;

    public JsonElement Echo(JsonElement value) => value;

    public void Fail() => throw new HubException("failed on purpose");

    public async Task<int> Sleep(int ms)
    {
        await Task.Delay(ms);
        return ms;
    }

    // Pushes to every connected client: an Invocation of `channel` with one or two arguments.
    public Task Publish(string channel, JsonElement payload) => Clients.All.SendAsync(channel, payload);

    public Task Publish2(string channel, JsonElement first, JsonElement second) =>
        Clients.All.SendAsync(channel, first, second);

    // Ends the connection from the hub: the framework sends a Close record without allowReconnect.
    public void Kick() => Context.Abort();

    // Asks the framework to close the connection the way it does on a graceful server shutdown:
    // a Close record with allowReconnect true.
    public void Restart() => Context.Features.Get<IConnectionLifetimeNotificationFeature>()?.RequestClose();

    // Drops the TCP connection under the WebSocket: no Close record, no close frame.
    public void Drop() => Context.GetHttpContext()?.Abort();

    // A client result: the server invokes `target` on the caller and waits for its Completion.
    public async Task<string> Ask(string target)
    {
        try
        {
            using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(5));
            return "answer: " + await Clients.Caller.InvokeAsync<string>(target, "what is your answer?", timeout.Token);
        }
        catch (Exception e)
        {
            return "the client refused: " + e.Message;
        }
    }

    // A server-to-client stream: only a StreamInvocation may call it.
    public async IAsyncEnumerable<int> Counter(int count, [EnumeratorCancellation] CancellationToken cancel)
    {
        for (var i = 1; i <= count; i++)
        {
            await Task.Delay(10, cancel);
            yield return i;
        }
    }
}

public class PingsHub : PeerHub { }
public class SlowTimeoutHub : PeerHub { }
public class MessagePackOnlyHub : PeerHub { }

// Accepts ?access_token=good, the way SignalR clients send a token over WebSockets.
public sealed class AccessTokenHandler : AuthenticationHandler<AuthenticationSchemeOptions>
{
    public const string Name = "AccessToken";

    public AccessTokenHandler(IOptionsMonitor<AuthenticationSchemeOptions> options, ILoggerFactory logger, UrlEncoder encoder)
        : base(options, logger, encoder) { }

    protected override Task<AuthenticateResult> HandleAuthenticateAsync()
    {
        var token = Request.Query["access_token"].ToString();
        if (token.Length == 0) return Task.FromResult(AuthenticateResult.NoResult());
        if (token != "good") return Task.FromResult(AuthenticateResult.Fail("unknown access_token"));
        var identity = new ClaimsIdentity(new[] { new Claim(ClaimTypes.Name, "tester") }, Name);
        return Task.FromResult(AuthenticateResult.Success(new AuthenticationTicket(new ClaimsPrincipal(identity), Name)));
    }
}
