using System.Buffers.Binary;
using Stack.Link.Diagnostics;

namespace Stack.Link.Wire;

/// <summary>RFC 826 opcodes.</summary>
public enum ArpOperation : ushort
{
    Request = 1,
    Reply = 2,
}

/// <summary>
/// A view of an ARP packet for Ethernet and IPv4 (RFC 826), the only pairing we speak.
/// Checked once by <see cref="TryParse"/>; the getters then never fail.
/// </summary>
public readonly ref struct ArpPacket
{
    public const int Length = 28;
    private const int HardwareTypeOffset = 0;
    private const int ProtocolTypeOffset = 2;
    private const int HardwareLengthOffset = 4;
    private const int ProtocolLengthOffset = 5;
    private const int OperationOffset = 6;
    private const int SenderMacOffset = 8;
    private const int SenderIpOffset = 14;
    private const int TargetMacOffset = 18;
    private const int TargetIpOffset = 24;

    /// <summary>RFC 826 / IANA ARP parameters: hardware type 1 is Ethernet.</summary>
    private const ushort HardwareTypeEthernet = 1;

    private readonly ReadOnlySpan<byte> _bytes;

    private ArpPacket(ReadOnlySpan<byte> bytes) => _bytes = bytes;

    public static bool TryParse(ReadOnlySpan<byte> bytes, out ArpPacket packet, out RejectReason reason)
    {
        packet = default;
        if (bytes.Length < Length)
        {
            reason = RejectReason.Truncated;
            return false;
        }
        if (BinaryPrimitives.ReadUInt16BigEndian(bytes[HardwareTypeOffset..]) != HardwareTypeEthernet
            || BinaryPrimitives.ReadUInt16BigEndian(bytes[ProtocolTypeOffset..]) != (ushort)EtherType.Ipv4
            || bytes[HardwareLengthOffset] != MacAddress.Length
            || bytes[ProtocolLengthOffset] != Ipv4Address.Length)
        {
            reason = RejectReason.UnsupportedType;
            return false;
        }
        ushort op = BinaryPrimitives.ReadUInt16BigEndian(bytes[OperationOffset..]);
        if (op is not ((ushort)ArpOperation.Request or (ushort)ArpOperation.Reply))
        {
            reason = RejectReason.UnsupportedType;
            return false;
        }
        // Anything after the 28 bytes is Ethernet padding.
        packet = new ArpPacket(bytes[..Length]);
        reason = RejectReason.None;
        return true;
    }

    public ArpOperation Operation => (ArpOperation)BinaryPrimitives.ReadUInt16BigEndian(_bytes[OperationOffset..]);
    public MacAddress SenderMac => MacAddress.Read(_bytes[SenderMacOffset..]);
    public Ipv4Address SenderIp => Ipv4Address.Read(_bytes[SenderIpOffset..]);
    public MacAddress TargetMac => MacAddress.Read(_bytes[TargetMacOffset..]);
    public Ipv4Address TargetIp => Ipv4Address.Read(_bytes[TargetIpOffset..]);

    /// <summary>Writes a whole packet of <see cref="Length"/> bytes.</summary>
    public static void Write(Span<byte> buffer, ArpOperation op, MacAddress senderMac, Ipv4Address senderIp,
        MacAddress targetMac, Ipv4Address targetIp)
    {
        buffer = buffer[..Length];
        BinaryPrimitives.WriteUInt16BigEndian(buffer[HardwareTypeOffset..], HardwareTypeEthernet);
        BinaryPrimitives.WriteUInt16BigEndian(buffer[ProtocolTypeOffset..], (ushort)EtherType.Ipv4);
        buffer[HardwareLengthOffset] = MacAddress.Length;
        buffer[ProtocolLengthOffset] = Ipv4Address.Length;
        BinaryPrimitives.WriteUInt16BigEndian(buffer[OperationOffset..], (ushort)op);
        senderMac.Write(buffer[SenderMacOffset..]);
        senderIp.Write(buffer[SenderIpOffset..]);
        targetMac.Write(buffer[TargetMacOffset..]);
        targetIp.Write(buffer[TargetIpOffset..]);
    }
}
