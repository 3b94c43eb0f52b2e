namespace Stack.Link.Wire;

/// <summary>
/// Neighbour discovery option types and layout (RFC 4861 §4.6): type, length in 8-octet units (never 0), value.
/// </summary>
public static class NdpOption
{
    public const byte SourceLinkLayerAddress = 1;
    public const byte TargetLinkLayerAddress = 2;
    public const byte PrefixInformation = 3;
    public const byte RedirectedHeader = 4;
    public const byte Mtu = 5;

    /// <summary>RFC 8106 §5.1: Recursive DNS Server.</summary>
    public const byte RecursiveDnsServer = 25;

    internal const int TypeOffset = 0;
    internal const int LengthOffset = 1;
    internal const int Unit = 8;

    /// <summary>Link-layer address options for Ethernet are one unit: type, length, 6-byte MAC (RFC 2464 §6).</summary>
    internal const int LinkLayerAddressLength = 8;
    internal const int LinkLayerAddressOffset = 2;

    internal const int MtuLength = 8;
    internal const int MtuValueOffset = 4;

    /// <summary>The type of an option the walker returned.</summary>
    public static byte TypeOf(ReadOnlySpan<byte> option) => option[TypeOffset];

    /// <summary>An MTU option (RFC 4861 §4.6.4): false unless it is exactly one unit long.</summary>
    public static bool TryReadMtu(ReadOnlySpan<byte> option, out uint mtu)
    {
        mtu = 0;
        if (option.Length != MtuLength || option[TypeOffset] != Mtu) return false;
        mtu = System.Buffers.Binary.BinaryPrimitives.ReadUInt32BigEndian(option[MtuValueOffset..]);
        return true;
    }

    /// <summary>
    /// A source or target link-layer address option for Ethernet (RFC 4861 §4.6.1, RFC 2464 §6): false unless it
    /// is one unit long.
    /// </summary>
    public static bool TryReadLinkLayer(ReadOnlySpan<byte> option, out MacAddress mac)
    {
        mac = default;
        if (option.Length != LinkLayerAddressLength) return false;
        mac = MacAddress.Read(option[LinkLayerAddressOffset..]);
        return true;
    }

    /// <summary>
    /// Finds the first option of <paramref name="type"/> in an already-validated option area, that is at least
    /// <paramref name="minLength"/> bytes long.
    /// </summary>
    internal static bool TryFind(ReadOnlySpan<byte> options, byte type, int minLength, out ReadOnlySpan<byte> option)
    {
        var walker = new NdpOptionWalker(options);
        while (walker.MoveNext(out option))
        {
            if (option[TypeOffset] == type && option.Length >= minLength)
                return true;
        }
        option = default;
        return false;
    }

    /// <summary>RFC 4861 §4.6: every option has a non-zero length that fits in the message.</summary>
    internal static bool AreWellFormed(ReadOnlySpan<byte> options)
    {
        int i = 0;
        while (i < options.Length)
        {
            if (options.Length - i < 2)
                return false;
            int length = options[i + LengthOffset] * Unit;
            if (length == 0 || length > options.Length - i)
                return false;
            i += length;
        }
        return true;
    }
}

/// <summary>Steps through a validated option area one whole option at a time.</summary>
public ref struct NdpOptionWalker
{
    private ReadOnlySpan<byte> _rest;

    public NdpOptionWalker(ReadOnlySpan<byte> options) => _rest = options;

    public bool MoveNext(out ReadOnlySpan<byte> option)
    {
        // Defensive against an unvalidated area: stop rather than read past the end or loop forever.
        if (_rest.Length < 2 || _rest[NdpOption.LengthOffset] == 0
            || _rest[NdpOption.LengthOffset] * NdpOption.Unit > _rest.Length)
        {
            option = default;
            return false;
        }
        int length = _rest[NdpOption.LengthOffset] * NdpOption.Unit;
        option = _rest[..length];
        _rest = _rest[length..];
        return true;
    }
}
