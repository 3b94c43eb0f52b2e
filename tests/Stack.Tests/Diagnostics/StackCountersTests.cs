using System.Net.Sockets;
using Stack.IP;
using Stack.IP.Routing;
using Stack.IP.Wire;
using Stack.Link.Wire;
using Stack.Sockets.Diagnostics;
using Stack.Sockets.Simulation;
using Stack.Tcp;

namespace Stack.Tests.Diagnostics;

/// <summary>
/// The counter catalog over known exchanges between two hosts on a virtual network: each test takes the counters
/// of the host under test before and after, as nstat does, and states the whole difference.
/// </summary>
public sealed class StackCountersTests
{
    private static readonly MacAddress MacA = new(0x0200_0000_0001UL), MacB = new(0x0200_0000_0002UL);
    private static readonly IpAddress A = IpAddress.Parse("192.0.2.1"), B = IpAddress.Parse("192.0.2.2");

    private readonly VirtualNetwork _net = new();
    private readonly VirtualHost _a, _b;

    public StackCountersTests()
    {
        _a = _net.AddHost(new IpHostOptions { Mac = MacA, Addresses = [InterfaceAddress.Parse("192.0.2.1/24")] }, seed: 1);
        _b = _net.AddHost(new IpHostOptions { Mac = MacB, Addresses = [InterfaceAddress.Parse("192.0.2.2/24")] }, seed: 2);
        // Start-up traffic (gratuitous ARP, MLD reports for the link-local addresses) is over before a test begins.
        _net.RunUntil(() => false, TimeSpan.FromSeconds(30));
    }

    private static Dictionary<string, long> Read(VirtualHost h) =>
        StackCounters.Read(h.Ip, h.Udp, h.Tcp).ToDictionary(c => c.Name, c => c.Value);

    /// <summary>Counters that moved between two reads, as nstat prints them.</summary>
    private static Dictionary<string, long> Delta(Dictionary<string, long> before, Dictionary<string, long> after) =>
        after.Where(kv => kv.Value != before.GetValueOrDefault(kv.Key))
            .ToDictionary(kv => kv.Key, kv => kv.Value - before.GetValueOrDefault(kv.Key));

    private static void AssertDelta(Dictionary<string, long> expected, Dictionary<string, long> actual)
    {
        string Show(Dictionary<string, long> d) => string.Join(", ", d.OrderBy(kv => kv.Key).Select(kv => $"{kv.Key}={kv.Value}"));
        Assert.True(expected.Count == actual.Count && expected.All(kv => actual.GetValueOrDefault(kv.Key) == kv.Value),
            $"expected {Show(expected)}\nactual   {Show(actual)}");
    }

    [Fact]
    public void Names_are_unique_and_every_statistics_field_has_one()
    {
        var counters = StackCounters.Read(_b.Ip, _b.Udp, _b.Tcp);
        var names = counters.Select(c => c.Name).ToList();
        Assert.Equal(names.Count, names.Distinct().Count());
        Assert.All(names, n => Assert.Matches("^[A-Z][A-Za-z0-9]+$", n));
        // Every TcpStatistics field is counted under some name: the count of names grows with each new field.
        int tcpFields = typeof(TcpStatistics).GetFields().Count(f => f.FieldType == typeof(long));
        Assert.True(names.Count(n => n.StartsWith("Tcp", StringComparison.Ordinal) || n.StartsWith("StackTcp", StringComparison.Ordinal)) >= tcpFields);
        Assert.Contains(counters, c => c.Name == "TcpCurrEstab" && c.IsGauge);
        Assert.Contains(counters, c => c.Name == "StackRejectIpv4BadChecksum" && !c.IsGauge);
    }

    /// <summary>Families documented by their pattern (StackReject{Layer}{Reason}…) rather than name by name.</summary>
    private static readonly string[] Patterns =
        ["StackReject", "IcmpMsgInType", "IcmpMsgOutType", "Icmp6InType", "Icmp6OutType", "StackIpReasmDrop", "StackIp6Reasm", "StackTcpCurr", "StackDhcpOut", "StackDhcpReject", "StackDnsReject", "StackAutoconf"];

    [Fact]
    public void Docs_name_every_counter()
    {
        var doc = File.ReadAllText(Path.Combine(Stack.Tests.Support.TestNamespace.RepoRoot, "docs", "metrics.md"));
        var missing = StackCounters.Read(_b.Ip, _b.Udp, _b.Tcp).Select(c => c.Name)
            .Where(n => !Patterns.Any(p => n.StartsWith(p, StringComparison.Ordinal)))
            .Where(n => !System.Text.RegularExpressions.Regex.IsMatch(doc, $@"\b{n}\b"))
            .ToList();
        Assert.True(missing.Count == 0, "docs/metrics.md does not name " + string.Join(", ", missing));
    }

    [Fact]
    public void A_ping_counts_an_echo_in_and_a_reply_out()
    {
        var before = Read(_b);
        long replies = 0;
        _a.Ip.EchoReply += (_, _, _, _, _) => replies++;
        _a.Ip.SendEchoRequest(B, 7, 1, "ping"u8, _net.Now);
        Assert.True(_net.RunUntil(() => replies == 1, TimeSpan.FromSeconds(5)));
        AssertDelta(new()
        {
            ["IpInReceives"] = 1, ["IpInDelivers"] = 1, ["IpOutRequests"] = 1,
            ["IcmpInMsgs"] = 1, ["IcmpInEchos"] = 1, ["IcmpMsgInType8"] = 1,
            ["IcmpOutMsgs"] = 1, ["IcmpOutEchoReps"] = 1, ["IcmpMsgOutType0"] = 1,
            ["StackIpFramesReceived"] = 2, // A's ARP request, then its echo request
            ["StackIpPacketsSent"] = 1, ["StackArpEntries"] = 1,
        }, Delta(before, Read(_b)));
    }

    [Fact]
    public void A_datagram_to_a_closed_port_counts_no_port_and_a_port_unreachable()
    {
        var before = Read(_b);
        var beforeA = Read(_a);
        var endpoint = _a.Udp.Open(AddressFamily.InterNetwork);
        Assert.Equal(SocketError.Success, _a.Udp.SendTo(endpoint, B, 9999, "hello"u8, _net.Now));
        _net.RunUntil(() => false, TimeSpan.FromSeconds(1));
        AssertDelta(new()
        {
            ["IpInReceives"] = 1, ["IpInDelivers"] = 1, ["IpOutRequests"] = 1,
            ["UdpNoPorts"] = 1, ["StackRejectUdpNoListener"] = 1,
            ["IcmpOutMsgs"] = 1, ["IcmpOutDestUnreachs"] = 1, ["IcmpMsgOutType3"] = 1, ["StackIcmpErrorsSent"] = 1,
            ["StackIpFramesReceived"] = 2, ["StackIpPacketsSent"] = 1, ["StackArpEntries"] = 1,
        }, Delta(before, Read(_b)));
        var a = Delta(beforeA, Read(_a));
        Assert.Equal(1, a["UdpOutDatagrams"]);
        Assert.Equal(1, a["IcmpInDestUnreachs"]);
        Assert.Equal(1, a["IcmpMsgInType3"]);
    }

    [Fact]
    public void A_frame_with_a_bad_IPv4_header_checksum_counts_a_header_and_a_checksum_error()
    {
        var frame = new byte[EthernetFrame.HeaderLength + Ipv4Header.MinLength + 8];
        EthernetFrame.WriteHeader(frame, MacB, MacA, EtherType.Ipv4);
        new Ipv4Repr(A.V4, B.V4, IpProtocol.Udp, 8).Write(frame.AsSpan(EthernetFrame.HeaderLength));
        frame[EthernetFrame.HeaderLength + 10] ^= 0xFF;
        var before = Read(_b);
        _b.Ip.OnFrame(frame, _net.Now);
        AssertDelta(new()
        {
            ["IpInReceives"] = 1, ["IpInHdrErrors"] = 1, ["IpExtInCsumErrors"] = 1,
            ["StackRejectIpv4BadChecksum"] = 1, ["StackIpFramesReceived"] = 1,
        }, Delta(before, Read(_b)));
    }

    [Fact]
    public void An_IPv6_ping_counts_the_neighbour_solicitation_and_the_echo_by_type()
    {
        var net = new VirtualNetwork();
        var a = net.AddHost(new IpHostOptions { Mac = MacA, Addresses = [InterfaceAddress.Parse("2001:db8::1/64")] }, seed: 1);
        var b = net.AddHost(new IpHostOptions { Mac = MacB, Addresses = [InterfaceAddress.Parse("2001:db8::2/64")] }, seed: 2);
        net.RunUntil(() => false, TimeSpan.FromSeconds(30));
        var before = Read(b);
        long replies = 0;
        a.Ip.EchoReply += (_, _, _, _, _) => replies++;
        a.Ip.SendEchoRequest(IpAddress.Parse("2001:db8::2"), 7, 1, "ping"u8, net.Now);
        Assert.True(net.RunUntil(() => replies == 1, TimeSpan.FromSeconds(5)));
        AssertDelta(new()
        {
            // A's neighbour solicitation for B, then its echo request; B's advertisement, then its echo reply.
            ["Ip6InReceives"] = 2, ["Ip6InDelivers"] = 2, ["Ip6OutRequests"] = 2,
            ["Icmp6InMsgs"] = 2, ["Icmp6InNeighborSolicits"] = 1, ["Icmp6InType135"] = 1, ["Icmp6InEchos"] = 1, ["Icmp6InType128"] = 1,
            ["Icmp6OutMsgs"] = 2, ["Icmp6OutNeighborAdvertisements"] = 1, ["Icmp6OutType136"] = 1,
            ["Icmp6OutEchoReplies"] = 1, ["Icmp6OutType129"] = 1,
            ["StackIpFramesReceived"] = 2, ["StackIpPacketsSent"] = 2, ["StackNdpEntries"] = 1,
        }, Delta(before, Read(b)));
    }

    [Fact]
    public void A_segment_with_a_bad_TCP_checksum_is_in_InSegs_and_InErrs_as_on_Linux()
    {
        var tcp = new byte[20];
        tcp[0] = 0x30; tcp[1] = 0x39; tcp[3] = 80; // ports 12345 -> 80
        tcp[12] = 5 << 4; tcp[13] = 0x02; // SYN, checksum left zero: wrong
        var frame = new byte[EthernetFrame.HeaderLength + Ipv4Header.MinLength + tcp.Length];
        EthernetFrame.WriteHeader(frame, MacB, MacA, EtherType.Ipv4);
        new Ipv4Repr(A.V4, B.V4, IpProtocol.Tcp, tcp.Length).Write(frame.AsSpan(EthernetFrame.HeaderLength));
        tcp.CopyTo(frame, EthernetFrame.HeaderLength + Ipv4Header.MinLength);
        var before = Read(_b);
        _b.Ip.OnFrame(frame, _net.Now);
        AssertDelta(new()
        {
            ["IpInReceives"] = 1, ["IpInDelivers"] = 1,
            ["TcpInSegs"] = 1, ["TcpInErrs"] = 1, ["TcpInCsumErrors"] = 1,
            ["StackRejectTcpBadChecksum"] = 1, ["StackIpFramesReceived"] = 1,
        }, Delta(before, Read(_b)));
    }

    [Fact]
    public void A_connection_counts_its_opens_segments_bytes_and_states_like_Linux()
    {
        const int Total = 100_000;
        var beforeA = Read(_a);
        var beforeB = Read(_b);
        var listener = _b.Tcp.Listen(B, 5001, 4);
        var client = _a.Tcp.Connect(null, 0, B, 5001, null, _net.Now);
        TcpConnection? server = null;
        Assert.True(_net.RunUntil(() => listener.TryAccept(out server), TimeSpan.FromSeconds(5)));
        Assert.Equal(1, Read(_a)["TcpCurrEstab"]);
        Assert.Equal(1, Read(_b)["TcpCurrEstab"]);
        Assert.Equal(1, Read(_b)["StackTcpCurrEstablished"]);
        Assert.Equal(1, Read(_b)["StackTcpListeners"]);

        var data = new byte[Total];
        new Random(5).NextBytes(data);
        int sent = 0, received = 0;
        var sink = new byte[16384];
        while (!server!.IsEndOfStream)
        {
            if (sent < Total) sent += client.Send(data.AsSpan(sent), _net.Now);
            else if (client.State == TcpState.Established) client.Shutdown(SocketShutdown.Send, _net.Now);
            int r;
            while ((r = server.Receive(sink, _net.Now)) > 0) received += r;
            Assert.True(_net.Step());
        }
        Assert.Equal(Total, received);
        // The server has the client's FIN: CLOSE-WAIT is still "established" to Linux's CurrEstab.
        Assert.Equal(TcpState.CloseWait, server.State);
        Assert.Equal(1, Read(_b)["TcpCurrEstab"]);
        Assert.Equal(1, Read(_b)["StackTcpCurrCloseWait"]);
        server.Close(_net.Now);
        Assert.True(_net.RunUntil(() => server.State == TcpState.Closed, TimeSpan.FromSeconds(5)));

        var a = Delta(beforeA, Read(_a));
        var b = Delta(beforeB, Read(_b));
        Assert.Equal(1, a["TcpActiveOpens"]);
        Assert.Equal(1, b["TcpPassiveOpens"]);
        Assert.Equal(1, b["StackTcpSynRecvOpens"]);
        Assert.Equal(Total, a["StackTcpBytesSent"]);
        Assert.Equal(Total, b["StackTcpBytesReceived"]);
        Assert.False(b.ContainsKey("StackTcpBytesSent"), "the server sent no data");
        // A lossless wire: every segment one sent the other took in, each in one IPv4 datagram.
        Assert.Equal(a["TcpOutSegs"], b["TcpInSegs"]);
        Assert.Equal(b["TcpOutSegs"], a["TcpInSegs"]);
        Assert.Equal(b["TcpInSegs"], b["IpInReceives"]);
        Assert.Equal(b["TcpOutSegs"], b["IpOutRequests"]);
        Assert.True(b["TcpInSegs"] >= Total / 1460, $"{b["TcpInSegs"]} segments for {Total} bytes");
        foreach (var quiet in new[] { "TcpRetransSegs", "TcpAttemptFails", "TcpEstabResets", "TcpOutRsts", "TcpInErrs", "TcpCurrEstab" })
        {
            Assert.False(a.ContainsKey(quiet), $"client {quiet} {a.GetValueOrDefault(quiet)}");
            Assert.False(b.ContainsKey(quiet), $"server {quiet} {b.GetValueOrDefault(quiet)}");
        }
        // The client closed first: it holds TIME-WAIT; the server's connection is gone.
        Assert.Equal(TcpState.TimeWait, client.State);
        Assert.Equal(1, Read(_a)["StackTcpCurrTimeWait"]);
        Assert.All(Read(_b).Where(kv => kv.Key.StartsWith("StackTcpCurr", StringComparison.Ordinal)), kv => Assert.Equal(0, kv.Value));
    }

    /// <summary>
    /// The per-state gauges are moved at each transition, not counted from the table: through loss, resets, aborts
    /// and TIME-WAIT they must still sum to the connections in the table after every step, and to zero at the end.
    /// </summary>
    [Fact]
    public void The_connection_gauges_balance_with_the_table_through_a_lossy_run()
    {
        _net.Impair(new Stack.Link.Devices.Impairment.ImpairmentSpec { Loss = 0.05, Duplicate = 0.02, Reorder = 0.05, Seed = 11 });
        var random = new Random(11);
        var listener = _b.Tcp.Listen(B, 6000, 64);
        var clients = new List<TcpConnection>();
        var servers = new List<TcpConnection>();
        var chunk = new byte[3000];
        var sink = new byte[65536];
        var seen = new HashSet<TcpState>();
        _a.Tcp.ConnectionCreated += c => c.StateChanged += (_, t) => seen.Add(t.From);
        _b.Tcp.ConnectionCreated += c => c.StateChanged += (_, t) => seen.Add(t.From);
        long Sum(VirtualHost h) => Read(h).Where(kv => kv.Key.StartsWith("StackTcpCurr", StringComparison.Ordinal)).Sum(kv => kv.Value);
        for (int step = 0; step < 20_000 && (step < 2_000 || _a.Tcp.ConnectionCount + _b.Tcp.ConnectionCount > 0); step++)
        {
            if (step < 2_000 && step % 100 == 0) clients.Add(_a.Tcp.Connect(null, 0, B, 6000, null, _net.Now));
            while (listener.TryAccept(out var accepted)) servers.Add(accepted);
            foreach (var server in servers.Where(c => c.Error is null && c.State != TcpState.Closed))
            {
                while (server.Receive(sink, _net.Now) > 0) { }
                if (server.IsEndOfStream && server.State == TcpState.CloseWait) server.Close(_net.Now); // to LAST-ACK
            }
            if (step % 50 == 25)
            {
                foreach (var c in clients.Where(c => c.State is TcpState.Established or TcpState.CloseWait))
                {
                    switch (random.Next(10))
                    {
                        case < 6: c.Send(chunk, _net.Now); break;
                        case < 9: c.Close(_net.Now); break;
                        default: c.Abort(_net.Now); break;
                    }
                }
                foreach (var server in servers.Where(c => c.State == TcpState.Established && random.Next(20) == 0)) server.Close(_net.Now);
            }
            if (step == 2_000) foreach (var c in clients.Concat(servers)) c.Close(_net.Now);
            if (!_net.Step() && step > 2_000) break; // Idle before the last connect: the loop goes on to it.
            Assert.Equal(_a.Tcp.ConnectionCount, Sum(_a));
            Assert.Equal(_b.Tcp.ConnectionCount, Sum(_b));
        }
        Assert.True(clients.Count == 20 && servers.Count > 10, $"{clients.Count} connects, {servers.Count} accepted");
        Assert.True(Read(_a)["TcpEstabResets"] > 0, "some connections were reset");
        TcpState[] required = [TcpState.SynSent, TcpState.SynReceived, TcpState.Established, TcpState.FinWait1, TcpState.FinWait2,
            TcpState.CloseWait, TcpState.LastAck, TcpState.TimeWait];
        Assert.True(required.All(seen.Contains), "states left: " + string.Join(", ", seen));
        Assert.Equal(0, Sum(_a));
        Assert.Equal(0, Sum(_b));
    }

    [Fact]
    public void A_refused_connect_is_an_attempt_fail_and_a_reset_is_an_established_reset()
    {
        var client = _a.Tcp.Connect(null, 0, B, 81, null, _net.Now);
        Assert.True(_net.RunUntil(() => client.Error is not null, TimeSpan.FromSeconds(5)));
        var a = Read(_a);
        Assert.Equal(1, a["TcpAttemptFails"]);
        Assert.Equal(1, Read(_b)["TcpOutRsts"]);

        var listener = _b.Tcp.Listen(B, 5002, 4);
        var second = _a.Tcp.Connect(null, 0, B, 5002, null, _net.Now);
        TcpConnection? server = null;
        Assert.True(_net.RunUntil(() => listener.TryAccept(out server), TimeSpan.FromSeconds(5)));
        second.Abort(_net.Now);
        Assert.True(_net.RunUntil(() => server!.State == TcpState.Closed, TimeSpan.FromSeconds(5)));
        Assert.Equal(1, Read(_a)["TcpEstabResets"]);
        Assert.Equal(1, Read(_b)["TcpEstabResets"]);
        Assert.Equal(0, Read(_b)["TcpCurrEstab"]);
        Assert.Equal(1, Read(_a)["TcpAttemptFails"]);
    }
}
