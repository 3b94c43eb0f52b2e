using Microsoft.Extensions.Logging;
using System.Net;
using System.Net.Sockets;
using System.Text;
using Stack.Apps.Hosting;
using Stack.Apps.Services;
using Stack.Apps.Sockets;
using Stack.IP;
using Stack.IP.Routing;
using Stack.Link.Devices.Memory;
using Stack.Link.Wire;

namespace Stack.Apps.Commands;

/// <summary>
/// `stack demo`: the main job without root or TAP: two stack instances on an in-memory link, talking to each
/// other (ping, then daytime and echo over UDP against b's services), with a transcript on stdout.
/// </summary>
public static class DemoCommand
{
    public const string Usage = "stack demo [--count N] [--log-level LEVEL]";

    public static int Run(ArgReader args, TextWriter stdout)
    {
        int count = args.OptionalInt("--count", 1, 100) ?? 3;
        var level = StackArgs.ParseLevel(args.Optional("--log-level")) ?? LogLevel.Warning;
        args.EnsureConsumed();
        using var logs = StackArgs.CreateLogs(level);

        var (linkA, linkB) = MemoryLink.CreatePair();
        using var a = StackInstance.Start("a", linkA, Options(0x02, "192.0.2.2/24", "2001:db8::2/64"), logs: logs);
        using var b = StackInstance.Start("b", linkB, Options(0x03, "192.0.2.3/24", "2001:db8::3/64"), logs: logs);
        stdout.WriteLine($"stack a: {a.Host.Mac}  {string.Join("  ", a.Host.Addresses)}");
        stdout.WriteLine($"stack b: {b.Host.Mac}  {string.Join("  ", b.Host.Addresses)}");

        int failures = 0;
        using var pinger = new Pinger(a, identifier: 0x5354);
        foreach (var target in new[] { IpAddress.Parse("192.0.2.3"), IpAddress.Parse("2001:db8::3") })
        {
            stdout.WriteLine($"a: ping {target}");
            for (ushort seq = 1; seq <= count; seq++)
            {
                var rtt = pinger.PingAsync(target, seq, 56, TimeSpan.FromSeconds(2)).GetAwaiter().GetResult();
                if (rtt is { } t) stdout.WriteLine($"  64 bytes from {target}: icmp_seq={seq} time={t.TotalMilliseconds:F3} ms");
                else
                {
                    stdout.WriteLine($"  no reply from {target}: icmp_seq={seq}");
                    failures++;
                }
            }
        }
        using (var services = ServiceHost.Start(b, ServiceHost.TryParseList(ServiceHost.DefaultList, out var all, out _) ? all : []))
        {
            foreach (var target in new[] { IPAddress.Parse("192.0.2.3"), IPAddress.Parse("2001:db8::3") })
                failures += UdpExchange(a, target, stdout);
        }
        stdout.WriteLine(failures == 0 ? "demo: all replies received" : $"demo: {failures} requests unanswered");
        return failures == 0 ? 0 : 1;
    }

    /// <summary>a asks b's daytime service for the date, then has b's echo service return a line.</summary>
    private static int UdpExchange(StackInstance from, IPAddress target, TextWriter stdout)
    {
        using var socket = StackSocket.Create(from, target.AddressFamily, SocketType.Dgram);
        socket.ReceiveTimeout = 2000;
        var buffer = new byte[2048];
        var host = target.AddressFamily == AddressFamily.InterNetworkV6 ? $"[{target}]" : target.ToString();
        try
        {
            stdout.WriteLine($"a: daytime {host}:13 over UDP");
            socket.SendTo([], new IPEndPoint(target, DaytimeService.WellKnownPort));
            int n = socket.ReceiveFrom(buffer, out var from13);
            stdout.WriteLine($"  {from13}: {Encoding.ASCII.GetString(buffer, 0, n).TrimEnd('\r', '\n')}");

            var line = $"hello over UDP from port {socket.LocalEndPoint?.Port}";
            stdout.WriteLine($"a: echo {host}:7 over UDP: {line}");
            socket.SendTo(Encoding.UTF8.GetBytes(line), new IPEndPoint(target, EchoService.WellKnownPort));
            n = socket.ReceiveFrom(buffer, out var from7);
            stdout.WriteLine($"  {from7}: {Encoding.UTF8.GetString(buffer, 0, n)}");
            return 0;
        }
        catch (StackSocketException e)
        {
            stdout.WriteLine($"  failed: {e.Message}");
            return 1;
        }
    }

    private static IpHostOptions Options(byte last, string v4, string v6)
    {
        return new IpHostOptions
        {
            Mac = new MacAddress(0x0200_0000_0000UL | last),
            Addresses = [InterfaceAddress.Parse(v4), InterfaceAddress.Parse(v6)],
        };
    }
}
