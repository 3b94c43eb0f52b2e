using System.Diagnostics;
using System.Net;
using System.Net.Sockets;
using System.Security.Cryptography;
using System.Text.RegularExpressions;
using Stack.Sockets.Hosting;
using Stack.Apps.Services;
using Stack.Sockets;
using Stack.IP;
using Stack.IP.Routing;
using Stack.Link.Devices;
using Stack.Link.Devices.Pcap;
using Stack.Link.Devices.Tap;
using Stack.Link.Time;
using Stack.Link.Wire;
using Stack.Tcp;
using Stack.Tests.Support;
using Xunit.Abstractions;

namespace Stack.Tests.Interop;

/// <summary>
/// TCP against the Linux kernel in a namespace the test creates: the kernel's nc, ss and python3 sockets against
/// the stack's services on tap0 (192.0.2.2, 2001:db8::2); the stack's sockets and `daytime`/`echo` commands
/// (tap1, 192.0.2.3, 2001:db8::3) against kernel servers on br0 (192.0.2.1, 2001:db8::1). Traces of the clean
/// runs go through tshark's TCP analysis.
/// </summary>
public sealed partial class TcpInteropTests(ITestOutputHelper output)
{
    private const int BulkBytes = 64 << 20;
    private static readonly MacAddress StackMac = new(0x0200_5354_0002UL);
    private static readonly TimeSpan ShortMsl = TimeSpan.FromSeconds(1);

    [GeneratedRegex(@"^(Mon|Tue|Wed|Thu|Fri|Sat|Sun) (Jan|Feb|Mar|Apr|May|Jun|Jul|Aug|Sep|Oct|Nov|Dec) [ 123]\d \d\d:\d\d:\d\d \d{4}\r?$", RegexOptions.Multiline)]
    private static partial Regex CtimeLine();

    private static StackInstance StartStack(TestNamespace ns, string? pcap = null, Action<StackInstance>? configure = null)
    {
        var options = new IpHostOptions
        {
            Mac = StackMac,
            Addresses = [InterfaceAddress.Parse("192.0.2.2/24"), InterfaceAddress.Parse("2001:db8::2/64")],
        };
        ILinkDevice device = TapDevice.Open("tap0", netns: ns.Name);
        if (pcap is not null) device = new TracingDevice(device, new PcapWriter(File.Create(pcap)), TimeProvider.System);
        var stack = StackInstance.Start("tap0", device, options, tcp: TcpConfig.Default with { Msl = ShortMsl }, configure: configure);
        ns.WaitUntilForwarding("tap0");
        return stack;
    }

    private (int Code, string Out, string Err) Run(TestNamespace ns, string command, int seconds = 30)
    {
        var (code, stdout, stderr) = ns.Exec(command, TimeSpan.FromSeconds(seconds));
        output.WriteLine($"$ {command}  (exit {code})\n{stdout}{stderr}");
        return (code, stdout, stderr);
    }

    private static string Pcap(string name) => Path.Combine(Path.GetTempPath(), $"stack-tcp-{name}-{Environment.ProcessId}-{Guid.NewGuid():N}.pcap");

    private const string CleanTraceFilter = "tcp.analysis.flags && !tcp.analysis.window_update && !tcp.analysis.window_full"
        + " && !(tcp.analysis.retransmission && (ip.src == 192.0.2.1 || ipv6.src == 2001:db8::1))"
        + " && !(tcp.analysis.duplicate_ack && (ip.src == 192.0.2.2 || ipv6.src == 2001:db8::2))";

    private static string StackCli => $"dotnet {Path.Combine(AppContext.BaseDirectory, "stack.dll")}";

    /// <summary>
    /// tshark's TCP analysis of a clean run flags nothing but flow control at work: window updates, and a sender
    /// that fills a slower reader's window (with Linux's slow start the stack's cwnd soon outgrows the window of a
    /// kernel reader in python). Nor the kernel's own resends: on a link with an RTT of tens of microseconds its
    /// tail-loss probe fires within milliseconds, so a stack loop held up that long under load (a busy CI machine)
    /// sees a segment twice; the duplicate ACK that answers it is right.
    /// </summary>
    private void AssertCleanTrace(string pcap, int minFrames, string filter = CleanTraceFilter)
    {
        if (!Tools.Has("tshark"))
        {
            Assert.False(TapRequirement.IsCi, "tshark must be installed in CI (scripts/install-deps)");
            return;
        }
        var (code, text) = Tools.Run($"tshark -r {pcap} -Y \"{filter}\" -T fields -e frame.number -e _ws.expert.message", 120);
        Assert.Equal(0, code);
        Assert.True(string.IsNullOrWhiteSpace(text), $"tshark flagged TCP problems in {pcap}:\n{string.Join('\n', text.Split('\n').Take(50))}");
        // Counting needs no sequence analysis: without it tshark reads a 64 MiB run's trace several times faster,
        // which matters on a loaded CI machine (a timed-out count once read as "1 frame").
        var (counted, count) = Tools.Run($"tshark -o tcp.analyze_sequence_numbers:FALSE -r {pcap} -Y tcp -T fields -e frame.number", 120);
        Assert.True(counted == 0, count);
        int frames = count.Split('\n', StringSplitOptions.RemoveEmptyEntries).Length;
        output.WriteLine($"{pcap}: {frames} TCP frames, none flagged");
        Assert.True(frames >= minFrames, $"the trace should hold the runs' TCP segments ({frames} < {minFrames})");
    }

    private static int CountFrames(string pcap, string filter)
    {
        if (!Tools.Has("tshark")) return 0;
        var (code, text) = Tools.Run($"tshark -r {pcap} -Y \"{filter}\" -T fields -e frame.number", 120);
        Assert.Equal(0, code);
        return text.Split('\n', StringSplitOptions.RemoveEmptyEntries).Length;
    }

    [SkippableFact]
    public void Kernel_nc_gets_daytime_and_echo_refused_and_TIME_WAIT_from_the_stack_with_a_clean_trace()
    {
        TapRequirement.Check("nc", "ss", "python3");
        using var ns = TestNamespace.Create(taps: 1);
        var pcap = Pcap("kernel-clients");
        var script = UdpInteropTests.WriteScript("refused.py", RefusedScript);
        try
        {
            ServiceHost? services = null;
            using (var stack = StartStack(ns, pcap, s => services = ServiceHost.Start(s, ["daytime", "echo"])))
            using (services)
            {
                foreach (var (flag, address) in new[] { ("-4", "192.0.2.2"), ("-6", "2001:db8::2") })
                {
                    var (code, date, _) = Run(ns, $"timeout 10 nc {flag} -w5 {address} 13 </dev/null");
                    Assert.Equal(0, code);
                    Assert.Matches(CtimeLine(), date);

                    // -N: shutdown(SHUT_WR) at the end of stdin, so nc reads the echo until the server closes.
                    (code, var echoed, _) = Run(ns, $"printf 'hello\\nworld\\n' | timeout 10 nc {flag} -N -w5 {address} 7");
                    Assert.Equal(0, code);
                    Assert.Equal("hello\nworld\n", echoed);

                    // The kernel closed first (its FIN after stdin ended), so the kernel holds TIME_WAIT.
                    var (_, waiting, _) = Run(ns, "ss -tan state time-wait");
                    Assert.Contains(address.Contains(':', StringComparison.Ordinal) ? $"[{address}]:7" : $"{address}:7", waiting, StringComparison.Ordinal);

                    (code, _, _) = Run(ns, $"timeout 10 nc {flag} -z -w3 {address} 4444");
                    Assert.Equal(1, code);
                    (code, var refused, _) = Run(ns, $"timeout 10 python3 {script} {address} 4444");
                    Assert.Equal(0, code);
                    Assert.Equal("refused\n", refused);
                }
                Assert.True(stack.Tcp.Statistics.Established >= 4);
            }
            AssertCleanTrace(pcap, minFrames: 30);
        }
        finally
        {
            File.Delete(pcap);
            File.Delete(script);
        }
    }

    [SkippableFact]
    public void Stack_serve_answers_tcp_on_the_services_it_is_given_and_refuses_the_others()
    {
        TapRequirement.Check("nc", "dotnet");
        using var ns = TestNamespace.Create(taps: 1);
        using var serve = ns.StartBackground($"{StackCli} serve --tap tap0 --ip 192.0.2.2/24 --ip 2001:db8::2/64 --services echo,chargen");
        serve.WaitForError("services on TCP", seconds: 20);
        Assert.True(serve.StdErr.Contains("services on TCP: echo 7, chargen 19", StringComparison.Ordinal), $"stack serve did not come up:\n{serve.StdErr}");
        ns.WaitUntilForwarding("tap0");

        var (code, echoed, _) = Run(ns, "printf 'served over tcp\n' | timeout 10 nc -6 -N -w5 2001:db8::2 7");
        Assert.Equal(0, code);
        Assert.Equal("served over tcp\n", echoed);

        (code, var chars, _) = Run(ns, "timeout 10 nc -4 -w5 192.0.2.2 19 </dev/null | head -c 222");
        Assert.Equal(0, code);
        Assert.StartsWith(" !\"#$%&'()*+,-./0123456789", chars, StringComparison.Ordinal);
        Assert.Equal(3, chars.Split('\n').Length - 1); // three 72-character lines

        (code, _, _) = Run(ns, "timeout 10 nc -4 -z -w3 192.0.2.2 13"); // daytime was not asked for
        Assert.Equal(1, code);
    }

    [SkippableTheory]
    [InlineData("192.0.2.1")]
    [InlineData("2001:db8::1")]
    public void Stack_closing_first_holds_TIME_WAIT_for_two_MSL_and_a_closed_kernel_port_refuses(string kernel)
    {
        TapRequirement.Check("python3");
        using var ns = TestNamespace.Create(taps: 1);
        var pcap = Pcap("stack-closes");
        var sink = UdpInteropTests.WriteScript("sink.py", SinkScript);
        try
        {
            using (var stack = StartStack(ns, pcap))
            {
                var ip = IPAddress.Parse(kernel);
                var refusedBy = StackSocket.Create(stack, ip.AddressFamily, SocketType.Stream);
                var e = Assert.Throws<StackSocketException>(() => refusedBy.Connect(new IPEndPoint(ip, 4444)));
                Assert.Equal(SocketError.ConnectionRefused, e.SocketErrorCode);

                using var server = ns.StartBackground($"timeout 30 python3 {sink} {kernel} 9999");
                server.WaitForOutput("ready");
                var socket = StackSocket.Create(stack, ip.AddressFamily, SocketType.Stream);
                socket.Connect(new IPEndPoint(ip, 9999));
                // The connection reports, on the loop, when it enters and leaves TIME_WAIT (on the loop's clock).
                var entered = new TaskCompletionSource<Instant>(TaskCreationOptions.RunContinuationsAsynchronously);
                var left = new TaskCompletionSource<(Instant At, TcpState To)>(TaskCreationOptions.RunContinuationsAsynchronously);
                var watching = stack.Loop.InvokeAsync(_ =>
                {
                    socket.Connection!.StateChanged += (_, t) =>
                    {
                        if (t.To == TcpState.TimeWait) entered.TrySetResult(stack.Loop.Now);
                        else if (t.From == TcpState.TimeWait) left.TrySetResult((stack.Loop.Now, t.To));
                    };
                    return true;
                });
                Assert.True(watching.Wait(TimeSpan.FromSeconds(5)));
                socket.Send("a few bytes, then our FIN first"u8);
                socket.Shutdown(SocketShutdown.Send);
                var buffer = new byte[100];
                Assert.Equal(0, socket.Receive(buffer)); // the kernel closes after our FIN
                socket.Dispose();
                server.WaitForOutput(" 31 ");

                Assert.True(entered.Task.Wait(TimeSpan.FromSeconds(10)), "the stack never entered TIME_WAIT");
                Assert.True(left.Task.Wait(2 * ShortMsl + TimeSpan.FromSeconds(10)), "the stack never left TIME_WAIT");
                var (until, to) = left.Task.Result;
                Assert.Equal(TcpState.Closed, to);
                var lasted = until - entered.Task.Result;
                output.WriteLine($"TIME_WAIT lasted {lasted.TotalMilliseconds:F0} ms (2 x MSL = {2 * ShortMsl.TotalMilliseconds} ms)");
                // On the real clock: the handlers read it a moment after the instant the core was handed, and the
                // expiry runs when the loop's poll(2) wakes, so allow a little either side of the deadline.
                Assert.InRange(lasted, 2 * ShortMsl - TimeSpan.FromMilliseconds(50), 2 * ShortMsl + TimeSpan.FromSeconds(1));
            }
            AssertCleanTrace(pcap, minFrames: 8);
        }
        finally
        {
            File.Delete(pcap);
            File.Delete(sink);
        }
    }

    [SkippableTheory]
    [InlineData("192.0.2.1", "192.0.2.3/24")]
    [InlineData("2001:db8::1", "2001:db8::3/64")]
    public void Stack_daytime_and_echo_commands_work_against_kernel_tcp_servers(string server, string ip)
    {
        TapRequirement.Check("python3", "dotnet");
        using var ns = TestNamespace.Create(taps: 2);
        var script = UdpInteropTests.WriteScript("tcp-servers.py", ServersScript);
        var pcapEcho = Pcap("cli-echo");
        var pcapDaytime = Pcap("cli-daytime");
        try
        {
            using var servers = ns.StartBackground($"timeout 90 python3 {script} {server}");
            servers.WaitForOutput("ready");

            var (code, text, _) = Run(ns, $"printf 'one\\ntwo words\\nthree\\n' | {StackCli} echo {server} --tap tap1 --ip {ip} --pcap {pcapEcho}", 60);
            Assert.Equal(0, code);
            Assert.Equal("one\ntwo words\nthree\n", text);

            (code, text, _) = Run(ns, $"{StackCli} daytime {server} --tap tap1 --ip {ip} --pcap {pcapDaytime}", 60);
            Assert.Equal(0, code);
            Assert.Matches(CtimeLine(), text);

            var (refusedCode, _, stderr) = Run(ns, $"printf 'x\\n' | {StackCli} echo {server} --port 4444 --tap tap1 --ip {ip}", 60);
            Assert.Equal(1, refusedCode);
            Assert.Single(stderr.Split('\n', StringSplitOptions.RemoveEmptyEntries));
            Assert.Contains("refused", stderr, StringComparison.OrdinalIgnoreCase);

            AssertCleanTrace(pcapEcho, minFrames: 8);
            AssertCleanTrace(pcapDaytime, minFrames: 6);
        }
        finally
        {
            File.Delete(script);
            File.Delete(pcapEcho);
            File.Delete(pcapDaytime);
        }
    }

    [SkippableTheory]
    [InlineData("192.0.2.2")]
    [InlineData("2001:db8::2")]
    public void Kernel_client_gets_64_MiB_back_bit_exact_from_the_stack_echo_server(string address)
    {
        TapRequirement.Check("python3");
        using var ns = TestNamespace.Create(taps: 1);
        var script = UdpInteropTests.WriteScript("bulk-echo.py", BulkEchoScript);
        var pcap = Pcap("bulk-echo");
        try
        {
            TcpStatistics stats;
            ServiceHost? services = null;
            using (var stack = StartStack(ns, pcap, s => services = ServiceHost.Start(s, ["echo"])))
            using (services)
            {
                stats = stack.Tcp.Statistics;
                var (code, text, _) = Run(ns, $"timeout 150 python3 {script} {address} 7 {BulkBytes}", 160);
                Assert.Equal(0, code);
                var f = text.Trim().Split(' ');
                Assert.Equal(f[0], f[1]); // SHA-256 of what was sent and of what came back
                Assert.Equal(BulkBytes.ToString(System.Globalization.CultureInfo.InvariantCulture), f[2]);
                double seconds = double.Parse(f[3], System.Globalization.CultureInfo.InvariantCulture);
                output.WriteLine($"echo of {BulkBytes >> 20} MiB via {address}: {seconds:F2} s, {BulkBytes * 8.0 / seconds / 1e6:F0} Mbit/s each way (traced); " +
                    $"stack retransmissions {stack.Tcp.Statistics.Retransmissions}, loop inbox drops {stack.Loop.InboxDrops}");
            }
            // The echo server can only send back as fast as the python client reads, so its receive window does
            // close (zero window, window full, the kernel's window probes): flow control the test causes. On a
            // loaded 2-core machine the kernel's tail-loss probes and RACK also fire now and then while the stack
            // waits for the CPU: the kernel's retransmissions, each answered by one duplicate ACK (RFC 5681 §4.2),
            // are the kernel's business. Anything else — the stack retransmitting on a lossless link, the stack's
            // duplicate ACKs beyond those answers, reordering, lost or unseen segments — would be a TCP bug.
            const string KernelRetransmission = "(tcp.dstport == 7 && (tcp.analysis.retransmission || tcp.analysis.spurious_retransmission))";
            const string StackDuplicateAck = "(tcp.srcport == 7 && tcp.analysis.duplicate_ack)";
            // The stack's own tail loss probes are the same story the other way (see the bulk sink test).
            const string StackResend = "(tcp.srcport == 7 && (tcp.analysis.retransmission || tcp.analysis.spurious_retransmission))";
            AssertCleanTrace(pcap, minFrames: 40_000,
                "tcp.analysis.flags && !tcp.analysis.window_update && !tcp.analysis.zero_window && !tcp.analysis.window_full"
                + " && !tcp.analysis.keep_alive && !tcp.analysis.zero_window_probe && !tcp.analysis.zero_window_probe_ack"
                + " && !tcp.analysis.duplicate_ack && !" + KernelRetransmission + " && !" + StackResend);
            int stackResends = CountFrames(pcap, StackResend);
            Assert.True(stackResends <= stats.LossProbes, $"{stackResends} resends for {stats.LossProbes} loss probes in {pcap}");
            Assert.Equal(0, stats.FastRetransmits + stats.RetransmissionTimeouts);
            int kernelRetransmissions = CountFrames(pcap, KernelRetransmission);
            int stackDuplicateAcks = CountFrames(pcap, StackDuplicateAck);
            output.WriteLine($"kernel retransmissions {kernelRetransmissions}, stack duplicate ACKs {stackDuplicateAcks}");
            Assert.True(stackDuplicateAcks <= kernelRetransmissions,
                $"{stackDuplicateAcks} duplicate ACKs from the stack for {kernelRetransmissions} retransmissions by the kernel in {pcap}");
        }
        finally
        {
            File.Delete(script);
            if (Environment.GetEnvironmentVariable("STACK_KEEP_PCAP") is null) File.Delete(pcap);
        }
    }

    [SkippableTheory]
    [InlineData("192.0.2.1")]
    [InlineData("2001:db8::1")]
    public async Task Stack_client_sends_64_MiB_whole_into_a_kernel_sink(string kernel)
    {
        TapRequirement.Check("python3");
        using var ns = TestNamespace.Create(taps: 1);
        var sink = UdpInteropTests.WriteScript("sink.py", SinkScript);
        var pcap = Pcap("bulk-sink");
        try
        {
            TcpStatistics stats;
            using (var stack = StartStack(ns, pcap))
            {
                stats = stack.Tcp.Statistics;
                using var server = ns.StartBackground($"timeout 150 python3 {sink} {kernel} 9999");
                server.WaitForOutput("ready");

                var data = new byte[BulkBytes];
                new Random(5).NextBytes(data);
                var ip = IPAddress.Parse(kernel);
                using var socket = StackSocket.Create(stack, ip.AddressFamily, SocketType.Stream);
                await socket.ConnectAsync(new IPEndPoint(ip, 9999));
                var started = Stopwatch.StartNew();
                using var bound = new CancellationTokenSource(TimeSpan.FromSeconds(120));
                for (int i = 0; i < data.Length; i += 1 << 20) await socket.SendAsync(data.AsMemory(i, 1 << 20), bound.Token);
                socket.Shutdown(SocketShutdown.Send);
                Assert.Equal(0, await socket.ReceiveAsync(new byte[1], bound.Token)); // the sink closes once it has it all
                var elapsed = started.Elapsed;
                server.WaitForOutput($" {BulkBytes} ", seconds: 10);

                var f = server.StdOut.Split('\n', StringSplitOptions.RemoveEmptyEntries)[^1].Split(' ');
                Assert.Equal(Convert.ToHexStringLower(SHA256.HashData(data)), f[0]);
                output.WriteLine($"{BulkBytes >> 20} MiB stack -> kernel {kernel}: {elapsed.TotalSeconds:F2} s, {BulkBytes * 8.0 / elapsed.TotalSeconds / 1e6:F0} Mbit/s (traced); " +
                    $"retransmissions {stack.Tcp.Statistics.Retransmissions}, loop inbox drops {stack.Loop.InboxDrops}");
            }
            // On a loaded 2-core machine an ACK can take longer than the tail loss probe's 2·SRTT + 2 ms: the stack
            // then resends its last segment (RFC 8985 §7) and the kernel answers the duplicate. Those probes are
            // allowed; any other resend on this lossless link — a fast retransmit, a timeout — is a TCP bug.
            const string StackResend = "(tcp.dstport == 9999 && (tcp.analysis.retransmission || tcp.analysis.spurious_retransmission))";
            const string KernelDuplicateAck = "(tcp.srcport == 9999 && tcp.analysis.duplicate_ack)";
            AssertCleanTrace(pcap, minFrames: 40_000,
                "tcp.analysis.flags && !tcp.analysis.window_update && !tcp.analysis.window_full && !" + StackResend
                + " && !" + KernelDuplicateAck);
            int resends = CountFrames(pcap, StackResend);
            Assert.True(resends <= stats.LossProbes, $"{resends} resends for {stats.LossProbes} loss probes in {pcap}");
            Assert.Equal(0, stats.FastRetransmits + stats.RetransmissionTimeouts);
        }
        finally
        {
            File.Delete(sink);
            File.Delete(pcap);
        }
    }

    /// <summary>A kernel TCP client to argv[1]:argv[2]: "refused" when the connection is refused.</summary>
    private const string RefusedScript = """
        import socket, sys
        try:
            socket.create_connection((sys.argv[1], int(sys.argv[2])), timeout=5).close()
            print("connected")
        except ConnectionRefusedError:
            print("refused")
        """;

    /// <summary>Kernel discard sink on argv[1]:argv[2]: one connection, read to EOF, print "sha256 length seconds", close.</summary>
    private const string SinkScript = """
        import hashlib, socket, sys, time
        family = socket.AF_INET6 if ":" in sys.argv[1] else socket.AF_INET
        l = socket.socket(family, socket.SOCK_STREAM)
        l.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        l.bind((sys.argv[1], int(sys.argv[2])))
        l.listen(1)
        l.settimeout(60)
        print("ready", flush=True)
        c, _ = l.accept()
        c.settimeout(60)
        start, h, n = time.time(), hashlib.sha256(), 0
        while True:
            b = c.recv(1 << 20)
            if not b:
                break
            h.update(b)
            n += len(b)
        print(h.hexdigest(), n, "%.3f" % (time.time() - start), "", flush=True)
        c.close()
        """;

    /// <summary>Kernel client: argv[3] pseudo-random bytes to argv[1]:argv[2] while reading the echo; half-close; "sha-sent sha-back length seconds".</summary>
    internal const string BulkEchoScript = """
        import hashlib, random, socket, sys, threading, time
        data = random.Random(5).randbytes(int(sys.argv[3]))
        s = socket.create_connection((sys.argv[1], int(sys.argv[2])), timeout=60)
        if len(sys.argv) > 4:
            s.setsockopt(socket.IPPROTO_TCP, socket.TCP_CONGESTION, sys.argv[4].encode())  # the kernel sender's algorithm
        # No socket timeout from here on: Python's sendall counts its timeout over the whole call, so a slow
        # (lossy) 64 MiB transfer would give up half-way; the caller's `timeout` bounds the run instead.
        s.settimeout(None)
        start = time.time()
        def send():
            s.sendall(data)
            s.shutdown(socket.SHUT_WR)
        sender = threading.Thread(target=send)
        sender.start()
        h, n = hashlib.sha256(), 0
        while True:
            b = s.recv(1 << 20)
            if not b:
                break
            h.update(b)
            n += len(b)
        sender.join()
        print(hashlib.sha256(data).hexdigest(), h.hexdigest(), n, "%.3f" % (time.time() - start))
        s.close()
        """;

    /// <summary>Kernel TCP echo (7) and daytime (13) servers on argv[1], a thread per connection, for at most 80 s.</summary>
    private const string ServersScript = """
        import socket, sys, threading, time
        family = socket.AF_INET6 if ":" in sys.argv[1] else socket.AF_INET
        def echo(c):
            while True:
                b = c.recv(65536)
                if not b:
                    break
                c.sendall(b)
            c.close()
        def daytime(c):
            c.sendall(time.strftime("%a %b %e %H:%M:%S %Y\r\n").encode())
            c.close()
        def serve(l, handler):
            while True:
                c, _ = l.accept()
                threading.Thread(target=handler, args=(c,), daemon=True).start()
        for port, handler in ((7, echo), (13, daytime)):
            l = socket.socket(family, socket.SOCK_STREAM)
            l.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
            l.bind((sys.argv[1], port))
            l.listen(8)
            threading.Thread(target=serve, args=(l, handler), daemon=True).start()
        print("ready", flush=True)
        time.sleep(80)
        """;
}
