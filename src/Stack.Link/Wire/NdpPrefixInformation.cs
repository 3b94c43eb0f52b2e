using System.Buffers.Binary;

namespace Stack.Link.Wire;

/// <summary>One Prefix Information option of a router advertisement (RFC 4861 §4.6.2).</summary>
public readonly record struct NdpPrefixInformation(
    Ipv6Address Prefix,
    byte PrefixLength,
    bool OnLink,
    bool Autonomous,
    uint ValidLifetime,
    uint PreferredLifetime)
{
    internal const int Length = 32;
    private const int PrefixLengthOffset = 2;
    private const int FlagsOffset = 3;
    private const int ValidLifetimeOffset = 4;
    private const int PreferredLifetimeOffset = 8;
    private const int PrefixOffset = 16;

    private const byte OnLinkFlag = 0x80;
    private const byte AutonomousFlag = 0x40;

    /// <summary>A Prefix Information option as the walker returns it: false unless it is exactly 4 units long.</summary>
    public static bool TryRead(ReadOnlySpan<byte> option, out NdpPrefixInformation prefix)
    {
        prefix = default;
        if (option.Length != Length || option[NdpOption.TypeOffset] != NdpOption.PrefixInformation) return false;
        prefix = Read(option);
        return true;
    }

    internal static NdpPrefixInformation Read(ReadOnlySpan<byte> option) => new(
        Ipv6Address.Read(option[PrefixOffset..]),
        option[PrefixLengthOffset],
        (option[FlagsOffset] & OnLinkFlag) != 0,
        (option[FlagsOffset] & AutonomousFlag) != 0,
        BinaryPrimitives.ReadUInt32BigEndian(option[ValidLifetimeOffset..]),
        BinaryPrimitives.ReadUInt32BigEndian(option[PreferredLifetimeOffset..]));
}

/// <summary>
/// Enumerates the Prefix Information options of a message, in order, without allocating. Options of the wrong
/// length are skipped (RFC 4861 §4.6.2 fixes the length at 4 units).
/// </summary>
public ref struct NdpPrefixEnumerator
{
    private NdpOptionWalker _walker;

    internal NdpPrefixEnumerator(ReadOnlySpan<byte> options)
    {
        _walker = new NdpOptionWalker(options);
        Current = default;
    }

    public NdpPrefixInformation Current { get; private set; }

    public readonly NdpPrefixEnumerator GetEnumerator() => this;

    public bool MoveNext()
    {
        while (_walker.MoveNext(out var option))
        {
            if (option[NdpOption.TypeOffset] == NdpOption.PrefixInformation
                && option.Length == NdpPrefixInformation.Length)
            {
                Current = NdpPrefixInformation.Read(option);
                return true;
            }
        }
        return false;
    }
}
