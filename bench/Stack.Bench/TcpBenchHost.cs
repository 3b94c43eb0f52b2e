using System.Buffers.Binary;
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

namespace Stack.Bench;

/// <summary>
/// One stack (an <see cref="IpHost"/> with a <see cref="TcpLayer"/>) driven sans-I/O, and its peer played as
/// whole Ethernet frames made with the wire writers. The stack's own frames are counted and dropped (copied only
/// while <see cref="Recording"/>), so a benchmark measures the stack and not a device. The clock stands still:
/// no timer ever comes due, TSvals stay constant (PAWS takes equal values) and neighbour entries never age.
/// </summary>
internal sealed class TcpBenchHost : IFrameTransmitter
{
    public const ushort OurPort = 5001;
    public const ushort PeerPort = 40000;
    public const uint PeerIsn = 1_000_000;
    public const uint PeerTsVal = 77_000;

    /// <summary>Where the TCP header starts in a frame: Ethernet and an option-less IPv4 header before it.</summary>
    public const int TcpOffset = EthernetFrame.HeaderLength + Ipv4Header.MinLength;

    public static readonly MacAddress OurMac = new(0x0200_0000_0002UL);
    public static readonly MacAddress PeerMac = new(0x0200_0000_0001UL);
    public static readonly Ipv4Address Our = Ipv4Address.Parse("192.0.2.2");
    public static readonly Ipv4Address Peer = Ipv4Address.Parse("192.0.2.1");

    private readonly byte[] _last = new byte[2048];
    private int _lastLength;

    public TcpBenchHost()
    {
        Host = new IpHost(new IpHostOptions
        {
            Mac = OurMac,
            Addresses = [InterfaceAddress.Parse("192.0.2.2/24")],
            Random = new Random(7),
        }, this);
        var random = new Random(42);
        Tcp = new TcpLayer(Host, new IsnGenerator(new byte[16]), new EphemeralPorts(new byte[16], random: random), random);
        // The peer's ARP request teaches us its MAC, so our segments go out without resolution.
        var arp = new byte[EthernetFrame.HeaderLength + ArpPacket.Length];
        EthernetFrame.WriteHeader(arp, MacAddress.Broadcast, PeerMac, EtherType.Arp);
        ArpPacket.Write(arp.AsSpan(EthernetFrame.HeaderLength), ArpOperation.Request, PeerMac, Peer, MacAddress.Zero, Our);
        Host.OnFrame(arp, Now);
    }

    public IpHost Host { get; }
    public TcpLayer Tcp { get; }
    public Instant Now { get; } = Instant.FromMilliseconds(1000);

    /// <summary>Frames the stack has sent.</summary>
    public long FramesSent { get; private set; }

    /// <summary>Keep a copy of the last frame sent (for the handshake; off while measuring).</summary>
    public bool Recording { get; set; }

    public void Transmit(ReadOnlySpan<byte> frame)
    {
        FramesSent++;
        if (Recording)
        {
            frame.CopyTo(_last);
            _lastLength = frame.Length;
        }
    }

    /// <summary>
    /// A passive open by a Linux-like peer (MSS 1460, SACK, timestamps, window scale 7) whose ACKs offer
    /// <paramref name="peerWindow"/> (scaled by 2^7). Returns the connection, ESTABLISHED and accepted, and the
    /// segment fields the peer's later frames need: our ISS and the TSval we send (constant: the clock stands still).
    /// </summary>
    public (TcpConnection Connection, uint Iss, uint OurTsVal) Accept(TcpConfig config, ushort peerWindow)
    {
        var listener = Tcp.Listen(Our, OurPort, 1, config);
        Recording = true;
        var synOptions = new TcpOptions { Mss = 1460, SackPermitted = true, HasTimestamps = true, TsVal = PeerTsVal, WindowScale = 7 };
        Host.OnFrame(Frame(new TcpRepr(PeerPort, OurPort, PeerIsn, 0, TcpFlags.Syn, 65535, synOptions), []), Now);
        if (!EthernetFrame.TryParse(_last.AsSpan(0, _lastLength), out var eth, out _)
            || !Ipv4Header.TryParse(eth.Payload, out var ip, out _)
            || !TcpHeader.TryParseUnchecked(ip.Payload, out var synAck, out _)
            || synAck.Flags != (TcpFlags.Syn | TcpFlags.Ack))
        {
            throw new InvalidOperationException("The stack did not answer the SYN with a SYN-ACK.");
        }
        uint iss = synAck.SequenceNumber;
        uint ourTsVal = synAck.ParseOptions().TsVal;
        Host.OnFrame(Frame(new TcpRepr(PeerPort, OurPort, PeerIsn + 1, iss + 1, TcpFlags.Ack, peerWindow,
            Timestamps(ourTsVal)), []), Now);
        Recording = false;
        if (!listener.TryAccept(out var connection) || connection.State != TcpState.Established)
        {
            throw new InvalidOperationException("The handshake did not establish a connection.");
        }
        return (connection, iss, ourTsVal);
    }

    public static TcpOptions Timestamps(uint ourTsVal) => new() { HasTimestamps = true, TsVal = PeerTsVal, TsEcr = ourTsVal };

    /// <summary>A whole Ethernet frame from the peer to us carrying <paramref name="repr"/> and <paramref name="payload"/>.</summary>
    public static byte[] Frame(in TcpRepr repr, ReadOnlySpan<byte> payload)
    {
        int segmentLength = repr.HeaderLength + payload.Length;
        var frame = new byte[TcpOffset + segmentLength];
        EthernetFrame.WriteHeader(frame, OurMac, PeerMac, EtherType.Ipv4);
        new Ipv4Repr(Peer, Our, IpProtocol.Tcp, segmentLength, DontFragment: true).Write(frame.AsSpan(EthernetFrame.HeaderLength));
        repr.Write(frame.AsSpan(TcpOffset), payload,
            InternetChecksum.PseudoHeader(Peer, Our, (byte)IpProtocol.Tcp, segmentLength));
        return frame;
    }

    /// <summary>
    /// Rewrites the 32-bit field at <paramref name="offset"/> of the frame's TCP header and updates the checksum
    /// incrementally (RFC 1624 eqn. 3), so a benchmark does not pay for summing the payload again.
    /// </summary>
    public static void Patch(byte[] frame, int offset, uint value)
    {
        Span<byte> tcp = frame.AsSpan(TcpOffset);
        uint old = BinaryPrimitives.ReadUInt32BigEndian(tcp[offset..]);
        BinaryPrimitives.WriteUInt32BigEndian(tcp[offset..], value);
        ulong sum = (ushort)~BinaryPrimitives.ReadUInt16BigEndian(tcp[TcpHeader.ChecksumOffset..]);
        sum += (uint)(ushort)~(old >> 16) + (ushort)~old + (value >> 16) + (value & 0xFFFF);
        BinaryPrimitives.WriteUInt16BigEndian(tcp[TcpHeader.ChecksumOffset..], InternetChecksum.Finish(sum));
    }

    /// <summary>Parses one of the peer's frames as the stack will, checksums included: a check on <see cref="Patch"/>.</summary>
    public static TcpRepr Parse(byte[] frame)
    {
        if (!EthernetFrame.TryParse(frame, out var eth, out _) || !Ipv4Header.TryParse(eth.Payload, out var ip, out _)
            || !TcpHeader.TryParse(ip.Payload, InternetChecksum.PseudoHeader(ip.Source, ip.Destination,
                (byte)IpProtocol.Tcp, ip.Payload.Length), out var h, out _))
        {
            throw new InvalidOperationException("A patched frame does not parse (bad checksum?).");
        }
        return TcpRepr.From(h);
    }

    /// <summary>Throws unless every frame handed in reached TCP and was accepted (no checksum or other drops).</summary>
    public void CheckNothingRejected(string what)
    {
        var rejected = Host.Rejects.Snapshot();
        if (rejected.Count != 0)
        {
            throw new InvalidOperationException(
                $"{what}: the stack dropped frames ({string.Join(", ", rejected)}); the benchmark would measure drops.");
        }
    }
}
