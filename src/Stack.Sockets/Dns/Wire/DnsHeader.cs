using System.Buffers.Binary;

namespace Stack.Sockets.Dns.Wire;

/// <summary>The 12-byte header (RFC 1035 §4.1.1). The section counts of a message written come from its lists.</summary>
public readonly record struct DnsHeader(
    ushort Id,
    bool IsResponse = false,
    byte Opcode = 0,
    bool Authoritative = false,
    bool Truncated = false,
    bool RecursionDesired = true,
    bool RecursionAvailable = false,
    DnsResponseCode ResponseCode = DnsResponseCode.NoError)
{
    public const int Length = 12;
    internal const int QuestionCountOffset = 4;

    private const ushort Qr = 0x8000, Aa = 0x0400, Tc = 0x0200, Rd = 0x0100, Ra = 0x0080;

    /// <summary>The header of <paramref name="message"/>, which holds at least <see cref="Length"/> bytes.</summary>
    public static DnsHeader Read(ReadOnlySpan<byte> message)
    {
        ushort flags = BinaryPrimitives.ReadUInt16BigEndian(message[2..]);
        return new DnsHeader(
            BinaryPrimitives.ReadUInt16BigEndian(message),
            (flags & Qr) != 0,
            (byte)((flags >> 11) & 0xF),
            (flags & Aa) != 0,
            (flags & Tc) != 0,
            (flags & Rd) != 0,
            (flags & Ra) != 0,
            (DnsResponseCode)(flags & 0xF));
    }

    /// <summary>Writes the header with these section counts into the first <see cref="Length"/> bytes.</summary>
    public void Write(Span<byte> destination, int questions, int answers, int authorities, int additionals)
    {
        int flags = (IsResponse ? Qr : 0) | ((Opcode & 0xF) << 11) | (Authoritative ? Aa : 0) | (Truncated ? Tc : 0) |
            (RecursionDesired ? Rd : 0) | (RecursionAvailable ? Ra : 0) | ((int)ResponseCode & 0xF);
        BinaryPrimitives.WriteUInt16BigEndian(destination, Id);
        BinaryPrimitives.WriteUInt16BigEndian(destination[2..], (ushort)flags);
        BinaryPrimitives.WriteUInt16BigEndian(destination[4..], checked((ushort)questions));
        BinaryPrimitives.WriteUInt16BigEndian(destination[6..], checked((ushort)answers));
        BinaryPrimitives.WriteUInt16BigEndian(destination[8..], checked((ushort)authorities));
        BinaryPrimitives.WriteUInt16BigEndian(destination[10..], checked((ushort)additionals));
    }
}
