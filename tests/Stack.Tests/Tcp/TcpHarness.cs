using Microsoft.Extensions.Logging;
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
using Stack.Tests.Tcp.Harness;
using ArpOperation = Stack.Link.Wire.ArpOperation;

namespace Stack.Tests.Tcp;

/// <summary>A segment the stack sent, with sequence numbers relative as packetdrill prints them.</summary>
internal sealed record Seg(TcpRepr Repr, byte[] Payload, uint RelSeq, uint RelAck, byte[] Packet)
{
    public TcpFlags Flags => Repr.Flags;
    public TcpOptions Options => Repr.Options;
    public ushort Window => Repr.Window;

    public bool Has(TcpFlags f) => (Flags & f) == f;

    /// <summary>packetdrill notation with relative numbers, e.g. <c>S. 0:0(0) ack 1 win 65535 &lt;mss 1460&gt;</c>.</summary>
    public override string ToString() =>
        (Repr with { SequenceNumber = RelSeq, AcknowledgmentNumber = RelAck }).ToString(Payload.Length);
}

/// <summary>
/// Drives an <see cref="IpHost"/> with a <see cref="TcpLayer"/> sans-I/O, as the remote peer of a packetdrill
/// script: segments in with relative sequence numbers (the peer's ISN is <see cref="PeerIsn"/>), segments out
/// parsed and shown relative to our ISN (learned from our first SYN). Deterministic: fixed ISN key, seeded ports
/// and randomness, a virtual clock.
/// </summary>
internal sealed class TcpHarness : IFrameTransmitter
{
    public static readonly MacAddress OurMac = new(0x0200_0000_0002UL);
    public static readonly MacAddress PeerMac = new(0x0200_0000_0001UL);
    public static readonly Ipv4Address Our4 = Ipv4Address.Parse("192.0.2.2");
    public static readonly Ipv4Address Peer4 = Ipv4Address.Parse("192.0.2.1");
    public static readonly Ipv6Address Our6 = Ipv6Address.Parse("2001:db8::2");
    public static readonly Ipv6Address Peer6 = Ipv6Address.Parse("2001:db8::1");
    public const ushort OurPort = 8080;
    public const ushort PeerPort = 40000;
    public const uint PeerIsn = 1_000_000;

    /// <summary>Options of a Linux SYN: <c>&lt;mss 1460,sackOK,TS val 100 ecr 0,nop,wscale 7&gt;</c>.</summary>
    public static TcpOptions LinuxSyn(uint tsVal = 100, ushort mss = 1460, byte wscale = 7) =>
        new() { Mss = mss, SackPermitted = true, HasTimestamps = true, TsVal = tsVal, WindowScale = wscale };

    private readonly Queue<byte[]> _sent = new();

    /// <param name="ipv6">The peer is 2001:db8::1 and we are 2001:db8::2 (else 192.0.2.1 and .2).</param>
    /// <param name="log">The TCP layer's logger (none when null).</param>
    public TcpHarness(TcpConfig? config = null, int mtu = 1500, bool ipv6 = false,
        SynCookieMode cookies = SynCookieMode.WhenFull, int maxHalfOpen = 1024, ILogger? log = null,
        TcpRateLimits? limits = null)
    {
        Our = ipv6 ? Our6 : Our4;
        Peer = ipv6 ? Peer6 : Peer4;
        Host = new IpHost(new IpHostOptions
        {
            Mac = OurMac,
            Mtu = mtu,
            Addresses = [InterfaceAddress.Parse("192.0.2.2/24"), InterfaceAddress.Parse("2001:db8::2/64")],
            Random = new Random(7),
        }, this);
        var random = new Random(42);
        Tcp = new TcpLayer(Host, new IsnGenerator(new byte[16]), new EphemeralPorts(new byte[16], random: random), random, log)
        {
            DefaultConfig = config ?? TcpConfig.Default,
            SynCookies = cookies,
            MaxHalfOpen = maxHalfOpen,
            RateLimits = limits ?? TcpRateLimits.Default,
        };
        LearnPeer();
    }

    public IpHost Host { get; }

    /// <summary>Our address and the peer's, in the family the harness was made for.</summary>
    public IpAddress Our { get; }
    public IpAddress Peer { get; }
    public TcpLayer Tcp { get; }
    public Instant Now { get; private set; } = Instant.FromMilliseconds(1000);

    /// <summary>Our ISN, once a SYN from us has been seen (0 before: numbers are then absolute).</summary>
    public uint OurIsn { get; set; }

    /// <summary>Segments waiting to be read with <see cref="Next"/> (ARP requests are answered, not counted).</summary>
    public int SentCount
    {
        get
        {
            AnswerArp();
            return _sent.Count;
        }
    }

    /// <summary>When set, the next transmit throws it instead of sending (a device that fails), once.</summary>
    public Exception? ThrowOnTransmit { get; set; }

    public void Transmit(ReadOnlySpan<byte> frame)
    {
        if (ThrowOnTransmit is { } e)
        {
            ThrowOnTransmit = null;
            throw e;
        }
        _sent.Enqueue(frame.ToArray());
    }

    /// <summary>Advances the virtual clock, running every timer that falls due on the way, at its own instant.</summary>
    public void Advance(TimeSpan by)
    {
        Instant end = Now + by;
        while (Host.NextDeadline <= end)
        {
            Instant due = Host.NextDeadline;
            Now = due > Now ? due : Now;
            Host.OnTimer(Now);
        }
        Now = end;
    }

    public TcpListener Listen(int backlog = 5, TcpConfig? config = null) =>
        Tcp.Listen(Our, OurPort, backlog, config);

    public TcpConnection Connect(TcpConfig? config = null) =>
        Tcp.Connect(Our, OurPort, Peer, PeerPort, config, Now);

    /// <summary>
    /// Injects a segment from the peer; seq and ack are relative to the peer's and our ISN. A
    /// <paramref name="segmentSize"/> delivers it as a receive-offload aggregate of segments of that size (GRO).
    /// </summary>
    public void Inject(TcpFlags flags, uint seq, uint ack = 0, ushort win = 65535, TcpOptions options = default,
        byte[]? data = null, ushort from = PeerPort, ushort to = OurPort, bool absolute = false, int segmentSize = 0)
    {
        uint s = absolute ? seq : unchecked(seq + PeerIsn);
        uint a = (flags & TcpFlags.Ack) == 0 ? 0 : absolute ? ack : unchecked(ack + OurIsn);
        var repr = new TcpRepr(from, to, s, a, flags, win, options);
        data ??= [];
        var tcp = new byte[repr.HeaderLength + data.Length];
        repr.Write(tcp, data, Pseudo(Peer, Our, IpProtocol.Tcp, tcp.Length));
        if (Peer.IsIpv6)
        {
            InjectIp6(IpProtocol.Tcp, tcp, segmentSize);
        }
        else
        {
            InjectIp(IpProtocol.Tcp, tcp, segmentSize: segmentSize);
        }
    }

    private static ulong Pseudo(IpAddress source, IpAddress destination, IpProtocol protocol, int length) => source.IsIpv6
        ? InternetChecksum.PseudoHeader(source.V6, destination.V6, (byte)protocol, length)
        : InternetChecksum.PseudoHeader(source.V4, destination.V4, (byte)protocol, length);

    public void InjectIp6(IpProtocol protocol, byte[] payload, int segmentSize = 0)
    {
        var ip = new byte[40 + payload.Length];
        new Ipv6Repr(Peer6, Our6, protocol, payload.Length, 64).Write(ip);
        payload.CopyTo(ip, 40);
        Host.OnFrame(Frame(PeerMac, OurMac, EtherType.Ipv6, ip), Now, segmentSize);
    }

    /// <summary>ICMPv6 packet too big (RFC 4443 §3.2) from the peer, quoting <paramref name="packet"/>, one of ours.</summary>
    public void InjectPacketTooBig(byte[] packet, int mtu)
    {
        var quote = packet.AsSpan(0, Math.Min(packet.Length, 1280 - 48));
        var icmp = new byte[8 + quote.Length];
        int len = Icmpv6Message.WriteError(icmp, Peer6, Our6, Icmpv6Type.PacketTooBig, 0, (uint)mtu, quote);
        InjectIp6(IpProtocol.Icmpv6, icmp[..len]);
    }

    /// <summary>The error the path sends about <paramref name="packet"/> being too big: ICMPv4 or ICMPv6 by family.</summary>
    public void InjectTooBig(byte[] packet, int mtu)
    {
        if (Peer.IsIpv6)
        {
            InjectPacketTooBig(packet, mtu);
        }
        else
        {
            InjectFragmentationNeeded(packet, mtu);
        }
    }

    public void InjectIp(IpProtocol protocol, byte[] payload, Ipv4Address? source = null, int segmentSize = 0)
    {
        var ip = new byte[20 + payload.Length];
        new Ipv4Repr(source ?? Peer4, Our4, protocol, payload.Length, 64, 1).Write(ip);
        payload.CopyTo(ip, 20);
        Host.OnFrame(Frame(PeerMac, OurMac, EtherType.Ipv4, ip), Now, segmentSize);
    }

    /// <summary>ICMPv4 fragmentation needed (RFC 1191) quoting <paramref name="packet"/>, one of ours.</summary>
    public void InjectFragmentationNeeded(byte[] packet, int mtu)
    {
        var quote = packet.AsSpan(0, Math.Min(packet.Length, 28 + 20));
        var icmp = new byte[Icmpv4Message.HeaderLength + quote.Length];
        Icmpv4Message.WriteError(icmp, Icmpv4Type.DestinationUnreachable, Icmpv4Code.FragmentationNeeded, (uint)mtu, quote);
        InjectIp(IpProtocol.Icmp, icmp);
    }

    /// <summary>ICMPv4 destination unreachable with <paramref name="code"/>, quoting one of our packets.</summary>
    public void InjectUnreachable(byte[] packet, byte code)
    {
        var quote = packet.AsSpan(0, Math.Min(packet.Length, 28 + 20));
        var icmp = new byte[Icmpv4Message.HeaderLength + quote.Length];
        Icmpv4Message.WriteError(icmp, Icmpv4Type.DestinationUnreachable, code, 0, quote);
        InjectIp(IpProtocol.Icmp, icmp);
    }

    /// <summary>The next segment we sent.</summary>
    public Seg Next()
    {
        AnswerArp();
        Assert.True(_sent.Count > 0, "expected the stack to send a segment, but it sent nothing");
        return Parse(_sent.Dequeue());
    }

    private Seg Parse(byte[] frame)
    {
        Assert.True(EthernetFrame.TryParse(frame, out var eth, out _));
        ReadOnlySpan<byte> segment;
        ulong pseudo;
        if (Peer.IsIpv6)
        {
            Assert.Equal(EtherType.Ipv6, eth.EtherType);
            Assert.True(Ipv6Header.TryParse(eth.Payload, out var ip6, out _));
            Assert.Equal(IpProtocol.Tcp, ip6.NextHeader);
            segment = ip6.Payload;
            pseudo = Pseudo(Our, Peer, IpProtocol.Tcp, segment.Length);
        }
        else
        {
            Assert.Equal(EtherType.Ipv4, eth.EtherType);
            Assert.True(Ipv4Header.TryParse(eth.Payload, out var ip, out _));
            Assert.Equal(IpProtocol.Tcp, ip.Protocol);
            segment = ip.Payload;
            pseudo = InternetChecksum.PseudoHeader(ip.Source, ip.Destination, (byte)IpProtocol.Tcp, segment.Length);
        }
        Assert.True(TcpHeader.TryParse(segment, pseudo, out var h, out var reason), $"bad segment: {reason}");
        var repr = TcpRepr.From(h);
        if ((repr.Flags & TcpFlags.Syn) != 0)
        {
            OurIsn = repr.SequenceNumber;
        }
        uint relAck = (repr.Flags & TcpFlags.Ack) != 0 ? unchecked(repr.AcknowledgmentNumber - PeerIsn) : 0;
        return new Seg(repr, h.Payload.ToArray(), unchecked(repr.SequenceNumber - OurIsn), relAck,
            eth.Payload.ToArray());
    }

    /// <summary>
    /// The next segment, which must match <paramref name="pattern"/> in packetdrill notation; <c>*</c> stands
    /// for any one number or word and <c>**</c> for any fields left out, e.g. <c>S. 0:0(0) ack 1 win * &lt;mss 1460,nop,nop,TS val * ecr 100,nop,wscale 7&gt;</c>.
    /// A mismatch names each field that differs (<see cref="SegmentPattern"/>).
    /// </summary>
    public Seg Expect(string pattern)
    {
        var seg = Next();
        var differences = SegmentPattern.Parse(pattern).Mismatches(SegmentPattern.Parse(seg.ToString()));
        Assert.True(differences.Count == 0, $"expected {pattern}\n     got {seg}\n  {string.Join("\n  ", differences)}");
        return seg;
    }

    /// <summary>
    /// <see cref="Expect"/> after any pure ACKs: for data whose ACK may go at once (Linux's quick-ack mode) or ride
    /// on the reply (once the connection is interactive), where the test is about the reply.
    /// </summary>
    public Seg ExpectAfterAcks(string pattern)
    {
        while (_sent.Count > 1 && PeekIsPureAck())
        {
            Next();
        }
        return Expect(pattern);
    }

    private bool PeekIsPureAck()
    {
        AnswerArp();
        var seg = Parse(_sent.Peek());
        return seg.Payload.Length == 0 && seg.Flags == TcpFlags.Ack;
    }

    public void ExpectNothing()
    {
        if (SentCount > 0)
        {
            Assert.Fail($"expected silence, but the stack sent {Next()} (and {_sent.Count} more)");
        }
    }

    /// <summary>Three-way handshake as the passive side; returns the accepted connection.</summary>
    public TcpConnection AcceptOne(TcpListener listener, TcpOptions? synOptions = null)
    {
        Inject(TcpFlags.Syn, 0, win: 65535, options: synOptions ?? LinuxSyn());
        var synAck = Expect("S. 0:0(0) ack 1 **");
        bool ts = synAck.Options.HasTimestamps;
        Inject(TcpFlags.Ack, 1, 1, win: 502, options: ts ? Ts(101, synAck.Options.TsVal) : default);
        Assert.True(listener.TryAccept(out var c));
        return c;
    }

    /// <summary>Three-way handshake as the active side; returns the established connection.</summary>
    public TcpConnection ConnectOne(TcpConfig? config = null, TcpOptions? synAckOptions = null, ushort win = 65535)
    {
        var c = Connect(config);
        var syn = Expect("S 0:0(0) **");
        var options = synAckOptions ?? LinuxSyn(tsVal: 200) with { TsEcr = syn.Options.TsVal };
        Inject(TcpFlags.Syn | TcpFlags.Ack, 0, 1, win: win, options: options);
        Expect(". 1:1(0) ack 1 **");
        Assert.Equal(TcpState.Established, c.State);
        return c;
    }

    public static TcpOptions Ts(uint val, uint ecr) => new() { HasTimestamps = true, TsVal = val, TsEcr = ecr };

    public static byte[] Pattern(int length, int seed = 0)
    {
        var data = new byte[length];
        for (int i = 0; i < length; i++)
        {
            data[i] = (byte)(i * 7 + seed);
        }
        return data;
    }

    /// <summary>Answers our ARP requests for the peer (the cache entry ages out in long tests) as the peer would.</summary>
    private void AnswerArp()
    {
        int n = _sent.Count;
        bool answer = false;
        for (int i = 0; i < n; i++)
        {
            byte[] frame = _sent.Dequeue();
            if (EthernetFrame.TryParse(frame, out var eth, out _) && eth.EtherType == EtherType.Arp)
            {
                answer = true;
                continue;
            }
            if (eth.EtherType == EtherType.Ipv6 && eth.Payload.Length > 40 && eth.Payload[6] == (byte)IpProtocol.Icmpv6
                && eth.Payload[40] == (byte)Icmpv6Type.NeighborSolicitation)
            {
                // The peer's answer, taken straight into the cache: it is there and reachable.
                Host.Ndp.Cache.LearnAdvertised(Peer6, PeerMac, solicited: true, @override: true, Now);
                continue;
            }
            _sent.Enqueue(frame);
        }
        if (answer)
        {
            var arp = new byte[ArpPacket.Length];
            ArpPacket.Write(arp, ArpOperation.Reply, PeerMac, Peer4, OurMac, Our4);
            Host.OnFrame(Frame(PeerMac, OurMac, EtherType.Arp, arp), Now);
        }
    }

    private void LearnPeer()
    {
        var arp = new byte[ArpPacket.Length];
        ArpPacket.Write(arp, ArpOperation.Request, PeerMac, Peer4, MacAddress.Zero, Our4);
        Host.OnFrame(Frame(PeerMac, MacAddress.Broadcast, EtherType.Arp, arp), Now);
        Host.Ndp.Cache.LearnUnsolicited(Peer6, PeerMac, Now);
        Host.Ndp.Cache.LearnAdvertised(Peer6, PeerMac, solicited: true, @override: true, Now);
        _sent.Clear(); // our ARP reply
    }

    private static byte[] Frame(MacAddress src, MacAddress dst, EtherType type, ReadOnlySpan<byte> payload)
    {
        var frame = new byte[EthernetFrame.HeaderLength + payload.Length];
        EthernetFrame.WriteHeader(frame, dst, src, type);
        payload.CopyTo(frame.AsSpan(EthernetFrame.HeaderLength));
        return frame;
    }
}
