using System.Text;
using Stack.IP;
using Stack.Link.Diagnostics;
using Stack.Udp.Ports;
using static Stack.Tests.Udp.UdpHarness;

namespace Stack.Tests.Udp;

/// <summary>
/// A multi-queue stack's UDP hand-off (<see cref="Stack.Udp.UdpLayer.HandOff"/>): a unicast datagram no endpoint here
/// takes is offered to another shard before port unreachable answers it; one an endpoint takes, or a broadcast,
/// never is.
/// </summary>
public sealed class UdpHandOffTests
{
    private readonly List<int> _offered = [];

    private UdpHarness Harness(bool takes)
    {
        var u = new UdpHarness();
        u.Udp.HandOff = (in IpDatagram d) =>
        {
            _offered.Add(d.Packet.Length);
            return takes;
        };
        return u;
    }

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public void A_datagram_for_no_endpoint_here_is_handed_off_and_answers_nothing(bool v6)
    {
        var u = Harness(takes: true);
        u.LearnPeer(v6);
        u.Inject(Datagram(Peer(v6), Our(v6), 5000, 4444, Encoding.ASCII.GetBytes("reply")));
        u.H.ExpectNothing();
        Assert.Equal([(v6 ? 40 : 20) + 8 + 5], _offered);
        Assert.Equal((1L, 0L), (u.Udp.Statistics.HandedOff, u.Udp.Statistics.NoPorts));
        Assert.Equal(0, u.H.Host.Rejects[Layer.Udp, RejectReason.NoListener]);
    }

    [Fact]
    public void When_every_shard_has_declined_the_last_answers_port_unreachable()
    {
        var u = Harness(takes: false);
        u.LearnPeer(false);
        u.Inject(Datagram(Peer(false), Our(false), 5000, 4444, [1]));
        Assert.Single(_offered);
        u.H.Next(); // port unreachable
        Assert.Equal((0L, 1L), (u.Udp.Statistics.HandedOff, u.Udp.Statistics.NoPorts));
    }

    [Fact]
    public void A_datagram_an_endpoint_takes_and_a_broadcast_are_never_offered()
    {
        var u = Harness(takes: true);
        u.Bound(Any(false), 7);
        u.Inject(Datagram(Peer(false), Our(false), 5000, 7, [1]));
        u.Inject(Datagram(Peer(false), IpAddress.Parse("192.0.2.255"), 5000, 4444, [1]));
        Assert.Empty(_offered);
        Assert.Equal(1, u.Udp.Statistics.DatagramsReceived);
    }

    [Fact]
    public void A_shard_s_ephemeral_ports_come_from_its_slice()
    {
        var u = new UdpHarness();
        u.Udp.EphemeralRange = (57344, 61439);
        for (int i = 0; i < 200; i++) Assert.InRange(u.Bound(Any(i % 2 == 0), 0).LocalPort, (ushort)57344, (ushort)61439);
        Assert.Throws<ArgumentOutOfRangeException>(() => u.Udp.EphemeralRange = (2000, 1024));
        Assert.Throws<ArgumentOutOfRangeException>(() => u.Udp.EphemeralRange = (60000, 59999));
        Assert.Equal((RandomPorts.First, RandomPorts.Last), new UdpHarness().Udp.EphemeralRange);
    }
}
