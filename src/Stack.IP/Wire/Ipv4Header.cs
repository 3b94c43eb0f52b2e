using System.Buffers.Binary;
using Stack.Link.Diagnostics;
using Stack.Link.Wire;

namespace Stack.IP.Wire;

/// <summary>
/// A view of an IPv4 header and its payload (RFC 791 §3.1). Checked once by <see cref="TryParse"/>; the getters
/// then never fail. The view ends at TotalLength: link padding after it is not part of the datagram.
/// </summary>
public readonly ref struct Ipv4Header
{
    public const int MinLength = 20;
    /// <summary>IHL is 4 bits of 32-bit words: at most 60 bytes, so at most 40 of options.</summary>
    internal const int MaxHeaderLength = 60;
    private const int VersionIhlOffset = 0;
    private const int TosOffset = 1;
    private const int TotalLengthOffset = 2;
    private const int IdentificationOffset = 4;
    private const int FlagsFragmentOffset = 6;
    private const int TtlOffset = 8;
    private const int ProtocolOffset = 9;
    private const int ChecksumOffset = 10;
    private const int SourceOffset = 12;
    private const int DestinationOffset = 16;

    private const ushort DontFragmentBit = 0x4000;
    private const ushort MoreFragmentsBit = 0x2000;
    private const ushort FragmentOffsetMask = 0x1FFF;

    /// <summary>RFC 791 §3.1: option type 0 ends the list, option type 1 is a one-byte filler.</summary>
    private const byte OptionEndOfList = 0;
    private const byte OptionNoOperation = 1;

    /// <summary>RFC 2113: the Router Alert option, copied, class 0, number 20 (148), four bytes long.</summary>
    public const byte OptionRouterAlert = 148;
    public const int RouterAlertLength = 4;

    private readonly ReadOnlySpan<byte> _bytes;

    private Ipv4Header(ReadOnlySpan<byte> bytes) => _bytes = bytes;

    public static bool TryParse(ReadOnlySpan<byte> bytes, out Ipv4Header header, out RejectReason reason)
    {
        header = default;
        if (bytes.Length < MinLength)
        {
            reason = RejectReason.Truncated;
            return false;
        }
        if (bytes[VersionIhlOffset] >> 4 != 4)
        {
            reason = RejectReason.BadVersion;
            return false;
        }
        int headerLength = (bytes[VersionIhlOffset] & 0x0F) * 4;
        if (headerLength < MinLength || headerLength > bytes.Length)
        {
            reason = RejectReason.BadHeaderLength;
            return false;
        }
        int totalLength = BinaryPrimitives.ReadUInt16BigEndian(bytes[TotalLengthOffset..]);
        if (totalLength < headerLength || totalLength > bytes.Length)
        {
            reason = RejectReason.BadTotalLength;
            return false;
        }
        // RFC 1122 §3.2.1.2: a datagram whose header checksum fails is silently discarded.
        if (!InternetChecksum.IsValid(bytes[..headerLength]))
        {
            reason = RejectReason.BadChecksum;
            return false;
        }
        if (!OptionsAreWellFormed(bytes[MinLength..headerLength]))
        {
            reason = RejectReason.BadOption;
            return false;
        }
        header = new Ipv4Header(bytes[..totalLength]);
        reason = RejectReason.None;
        return true;
    }

    /// <summary>RFC 791 §3.1: options are EOL, NOP, or type-length-value with length covering type and length.</summary>
    private static bool OptionsAreWellFormed(ReadOnlySpan<byte> options)
    {
        int i = 0;
        while (i < options.Length)
        {
            byte type = options[i];
            if (type == OptionEndOfList)
                return true;
            if (type == OptionNoOperation)
            {
                i++;
                continue;
            }
            if (i + 1 >= options.Length)
                return false;
            int length = options[i + 1];
            if (length < 2 || i + length > options.Length)
                return false;
            i += length;
        }
        return true;
    }

    public int HeaderLength => (_bytes[VersionIhlOffset] & 0x0F) * 4;
    public int TotalLength => _bytes.Length;
    public byte TypeOfService => _bytes[TosOffset];
    public ushort Identification => BinaryPrimitives.ReadUInt16BigEndian(_bytes[IdentificationOffset..]);
    private ushort FlagsAndOffset => BinaryPrimitives.ReadUInt16BigEndian(_bytes[FlagsFragmentOffset..]);
    public bool DontFragment => (FlagsAndOffset & DontFragmentBit) != 0;
    public bool MoreFragments => (FlagsAndOffset & MoreFragmentsBit) != 0;

    /// <summary>The fragment offset in bytes (the field counts 8-byte units, RFC 791 §3.1).</summary>
    public int FragmentOffset => (FlagsAndOffset & FragmentOffsetMask) * 8;

    public bool IsFragment => MoreFragments || FragmentOffset != 0;
    public byte Ttl => _bytes[TtlOffset];
    public IpProtocol Protocol => (IpProtocol)_bytes[ProtocolOffset];
    public ushort Checksum => BinaryPrimitives.ReadUInt16BigEndian(_bytes[ChecksumOffset..]);
    public Ipv4Address Source => Ipv4Address.Read(_bytes[SourceOffset..]);
    public Ipv4Address Destination => Ipv4Address.Read(_bytes[DestinationOffset..]);
    public ReadOnlySpan<byte> Options => _bytes[MinLength..HeaderLength];

    /// <summary>True when the options hold a Router Alert (RFC 2113), as IGMPv2 and IGMPv3 messages must.</summary>
    public bool HasRouterAlert
    {
        get
        {
            var options = Options;
            int i = 0;
            // The options were checked well-formed by TryParse, so each length stays inside them.
            while (i < options.Length && options[i] != OptionEndOfList)
            {
                if (options[i] == OptionNoOperation)
                {
                    i++;
                    continue;
                }
                if (options[i] == OptionRouterAlert && options[i + 1] == RouterAlertLength) return true;
                i += options[i + 1];
            }
            return false;
        }
    }
    public ReadOnlySpan<byte> Header => _bytes[..HeaderLength];
    public ReadOnlySpan<byte> Payload => _bytes[HeaderLength..];

    internal static void WriteFixed(Span<byte> buffer, in Ipv4Repr repr, int headerLength)
    {
        buffer[VersionIhlOffset] = (byte)(0x40 | (headerLength / 4));
        buffer[TosOffset] = repr.TypeOfService;
        BinaryPrimitives.WriteUInt16BigEndian(buffer[TotalLengthOffset..], (ushort)(headerLength + repr.PayloadLength));
        BinaryPrimitives.WriteUInt16BigEndian(buffer[IdentificationOffset..], repr.Identification);
        ushort flags = (ushort)((repr.DontFragment ? DontFragmentBit : 0)
            | (repr.MoreFragments ? MoreFragmentsBit : 0)
            | (repr.FragmentOffset / 8));
        BinaryPrimitives.WriteUInt16BigEndian(buffer[FlagsFragmentOffset..], flags);
        buffer[TtlOffset] = repr.Ttl;
        buffer[ProtocolOffset] = (byte)repr.Protocol;
        BinaryPrimitives.WriteUInt16BigEndian(buffer[ChecksumOffset..], 0);
        repr.Source.Write(buffer[SourceOffset..]);
        repr.Destination.Write(buffer[DestinationOffset..]);
    }

    internal static void FillChecksum(Span<byte> header) =>
        BinaryPrimitives.WriteUInt16BigEndian(header[ChecksumOffset..], InternetChecksum.Compute(header));
}
