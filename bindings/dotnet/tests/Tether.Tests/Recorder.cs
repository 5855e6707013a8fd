using System.Text;

namespace Tether.Tests;

/// <summary>Records every event of a client, in order, and waits for conditions on them.</summary>
public sealed class Recorder
{
    private readonly List<(string Kind, EventArgs Args)> _events = [];
    private readonly SemaphoreSlim _changed = new(0);

    public Recorder(TetherClient client)
    {
        client.Opened += (_, e) => Add("open", e);
        client.MessageReceived += (_, e) => Add("message", e);
        client.Closed += (_, e) => Add("close", e);
        client.Error += (_, e) => Add("error", e);
        client.StateChanged += (_, e) => Add("state", e);
        client.Reconnecting += (_, e) => Add("reconnect", e);
    }

    private void Add(string kind, EventArgs args)
    {
        lock (_events) _events.Add((kind, args));
        _changed.Release();
    }

    public List<T> Of<T>() where T : EventArgs
    {
        lock (_events) return _events.Select(e => e.Args).OfType<T>().ToList();
    }

    public List<string> Texts() => Of<MessageReceivedEventArgs>().Select(m => m.Message.Text).ToList();

    public List<ConnectionState> States() => Of<StateChangedEventArgs>().Select(s => s.State).ToList();

    /// <summary>Everything the application could see, to check that secrets never show up.</summary>
    public string AllText()
    {
        var all = new StringBuilder();
        lock (_events)
            foreach (var (kind, args) in _events)
                all.Append(kind).Append(' ').Append(args switch
                {
                    TetherErrorEventArgs e => e.Message,
                    ClosedEventArgs c => c.Reason,
                    OpenedEventArgs o => o.Subprotocol,
                    MessageReceivedEventArgs m => m.Message.Text,
                    _ => "",
                }).Append('\n');
        return all.ToString();
    }

    public async Task WaitFor(Func<Recorder, bool> condition, int timeoutMs = 5000, string what = "condition")
    {
        var deadline = DateTime.UtcNow.AddMilliseconds(timeoutMs);
        while (!condition(this))
        {
            var left = deadline - DateTime.UtcNow;
            if (left <= TimeSpan.Zero)
                throw new TimeoutException($"timed out waiting for {what}; events:\n{AllText()}");
            await _changed.WaitAsync(left < TimeSpan.FromMilliseconds(100) ? left : TimeSpan.FromMilliseconds(100));
        }
    }

    public Task WaitFor<T>(int count = 1, int timeoutMs = 5000) where T : EventArgs =>
        WaitFor(r => r.Of<T>().Count >= count, timeoutMs, $"{count} x {typeof(T).Name}");
}
