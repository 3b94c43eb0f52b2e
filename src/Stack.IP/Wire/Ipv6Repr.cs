using Stack.Link.Wire;

namespace Stack.IP.Wire;

/// <summary>The fields of the fixed IPv6 header as a plain value (RFC 8200 §3).</summary>
public readonly record struct Ipv6Repr(
    Ipv6Address Source,
    Ipv6Address Destination,
    IpProtocol NextHeader,
    int PayloadLength,
    byte HopLimit = 64,
    byte TrafficClass = 0,
    uint FlowLabel = 0)
{
    /// <summary>Writes the 40-byte header and returns its length; the payload goes right after it.</summary>
    public int Write(Span<byte> buffer)
    {
        if (PayloadLength is < 0 or > ushort.MaxValue)
            throw new ArgumentException($"PayloadLength must be in [0, 65535] (no jumbograms); got {PayloadLength}.");
        if (FlowLabel > 0xF_FFFF)
            throw new ArgumentException($"FlowLabel is 20 bits; got 0x{FlowLabel:X}.");
        Ipv6Header.Write(buffer[..Ipv6Header.Length], this);
        return Ipv6Header.Length;
    }

    public static Ipv6Repr From(in Ipv6Header h) =>
        new(h.Source, h.Destination, h.NextHeader, h.PayloadLength, h.HopLimit, h.TrafficClass, h.FlowLabel);
}
