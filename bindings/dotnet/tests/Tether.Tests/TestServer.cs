using System.Diagnostics;
using System.Text.Json;

namespace Tether.Tests;

/// <summary>One tether-test-server process (from $TETHER_TEST_SERVER), killed on dispose.</summary>
public sealed class TestServer : IDisposable
{
    private readonly Process _process;

    public TestServer()
    {
        string path = Environment.GetEnvironmentVariable("TETHER_TEST_SERVER") ?? "";
        if (path.Length == 0)
            throw new InvalidOperationException("Set TETHER_TEST_SERVER to the path of tether-test-server (e.g. $TETHER_PREFIX/bin/tether-test-server).");
        if (!File.Exists(path))
            throw new InvalidOperationException($"TETHER_TEST_SERVER points to {path}, which does not exist.");
        var start = new ProcessStartInfo(path)
        {
            RedirectStandardInput = true,
            RedirectStandardOutput = true,
            UseShellExecute = false,
        };
        _process = Process.Start(start) ?? throw new InvalidOperationException($"could not start {path}");
        string line = _process.StandardOutput.ReadLine()
            ?? throw new InvalidOperationException("tether-test-server exited before printing its ports");
        using JsonDocument doc = JsonDocument.Parse(line);
        WsPort = doc.RootElement.GetProperty("ws").GetInt32();
        WssPort = doc.RootElement.GetProperty("wss").GetInt32();
        CaFile = doc.RootElement.GetProperty("ca_file").GetString()!;
    }

    public int WsPort { get; }
    public int WssPort { get; }
    public string CaFile { get; }

    public string WsUrl(string pathAndQuery) => $"ws://127.0.0.1:{WsPort}{pathAndQuery}";
    public string WssUrl(string pathAndQuery) => $"wss://localhost:{WssPort}{pathAndQuery}";

    public void Dispose()
    {
        try
        {
            _process.StandardInput.Close();  // the server exits at stdin EOF
            if (!_process.WaitForExit(2000)) _process.Kill();
        }
        catch (InvalidOperationException)
        {
        }
        _process.Dispose();
    }
}
