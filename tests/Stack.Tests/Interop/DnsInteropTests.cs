using System.Globalization;
using System.Text;
using Stack.Tests.Support;
using Xunit.Abstractions;

namespace Stack.Tests.Interop;

/// <summary>
/// `stack resolve` against dnsmasq on the kernel side of the test namespace (192.0.2.1, 2001:db8::1): A and AAAA
/// records over both families, a name with 40 addresses whose UDP answer dnsmasq truncates (over 512 bytes without
/// EDNS) and the stack asks again over TCP, and NXDOMAIN.
/// </summary>
public sealed class DnsInteropTests(ITestOutputHelper output)
{
    private static readonly string Stack = $"dotnet {Path.Combine(AppContext.BaseDirectory, "stack.dll")}";
    private const string StackArgs = "--tap tap0 --ip 192.0.2.2/24 --ip 2001:db8::2/64";

    private (int Code, string Out, string Err) Run(TestNamespace ns, string command)
    {
        var (code, stdout, stderr) = ns.Exec(command, TimeSpan.FromSeconds(60));
        output.WriteLine($"$ {command}  (exit {code})\n{stdout}{stderr}");
        return (code, stdout, stderr);
    }

    private static string HostsFile()
    {
        var hosts = new StringBuilder("192.0.2.10 www.example\n2001:db8::10 www.example\n");
        for (int i = 0; i < 40; i++) hosts.Append(CultureInfo.InvariantCulture, $"192.0.2.{100 + i} many.example\n");
        var path = Path.Combine(Path.GetTempPath(), $"stack-dns-hosts-{Environment.ProcessId}");
        File.WriteAllText(path, hosts.ToString());
        return path;
    }

    [SkippableFact]
    public void Stack_resolve_prints_dnsmasqs_records_and_asks_again_over_TCP_when_the_answer_is_truncated()
    {
        TapRequirement.Check("dnsmasq", "tshark", "dotnet");
        using var ns = TestNamespace.Create(taps: 1);
        var hosts = HostsFile();
        var pcap = Path.Combine(Path.GetTempPath(), $"stack-dns-{Environment.ProcessId}.pcap");
        try
        {
            // --local: dnsmasq answers for example itself (NXDOMAIN for names it lacks); --local-ttl: hosts-file
            // answers carry a TTL (0 otherwise).
            using var dnsmasq = ns.StartBackground(
                "exec dnsmasq --no-daemon --conf-file=/dev/null --port=53 --listen-address=192.0.2.1 --listen-address=2001:db8::1 " +
                $"--bind-interfaces --no-resolv --no-hosts --addn-hosts={hosts} --local=/example/ --local-ttl=300 --log-queries --log-facility=-");
            dnsmasq.WaitForError("read " + hosts, seconds: 10);

            var (code, stdout, _) = Run(ns, $"{Stack} resolve www.example --server 192.0.2.1 {StackArgs}");
            Assert.Equal(0, code);
            Assert.Equal("www.example\t300\tIN\tA\t192.0.2.10\nwww.example\t300\tIN\tAAAA\t2001:db8::10\n", stdout);

            (code, stdout, _) = Run(ns, $"{Stack} resolve www.example -6 --server 2001:db8::1 {StackArgs}");
            Assert.Equal(0, code);
            Assert.Equal("www.example\t300\tIN\tAAAA\t2001:db8::10\n", stdout);

            (code, stdout, var stderr) = Run(ns, $"{Stack} resolve many.example -4 --server 192.0.2.1 {StackArgs} --pcap {pcap}");
            Assert.Equal(0, code);
            var lines = stdout.Split('\n', StringSplitOptions.RemoveEmptyEntries);
            Assert.Equal(40, lines.Length);
            Assert.Equal(Enumerable.Range(100, 40).Select(i => $"192.0.2.{i}").Order(), lines.Select(l => l.Split('\t')[4]).Order());
            Assert.Contains("asked again over TCP", stderr, StringComparison.Ordinal);
            // The trace shows it: a UDP answer with TC set, then a connection to TCP port 53 carrying the question.
            var (tsharkCode, truncated) = Tools.Run($"tshark -r {pcap} -Y \"udp.srcport == 53 && dns.flags.truncated == 1\" -T fields -e frame.number");
            Assert.Equal(0, tsharkCode);
            Assert.NotEmpty(truncated.Trim());
            var (_, overTcp) = Tools.Run($"tshark -r {pcap} -Y \"tcp.srcport == 53 && dns.count.answers == 40\" -T fields -e frame.number");
            Assert.NotEmpty(overTcp.Trim());

            (code, stdout, stderr) = Run(ns, $"{Stack} resolve nothere.example -4 --server 192.0.2.1 {StackArgs}");
            Assert.Equal(1, code);
            Assert.Empty(stdout);
            Assert.Contains("NXDOMAIN", stderr, StringComparison.Ordinal);
            output.WriteLine(dnsmasq.StdErr);
            // dnsmasq saw the question twice: over UDP, then over TCP.
            Assert.True(dnsmasq.StdErr.Split("query[A] many.example from 192.0.2.2").Length - 1 >= 2, "dnsmasq should log the UDP and the TCP query");
        }
        finally
        {
            File.Delete(hosts);
            File.Delete(pcap);
        }
    }

    /// <summary>
    /// A kernel UDP server on 192.0.2.1:53 that answers every query with forgeries first (wrong ID, another name,
    /// the other type, the right answer from port 5353), then the true answer, and logs each query's ID and port.
    /// </summary>
    private const string ForgingServer = """
        import socket, struct
        s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM); s.bind(("192.0.2.1", 53))
        stray = socket.socket(socket.AF_INET, socket.SOCK_DGRAM); stray.bind(("192.0.2.1", 5353))
        def name(text):
            return b"".join(bytes([len(l)]) + l.encode() for l in text.split(".")) + b"\0"
        def address(qtype, last):
            return socket.inet_pton(socket.AF_INET, "192.0.2.%d" % last) if qtype == 1 else socket.inet_pton(socket.AF_INET6, "2001:db8::%d" % last)
        def response(qid, qname, qtype, last):
            rdata = address(qtype, last)
            return (struct.pack(">HHHHHH", qid, 0x8180, 1, 1, 0, 0) + name(qname) + struct.pack(">HH", qtype, 1)
                + b"\xc0\x0c" + struct.pack(">HHIH", qtype, 1, 60, len(rdata)) + rdata)
        print("ready", flush=True)
        while True:
            data, peer = s.recvfrom(512)
            qid, qtype = struct.unpack(">H", data[:2])[0], struct.unpack(">H", data[-4:-2])[0]
            labels, i = [], 12
            while data[i]:
                labels.append(data[i + 1:i + 1 + data[i]].decode()); i += 1 + data[i]
            qname = ".".join(labels)
            print("query id=%d port=%d type=%d" % (qid, peer[1], qtype), flush=True)
            s.sendto(response((qid + 1) & 0xFFFF, qname, qtype, 66), peer)
            s.sendto(response(qid, "evil." + qname, qtype, 66), peer)
            s.sendto(response(qid, qname, 28 if qtype == 1 else 1, 66), peer)
            stray.sendto(response(qid, qname, qtype, 66), peer)
            s.sendto(response(qid, qname, qtype, 10), peer)
        """;

    [SkippableFact]
    public void Forged_answers_are_ignored_and_every_query_has_its_own_random_ID_and_port()
    {
        TapRequirement.Check("python3", "dotnet");
        using var ns = TestNamespace.Create(taps: 1);
        var script = UdpInteropTests.WriteScript("forger.py", ForgingServer);
        try
        {
            using var server = ns.StartBackground($"exec python3 {script}");
            server.WaitForOutput("ready");
            for (int run = 0; run < 2; run++)
            {
                var (code, stdout, stderr) = Run(ns, $"{Stack} resolve www.example --server 192.0.2.1 {StackArgs}");
                Assert.Equal(0, code);
                Assert.Equal("www.example\t60\tIN\tA\t192.0.2.10\nwww.example\t60\tIN\tAAAA\t2001:db8::10\n", stdout);
                // Per query: one wrong ID, two wrong questions, one from the wrong port (more if a query was sent again).
                Assert.Matches(@"ignored WrongServer=\d+, WrongId=\d+, WrongQuestion=\d+", stderr);
            }
            output.WriteLine(server.StdOut);
            var queries = server.StdOut.Split('\n', StringSplitOptions.RemoveEmptyEntries).Where(l => l.StartsWith("query", StringComparison.Ordinal))
                .Select(l => l.Split(' ')).Select(f => (Id: f[1], Port: int.Parse(f[2]["port=".Length..], CultureInfo.InvariantCulture))).ToList();
            Assert.True(queries.Count >= 4, "two runs, A and AAAA each");
            Assert.Equal(queries.Count, queries.Select(q => q.Id).Distinct().Count());
            Assert.Equal(queries.Count, queries.Select(q => q.Port).Distinct().Count());
            Assert.All(queries, q => Assert.InRange(q.Port, 49152, 65535));
        }
        finally
        {
            File.Delete(script);
        }
    }
}
