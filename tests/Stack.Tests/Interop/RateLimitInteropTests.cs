using System.Diagnostics;
using Stack.Sockets.Hosting;
using Stack.Apps.Services;
using Stack.IP;
using Stack.IP.Routing;
using Stack.Link.Devices.Tap;
using Stack.Link.Wire;
using Stack.Tests.Support;
using Xunit.Abstractions;

namespace Stack.Tests.Interop;

/// <summary>
/// Forged segments from the kernel's side of the namespace (raw sockets, bounded in count): SYNs, ACKs and RSTs to
/// closed ports, and blind SYNs, RSTs and ACKs at a live connection, in both families, while kernel clients keep
/// an echo connection busy and open new ones. The stack's replies stay within TcpRateLimits' defaults.
/// </summary>
public sealed class RateLimitInteropTests(ITestOutputHelper output)
{
    private static readonly MacAddress StackMac = new(0x0200_5354_0002UL);

    /// <summary>
    /// argv: SPEC... with SPEC = SRC,DST,SPORT|rand,DPORT,FLAGS,COUNT. For each, writes COUNT bare TCP headers
    /// (random sequence and acknowledgment numbers, fixed seed) through a raw socket, 500 at a time; the kernel
    /// adds the IP header. One process for every flood: starting python costs more than the floods.
    /// </summary>
    private const string FloodScript = """
        import random, socket, struct, sys, time
        def checksum(data):
            total = sum(struct.unpack("!%dH" % (len(data) // 2), data))
            while total >> 16:
                total = (total & 0xFFFF) + (total >> 16)
            return ~total & 0xFFFF
        rng = random.Random(2026)
        for spec in sys.argv[1:]:
            src, dst, sport, dport, flags, count = spec.split(",")
            dport, count = int(dport), int(count)
            family = socket.AF_INET6 if ":" in dst else socket.AF_INET
            s = socket.socket(family, socket.SOCK_RAW, socket.IPPROTO_TCP)
            bits = sum({"F": 1, "S": 2, "R": 4, "P": 8, "A": 16}[c] for c in flags)
            pseudo = socket.inet_pton(family, src) + socket.inet_pton(family, dst)
            pseudo += struct.pack("!IxxxB", 20, 6) if family == socket.AF_INET6 else struct.pack("!xBH", 6, 20)
            start = time.monotonic()
            for i in range(count):
                port = 1024 + i % 30000 if sport == "rand" else int(sport)
                ack = rng.getrandbits(32) if bits & 16 else 0
                header = struct.pack("!HHIIBBHHH", port, dport, rng.getrandbits(32), ack, 5 << 4, bits, 65535, 0, 0)
                header = header[:16] + struct.pack("!H", checksum(pseudo + header)) + header[18:]
                s.sendto(header, (dst, 0))
                if i % 500 == 499:
                    time.sleep(0.005)
            s.close()
            print("sent %d %s to %s:%d in %.2f s" % (count, flags, dst, dport, time.monotonic() - start), flush=True)
        """;

    /// <summary>
    /// argv: ADDRESS SPORT STOPFILE. An echo connection from SPORT exchanging 100 bytes every 20 ms, and a new
    /// connection every tenth round, until STOPFILE exists (at least 1 s); any error, a wrong echo or a 3 s stall
    /// fails it.
    /// </summary>
    private const string ClientScript = """
        import os, socket, sys, time
        address, sport, stop = sys.argv[1], int(sys.argv[2]), sys.argv[3]
        family = socket.AF_INET6 if ":" in address else socket.AF_INET
        def connect(port):
            s = socket.socket(family, socket.SOCK_STREAM)
            s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
            s.bind(("::" if family == socket.AF_INET6 else "0.0.0.0", port))
            s.settimeout(3)
            s.connect((address, 7))
            return s
        def echo(s, data):
            s.sendall(data)
            got = b""
            while len(got) < len(data):
                chunk = s.recv(len(data) - len(got))
                if not chunk:
                    raise SystemExit("connection closed by the stack")
                got += chunk
            if got != data:
                raise SystemExit("echo differs")
        live = connect(sport)
        print("ready", flush=True)
        rounds = accepted = 0
        start = time.monotonic()
        while time.monotonic() < start + 1 or not os.path.exists(stop):
            echo(live, bytes((rounds + i) % 256 for i in range(100)))
            rounds += 1
            if rounds % 10 == 0:
                with connect(0) as s:
                    echo(s, b"new\n")
                accepted += 1
            time.sleep(0.02)
        live.close()
        print("ok rounds=%d accepted=%d" % (rounds, accepted), flush=True)
        """;

    [SkippableFact]
    public void Floods_of_forged_segments_draw_limited_replies_while_connections_keep_working()
    {
        TapRequirement.Check("python3");
        using var ns = TestNamespace.Create(taps: 1);
        var flood = UdpInteropTests.WriteScript("flood.py", FloodScript);
        var client = UdpInteropTests.WriteScript("client.py", ClientScript);
        var stop = Path.Combine(Path.GetTempPath(), $"stack-{Environment.ProcessId}-{Guid.NewGuid():N}-stop");
        try
        {
            ServiceHost? services = null;
            using var stack = StackInstance.Start("tap0", TapDevice.Open("tap0", netns: ns.Name),
                new IpHostOptions
                {
                    Mac = StackMac,
                    Addresses = [InterfaceAddress.Parse("192.0.2.2/24"), InterfaceAddress.Parse("2001:db8::2/64")],
                },
                configure: s => services = ServiceHost.Start(s, ["echo"]));
            using var _ = services;
            ns.WaitUntilForwarding("tap0");
            ns.ExecOk("ping -c 1 -W 2 192.0.2.2 >/dev/null && ping -6 -c 1 -W 2 2001:db8::2 >/dev/null", TimeSpan.FromSeconds(10));

            using var client4 = ns.StartBackground($"timeout 30 python3 -u {client} 192.0.2.2 50000 {stop}");
            using var client6 = ns.StartBackground($"timeout 30 python3 -u {client} 2001:db8::2 50001 {stop}");
            client4.WaitForOutput("ready");
            client6.WaitForOutput("ready");

            var specs = new List<string>();
            foreach (var (kernel, stackAddress, live) in new[] { ("192.0.2.1", "192.0.2.2", "50000"), ("2001:db8::1", "2001:db8::2", "50001") })
            {
                specs.Add($"{kernel},{stackAddress},rand,4444,S,3000"); // SYNs to a closed port: a RST+ACK each, limited
                specs.Add($"{kernel},{stackAddress},rand,4445,A,2000"); // ACKs to a closed port: a RST each, limited
                specs.Add($"{kernel},{stackAddress},rand,4446,R,1000"); // RSTs to a closed port: never answered
                specs.Add($"{kernel},{stackAddress},{live},7,S,1000"); // blind SYNs at the live connection: challenge ACKs
                specs.Add($"{kernel},{stackAddress},{live},7,R,2000"); // blind RSTs: out of the window (silent), or challenged
                specs.Add($"{kernel},{stackAddress},{live},7,A,1000"); // blind ACKs: out-of-window ACKs, or challenges
            }
            var clock = Stopwatch.StartNew();
            output.WriteLine(ns.ExecOk($"timeout 20 python3 {flood} {string.Join(' ', specs)}", TimeSpan.FromSeconds(25)).Trim());
            var floodTime = clock.Elapsed;
            File.WriteAllText(stop, "");

            Assert.True(client4.WaitForExit(TimeSpan.FromSeconds(10)) && client6.WaitForExit(TimeSpan.FromSeconds(5)), "the clients should stop");
            output.WriteLine($"IPv4 client: exit {client4.ExitCode} {client4.StdOut}{client4.StdErr}");
            output.WriteLine($"IPv6 client: exit {client6.ExitCode} {client6.StdOut}{client6.StdErr}");
            Assert.Equal(0, client4.ExitCode);
            Assert.Equal(0, client6.ExitCode);
            Assert.Contains("ok rounds=", client4.StdOut, StringComparison.Ordinal);
            Assert.Contains("ok rounds=", client6.StdOut, StringComparison.Ordinal);

            // Read off the loop once the floods are in (TcpStatistics.Snapshot's caveat: harmless here).
            double seconds = clock.Elapsed.TotalSeconds;
            var s = stack.Tcp.Statistics;
            output.WriteLine($"floods {floodTime.TotalSeconds:F2} s, counters read after {seconds:F2} s: segments in {s.SegmentsReceived}, " +
                $"RSTs sent {s.ResetsSent}, RSTs limited {s.ResetsRateLimited}, challenge ACKs {s.ChallengeAcks}, " +
                $"challenges skipped {s.AckSkippedChallenge}, out-of-window {s.OutOfWindow}, OOW ACKs skipped {s.AckSkippedSeq}");

            var limits = stack.Tcp.RateLimits;
            Assert.True(s.ResetsSent <= limits.ResetBurst + limits.ResetsPerSecond!.Value * seconds,
                $"{s.ResetsSent} RSTs in {seconds:F2} s is over the budget");
            Assert.True(s.ResetsRateLimited > 0, "the closed-port floods should have met the RST limit");
            // Two connections met blind segments, each answering at most once per interval.
            double perConnection = 1 + seconds / limits.InvalidInterval.TotalSeconds;
            Assert.True(s.ChallengeAcks <= 2 * perConnection, $"{s.ChallengeAcks} challenge ACKs in {seconds:F2} s");
            Assert.True(s.ChallengeAcks > 0 && s.AckSkippedChallenge > 0, "blind SYNs should have met the per-connection limit");
            Assert.True(s.AckSkippedSeq > 0, "blind ACKs should have met the per-connection limit");
        }
        finally
        {
            File.Delete(flood);
            File.Delete(client);
            File.Delete(stop);
        }
    }
}
