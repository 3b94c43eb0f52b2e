using System.Diagnostics;
using System.Globalization;
using System.Net;
using System.Net.Sockets;

namespace Stack.TcpClients;

/// <summary>The three timed clients; each uses blocking sockets on one thread, as a simple C client would.</summary>
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

    private static Socket Connect(string host, int port)
    {
        var endPoint = new IPEndPoint(IPAddress.Parse(host), port);
        var s = new Socket(endPoint.AddressFamily, SocketType.Stream, ProtocolType.Tcp) { ReceiveTimeout = 10_000, SendTimeout = 10_000 };
        s.Connect(endPoint);
        return s;
    }

    private static void Print(string key, double value, string format) =>
        Console.WriteLine($"{key}={value.ToString(format, CultureInfo.InvariantCulture)}");
}
