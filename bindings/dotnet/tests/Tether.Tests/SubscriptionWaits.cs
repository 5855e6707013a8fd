namespace Tether.Tests;

/// <summary>Waits shared by the connection manager tests, each bounded by 10 s.</summary>
internal static class SubscriptionWaits
{
    private static readonly TimeSpan Short = TimeSpan.FromSeconds(10);

    /// <summary>The next <paramref name="count"/> messages of a subscription, or fewer when they
    /// do not come within the bound.</summary>
    public static async Task<List<ChannelMessage>> Read(Subscription subscription, int count)
    {
        var messages = new List<ChannelMessage>();
        using var cts = new CancellationTokenSource(Short);
        await foreach (ChannelMessage m in subscription.ReadAllAsync(cts.Token))
        {
            messages.Add(m);
            if (messages.Count == count) break;
        }
        return messages;
    }

    /// <summary>Polls <paramref name="condition"/> until it holds; a TimeoutException naming
    /// <paramref name="what"/> after the bound.</summary>
    public static async Task WaitUntil(Func<bool> condition, string what)
    {
        var deadline = DateTime.UtcNow + Short;
        while (!condition())
        {
            if (DateTime.UtcNow > deadline) throw new TimeoutException($"timed out waiting for {what}");
            await Task.Delay(10);
        }
    }
}
