using Stack.Sockets.Simulation;
using Stack.IP;
using Stack.IP.Routing;
using Stack.Link.Wire;
using Stack.Tcp;

namespace Stack.Tests.Apps;

public sealed class VirtualNetworkTests
{
    private static (VirtualNetwork Net, VirtualHost A, VirtualHost B) Pair()
    {
        var net = new VirtualNetwork();
        var a = net.AddHost(new IpHostOptions { Mac = new MacAddress(0x0200_0000_0001UL), Addresses = [InterfaceAddress.Parse("192.0.2.1/24")] }, seed: 1);
        var b = net.AddHost(new IpHostOptions { Mac = new MacAddress(0x0200_0000_0002UL), Addresses = [InterfaceAddress.Parse("192.0.2.2/24")] }, seed: 2);
        return (net, a, b);
    }

    private static (long Frames, uint Iss, double Seconds) Handshake()
    {
        var (net, a, b) = Pair();
        var listener = b.Tcp.Listen(IpAddress.Parse("192.0.2.2"), 80, 4);
        var client = a.Tcp.Connect(null, 0, IpAddress.Parse("192.0.2.2"), 80, null, net.Now);
        TcpConnection? server = null;
        Assert.True(net.RunUntil(() => listener.TryAccept(out server), TimeSpan.FromSeconds(5)));
        Assert.Equal(TcpState.Established, client.State);
        Assert.Equal(TcpState.Established, server!.State);
        return (net.FramesDelivered, client.Iss.Value, (net.Now - Stack.Link.Time.Instant.FromMilliseconds(1000)).TotalSeconds);
    }

    [Fact]
    public void Two_stacks_open_a_connection_and_every_run_is_the_same()
    {
        var first = Handshake();
        Assert.Equal(first, Handshake());
        Assert.True(first.Frames >= 5, "ARP request and reply, SYN, SYN-ACK, ACK");
    }

    [Fact]
    public void A_connection_to_a_closed_port_is_refused_in_virtual_time()
    {
        var (net, a, _) = Pair();
        var client = a.Tcp.Connect(null, 0, IpAddress.Parse("192.0.2.2"), 81, null, net.Now);
        Assert.True(net.RunUntil(() => client.Error is not null, TimeSpan.FromSeconds(5)));
        Assert.Equal(System.Net.Sockets.SocketError.ConnectionRefused, client.Error);
    }

    [Fact]
    public void An_impaired_network_gives_the_same_run_for_the_same_seed()
    {
        var spec = new Stack.Link.Devices.Impairment.ImpairmentSpec { Loss = 0.1, Duplicate = 0.02, Reorder = 0.05, Seed = 42 };
        var first = Stack.Tests.Tcp.ImpairedTransferTests.Transfer(1, 1 << 20, TcpConfig.Default, spec);
        var second = Stack.Tests.Tcp.ImpairedTransferTests.Transfer(1, 1 << 20, TcpConfig.Default, spec);
        Assert.Equal(first, second);
        Assert.True(first.Retransmissions > 0, "the impairment lost something");
        var other = Stack.Tests.Tcp.ImpairedTransferTests.Transfer(1, 1 << 20, TcpConfig.Default, spec with { Seed = 43 });
        Assert.NotEqual(first.Virtual, other.Virtual);
    }
}
