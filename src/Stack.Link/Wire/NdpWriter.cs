using System.Buffers.Binary;

namespace Stack.Link.Wire;

/// <summary>
/// Writes neighbour discovery messages (RFC 4861 §4) from the ICMPv6 type on, with a zero checksum: the IP layer
/// knows the addresses and fills it in at <see cref="ChecksumOffset"/>. Each method returns the length written.
/// </summary>
public static class NdpWriter
{
    public const int ChecksumOffset = 2;
    private const int TypeOffset = 0;
    private const int CodeOffset = 1;
    private const int ReservedOffset = 4;
    private const int NeighborFlagsOffset = 4;
    private const int TargetOffset = 8;
    private const int RouterSolicitationLength = 8;
    private const int RouterAdvertisementLength = 16;
    private const int NeighborMessageLength = 24;
    private const int RedirectLength = 40;
    private const int DestinationOffset = 24;

    private const uint RouterBit = 0x8000_0000;
    private const uint SolicitedBit = 0x4000_0000;
    private const uint OverrideBit = 0x2000_0000;

    /// <summary>RFC 4861 §4.3. Leave out the source link-layer option when the source is unspecified (DAD).</summary>
    public static int WriteNeighborSolicitation(Span<byte> buffer, Ipv6Address target, MacAddress? sourceLinkLayer)
    {
        WriteFixed(buffer, NdpMessage.NeighborSolicitation, NeighborMessageLength);
        target.Write(buffer[TargetOffset..]);
        return NeighborMessageLength
            + WriteLinkLayerOption(buffer[NeighborMessageLength..], NdpOption.SourceLinkLayerAddress, sourceLinkLayer);
    }

    /// <summary>RFC 4861 §4.4.</summary>
    public static int WriteNeighborAdvertisement(Span<byte> buffer, Ipv6Address target, bool router, bool solicited,
        bool @override, MacAddress? targetLinkLayer)
    {
        WriteFixed(buffer, NdpMessage.NeighborAdvertisement, NeighborMessageLength);
        uint flags = (router ? RouterBit : 0) | (solicited ? SolicitedBit : 0) | (@override ? OverrideBit : 0);
        BinaryPrimitives.WriteUInt32BigEndian(buffer[NeighborFlagsOffset..], flags);
        target.Write(buffer[TargetOffset..]);
        return NeighborMessageLength
            + WriteLinkLayerOption(buffer[NeighborMessageLength..], NdpOption.TargetLinkLayerAddress, targetLinkLayer);
    }

    /// <summary>RFC 4861 §4.1.</summary>
    public static int WriteRouterSolicitation(Span<byte> buffer, MacAddress? sourceLinkLayer)
    {
        WriteFixed(buffer, NdpMessage.RouterSolicitation, RouterSolicitationLength);
        return RouterSolicitationLength
            + WriteLinkLayerOption(buffer[RouterSolicitationLength..], NdpOption.SourceLinkLayerAddress, sourceLinkLayer);
    }

    /// <summary>
    /// RFC 4861 §4.2: the fixed part of a router advertisement; append options with the Write…Option methods.
    /// Times are as on the wire: <paramref name="routerLifetime"/> in seconds, the others in milliseconds.
    /// </summary>
    public static int WriteRouterAdvertisement(Span<byte> buffer, byte curHopLimit, bool managed, bool other,
        ushort routerLifetime, uint reachableTime, uint retransTimer)
    {
        WriteFixed(buffer, NdpMessage.RouterAdvertisement, RouterAdvertisementLength);
        buffer[4] = curHopLimit;
        buffer[5] = (byte)((managed ? 0x80 : 0) | (other ? 0x40 : 0));
        BinaryPrimitives.WriteUInt16BigEndian(buffer[6..], routerLifetime);
        BinaryPrimitives.WriteUInt32BigEndian(buffer[8..], reachableTime);
        BinaryPrimitives.WriteUInt32BigEndian(buffer[12..], retransTimer);
        return RouterAdvertisementLength;
    }

    /// <summary>RFC 4861 §4.5: a redirect of <paramref name="destination"/> to <paramref name="target"/>.</summary>
    public static int WriteRedirect(Span<byte> buffer, Ipv6Address target, Ipv6Address destination, MacAddress? targetLinkLayer)
    {
        WriteFixed(buffer, NdpMessage.Redirect, RedirectLength);
        target.Write(buffer[TargetOffset..]);
        destination.Write(buffer[DestinationOffset..]);
        return RedirectLength + WriteLinkLayerOption(buffer[RedirectLength..], NdpOption.TargetLinkLayerAddress, targetLinkLayer);
    }

    /// <summary>RFC 4861 §4.6.1: a source link-layer address option.</summary>
    public static int WriteSourceLinkLayerOption(Span<byte> buffer, MacAddress mac) =>
        WriteLinkLayerOption(buffer, NdpOption.SourceLinkLayerAddress, mac);

    /// <summary>RFC 4861 §4.6.2: a Prefix Information option (32 bytes).</summary>
    public static int WritePrefixOption(Span<byte> buffer, NdpPrefixInformation prefix)
    {
        var option = buffer[..NdpPrefixInformation.Length];
        option.Clear();
        option[NdpOption.TypeOffset] = NdpOption.PrefixInformation;
        option[NdpOption.LengthOffset] = NdpPrefixInformation.Length / NdpOption.Unit;
        option[2] = prefix.PrefixLength;
        option[3] = (byte)((prefix.OnLink ? 0x80 : 0) | (prefix.Autonomous ? 0x40 : 0));
        BinaryPrimitives.WriteUInt32BigEndian(option[4..], prefix.ValidLifetime);
        BinaryPrimitives.WriteUInt32BigEndian(option[8..], prefix.PreferredLifetime);
        prefix.Prefix.Write(option[16..]);
        return option.Length;
    }

    /// <summary>RFC 4861 §4.6.4: an MTU option (8 bytes).</summary>
    public static int WriteMtuOption(Span<byte> buffer, uint mtu)
    {
        var option = buffer[..NdpOption.MtuLength];
        option.Clear();
        option[NdpOption.TypeOffset] = NdpOption.Mtu;
        option[NdpOption.LengthOffset] = 1;
        BinaryPrimitives.WriteUInt32BigEndian(option[NdpOption.MtuValueOffset..], mtu);
        return option.Length;
    }

    /// <summary>RFC 8106 §5.1: a Recursive DNS Server option with <paramref name="servers"/> (at least one).</summary>
    public static int WriteDnsServersOption(Span<byte> buffer, uint lifetime, ReadOnlySpan<Ipv6Address> servers)
    {
        var option = buffer[..(8 + servers.Length * Ipv6Address.Length)];
        option.Clear();
        option[NdpOption.TypeOffset] = NdpOption.RecursiveDnsServer;
        option[NdpOption.LengthOffset] = (byte)(option.Length / NdpOption.Unit);
        BinaryPrimitives.WriteUInt32BigEndian(option[4..], lifetime);
        for (int i = 0; i < servers.Length; i++) servers[i].Write(option[(8 + i * Ipv6Address.Length)..]);
        return option.Length;
    }

    private static void WriteFixed(Span<byte> buffer, byte type, int length)
    {
        buffer[..length].Clear();
        buffer[TypeOffset] = type;
        buffer[CodeOffset] = 0;
        BinaryPrimitives.WriteUInt16BigEndian(buffer[ChecksumOffset..], 0);
        BinaryPrimitives.WriteUInt32BigEndian(buffer[ReservedOffset..], 0);
    }

    private static int WriteLinkLayerOption(Span<byte> buffer, byte type, MacAddress? mac)
    {
        if (mac is not { } address)
            return 0;
        buffer[NdpOption.TypeOffset] = type;
        buffer[NdpOption.LengthOffset] = NdpOption.LinkLayerAddressLength / NdpOption.Unit;
        address.Write(buffer[NdpOption.LinkLayerAddressOffset..]);
        return NdpOption.LinkLayerAddressLength;
    }
}
