using Stack.IP;
using Stack.IP.Routing;
using Stack.IP.Wire;
using Stack.Link.Devices;
using Stack.Link.Time;
using Stack.Link.Wire;
using Stack.Tcp;
using Stack.Tcp.Isn;
using Stack.Tcp.Ports;
using Stack.Tcp.Wire;
using Stack.Udp;

namespace Stack.Fuzz;

/// <summary>
/// A host sans-I/O on a fixed clock, as the <c>frame</c> target finds it before each input: IPv4 192.0.2.2/24 and
/// IPv6 2001:db8::2/64, TCP with a listener on port 8080 and one connection from the peer (192.0.2.1:40000)
/// already established through it, UDP with an endpoint on port 7. Everything is seeded, so the connection's
/// sequence numbers are the same every time and the seed frames can carry the right ones.
/// </summary>
public sealed class FuzzHost : IFrameTransmitter
{
    public static readonly MacAddress OurMac = new(0x0200_0000_0002UL);
    public static readonly MacAddress PeerMac = new(0x0200_0000_0001UL);
    public static readonly Ipv4Address Our4 = Ipv4Address.Parse("192.0.2.2");
    public static readonly Ipv4Address Peer4 = Ipv4Address.Parse("192.0.2.1");
    public static readonly Ipv6Address Our6 = Ipv6Address.Parse("2001:db8::2");
    public static readonly Ipv6Address Peer6 = Ipv6Address.Parse("2001:db8::1");
    public const ushort OurPort = 8080;
    public const ushort PeerPort = 40000;
    public const ushort UdpPort = 7;
    public const uint PeerIsn = 1_000_000;
    public static readonly Instant Start = Instant.FromMilliseconds(1000);

    /// <summary>The SYN's options: <c>&lt;mss 1460,sackOK,TS val 100 ecr 0,nop,wscale 7&gt;</c>, as Linux sends.</summary>
    public static TcpOptions SynOptions => new() { Mss = 1460, SackPermitted = true, HasTimestamps = true, TsVal = 100, WindowScale = 7 };

    private readonly List<byte[]> _sent = [];

    public FuzzHost()
    {
        Host = new IpHost(new IpHostOptions
        {
            Mac = OurMac,
            Addresses = [InterfaceAddress.Parse("192.0.2.2/24"), InterfaceAddress.Parse("2001:db8::2/64")],
            Random = new Random(7),
        }, this);
        var random = new Random(42);
        Tcp = new TcpLayer(Host, new IsnGenerator(new byte[16]), new EphemeralPorts(new byte[16], random: random), random);
        Udp = UdpLayer.Attach(Host, new Random(43));
        var endpoint = Udp.Open(System.Net.Sockets.AddressFamily.InterNetwork);
        Udp.Bind(endpoint, IpAddress.AnyV4, UdpPort);
        Listener = Tcp.Listen(Our4, OurPort, backlog: 8);

        Deliver(Arp(ArpOperation.Request, MacAddress.Zero));
        Deliver(TcpSegment(TcpFlags.Syn, PeerIsn, 0, SynOptions));
        var synAck = SentSynAck() ?? throw new InvalidOperationException("the listener did not answer the SYN");
        OurIsn = synAck.SequenceNumber;
        OurTsVal = synAck.Options.TsVal;
        Deliver(TcpSegment(TcpFlags.Ack, PeerIsn + 1, OurIsn + 1, Timestamps(101, OurTsVal)));
        if (!Listener.TryAccept(out var connection) || connection.State != TcpState.Established)
            throw new InvalidOperationException("the handshake did not establish a connection");
        Established = connection;
        _sent.Clear();
    }

    public IpHost Host { get; }
    public TcpLayer Tcp { get; }
    public UdpLayer Udp { get; }
    public TcpListener Listener { get; }
    public TcpConnection Established { get; }

    /// <summary>Our ISN on the established connection (the same in every run).</summary>
    public uint OurIsn { get; }

    /// <summary>The timestamp value of our SYN-ACK, for the peer's echo.</summary>
    public uint OurTsVal { get; }

    public static TcpOptions Timestamps(uint value, uint echo) => new() { HasTimestamps = true, TsVal = value, TsEcr = echo };

    /// <summary>Frames the host sent since the last <see cref="TakeSent"/>.</summary>
    public List<byte[]> TakeSent()
    {
        var sent = new List<byte[]>(_sent);
        _sent.Clear();
        return sent;
    }

    public void Transmit(ReadOnlySpan<byte> frame) => _sent.Add(frame.ToArray());

    /// <summary>The host's clock: <see cref="Start"/> while frames arrive; only <see cref="RunTimers"/> moves it.</summary>
    public Instant Now { get; private set; } = Start;

    public void Deliver(ReadOnlySpan<byte> frame) => Host.OnFrame(frame, Now);

    /// <summary>
    /// Runs the timers that fall due within <paramref name="horizon"/>, each at its own instant, in at most
    /// <paramref name="maxSteps"/> steps. The peer stays a live neighbour meanwhile: it answers the ARP requests
    /// for its address (otherwise a retransmitted SYN-ACK to it keeps its entry cycling through failed
    /// resolutions, and the echo check after it finds a reply rightly queued behind one: issue 12's first finding).
    /// </summary>
    public void RunTimers(TimeSpan horizon, int maxSteps)
    {
        var end = Now + horizon;
        for (int i = 0; i < maxSteps && Host.NextDeadline <= end; i++)
        {
            var due = Host.NextDeadline;
            Now = due > Now ? due : Now;
            Host.OnTimer(Now);
            AnswerArp(TakeSent());
        }
    }

    /// <summary>The peer's answers to the host's ARP requests for the peer's address among <paramref name="sent"/>; true when there were any.</summary>
    private bool AnswerArp(List<byte[]> sent)
    {
        bool asked = false;
        foreach (byte[] frame in sent)
        {
            asked |= EthernetFrame.TryParse(frame, out var eth, out _) && eth.EtherType == EtherType.Arp
                && ArpPacket.TryParse(eth.Payload, out var arp, out _) && arp.Operation == ArpOperation.Request
                && arp.TargetIp == Peer4;
        }
        if (asked) Deliver(Arp(ArpOperation.Reply, OurMac));
        return asked;
    }

    /// <summary>An Ethernet frame from the peer to us.</summary>
    public static byte[] Frame(EtherType type, ReadOnlySpan<byte> payload, MacAddress? destination = null)
    {
        var frame = new byte[EthernetFrame.HeaderLength + payload.Length];
        EthernetFrame.WriteHeader(frame, destination ?? OurMac, PeerMac, type);
        payload.CopyTo(frame.AsSpan(EthernetFrame.HeaderLength));
        return frame;
    }

    public static byte[] Arp(ArpOperation operation, MacAddress targetMac)
    {
        var arp = new byte[ArpPacket.Length];
        ArpPacket.Write(arp, operation, PeerMac, Peer4, targetMac, Our4);
        return Frame(EtherType.Arp, arp, operation == ArpOperation.Request ? MacAddress.Broadcast : OurMac);
    }

    public static byte[] Ipv4(IpProtocol protocol, ReadOnlySpan<byte> payload, Ipv4Address? source = null)
    {
        var ip = new byte[Ipv4Header.MinLength + payload.Length];
        new Ipv4Repr(source ?? Peer4, Our4, protocol, payload.Length, 64, 1).Write(ip);
        payload.CopyTo(ip.AsSpan(Ipv4Header.MinLength));
        return Frame(EtherType.Ipv4, ip);
    }

    public static byte[] Ipv6(IpProtocol protocol, ReadOnlySpan<byte> payload, Ipv6Address source, Ipv6Address destination,
        MacAddress? mac = null)
    {
        var ip = new byte[Ipv6Header.Length + payload.Length];
        new Ipv6Repr(source, destination, protocol, payload.Length, 255).Write(ip);
        payload.CopyTo(ip.AsSpan(Ipv6Header.Length));
        return Frame(EtherType.Ipv6, ip, mac);
    }

    /// <summary>A TCP segment from the peer's port 40000 to our 8080 (absolute sequence numbers).</summary>
    public static byte[] TcpSegment(TcpFlags flags, uint seq, uint ack, TcpOptions options = default, byte[]? data = null,
        ushort sourcePort = PeerPort, ushort window = 502)
    {
        data ??= [];
        var repr = new TcpRepr(sourcePort, OurPort, seq, ack, flags, window, options);
        var tcp = new byte[repr.HeaderLength + data.Length];
        repr.Write(tcp, data, InternetChecksum.PseudoHeader(Peer4, Our4, (byte)IpProtocol.Tcp, tcp.Length));
        return Ipv4(IpProtocol.Tcp, tcp);
    }

    public static byte[] EchoRequest(ushort identifier, ushort sequence)
    {
        var icmp = new byte[Icmpv4Message.HeaderLength + 4];
        Icmpv4Message.WriteEcho(icmp, Icmpv4Type.EchoRequest, identifier, sequence, [1, 2, 3, 4]);
        return Ipv4(IpProtocol.Icmp, icmp);
    }

    /// <summary>
    /// The host still works: an echo request from the peer is answered (the peer answers our ARP requests on
    /// the way, as a neighbour would). Throws <see cref="FuzzOracleException"/> otherwise.
    /// </summary>
    public void CheckAnswersEcho()
    {
        const ushort id = 0xF022;
        _sent.Clear();
        Deliver(EchoRequest(id, 1));
        for (int round = 0; round < 3; round++)
        {
            var sent = TakeSent();
            if (sent.Exists(frame => IsEchoReply(frame, id))) return;
            if (!AnswerArp(sent)) break;
        }
        throw new FuzzOracleException("the host no longer answers an echo request from its neighbour");
    }

    private static bool IsEchoReply(byte[] frame, ushort id) =>
        EthernetFrame.TryParse(frame, out var eth, out _) && eth.EtherType == EtherType.Ipv4
        && Ipv4Header.TryParse(eth.Payload, out var ip, out _) && ip.Protocol == IpProtocol.Icmp
        && Icmpv4Message.TryParse(ip.Payload, out var icmp, out _) && icmp.Type == Icmpv4Type.EchoReply
        && icmp.Identifier == id;

    private TcpRepr? SentSynAck()
    {
        foreach (byte[] frame in TakeSent())
        {
            if (EthernetFrame.TryParse(frame, out var eth, out _) && eth.EtherType == EtherType.Ipv4
                && Ipv4Header.TryParse(eth.Payload, out var ip, out _) && ip.Protocol == IpProtocol.Tcp
                && TcpHeader.TryParseUnchecked(ip.Payload, out var tcp, out _)
                && tcp.Flags.HasFlag(TcpFlags.Syn | TcpFlags.Ack))
            {
                return TcpRepr.From(tcp);
            }
        }
        return null;
    }
}
