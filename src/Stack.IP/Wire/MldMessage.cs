using System.Buffers.Binary;
using Stack.Link.Diagnostics;
using Stack.Link.Wire;

namespace Stack.IP.Wire;

/// <summary>
/// A view of an MLD message (RFC 2710 §3, RFC 3810 §5) inside an ICMPv6 message whose checksum was checked: a
/// query of either version, a version-1 report or done, or a version-2 report (whose records a host does not
/// read). Checked once by <see cref="TryParse"/>; the getters then never fail.
/// </summary>
public readonly ref struct MldMessage
{
    /// <summary>RFC 2710 §3: an MLDv1 message (and so an MLDv1 query) is 24 bytes.</summary>
    public const int V1Length = 24;

    /// <summary>RFC 3810 §5.1: an MLDv2 query is at least 28 bytes, then 16 per source.</summary>
    public const int V2QueryMinLength = 28;

    private const int MaxResponseOffset = 4;
    private const int GroupOffset = 8;
    private const int FlagsOffset = 24;
    private const int SourceCountOffset = 26;
    private const int SourcesOffset = 28;

    private readonly ReadOnlySpan<byte> _bytes;

    private MldMessage(ReadOnlySpan<byte> bytes) => _bytes = bytes;

    /// <summary>
    /// Checks the lengths RFC 3810 §8.1 and §5.1.10 give: a query of 24 bytes is MLDv1, one of 28 or more with room
    /// for its sources is MLDv2, and one in between is ignored; reports and dones are at least 24 bytes (MLDv1) or
    /// 8 (an MLDv2 report's header).
    /// </summary>
    public static bool TryParse(ReadOnlySpan<byte> icmp, out MldMessage message, out RejectReason reason)
    {
        message = default;
        int min = icmp.Length > 0 && icmp[0] == MembershipReport.MldV2Type ? MembershipReport.HeaderLength : V1Length;
        if (icmp.Length < min)
        {
            reason = RejectReason.Truncated;
            return false;
        }
        if (icmp[0] == (byte)Icmpv6Type.MulticastListenerQuery && icmp.Length != V1Length)
        {
            if (icmp.Length < V2QueryMinLength)
            {
                reason = RejectReason.BadTotalLength;
                return false;
            }
            int sources = BinaryPrimitives.ReadUInt16BigEndian(icmp[SourceCountOffset..]);
            if (icmp.Length < SourcesOffset + sources * Ipv6Address.Length)
            {
                reason = RejectReason.Truncated;
                return false;
            }
        }
        message = new MldMessage(icmp);
        reason = RejectReason.None;
        return true;
    }

    public Icmpv6Type Type => (Icmpv6Type)_bytes[0];

    public bool IsQuery => Type == Icmpv6Type.MulticastListenerQuery;

    /// <summary>1 for a 24-byte query, 2 for a longer one (RFC 3810 §8.1).</summary>
    public int QueryVersion => _bytes.Length == V1Length ? 1 : 2;

    /// <summary>The multicast address field: the group queried (unspecified in a general query), reported or left.</summary>
    public Ipv6Address Group => Ipv6Address.Read(_bytes[GroupOffset..]);

    public ushort MaxResponseCode => BinaryPrimitives.ReadUInt16BigEndian(_bytes[MaxResponseOffset..]);

    /// <summary>
    /// The longest a host may wait to answer: MLDv1's Maximum Response Delay in milliseconds (RFC 2710 §3.4), or
    /// MLDv2's Maximum Response Code, exponential from 32768 on (RFC 3810 §5.1.3).
    /// </summary>
    public TimeSpan MaxResponseDelay
    {
        get
        {
            int code = MaxResponseCode;
            if (QueryVersion == 1 || code < 0x8000) return TimeSpan.FromMilliseconds(code);
            int mantissa = code & 0x0FFF;
            int exponent = (code >> 12) & 0x7;
            return TimeSpan.FromMilliseconds((long)(mantissa | 0x1000) << (exponent + 3));
        }
    }

    /// <summary>The querier's robustness variable (QRV, RFC 3810 §5.1.8); 0 when it states none, or in MLDv1.</summary>
    public int QuerierRobustness => QueryVersion == 2 ? _bytes[FlagsOffset] & 0x7 : 0;

    /// <summary>The number of sources of an MLDv2 query (0 in MLDv1).</summary>
    public int SourceCount => QueryVersion == 2 ? BinaryPrimitives.ReadUInt16BigEndian(_bytes[SourceCountOffset..]) : 0;

    /// <summary>The sources of an MLDv2 query, 16 bytes each.</summary>
    public ReadOnlySpan<byte> Sources => QueryVersion == 2
        ? _bytes.Slice(SourcesOffset, SourceCount * Ipv6Address.Length)
        : [];

    /// <summary>Writes an MLDv1 report or done (RFC 2710 §3) for <paramref name="group"/>, its checksum zero.</summary>
    public static int WriteV1(Span<byte> buffer, Icmpv6Type type, Ipv6Address group)
    {
        var message = buffer[..V1Length];
        message.Clear();
        message[0] = (byte)type;
        group.Write(message[GroupOffset..]);
        return V1Length;
    }
}
