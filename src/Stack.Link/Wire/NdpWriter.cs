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
    private const int NeighborMessageLength = 24;

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
