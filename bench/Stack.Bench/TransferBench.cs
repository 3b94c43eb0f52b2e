using System.Diagnostics;
using System.Globalization;
using System.Net.Sockets;
using Stack.Sockets.Simulation;
using Stack.IP;
using Stack.IP.Routing;
using Stack.Link.Devices.Impairment;
using Stack.Link.Wire;
using Stack.Tcp;
using Stack.Tcp.Congestion;

namespace Stack.Bench;

/// <summary>
/// The in-memory macro benchmark: two stacks on a <see cref="VirtualNetwork"/> (one thread, virtual clock, no
/// devices) moving N MiB over one TCP connection. It measures the protocol core: wall-clock throughput and the
/// bytes allocated per segment once the connection is in steady state. Prints key=value lines.
/// </summary>
public static class TransferBench
{
    public static int Run(string[] args)
    {
        int mib = 1024;
        bool v6 = false;
        var cc = TcpConfig.Default.CongestionControl;
        ImpairmentSpec? impair = null;
        for (int i = 0; i < args.Length; i++)
        {
            if (args[i] == "--mib" && i + 1 < args.Length) mib = int.Parse(args[++i], CultureInfo.InvariantCulture);
            else if (args[i] == "--ipv6") v6 = true;
            else if (args[i] == "--cc" && i + 1 < args.Length && Enum.TryParse(args[i + 1], ignoreCase: true, out CongestionControlKind kind))
            {
                cc = kind;
                i++;
            }
            else if (args[i] == "--impair" && i + 1 < args.Length)
            {
                try
                {
                    impair = ImpairmentSpec.Parse(args[++i]);
                }
                catch (FormatException e)
                {
                    Console.Error.WriteLine($"transfer: --impair: {e.Message}");
                    return 2;
                }
            }
            else
            {
                Console.Error.WriteLine($"transfer: unknown argument '{args[i]}' (--mib N, --ipv6, --cc newreno|cubic|bbr, --impair SPEC)");
                return 2;
            }
        }

        var config = TcpConfig.Default with { SendBufferSize = 1 << 20, ReceiveBufferSize = 1 << 20, CongestionControl = cc };
        var net = new VirtualNetwork(TimeSpan.FromMicroseconds(50));
        var a = net.AddHost(Options(1), seed: 1, config);
        var b = net.AddHost(Options(2), seed: 2, config);
        var addressB = IpAddress.Parse(v6 ? "2001:db8::2" : "192.0.2.2");

        var listener = b.Tcp.Listen(addressB, 5001, 1);
        var client = a.Tcp.Connect(null, 0, addressB, 5001, null, net.Now);
        TcpConnection? server = null;
        if (!net.RunUntil(() => listener.TryAccept(out server), TimeSpan.FromSeconds(5)) || server is null)
        {
            Console.Error.WriteLine("transfer: the connection did not open");
            return 1;
        }
        if (impair is not null) net.Impair(impair);
        var virtualStart = net.Now;

        long total = (long)mib << 20;
        var chunk = new byte[64 * 1024];
        new Random(7).NextBytes(chunk);
        var sink = new byte[64 * 1024];
        long sent = 0, received = 0;

        void Pump()
        {
            while (sent < total)
            {
                int n = client.Send(chunk.AsSpan(0, (int)Math.Min(chunk.Length, total - sent)), net.Now);
                if (n == 0) break;
                sent += n;
            }
            int r;
            while ((r = server.Receive(sink, net.Now)) > 0) received += r;
        }

        // Warm up a little (the first MiBs open the window), then measure.
        long warm = Math.Min(total / 8, 64L << 20);
        while (received < warm && Pump2()) { }
        long segmentsBefore = a.Tcp.Statistics.SegmentsSent + b.Tcp.Statistics.SegmentsSent;
        long allocatedBefore = GC.GetAllocatedBytesForCurrentThread();
        long receivedBefore = received;
        var clock = Stopwatch.StartNew();
        while (received < total && Pump2()) { }
        clock.Stop();
        long allocated = GC.GetAllocatedBytesForCurrentThread() - allocatedBefore;
        long segments = a.Tcp.Statistics.SegmentsSent + b.Tcp.Statistics.SegmentsSent - segmentsBefore;
        long bytes = received - receivedBefore;
        if (received != total)
        {
            Console.Error.WriteLine($"transfer: stalled at {received} of {total} bytes");
            return 1;
        }

        double seconds = clock.Elapsed.TotalSeconds;
        var inv = CultureInfo.InvariantCulture;
        Console.WriteLine(string.Create(inv, $"family={(v6 ? "ipv6" : "ipv4")}"));
        Console.WriteLine(string.Create(inv, $"bytes={bytes}"));
        Console.WriteLine(string.Create(inv, $"wall_seconds={seconds:F3}"));
        Console.WriteLine(string.Create(inv, $"core_gbit_per_s={bytes * 8 / seconds / 1e9:F2}"));
        Console.WriteLine(string.Create(inv, $"segments={segments}"));
        Console.WriteLine(string.Create(inv, $"bytes_allocated_per_segment={(double)allocated / segments:F1}"));
        Console.WriteLine(string.Create(inv, $"retransmissions={a.Tcp.Statistics.Retransmissions}"));
        Console.WriteLine(string.Create(inv, $"fast_retransmits={a.Tcp.Statistics.FastRetransmits}"));
        Console.WriteLine(string.Create(inv, $"retransmission_timeouts={a.Tcp.Statistics.RetransmissionTimeouts}"));
        Console.WriteLine(string.Create(inv, $"loss_probes={a.Tcp.Statistics.LossProbes}"));
        Console.WriteLine(string.Create(inv, $"lost_retransmissions={a.Tcp.Statistics.LostRetransmissions}"));
        Console.WriteLine(string.Create(inv, $"dsacks_received={a.Tcp.Statistics.DsacksReceived}"));
        Console.WriteLine(string.Create(inv, $"undos={a.Tcp.Statistics.DsackUndos + a.Tcp.Statistics.FullUndos + a.Tcp.Statistics.PartialUndos + a.Tcp.Statistics.LossUndos}"));
        Console.WriteLine(string.Create(inv, $"congestion_control={cc}"));
        double virtualSeconds = (net.Now - virtualStart).TotalSeconds;
        Console.WriteLine(string.Create(inv, $"virtual_seconds={virtualSeconds:F3}"));
        Console.WriteLine(string.Create(inv, $"virtual_gbit_per_s={total * 8 / virtualSeconds / 1e9:F3}"));
        client.Shutdown(SocketShutdown.Both, net.Now);
        return 0;

        bool Pump2()
        {
            Pump();
            return net.Step();
        }
    }

    private static IpHostOptions Options(byte last) => new()
    {
        Mac = new MacAddress(0x0200_0000_0000UL | last),
        Addresses =
        [
            InterfaceAddress.Parse(string.Create(CultureInfo.InvariantCulture, $"192.0.2.{last}/24")),
            InterfaceAddress.Parse(string.Create(CultureInfo.InvariantCulture, $"2001:db8::{last}/64")),
        ],
    };
}
