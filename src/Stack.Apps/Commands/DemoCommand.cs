using Microsoft.Extensions.Logging;
using Stack.Apps.Hosting;
using Stack.IP;
using Stack.IP.Routing;
using Stack.Link.Devices.Memory;
using Stack.Link.Wire;

namespace Stack.Apps.Commands;

/// <summary>
/// `stack demo`: the main job without root or TAP: two stack instances on an in-memory link, talking to each
/// other, with a transcript on stdout.
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
        stdout.WriteLine(failures == 0 ? "demo: all replies received" : $"demo: {failures} requests unanswered");
        return failures == 0 ? 0 : 1;
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
