using Stack.IP.Wire;

namespace Stack.IP;

/// <summary>What an ICMP error says went wrong with a datagram we sent, in terms both families share.</summary>
public enum IcmpErrorKind
{
    NetUnreachable,
    HostUnreachable,
    ProtocolUnreachable,
    PortUnreachable,
    AdministrativelyProhibited,
    /// <summary>ICMPv4 fragmentation needed with DF set, or ICMPv6 packet too big: see <see cref="IcmpError.Mtu"/>.</summary>
    PacketTooBig,
    TimeExceeded,
    ParameterProblem,
    OtherUnreachable,
}

/// <summary>
/// An ICMP error about a datagram this host sent, checked and decoded: the quoted datagram's addresses and
/// protocol, and the start of its transport header (at least 8 bytes: ports, and TCP's sequence number).
/// </summary>
public readonly ref struct IcmpError
{
    public IcmpError(IcmpErrorKind kind, IpAddress reporter, IpAddress source, IpAddress destination, IpProtocol protocol,
        ReadOnlySpan<byte> quotedTransport, int mtu)
    {
        Kind = kind;
        Reporter = reporter;
        Source = source;
        Destination = destination;
        Protocol = protocol;
        QuotedTransport = quotedTransport;
        Mtu = mtu;
    }

    public IcmpErrorKind Kind { get; }

    /// <summary>Who sent the ICMP error (the destination itself, or a router on the way).</summary>
    public IpAddress Reporter { get; }

    /// <summary>The quoted datagram's source: one of our addresses.</summary>
    public IpAddress Source { get; }

    public IpAddress Destination { get; }
    public IpProtocol Protocol { get; }
    public ReadOnlySpan<byte> QuotedTransport { get; }

    /// <summary>The path MTU the error reports, for <see cref="IcmpErrorKind.PacketTooBig"/>; else 0.</summary>
    public int Mtu { get; }

    /// <summary>
    /// RFC 1122 §4.2.3.9 / RFC 5461: port and protocol unreachable mean the peer is there and refuses (a hard
    /// error for UDP; TCP treats even these as soft while connecting); the rest may be transient.
    /// </summary>
    public bool IsHard => Kind is IcmpErrorKind.PortUnreachable or IcmpErrorKind.ProtocolUnreachable;
}
