using System.Globalization;

namespace Stack.TcpClients;

/// <summary>
/// The kernel-side clients and servers of bench/tap-bench.sh and bench/loss-bench.sh, in .NET so that the client
/// is not what limits the figures (the python ones held serial daytime near 3,000 connections/s even kernel to
/// kernel). Each mode prints key=value lines (bulk, rtt and cps the same keys as bench/tap/tcp_clients.py).
/// </summary>
public static class Program
{
    private const string Usage = """
        usage: tcp-clients MODE ARGS
          bulk HOST PORT SECONDS   send as fast as possible into a discard server; Mbit/s
          bulk2 HOST PORT SECONDS FLOWS  FLOWS connections into discard at once, one thread each; their summed Mbit/s
          recv HOST PORT SECONDS   read from a streaming server (chargen) for SECONDS; its send rate in Mbit/s
          rtt HOST PORT COUNT      1-byte echo round trips with TCP_NODELAY; p50/p99 in microseconds
          cps HOST PORT SECONDS    serial daytime connections (connect, read to EOF, close); connections/s
          send HOST PORT BYTES     send BYTES into a discard server, half-close, wait for its end of file; seconds
          read HOST PORT BYTES     read exactly BYTES from a streaming server (chargen), then close; seconds
          serve ADDR               discard (9), echo (7), daytime (13) and chargen (19) servers, for the kernel-to-kernel baseline
        """;

    public static int Main(string[] args)
    {
        try
        {
            switch (args)
            {
                case ["bulk", var host, var port, var seconds]:
                    Clients.Bulk(host, Port(port), Seconds(seconds));
                    return 0;
                case ["bulk2", var host, var port, var seconds, var flows]:
                    Clients.BulkParallel(host, Port(port), Seconds(seconds), int.Parse(flows, CultureInfo.InvariantCulture));
                    return 0;
                case ["recv", var host, var port, var seconds]:
                    Clients.Recv(host, Port(port), Seconds(seconds));
                    return 0;
                case ["rtt", var host, var port, var count]:
                    Clients.Rtt(host, Port(port), int.Parse(count, CultureInfo.InvariantCulture));
                    return 0;
                case ["cps", var host, var port, var seconds]:
                    Clients.Cps(host, Port(port), Seconds(seconds));
                    return 0;
                case ["send", var host, var port, var bytes]:
                    Clients.Send(host, Port(port), Bytes(bytes));
                    return 0;
                case ["read", var host, var port, var bytes]:
                    Clients.Read(host, Port(port), Bytes(bytes));
                    return 0;
                case ["serve", var address]:
                    Servers.Run(address);
                    return 0;
                default:
                    Console.Error.WriteLine(Usage);
                    return 2;
            }
        }
        catch (FormatException e)
        {
            Console.Error.WriteLine($"tcp-clients: {e.Message}");
            return 2;
        }
    }

    private static int Port(string text) => int.Parse(text, CultureInfo.InvariantCulture);

    private static long Bytes(string text) =>
        long.Parse(text, CultureInfo.InvariantCulture) is var n and > 0 ? n : throw new FormatException($"BYTES must be positive, not {text}");

    private static TimeSpan Seconds(string text) => TimeSpan.FromSeconds(double.Parse(text, CultureInfo.InvariantCulture));
}
