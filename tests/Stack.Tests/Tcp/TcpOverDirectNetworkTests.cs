using System.Net.Sockets;
using Stack.IP;
using Stack.IP.Wire;
using Stack.Link.Diagnostics;
using Stack.Link.Time;
using Stack.Tcp;
using Stack.Tcp.Congestion;
using Stack.Tcp.Isn;
using Stack.Tcp.Ports;

namespace Stack.Tests.Tcp;

/// <summary>
/// TCP on the narrow interface it needs of IP (<see cref="IIpNetwork"/>): two layers joined by a queue of
/// datagrams, with no Ethernet, ARP, neighbour discovery or IP header beneath them.
/// </summary>
public sealed class TcpOverDirectNetworkTests
{
    private static readonly IpAddress A = IpAddress.Parse("2001:db8::1");
    private static readonly IpAddress B = IpAddress.Parse("2001:db8::2");

    /// <summary>Datagrams in flight between the two ends, delivered in order one hop-delay later.</summary>
    private sealed class Wire
    {
        public readonly Queue<(End To, IpAddress From, byte[] Payload, Instant At)> InFlight = new();
        public Instant Now = Instant.FromMilliseconds(1000);
        public int Dropped;
        public Func<int, bool> Drop = _ => false;
        public int Sent;
    }

    private sealed class End(Wire wire, IpAddress self) : IIpNetwork
    {
        public End Peer = null!;
        public IIpTransport? Transport;
        public readonly IpAddress Self = self;

        public int Mtu => 1500;
        public RejectCounters Rejects { get; } = new();
        public int PathMtu(IpAddress destination, Instant now) => Mtu;
        public int LowerPathMtu(IpAddress destination, int mtu, Instant now) => Mtu;
        public bool IsLocal(IpAddress address) => address == Self;
        public bool CanReach(IpAddress destination) => destination == Peer.Self;
        public IpAddress? SelectSource(IpAddress destination) => Self;
        public void Register(IpProtocol protocol, IIpTransport transport) => Transport = transport;

        public SendResult Send(IpAddress source, IpAddress destination, IpProtocol protocol, ReadOnlySpan<byte> payload,
            Instant now, byte? hopLimit = null, bool dontFragment = false, byte trafficClass = 0)
        {
            if (wire.Drop(wire.Sent++))
            {
                wire.Dropped++;
                return SendResult.Sent; // Lost on the way, as far as the sender can tell.
            }
            wire.InFlight.Enqueue((Peer, source, payload.ToArray(), now + TimeSpan.FromMicroseconds(50)));
            return SendResult.Sent;
        }
    }

    private static (Wire Wire, TcpLayer A, TcpLayer B) Pair(TcpConfig config)
    {
        var wire = new Wire();
        var a = new End(wire, A);
        var b = new End(wire, B);
        a.Peer = b;
        b.Peer = a;
        TcpLayer Layer(End end, int seed)
        {
            var random = new Random(seed);
            byte[] key = new byte[16];
            random.NextBytes(key);
            return new TcpLayer(end, new IsnGenerator(key), new EphemeralPorts(key, random: random), random) { DefaultConfig = config };
        }
        return (wire, Layer(a, 1), Layer(b, 2));
    }

    /// <summary>Delivers the next datagram, or runs the next timer; false when nothing is left to do.</summary>
    private static bool Step(Wire wire, TcpLayer a, TcpLayer b)
    {
        if (wire.InFlight.TryDequeue(out var d))
        {
            wire.Now = Instant.Max(wire.Now, d.At);
            var datagram = new IpDatagram(d.From, d.To.Self, IpProtocol.Tcp, 64, d.Payload, d.Payload, toGroup: false);
            d.To.Transport!.OnDatagram(datagram, wire.Now);
            return true;
        }
        Instant next = Instant.Min(a.NextDeadline, b.NextDeadline);
        if (next == Instant.Never)
        {
            return false;
        }
        wire.Now = Instant.Max(wire.Now, next);
        if (a.NextDeadline <= wire.Now) a.OnTimer(wire.Now);
        if (b.NextDeadline <= wire.Now) b.OnTimer(wire.Now);
        return true;
    }

    [Theory]
    [InlineData(CongestionControlKind.Cubic)]
    [InlineData(CongestionControlKind.Bbr)]
    public void Two_layers_open_move_a_mebibyte_through_loss_and_close_with_no_link_or_ip_beneath(CongestionControlKind cc)
    {
        var (wire, a, b) = Pair(TcpConfig.Default with { CongestionControl = cc, Msl = TimeSpan.FromSeconds(1) });
        var listener = b.Listen(B, 7, 1);
        var client = a.Connect(A, 0, B, 7, null, wire.Now);
        TcpConnection? server = null;
        for (int i = 0; i < 100 && !listener.TryAccept(out server); i++) Step(wire, a, b);
        Assert.NotNull(server);
        Assert.Equal(TcpState.Established, client.State);

        wire.Drop = n => n % 23 == 7; // Every 23rd datagram either way, from here on: data and ACKs.
        var data = new byte[1 << 20];
        new Random(3).NextBytes(data);
        var received = new MemoryStream();
        var buffer = new byte[65536];
        int sent = 0;
        for (int steps = 0; received.Length < data.Length && steps < 2_000_000; steps++)
        {
            if (sent < data.Length) sent += client.Send(data.AsSpan(sent), wire.Now);
            int n;
            while ((n = server!.Receive(buffer, wire.Now)) > 0) received.Write(buffer, 0, n);
            if (!Step(wire, a, b)) break;
        }
        Assert.Equal(data, received.ToArray());
        Assert.True(wire.Dropped > 0);
        Assert.True(a.Statistics.Retransmissions > 0); // The drops were repaired, not missed.

        wire.Drop = _ => false;
        client.Close(wire.Now);
        server!.Close(wire.Now);
        for (int i = 0; i < 10_000 && Step(wire, a, b); i++) { }
        Assert.Equal(TcpState.Closed, client.State);
        Assert.Equal(TcpState.Closed, server.State);
        Assert.Equal(0, a.ConnectionCount);
    }
}
