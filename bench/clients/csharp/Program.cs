// tether-csharp-bench: the benchmark client of issue 8 through tether's C# binding
// ("tether-csharp" in bench/run.py).
//
//   tether-csharp-bench --url ws://127.0.0.1:PORT --mode rtt|pipeline|bulk|conns --count N
//                       --size BYTES [--window W] [--conns C]
//
// It prints one JSON line. The rules (warm-up, window, clock start, size checks, nearest-rank
// percentiles, memory from /proc) are those of bench/clients/bench_common.c, written again in C#
// so that the numbers compare with the C ABI client's. It uses the binding as its README does:
// a TetherClient, the MessageReceived event (without buffering for ReadAllAsync), and the next
// message sent from that handler.
using System.Diagnostics;
using System.Globalization;
using System.Runtime.InteropServices;
using Tether;
using TetherBench;

BenchArgs args0 = BenchArgs.Parse(args);
return args0.Mode == "conns" ? await Conns.RunAsync(args0) : await Flow.RunAsync(args0);

namespace TetherBench
{
    internal sealed record BenchArgs(string Url, string Mode, int Count, int Size, int Window, int Conns, bool Tls)
    {
        internal const string ClientName = "tether-csharp";

        internal static BenchArgs Parse(string[] argv)
        {
            string? url = null, mode = null;
            int count = -1, size = 0, window = 0, conns = 1000;
            for (int i = 0; i < argv.Length; i += 2)
            {
                if (i + 1 >= argv.Length) Usage("every option takes a value");
                string flag = argv[i], value = argv[i + 1];
                switch (flag)
                {
                    case "--url": url = value; break;
                    case "--mode": mode = value; break;
                    case "--count": count = Number(flag, value, 1); break;
                    case "--size": size = Number(flag, value, 0); break;
                    case "--window": window = Number(flag, value, 1); break;
                    case "--conns": conns = Number(flag, value, 1); break;
                    default: Usage("unknown option"); break;
                }
            }
            if (url is null || mode is null || count < 0) Usage("--url, --mode and --count are required");
            if (mode is not ("rtt" or "pipeline" or "bulk" or "conns")) Usage("--mode must be rtt, pipeline, bulk or conns");
            bool tls = url!.StartsWith("wss://", StringComparison.Ordinal);
            if (!tls && !url.StartsWith("ws://", StringComparison.Ordinal)) Usage("--url must start with ws:// or wss://");
            if (mode == "rtt") window = 1;
            else if (window == 0) window = mode == "bulk" ? 4 : 64;
            Limits.RaiseOpenFiles();
            return new BenchArgs(url, mode!, count, size, window, conns, tls);
        }

        private static int Number(string flag, string text, int min)
        {
            if (!int.TryParse(text, NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture, out int value) || value < min)
                Usage($"{flag} needs a whole number >= {min}");
            return value;
        }

        private static void Usage(string problem)
        {
            Console.Error.WriteLine($"{ClientName}: {problem}\nusage: {ClientName} --url ws://127.0.0.1:PORT " +
                "--mode rtt|pipeline|bulk|conns --count N --size BYTES [--window W] [--conns C]");
            Environment.Exit(2);
        }

        internal static void Fail(string what, object detail)
        {
            Console.Error.WriteLine($"{ClientName}: {what}: {detail}");
            Environment.Exit(1);
        }

        /// <summary>No reconnects (a failure must show), no JSON check on send, no certificate check
        /// (the server's is self-signed; every client skips it).</summary>
        internal TetherOptions Options() => new(Url)
        {
            MessageFormat = MessageFormat.Text,
            AutoReconnect = false,
            MaxMessageSize = Math.Max(Size + 1024L, 16L * 1024 * 1024),
            InsecureSkipTlsVerify = Tls ? true : null,
        };

        /// <summary>Printable ASCII, so that it may go as text or binary.</summary>
        internal byte[] Payload()
        {
            var data = new byte[Size];
            for (int i = 0; i < data.Length; i++) data[i] = (byte)('a' + i % 26);
            return data;
        }
    }

    internal static class Clock
    {
        internal static long Now() => Stopwatch.GetTimestamp();

        internal static long Nanoseconds(long from, long to) => (long)((to - from) * (1e9 / Stopwatch.Frequency));

        internal static double Seconds(long from, long to) => (to - from) / (double)Stopwatch.Frequency;
    }

    internal static partial class Limits
    {
        [StructLayout(LayoutKind.Sequential)]
        private struct Rlimit
        {
            public ulong Current;
            public ulong Max;
        }

        private const int RlimitNofile = 7; // Linux

        [LibraryImport("libc", EntryPoint = "getrlimit")]
        private static partial int GetRlimit(int resource, out Rlimit limit);

        [LibraryImport("libc", EntryPoint = "setrlimit")]
        private static partial int SetRlimit(int resource, in Rlimit limit);

        /// <summary>The conns mode holds thousands of sockets: soft limit up to the hard one.</summary>
        internal static void RaiseOpenFiles()
        {
            if (GetRlimit(RlimitNofile, out Rlimit limit) == 0 && limit.Current < limit.Max)
            {
                limit.Current = limit.Max;
                SetRlimit(RlimitNofile, in limit);
            }
        }

        internal static long StatusKb(string field)
        {
            foreach (string line in File.ReadLines("/proc/self/status"))
            {
                if (line.StartsWith(field + ":", StringComparison.Ordinal))
                    return long.Parse(line[(field.Length + 1)..].Trim().Split(' ')[0], CultureInfo.InvariantCulture);
            }
            return -1;
        }
    }

    internal static class Report
    {
        /// <summary>Nearest-rank percentile in microseconds of sorted nanosecond samples.</summary>
        private static double PercentileUs(long[] sorted, double p)
        {
            if (sorted.Length == 0) return 0;
            int rank = Math.Clamp((int)(p / 100 * sorted.Length + 0.999999), 1, sorted.Length);
            return sorted[rank - 1] / 1000.0;
        }

        /// <summary>The one line of a run; perConnKb null prints null.</summary>
        internal static string Line(BenchArgs args, int count, double seconds, long[] samples, double? perConnKb)
        {
            Array.Sort(samples);
            double PerSecond(double amount) => seconds > 0 ? amount / seconds : 0;
            string perConn = perConnKb is double kb ? kb.ToString("F2", CultureInfo.InvariantCulture) : "null";
            return string.Create(CultureInfo.InvariantCulture,
                $"{{\"client\":\"{BenchArgs.ClientName}\",\"mode\":\"{args.Mode}\",\"count\":{count},\"size\":{args.Size}," +
                $"\"seconds\":{seconds:F6},\"msgs_per_s\":{PerSecond(count):F1},\"mb_per_s\":{PerSecond((double)count * args.Size) / 1e6:F3}," +
                $"\"p50_us\":{PercentileUs(samples, 50):F1},\"p99_us\":{PercentileUs(samples, 99):F1}," +
                $"\"rss_kb\":{Limits.StatusKb("VmHWM")},\"rss_per_conn_kb\":{perConn}}}");
        }
    }

    /// <summary>rtt, pipeline, bulk: one connection (bench_flow of bench_common.c). The client's
    /// handlers run one at a time on its dispatcher, so the counters need no lock.</summary>
    internal sealed class Flow
    {
        private readonly int _warmup, _total, _window, _size;
        private readonly long[] _sendAt;   // ring of `window` send times
        private readonly long[] _rttNs;    // one per measured message
        private int _sent, _received;
        private long _start, _end;
        private bool _failed;              // an echo of the wrong size came back

        private Flow(BenchArgs args)
        {
            _warmup = Math.Min(args.Count / 10, 1000);
            _total = _warmup + args.Count;
            _window = args.Window;
            _size = args.Size;
            _sendAt = new long[args.Window];
            _rttNs = new long[args.Count];
        }

        private bool Done => _received >= _total;

        private void Begin()
        {
            if (_warmup == 0) _start = Clock.Now();
        }

        private bool MaySend()
        {
            if (_sent >= _total || _sent - _received >= _window) return false;
            // The measured part starts with nothing in flight.
            return _sent != _warmup || _received == _warmup;
        }

        /// <summary>Called before the send: a send may write to the socket before it returns.</summary>
        private void Sending() => _sendAt[_sent++ % _window] = Clock.Now();

        private void Receive(int size)
        {
            long now = Clock.Now();
            int index = _received++;
            if (size != _size) _failed = true;
            if (index >= _warmup) _rttNs[index - _warmup] = Clock.Nanoseconds(_sendAt[index % _window], now);
            if (_received == _warmup) _start = now;
            if (_received == _total) _end = now;
        }

        internal static async Task<int> RunAsync(BenchArgs args)
        {
            var flow = new Flow(args);
            ReadOnlyMemory<byte> payload = args.Payload();
            MessageType type = args.Mode == "bulk" ? MessageType.Binary : MessageType.Text;
            var finished = new TaskCompletionSource<bool>(TaskCreationOptions.RunContinuationsAsynchronously);
            await using var client = new TetherClient(args.Options(), bufferMessages: false);

            void SendWhileAllowed()
            {
                while (flow.MaySend())
                {
                    flow.Sending();
                    // The task completes once the message is written; the echo says as much, so
                    // only a refusal (a task already faulted) is looked at.
                    Task sent = client.SendAsync(payload, type);
                    if (sent.IsFaulted) BenchArgs.Fail("send", sent.Exception!.InnerException!);
                }
            }

            client.Opened += (_, _) =>
            {
                flow.Begin();
                SendWhileAllowed();
            };
            client.MessageReceived += (_, e) =>
            {
                if (flow.Done) return;
                flow.Receive(e.Message.Data.Length);
                if (flow.Done) finished.TrySetResult(true);
                else SendWhileAllowed();
            };
            client.Error += (_, e) => Console.Error.WriteLine($"{BenchArgs.ClientName}: {e.Message}");
            client.Closed += (_, _) => finished.TrySetResult(false);

            try
            {
                await client.ConnectAsync();
            }
            catch (TetherException e)
            {
                BenchArgs.Fail("connect", e.Message);
            }
            bool done = await finished.Task;
            int status = 0;
            string line = Report.Line(args, args.Count, Clock.Seconds(flow._start, flow._end), flow._rttNs, null);
            if (!done)
            {
                Console.Error.WriteLine($"{BenchArgs.ClientName}: the connection closed before the run ended");
                status = 1;
            }
            else if (flow._failed)
            {
                Console.Error.WriteLine($"{BenchArgs.ClientName}: an echo of the wrong size came back\n{line}");
                status = 1;
            }
            else
            {
                Console.Out.WriteLine(line);
                Console.Out.Flush();
            }
            // Wait for the closing handshake, as tether-c does.
            await client.CloseAsync(1000);
            return status;
        }
    }

    /// <summary>conns: many connections, one echo each, then held (bench_conns of bench_common.c).
    /// Each client has its own dispatcher, so the shared counters are under a lock.</summary>
    internal static class Conns
    {
        private static readonly TimeSpan Hold = TimeSpan.FromMilliseconds(200); // BENCH_HOLD_MS

        internal static async Task<int> RunAsync(BenchArgs args)
        {
            ReadOnlyMemory<byte> payload = args.Payload();
            var openNs = new long[args.Conns];
            var guard = new Lock();
            int echoed = 0;
            long end = 0;
            var settled = new TaskCompletionSource<bool>(TaskCreationOptions.RunContinuationsAsynchronously);
            var clients = new TetherClient[args.Conns];
            long rssBefore = Limits.StatusKb("VmRSS");
            long start = Clock.Now();
            for (int i = 0; i < args.Conns; i++)
            {
                int index = i;
                long started = Clock.Now();
                bool gotEcho = false;
                var client = new TetherClient(args.Options(), bufferMessages: false);
                client.MessageReceived += (_, _) =>
                {
                    if (gotEcho) return;
                    gotEcho = true;
                    long now = Clock.Now();
                    lock (guard)
                    {
                        openNs[index] = Clock.Nanoseconds(started, now);
                        if (++echoed < args.Conns) return;
                        end = now;
                    }
                    settled.TrySetResult(true);
                };
                client.Error += (_, e) => Console.Error.WriteLine($"{BenchArgs.ClientName}: connection {index}: {e.Message}");
                client.Closed += (_, _) =>
                {
                    if (!gotEcho) settled.TrySetResult(false);
                };
                clients[i] = client;
                // Connects in the background; the message is queued until the client is ready,
                // then sent: one echo per connection.
                _ = client.ConnectAsync().ContinueWith(t => _ = t.Exception, TaskScheduler.Default);
                Task sent = client.SendAsync(payload, MessageType.Text);
                if (sent.IsFaulted) BenchArgs.Fail("send", sent.Exception!.InnerException!);
            }

            int status = 0;
            if (!await settled.Task)
            {
                Console.Error.WriteLine($"{BenchArgs.ClientName}: a connection closed before its echo");
                status = 1;
            }
            else
            {
                long[] samples;
                double seconds;
                lock (guard)
                {
                    samples = (long[])openNs.Clone();
                    seconds = Clock.Seconds(start, end);
                }
                await Task.Delay(Hold);
                double perConn = Math.Max(0, (Limits.StatusKb("VmRSS") - rssBefore) / (double)args.Conns);
                Console.Out.WriteLine(Report.Line(args, args.Conns, seconds, samples, perConn));
                Console.Out.Flush();
            }
            await Task.WhenAll(clients.Select(c => c.CloseAsync(1000)));
            foreach (TetherClient client in clients) await client.DisposeAsync();
            return status;
        }
    }
}
