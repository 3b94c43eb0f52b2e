using System.Buffers.Binary;

namespace Stack.IP.Wire;

/// <summary>The kinds of a multicast address record (RFC 3810 §5.2.12, RFC 3376 §4.2.12).</summary>
public enum MembershipRecordType : byte
{
    /// <summary>Current state: receive only from the sources listed.</summary>
    ModeIsInclude = 1,
    /// <summary>Current state: receive from all but the sources listed.</summary>
    ModeIsExclude = 2,
    /// <summary>State change to INCLUDE (with no sources: the group is left).</summary>
    ChangeToInclude = 3,
    /// <summary>State change to EXCLUDE (with no sources: the group is joined).</summary>
    ChangeToExclude = 4,
    AllowNewSources = 5,
    BlockOldSources = 6,
}

/// <summary>One multicast address record of a report: its kind, the group, and its sources (none for any-source).</summary>
public readonly record struct MembershipRecord(MembershipRecordType Type, IpAddress Group, IReadOnlyList<IpAddress>? Sources = null)
{
    /// <summary>The bytes it takes in a report.</summary>
    public int Length => MembershipReport.RecordHeaderLength + AddressLength * (1 + (Sources?.Count ?? 0));

    private int AddressLength => Group.IsIpv6 ? 16 : 4;
}

/// <summary>
/// An MLDv2 report (RFC 3810 §5.2) or an IGMPv3 report (RFC 3376 §4.2): the two share one layout, a type, a
/// checksum, a record count and records, and differ in the type number and the size of an address. The checksum
/// is left zero for the caller (MLD's covers the IPv6 pseudo-header, IGMP's does not).
/// </summary>
public static class MembershipReport
{
    public const int HeaderLength = 8;
    public const int RecordHeaderLength = 4;

    /// <summary>RFC 3810 §5.2: type 143.</summary>
    public const byte MldV2Type = 143;

    /// <summary>RFC 3376 §4.2: type 0x22.</summary>
    public const byte IgmpV3Type = 0x22;

    private const int ChecksumOffset = 2;
    private const int RecordCountOffset = 6;

    /// <summary>Writes a report of <paramref name="type"/> holding <paramref name="records"/>; returns its length.</summary>
    public static int Write(Span<byte> buffer, byte type, ReadOnlySpan<MembershipRecord> records)
    {
        buffer[..HeaderLength].Clear();
        buffer[0] = type;
        BinaryPrimitives.WriteUInt16BigEndian(buffer[RecordCountOffset..], (ushort)records.Length);
        int at = HeaderLength;
        foreach (var r in records)
        {
            var record = buffer[at..];
            record[0] = (byte)r.Type;
            record[1] = 0; // aux data length
            int sources = r.Sources?.Count ?? 0;
            BinaryPrimitives.WriteUInt16BigEndian(record[2..], (ushort)sources);
            int next = RecordHeaderLength + WriteAddress(record[RecordHeaderLength..], r.Group);
            for (int i = 0; i < sources; i++) next += WriteAddress(record[next..], r.Sources![i]);
            at += next;
        }
        return at;
    }

    /// <summary>The checksum field of a message written by <see cref="Write"/>, for IGMP's plain checksum.</summary>
    public static void FillPlainChecksum(Span<byte> message)
    {
        BinaryPrimitives.WriteUInt16BigEndian(message[ChecksumOffset..], 0);
        BinaryPrimitives.WriteUInt16BigEndian(message[ChecksumOffset..], Stack.Link.Wire.InternetChecksum.Compute(message));
    }

    private static int WriteAddress(Span<byte> buffer, IpAddress address)
    {
        if (address.IsIpv6)
        {
            address.V6.Write(buffer);
            return 16;
        }
        address.V4.Write(buffer);
        return 4;
    }
}
