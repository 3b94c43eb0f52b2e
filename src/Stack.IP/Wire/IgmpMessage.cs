using System.Buffers.Binary;
using Stack.Link.Diagnostics;
using Stack.Link.Wire;

namespace Stack.IP.Wire;

/// <summary>IGMP message types (RFC 3376 §4, RFC 2236 §2.1, RFC 1112 appendix I).</summary>
public enum IgmpType : byte
{
    MembershipQuery = 0x11,
    V1MembershipReport = 0x12,
    V2MembershipReport = 0x16,
    V2LeaveGroup = 0x17,
    V3MembershipReport = 0x22,
}

/// <summary>
/// A view of an IGMP message of any version (RFC 1112, RFC 2236, RFC 3376): checked once by <see cref="TryParse"/>
/// (length and checksum); the getters then never fail.
/// </summary>
public readonly ref struct IgmpMessage
{
    /// <summary>IGMPv1 and IGMPv2 messages, and the IGMPv3 report's header, are 8 bytes.</summary>
    public const int MinLength = 8;

    /// <summary>RFC 3376 §4.1: an IGMPv3 query is at least 12 bytes, then 4 per source.</summary>
    public const int V3QueryMinLength = 12;

    private const int MaxResponseOffset = 1;
    private const int GroupOffset = 4;
    private const int FlagsOffset = 8;
    private const int SourceCountOffset = 10;
    private const int SourcesOffset = 12;

    private readonly ReadOnlySpan<byte> _bytes;

    private IgmpMessage(ReadOnlySpan<byte> bytes) => _bytes = bytes;

    /// <summary>
    /// Checks the length and the checksum (over the whole message). RFC 3376 §7.1: a query of 8 bytes is IGMPv1
    /// (response code 0) or IGMPv2, one of 12 or more with room for its sources is IGMPv3, and one of 9 to 11
    /// bytes is ignored.
    /// </summary>
    public static bool TryParse(ReadOnlySpan<byte> bytes, out IgmpMessage message, out RejectReason reason)
    {
        message = default;
        if (bytes.Length < MinLength)
        {
            reason = RejectReason.Truncated;
            return false;
        }
        if (!InternetChecksum.IsValid(bytes))
        {
            reason = RejectReason.BadChecksum;
            return false;
        }
        if (bytes[0] == (byte)IgmpType.MembershipQuery && bytes.Length != MinLength)
        {
            if (bytes.Length < V3QueryMinLength)
            {
                reason = RejectReason.BadTotalLength;
                return false;
            }
            int sources = BinaryPrimitives.ReadUInt16BigEndian(bytes[SourceCountOffset..]);
            if (bytes.Length < SourcesOffset + sources * Ipv4Address.Length)
            {
                reason = RejectReason.Truncated;
                return false;
            }
        }
        message = new IgmpMessage(bytes);
        reason = RejectReason.None;
        return true;
    }

    public IgmpType Type => (IgmpType)_bytes[0];

    public bool IsQuery => Type == IgmpType.MembershipQuery;

    public byte MaxResponseCode => _bytes[MaxResponseOffset];

    /// <summary>RFC 3376 §7.1: 1 for an 8-byte query with code 0, 2 for one with a code, 3 for a longer one.</summary>
    public int QueryVersion => _bytes.Length > MinLength ? 3 : MaxResponseCode == 0 ? 1 : 2;

    /// <summary>The group address field: the group queried (0.0.0.0 in a general query), reported or left.</summary>
    public Ipv4Address Group => Ipv4Address.Read(_bytes[GroupOffset..]);

    /// <summary>
    /// The longest a host may wait to answer: 10 s for IGMPv1 (RFC 2236 §4), tenths of a second for IGMPv2, and
    /// IGMPv3's Max Resp Code, exponential from 128 on (RFC 3376 §4.1.1).
    /// </summary>
    public TimeSpan MaxResponseDelay
    {
        get
        {
            int code = MaxResponseCode;
            if (QueryVersion == 1) return TimeSpan.FromSeconds(10);
            if (QueryVersion == 2 || code < 0x80) return TimeSpan.FromMilliseconds(100 * code);
            int mantissa = code & 0x0F;
            int exponent = (code >> 4) & 0x7;
            return TimeSpan.FromMilliseconds(100L * ((mantissa | 0x10) << (exponent + 3)));
        }
    }

    /// <summary>The querier's robustness variable (QRV, RFC 3376 §4.1.6); 0 when it states none, or before IGMPv3.</summary>
    public int QuerierRobustness => QueryVersion == 3 ? _bytes[FlagsOffset] & 0x7 : 0;

    public int SourceCount => QueryVersion == 3 ? BinaryPrimitives.ReadUInt16BigEndian(_bytes[SourceCountOffset..]) : 0;

    /// <summary>The sources of an IGMPv3 query, 4 bytes each.</summary>
    public ReadOnlySpan<byte> Sources => QueryVersion == 3
        ? _bytes.Slice(SourcesOffset, SourceCount * Ipv4Address.Length)
        : [];

    /// <summary>Writes an IGMPv1/v2 report or an IGMPv2 leave (RFC 2236 §2) for <paramref name="group"/>, with its checksum.</summary>
    public static int WriteV2(Span<byte> buffer, IgmpType type, Ipv4Address group)
    {
        var message = buffer[..MinLength];
        message.Clear();
        message[0] = (byte)type;
        group.Write(message[GroupOffset..]);
        MembershipReport.FillPlainChecksum(message);
        return MinLength;
    }
}
