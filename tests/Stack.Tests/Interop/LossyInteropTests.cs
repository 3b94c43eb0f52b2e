using System.Diagnostics;
using System.Globalization;
using System.Runtime.CompilerServices;
using System.Net;
using System.Net.Sockets;
using System.Security.Cryptography;
using System.Text;
using System.Text.RegularExpressions;
using Stack.Sockets.Hosting;
using Stack.Apps.Services;
using Stack.Sockets;
using Stack.IP;
using Stack.IP.Routing;
using Stack.Link.Devices;
using Stack.Link.Devices.Impairment;
using Stack.Link.Devices.Pcap;
using Stack.Link.Devices.Tap;
using Stack.Link.Wire;
using Stack.Tcp;
using Stack.Tcp.Congestion;
using Stack.Tests.Support;
using Xunit.Abstractions;

namespace Stack.Tests.Interop;

/// <summary>
/// Loss recovery against the Linux kernel's TCP (issue 7): 64 MiB bit-exact through a lossy, duplicating,
/// reordering link. Either the stack's TAP device is wrapped in an <see cref="ImpairedDevice"/> (10% loss, 2%
/// duplication, 5% reordering in each direction, seeded), or the kernel drops 10% of the TCP segments it sends
/// to and receives from the stack with an nftables table (`numgen random`) inside the test's namespace, which
/// goes with it. STACK_LOSSY_MIB sets another size for local runs; the issue's is 64.
/// </summary>
/// <remarks>
/// Both senders run BBR — the stack's (<see cref="CongestionControlKind.Bbr"/>) and the kernel client's (its
/// socket's TCP_CONGESTION) — because at 10 % random loss a loss-based window (CUBIC, Reno: the stack's and Linux's
/// alike) collapses to a few segments and spends minutes in retransmission timeouts, where BBR keeps hundreds of
/// segments in flight and RACK repairs every hole from the SACKs behind it (docs/loss-recovery.md). STACK_LOSSY_CC
/// picks another algorithm for both (cubic, newreno) for local runs.
/// </remarks>
public sealed partial class LossyInteropTests(ITestOutputHelper output)
{
    private const int LossPercent = 10;
    private const string Table = "stkloss";
    private static readonly MacAddress StackMac = new(0x0200_5354_0002UL);

    private static readonly CongestionControlKind Algorithm =
        Enum.Parse<CongestionControlKind>(Environment.GetEnvironmentVariable("STACK_LOSSY_CC") ?? "bbr", ignoreCase: true);

    /// <summary>The kernel's name for <see cref="Algorithm"/> (TCP_CONGESTION).</summary>
    private static string KernelAlgorithm => Algorithm == CongestionControlKind.NewReno ? "reno" : Algorithm.ToString().ToLowerInvariant();

    private static readonly int Bytes =
        (int.TryParse(Environment.GetEnvironmentVariable("STACK_LOSSY_MIB"), CultureInfo.InvariantCulture, out int m) && m is > 0 and <= 1024 ? m : 64) << 20;

    /// <summary>
    /// A bound for one transfer (a guard against a hang, not a timing target): with BBR 64 MiB take 1–20 s here; with
    /// a loss-based algorithm the stack has needed up to ~5 s a MiB on a loaded 2-core machine.
    /// </summary>
    private static readonly int BoundSeconds = 60 + (Algorithm == CongestionControlKind.Bbr ? 2 : 12) * (Bytes >> 20);

    [GeneratedRegex(@"counter packets (\d+)")]
    private static partial Regex CounterPackets();

    /// <summary>STACK_LOSSY_PCAP=DIR keeps a trace of each run there (next to the stack, inside any impairment).</summary>
    private static readonly string? PcapDir = Environment.GetEnvironmentVariable("STACK_LOSSY_PCAP");

    private ImpairedDevice? _impaired;

    private StackInstance StartStack(TestNamespace ns, ImpairmentSpec? impair = null, Action<StackInstance>? configure = null,
        [CallerMemberName] string test = "")
    {
        var options = new IpHostOptions
        {
            Mac = StackMac,
            Addresses = [InterfaceAddress.Parse("192.0.2.2/24"), InterfaceAddress.Parse("2001:db8::2/64")],
        };
        ILinkDevice device = TapDevice.Open("tap0", netns: ns.Name);
        if (impair is not null) device = _impaired = new ImpairedDevice(device, impair);
        if (PcapDir is not null)
        {
            var path = Path.Combine(PcapDir, $"{test}-{DateTime.Now:HHmmss}.pcap");
            device = new TracingDevice(device, new PcapWriter(File.Create(path)), TimeProvider.System);
        }
        var tcp = TcpConfig.Default with { Msl = TimeSpan.FromSeconds(1), CongestionControl = Algorithm };
        var stack = StackInstance.Start("tap0", device, options, tcp: tcp, configure: configure);
        ns.WaitUntilForwarding("tap0");
        return stack;
    }

    private (int Code, string Out, string Err) Run(TestNamespace ns, string command, int seconds)
    {
        var (code, stdout, stderr) = ns.Exec(command, TimeSpan.FromSeconds(seconds));
        output.WriteLine($"$ {command}  (exit {code}, {DateTime.Now:HH:mm:ss})\n{stdout}{stderr}");
        return (code, stdout, stderr);
    }

    private string Figures(StackInstance stack)
    {
        var s = stack.Tcp.Statistics;
        var text = $"stack: segments sent {s.SegmentsSent}, received {s.SegmentsReceived}, retransmissions {s.Retransmissions}, " +
            $"fast retransmits {s.FastRetransmits}, lost retransmissions found {s.LostRetransmissions}, retransmission timeouts {s.RetransmissionTimeouts}, loop inbox drops {stack.Loop.InboxDrops}";
        if (_impaired is { } impaired)
        {
            foreach (var (direction, c) in new[] { ("out", impaired.Outbound), ("in", impaired.Inbound) })
                text += $"\nimpaired {direction}: offered {c.Offered}, lost {c.Lost}, duplicated {c.Duplicated}, reordered {c.Reordered}";
        }
        return text;
    }

    private static double Mbits(double seconds) => Bytes * 8.0 / seconds / 1e6;

    /// <summary>
    /// The kernel's TCP is the client: it sends <see cref="Bytes"/> to the stack's echo service and reads them back,
    /// while the stack's link loses, duplicates and reorders frames both ways. Both stacks recover from loss at
    /// once (data and ACKs each way), and the kernel's RACK, TLP and SACK meet ours.
    /// </summary>
    [SkippableTheory]
    [InlineData(1, "192.0.2.2")]
    [InlineData(2, "2001:db8::2")]
    [InlineData(3, "192.0.2.2")]
    public void Kernel_client_gets_64_MiB_back_bit_exact_from_the_stack_echo_through_an_impaired_link(int seed, string address)
    {
        TapRequirement.Check("python3");
        using var ns = TestNamespace.Create(taps: 1);
        var script = UdpInteropTests.WriteScript("lossy-echo.py", TcpInteropTests.BulkEchoScript);
        var spec = new ImpairmentSpec { Loss = 0.10, Duplicate = 0.02, Reorder = 0.05, Seed = seed };
        try
        {
            // Only TCP is under test: the kernel's address resolution gives up after three unanswered probes,
            // which a lossy, reordering link (a held frame waits for the next one) can cost it.
            ns.ExecOk($"ip neigh replace {address} lladdr {StackMac} dev br0 nud permanent");
            ServiceHost? services = null;
            using var stack = StartStack(ns, spec, s => services = ServiceHost.Start(s, ["echo"]));
            using (services)
            {
                var started = Stopwatch.StartNew();
                var (code, text, _) = Run(ns, $"timeout {BoundSeconds} python3 {script} {address} 7 {Bytes} {KernelAlgorithm}", BoundSeconds + 20);
                var elapsed = started.Elapsed;
                output.WriteLine(Figures(stack));
                Assert.Equal(0, code);
                var f = text.Trim().Split(' ');
                Assert.Equal(f[0], f[1]); // SHA-256 of what was sent and of what came back
                Assert.Equal(Bytes.ToString(CultureInfo.InvariantCulture), f[2]);
                double seconds = double.Parse(f[3], CultureInfo.InvariantCulture);
                output.WriteLine($"echo of {Bytes >> 20} MiB via {address} ({spec}): {seconds:F1} s, {Mbits(seconds):F1} Mbit/s each way " +
                    $"({elapsed.TotalSeconds:F1} s with the client's start)");
            }
        }
        finally
        {
            File.Delete(script);
        }
    }

    /// <summary>The stack's TCP as the client: it sends <see cref="Bytes"/> into a kernel sink that drops 10% each way and answers with their SHA-256.</summary>
    [SkippableTheory]
    [InlineData("192.0.2.1")]
    public async Task Stack_client_sends_64_MiB_bit_exact_to_a_kernel_that_drops_10_percent(string kernel)
    {
        TapRequirement.Check("python3", "nft");
        using var ns = TestNamespace.Create(taps: 1);
        using var capture = AddKernelLoss(ns);
        var sink = UdpInteropTests.WriteScript("lossy-sink.py", HashingSinkScript);
        try
        {
            using var stack = StartStack(ns);
            using var server = ns.StartBackground($"timeout {BoundSeconds} python3 {sink} {kernel} 9999");
            server.WaitForOutput("ready");

            var data = new byte[Bytes];
            new Random(7).NextBytes(data);
            var ip = IPAddress.Parse(kernel);
            using var socket = StackSocket.Create(stack, ip.AddressFamily, SocketType.Stream);
            using var bound = new CancellationTokenSource(TimeSpan.FromSeconds(BoundSeconds - 10));
            var started = Stopwatch.StartNew();
            await socket.ConnectAsync(new IPEndPoint(ip, 9999), bound.Token);
            for (int i = 0; i < data.Length; i += 1 << 20) await socket.SendAsync(data.AsMemory(i, 1 << 20), bound.Token);
            socket.Shutdown(SocketShutdown.Send);
            var answer = new MemoryStream();
            var buffer = new byte[256];
            int n;
            while ((n = await socket.ReceiveAsync(buffer, bound.Token)) > 0) answer.Write(buffer, 0, n); // the hash, then the sink's FIN
            var elapsed = started.Elapsed;
            output.WriteLine(Figures(stack));
            output.WriteLine(KernelDrops(ns));
            output.WriteLine($"sink: {server.StdOut}{server.StdErr}");

            var f = Encoding.ASCII.GetString(answer.ToArray()).Trim().Split(' ');
            Assert.Equal(Convert.ToHexStringLower(SHA256.HashData(data)), f[0]);
            Assert.Equal(Bytes.ToString(CultureInfo.InvariantCulture), f[1]);
            output.WriteLine($"{Bytes >> 20} MiB stack -> kernel {kernel}, {LossPercent}% dropped by the kernel each way: " +
                $"{elapsed.TotalSeconds:F1} s, {Mbits(elapsed.TotalSeconds):F1} Mbit/s");
        }
        finally
        {
            File.Delete(sink);
        }
    }

    /// <summary>The stack's TCP as the server: a kernel client pulls <see cref="Bytes"/> through the stack's echo while the kernel drops 10% each way.</summary>
    [SkippableTheory]
    [InlineData("2001:db8::2")]
    public void Kernel_client_that_drops_10_percent_gets_64_MiB_back_bit_exact_from_the_stack_echo(string address)
    {
        TapRequirement.Check("python3", "nft");
        using var ns = TestNamespace.Create(taps: 1);
        using var capture = AddKernelLoss(ns);
        var script = UdpInteropTests.WriteScript("lossy-echo.py", TcpInteropTests.BulkEchoScript);
        try
        {
            ServiceHost? services = null;
            using var stack = StartStack(ns, configure: s => services = ServiceHost.Start(s, ["echo"]));
            using (services)
            {
                var (code, text, _) = Run(ns, $"timeout {BoundSeconds} python3 {script} {address} 7 {Bytes} {KernelAlgorithm}", BoundSeconds + 20);
                output.WriteLine(Figures(stack));
                output.WriteLine(KernelDrops(ns));
                Assert.Equal(0, code);
                var f = text.Trim().Split(' ');
                Assert.Equal(f[0], f[1]);
                Assert.Equal(Bytes.ToString(CultureInfo.InvariantCulture), f[2]);
                double seconds = double.Parse(f[3], CultureInfo.InvariantCulture);
                output.WriteLine($"echo of {Bytes >> 20} MiB via {address}, {LossPercent}% dropped by the kernel each way: {seconds:F1} s, {Mbits(seconds):F1} Mbit/s each way");
            }
        }
        finally
        {
            File.Delete(script);
        }
    }

    /// <summary>
    /// An nftables table in the test's namespace (never the host's) that drops <see cref="LossPercent"/>% of the TCP
    /// segments the kernel sends to the stack and of those it receives from it, IPv4 and IPv6; ARP and neighbour
    /// discovery pass. It goes away with the namespace.
    /// </summary>
    private BackgroundProcess? AddKernelLoss(TestNamespace ns, [CallerMemberName] string test = "")
    {
        // With STACK_LOSSY_PCAP the drops go to nflog group 5 too, and dumpcap records them and br0 (pcapng).
        var log = PcapDir is null ? "" : " log group 5";
        var rules = $$"""
            table inet {{Table}} {
                chain out {
                    type filter hook output priority 0; policy accept;
                    ip daddr 192.0.2.2 meta l4proto tcp numgen random mod 100 < {{LossPercent}} counter{{log}} drop
                    ip6 daddr 2001:db8::2 meta l4proto tcp numgen random mod 100 < {{LossPercent}} counter{{log}} drop
                }
                chain in {
                    type filter hook input priority 0; policy accept;
                    ip saddr 192.0.2.2 meta l4proto tcp numgen random mod 100 < {{LossPercent}} counter{{log}} drop
                    ip6 saddr 2001:db8::2 meta l4proto tcp numgen random mod 100 < {{LossPercent}} counter{{log}} drop
                }
            }
            """;
        var file = UdpInteropTests.WriteScript("stkloss.nft", rules);
        try
        {
            ns.ExecOk($"nft -f {file}");
            output.WriteLine(ns.ExecOk($"nft list table inet {Table}"));
            if (PcapDir is null) return null;
            var capture = ns.StartBackground($"dumpcap -q -i br0 -i nflog:5 -w {Path.Combine(PcapDir, $"{test}-kernel-{DateTime.Now:HHmmss}.pcapng")}");
            Thread.Sleep(1000);
            return capture;
        }
        finally
        {
            File.Delete(file);
        }
    }

    /// <summary>What the kernel's loss table dropped, read from its counters.</summary>
    private static string KernelDrops(TestNamespace ns)
    {
        var listing = ns.ExecOk($"nft list table inet {Table}");
        var counts = CounterPackets().Matches(listing).Select(c => long.Parse(c.Groups[1].Value, CultureInfo.InvariantCulture)).ToArray();
        Assert.Equal(4, counts.Length);
        Assert.True(counts.Sum() > 0, $"the kernel's loss table dropped nothing:\n{listing}");
        return $"kernel dropped: to the stack {counts[0] + counts[1]}, from the stack {counts[2] + counts[3]}";
    }

    /// <summary>Kernel sink on argv[1]:argv[2]: one connection, read to EOF, answer "sha256 length" on it and print it with the seconds, close.</summary>
    private const string HashingSinkScript = """
        import hashlib, socket, sys, time
        family = socket.AF_INET6 if ":" in sys.argv[1] else socket.AF_INET
        l = socket.socket(family, socket.SOCK_STREAM)
        l.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        l.bind((sys.argv[1], int(sys.argv[2])))
        l.listen(1)
        l.settimeout(60)
        print("ready", flush=True)
        c, _ = l.accept()
        c.settimeout(120)
        start, h, n = time.time(), hashlib.sha256(), 0
        while True:
            b = c.recv(1 << 20)
            if not b:
                break
            h.update(b)
            n += len(b)
        c.sendall(("%s %d\n" % (h.hexdigest(), n)).encode())
        print(h.hexdigest(), n, "%.3f" % (time.time() - start), flush=True)
        c.close()
        """;
}
