using Stack.Link.Wire;

namespace Stack.IP.Wire;

/// <summary>
/// The fields of an IPv4 header as a plain value. <see cref="FragmentOffset"/> is in bytes and must be a
/// multiple of 8; <see cref="PayloadLength"/> is what follows the header.
/// </summary>
public readonly record struct Ipv4Repr(
    Ipv4Address Source,
    Ipv4Address Destination,
    IpProtocol Protocol,
    int PayloadLength,
    byte Ttl = 64,
    ushort Identification = 0,
    bool DontFragment = false,
    bool MoreFragments = false,
    int FragmentOffset = 0,
    byte TypeOfService = 0)
{
    private const int MaxFragmentOffset = 0x1FFF * 8;

    /// <summary>The header length with <paramref name="optionsLength"/> bytes of options, padded to 4 bytes.</summary>
    public int HeaderLength(int optionsLength = 0) => Ipv4Header.MinLength + ((optionsLength + 3) & ~3);

    /// <summary>
    /// Writes the header (options padded with zeros, i.e. end-of-list, to a 4-byte boundary) and its checksum;
    /// returns the header length. The payload goes right after it.
    /// </summary>
    public int Write(Span<byte> buffer, ReadOnlySpan<byte> options = default)
    {
        int headerLength = HeaderLength(options.Length);
        if (headerLength > Ipv4Header.MaxHeaderLength)
            throw new ArgumentException($"IPv4 options are at most 40 bytes; got {options.Length}.", nameof(options));
        if (FragmentOffset % 8 != 0 || FragmentOffset < 0 || FragmentOffset > MaxFragmentOffset)
            throw new ArgumentException(
                $"FragmentOffset is in bytes and must be a multiple of 8 in [0, {MaxFragmentOffset}]; got {FragmentOffset}.");
        if (PayloadLength < 0 || headerLength + PayloadLength > ushort.MaxValue)
            throw new ArgumentException($"PayloadLength {PayloadLength} does not fit an IPv4 total length.");
        var header = buffer[..headerLength];
        Ipv4Header.WriteFixed(header, this, headerLength);
        options.CopyTo(header[Ipv4Header.MinLength..]);
        header[(Ipv4Header.MinLength + options.Length)..].Clear();
        Ipv4Header.FillChecksum(header);
        return headerLength;
    }

    public static Ipv4Repr From(in Ipv4Header h) => new(
        h.Source, h.Destination, h.Protocol, h.TotalLength - h.HeaderLength, h.Ttl, h.Identification,
        h.DontFragment, h.MoreFragments, h.FragmentOffset, h.TypeOfService);
}
