using System.Net;
using System.Net.Sockets;
using System.Text;
using Stack.IP.Routing;
using Stack.Link.Devices.Impairment;
using Stack.Link.Devices.Memory;
using Stack.Link.Wire;
using Stack.Sockets;
using Stack.Sockets.Hosting;
using Stack.Tcp;
using Stack.Tcp.Congestion;
using Stack.Tests.Support;

namespace Stack.Tests.Sockets;

/// <summary>Bringing a stack up from <see cref="StackOptions"/>, as a program that embeds the library does.</summary>
public sealed class StackOptionsTests : IDisposable
{
    private static readonly TimeSpan Patience = TimeSpan.FromSeconds(10);
    private readonly string _dir = Directory.CreateTempSubdirectory("stack-options-").FullName;

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public async Task Two_stacks_from_options_talk_TCP_and_the_trace_records_it(bool v6)
    {
        var (linkA, linkB) = MemoryLink.CreatePair();
        var trace = Path.Combine(_dir, "a.pcap");
        using (var a = StackInstance.Start(MemoryStacks.Options(linkA, 2) with { PcapFile = trace, Name = "client" }))
        using (var b = StackInstance.Start(MemoryStacks.Options(linkB, 3) with { Tcp = TcpConfig.Default with { CongestionControl = CongestionControlKind.NewReno } }))
        {
            Assert.Equal("client", a.Name);
            Assert.Equal(linkB.Name, b.Name);
            Assert.Equal(CongestionControlKind.NewReno, b.Tcp.DefaultConfig.CongestionControl);
            var family = v6 ? AddressFamily.InterNetworkV6 : AddressFamily.InterNetwork;
            using var listener = StackSocket.Create(b, family, SocketType.Stream);
            listener.Bind(new IPEndPoint(v6 ? IPAddress.IPv6Any : IPAddress.Any, 7));
            listener.Listen(1);
            var accepting = listener.AcceptAsync();
            using var client = StackSocket.Create(a, family, SocketType.Stream);
            await client.ConnectAsync(new IPEndPoint(IPAddress.Parse(v6 ? "2001:db8::3" : "192.0.2.3"), 7)).AsTask().WaitAsync(Patience);
            using var server = await accepting.AsTask().WaitAsync(Patience);
            await client.SendAsync(Encoding.ASCII.GetBytes("hi"));
            var got = new byte[2];
            Assert.Equal(2, await server.ReceiveAsync(got).AsTask().WaitAsync(Patience));
            Assert.Equal("hi", Encoding.ASCII.GetString(got));
        }
        // Disposing the stack closed the trace: a pcap header (magic a1b2c3d4, little-endian) and frames after it.
        var bytes = await File.ReadAllBytesAsync(trace);
        Assert.Equal(0xa1b2c3d4u, BitConverter.ToUInt32(bytes, 0));
        Assert.True(bytes.Length > 24 + 5 * (16 + 54), $"the trace holds {bytes.Length} bytes: too few for a handshake and data");
    }

    [Fact]
    public void Busy_poll_is_off_by_default_reaches_the_loop_when_given_and_must_be_within_a_second()
    {
        var (linkA, linkB) = MemoryLink.CreatePair();
        using (var a = StackInstance.Start(MemoryStacks.Options(linkA, 2)))
            Assert.Equal(TimeSpan.Zero, a.Loop.BusyPoll);
        using (var b = StackInstance.Start(MemoryStacks.Options(linkB, 3) with { BusyPoll = TimeSpan.FromMicroseconds(50) }))
            Assert.Equal(TimeSpan.FromMicroseconds(50), b.Loop.BusyPoll);
        var (linkC, _) = MemoryLink.CreatePair();
        Assert.Throws<ArgumentException>(() => (MemoryStacks.Options(linkC, 2) with { BusyPoll = TimeSpan.FromTicks(-10) }).Validate());
        Assert.Throws<ArgumentException>(() => (MemoryStacks.Options(linkC, 2) with { BusyPoll = TimeSpan.FromSeconds(2) }).Validate());
        linkC.Dispose();
    }

    [Fact]
    public async Task An_impairment_that_drops_everything_keeps_the_handshake_from_completing()
    {
        var (linkA, linkB) = MemoryLink.CreatePair();
        using var a = StackInstance.Start(MemoryStacks.Options(linkA, 2) with { Impairment = new ImpairmentSpec { Loss = 1.0 } });
        using var b = StackInstance.Start(MemoryStacks.Options(linkB, 3));
        using var listener = StackSocket.Create(b, AddressFamily.InterNetwork, SocketType.Stream);
        listener.Bind(new IPEndPoint(IPAddress.Any, 7));
        listener.Listen(1);
        using var client = StackSocket.Create(a, AddressFamily.InterNetwork, SocketType.Stream);
        var connecting = client.ConnectAsync(new IPEndPoint(IPAddress.Parse("192.0.2.3"), 7)).AsTask();
        // The stack's device is the impairment around the port: what a sends (ARP for b, then nothing else can go)
        // is lost there, and b never hears of it.
        var impaired = Assert.IsType<ImpairedDevice>(a.Device);
        var deadline = DateTime.UtcNow + Patience;
        while (Interlocked.Read(ref impaired.Outbound.Lost) < 2 && DateTime.UtcNow < deadline) await Task.Delay(10);
        Assert.True(Interlocked.Read(ref impaired.Outbound.Lost) >= 2, "a's ARP requests should have been dropped");
        Assert.Equal(0, linkB.FramesReceived);
        Assert.False(connecting.IsCompleted);
    }

    public static TheoryData<string, string> BadOptions => new()
    {
        { "none", "Addresses" },
        { "multicast", "Addresses" },
        { "unspecified", "Addresses" },
        { "mac", "Mac" },
        { "mtu-v6", "Mtu" },
        { "mtu-huge", "Mtu" },
        { "ports-reversed", "LocalPortRange" },
        { "port-zero", "LocalPortRange" },
    };

    [Theory]
    [MemberData(nameof(BadOptions))]
    public void Options_that_cannot_work_are_refused_before_the_link_opens(string what, string property)
    {
        var (port, other) = MemoryLink.CreatePair();
        using var _ = other;
        var options = MemoryStacks.Options(port, 2);
        options = what switch
        {
            "none" => options with { Addresses = [], Autoconf = null },
            "multicast" => options with { Addresses = [InterfaceAddress.Parse("224.0.0.5/24")] },
            "unspecified" => options with { Addresses = [InterfaceAddress.Parse("::/64")] },
            "mac" => options with { Mac = MacAddress.Broadcast },
            "mtu-v6" => options with { Mtu = 1000 },
            "ports-reversed" => options with { LocalPortRange = (50010, 50000) },
            "port-zero" => options with { LocalPortRange = (0, 100) },
            _ => options with { Mtu = 9001 },
        };
        var e = Assert.Throws<ArgumentException>(() => StackInstance.Start(options));
        Assert.Equal(property, e.ParamName);
        port.Dispose();
    }

    [Fact]
    public void An_ipv4_only_stack_may_run_below_the_ipv6_minimum_mtu()
    {
        var (port, other) = MemoryLink.CreatePair(mtu: 576);
        using var _ = other;
        using var stack = StackInstance.Start(MemoryStacks.Options(port, 2) with { Addresses = [InterfaceAddress.Parse("192.0.2.2/24")], Mtu = 576 });
        Assert.Equal(576, stack.Host.Mtu);
    }

    [Fact]
    public async Task Connects_and_binds_to_port_0_take_their_ports_from_the_local_port_range()
    {
        var (linkA, linkB) = MemoryLink.CreatePair();
        using var a = StackInstance.Start(MemoryStacks.Options(linkA, 2) with { LocalPortRange = (40000, 40003) });
        using var b = StackInstance.Start(MemoryStacks.Options(linkB, 3));
        using var listener = StackSocket.Create(b, AddressFamily.InterNetwork, SocketType.Stream);
        listener.Bind(new IPEndPoint(IPAddress.Any, 7));
        listener.Listen(8);

        var clients = new List<StackSocket>();
        for (int i = 0; i < 4; i++)
        {
            var client = StackSocket.Create(a, AddressFamily.InterNetwork, SocketType.Stream);
            await client.ConnectAsync(new IPEndPoint(IPAddress.Parse("192.0.2.3"), 7)).AsTask().WaitAsync(Patience);
            clients.Add(client);
        }
        Assert.Equal([40000, 40001, 40002, 40003], clients.Select(c => c.LocalEndPoint!.Port).Order());
        // The range is used up by live connections to the one destination: the next connect finds no port.
        using var fifth = StackSocket.Create(a, AddressFamily.InterNetwork, SocketType.Stream);
        var e = await Assert.ThrowsAsync<StackSocketException>(() => fifth.ConnectAsync(new IPEndPoint(IPAddress.Parse("192.0.2.3"), 7)).AsTask().WaitAsync(Patience));
        Assert.Equal(SocketError.AddressNotAvailable, e.SocketErrorCode);
        // UDP's ports are its own; a TCP bind to port 0 finds every port of the range held.
        using var udp = StackSocket.Create(a, AddressFamily.InterNetwork, SocketType.Dgram);
        udp.Bind(new IPEndPoint(IPAddress.Any, 0));
        Assert.InRange(udp.LocalEndPoint!.Port, 40000, 40003);
        using var tcp = StackSocket.Create(a, AddressFamily.InterNetwork, SocketType.Stream);
        Assert.Equal(SocketError.AddressNotAvailable, Assert.Throws<StackSocketException>(() => tcp.Bind(new IPEndPoint(IPAddress.Any, 0))).SocketErrorCode);
        foreach (var c in clients) c.Dispose();
    }

    public void Dispose() => Directory.Delete(_dir, recursive: true);
}
