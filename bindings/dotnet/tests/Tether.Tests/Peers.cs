using System.Diagnostics;
using System.Text;
using System.Text.Json;

namespace Tether.Tests;

/// <summary>
/// One protocol peer of tether's tests/peers, one process per test class: it prints
/// {"port":N} as its first stdout line once listening on 127.0.0.1 and exits when its stdin
/// closes, which <see cref="DisposeAsync"/> does.
/// </summary>
/// <remarks>
/// <para>tests/peers comes from $TETHER_PEERS_DIR (test.sh sets it), else from the first folder
/// above the test assembly that holds tests/peers.</para>
/// <para>The wait for the port is asynchronous: a peer takes a second or two to start, and a
/// thread-pool thread blocked that long would delay the continuations of the tests running in
/// parallel, some of which check the order of answers.</para>
/// </remarks>
public abstract class Peer : IAsyncLifetime
{
    private readonly string _program;
    private readonly string _path;
    private readonly StringBuilder _log = new();
    private Process? _process;

    protected Peer(string program, string script, string missingHint)
    {
        _program = program;
        _path = Path.Combine(PeersDir(), script);
        if (!File.Exists(_path)) throw new InvalidOperationException($"No peer at {_path}: {missingHint}.");
    }

    public int Port { get; private set; }

    public async Task InitializeAsync()
    {
        var start = new ProcessStartInfo(_program)
        {
            ArgumentList = { _path },
            RedirectStandardInput = true,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        _process = Process.Start(start) ?? throw new InvalidOperationException($"could not start {_program} {_path}");
        // Drained so that its logs never fill the pipe; shown when it fails to start.
        _process.ErrorDataReceived += (_, e) =>
        {
            if (e.Data is not null) lock (_log) _log.AppendLine(e.Data);
        };
        _process.BeginErrorReadLine();
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(60));
        string line = await _process.StandardOutput.ReadLineAsync(timeout.Token)
            ?? throw new InvalidOperationException($"{_path} exited before printing its port:\n{Log}");
        using JsonDocument doc = JsonDocument.Parse(line);
        Port = doc.RootElement.GetProperty("port").GetInt32();
    }

    /// <summary>What the peer wrote to stderr so far.</summary>
    public string Log
    {
        get
        {
            lock (_log) return _log.ToString();
        }
    }

    /// <summary>A ws:// URL of the peer, e.g. <c>Url("/hub")</c>.</summary>
    public string Url(string pathAndQuery) => $"ws://127.0.0.1:{Port}{pathAndQuery}";

    public async Task DisposeAsync()
    {
        if (_process is null) return;
        try
        {
            _process.StandardInput.Close();  // the peer exits at stdin EOF
            using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(5));
            await _process.WaitForExitAsync(timeout.Token);
        }
        catch (OperationCanceledException)
        {
            _process.Kill();
        }
        catch (InvalidOperationException)
        {
        }
        _process.Dispose();
    }

    private static string PeersDir()
    {
        if (Environment.GetEnvironmentVariable("TETHER_PEERS_DIR") is { Length: > 0 } configured) return configured;
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
        {
            string candidate = Path.Combine(dir.FullName, "tests", "peers");
            if (Directory.Exists(Path.Combine(candidate, "signalr"))) return candidate;
        }
        throw new InvalidOperationException("Set TETHER_PEERS_DIR to tether's tests/peers.");
    }
}

/// <summary>The real ASP.NET Core SignalR hub of tests/peers/signalr (see its Program.cs): hubs at
/// /hub..., access_token "good".</summary>
public sealed class SignalrPeer() : Peer(
    Environment.GetEnvironmentVariable("DOTNET_HOST_PATH") is { Length: > 0 } host ? host : "dotnet",
    Path.Combine("signalr", "bin", "SignalrPeer.dll"), "build it with scripts/build-peers.sh");

/// <summary>The Phoenix Channels server of tests/peers/phoenix.js (see its header): the socket at
/// /socket/websocket, token "good", topics room:*.</summary>
public sealed class PhoenixPeer() : Peer("node", "phoenix.js", "tests/peers holds the node peers");

/// <summary>The tests against the peers run on their own, after the others: starting a peer
/// (ASP.NET Core, node) takes both cores for a moment, which would upset the timing of tests
/// that run in parallel with it.</summary>
[CollectionDefinition(Name, DisableParallelization = true)]
public sealed class RunAlone
{
    public const string Name = "peers, run alone";
}
