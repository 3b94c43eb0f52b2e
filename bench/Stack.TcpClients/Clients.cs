using System.Diagnostics;
using System.Globalization;
using System.Net;
using System.Net.Sockets;

namespace Stack.TcpClients;

/// <summary>The timed clients; each uses blocking sockets on one thread, as a simple C client would.</summary>
internal static class Clients
{
    public static void Bulk(string host, int port, TimeSpan duration)
    {
        using var s = Connect(host, port);
        s.SendBufferSize = 4 << 20;
        var chunk = new byte[256 << 10];
        Random.Shared.NextBytes(chunk);
        long sent = 0;
        var clock = Stopwatch.StartNew();
        while (clock.Elapsed < duration) sent += s.Send(chunk);
        double seconds = clock.Elapsed.TotalSeconds;
        Print("bulk_mbit_per_s", sent * 8 / seconds / 1e6, "F0");
    }

    /// <summary>
    /// <paramref name="flows"/> connections into discard at once, each from its own thread, all connected before the
    /// clock starts: their summed rate (bulk2_mbit_per_s), for a multi-queue stack's scaling (bench/tap-bench.sh).
    /// </summary>
    public static void BulkParallel(string host, int port, TimeSpan duration, int flows)
    {
        var sockets = Enumerable.Range(0, flows).Select(_ => Connect(host, port)).ToArray();
        var sent = new long[flows];
        var clock = Stopwatch.StartNew();
        var threads = sockets.Select((s, i) => new Thread(() =>
        {
            s.SendBufferSize = 4 << 20;
            var chunk = new byte[256 << 10];
            Random.Shared.NextBytes(chunk);
            while (clock.Elapsed < duration) sent[i] += s.Send(chunk);
        })).ToArray();
        foreach (var t in threads) t.Start();
        foreach (var t in threads) t.Join();
        double seconds = clock.Elapsed.TotalSeconds;
        foreach (var s in sockets) s.Dispose();
        Print("bulk2_mbit_per_s", sent.Sum() * 8 / seconds / 1e6, "F0");
    }

    /// <summary>Reads from a server that streams (chargen) for <paramref name="duration"/>: the server's send rate.</summary>
    public static void Recv(string host, int port, TimeSpan duration)
    {
        using var s = Connect(host, port);
        s.ReceiveBufferSize = 4 << 20;
        var buffer = new byte[1 << 20];
        long got = 0;
        var clock = Stopwatch.StartNew();
        while (clock.Elapsed < duration)
        {
            int n = s.Receive(buffer);
            if (n == 0) throw new InvalidOperationException($"recv: end of file after {got} bytes");
            got += n;
        }
        double seconds = clock.Elapsed.TotalSeconds;
        Print("send_mbit_per_s", got * 8 / seconds / 1e6, "F0");
    }

    public static void Rtt(string host, int port, int count)
    {
        using var s = Connect(host, port);
        s.NoDelay = true;
        var samples = new double[count];
        var one = "x"u8.ToArray();
        var back = new byte[1];
        for (int i = 0; i < count; i++)
        {
            long start = Stopwatch.GetTimestamp();
            s.Send(one);
            if (s.Receive(back) != 1 || back[0] != one[0]) throw new InvalidOperationException("rtt: the echo returned something else");
            samples[i] = Stopwatch.GetElapsedTime(start).TotalMicroseconds;
        }
        Array.Sort(samples);
        Print("rtt_p50_us", samples[count / 2], "F1");
        Print("rtt_p99_us", samples[(int)(count * 0.99)], "F1");
    }

    public static void Cps(string host, int port, TimeSpan duration)
    {
        var endPoint = new IPEndPoint(IPAddress.Parse(host), port);
        var buffer = new byte[256];
        long n = 0;
        var clock = Stopwatch.StartNew();
        while (clock.Elapsed < duration)
        {
            using (var s = new Socket(endPoint.AddressFamily, SocketType.Stream, ProtocolType.Tcp))
            {
                s.Connect(endPoint);
                while (s.Receive(buffer) > 0)
                {
                }
            }
            n++;
        }
        Print("daytime_conn_per_s", n / clock.Elapsed.TotalSeconds, "F0");
    }

    /// <summary>
    /// Sends <paramref name="bytes"/> into a discard server, half-closes and waits for the server's end of file, which
    /// it sends once it has read everything: seconds from the connection's establishment to that.
    /// </summary>
    public static void Send(string host, int port, long bytes)
    {
        using var s = Connect(host, port, Patient);
        var chunk = new byte[256 << 10];
        Random.Shared.NextBytes(chunk);
        var clock = Stopwatch.StartNew();
        for (long left = bytes; left > 0;) left -= s.Send(chunk, (int)Math.Min(left, chunk.Length), SocketFlags.None);
        s.Shutdown(SocketShutdown.Send);
        var sink = new byte[4096];
        while (s.Receive(sink) > 0)
        {
        }
        double seconds = clock.Elapsed.TotalSeconds;
        Console.WriteLine($"bytes={bytes}");
        Print("seconds", seconds, "F3");
    }

    /// <summary>
    /// Reads exactly <paramref name="bytes"/> from a server that streams (chargen), then closes: seconds from the
    /// connection's establishment to the last byte.
    /// </summary>
    public static void Read(string host, int port, long bytes)
    {
        using var s = Connect(host, port, Patient);
        var buffer = new byte[1 << 20];
        long got = 0;
        var clock = Stopwatch.StartNew();
        while (got < bytes)
        {
            int n = s.Receive(buffer, (int)Math.Min(buffer.Length, bytes - got), SocketFlags.None);
            if (n == 0) throw new InvalidOperationException($"read: end of file after {got} of {bytes} bytes");
            got += n;
        }
        double seconds = clock.Elapsed.TotalSeconds;
        s.Shutdown(SocketShutdown.Send);
        Console.WriteLine($"bytes={got}");
        Print("seconds", seconds, "F3");
    }

    /// <summary>
    /// No socket timeouts for the timed runs on a lossy link: a stall is the caller's to bound (loss-bench.sh runs
    /// each under `timeout`, and reports it as a timeout rather than as a failure).
    /// </summary>
    private static readonly TimeSpan Patient = Timeout.InfiniteTimeSpan;

    private static Socket Connect(string host, int port) => Connect(host, port, TimeSpan.FromSeconds(10));

    private static Socket Connect(string host, int port, TimeSpan timeout)
    {
        var endPoint = new IPEndPoint(IPAddress.Parse(host), port);
        int ms = timeout == Timeout.InfiniteTimeSpan ? 0 : (int)timeout.TotalMilliseconds;
        var s = new Socket(endPoint.AddressFamily, SocketType.Stream, ProtocolType.Tcp) { ReceiveTimeout = ms, SendTimeout = ms };
        s.Connect(endPoint);
        return s;
    }

    private static void Print(string key, double value, string format) =>
        Console.WriteLine($"{key}={value.ToString(format, CultureInfo.InvariantCulture)}");
}
