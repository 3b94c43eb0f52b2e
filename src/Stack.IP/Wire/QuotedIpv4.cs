using System.Buffers.Binary;
using Stack.Link.Wire;

namespace Stack.IP.Wire;

/// <summary>
/// The IPv4 datagram quoted in an ICMP error, or kept for one: a header and however much of its payload survived
/// (RFC 792: at least 64 bits). Its total length may claim more than is there, so it is read leniently.
/// </summary>
public readonly ref struct QuotedIpv4
{
    private QuotedIpv4(ReadOnlySpan<byte> bytes, int headerLength)
    {
        Source = Ipv4Address.Read(bytes[12..]);
        Destination = Ipv4Address.Read(bytes[16..]);
        Protocol = (IpProtocol)bytes[9];
        FragmentOffset = (BinaryPrimitives.ReadUInt16BigEndian(bytes[6..]) & 0x1FFF) * 8;
        TotalLength = BinaryPrimitives.ReadUInt16BigEndian(bytes[2..]);
        Transport = bytes[headerLength..];
    }

    public Ipv4Address Source { get; }
    public Ipv4Address Destination { get; }
    public IpProtocol Protocol { get; }
    public int FragmentOffset { get; }
    public int TotalLength { get; }

    /// <summary>What survived of the payload.</summary>
    public ReadOnlySpan<byte> Transport { get; }

    public static bool TryRead(ReadOnlySpan<byte> bytes, out QuotedIpv4 quoted)
    {
        quoted = default;
        if (bytes.Length < Ipv4Header.MinLength || bytes[0] >> 4 != 4) return false;
        int headerLength = (bytes[0] & 0xF) * 4;
        if (headerLength < Ipv4Header.MinLength || headerLength > bytes.Length) return false;
        quoted = new QuotedIpv4(bytes, headerLength);
        return true;
    }
}
