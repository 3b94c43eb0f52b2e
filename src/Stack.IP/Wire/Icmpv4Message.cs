using System.Buffers.Binary;
using Stack.Link.Diagnostics;
using Stack.Link.Wire;

namespace Stack.IP.Wire;

/// <summary>
/// A view of an ICMPv4 message (RFC 792): the whole IPv4 payload. Checked once by <see cref="TryParse"/>; the
/// getters then never fail. Which getters make sense depends on <see cref="Type"/>.
/// </summary>
public readonly ref struct Icmpv4Message
{
    public const int HeaderLength = 8;
    private const int TypeOffset = 0;
    private const int CodeOffset = 1;
    private const int ChecksumOffset = 2;
    private const int RestOfHeaderOffset = 4;
    private const int IdentifierOffset = 4;
    private const int SequenceOffset = 6;
    private const int PointerOffset = 4;
    private const int NextHopMtuOffset = 6;

    private readonly ReadOnlySpan<byte> _bytes;

    private Icmpv4Message(ReadOnlySpan<byte> bytes) => _bytes = bytes;

    public static bool TryParse(ReadOnlySpan<byte> bytes, out Icmpv4Message message, out RejectReason reason)
    {
        message = default;
        if (bytes.Length < HeaderLength)
        {
            reason = RejectReason.Truncated;
            return false;
        }
        // RFC 792: the checksum covers the whole ICMP message.
        if (!InternetChecksum.IsValid(bytes))
        {
            reason = RejectReason.BadChecksum;
            return false;
        }
        message = new Icmpv4Message(bytes);
        reason = RejectReason.None;
        return true;
    }

    public Icmpv4Type Type => (Icmpv4Type)_bytes[TypeOffset];
    public byte Code => _bytes[CodeOffset];
    public ushort Checksum => BinaryPrimitives.ReadUInt16BigEndian(_bytes[ChecksumOffset..]);
    public ushort Identifier => BinaryPrimitives.ReadUInt16BigEndian(_bytes[IdentifierOffset..]);
    public ushort SequenceNumber => BinaryPrimitives.ReadUInt16BigEndian(_bytes[SequenceOffset..]);

    /// <summary>RFC 1191 §4: the next-hop MTU of a "fragmentation needed" unreachable (0 from old routers).</summary>
    public ushort NextHopMtu => BinaryPrimitives.ReadUInt16BigEndian(_bytes[NextHopMtuOffset..]);

    /// <summary>RFC 792: the octet of the quoted header where a parameter problem was found.</summary>
    public byte Pointer => _bytes[PointerOffset];

    /// <summary>RFC 792: the gateway a redirect names as the better first hop.</summary>
    public Ipv4Address Gateway => new(RestOfHeader);

    public uint RestOfHeader => BinaryPrimitives.ReadUInt32BigEndian(_bytes[RestOfHeaderOffset..]);

    /// <summary>Echo data, or the quoted IP header and the first bytes of its payload for errors.</summary>
    public ReadOnlySpan<byte> Body => _bytes[HeaderLength..];

    /// <summary>RFC 1122 §3.2.2: the error messages, which must never be answered with another error.</summary>
    public bool IsError => Type is Icmpv4Type.DestinationUnreachable or Icmpv4Type.SourceQuench
        or Icmpv4Type.Redirect or Icmpv4Type.TimeExceeded or Icmpv4Type.ParameterProblem;

    /// <summary>Writes an echo request or reply with its checksum; returns the bytes written.</summary>
    public static int WriteEcho(Span<byte> buffer, Icmpv4Type type, ushort identifier, ushort sequence,
        ReadOnlySpan<byte> data) =>
        Write(buffer, type, 0, ((uint)identifier << 16) | sequence, data);

    /// <summary>Writes an error (or any message with a 4-byte rest of header) with its checksum.</summary>
    public static int WriteError(Span<byte> buffer, Icmpv4Type type, byte code, uint restOfHeader,
        ReadOnlySpan<byte> quoted) =>
        Write(buffer, type, code, restOfHeader, quoted);

    private static int Write(Span<byte> buffer, Icmpv4Type type, byte code, uint restOfHeader, ReadOnlySpan<byte> body)
    {
        var message = buffer[..(HeaderLength + body.Length)];
        message[TypeOffset] = (byte)type;
        message[CodeOffset] = code;
        BinaryPrimitives.WriteUInt16BigEndian(message[ChecksumOffset..], 0);
        BinaryPrimitives.WriteUInt32BigEndian(message[RestOfHeaderOffset..], restOfHeader);
        body.CopyTo(message[HeaderLength..]);
        BinaryPrimitives.WriteUInt16BigEndian(message[ChecksumOffset..], InternetChecksum.Compute(message));
        return message.Length;
    }
}
