using System.Buffers.Binary;
using Stack.Link.Diagnostics;

namespace Stack.Link.Wire;

/// <summary>
/// A view of a neighbour discovery message (RFC 4861 §4): a whole ICMPv6 message whose checksum the IP layer
/// has already verified. <see cref="TryParse"/> applies the checks of RFC 4861 §6.1 and §7.1 that need only the
/// message; hop limit 255 and address rules are the caller's. Which getters make sense depends on the type.
/// </summary>
public readonly ref struct NdpMessage
{
    /// <summary>ICMPv6 types (RFC 4861 §4), as bytes: Stack.Link cannot see Stack.IP's enum.</summary>
    public const byte RouterSolicitation = 133;
    public const byte RouterAdvertisement = 134;
    public const byte NeighborSolicitation = 135;
    public const byte NeighborAdvertisement = 136;
    public const byte Redirect = 137;

    private const int TypeOffset = 0;
    private const int CodeOffset = 1;
    private const int TargetOffset = 8;
    private const int DestinationOffset = 24;

    // Router advertisement (§4.2).
    private const int CurHopLimitOffset = 4;
    private const int RouterFlagsOffset = 5;
    private const int RouterLifetimeOffset = 6;
    private const int ReachableTimeOffset = 8;
    private const int RetransTimerOffset = 12;
    private const byte ManagedBit = 0x80;
    private const byte OtherBit = 0x40;

    // Neighbour advertisement (§4.4).
    private const int NeighborFlagsOffset = 4;
    private const byte RouterBit = 0x80;
    private const byte SolicitedBit = 0x40;
    private const byte OverrideBit = 0x20;

    // Where the options start, which is also the minimum length (§6.1.1, §6.1.2, §7.1.1, §7.1.2).
    private const int RouterSolicitationLength = 8;
    private const int RouterAdvertisementLength = 16;
    private const int NeighborMessageLength = 24;
    private const int RedirectLength = 40;

    private readonly ReadOnlySpan<byte> _bytes;
    private readonly int _optionsOffset;

    private NdpMessage(ReadOnlySpan<byte> bytes, int optionsOffset)
    {
        _bytes = bytes;
        _optionsOffset = optionsOffset;
    }

    public static bool TryParse(ReadOnlySpan<byte> icmp, out NdpMessage message, out RejectReason reason)
    {
        message = default;
        if (icmp.Length < 1)
        {
            reason = RejectReason.Truncated;
            return false;
        }
        int optionsOffset;
        switch (icmp[TypeOffset])
        {
            case RouterSolicitation: optionsOffset = RouterSolicitationLength; break;
            case RouterAdvertisement: optionsOffset = RouterAdvertisementLength; break;
            case NeighborSolicitation:
            case NeighborAdvertisement: optionsOffset = NeighborMessageLength; break;
            case Redirect: optionsOffset = RedirectLength; break;
            default:
                reason = RejectReason.UnsupportedType;
                return false;
        }
        if (icmp.Length < optionsOffset)
        {
            reason = RejectReason.Truncated;
            return false;
        }
        if (icmp[CodeOffset] != 0)
        {
            reason = RejectReason.BadField;
            return false;
        }
        // §7.1.1 / §7.1.2: the target address is not a multicast address.
        if (optionsOffset == NeighborMessageLength && Ipv6Address.Read(icmp[TargetOffset..]).IsMulticast)
        {
            reason = RejectReason.BadAddress;
            return false;
        }
        // §8.1: a redirect's destination is a unicast address, and its target is a link-local address (a better
        // router) or the destination itself (which is then a neighbour).
        if (optionsOffset == RedirectLength)
        {
            var target = Ipv6Address.Read(icmp[TargetOffset..]);
            var destination = Ipv6Address.Read(icmp[DestinationOffset..]);
            if (destination.IsMulticast || destination.IsUnspecified || (!target.IsLinkLocal && target != destination))
            {
                reason = RejectReason.BadAddress;
                return false;
            }
        }
        if (!NdpOption.AreWellFormed(icmp[optionsOffset..]))
        {
            reason = RejectReason.BadOption;
            return false;
        }
        message = new NdpMessage(icmp, optionsOffset);
        reason = RejectReason.None;
        return true;
    }

    public byte Type => _bytes[TypeOffset];

    /// <summary>The target of a neighbour solicitation, advertisement or redirect (the unspecified address for other types).</summary>
    public Ipv6Address Target => Fits(TargetOffset, 16) && Type != RouterAdvertisement ? Ipv6Address.Read(_bytes[TargetOffset..]) : default;

    /// <summary>The destination a redirect is about (RFC 4861 §4.5; the unspecified address for other types).</summary>
    public Ipv6Address Destination => Type == Redirect ? Ipv6Address.Read(_bytes[DestinationOffset..]) : default;

    // The fixed fields of one type read as zero in a message of another type that is too short to hold them
    // (a router solicitation is 8 bytes): a view never reads outside its buffer.
    public bool RouterFlag => (Byte(NeighborFlagsOffset) & RouterBit) != 0;
    public bool SolicitedFlag => (Byte(NeighborFlagsOffset) & SolicitedBit) != 0;
    public bool OverrideFlag => (Byte(NeighborFlagsOffset) & OverrideBit) != 0;

    public byte CurHopLimit => Byte(CurHopLimitOffset);
    public bool ManagedFlag => (Byte(RouterFlagsOffset) & ManagedBit) != 0;
    public bool OtherFlag => (Byte(RouterFlagsOffset) & OtherBit) != 0;
    public ushort RouterLifetime => Fits(RouterLifetimeOffset, 2) ? BinaryPrimitives.ReadUInt16BigEndian(_bytes[RouterLifetimeOffset..]) : (ushort)0;
    public uint ReachableTime => Fits(ReachableTimeOffset, 4) ? BinaryPrimitives.ReadUInt32BigEndian(_bytes[ReachableTimeOffset..]) : 0;
    public uint RetransTimer => Fits(RetransTimerOffset, 4) ? BinaryPrimitives.ReadUInt32BigEndian(_bytes[RetransTimerOffset..]) : 0;

    private bool Fits(int offset, int length) => _bytes.Length >= offset + length;

    private byte Byte(int offset) => Fits(offset, 1) ? _bytes[offset] : (byte)0;

    /// <summary>The option area after the fixed part; every option in it has been checked to fit.</summary>
    public ReadOnlySpan<byte> Options => _bytes[_optionsOffset..];

    public bool TryGetSourceLinkLayer(out MacAddress mac) =>
        TryGetLinkLayer(NdpOption.SourceLinkLayerAddress, out mac);

    public bool TryGetTargetLinkLayer(out MacAddress mac) =>
        TryGetLinkLayer(NdpOption.TargetLinkLayerAddress, out mac);

    /// <summary>RFC 4861 §4.6.4: the link MTU a router advertises.</summary>
    public bool TryGetMtu(out uint mtu)
    {
        if (NdpOption.TryFind(Options, NdpOption.Mtu, NdpOption.MtuLength, out var option))
        {
            mtu = BinaryPrimitives.ReadUInt32BigEndian(option[NdpOption.MtuValueOffset..]);
            return true;
        }
        mtu = 0;
        return false;
    }

    /// <summary>The Prefix Information options, for <c>foreach</c>.</summary>
    public NdpPrefixEnumerator Prefixes => new(Options);

    private bool TryGetLinkLayer(byte type, out MacAddress mac)
    {
        if (NdpOption.TryFind(Options, type, NdpOption.LinkLayerAddressLength, out var option))
        {
            mac = MacAddress.Read(option[NdpOption.LinkLayerAddressOffset..]);
            return true;
        }
        mac = default;
        return false;
    }
}
