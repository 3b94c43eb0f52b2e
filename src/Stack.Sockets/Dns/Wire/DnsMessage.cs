using System.Buffers.Binary;
using System.Net;

namespace Stack.Sockets.Dns.Wire;

/// <summary>
/// A whole DNS message (RFC 1035 §4.1), sans I/O: <see cref="TryParse"/> reads one from bytes (compressed names
/// followed, every malformation a <see cref="DnsRejectReason"/>, never an exception), <see cref="DnsWriter"/>
/// writes one.
/// </summary>
public sealed record DnsMessage(
    DnsHeader Header,
    IReadOnlyList<DnsQuestion> Questions,
    IReadOnlyList<DnsRecord> Answers,
    IReadOnlyList<DnsRecord> Authorities,
    IReadOnlyList<DnsRecord> Additionals)
{
    /// <summary>What a UDP message may hold without EDNS(0) (RFC 1035 §4.2.1); over that, a server truncates.</summary>
    public const int MaxUdpLength = 512;

    /// <summary>A query for <paramref name="question"/> with recursion desired.</summary>
    public static DnsMessage Query(ushort id, DnsQuestion question) =>
        new(new DnsHeader(id), [question], [], [], []);

    /// <summary>
    /// Parses <paramref name="bytes"/>. A message with the TC bit set may end inside a record section (RFC 2181
    /// §9 lets a server cut it anywhere): it is returned with the records read so far. Bytes after the last
    /// record are ignored, as Linux's resolver (glibc) does.
    /// </summary>
    public static DnsRejectReason TryParse(ReadOnlySpan<byte> bytes, out DnsMessage? message)
    {
        message = null;
        if (bytes.Length < DnsHeader.Length) return DnsRejectReason.Truncated;
        var header = DnsHeader.Read(bytes);
        int offset = DnsHeader.Length;
        var counts = new int[4];
        for (int i = 0; i < 4; i++) counts[i] = BinaryPrimitives.ReadUInt16BigEndian(bytes[(DnsHeader.QuestionCountOffset + 2 * i)..]);

        var questions = new List<DnsQuestion>();
        for (int i = 0; i < counts[0]; i++)
        {
            if (DnsName.TryRead(bytes, ref offset, out var name) is var bad and not DnsRejectReason.None) return bad;
            if (offset + 4 > bytes.Length) return DnsRejectReason.Truncated;
            questions.Add(new DnsQuestion(name, (DnsRecordType)BinaryPrimitives.ReadUInt16BigEndian(bytes[offset..]),
                (DnsClass)BinaryPrimitives.ReadUInt16BigEndian(bytes[(offset + 2)..])));
            offset += 4;
        }
        List<DnsRecord>[] sections = [[], [], []];
        for (int s = 0; s < 3; s++)
        {
            for (int i = 0; i < counts[s + 1]; i++)
            {
                var reason = TryReadRecord(bytes, ref offset, out var record);
                if (reason == DnsRejectReason.Truncated && header.Truncated) goto done;
                if (reason != DnsRejectReason.None) return reason;
                sections[s].Add(record!);
            }
        }
    done:
        message = new DnsMessage(header, questions, sections[0], sections[1], sections[2]);
        return DnsRejectReason.None;
    }

    private static DnsRejectReason TryReadRecord(ReadOnlySpan<byte> bytes, ref int offset, out DnsRecord? record)
    {
        record = null;
        if (DnsName.TryRead(bytes, ref offset, out var name) is var bad and not DnsRejectReason.None) return bad;
        if (offset + 10 > bytes.Length) return DnsRejectReason.Truncated;
        var type = (DnsRecordType)BinaryPrimitives.ReadUInt16BigEndian(bytes[offset..]);
        var cls = (DnsClass)BinaryPrimitives.ReadUInt16BigEndian(bytes[(offset + 2)..]);
        uint ttl = BinaryPrimitives.ReadUInt32BigEndian(bytes[(offset + 4)..]);
        if (ttl > DnsRecord.MaxTtl) ttl = 0;
        int length = BinaryPrimitives.ReadUInt16BigEndian(bytes[(offset + 8)..]);
        int start = offset + 10;
        if (start + length > bytes.Length) return DnsRejectReason.Truncated;
        var data = bytes.Slice(start, length);
        record = new DnsRecord(name, type, cls, ttl, data.ToArray());
        offset = start + length;
        if (type == DnsRecordType.OPT) return DnsRejectReason.None; // Its class and TTL are EDNS fields, not IN and a TTL.
        switch (type)
        {
            case DnsRecordType.A or DnsRecordType.AAAA:
                if (length != (type == DnsRecordType.A ? 4 : 16)) return DnsRejectReason.BadRecordData;
                record = record with { Address = new IPAddress(data) };
                break;
            case DnsRecordType.CNAME or DnsRecordType.NS or DnsRecordType.PTR:
            {
                int at = start;
                if (DnsName.TryRead(bytes, ref at, out var target) is var badTarget and not DnsRejectReason.None) return badTarget;
                if (at != start + length) return DnsRejectReason.BadRecordData;
                record = record with { Target = target };
                break;
            }
            case DnsRecordType.SOA:
            {
                int at = start;
                if (DnsName.TryRead(bytes, ref at, out var primary) is var badPrimary and not DnsRejectReason.None) return badPrimary;
                if (DnsName.TryRead(bytes, ref at, out var mailbox) is var badMailbox and not DnsRejectReason.None) return badMailbox;
                if (at + 20 != start + length) return DnsRejectReason.BadRecordData;
                var n = bytes[at..];
                record = record with
                {
                    Soa = new DnsSoa(primary, mailbox, BinaryPrimitives.ReadUInt32BigEndian(n), BinaryPrimitives.ReadUInt32BigEndian(n[4..]),
                        BinaryPrimitives.ReadUInt32BigEndian(n[8..]), BinaryPrimitives.ReadUInt32BigEndian(n[12..]),
                        BinaryPrimitives.ReadUInt32BigEndian(n[16..])),
                };
                break;
            }
        }
        return DnsRejectReason.None;
    }
}
