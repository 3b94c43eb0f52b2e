using Stack.IP.Wire;
using Stack.Link.Time;

namespace Stack.IP;

/// <summary>A datagram that IP has checked and handed up: addresses, and the transport's bytes.</summary>
public readonly ref struct IpDatagram
{
    public IpDatagram(IpAddress source, IpAddress destination, IpProtocol protocol, byte hopLimit,
        ReadOnlySpan<byte> payload, ReadOnlySpan<byte> packet, bool toGroup)
    {
        Source = source;
        Destination = destination;
        Protocol = protocol;
        HopLimit = hopLimit;
        Payload = payload;
        Packet = packet;
        IsToGroup = toGroup;
    }

    public IpAddress Source { get; }
    public IpAddress Destination { get; }
    public IpProtocol Protocol { get; }
    public byte HopLimit { get; }

    /// <summary>The transport header and data.</summary>
    public ReadOnlySpan<byte> Payload { get; }

    /// <summary>The whole IP packet, headers included, for quoting in an ICMP error.</summary>
    public ReadOnlySpan<byte> Packet { get; }

    /// <summary>Sent to a broadcast or multicast address: no ICMP error may answer it.</summary>
    public bool IsToGroup { get; }
}

/// <summary>A transport protocol (TCP, UDP) as the IP layer sees it. Called only on the event loop.</summary>
public interface IIpTransport
{
    void OnDatagram(in IpDatagram datagram, Instant now);

    /// <summary>An ICMP error quoting one of this transport's datagrams (already checked to be ours).</summary>
    void OnIcmpError(in IcmpError error, Instant now);

    /// <summary>Runs the transport's due timers.</summary>
    void OnTimer(Instant now);

    /// <summary>The transport's earliest timer, or <see cref="Instant.Never"/>.</summary>
    Instant NextDeadline { get; }
}
