using System.Net.Sockets;
using Stack.IP;
using Stack.Sockets.Hosting;
using Stack.Tests.Support;
using Stack.Udp;
using Xunit.Abstractions;

namespace Stack.Tests.Interop;

/// <summary>
/// MLD and IGMP against the Linux bridge's own querier and snooping in a namespace the test creates: the bridge's
/// multicast database lists the groups the stack on tap0 reports, and the kernel's multicast UDP on br0 reaches a
/// stack endpoint while it is in the group, and no longer once it left.
/// </summary>
public sealed class MulticastInteropTests(ITestOutputHelper output)
{
    private const ushort Port = 5000;
    private static readonly IpAddress Group6 = IpAddress.Parse("ff02::1234");
    private static readonly IpAddress Group4 = IpAddress.Parse("239.1.2.3");
    private static readonly TimeSpan Patience = TimeSpan.FromSeconds(8);

    /// <summary>From the kernel host on br0: one datagram to each group, with the interface named (no routes needed).</summary>
    private const string KernelSender = """
        python3 -c "
        import socket, sys
        text = sys.argv[1].encode()
        idx = socket.if_nametoindex('br0')
        s6 = socket.socket(socket.AF_INET6, socket.SOCK_DGRAM)
        s6.setsockopt(socket.IPPROTO_IPV6, socket.IPV6_MULTICAST_IF, idx)
        s6.sendto(text + b'6', ('ff02::1234', 5000, 0, idx))
        s4 = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        s4.setsockopt(socket.IPPROTO_IP, socket.IP_MULTICAST_IF, socket.inet_aton('192.0.2.1'))
        s4.sendto(text + b'4', ('239.1.2.3', 5000))
        " 
        """;

    [SkippableTheory]
    [InlineData(2, 3)] // MLDv2 and IGMPv3 queriers
    [InlineData(1, 2)] // the bridge's defaults: MLDv1 and IGMPv2, so the stack speaks in compatibility mode
    public void Bridge_querier_lists_the_stacks_groups_and_kernel_multicast_reaches_a_joined_endpoint_until_it_leaves(int mld, int igmp)
    {
        TapRequirement.Check("bridge", "python3");
        using var ns = TestNamespace.Create(taps: 1);
        // Times in centiseconds: a query a second, answers within half of one.
        ns.ExecOk("ip link set br0 type bridge mcast_snooping 1 mcast_querier 1 mcast_query_interval 100 " +
                  $"mcast_query_response_interval 50 mcast_startup_query_interval 100 mcast_mld_version {mld} mcast_igmp_version {igmp}");
        using var stack = UdpInteropTests.StartStack(ns);
        var (e6, e4) = stack.InvokeAsync((_, now) =>
        {
            var e6 = stack.Udp.Open(AddressFamily.InterNetworkV6);
            var e4 = stack.Udp.Open(AddressFamily.InterNetwork);
            Assert.Equal(SocketError.Success, stack.Udp.Bind(e6, IpAddress.AnyV6, Port));
            Assert.Equal(SocketError.Success, stack.Udp.Bind(e4, IpAddress.AnyV4, Port));
            Assert.Equal(SocketError.Success, stack.Udp.JoinGroup(e6, Group6, now));
            Assert.Equal(SocketError.Success, stack.Udp.JoinGroup(e4, Group4, now));
            return (e6, e4);
        }).Result;

        // The solicited-node group of 2001:db8::2 (and of the link-local address), and both application groups.
        var mdb = WaitForMdb(ns, text => Has(text, "ff02::1:ff00:2") && Has(text, "ff02::1234") && Has(text, "239.1.2.3"));
        output.WriteLine(mdb);

        var received = SendUntilReceived(ns, stack, e6, e4);
        Assert.Contains("joined6", received);
        Assert.Contains("joined4", received);

        stack.InvokeAsync((_, now) =>
        {
            Assert.Equal(SocketError.Success, stack.Udp.LeaveGroup(e6, Group6, now));
            Assert.Equal(SocketError.Success, stack.Udp.LeaveGroup(e4, Group4, now));
            return 0;
        }).Wait();
        var (queries6, queries4, version6, version4) = stack.InvokeAsync((host, now) =>
            (host.Mld.QueriesReceived, host.Igmp.QueriesReceived, host.Mld.CompatibilityVersion(now), host.Igmp.CompatibilityVersion(now))).Result;
        Assert.True(queries6 > 0 && queries4 > 0, $"the stack heard {queries6} MLD and {queries4} IGMP queries");
        Assert.Equal((mld, igmp), (version6, version4));

        for (int i = 0; i < 3; i++) ns.ExecOk(KernelSender.Replace("sys.argv[1]", "'left'"));
        Thread.Sleep(500);
        var late = stack.InvokeAsync((_, _) => Drain(e6) + Drain(e4)).Result;
        Assert.Equal("", late);
        // The bridge drops the stack's port from both groups once it has heard the leave and its queries go unanswered.
        WaitForMdb(ns, text => !Has(text, "ff02::1234") && !Has(text, "239.1.2.3") && Has(text, "ff02::1:ff00:2"));
    }

    private static bool Has(string mdb, string group) =>
        mdb.Split('\n').Any(line => line.Contains("port tap0", StringComparison.Ordinal) && line.Contains($"grp {group} ", StringComparison.Ordinal));

    private string WaitForMdb(TestNamespace ns, Func<string, bool> ok)
    {
        var deadline = DateTime.UtcNow + Patience;
        string text = "";
        while (DateTime.UtcNow < deadline)
        {
            text = ns.ExecOk("bridge mdb show dev br0") + "\n";
            if (ok(text)) return text;
            Thread.Sleep(100);
        }
        output.WriteLine(text);
        Assert.Fail($"bridge mdb never showed what was expected:\n{text}");
        return text;
    }

    /// <summary>The first datagram may meet a bridge that has not yet learnt the group: send until both arrive.</summary>
    private static string SendUntilReceived(TestNamespace ns, StackInstance stack, UdpEndpoint e6, UdpEndpoint e4)
    {
        var deadline = DateTime.UtcNow + Patience;
        string got = "";
        while (DateTime.UtcNow < deadline && !(got.Contains("joined6", StringComparison.Ordinal) && got.Contains("joined4", StringComparison.Ordinal)))
        {
            ns.ExecOk(KernelSender.Replace("sys.argv[1]", "'joined'"));
            Thread.Sleep(100);
            got += stack.InvokeAsync((_, _) => Drain(e6) + Drain(e4)).Result;
        }
        return got;
    }

    private static string Drain(UdpEndpoint e)
    {
        var buffer = new byte[256];
        var text = "";
        while (e.TryReceive(buffer, out _, out int n)) text += System.Text.Encoding.ASCII.GetString(buffer, 0, n) + ";";
        return text;
    }
}
